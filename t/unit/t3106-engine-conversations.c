/* SPDX-License-Identifier: ISC */
/*
 * "reply conversation within": a clone may answer what the peer started
 * (the same protocol and ports, an echo reply to its echo, an ICMP error
 * about its packet) and nothing else, where "reply within" lets it send
 * anything to that peer.
 */
#include <stdio.h>
#include <string.h>

#include "t/lib/eharness.h"
#include "t/lib/tap.h"
#include "t/lib/testpkt.h"

static uint32_t A, FARM7;

static struct harness *
farm_with(const char *outbound)
{
	char text[512];

	snprintf(text, sizeof(text), "farm 198.51.100.0/24\ntype web tcp 80 udp 9\n"
	    "hosts 198.51.100.0/24 web\nidle 1h\ninbound bind\n%soutbound drop\n", outbound);
	return h_new(text);
}

/* The peer opens TCP sport -> 80; the clone it gets. */
static int
opened(struct harness *h, uint16_t sport)
{
	uint8_t p[128];
	size_t n = tp_tcp(p, A, sport, FARM7, 80, TP_SYN, NULL);

	h_in(h, p, n);
	return h->nclones ? h_ready(h, 0, H_GUEST_IP) : -1;
}

static enum eng_verdict
tcp_out(struct harness *h, int vm, uint16_t sport, uint16_t dport)
{
	uint8_t p[128];
	size_t n = tp_tcp(p, H_GUEST_IP, sport, A, dport, TP_SYN | TP_ACK, NULL);

	return h_out(h, vm, p, n);
}

static void
test_narrow(void)
{
	struct harness *h = farm_with("outbound pass reply conversation within 10m\n");
	uint8_t p[256], q[128];
	size_t n, qn;
	int vm = opened(h, 40000);

	is(tcp_out(h, vm, 80, 40000), ENG_PASS, "the answer to the peer's connection passes");
	is(tcp_out(h, vm, 5000, 22), ENG_DROP, "a connection of the clone's own does not");
	is(tcp_out(h, vm, 80, 40001), ENG_DROP, "nor one to another of the peer's ports");
	n = tp_udp(p, H_GUEST_IP, 80, A, 40000, NULL, 0);
	is(h_out(h, vm, p, n), ENG_DROP, "nor the same ports over UDP");

	/* The peer's UDP to port 9, and the clone's port unreachable about it. */
	qn = tp_udp(q, A, 5353, FARM7, 9, NULL, 0);
	h_in(h, q, qn);
	n = tp_icmp_error(p, H_GUEST_IP, A, 3, 3, q, 28);
	is(h_out(h, vm, p, n), ENG_PASS, "an ICMP error about the peer's packet passes");
	qn = tp_udp(q, A, 5354, FARM7, 9, NULL, 0);
	n = tp_icmp_error(p, H_GUEST_IP, A, 3, 3, q, 28);
	is(h_out(h, vm, p, n), ENG_DROP, "one about a packet the peer never sent does not");
	qn = tp_udp(q, A, 5353, FARM7 + 1, 9, NULL, 0);
	n = tp_icmp_error(p, H_GUEST_IP, A, 3, 3, q, 28);
	is(h_out(h, vm, p, n), ENG_DROP, "nor one about the peer's packet to another address");

	/* Echo: the reply to the peer's ping, not to another. */
	n = tp_icmp_echo(p, A, FARM7, 77, 1);
	h_in(h, p, n);
	n = tp_icmp_echo(p, H_GUEST_IP, A, 77, 1);
	p[20] = 0;	/* echo reply */
	is(h_out(h, vm, p, n), ENG_PASS, "the echo reply to the peer's echo passes");
	n = tp_icmp_echo(p, H_GUEST_IP, A, 78, 1);
	p[20] = 0;
	is(h_out(h, vm, p, n), ENG_DROP, "an echo reply with another id does not");

	h_advance(h, 11 * 60 * 1000);
	is(tcp_out(h, vm, 80, 40000), ENG_DROP, "and nothing passes after the window");
	h_free(h);
}

static void
test_wide(void)
{
	struct harness *h = farm_with("outbound pass reply within 10m\n");
	int vm = opened(h, 40000);

	is(tcp_out(h, vm, 5000, 22), ENG_PASS, "control: 'reply within' lets anything to the peer out");
	h_free(h);
}

static void
test_few_remembered(void)
{
	struct harness *h = farm_with("outbound pass reply conversation within 10m\n");
	int vm = opened(h, 1);

	for (uint16_t port = 2; port <= 4; port++)
		opened(h, port);
	is(tcp_out(h, vm, 80, 4), ENG_PASS, "the latest conversations are remembered");
	is(tcp_out(h, vm, 80, 1), ENG_DROP, "beyond three, the oldest is forgotten: less goes out, never more");
	h_free(h);
}

/*
 * A conversation rule before a plain reply rule: the second must ask the
 * history itself, not take the first's answer for its own.
 */
static void
test_narrow_then_wide(void)
{
	struct harness *h = farm_with("outbound pass proto tcp reply conversation within 10m\n"
	    "outbound pass reply within 30s\n");
	uint8_t p[128];
	size_t n;
	int vm = opened(h, 40000);

	n = tp_tcp(p, H_GUEST_IP, 5000, tp_ip("203.0.113.99"), 443, TP_SYN, NULL);
	is(h_out(h, vm, p, n), ENG_DROP, "to an address that never spoke: dropped by both rules");
	is(tcp_out(h, vm, 5000, 22), ENG_PASS, "to the peer within 30s: the wide rule passes");
	h_advance(h, 60 * 1000);
	is(tcp_out(h, vm, 5000, 22), ENG_DROP, "after 30s, not any more");
	is(tcp_out(h, vm, 80, 40000), ENG_PASS, "its conversation still passes");
	h_free(h);
}

int
main(void)
{
	A = tp_ip("203.0.113.5");
	FARM7 = tp_ip("198.51.100.7");
	test_narrow();
	test_wide();
	test_few_remembered();
	test_narrow_then_wide();
	return done_testing();
}
