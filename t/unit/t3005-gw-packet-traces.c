/* SPDX-License-Identifier: ISC */
/*
 * Real packets: the shared captures (../shared/traces, see its README) read
 * with libpcap and run through the parser and the rewrites.  The facts
 * asserted are the ones the README states about each capture; every packet
 * whose checksums verified as captured must still verify after its
 * addresses are rewritten.  Without the captures the test skips, unless
 * POTEMKIN_REQUIRE asks for them.
 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw-pktgen.h"
#include "engine/packet.h"
#include "t/lib/tap.h"

struct trace_stats {
	unsigned long frames, ipv4, ipv6, other, parsed, tcp, udp, icmp;
	unsigned long syn, quotes, errors, short_capture;
	unsigned long csum_ok, csum_kept, csum_lost;
	uint32_t first_src;
	bool one_src;
	unsigned long dport_in_set;
	const uint16_t *ports;
	size_t nports;
	uint32_t dst_prefix, dst_mask;
	unsigned long dst_in_prefix;
};

static bool
l4_verifies(const uint8_t *ip, const struct pkt *p)
{
	if (!ref_ip_ok(ip))
		return false;
	if (!p->has_l4 || pkt_is_fragment(p))
		return true;
	if (p->proto == 1)
		return ref_icmp_ok(ip, p->len - p->ihl);
	return ref_l4_ok(ip, p->len - p->ihl);
}

static void
one_packet(struct trace_stats *t, const uint8_t *ip, size_t n)
{
	uint8_t *b = malloc(n ? n : 1);
	struct pkt p;
	enum pkt_err e;
	size_t i;

	if (!b)
		bail_out("out of memory");
	memcpy(b, ip, n);
	e = pkt_parse(&p, b, n);
	if (e != PKT_OK) {
		t->errors++;
		diag("packet %lu: %s", t->frames, pkt_strerror(e));
		free(b);
		return;
	}
	t->parsed++;
	t->tcp += p.proto == 6;
	t->udp += p.proto == 17;
	t->icmp += p.proto == 1;
	t->syn += p.proto == 6 && (p.tcp_flags & 0x12) == 0x02;
	t->quotes += p.has_quote;
	if (t->parsed == 1)
		t->first_src = p.src;
	else if (p.src != t->first_src)
		t->one_src = false;
	for (i = 0; i < t->nports; i++)
		if (p.has_l4 && p.dport == t->ports[i]) {
			t->dport_in_set++;
			break;
		}
	if (t->dst_mask && (p.dst & t->dst_mask) == t->dst_prefix)
		t->dst_in_prefix++;

	if (l4_verifies(b, &p)) {
		t->csum_ok++;
		pkt_set_dst(&p, 0xc6336400u | (p.dst & 0xff));	/* into 198.51.100.0/24 */
		pkt_set_src(&p, 0xc0000200u | (p.src & 0xff));	/* 192.0.2.0/24 */
		if (l4_verifies(b, &p))
			t->csum_kept++;
		else
			t->csum_lost++;
	}
	free(b);
}

static bool
read_trace(const char *dir, const char *file, struct trace_stats *t)
{
	char path[4096], err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc;
	int rc;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	pc = pcap_open_offline(path, err);
	if (!pc) {
		diag("%s", err);
		return false;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		diag("%s: not Ethernet", file);
		pcap_close(pc);
		return false;
	}
	t->one_src = true;
	while ((rc = pcap_next_ex(pc, &h, &d)) == 1) {
		size_t off = 12, n = h->caplen;
		unsigned type;

		t->frames++;
		if (h->caplen < h->len) {
			t->short_capture++;
			continue;
		}
		if (n < 14)
			continue;
		type = (unsigned)(d[off] << 8 | d[off + 1]);
		while ((type == 0x8100 || type == 0x88a8) && n >= off + 6) {
			off += 4;
			type = (unsigned)(d[off] << 8 | d[off + 1]);
		}
		off += 2;
		if (type == 0x0800) {
			t->ipv4++;
			one_packet(t, d + off, n - off);
		} else if (type == 0x86dd) {
			struct pkt p;
			uint8_t *b = malloc(n - off);

			t->ipv6++;
			if (!b)
				bail_out("out of memory");
			memcpy(b, d + off, n - off);
			if (pkt_parse(&p, b, n - off) != PKT_EVERSION)
				t->errors++;
			free(b);
		} else {
			t->other++;
		}
	}
	pcap_close(pc);
	return rc == PCAP_ERROR_BREAK;
}

