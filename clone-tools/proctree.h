/* SPDX-License-Identifier: ISC */
/*
 * A clone's processes as a tree rooted at its leader, found through
 * /proc/PID/task/TID/children.  Daemons that start their own sessions (a
 * telnetd's shells) leave the leader's process group but never its tree:
 * the leader is their child subreaper.
 */
#ifndef POTEMKIN_PROCTREE_H
#define POTEMKIN_PROCTREE_H

#include <stddef.h>
#include <sys/types.h>

#define PROCTREE_MAX 4096

struct proctree {
	pid_t pid[PROCTREE_MAX];
	size_t n;
};

/* Leader first, then breadth first.  An absent leader gives n == 0. */
int proctree_walk(pid_t leader, struct proctree *t);
/* Does pid live in the network namespace whose ns file is nspath? */
int proctree_in_netns(pid_t pid, const char *nspath);

#endif
