/* SPDX-License-Identifier: ISC */
/*
 * Packet parsing: every field of hand-built packets, every malformed case
 * of enum pkt_err, and truncation at every byte.  Truncated inputs live in
 * buffers of exactly their length, so the sanitizer build catches any read
 * past the end.
 */
#include <stdlib.h>
#include <string.h>

#include "gw-pktgen.h"
#include "engine/packet.h"
#include "t/lib/tap.h"

#define A_OUT	0xcb007107u	/* 203.0.113.7 */
#define A_FARM	0xc6336405u	/* 198.51.100.5 */

static uint8_t pay[1500];

/* Parse a copy of b[0..n) held in a buffer of exactly n bytes. */
static enum pkt_err
parse_exact(const uint8_t *b, size_t n)
{
	struct pkt p;
	uint8_t *copy = malloc(n ? n : 1);
	enum pkt_err e;

	if (!copy)
		bail_out("out of memory");
	memcpy(copy, b, n);
	e = pkt_parse(&p, n ? copy : NULL, n);
	free(copy);
	return e;
}

static void
base_tcp(struct gen *g)
{
	static const uint8_t opt[12] = { 2, 4, 5, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7 };

	memset(g, 0, sizeof *g);
	g->proto = 6;
	g->src = A_OUT;
	g->dst = A_FARM;
	g->ttl = 57;
	g->id = 0x1234;
	g->sport = 40000;
	g->dport = 445;
	g->seq = 0xdeadbeef;
	g->ack = 0x01020304;
	g->tcp_flags = 0x18;	/* PSH ACK */
	g->tcpopt_len = 12;
	memcpy(g->tcpopt, opt, sizeof opt);
	g->payload = pay;
	g->paylen = 33;
}

static void
test_tcp(void)
{
	struct gen g;
	struct pkt p;
	uint8_t b[256];
	size_t n;

	base_tcp(&g);
	g.ipopt_len = 8;
	memset(g.ipopt, 1, 7);		/* NOPs, then EOL */
	n = gen_build(&g, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "TCP with IP and TCP options parses");
	ok1(p.data == b);
	is(p.len, n, "len is the total length");
	is(p.ihl, 28, "ihl counts the options");
	is(p.proto, 6, "proto");
	is(p.ttl, 57, "ttl");
	is(p.src, A_OUT, "src in host order");
	is(p.dst, A_FARM, "dst in host order");
	is(p.frag, 0, "no fragment offset");
	ok(!p.more_frags && !pkt_is_fragment(&p), "not a fragment");
	ok(p.has_l4, "has_l4");
	is(p.l4_off, 28, "l4_off behind the options");
	is(p.sport, 40000, "sport");
	is(p.dport, 445, "dport");
	is(p.tcp_flags, 0x18, "tcp_flags");
	is(p.tcp_seq, 0xdeadbeef, "tcp_seq");
	is(p.tcp_ack, 0x01020304, "tcp_ack");
	is(p.payload_off, 28 + 32, "payload_off behind the TCP options");
	is(p.payload_len, 33, "payload_len");
	ok(!p.has_quote, "no quote");

	/* Trailing bytes (Ethernet padding, junk) beyond tot_len. */
	memset(b + n, 0xee, 40);
	is(pkt_parse(&p, b, n + 40), PKT_OK, "trailing bytes are ignored");
	is(p.len, n, "len stays the IP total length");
	is(p.payload_len, 33, "payload stops at the total length");

	/* Data offset checks. */
	b[28 + 12] = 4 << 4;
	is(pkt_parse(&p, b, n), PKT_EL4HDR, "TCP data offset 4 is rejected");
	b[28 + 12] = 0;
	is(pkt_parse(&p, b, n), PKT_EL4HDR, "TCP data offset 0 is rejected");
	b[28 + 12] = 15 << 4;
	g.paylen = 0;
	n = gen_build(&g, b, sizeof b);
	b[28 + 12] = 15 << 4;
	is(pkt_parse(&p, b, n), PKT_EL4SHORT, "TCP data offset past the packet");

	/* Exactly a header, no payload. */
	g.tcpopt_len = 0;
	g.ipopt_len = 0;
	g.tcp_flags = 0x02;
	n = gen_build(&g, b, sizeof b);
	is(n, 40, "bare SYN is 40 bytes");
	is(pkt_parse(&p, b, n), PKT_OK, "bare SYN parses");
	ok(p.has_l4 && p.payload_len == 0 && p.payload_off == 40, "empty payload at the end");
	is(p.tcp_flags, 0x02, "SYN flag");
	is(parse_exact(b, 39), PKT_ETOTLEN, "39 bytes of a 40-byte SYN");
	b[3] = 39;
	b[10] = b[11] = 0;
	is(parse_exact(b, 39), PKT_EL4SHORT, "TCP header of 19 bytes");
}

