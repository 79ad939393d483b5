/* SPDX-License-Identifier: ISC */
/*
 * The engine under its limits: clones in flight, parked packets, live
 * clones (reclaim under pressure), failed clones and their back-off,
 * lifetimes, infected clones kept, a bounded flow cache, and reloads.
 */
#include <stdio.h>
#include <string.h>

#include "t/lib/eharness.h"
#include "t/lib/tap.h"
#include "t/lib/testpkt.h"

static uint32_t A, FARM;

/* The test policy with these settings (and idle 10s unless they say otherwise). */
static char *
policy(char *buf, size_t cap, const char *extra)
{
	snprintf(buf, cap,
	    "farm 198.51.100.0/24\n"
	    "type web tcp 80\n"
	    "hosts 198.51.100.0/24 web\n"
	    "%s"
	    "%s"
	    "inbound bind\n"
	    "outbound drop\n", strstr(extra, "idle") ? "" : "idle 10s\n", extra);
	return buf;
}

static void
syn(struct harness *h, uint32_t src, uint32_t dst, uint16_t sport)
{
	uint8_t p[128];
	size_t n = tp_tcp(p, src, sport, dst, 80, TP_SYN, NULL);

	h_in(h, p, n);
}

static void
test_in_flight_and_pending(void)
{
	char text[512];
	struct harness *h = h_new(policy(text, sizeof(text), "limit clones 2\nlimit pending 3\n"));
	struct eng_stats st;
	int vm;

	syn(h, A, FARM + 1, 1);
	syn(h, A, FARM + 2, 1);
	syn(h, A, FARM + 3, 1);
	is(h->nclones, 2, "no more clones in flight than `limit clones`");
	eng_stats(h->e, &st);
	is(st.over_clones, 1, "the refusal is counted");
	is(h_event_kind(h, "overload"), 1, "and reported");
	for (int i = 0; i < 4; i++)
		syn(h, A, FARM + 1, (uint16_t)(10 + i));
	vm = h_ready(h, 0, 0);
	is(h_delivered_to(h, vm), 3, "`limit pending 3` parks three packets, in all");
	eng_stats(h->e, &st);
	is(st.park_dropped, 2, "the others are dropped and counted");
	ok(tp_sport(h->delivered[0].pkt) == 1 && tp_sport(h->delivered[1].pkt) == 10 &&
	    tp_sport(h->delivered[2].pkt) == 11,
	    "parked packets are delivered in the order they came");
	syn(h, A, FARM + 3, 1);
	is(h->nclones, 3, "a slot in flight frees up when a clone is ready");
	h_free(h);
}

static void
test_pressure(void)
{
	char text[512];
	struct harness *h = h_new(policy(text, sizeof(text), "limit vms 2\n"));
	int first, second;

	syn(h, A, FARM + 1, 1);
	first = h_ready(h, 0, 0);
	h_advance(h, 100);
	syn(h, A, FARM + 2, 1);
	second = h_ready(h, 1, 0);
	h_advance(h, 100);
	syn(h, A, FARM + 3, 1);
	is(h->nclones, 3, "at `limit vms`, a new address still gets a clone");
	is(h->nteardowns, 1, "by reclaiming one");
	is(h->teardowns[0], first, "the one idle the longest");
	is(h_events(h, "\"reason\":\"pressure\""), 1, "reclaim event says pressure");
	(void)second;
	h_free(h);
}

static void
test_failure_and_backoff(void)
{
	char text[512];
	struct eng_config c;
	struct harness *h;
	struct eng_stats st;

	eng_config_defaults(&c);
	c.backoff_ms = 2000;
	h = h_new_config(policy(text, sizeof(text), ""), &c);
	syn(h, A, FARM + 1, 1);
	syn(h, A, FARM + 1, 2);
	h_fail(h, 0, "the snapshot is missing");
	is(h_event_kind(h, "bind-failed"), 1, "a failed clone is an event");
	is(h_events(h, "the snapshot is missing"), 1, "with the reason");
	eng_stats(h->e, &st);
	is(st.park_dropped, 2, "its parked packets are dropped and counted");
	is(h->ndelivered, 0, "and never delivered");
	syn(h, A, FARM + 1, 3);
	is(h->nclones, 1, "the address backs off");
	h_advance(h, 2001);
	syn(h, A, FARM + 1, 4);
	is(h->nclones, 2, "and binds again afterwards");
	h_free(h);
}

