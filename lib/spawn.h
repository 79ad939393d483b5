/* SPDX-License-Identifier: ISC */
/*
 * Running a command the way every part of the project runs one: a fixed
 * argv (PATH searched, no shell), standard input from /dev/null, in a
 * process group of its own (so a timeout can kill all it started), with
 * default signal dispositions and an empty signal mask whatever its caller
 * had.
 */
#ifndef POTEMKIN_SPAWN_H
#define POTEMKIN_SPAWN_H

#include <sys/types.h>

/*
 * Start argv with standard output on out and standard error on err (-1:
 * the caller's).  0 with *pid set, or an errno value.
 */
int spawn_group(char *const argv[], int out, int err, pid_t *pid);

#endif
