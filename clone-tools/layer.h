/* SPDX-License-Identifier: ISC */
/*
 * A clone's layer: what it writes, kept in memory and charged to its own
 * cgroup, in MEMDIR/layers/ID: the netns overlay's upper and work
 * directories and, for every sandboxed clone, its console.  A disk or log
 * bomb fills the clone's memory limit, never the host's disk.
 */
#ifndef POTEMKIN_LAYER_H
#define POTEMKIN_LAYER_H

#include <stdbool.h>

#include "vmm.h"

int layer_path(const struct vmm_conf *conf, unsigned id, const char *file,
    char *buf, size_t size);
/* Make the clone's layer (with upper/ and work/ if overlay) and link
 * vm->dir/console.log to its console; returns the console, open to append. */
int layer_create(const struct vmm_conf *conf, const struct vmm_type *t,
    const struct vmm_vm *vm, bool overlay);
int layer_remove(const struct vmm_conf *conf, unsigned id);

#endif
