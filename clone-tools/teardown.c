/* SPDX-License-Identifier: ISC */
/*
 * potemkin-teardown: destroy clones and free every resource they held:
 * processes, interfaces, namespaces, files.  -s removes the clones whose
 * processes are gone (potemkin-ls shows them as stale), -a every clone,
 * those waiting in a pool too.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cmd.h"
#include "layer.h"
#include "pool.h"
#include "placed.h"
#include "lib/prog.h"

/* A directory without a record is a clone being made, or one whose maker
 * died; the backend file says whose resources it may hold. */
static const struct vmm_backend *
td_backend_file(const struct vmm_vm *vm)
{
	char path[VMM_PATH_MAX], name[16];
	size_t len;

	if (vmm_path(path, sizeof(path), "%s/backend", vm->dir) == -1 ||
	    vmm_read_file(path, name, sizeof(name), &len) == -1)
		return NULL;
	name[strcspn(name, "\n")] = '\0';
	return vmm_backend_by_name(name);
}

/* A clone made ahead of demand and waiting in its pool is not stale. */
static bool
td_pooled_alive(const struct vmm_conf *conf, const struct vmm_vm *vm)
{
	const struct vmm_backend *be = td_backend_file(vm);
	char path[VMM_PATH_MAX];

	return be && vmm_path(path, sizeof(path), "%s/" VMM_POOLED, vm->dir) == 0 &&
	    access(path, F_OK) == 0 && be->alive(conf, vm);
}

static int
td_one(const struct vmm_conf *conf, struct vmm_vm *vm, bool complete)
{
	const struct vmm_backend *be = complete ?
	    vmm_backend_by_name(vm->rec.backend) : td_backend_file(vm);

	if (complete && be == NULL) {
		warnx("clone %u: unknown backend '%s' in its record", vm->id,
		    vm->rec.backend);
		vmm_vm_close(vm);
		return -1;
	}
	if (!complete)
		snprintf(vm->rec.ifname, sizeof(vm->rec.ifname), "pk%u", vm->id);
	/* A clone whose resources could not all be freed keeps its directory,
	 * so that a later teardown can try again. */
	return vmm_vm_destroy(conf, vm, be);
}

static int
td_named(const struct vmm_conf *conf, const char *idstr)
{
	struct vmm_vm vm;
	int r = vmm_vm_open(conf, idstr, &vm, VMM_LOCK_WAIT);

	if (r == -1)
		return -1;
	return td_one(conf, &vm, r == 0);
}

/* The ids named pk<ID> (a cgroup) or <ID> (a layer) in directory dir. */
static void
td_orphans_in(const struct vmm_conf *conf, const char *dir, const char *prefix,
    bool layer)
{
	struct dirent *de;
	DIR *d = opendir(dir);

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char vmdir[VMM_PATH_MAX], *end;
		size_t plen = strlen(prefix);
		unsigned long id;
		struct cgroup cg;

		if (strncmp(de->d_name, prefix, plen) != 0 ||
		    de->d_name[plen] < '1' || de->d_name[plen] > '9')
			continue;
		id = strtoul(de->d_name + plen, &end, 10);
		if (*end != '\0' || id > VMM_ID_MAX ||
		    vmm_path(vmdir, sizeof(vmdir), "%s/vms/%lu", conf->statedir,
			id) == -1 || access(vmdir, F_OK) == 0)
			continue;
		if (cgroup_of(conf, NULL, (unsigned)id, &cg) == -1)
			continue;
		/* A layer goes only once its clone's cgroup has: nothing of
		 * the clone may change it while root walks it. */
		if (!layer)
			cgroup_remove(&cg);
		else if (!cgroup_exists(&cg))
			layer_remove(conf, (unsigned)id);
	}
	closedir(d);
}

/*
 * A clone's cgroup or layer with no clone directory: left by a clone
 * command killed outright.  The parent group and memdir are this state
 * directory's alone (vmm.conf(5)), so what is there without a clone is
 * ours to remove.
 */
static void
td_orphans(const struct vmm_conf *conf)
{
	char dir[VMM_PATH_MAX];
	struct cgroup cg;
	bool caged = false;

	for (size_t i = 0; i < conf->ntypes; i++)
		caged = caged || conf->types[i].backend->sandboxed;
	if (!caged)
		return;
	if (cgroup_locate(conf, NULL, "", &cg) == 0)
		for (size_t i = 0; i < cg.ndirs; i++)
			td_orphans_in(conf, cg.dir[i], "pk", false);
	if (vmm_path(dir, sizeof(dir), "%s/layers", conf->memdir) == 0)
		td_orphans_in(conf, dir, "", true);
}

/*
 * -a: every pooled type's refills called off, its filler lock held for the
 * rest of this process: a refill at work is waited for (it finishes its
 * clone), one asked for before now or starting meanwhile adds nothing.  A
 * clone made later refills its pool as usual.
 */
static int
td_hold_pools(const struct vmm_conf *conf)
{
	for (size_t i = 0; i < conf->ntypes; i++)
		if (conf->types[i].pool > 0 &&
		    pool_cancel(conf, &conf->types[i]) == -1)
			return -1;
	return 0;
}

/* Stale: a record whose clone is not alive, or no record for 10 s and no
 * command holding the lock. */
static int
td_sweep(const struct vmm_conf *conf, bool all)
{
	unsigned *ids;
	size_t n;
	int rc = 0;

	/* -a: no pool refill may add a clone behind us, nor after the list. */
	if ((all && td_hold_pools(conf) == -1) ||
	    vmm_vm_list(conf, &ids, &n) == -1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char idstr[16];
		struct vmm_vm vm;
		struct stat st;
		int r;

		snprintf(idstr, sizeof(idstr), "%u", ids[i]);
		r = vmm_vm_open(conf, idstr, &vm, all ? VMM_LOCK_WAIT : VMM_LOCK_TRY);
		if (r == -1) {
			if (all)
				rc = -1;
			continue;
		}
		if (!all) {
			const struct vmm_backend *be = r == 0 ?
			    vmm_backend_by_name(vm.rec.backend) : NULL;
			bool keep = r == 0 ? be && be->alive(conf, &vm) :
			    td_pooled_alive(conf, &vm) ||
			    (stat(vm.dir, &st) == 0 &&
			    st.st_ctime + 10 > time(NULL));

			if (keep) {
				vmm_vm_close(&vm);
				continue;
			}
		}
		if (td_one(conf, &vm, r == 0) == -1)
			rc = -1;
		else if (!all)
			printf("%u\n", ids[i]);
	}
	free(ids);
	td_orphans(conf);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "stale", no_argument, NULL, 's' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cpath = NULL;
	bool stale = false, all = false;
	struct vmm_conf conf;
	int c, rc = 0;

	prog_init(argc, argv);
	while ((c = getopt_long(argc, argv, "c:sah", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cpath = optarg; break;
		case 's': stale = true; break;
		case 'a': all = true; break;
		case 'h': cmd_usage(CMD_OK);
		default: cmd_usage(CMD_USAGE);
		}
	}
	if ((stale || all) ? optind != argc || (stale && all) : optind == argc) {
		warnx(stale || all ? "-s and -a take no clone and exclude each "
		    "other" : "a VM is required");
		cmd_usage(CMD_USAGE);
	}
	if (cmd_load(&conf, cpath) == -1)
		return CMD_FAIL;
	if (stale || all)
		rc = td_sweep(&conf, all);
	for (int i = optind; i < argc; i++)
		if (td_named(&conf, argv[i]) == -1)
			rc = -1;
	vmm_conf_free(&conf);
	return rc == -1 ? CMD_FAIL : CMD_OK;
}
