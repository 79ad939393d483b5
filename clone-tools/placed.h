/* SPDX-License-Identifier: ISC */
/*
 * Clones placed by potemkin-place(8), as the other clone tools see them in
 * the gateway's state directory: the "remote" backend (a clone on another
 * host, reached through the command its placement wrote down, and the
 * tunnel's end here), the placement's marks, and destroying a clone with
 * everything its placement added.
 */
#ifndef POTEMKIN_PLACED_H
#define POTEMKIN_PLACED_H

#include "vmm.h"

#define PLACED_TEARDOWN "teardown.argv"	/* the command that tears it down there */
#define PLACED_FREEZE "freeze.argv"	/* ... that freezes it there, kept */
#define PLACED_REMOTE_MS 15000		/* for either of them */

extern const struct vmm_backend vmm_remote_backend;

/* argv (NULL-terminated) into path as NUL-separated words; 0 or -1. */
int placed_write_argv(const char *path, char *const argv[]);
/* STATEDIR/hosts/HOST/TYPE/NAME; 0 or -1 (too long). */
int placed_mark_path(const struct vmm_conf *conf, const char *host,
    const char *type, const char *name, char *buf, size_t size);
/* Is host marked down in the placement's state? */
bool placed_host_down(const struct vmm_conf *conf, const char *host);
/* STATEDIR/hosts/HOST (and its TYPE/, unless NULL), made if missing. */
int placed_mkdirs(const struct vmm_conf *conf, const char *host, const char *type);
/* Mark it down, now, saying why: it gets no clone until a check sweeps it. */
int placed_mark_down(const struct vmm_conf *conf, const char *host, const char *why);
/*
 * Free what the clone holds (its backend's resources, its tunnel, its
 * placement's mark) and remove its directory; be may be NULL for a clone
 * whose backend never started.  On failure the directory stays, for a
 * later teardown to try again.
 */
int vmm_vm_destroy(const struct vmm_conf *conf, struct vmm_vm *vm,
    const struct vmm_backend *be);

#endif