static void
test_udp(void)
{
	struct gen g;
	struct pkt p;
	uint8_t b[256];
	size_t n;

	memset(&g, 0, sizeof g);
	g.proto = 17;
	g.src = A_FARM;
	g.dst = A_OUT;
	g.ttl = 64;
	g.sport = 53;
	g.dport = 33000;
	g.payload = pay;
	g.paylen = 50;
	n = gen_build(&g, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "UDP parses");
	ok(p.has_l4 && p.proto == 17, "UDP has_l4");
	is(p.sport, 53, "UDP sport");
	is(p.dport, 33000, "UDP dport");
	is(p.l4_off, 20, "UDP l4_off");
	is(p.payload_off, 28, "UDP payload_off");
	is(p.payload_len, 50, "UDP payload_len");
	is(p.tcp_flags, 0, "no TCP fields for UDP");

	b[24] = 0; b[25] = 30;		/* UDP length shorter than the IP payload */
	is(pkt_parse(&p, b, n), PKT_OK, "UDP length below the IP payload");
	is(p.payload_len, 22, "payload stops at the UDP length");
	b[25] = 8;
	is(pkt_parse(&p, b, n), PKT_OK, "UDP length 8: empty datagram");
	is(p.payload_len, 0, "empty UDP payload");
	b[25] = 7;
	is(pkt_parse(&p, b, n), PKT_EL4HDR, "UDP length 7");
	b[25] = 0;
	is(pkt_parse(&p, b, n), PKT_EL4HDR, "UDP length 0");
	b[24] = 0; b[25] = 59;
	is(pkt_parse(&p, b, n), PKT_EL4HDR, "UDP length past the IP payload");
	b[24] = 0xff; b[25] = 0xff;
	is(pkt_parse(&p, b, n), PKT_EL4HDR, "UDP length 65535 in a small packet");

	g.paylen = 0;
	n = gen_build(&g, b, sizeof b);
	b[3] = 27;
	is(parse_exact(b, 27), PKT_EL4SHORT, "UDP header of 7 bytes");
}

static void
test_icmp_echo(void)
{
	struct gen g;
	struct pkt p;
	uint8_t b[256];
	size_t n;
	int t;

	memset(&g, 0, sizeof g);
	g.proto = 1;
	g.src = A_OUT;
	g.dst = A_FARM;
	g.icmp_type = 8;
	g.icmp_rest = 0xbeef0007;	/* id 0xbeef, sequence 7 */
	g.payload = pay;
	g.paylen = 56;
	n = gen_build(&g, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "ICMP echo parses");
	ok(p.has_l4, "echo has_l4");
	is(p.icmp_type, 8, "icmp_type");
	is(p.icmp_code, 0, "icmp_code");
	is(p.sport, 0xbeef, "echo id in sport");
	is(p.dport, 0, "echo dport 0");
	is(p.payload_off, 28, "echo payload_off");
	is(p.payload_len, 56, "echo payload_len");
	ok(!p.has_quote, "an echo has no quote");

	/* Queries with identifiers all carry it; others do not. */
	for (t = 0; t < 256; t++) {
		bool has_id = t == 0 || t == 8 || (t >= 13 && t <= 18);

		b[20] = (uint8_t)t;
		if (pkt_parse(&p, b, n) != PKT_OK || (p.sport == 0xbeef) != has_id)
			break;
	}
	is(t, 256, "id in sport exactly for echo, timestamp, information, mask");

	/* An IP header inside a non-error ICMP message is not a quote. */
	g.icmp_type = 8;
	g.paylen = 60;
	memset(pay, 0, 60);
	pay[0] = 0x45;
	n = gen_build(&g, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "echo carrying an IP header");
	ok(!p.has_quote, "is not taken for a quote");
	memset(pay, 0, sizeof pay);

	g.paylen = 0;
	n = gen_build(&g, b, sizeof b);
	b[3] = 27;
	is(parse_exact(b, 27), PKT_EL4SHORT, "ICMP header of 7 bytes");
}

