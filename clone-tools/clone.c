/* SPDX-License-Identifier: ISC */
/*
 * potemkin-clone: clone a type's snapshot, attach it to its host interface
 * pk<ID>, let it run, print its record.  The gateway runs this and reads the
 * one line on stdout; everything else goes to stderr.
 */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/addr.h"
#include "cmd.h"
#include "lib/monotime.h"
#include "lib/number.h"
#include "pool.h"
#include "tunnel.h"
#include "lib/prog.h"

static int
clone_parse_universe(const char *s, uint32_t *out)
{
	unsigned long long v;

	if (num_parse(s, 0, UINT32_MAX, &v) == -1)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* A clone's record fields that do not depend on the backend. */
static void
clone_fill(const struct vmm_type *t, struct vmm_vm *vm, uint32_t ip,
    bool has_ip, uint32_t universe)
{
	snprintf(vm->rec.type, sizeof(vm->rec.type), "%s", t->name);
	snprintf(vm->rec.backend, sizeof(vm->rec.backend), "%s",
	    t->backend->name);
	vm->rec.id = vm->id;
	vm->rec.ip = ip;
	vm->rec.has_ip = has_ip;
	vm->rec.universe = universe;
	vm->type = t;
}

/*
 * A clone from the type's pool if it has one ready, else a new one.  On
 * failure nothing remains (the backend cleans up after itself, we remove
 * the directory).
 */
static int
clone_make(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm, uint32_t ip, bool has_ip, uint32_t universe)
{
	char path[VMM_PATH_MAX];
	int claimed = 0;

	if ((claimed = pool_claim(conf, t, vm, ip, has_ip)) == -1)
		return -1;
	if (claimed) {
		clone_fill(t, vm, ip, has_ip, universe);
		return 0;
	}
	if (vmm_vm_alloc(conf, vm) == -1)
		return -1;
	clone_fill(t, vm, ip, has_ip, universe);
	vm->rec.created = wall_ms();
	/* Says whose resources a half-made clone may hold (teardown -s). */
	if (vmm_path(path, sizeof(path), "%s/backend", vm->dir) == -1 ||
	    vmm_write_file(path, t->backend->name, strlen(t->backend->name),
		0640) == -1 ||
	    t->backend->clone(conf, t, vm) == -1) {
		vmm_vm_remove(vm);
		return -1;
	}
	return 0;
}

/*
 * --types: one line per type the configuration defines, in the record's
 * key=value manner, with the TCP ports its clones are known to serve (the
 * ports a clone waits for before it is ready), for the gateway's -n to
 * hold the policy's types against.
 */
static void
clone_list_types(const struct vmm_conf *conf)
{
	for (size_t i = 0; i < conf->ntypes; i++) {
		const struct vmm_type *t = &conf->types[i];

		printf("type=%s backend=%s", t->name, t->backend->name);
		for (size_t p = 0; p < t->nready_tcp; p++)
			printf("%s%u", p ? "," : " tcp=", t->ready_tcp[p]);
		putchar('\n');
	}
}

static int
clone_publish(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm)
{
	char line[RECORD_LINE_MAX];

	if (vmm_stop || vmm_vm_write_record(vm) == -1 ||
	    record_fmt(&vm->rec, line, sizeof(line)) == -1) {
		if (vmm_stop)
			warnx("clone %u: interrupted", vm->id);
		t->backend->teardown(conf, vm);
		return -1;
	}
	if (printf("%s\n", line) < 0 || fflush(stdout) == EOF) {
		warn("writing the record");
		t->backend->teardown(conf, vm);
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "type", required_argument, NULL, 't' },
		{ "ip", required_argument, NULL, 'i' },
		{ "universe", required_argument, NULL, 'u' },
		{ "types", no_argument, NULL, 'T' },
		{ "host", required_argument, NULL, 'H' },
		{ "tunnel", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cpath = NULL, *type = NULL;
	const struct vmm_type *t;
	struct vmm_conf conf;
	struct vmm_vm vm;
	uint32_t ip = 0, universe = 0;
	bool has_ip = false, has_universe = false, list = false;
	const char *host = NULL;
	struct vmm_tunnel tu = { 0 };
	int c, rc;

	prog_init(argc, argv);
	while ((c = getopt_long(argc, argv, "c:t:i:u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cpath = optarg; break;
		case 't': type = optarg; break;
		case 'i':
			if (addr_parse(optarg, strlen(optarg), &ip) != ADDR_OK) {
				warnx("--ip %s: not an IPv4 address", optarg);
				cmd_usage(CMD_USAGE);
			}
			has_ip = true;
			break;
		case 'u':
			if (clone_parse_universe(optarg, &universe) == -1) {
				warnx("--universe %s: not a number from 0 to %u",
				    optarg, UINT32_MAX);
				cmd_usage(CMD_USAGE);
			}
			has_universe = true;
			break;
		case 'T': list = true; break;
		case 'H':
			if (!vmm_name_ok(optarg)) {
				warnx("--host %s: not a name of [A-Za-z0-9_-], "
				    "1 to %d long", optarg, VMM_NAME_MAX - 1);
				cmd_usage(CMD_USAGE);
			}
			host = optarg;
			break;
		case 'N':
			if (tunnel_parse(optarg, &tu) == -1)
				cmd_usage(CMD_USAGE);
			break;
		case 'h': cmd_usage(CMD_OK);
		default: cmd_usage(CMD_USAGE);
		}
	}
	if (list) {
		if (optind != argc || type || has_ip || has_universe || host ||
		    tu.vni) {
			warnx("--types takes no other argument but -c");
			cmd_usage(CMD_USAGE);
		}
		if (cmd_read(&conf, cpath) == -1)
			return CMD_FAIL;
		clone_list_types(&conf);
		vmm_conf_free(&conf);
		return fflush(stdout) == 0 ? CMD_OK : CMD_FAIL;
	}
	if (optind != argc || type == NULL) {
		if (type == NULL)
			warnx("--type is required");
		else
			warnx("unexpected argument '%s'", argv[optind]);
		cmd_usage(CMD_USAGE);
	}
	vmm_catch_signals();
	if (cmd_load(&conf, cpath) == -1)
		return CMD_FAIL;
	if ((t = vmm_conf_type(&conf, type)) == NULL) {
		warnx("type %s: no such type in %s", type, conf.path);
		vmm_conf_free(&conf);
		return CMD_FAIL;
	}
	if (clone_make(&conf, t, &vm, ip, has_ip, universe) == -1) {
		vmm_conf_free(&conf);
		return CMD_FAIL;
	}
	if (host)
		snprintf(vm.rec.host, sizeof(vm.rec.host), "%s", host);
	if (tu.vni && tunnel_attach(&vm, &tu) == -1) {
		t->backend->teardown(&conf, &vm);
		rc = -1;
	} else {
		rc = clone_publish(&conf, t, &vm);
	}
	if (rc == -1 && tu.vni)
		tunnel_detach(vm.id);
	if (rc == -1)
		vmm_vm_remove(&vm);
	else
		vmm_vm_close(&vm);
	vmm_conf_free(&conf);
	return rc == -1 ? CMD_FAIL : CMD_OK;
}
