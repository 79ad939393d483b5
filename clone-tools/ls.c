/* SPDX-License-Identifier: ISC */
/*
 * potemkin-ls: the clones that exist, from the state directory.  A clone
 * whose processes are gone is "stale" (potemkin-teardown -s removes it);
 * one without a record yet is "creating", or "pooled" when it waits, made
 * ahead of demand, to be handed out.  MEMORY says what a clone costs:
 * host (netns: the host's kernel, no guest memory), cow (qemu: the
 * snapshot's memory, copy-on-write), copy (xen: restore copied it all).
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/addr.h"
#include "cmd.h"
#include "lib/monotime.h"
#include "lib/prog.h"

/* What a clone without a record can say of itself: its pool, its backend. */
static void
ls_partial(const struct vmm_conf *conf, struct vmm_vm *vm)
{
	const struct vmm_type *t;
	char path[VMM_PATH_MAX], buf[VMM_NAME_MAX];

	snprintf(vm->rec.ifname, sizeof(vm->rec.ifname), "pk%u", vm->id);
	snprintf(vm->rec.type, sizeof(vm->rec.type), "-");
	snprintf(vm->rec.backend, sizeof(vm->rec.backend), "-");
	snprintf(vm->rec.mac, sizeof(vm->rec.mac), "-");
	if (vmm_path(path, sizeof(path), "%s/" VMM_POOLED, vm->dir) == 0 &&
	    vmm_read_file(path, buf, sizeof(buf), NULL) == 0 && *buf) {
		snprintf(vm->rec.type, sizeof(vm->rec.type), "%s", buf);
		if ((t = vmm_conf_type(conf, buf)) != NULL) {
			vm->rec.guest_ip = t->guest_ip;
			vm->rec.gw_ip = t->gw_ip;
			snprintf(vm->rec.mac, sizeof(vm->rec.mac), "%s", t->mac);
		}
	}
	if (vmm_path(path, sizeof(path), "%s/backend", vm->dir) == 0 &&
	    vmm_read_file(path, buf, sizeof(vm->rec.backend), NULL) == 0 && *buf)
		memcpy(vm->rec.backend, buf, sizeof(vm->rec.backend));
}

static const char *
ls_state(const struct vmm_conf *conf, const struct vmm_vm *vm, int r)
{
	const struct vmm_backend *be = vmm_backend_by_name(vm->rec.backend);
	char mark[VMM_PATH_MAX];

	if (r == 1) {
		if (vmm_path(mark, sizeof(mark), "%s/" VMM_POOLED, vm->dir) == 0 &&
		    access(mark, F_OK) == 0)
			return "pooled";
		return "creating";
	}
	if (be == NULL || !be->alive(conf, vm))
		return "stale";
	if (vmm_path(mark, sizeof(mark), "%s/frozen", vm->dir) == 0 &&
	    access(mark, F_OK) == 0)
		return "frozen";
	return "running";
}

static void
ls_print(const struct vmm_vm *vm, const char *state, bool json)
{
	const struct vmm_backend *be = vmm_backend_by_name(vm->rec.backend);
	const struct clone_record *r = &vm->rec;
	char guest[ADDR_STRLEN], gw[ADDR_STRLEN], ip[ADDR_STRLEN + 2] = "-";
	const char *memory = be ? be->memory : "-";

	if (r->has_ip)
		addr_fmt(r->ip, ip);
	addr_fmt(r->guest_ip, guest);
	addr_fmt(r->gw_ip, gw);
	if (json) {
		printf("{\"id\":%u,\"type\":\"%s\",\"backend\":\"%s\","
		    "\"ifname\":\"%s\",\"mac\":\"%s\",\"guest_ip\":\"%s\","
		    "\"gw_ip\":\"%s\",\"ip\":%s%s%s,\"universe\":%u,\"pid\":%ld,"
		    "\"created\":%llu,\"state\":\"%s\",\"memory\":\"%s\","
		    "\"host\":%s%s%s}\n",
		    vm->id, r->type, r->backend, r->ifname, r->mac, guest, gw,
		    r->has_ip ? "\"" : "", r->has_ip ? ip : "null",
		    r->has_ip ? "\"" : "", r->universe, r->pid,
		    (unsigned long long)r->created, state, memory,
		    r->host[0] ? "\"" : "", r->host[0] ? r->host : "null",
		    r->host[0] ? "\"" : "");
		return;
	}
	uint64_t now = wall_ms();
	unsigned long long age = r->created && now > r->created ?
	    (now - r->created) / 1000 : 0;

	printf("%-6u %-12s %-10s %-7s %-8s %-15s %-15s %8u %8ld %-6s %-8s %llus\n",
	    vm->id, r->type, r->host[0] ? r->host : "-", r->backend, r->ifname, ip,
	    guest, r->universe, r->pid, memory, state, age);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cpath = NULL;
	struct vmm_conf conf;
	bool json = false;
	unsigned *ids;
	size_t n;
	int c;

	prog_init(argc, argv);
	while ((c = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cpath = optarg; break;
		case 'j': json = true; break;
		case 'h': cmd_usage(CMD_OK);
		default: cmd_usage(CMD_USAGE);
		}
	}
	if (optind != argc) {
		warnx("unexpected argument '%s'", argv[optind]);
		cmd_usage(CMD_USAGE);
	}
	if (cmd_load(&conf, cpath) == -1)
		return CMD_FAIL;
	if (vmm_vm_list(&conf, &ids, &n) == -1) {
		vmm_conf_free(&conf);
		return CMD_FAIL;
	}
	if (!json)
		printf("%-6s %-12s %-10s %-7s %-8s %-15s %-15s %8s %8s %-6s %-8s %s\n",
		    "ID", "TYPE", "HOST", "BACKEND", "IFNAME", "IP", "GUEST_IP",
		    "UNIVERSE", "PID", "MEMORY", "STATE", "AGE");
	for (size_t i = 0; i < n; i++) {
		char idstr[16];
		struct vmm_vm vm;
		int r;

		snprintf(idstr, sizeof(idstr), "%u", ids[i]);
		if ((r = vmm_vm_open(&conf, idstr, &vm, VMM_LOCK_NONE)) == -1)
			continue;
		if (r == 1)
			ls_partial(&conf, &vm);
		ls_print(&vm, ls_state(&conf, &vm, r), json);
		vmm_vm_close(&vm);
	}
	free(ids);
	vmm_conf_free(&conf);
	return fflush(stdout) == EOF ? CMD_FAIL : CMD_OK;
}