/* An ICMP error of type from A_FARM's router about a packet quote[0..qn). */
static size_t
icmp_error(uint8_t type, const uint8_t *quote, size_t qn, uint8_t *b, size_t cap)
{
	struct gen g;

	memset(&g, 0, sizeof g);
	g.proto = 1;
	g.src = 0xc0000201;	/* 192.0.2.1, a router */
	g.dst = A_FARM;
	g.icmp_type = type;
	g.icmp_code = 3;
	g.payload = quote;
	g.paylen = qn;
	return gen_build(&g, b, cap);
}

static void
test_icmp_errors(void)
{
	static const uint8_t types[] = { 3, 4, 5, 11, 12 };
	struct gen g;
	struct pkt p;
	uint8_t in[256], b[512];
	size_t n, qn;
	unsigned i;

	/* The quoted packet: what the farm address sent, with IP options. */
	base_tcp(&g);
	g.src = A_FARM;
	g.dst = A_OUT;
	g.sport = 445;
	g.dport = 40000;
	g.ipopt_len = 4;
	memset(g.ipopt, 1, 4);
	qn = gen_build(&g, in, sizeof in);
	for (i = 0; i < sizeof types; i++) {
		n = icmp_error(types[i], in, 24 + 8, b, sizeof b);
		is(pkt_parse(&p, b, n), PKT_OK, "ICMP type %u quoting TCP parses", types[i]);
		ok(p.has_quote, "type %u has a quote", types[i]);
		is(p.icmp_type, types[i], "icmp_type %u", types[i]);
		is(p.icmp_code, 3, "icmp_code");
		is(p.quote.off, 28, "quote.off");
		is(p.quote.len, 32, "quote.len is the bytes present");
		is(p.quote.ihl, 24, "quote.ihl with options");
		is(p.quote.proto, 6, "quote.proto");
		is(p.quote.src, A_FARM, "quote.src");
		is(p.quote.dst, A_OUT, "quote.dst");
		ok(p.quote.has_ports, "quote has ports");
		is(p.quote.sport, 445, "quote.sport");
		is(p.quote.dport, 40000, "quote.dport");
	}
	n = icmp_error(0, in, 32, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "echo reply carrying a header parses");
	ok(!p.has_quote, "echo reply has no quote");

	/* The whole quoted packet, as Linux quotes small ones. */
	n = icmp_error(3, in, qn, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "whole packet quoted");
	is(p.quote.len, qn, "quote.len is the whole packet");

	/* Short quotes. */
	n = icmp_error(3, in, 24 + 3, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "quote with 3 bytes of TCP");
	ok(p.has_quote && !p.quote.has_ports, "has a quote without ports");
	is(p.quote.sport, 0, "no quoted sport");
	n = icmp_error(3, in, 24 + 4, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "quote with 4 bytes of TCP");
	ok(p.quote.has_ports && p.quote.dport == 40000, "4 bytes are enough for ports");
	n = icmp_error(3, in, 23, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "quote shorter than its own IHL");
	ok(!p.has_quote, "is no quote");
	n = icmp_error(3, in, 19, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "quote of 19 bytes");
	ok(!p.has_quote, "is no quote");
	n = icmp_error(3, in, 0, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "error with no quote at all");
	ok(!p.has_quote, "is no quote");

	in[0] = 0x65;
	n = icmp_error(3, in, 32, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "quote of version 6");
	ok(!p.has_quote, "is no quote");
	in[0] = 0x44;
	n = icmp_error(3, in, 32, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "quote with IHL 4");
	ok(!p.has_quote, "is no quote");
	in[0] = 0x46;

	/* A quoted later fragment has no ports. */
	in[6] = 0x00; in[7] = 0x10;
	n = icmp_error(11, in, 32, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "quote of a later fragment");
	ok(p.has_quote && !p.quote.has_ports, "has no ports");

	/* Quoted UDP and quoted echo. */
	memset(&g, 0, sizeof g);
	g.proto = 17;
	g.src = A_FARM;
	g.dst = A_OUT;
	g.sport = 5353;
	g.dport = 53;
	g.payload = pay;
	g.paylen = 12;
	qn = gen_build(&g, in, sizeof in);
	n = icmp_error(3, in, qn, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "quote of UDP");
	ok(p.quote.has_ports && p.quote.sport == 5353 && p.quote.dport == 53,
	    "quoted UDP ports");
	g.proto = 1;
	g.icmp_type = 8;
	g.icmp_rest = 0x42420001;
	qn = gen_build(&g, in, sizeof in);
	n = icmp_error(11, in, qn, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "quote of an echo");
	ok(p.quote.has_ports && p.quote.sport == 0x4242 && p.quote.proto == 1,
	    "quoted echo id in quote.sport");
}

