/* SPDX-License-Identifier: ISC */
/*
 * The cage a clone runs in (doc/ARCHITECTURE.md section 10, doc/cage.md: a
 * captured clone owns nothing).  cage_spawn starts the clone's first
 * process in new mount, PID, network, UTS, IPC and cgroup namespaces,
 * inside its cgroup, where it waits; cage_go builds its root file system in
 * its mount namespace and lets it go on: it closes the cage behind itself
 * (pivot_root, capabilities, no new privileges, seccomp) and runs the
 * backend's code.
 * Between the two the caller may work on the namespaces (the network).
 *
 * Two kinds, by what runs inside:
 * - a user namespace (netns services): root inside is the type's first id
 *   outside, 65536 ids mapped, and keeps the capabilities of
 *   cage_caps_kept() inside its namespaces only;
 * - no user namespace (QEMU): the process drops to the type's first id,
 *   with no capability at all, before it runs.
 */
#ifndef POTEMKIN_CAGE_H
#define POTEMKIN_CAGE_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup.h"
#include "vmm.h"

struct cage {
	const struct vmm_type *type;
	unsigned id;			/* the clone's, for messages */
	bool userns;
	const char *stage;	/* an empty directory; the root is built on it */
	gid_t extra_gid;	/* !userns: a supplementary group, or -1 */
	/* /dev/kvm, made in the cage's /dev as on the host: its device (0:
	 * none), group and mode. */
	dev_t kvm;
	gid_t kvm_gid;
	mode_t kvm_mode;
	/* Run by the caller, inside the cage's mount namespace, with the
	 * stage on a fresh mount: put the root's content on it. */
	int (*build)(const struct cage *, void *);
	/* Run by the caged process once the cage is closed; never returns. */
	__attribute__((noreturn)) void (*run)(const struct cage *, void *);
	void *arg;
	int errfd;		/* where the caged process reports failures */
	/* The caller's descriptors the caged process keeps (errfd too);
	 * it closes every other one before it runs anything. */
	int keep[4];
	size_t nkeep;

	pid_t pid;		/* out: the caged process, PID 1 inside */
	int gofd;		/* out: released by cage_go */
	int rootfd;		/* out: the root built, handed over by cage_go */
};

/*
 * Start the caged process, waiting: its ids mapped, it in cg.  -1 with
 * nothing left behind on failure.
 */
int cage_spawn(struct cage *c, const struct cgroup *cg);
/*
 * Build its root in its mount namespace (c->build); cage_go does it when
 * the caller has not.  On failure it is killed (cage_kill).
 */
int cage_build(struct cage *c);
/*
 * With a user namespace, the caged process makes its network namespace
 * itself, at once, so that its user namespace owns it; wait until it has
 * (then /proc/PID/ns/net is the clone's).  Without, clone3 made it.
 */
int cage_net(struct cage *c);
/*
 * Let it go on, its root built: it mounts what is its own, closes the cage
 * and runs.  On failure it is killed (cage_kill).
 */
int cage_go(struct cage *c);
/* Kill a caged process not yet released or gone wrong, and reap it. */
void cage_kill(struct cage *c);

/*
 * Mount helpers for build functions.  cage_bind: a host path onto dst,
 * read-only unless CAGE_RW; id-mapped into the cage's user namespace when
 * it has one and the file system can, and never bound unmapped with
 * CAGE_MAPPED.
 */
#define CAGE_RW 1
#define CAGE_MAPPED 2
int cage_bind(const struct cage *c, const char *src, const char *dst,
    int flags);
int cage_tmpfs(const char *dst, const char *opts);
/* A mount point for dst, its parents made as needed: a directory, or an
 * empty file if file; owned by the cage's root. */
int cage_mkpoint(const struct cage *c, const char *dst, bool file);
/* The same host devices in every cage: null, zero, full, (u)random, tty. */
int cage_dev(const struct cage *c, const char *devdir);

#endif
