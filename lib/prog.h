/* SPDX-License-Identifier: ISC */
/*
 * What every program does first: answer --version, and drop the path from
 * argv[0] so that getopt's messages, err(3)'s and ours all begin with the
 * bare name ("potemkin-gateway: ...", never "bin/potemkin-gateway: ...").
 */
#ifndef POTEMKIN_PROG_H
#define POTEMKIN_PROG_H

/* The version, from the VERSION file at the top of the tree. */
const char *prog_version(void);

/* "--version" as the first argument: print "NAME VERSION" and exit 0. */
void prog_init(int argc, char **argv);

#endif
