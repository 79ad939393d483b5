/* SPDX-License-Identifier: ISC */
/*
 * A clone's control group: the limits of its memory, processes and CPU,
 * freezing it for potemkin-freeze, killing all of it at teardown.  The same
 * calls drive cgroup v2 (one directory) and v1 (one directory in each of
 * the memory, pids, cpu and freezer hierarchies).
 */
#ifndef POTEMKIN_CGROUP_H
#define POTEMKIN_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "vmm.h"

enum { CG_MEMORY, CG_PIDS, CG_CPU, CG_FREEZER, CG_NCTL };

struct cgroup {
	int version;			/* 1 or 2 */
	size_t ndirs;			/* v2: 1; v1: CG_NCTL, by the enum */
	char dir[CG_NCTL][VMM_PATH_MAX];	/* the clone's group */
	char mnt[CG_NCTL][VMM_PATH_MAX];	/* each hierarchy's root */
	const char *parent;	/* vmm.conf's cgroup, below each root */
};

/* Find the hierarchies and name the group name (pk<ID> for clone ID) in
 * them; makes nothing.  t, if known, names the type in messages. */
int cgroup_locate(const struct vmm_conf *conf, const struct vmm_type *t,
    const char *name, struct cgroup *cg);
/* The group of clone id: pk<ID>. */
int cgroup_of(const struct vmm_conf *conf, const struct vmm_type *t,
    unsigned id, struct cgroup *cg);
/* Is process pid in cg? */
bool cgroup_has(const struct cgroup *cg, pid_t pid);
/* Make the group with t's limits; on failure nothing made remains. */
int cgroup_create(const struct vmm_type *t, const struct cgroup *cg);
/*
 * The next process this one makes is born in cg, never moved there: a
 * process moved between cgroups costs the kernel an RCU grace period (5 to
 * 20 ms here).  v2: clone3's CLONE_INTO_CGROUP with *fd.  v1: we move
 * ourselves there (one thread moving itself takes no global lock) and back
 * at cgroup_spawn_end.
 */
struct cgroup_spawn {
	int fd;				/* v2: the group, for clone3 */
	char back[CG_NCTL][VMM_PATH_MAX];	/* v1: where we were */
	size_t nback;
};
int cgroup_spawn_begin(const struct cgroup *cg, struct cgroup_spawn *s);
void cgroup_spawn_end(struct cgroup_spawn *s);
bool cgroup_exists(const struct cgroup *cg);
int cgroup_freeze(const struct cgroup *cg);
/* Kill every process of the group, wait until it is empty, remove it. */
int cgroup_remove(const struct cgroup *cg);

#endif
