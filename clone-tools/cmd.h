/* SPDX-License-Identifier: ISC */
/*
 * What the five commands share: -c and -h, loading vmm.conf, the usage
 * table, and exit statuses (0 ok, 1 failure, 2 usage error).
 */
#ifndef POTEMKIN_CMD_H
#define POTEMKIN_CMD_H

#include <getopt.h>

#include "vmm.h"

#define CMD_OK 0
#define CMD_FAIL 1
#define CMD_USAGE 2

_Noreturn void cmd_usage(int status);
/* vmm.conf from -c, else $POTEMKIN_VMM_CONF, else the default. */
int cmd_load(struct vmm_conf *conf, const char *path);
/* The same, without preparing the state directory: for commands that only read. */
int cmd_read(struct vmm_conf *conf, const char *path);

#endif