static void
test_lifetime_and_infected_keep(void)
{
	char text[512];
	struct harness *h = h_new(policy(text, sizeof(text), "idle 1s\nlifetime 3s\n"));
	const char *why;
	int vm;

	syn(h, A, FARM + 1, 1);
	vm = h_ready(h, 0, 0);
	for (int i = 0; i < 5; i++) {
		h_advance(h, 700);
		syn(h, A, FARM + 1, 1);
	}
	is(h->nteardowns, 1, "a busy clone is reclaimed at the end of its lifetime");
	is(h_events(h, "\"reason\":\"lifetime\""), 1, "reason lifetime");
	h_free(h);

	h = h_new(policy(text, sizeof(text), "idle 500ms\ninfected keep 1m\n"));
	syn(h, A, FARM + 1, 1);
	vm = h_ready(h, 0, 0);
	eng_mark_infected(h->e, vm, "test", h->now, &why);
	h_advance(h, 30000);
	is(h->nteardowns, 0, "an infected clone is kept past its idle timeout");
	h_advance(h, 31000);
	is(h->nteardowns, 1, "until its own lifetime ends");
	h_free(h);

	h = h_new(policy(text, sizeof(text), "idle 500ms\ninfected freeze\n"));
	syn(h, A, FARM + 1, 1);
	vm = h_ready(h, 0, 0);
	eng_mark_infected(h->e, vm, "test", h->now, &why);
	h_advance(h, 1000);
	is(h->nfreezes, 1, "`infected freeze` freezes instead of tearing down");
	is(h->nteardowns, 0, "and does not tear down");
	h_free(h);
}

static void
test_bounded_flows(void)
{
	char text[512];
	struct harness *h = h_new(policy(text, sizeof(text), "limit flows 16\n"));
	struct eng_stats st;

	syn(h, A, FARM + 1, 1);
	h_ready(h, 0, 0);
	for (uint16_t port = 1; port <= 500; port++)
		syn(h, A, FARM + 1, port);
	eng_stats(h->e, &st);
	ok(st.flows <= 16, "the flow cache stays within `limit flows` (%zu)", st.flows);
	is(h_delivered_to(h, 1), 501, "and every packet still reaches the clone");
	h_free(h);
}

static void
test_reload(void)
{
	char text[512];
	struct harness *h = h_new(policy(text, sizeof(text), ""));
	struct eng_stats st;
	int vm;

	syn(h, A, FARM + 1, 1);
	vm = h_ready(h, 0, 0);
	is(h_reload(h, policy(text, sizeof(text), "idle 1s\n")), 0,
	    "a new policy is swapped in");
	is(h_event_kind(h, "reload"), 1, "with a reload event");
	eng_stats(h->e, &st);
	is(st.vms, 1, "live clones survive the reload");
	is(st.flows, 0, "cached flows do not");
	syn(h, A, FARM + 1, 1);
	is(h_delivered_to(h, vm), 2, "the clone still gets its traffic");
	h_advance(h, 1500);
	is(h->nteardowns, 1, "under the new idle timeout");
	h_free(h);
}

static enum eng_verdict
reply(struct harness *h, int vm, uint16_t sport)
{
	uint8_t p[128];
	size_t n = tp_tcp(p, FARM + 1, 80, A, sport, TP_SYN | TP_ACK, NULL);

	return h_out(h, vm, p, n);
}

/* A reload must not refill a bucket whose rule did not change. */
static void
test_reload_keeps_buckets(void)
{
	char text[512];
	struct harness *h = h_new(policy(text, sizeof(text), "outbound pass proto tcp limit 1/1h\n"));
	int vm;

	syn(h, A, FARM + 1, 1);
	vm = h_ready(h, 0, 0);
	is(reply(h, vm, 1), ENG_PASS, "the first reply passes");
	is(reply(h, vm, 2), ENG_DROP, "the second is over `limit 1/1h`");
	is(h_reload(h, policy(text, sizeof(text),
	    "outbound drop proto udp\noutbound pass proto tcp limit 1/1h\n")), 0,
	    "a reload adds a rule before it");
	is(reply(h, vm, 3), ENG_DROP, "the unchanged rule keeps its empty bucket");
	is(h_reload(h, policy(text, sizeof(text), "outbound pass proto tcp limit 2/1h\n")), 0,
	    "a reload changes the rule");
	is(reply(h, vm, 4), ENG_PASS, "a changed rule starts with a full bucket");
	h_free(h);
}

int
main(void)
{
	A = tp_ip("203.0.113.5");
	FARM = tp_ip("198.51.100.0");
	test_in_flight_and_pending();
	test_pressure();
	test_failure_and_backoff();
	test_lifetime_and_infected_keep();
	test_bounded_flows();
	test_reload();
	test_reload_keeps_buckets();
	return done_testing();
}