static void
test_fragments(void)
{
	struct gen g;
	struct pkt p;
	uint8_t b[256];
	size_t n;

	base_tcp(&g);
	g.tcpopt_len = 0;
	g.frag_field = 0x2000;		/* MF, offset 0 */
	g.paylen = 16;
	n = gen_build(&g, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "first fragment parses");
	ok(p.more_frags && p.frag == 0 && pkt_is_fragment(&p), "first fragment flags");
	ok(p.has_l4 && p.sport == 40000 && p.dport == 445, "first fragment has ports");
	is(p.payload_len, 16, "first fragment payload is what it carries");

	/* RFC 1858 tiny fragment: the TCP header does not fit. */
	g.paylen = 0;
	n = gen_build(&g, b, sizeof b);
	b[3] = 36;
	b[10] = b[11] = 0;
	is(pkt_parse(&p, b, 36), PKT_EL4SHORT, "first fragment with 16 bytes of TCP");
	g.tcpopt_len = 20;
	n = gen_build(&g, b, sizeof b);
	b[3] = 48;
	is(pkt_parse(&p, b, 48), PKT_EL4SHORT, "TCP options cut by the first fragment");

	g.tcpopt_len = 0;
	g.frag_field = 0x2001;		/* MF, offset 8 */
	g.paylen = 24;
	n = gen_build(&g, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "middle fragment parses");
	ok(!p.has_l4 && p.frag == 8 && p.more_frags, "middle fragment: no L4, offset 8");
	is(p.sport, 0, "no ports in a later fragment");
	is(p.l4_off, 20, "l4_off still names where data starts");

	g.frag_field = 0x0003;		/* last fragment, offset 24 */
	n = gen_build(&g, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "last fragment parses");
	ok(!p.has_l4 && p.frag == 24 && !p.more_frags && pkt_is_fragment(&p),
	    "last fragment: no L4, MF clear");

	g.frag_field = 0x1fff;		/* offset 65528 */
	g.paylen = 7;
	n = gen_build(&g, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "fragment ending at 65535");
	g.paylen = 8;
	n = gen_build(&g, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_EFRAG, "fragment past 65535 (ping of death)");

	/* A later fragment of an odd protocol is fine too. */
	g.proto = 47;
	g.frag_field = 0x0001;
	n = gen_build(&g, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "GRE fragment parses");

	/* A UDP first fragment: the UDP length covers the whole datagram. */
	memset(&g, 0, sizeof g);
	g.proto = 17;
	g.frag_field = 0x2000;
	g.sport = 1;
	g.dport = 2;
	g.payload = pay;
	g.paylen = 32;
	n = gen_build(&g, b, sizeof b);
	b[24] = 0x05; b[25] = 0xdc;	/* 1500 */
	is(pkt_parse(&p, b, n), PKT_OK, "UDP first fragment with a long UDP length");
	is(p.payload_len, 32, "its payload is what it carries");
	b[24] = 0; b[25] = 4;
	is(pkt_parse(&p, b, n), PKT_EL4HDR, "UDP first fragment with UDP length 4");

	/* Unknown protocols parse without L4. */
	g.frag_field = 0;
	g.proto = 47;
	n = gen_build(&g, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "GRE parses");
	ok(!p.has_l4 && p.proto == 47 && p.l4_off == 20, "GRE has no L4 header for us");
}

