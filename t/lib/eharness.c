/* SPDX-License-Identifier: ISC */
#include "eharness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static void
rec_deliver(void *ctx, const struct eng_vm *vm, const uint8_t *pkt, size_t len)
{
	struct harness *h = ctx;
	struct h_delivery *d;

	if (h->ndelivered == H_MAX || len > sizeof(d->pkt))
		bail_out("harness: too many or too large deliveries");
	d = &h->delivered[h->ndelivered++];
	d->vm = vm->id;
	memcpy(d->pkt, pkt, len);
	d->len = len;
}

static void
rec_emit(void *ctx, const uint8_t *pkt, size_t len)
{
	struct harness *h = ctx;
	struct h_delivery *d;

	if (h->nemitted == 64 || len > sizeof(d->pkt))
		bail_out("harness: too many emitted packets");
	d = &h->emitted[h->nemitted++];
	d->vm = -1;
	memcpy(d->pkt, pkt, len);
	d->len = len;
}

static void
rec_clone(void *ctx, uint32_t serial, const char *type, uint32_t ip, uint32_t universe)
{
	struct harness *h = ctx;
	struct h_clone *c;

	if (h->nclones == H_MAX)
		bail_out("harness: too many clones");
	c = &h->clones[h->nclones++];
	c->serial = serial;
	snprintf(c->type, sizeof(c->type), "%s", type);
	c->ip = ip;
	c->universe = universe;
}

static void
rec_teardown(void *ctx, const struct eng_vm *vm)
{
	struct harness *h = ctx;

	if (h->nteardowns < H_MAX)
		h->teardowns[h->nteardowns++] = vm->id;
}

static void
rec_freeze(void *ctx, const struct eng_vm *vm)
{
	struct harness *h = ctx;

	if (h->nfreezes < 64)
		h->freezes[h->nfreezes++] = vm->id;
}

static unsigned
rec_dns(void *ctx, uint32_t resolver, const uint8_t *msg, size_t len)
{
	struct harness *h = ctx;
	struct h_delivery *d;

	if (len > sizeof(d->pkt))
		bail_out("harness: a DNS question too long");
	if (h->ndns == 16)
		return 0;	/* the first 16 are kept; stats count the rest */
	d = &h->dns[h->ndns++];
	d->vm = (int)resolver;
	memcpy(d->pkt, msg, len);
	d->len = len;
	return 0;
}

static void
rec_event(void *ctx, const struct eng_event *ev)
{
	struct harness *h = ctx;

	if (h->nevents == H_MAX)
		return;
	eng_event_json(ev, ev->now_ms, NULL, h->events[h->nevents++],
	    sizeof(h->events[0]));
	if (getenv("POTEMKIN_VERBOSE"))
		note("event %s", h->events[h->nevents - 1]);
}

struct harness *
h_new_config(const char *policy, const struct eng_config *c)
{
	struct harness *h = calloc(1, sizeof(*h));
	struct eng_io io = {
		.deliver = rec_deliver, .emit = rec_emit, .clone = rec_clone,
		.teardown = rec_teardown, .freeze = rec_freeze, .dns_query = rec_dns,
		.event = rec_event,
	};

	if (h == NULL || (h->delivered = calloc(H_MAX, sizeof(*h->delivered))) == NULL ||
	    (h->events = calloc(H_MAX, sizeof(*h->events))) == NULL)
		bail_out("harness: out of memory");
	if (pol_load_buf("test.policy", policy, strlen(policy), stderr, &h->prog) != 0)
		bail_out("harness: the test policy does not load");
	io.ctx = h;
	h->now = 1000000;
	h->next_vm = 1;
	if ((h->e = eng_new(c, h->prog, &io, h->now)) == NULL)
		bail_out("harness: eng_new failed");
	return h;
}

struct harness *
h_new(const char *policy)
{
	struct eng_config c;

	eng_config_defaults(&c);
	c.history_max = 4096;
	c.scan_sources_max = 1024;
	c.universes_max = 1024;
	c.dns_max = 64;
	return h_new_config(policy, &c);
}

void
h_free(struct harness *h)
{
	eng_free(h->e);
	pol_free(h->prog);
	free(h->delivered);
	free(h->events);
	free(h);
}

enum eng_verdict
h_in(struct harness *h, const uint8_t *pkt, size_t len)
{
	uint8_t copy[2048];

	memcpy(copy, pkt, len);
	return eng_inbound(h->e, copy, len, h->now);
}

enum eng_verdict
h_out(struct harness *h, int vm, const uint8_t *pkt, size_t len)
{
	uint8_t copy[2048];

	memcpy(copy, pkt, len);
	return eng_outbound(h->e, 1000 + vm, copy, len, h->now);
}

int
h_ready(struct harness *h, int i, uint32_t guest)
{
	struct eng_vm vm = { 0 };
	const struct h_clone *c = &h->clones[i];

	vm.id = h->next_vm++;
	snprintf(vm.type, sizeof(vm.type), "%s", c->type);
	snprintf(vm.ifname, sizeof(vm.ifname), "pk%d", vm.id);
	memcpy(vm.mac, "\x52\x54\x00\x00\x00\x01", 6);
	vm.guest_ip = guest ? guest : c->ip;
	vm.gw_ip = 0xa9fe0001;
	vm.ip = c->ip;
	vm.universe = c->universe;
	vm.pid = 4242;
	vm.ifindex = 1000 + vm.id;
	eng_clone_ready(h->e, c->serial, &vm, h->now);
	return vm.id;
}

void
h_fail(struct harness *h, int i, const char *why)
{
	eng_clone_failed(h->e, h->clones[i].serial, why, h->now);
}

void
h_advance(struct harness *h, uint64_t ms)
{
	uint64_t end = h->now + ms;

	/* Tick at every deadline on the way, as the daemon's timer would. */
	for (;;) {
		uint64_t next = eng_tick(h->e, h->now);

		if (next > end)
			break;
		h->now = next > h->now ? next : h->now + 1;
	}
	h->now = end;
	eng_tick(h->e, h->now);
}

int
h_reload(struct harness *h, const char *policy)
{
	struct pol_program *prog;
	int rc;

	if (pol_load_buf("reload.policy", policy, strlen(policy), stderr, &prog) != 0)
		bail_out("harness: the reloaded policy does not load");
	if ((rc = eng_set_policy(h->e, prog, h->now)) == 0) {
		pol_free(h->prog);
		h->prog = prog;
	} else {
		pol_free(prog);
	}
	return rc;
}

int
h_events(const struct harness *h, const char *needle)
{
	int n = 0;

	for (int i = 0; i < h->nevents; i++)
		if (strstr(h->events[i], needle))
			n++;
	return n;
}

int
h_event_kind(const struct harness *h, const char *kind)
{
	char needle[64];

	snprintf(needle, sizeof(needle), "\"event\":{\"action\":\"%s\"", kind);
	return h_events(h, needle);
}

int
h_delivered_to(const struct harness *h, int vm)
{
	int n = 0;

	for (int i = 0; i < h->ndelivered; i++)
		if (h->delivered[i].vm == vm)
			n++;
	return n;
}
