/* SPDX-License-Identifier: ISC */
/*
 * One version for every program: POTEMKIN_VERSION comes from the VERSION
 * file, given to this file alone by the build (lib/module.mk), so a new
 * version rebuilds one object and relinks.
 */
#include "prog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef POTEMKIN_VERSION
#define POTEMKIN_VERSION "unknown"
#endif

const char *
prog_version(void)
{
	return POTEMKIN_VERSION;
}

void
prog_init(int argc, char **argv)
{
	/* glibc's short name is argv[0] after its last '/'. */
	if (argc > 0)
		argv[0] = program_invocation_short_name;
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("%s %s\n", program_invocation_short_name, POTEMKIN_VERSION);
		exit(fflush(stdout) == 0 ? 0 : 1);
	}
}
