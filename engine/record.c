/* SPDX-License-Identifier: ISC */
/*
 * A clone as the engine keeps it, from the record line the clone tools
 * printed (lib/record.c reads the line).
 */
#include "engine.h"

#include <stdio.h>
#include <string.h>

void
eng_vm_from_record(const struct clone_record *r, struct eng_vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->id = (int)r->id;
	snprintf(vm->type, sizeof(vm->type), "%s", r->type);
	snprintf(vm->ifname, sizeof(vm->ifname), "%s", r->ifname);
	mac_parse(r->mac, strlen(r->mac), vm->mac);	/* checked by record_parse */
	vm->guest_ip = r->guest_ip;
	vm->gw_ip = r->gw_ip;
	vm->ip = r->has_ip ? r->ip : 0;
	vm->universe = r->universe;
	vm->pid = r->pid;
	vm->created_ms = r->created;
	snprintf(vm->host, sizeof(vm->host), "%s", r->host);
	vm->ifindex = -1;
}
