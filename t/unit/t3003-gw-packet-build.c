/* SPDX-License-Identifier: ISC */
/*
 * The packets the gateway writes itself: TCP RST (RFC 793 reset
 * generation), ICMP destination unreachable quoting the IP header and 8
 * bytes, and plain UDP.  Each is checked field by field, against the
 * reference checksums, and by parsing it back.
 */
#include <string.h>

#include "gw-pktgen.h"
#include "engine/packet.h"
#include "t/lib/tap.h"

#define A_OUT	0xcb007107u	/* 203.0.113.7 */
#define A_FARM	0xc6336405u	/* 198.51.100.5 */

static uint8_t pay[70000];

static uint32_t
rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static size_t
tcp_in(uint8_t flags, uint32_t seq, uint32_t ack, size_t paylen, uint8_t *b,
    size_t cap)
{
	struct gen g;

	memset(&g, 0, sizeof g);
	g.proto = 6;
	g.src = A_OUT;
	g.dst = A_FARM;
	g.ttl = 50;
	g.sport = 51000;
	g.dport = 23;
	g.seq = seq;
	g.ack = ack;
	g.tcp_flags = flags;
	g.payload = pay;
	g.paylen = paylen;
	return gen_build(&g, b, cap);
}

/* Build a RST for the segment described; check the common fields. */
static bool
rst_for(uint8_t flags, uint32_t seq, uint32_t ack, size_t paylen, struct pkt *r,
    uint8_t *out)
{
	uint8_t in[2000];
	struct pkt p;
	size_t n = tcp_in(flags, seq, ack, paylen, in, sizeof in), m;

	if (pkt_parse(&p, in, n) != PKT_OK)
		return false;
	m = pkt_build_rst(&p, out, 64);
	if (m != 40 || pkt_parse(r, out, m) != PKT_OK)
		return false;
	return r->src == A_FARM && r->dst == A_OUT && r->sport == 23 &&
	    r->dport == 51000 && r->proto == 6 && r->ttl == 64 &&
	    (out[6] & 0x40) && r->payload_len == 0 && ref_ip_ok(out) &&
	    ref_l4_ok(out, 20);
}

static void
test_rst(void)
{
	uint8_t in[100], out[64];
	struct pkt p, r;
	size_t n;

	ok(rst_for(0x02, 1000, 0, 0, &r, out), "RST for a SYN: addresses, ports, checksums");
	is(r.tcp_flags, 0x14, "no ACK in: RST|ACK out");
	is(r.tcp_seq, 0, "seq 0");
	is(r.tcp_ack, 1001, "acknowledges the SYN");

	ok(rst_for(0x10, 5, 0x77777777, 100, &r, out), "RST for an ACK with data");
	is(r.tcp_flags, 0x04, "ACK in: bare RST out");
	is(r.tcp_seq, 0x77777777, "seq = the segment's ACK");
	is(r.tcp_ack, 0, "no ack number");

	ok(rst_for(0x01, 70, 0, 10, &r, out), "RST for a FIN with data, no ACK");
	is(r.tcp_ack, 81, "acknowledges data and FIN");
	ok(rst_for(0x03, 70, 0, 5, &r, out), "RST for SYN+FIN with data");
	is(r.tcp_ack, 77, "acknowledges data, SYN and FIN");
	ok(rst_for(0x00, 0xffffffff, 0, 0, &r, out), "RST for a null scan at seq 2^32-1");
	is(r.tcp_ack, 0xffffffff, "acknowledges nothing more");
	ok(rst_for(0x02, 0xffffffff, 0, 0, &r, out), "RST for a SYN at seq 2^32-1");
	is(r.tcp_ack, 0, "ack wraps");
	ok(rst_for(0x29, 1, 9, 3, &r, out), "RST for an Xmas scan (FIN PSH URG)");
	is(r.tcp_ack, 5, "acknowledges data and FIN");

	n = tcp_in(0x04, 1, 2, 0, in, sizeof in);
	pkt_parse(&p, in, n);
	is(pkt_build_rst(&p, out, sizeof out), 0, "never a RST for a RST");
	n = tcp_in(0x14, 1, 2, 0, in, sizeof in);
	pkt_parse(&p, in, n);
	is(pkt_build_rst(&p, out, sizeof out), 0, "never a RST for a RST|ACK");

	n = tcp_in(0x02, 1, 0, 0, in, sizeof in);
	pkt_parse(&p, in, n);
	is(pkt_build_rst(&p, out, 39), 0, "39 bytes of room are too few");
	is(pkt_build_rst(&p, out, 40), 40, "40 are enough");

	in[6] = 0x20;			/* MF: a first fragment */
	pkt_parse(&p, in, n);
	is(pkt_build_rst(&p, out, sizeof out), 0, "no RST for a fragment");
	in[6] = 0x40;

	in[12] = 224;			/* from multicast */
	pkt_parse(&p, in, n);
	is(pkt_build_rst(&p, out, sizeof out), 0, "no RST to a multicast source");
	in[12] = 203;
	in[16] = 255; in[17] = 255; in[18] = 255; in[19] = 255;
	pkt_parse(&p, in, n);
	is(pkt_build_rst(&p, out, sizeof out), 0, "no RST for a broadcast");
	in[16] = 198; in[17] = 51; in[18] = 100; in[19] = 5;

	in[9] = 17;
	pkt_parse(&p, in, n);
	is(pkt_build_rst(&p, out, sizeof out), 0, "no RST for UDP");
}

