/* SPDX-License-Identifier: ISC */
/*
 * Folded events: the first `log` event from a source about a rule in an
 * interval is told at once, its repeats as one event with their count at
 * the interval's end; a full fold table counts without telling.
 */
#include <stdio.h>
#include <string.h>

#include "t/lib/eharness.h"
#include "t/lib/tap.h"
#include "t/lib/testpkt.h"

static const char policy[] =
    "farm 198.51.100.0/24\ntype web tcp 80\nhosts 198.51.100.0/24 web\n"
    "inbound drop proto udp log\ninbound bind\noutbound drop\n";

static void
udp_from(struct harness *h, uint32_t src, uint32_t dst)
{
	uint8_t p[128];
	size_t n = tp_udp(p, src, 1234, dst, 9, NULL, 0);

	h_in(h, p, n);
}

static void
test_folding(void)
{
	struct harness *h = h_new(policy);
	uint32_t a = tp_ip("203.0.113.5"), b = tp_ip("203.0.113.6");
	uint32_t farm = tp_ip("198.51.100.0");
	struct eng_stats st;

	/* 200 flows: each is decided once, the rest follow the flow cache. */
	for (uint32_t i = 0; i < 200; i++)
		udp_from(h, a, farm + 1 + i);
	is(h_event_kind(h, "log"), 1, "200 logged decisions about one source: one event");
	udp_from(h, b, farm + 1);
	is(h_event_kind(h, "log"), 2, "another source has its own");
	eng_stats(h->e, &st);
	is(st.events_folded, 199, "the repeats are counted");
	h_advance(h, 5001);
	is(h_event_kind(h, "log"), 3, "and told as one event at the interval's end");
	is(h_events(h, "\"count\":199"), 1, "with their count");
	is(h_events(h, "\"reason\":\"folded\""), 1, "saying they were folded");
	udp_from(h, a, farm + 201);
	is(h_event_kind(h, "log"), 4, "the next interval starts afresh");
	h_free(h);
}

static void
test_bounded(void)
{
	struct eng_config c;
	struct harness *h;
	struct eng_stats st;
	uint32_t src = tp_ip("203.0.113.0");

	eng_config_defaults(&c);
	c.fold_max = 16;
	h = h_new_config(policy, &c);
	for (uint32_t i = 0; i < 100; i++)
		udp_from(h, src + (i % 250), tp_ip("198.51.100.9"));
	ok(h_event_kind(h, "log") <= 16, "a full fold table tells no more (%d)",
	    h_event_kind(h, "log"));
	eng_stats(h->e, &st);
	ok(st.events_folded >= 84, "it counts what it does not tell (%llu)",
	    (unsigned long long)st.events_folded);
	h_free(h);
}

int
main(void)
{
	test_folding();
	test_bounded();
	return done_testing();
}