static void
common(const char *file, struct trace_stats *t)
{
	note("%s: %lu frames, %lu IPv4 (%lu TCP, %lu UDP, %lu ICMP, %lu quotes), "
	    "%lu IPv6, %lu other; %lu verified as captured",
	    file, t->frames, t->ipv4, t->tcp, t->udp, t->icmp, t->quotes,
	    t->ipv6, t->other, t->csum_ok);
	is(t->errors, 0, "%s: every IPv4 packet parses (IPv6 is refused as such)", file);
	is(t->parsed, t->ipv4, "%s: all %lu IPv4 packets parsed", file, t->ipv4);
	is(t->csum_lost, 0, "%s: rewritten packets still verify (%lu of them)",
	    file, t->csum_kept);
	ok(t->csum_ok > t->parsed / 2, "%s: most packets verified as captured", file);
}

int
main(void)
{
	static const uint16_t masscan_ports[] = { 23, 80, 22, 8000, 21 };
	static const uint16_t zmap_ports[] = { 11311 };
	static const uint16_t mc_port[] = { 25565 };
	static const uint16_t http[] = { 80 };
	const char *dir = gen_traces_dir();
	const char *req = getenv("POTEMKIN_REQUIRE");
	struct trace_stats t;

	if (!dir) {
		if (req && (strstr(req, "all") || strstr(req, "TRACES")))
			bail_out("the shared captures are missing (POTEMKIN_REQUIRE)");
		skip_all("the shared captures are missing");
	}

	memset(&t, 0, sizeof t);
	t.ports = masscan_ports;
	t.nports = 5;
	t.dst_prefix = 0xc8000000u;
	t.dst_mask = 0xff000000u;
	ok(read_trace(dir, "probing_masscan_5k.pcapng", &t), "masscan capture read");
	common("masscan", &t);
	is(t.tcp, 5000, "masscan: 5000 TCP segments");
	is(t.syn, 4989, "masscan: 4989 SYNs (and 11 RSTs)");
	ok(t.one_src, "masscan: one source");
	is(t.dport_in_set, 5000, "masscan: ports 23/80/22/8000/21");
	is(t.dst_in_prefix, 5000, "masscan: all to 200.0.0.0/8");

	memset(&t, 0, sizeof t);
	t.ports = zmap_ports;
	t.nports = 1;
	ok(read_trace(dir, "probing_zmap_tcp_5k.pcapng", &t), "zmap capture read");
	common("zmap", &t);
	is(t.syn, 5000, "zmap: 5000 SYNs");
	is(t.dport_in_set, 5000, "zmap: port 11311");

	memset(&t, 0, sizeof t);
	t.ports = mc_port;
	t.nports = 1;
	t.dst_prefix = 0x0a0a0a0au;
	t.dst_mask = 0xffffffffu;
	ok(read_trace(dir, "stopddos_synflood_spoofed.pcap", &t), "synflood capture read");
	common("synflood", &t);
	is(t.syn, 37841, "synflood: 37841 SYNs");
	is(t.dst_in_prefix, 37841, "synflood: all to 10.10.10.10");
	is(t.dport_in_set, 37841, "synflood: port 25565");

	memset(&t, 0, sizeof t);
	t.ports = http;
	t.nports = 1;
	ok(read_trace(dir, "sgr_tcp_synPingSweepRand.pcapng", &t), "sweep capture read");
	common("sweep", &t);
	ok(t.syn > 0 && t.dport_in_set >= t.syn, "sweep: SYNs to port 80");

	memset(&t, 0, sizeof t);
	ok(read_trace(dir, "sgr_icmpScan.pcapng", &t), "ICMP scan capture read");
	common("icmp scan", &t);
	ok(t.icmp > 200, "icmp scan: ICMP packets");

	memset(&t, 0, sizeof t);
	ok(read_trace(dir, "slips_test7-malicious.pcap", &t), "slips capture read");
	common("slips", &t);
	ok(t.tcp > 0 && t.udp > 0 && t.ipv6 > 0, "slips: TCP, UDP and IPv6");
	return done_testing();
}