static void
test_unreach(void)
{
	struct gen g;
	uint8_t in[200], out[200];
	struct pkt p, r;
	size_t n, m;

	memset(&g, 0, sizeof g);
	g.proto = 17;
	g.src = A_OUT;
	g.dst = A_FARM;
	g.ipopt_len = 8;
	memset(g.ipopt, 1, 8);
	g.sport = 33434;
	g.dport = 161;
	g.payload = pay;
	g.paylen = 40;
	n = gen_build(&g, in, sizeof in);
	pkt_parse(&p, in, n);
	m = pkt_build_unreach(&p, 3, out, sizeof out);
	is(m, 20 + 8 + 28 + 8, "port unreachable quotes the header with options and 8 bytes");
	is(pkt_parse(&r, out, m), PKT_OK, "and parses");
	ok(r.src == A_FARM && r.dst == A_OUT && r.proto == 1 && r.ttl == 64,
	    "from the farm address to the sender");
	ok(r.icmp_type == 3 && r.icmp_code == 3, "type 3 code 3");
	is(rd32(out + 24), 0, "unused word is zero");
	ok(memcmp(out + 28, in, 36) == 0, "quote is the original's first bytes");
	ok(ref_ip_ok(out) && ref_icmp_ok(out, m - 20), "checksums verify");
	ok(r.has_quote && r.quote.src == A_OUT && r.quote.dst == A_FARM &&
	    r.quote.sport == 33434 && r.quote.dport == 161, "quote parses back");
	is(pkt_build_unreach(&p, 3, out, m - 1), 0, "one byte of room too few");
	is(pkt_build_unreach(&p, 13, out, m), m, "exact room is enough");
	is(out[21], 13, "any code (13: administratively prohibited)");

	/* A packet shorter than its header and 8 bytes is quoted whole. */
	g.proto = 47;
	g.ipopt_len = 0;
	g.paylen = 3;
	n = gen_build(&g, in, sizeof in);
	pkt_parse(&p, in, n);
	is(pkt_build_unreach(&p, 2, out, sizeof out), 20 + 8 + 23, "short packet quoted whole");

	g.proto = 1;
	g.icmp_type = 8;
	g.paylen = 20;
	n = gen_build(&g, in, sizeof in);
	pkt_parse(&p, in, n);
	ok(pkt_build_unreach(&p, 1, out, sizeof out) > 0, "an echo may get an error");
	in[20] = 11;
	pkt_parse(&p, in, n);
	is(pkt_build_unreach(&p, 1, out, sizeof out), 0, "no error for an error");
	in[20] = 3;
	pkt_parse(&p, in, n);
	is(pkt_build_unreach(&p, 1, out, sizeof out), 0, "no error for an unreachable");

	g.proto = 6;
	g.frag_field = 0x0002;
	n = gen_build(&g, in, sizeof in);
	pkt_parse(&p, in, n);
	is(pkt_build_unreach(&p, 3, out, sizeof out), 0, "no error for a later fragment");
	g.frag_field = 0x2000;
	n = gen_build(&g, in, sizeof in);
	pkt_parse(&p, in, n);
	ok(pkt_build_unreach(&p, 3, out, sizeof out) > 0, "a first fragment may get one");

	g.frag_field = 0;
	g.src = 0;
	n = gen_build(&g, in, sizeof in);
	pkt_parse(&p, in, n);
	is(pkt_build_unreach(&p, 3, out, sizeof out), 0, "none to 0.0.0.0");
	g.src = 0x7f000001;
	n = gen_build(&g, in, sizeof in);
	pkt_parse(&p, in, n);
	is(pkt_build_unreach(&p, 3, out, sizeof out), 0, "none to loopback");
	g.src = 0xf0000001;
	n = gen_build(&g, in, sizeof in);
	pkt_parse(&p, in, n);
	is(pkt_build_unreach(&p, 3, out, sizeof out), 0, "none to class E");
	g.src = A_OUT;
	g.dst = 0xe0000001;
	n = gen_build(&g, in, sizeof in);
	pkt_parse(&p, in, n);
	is(pkt_build_unreach(&p, 3, out, sizeof out), 0, "none for a multicast destination");
}

