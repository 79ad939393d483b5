/* What the files of the potemkin-policy tool share. */
#ifndef POTEMKIN_TOOL_H
#define POTEMKIN_TOOL_H

#include <stdio.h>

#include "policy.h"

#define PROG "potemkin-policy"

/* Load a policy file ("-": stdin); messages printed; NULL on errors. */
struct pol_program *tool_load(const char *path);

/* replay-cmd.c: argv[0] is "replay"; the command parses its own options. */
int cmd_replay(int argc, char **argv);
void cmd_replay_usage(FILE *out);

#endif
