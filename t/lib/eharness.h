/* SPDX-License-Identifier: ISC */
/*
 * Driving the gateway's engine in a unit test: a policy from a string, a
 * clock the test moves, and an eng_io sink that records everything the
 * engine asks of the world (deliveries, clone requests, teardowns, DNS
 * questions, events) for the test to inspect.
 */
#ifndef POTEMKIN_EHARNESS_H
#define POTEMKIN_EHARNESS_H

#include "engine/engine.h"

#define H_MAX 4096

struct h_delivery {
	int vm;
	uint8_t pkt[2048];
	size_t len;
};

struct h_clone {
	uint32_t serial;
	char type[ENG_TYPE_MAX];
	uint32_t ip;
	uint32_t universe;
};

struct harness {
	struct pol_program *prog;
	struct eng *e;
	uint64_t now;
	int next_vm;
	struct h_delivery *delivered;
	int ndelivered;
	struct h_delivery emitted[64];
	int nemitted;
	struct h_clone clones[H_MAX];
	int nclones;
	int teardowns[H_MAX];
	int nteardowns;
	int freezes[64];
	int nfreezes;
	struct h_delivery dns[16];	/* vm holds the resolver */
	int ndns;
	char (*events)[1024];		/* one JSON line each */
	int nevents;
};

/* A harness on this policy text; bails out if it does not load. */
struct harness *h_new(const char *policy);
struct harness *h_new_config(const char *policy, const struct eng_config *c);
void h_free(struct harness *h);

enum eng_verdict h_in(struct harness *h, const uint8_t *pkt, size_t len);
enum eng_verdict h_out(struct harness *h, int vm, const uint8_t *pkt, size_t len);

/*
 * Answer clone request i with a clone: id h->next_vm++, interface index
 * 1000 + id, guest address guest (0: the impersonated address itself).
 * Returns the clone's id.
 */
int h_ready(struct harness *h, int i, uint32_t guest);
void h_fail(struct harness *h, int i, const char *why);
void h_advance(struct harness *h, uint64_t ms);
/* Swap in a new policy text, as a reload would; returns eng_set_policy's result. */
int h_reload(struct harness *h, const char *policy);

/* Events whose JSON contains this text (e.g. "\"source\":{\"ip\":\"203.0.113.5\"}"). */
int h_events(const struct harness *h, const char *needle);
int h_event_kind(const struct harness *h, const char *kind);
/* Deliveries to vm. */
int h_delivered_to(const struct harness *h, int vm);

#define H_GUEST_IP 0x0a000002u	/* 10.0.0.2, the qemu backend's shared guest address */

#endif