static void
test_ip_errors(void)
{
	struct gen g;
	struct pkt p;
	uint8_t b[256], v6[40] = { 0x60 };
	size_t n;
	int e;
	const char *s[PKT_EFRAG + 1];

	is(pkt_parse(&p, NULL, 0), PKT_ESHORT, "zero length");
	is(parse_exact(v6, 1), PKT_ESHORT, "one byte");
	is(parse_exact(v6, 40), PKT_EVERSION, "IPv6 header");
	base_tcp(&g);
	n = gen_build(&g, b, sizeof b);
	is(parse_exact(b, 19), PKT_ESHORT, "19 bytes");
	b[0] = 0x55;
	is(pkt_parse(&p, b, n), PKT_EVERSION, "version 5");
	b[0] = 0x44;
	is(pkt_parse(&p, b, n), PKT_EHDRLEN, "IHL 4");
	b[0] = 0x40;
	is(pkt_parse(&p, b, n), PKT_EHDRLEN, "IHL 0");
	b[0] = 0x4f;
	is(pkt_parse(&p, b, 59), PKT_EHDRLEN, "IHL 15 in 59 bytes");
	b[0] = 0x45;
	b[2] = 0; b[3] = 19;
	is(pkt_parse(&p, b, n), PKT_ETOTLEN, "total length below the header");
	b[3] = 0;
	is(pkt_parse(&p, b, n), PKT_ETOTLEN, "total length 0 (TSO left it)");
	b[2] = (uint8_t)((n + 1) >> 8); b[3] = (uint8_t)(n + 1);
	is(pkt_parse(&p, b, n), PKT_ETOTLEN, "total length one past the end");
	b[2] = 0xff; b[3] = 0xff;
	is(pkt_parse(&p, b, n), PKT_ETOTLEN, "total length 65535");
	b[2] = 0; b[3] = 20;
	is(pkt_parse(&p, b, n), PKT_EL4SHORT, "TCP with no TCP header at all");

	for (e = PKT_OK; e <= PKT_EFRAG; e++) {
		s[e] = pkt_strerror((enum pkt_err)e);
		ok(s[e] && *s[e], "pkt_strerror(%d) says something", e);
	}
	for (e = PKT_ESHORT; e <= PKT_EFRAG; e++)
		isnt(strcmp(s[e], s[e - 1]), 0, "pkt_strerror(%d) differs from %d", e, e - 1);
	ok(*pkt_strerror((enum pkt_err)99), "an unknown error has a message");
}

/*
 * Truncation at every byte: with tot_len left as it was the packet is short
 * (ETOTLEN or earlier); with tot_len following the cut, the parser must
 * agree with what is left.
 */
static void
truncate_all(const char *what, const uint8_t *full, size_t n, size_t ihl,
    size_t l4min)
{
	uint8_t b[512];
	size_t cut, bad = 0, bad2 = 0;
	enum pkt_err e, want;

	for (cut = 0; cut < n; cut++) {
		want = cut < 20 ? PKT_ESHORT : cut < ihl ? PKT_EHDRLEN : PKT_ETOTLEN;
		if (parse_exact(full, cut) != want)
			bad++;
		memcpy(b, full, n);
		b[2] = (uint8_t)(cut >> 8);
		b[3] = (uint8_t)cut;
		e = parse_exact(b, cut);
		want = cut < 20 ? PKT_ESHORT : cut < ihl ? PKT_EHDRLEN :
		    cut - ihl < l4min ? PKT_EL4SHORT : e;
		if (e != want)
			bad2++;
	}
	is(bad, 0, "%s: truncated at each of %zu bytes: the right error", what, n);
	is(bad2, 0, "%s: cut with tot_len following: the right error", what);
	is(parse_exact(full, n), PKT_OK, "%s: whole packet parses", what);
}

static void
test_truncation(void)
{
	struct gen g;
	uint8_t b[512], q[128];
	size_t n, qn;

	base_tcp(&g);
	g.ipopt_len = 12;
	memset(g.ipopt, 1, 12);
	n = gen_build(&g, b, sizeof b);
	truncate_all("TCP with options", b, n, 32, 32);

	memset(&g, 0, sizeof g);
	g.proto = 17;
	g.payload = pay;
	g.paylen = 20;
	n = gen_build(&g, b, sizeof b);
	truncate_all("UDP", b, n, 20, 8);

	base_tcp(&g);
	qn = gen_build(&g, q, sizeof q);
	n = icmp_error(3, q, qn, b, sizeof b);
	truncate_all("ICMP error quoting TCP", b, n, 20, 8);

	memset(&g, 0, sizeof g);
	g.proto = 47;
	g.payload = pay;
	g.paylen = 30;
	n = gen_build(&g, b, sizeof b);
	truncate_all("GRE", b, n, 20, 0);
}

int
main(void)
{
	test_tcp();
	test_udp();
	test_icmp_echo();
	test_icmp_errors();
	test_fragments();
	test_ip_errors();
	test_truncation();
	return done_testing();
}
