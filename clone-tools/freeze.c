/* SPDX-License-Identifier: ISC */
/*
 * potemkin-freeze: stop a clone and preserve it for analysis in
 * STATEDIR/evidence/ID-TIME/, print that path, then tear the clone down
 * (unless -k).  A failed freeze leaves no evidence folder and the clone as
 * it was.
 */
#include <err.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "evidence.h"
#include "placed.h"
#include "lib/prog.h"

static int
fr_run(const struct vmm_conf *conf, struct vmm_vm *vm, bool keep)
{
	const struct vmm_backend *be = vmm_backend_by_name(vm->rec.backend);
	char evdir[VMM_PATH_MAX], mark[VMM_PATH_MAX];

	if (be == NULL) {
		warnx("clone %u: unknown backend '%s' in its record", vm->id,
		    vm->rec.backend);
		return -1;
	}
	if (!be->alive(conf, vm)) {
		warnx("clone %u: not running (stale; potemkin-teardown -s "
		    "removes it)", vm->id);
		return -1;
	}
	if (vmm_evidence_dir(conf, vm, evdir, sizeof(evdir)) == -1)
		return -1;
	if (evidence_note(evdir, "clone %u frozen by %s", vm->id,
		vmm_progname()) == -1 ||
	    evidence_common(vm, evdir) == -1 ||
	    be->freeze(conf, vm, evdir) == -1 ||
	    evidence_note(evdir, "record: the clone's record") == -1 ||
	    evidence_note(evdir, "console.log: its console") == -1) {
		vmm_rm_tree(evdir);
		return -1;
	}
	if (keep) {
		if (vmm_path(mark, sizeof(mark), "%s/frozen", vm->dir) == -1 ||
		    vmm_write_file(mark, evdir, strlen(evdir), 0640) == -1)
			return -1;
	} else if (vmm_vm_destroy(conf, vm, be) == -1) {
		printf("%s\n", evdir);
		return -1;
	}
	printf("%s\n", evdir);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cpath = NULL;
	struct vmm_conf conf;
	struct vmm_vm vm;
	bool keep = false;
	int c, r;

	prog_init(argc, argv);
	while ((c = getopt_long(argc, argv, "c:kh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cpath = optarg; break;
		case 'k': keep = true; break;
		case 'h': cmd_usage(CMD_OK);
		default: cmd_usage(CMD_USAGE);
		}
	}
	if (argc - optind != 1) {
		warnx(argc == optind ? "a VM is required" : "one VM only");
		cmd_usage(CMD_USAGE);
	}
	if (cmd_load(&conf, cpath) == -1)
		return CMD_FAIL;
	r = vmm_vm_open(&conf, argv[optind], &vm, VMM_LOCK_WAIT);
	if (r == 1) {
		warnx("clone %u: not complete (no record)", vm.id);
		vmm_vm_close(&vm);
	}
	if (r == 0) {
		r = fr_run(&conf, &vm, keep);
		vmm_vm_close(&vm);
	}
	vmm_conf_free(&conf);
	return r == 0 ? CMD_OK : CMD_FAIL;
}
