/* SPDX-License-Identifier: ISC */
/*
 * Who may be a peer of the farm: an inbound packet "from" a special-purpose
 * address (private, link-local, shared, reserved, ...) or from the farm
 * itself touches no table and makes no clone, so no history can later let
 * `outbound pass reply` talk to such an address; and no `pass` ever goes
 * towards one.  Documentation addresses are peers when the farm lives in
 * documentation space; the operator's sources_allowed are always peers.
 */
#include <stdio.h>
#include <string.h>

#include "t/lib/eharness.h"
#include "t/lib/tap.h"
#include "t/lib/testpkt.h"

static const char doc_farm[] =
    "farm 198.51.100.0/24\n"
    "type web tcp { 22 80 }\n"
    "hosts 198.51.100.0/24 web\n"
    "universe per-source\n"
    "inbound bind\n"
    "outbound pass reply within 10m\n"
    "outbound pass\n";

static const char global_farm[] =
    "farm 11.0.0.0/24\n"
    "type web tcp 80\n"
    "hosts 11.0.0.0/24 web\n"
    "inbound bind\n"
    "outbound pass\n";

static struct eng_stats
stats(const struct harness *h)
{
	struct eng_stats st;

	eng_stats(h->e, &st);
	return st;
}

static enum eng_verdict
syn_from(struct harness *h, const char *src, const char *dst)
{
	uint8_t p[128];
	size_t n = tp_tcp(p, tp_ip(src), 40000, tp_ip(dst), 80, TP_SYN, NULL);

	return h_in(h, p, n);
}

static void
test_special_sources_touch_nothing(void)
{
	static const char *const spoofed[] = {
		"10.1.2.3", "172.16.5.5", "192.168.0.1", "169.254.169.254",
		"100.64.0.1", "240.0.0.1", "198.18.0.1", "192.0.0.9", "0.1.2.3",
		"192.88.99.1",
	};
	struct harness *h = h_new(doc_farm);
	size_t n = sizeof(spoofed) / sizeof(spoofed[0]);

	for (size_t i = 0; i < n; i++)
		syn_from(h, spoofed[i], "198.51.100.7");
	is(h->nclones, 0, "no clone for %zu special-purpose sources", n);
	is(stats(h).special_source, n, "each refusal counted");
	is(stats(h).history, 0, "no history entry");
	is(stats(h).scan_sources, 0, "no scan-filter entry");
	is(stats(h).universes, 0, "no universe");

	syn_from(h, "198.51.100.9", "198.51.100.7");
	is(stats(h).farm_source, 1, "a source inside the farm is refused too");
	syn_from(h, "127.0.0.1", "198.51.100.7");
	syn_from(h, "224.0.0.5", "198.51.100.7");
	syn_from(h, "255.255.255.255", "198.51.100.7");
	is(stats(h).martian, 3, "loopback, multicast, broadcast: martians");
	is(h->nclones, 0, "still no clone");

	syn_from(h, "203.0.113.5", "198.51.100.7");
	is(h->nclones, 1, "documentation sources are peers of a documentation farm");
	h_free(h);
}

static void
test_documentation_outside_a_lab(void)
{
	struct harness *h = h_new(global_farm);
	struct eng_config c;

	syn_from(h, "203.0.113.5", "11.0.0.7");
	is(h->nclones, 0, "documentation sources are refused by a farm on the Internet");
	is(stats(h).special_source, 1, "counted");
	h_free(h);

	eng_config_defaults(&c);
	prefix_parse("203.0.113.0/24", 14, &c.sources_allowed[0]);
	prefix_parse("10.0.0.0/8", 10, &c.sources_allowed[1]);
	c.nsources_allowed = 2;
	h = h_new_config(global_farm, &c);
	syn_from(h, "203.0.113.5", "11.0.0.7");
	syn_from(h, "10.9.9.9", "11.0.0.8");
	is(h->nclones, 2, "unless the operator allows them (sources_allowed)");
	syn_from(h, "127.0.0.1", "11.0.0.9");
	is(h->nclones, 2, "loopback never, whatever is allowed");
	h_free(h);
}

static enum eng_verdict
out_to(struct harness *h, int vm, const char *dst)
{
	uint8_t p[128];
	size_t n = tp_tcp(p, H_GUEST_IP, 5000, tp_ip(dst), 443, TP_SYN, NULL);

	return h_out(h, vm, p, n);
}

static void
test_pass_never_towards_special(void)
{
	static const char *const special[] = {
		"10.1.2.3", "169.254.169.254", "100.64.0.1", "192.168.1.1",
		"240.0.0.1", "224.0.0.251", "255.255.255.255", "127.0.0.1",
	};
	struct harness *h = h_new(doc_farm);
	size_t n = sizeof(special) / sizeof(special[0]);
	int vm;

	syn_from(h, "203.0.113.5", "198.51.100.7");
	vm = h_ready(h, 0, H_GUEST_IP);
	for (size_t i = 0; i < n; i++)
		is(out_to(h, vm, special[i]), ENG_DROP, "no pass to %s", special[i]);
	is(stats(h).special_dest, n, "each counted");
	is(out_to(h, vm, "203.0.113.5"), ENG_PASS, "the peer itself is passed");
	is(out_to(h, vm, "192.0.2.77"), ENG_PASS, "and another documentation address");
	h_free(h);
}

static void
test_allowed_destinations_pass(void)
{
	struct harness *h;
	struct eng_config c;
	int vm;

	eng_config_defaults(&c);
	prefix_parse("10.0.0.0/8", 10, &c.sources_allowed[0]);
	c.nsources_allowed = 1;
	h = h_new_config(doc_farm, &c);
	syn_from(h, "10.1.2.3", "198.51.100.7");
	vm = h_ready(h, 0, H_GUEST_IP);
	is(out_to(h, vm, "10.1.2.3"), ENG_PASS, "an allowed private peer is answered");
	is(out_to(h, vm, "169.254.169.254"), ENG_DROP, "link-local still is not");
	h_free(h);
}

static void
test_reload_follows_the_farm(void)
{
	struct harness *h = h_new(global_farm);

	syn_from(h, "203.0.113.5", "11.0.0.7");
	is(h->nclones, 0, "refused while the farm is on the Internet");
	ok(h_reload(h, "farm 11.0.0.0/24\nfarm 192.0.2.0/24\ntype web tcp 80\n"
	    "hosts 11.0.0.0/24 web\ninbound bind\n") == 0,
	    "a farm prefix in documentation space is added");
	syn_from(h, "203.0.113.5", "11.0.0.7");
	is(h->nclones, 1, "documentation sources are peers from then on");
	h_free(h);
}

int
main(void)
{
	test_special_sources_touch_nothing();
	test_documentation_outside_a_lab();
	test_pass_never_towards_special();
	test_allowed_destinations_pass();
	test_reload_follows_the_farm();
	return done_testing();
}
