/* SPDX-License-Identifier: ISC */
#include "cmd.h"

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Usage lines, as in the man pages; one entry per command. */
static const struct {
	const char *prog;
	const char *usage;
} cmd_usages[] = {
	{ "potemkin-snapshot", "[-f] [-c vmm.conf] TYPE" },
	{ "potemkin-clone", "[-c vmm.conf] -t TYPE [-i ADDR] [-u UNIVERSE]\n"
	    "                      [--host NAME] [--tunnel ADDR:VNI[:PORT]]\n"
	    "       potemkin-clone [-c vmm.conf] --types" },
	{ "potemkin-teardown", "[-c vmm.conf] VM ...\n"
	    "       potemkin-teardown [-c vmm.conf] -s | -a" },
	{ "potemkin-freeze", "[-k] [-c vmm.conf] VM" },
	{ "potemkin-ls", "[-j] [-c vmm.conf]" },
};

static const char *
cmd_usage_of(const char *prog)
{
	for (size_t i = 0; i < sizeof(cmd_usages) / sizeof(cmd_usages[0]); i++)
		if (strcmp(cmd_usages[i].prog, prog) == 0)
			return cmd_usages[i].usage;
	return "";
}

/* -h prints on stdout and succeeds; a usage error goes to stderr. */
void
cmd_usage(int status)
{
	fprintf(status == CMD_OK ? stdout : stderr, "usage: %s %s\n",
	    vmm_progname(), cmd_usage_of(vmm_progname()));
	exit(status);
}

int
cmd_read(struct vmm_conf *conf, const char *path)
{
	if (path == NULL)
		path = getenv("POTEMKIN_VMM_CONF");
	if (path == NULL || *path == '\0')
		path = VMM_DEFAULT_CONF;
	return vmm_conf_load(conf, path);
}

int
cmd_load(struct vmm_conf *conf, const char *path)
{
	if (cmd_read(conf, path) == -1)
		return -1;
	if (vmm_state_init(conf) == -1) {
		vmm_conf_free(conf);
		return -1;
	}
	return 0;
}