static void
test_udp(void)
{
	static uint8_t out[70000];
	struct pkt r;
	size_t m;
	uint16_t sum;

	memcpy(pay, "\x12\x34\x01\x00\x00\x01", 6);
	m = pkt_build_udp(A_FARM, 53, A_OUT, 40000, pay, 6, out, sizeof out);
	is(m, 34, "UDP of 6 bytes is 34 long");
	is(pkt_parse(&r, out, m), PKT_OK, "and parses");
	ok(r.src == A_FARM && r.dst == A_OUT && r.sport == 53 && r.dport == 40000,
	    "addresses and ports");
	ok(r.payload_len == 6 && memcmp(out + r.payload_off, pay, 6) == 0, "payload");
	ok(ref_ip_ok(out) && ref_l4_ok(out, 14) && (out[26] || out[27]),
	    "checksums set and verify");

	is(pkt_build_udp(A_FARM, 1, A_OUT, 2, NULL, 0, out, 28), 28, "empty datagram");
	ok(ref_l4_ok(out, 8), "verifies");
	is(pkt_build_udp(A_FARM, 1, A_OUT, 2, pay, 6, out, 33), 0, "no room");
	is(pkt_build_udp(A_FARM, 1, A_OUT, 2, pay, 65507, out, sizeof out), 65535,
	    "largest datagram");
	is(pkt_build_udp(A_FARM, 1, A_OUT, 2, pay, 65508, out, sizeof out), 0,
	    "one byte more does not fit in IPv4");

	/* The payload may already lie where it goes. */
	memcpy(out + 28, "in place", 8);
	m = pkt_build_udp(A_FARM, 7, A_OUT, 7, out + 28, 8, out, sizeof out);
	ok(m == 36 && memcmp(out + 28, "in place", 8) == 0 && ref_l4_ok(out, 16),
	    "payload in place");

	/* A checksum that computes to 0 is sent as 0xffff. */
	m = pkt_build_udp(A_FARM, 7, A_OUT, 7, (const uint8_t *)"\0\0", 2, out, sizeof out);
	out[26] = out[27] = 0;
	sum = ref_sum(out + 20, 10, ref_sum(out + 12, 8, 17u + 10u));
	pay[0] = (uint8_t)(~sum >> 8);
	pay[1] = (uint8_t)~sum;
	m = pkt_build_udp(A_FARM, 7, A_OUT, 7, pay, 2, out, sizeof out);
	is(out[26] << 8 | out[27], 0xffff, "computed 0 is written 0xffff");
	ok(ref_l4_ok(out, m - 20), "and verifies");
}

int
main(void)
{
	test_rst();
	test_unreach();
	test_udp();
	return done_testing();
}
