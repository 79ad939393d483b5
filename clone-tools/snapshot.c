/* SPDX-License-Identifier: ISC */
/* potemkin-snapshot: boot a type's reference guest and save its snapshot. */
#include <err.h>
#include <stdio.h>

#include "cmd.h"
#include "lib/prog.h"

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cpath = NULL;
	const struct vmm_type *t;
	struct vmm_conf conf;
	bool force = false;
	int c, rc;

	prog_init(argc, argv);
	while ((c = getopt_long(argc, argv, "c:fh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cpath = optarg; break;
		case 'f': force = true; break;
		case 'h': cmd_usage(CMD_OK);
		default: cmd_usage(CMD_USAGE);
		}
	}
	if (argc - optind != 1) {
		warnx(argc == optind ? "a TYPE is required" : "one TYPE only");
		cmd_usage(CMD_USAGE);
	}
	vmm_catch_signals();
	if (cmd_load(&conf, cpath) == -1)
		return CMD_FAIL;
	if ((t = vmm_conf_type(&conf, argv[optind])) == NULL) {
		warnx("type %s: no such type in %s", argv[optind], conf.path);
		vmm_conf_free(&conf);
		return CMD_FAIL;
	}
	rc = t->backend->snapshot(&conf, t, force);
	vmm_conf_free(&conf);
	return rc == -1 ? CMD_FAIL : CMD_OK;
}
