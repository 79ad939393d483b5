/* SPDX-License-Identifier: ISC */
/*
 * The fast path's BPF programs against the real kernel (BPF_PROG_TEST_RUN),
 * loaded exactly as the gateway loads them.  What must hold: a packet of a
 * flow in the map leaves byte for byte as the engine's own rewrite would
 * make it (engine/packet.c, checksums included), with the Ethernet header
 * of the AF_PACKET send (inbound) or of the kernel's next hop (outbound),
 * counted as the engine counts; anything else -- IP options, fragments, an
 * expired entry, another interface, another source, a TTL at its end, a
 * next hop not resolved, a VLAN-tagged frame, a heartbeat past -- goes on
 * untouched (TCX_NEXT)
 * down the rest of the tc chain to the queues.
 *
 * Needs root and BPF; runs in a network namespace of its own, with a
 * resolved neighbour for the outbound program's route.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "engine/packet.h"
#include "gw-pktgen.h"
#include "testnet.h"
#include "nfq-gateway/fastpath-load.h"
#include "nfq-gateway/fastpath-map.h"
#include "t/lib/tap.h"

#ifndef TCX_NEXT
#define TCX_NEXT -1
#endif

#define FARM 0xc6336407u	/* 198.51.100.7, the impersonated address */
#define GUEST 0x0a000002u	/* 10.0.0.2, the clone's own */
#define PEER 0xcb007105u	/* 203.0.113.5, outside */
#define UNRESOLVED 0xcb007106u	/* 203.0.113.6: routed, no neighbour */
#define PEER_SMALL_MTU 0xcb007146u	/* 203.0.113.70: a route with MTU 600 */
#define NEXT_HOP_MAC "02:00:00:00:00:99"

static const uint8_t clone_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t host_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static struct fpk k;
static int pk_ifindex, ext_ifindex;
static uint8_t ext_mac[6];

/*
 * Its own network namespace: "ext" with a route to the outside through a
 * permanent neighbour, "pk7" standing for a clone's interface.
 */
static void
setup_net(void)
{
	if (unshare(CLONE_NEWNET) < 0)
		bail_out("unshare(CLONE_NEWNET): %s", strerror(errno));
	/* No IPv6: its neighbour discovery would run the chain's programs too. */
	testnet_sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 && "
	    "sysctl -qw net.ipv6.conf.default.disable_ipv6=1 && ip link set lo up && "
	    "ip link add ext type veth peer name ext-peer && "
	    "ip link add pk7 type veth peer name pk7-peer && "
	    "for i in ext ext-peer pk7 pk7-peer; do ip link set $i up; done && "
	    "ip addr add 192.0.2.1/24 dev ext && ip addr add 10.0.0.1/24 dev pk7 && "
	    "ip route add 203.0.113.0/24 via 192.0.2.254 dev ext && "
	    "ip neigh replace 192.0.2.254 lladdr " NEXT_HOP_MAC " dev ext nud permanent && "
	    "sysctl -qw net.ipv4.ip_forward=1");
	pk_ifindex = (int)if_nametoindex("pk7");
	ext_ifindex = (int)if_nametoindex("ext");
	testnet_mac("ext", ext_mac);
}

/* A frame: Ethernet header to dmac, then g's IPv4 packet; pad bytes of 0xee after. */
static size_t
frame(const struct gen *g, const uint8_t dmac[6], size_t pad, uint8_t *out, size_t cap)
{
	size_t n = gen_build(g, out + 14, cap - 14 - pad);

	if (n == 0)
		bail_out("the generator could not build a packet");
	memcpy(out, dmac, 6);
	memset(out + 6, 0x0a, 6);
	out[12] = 0x08;
	out[13] = 0x00;
	memset(out + 14 + n, 0xee, pad);
	return 14 + n + pad;
}

static struct gen
tcp_in(void)
{
	static uint8_t pay[100];
	struct gen g = {
		.proto = 6, .src = PEER, .dst = FARM, .ttl = 57, .id = 0x1234,
		.sport = 40000, .dport = 80, .seq = 1, .ack = 2, .tcp_flags = 0x18,
		.payload = pay, .paylen = sizeof(pay),
	};

	for (size_t i = 0; i < sizeof(pay); i++)
		pay[i] = (uint8_t)(i * 7);
	return g;
}

static void
put(struct fp_map_key *mk, const struct gen *g, uint8_t dir, int ifindex,
    struct fp_map_value *v)
{
	memset(mk, 0, sizeof(*mk));
	mk->src = htonl(g->src);
	mk->dst = htonl(g->dst);
	mk->sport = htons(g->sport);
	mk->dport = htons(g->dport);
	mk->proto = g->proto;
	mk->dir = dir;
	mk->ifindex = (uint32_t)ifindex;
	if (bpf_map_update_elem(k.map, mk, v, BPF_ANY) < 0)
		bail_out("map update: %s", strerror(errno));
}

static struct fp_map_value
inbound_value(void)
{
	struct fp_map_value v = {
		.new_src = htonl(PEER), .new_dst = htonl(GUEST),
		.out_ifindex = 7777, .expires_ns = UINT64_MAX, .binding = 3,
	};

	memcpy(v.dmac, clone_mac, 6);
	memcpy(v.smac, host_mac, 6);
	return v;
}

struct run {
	int ret;
	uint8_t out[2048];
	uint32_t len;
	struct __sk_buff ctx;
};

static void
run(int prog, const uint8_t *in, size_t len, int ifindex, struct run *r)
{
	struct __sk_buff ctx = { .ifindex = (uint32_t)ifindex,
		.ingress_ifindex = (uint32_t)ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, o,
	    .data_in = in, .data_size_in = (uint32_t)len,
	    .data_out = r->out, .data_size_out = sizeof(r->out),
	    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
	    .ctx_out = &r->ctx, .ctx_size_out = sizeof(r->ctx),
	    .repeat = 1);

	if (ifindex <= 1)
		o.ctx_in = NULL, o.ctx_size_in = 0, o.ctx_out = NULL, o.ctx_size_out = 0;
	memset(&r->ctx, 0, sizeof(r->ctx));
	if (bpf_prog_test_run_opts(prog, &o) < 0)
		bail_out("BPF_PROG_TEST_RUN: %s", strerror(errno));
	r->ret = (int)o.retval;
	r->len = o.data_size_out;
}

/* What the engine delivers: pkt_set_dst on the IP packet, the clone's Ethernet header. */
static size_t
engine_inbound(const uint8_t *fr, size_t iplen, uint32_t new_dst, uint8_t *out)
{
	struct pkt p;

	memcpy(out + 14, fr + 14, iplen);
	if (pkt_parse(&p, out + 14, iplen) != PKT_OK)
		bail_out("the engine cannot parse the test packet");
	pkt_set_dst(&p, new_dst);
	memcpy(out, clone_mac, 6);
	memcpy(out + 6, host_mac, 6);
	out[12] = 0x08;
	out[13] = 0x00;
	return 14 + iplen;
}

/* What the slow path lets out: pkt_set_src, then one hop of forwarding. */
static size_t
engine_outbound(const uint8_t *fr, size_t iplen, uint32_t new_src, uint8_t *out)
{
	static const uint8_t nh[6] = { 0x02, 0, 0, 0, 0, 0x99 };
	uint16_t before, after;
	struct pkt p;

	memcpy(out + 14, fr + 14, iplen);
	if (pkt_parse(&p, out + 14, iplen) != PKT_OK)
		bail_out("the engine cannot parse the test packet");
	pkt_set_src(&p, new_src);
	memcpy(&before, out + 14 + 8, 2);
	out[14 + 8]--;
	memcpy(&after, out + 14 + 8, 2);
	{
		uint16_t c;

		memcpy(&c, out + 14 + 10, 2);
		c = csum_update16(c, before, after);
		memcpy(out + 14 + 10, &c, 2);
	}
	memcpy(out, nh, 6);
	memcpy(out + 6, ext_mac, 6);
	out[12] = 0x08;
	out[13] = 0x00;
	return 14 + iplen;
}

static bool
same(const struct run *r, const uint8_t *want, size_t n, const char *what)
{
	size_t i;

	if (r->len != n) {
		diag("%s: %u bytes out, want %zu", what, r->len, n);
		return false;
	}
	for (i = 0; i < n && r->out[i] == want[i]; i++)
		;
	if (i < n)
		diag("%s: first difference at byte %zu: %02x, want %02x", what, i, r->out[i],
		    want[i]);
	return i == n;
}

static struct fp_map_value
get(const struct fp_map_key *mk)
{
	struct fp_map_value v;

	if (bpf_map_lookup_elem(k.map, mk, &v) < 0)
		bail_out("map lookup: %s", strerror(errno));
	return v;
}

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The worker's heartbeat deadline (CLOCK_MONOTONIC ns). */
static void
set_alive(uint64_t deadline_ns)
{
	uint32_t zero = 0;

	if (bpf_map_update_elem(k.alive, &zero, &deadline_ns, BPF_ANY) < 0)
		bail_out("heartbeat update: %s", strerror(errno));
}

/*
 * A heartbeat past (the worker stopped or hung), or never written: a flow
 * in the map is not carried, on either side; a live one carries it.
 */
static void
test_heartbeat(void)
{
	uint8_t fr[2048], pk_mac[6];
	struct fp_map_value vin = inbound_value(), vout = {
		.new_src = htonl(FARM), .new_dst = htonl(PEER), .mark = 0x40,
		.expires_ns = UINT64_MAX, .binding = 3,
	};
	struct fp_map_key min, mout;
	struct gen g = tcp_in(), h = tcp_in();
	struct run r;
	size_t n;

	testnet_mac("pk7", pk_mac);
	g.sport = 40200;
	put(&min, &g, FP_DIR_IN, 0, &vin);
	h.src = GUEST;
	h.dst = PEER;
	h.sport = 80;
	h.dport = 40200;
	put(&mout, &h, FP_DIR_OUT, pk_ifindex, &vout);
	for (int never = 0; never <= 1; never++) {
		set_alive(never ? 0 : mono_ns() - 1);
		n = frame(&g, ext_mac, 0, fr, sizeof(fr));
		run(k.prog_in, fr, n, ext_ifindex, &r);
		ok(r.ret == TCX_NEXT && memcmp(r.out, fr, n) == 0 && get(&min).packets == 0,
		    "heartbeat %s: an inbound flow in the map untouched",
		    never ? "never written" : "past");
		n = frame(&h, pk_mac, 0, fr, sizeof(fr));
		run(k.prog_out, fr, n, pk_ifindex, &r);
		ok(r.ret == TCX_NEXT && memcmp(r.out, fr, n) == 0 && get(&mout).packets == 0,
		    "heartbeat %s: an outbound flow in the map untouched",
		    never ? "never written" : "past");
	}
	set_alive(mono_ns() + 1000000000u);
	n = frame(&g, ext_mac, 0, fr, sizeof(fr));
	run(k.prog_in, fr, n, ext_ifindex, &r);
	ok(r.ret == TC_ACT_REDIRECT, "heartbeat a second ahead: carried");
	set_alive(UINT64_MAX);
	bpf_map_delete_elem(k.map, &min);
	bpf_map_delete_elem(k.map, &mout);
}

static void
test_inbound(void)
{
	uint8_t fr[2048], want[2048];
	struct fp_map_value v = inbound_value(), got;
	struct fp_map_key mk;
	struct gen g = tcp_in(), h;
	struct run r;
	size_t n, m;
	uint64_t t0 = mono_ns();

	put(&mk, &g, FP_DIR_IN, 0, &v);
	n = frame(&g, ext_mac, 0, fr, sizeof(fr));
	run(k.prog_in, fr, n, ext_ifindex, &r);
	is(r.ret, TC_ACT_REDIRECT, "inbound TCP in the map: redirected");
	m = engine_inbound(fr, n - 14, GUEST, want);
	ok(same(&r, want, m, "inbound TCP"), "inbound TCP: the engine's rewrite, byte for byte");
	got = get(&mk);
	is(got.packets, 1, "counted one packet");
	is(got.bytes, n - 14, "counted its IP total length");
	ok(got.last_ns >= t0 && got.last_ns <= mono_ns(), "last seen now, on CLOCK_MONOTONIC");

	/* Ethernet padding is not the packet's: trimmed as the queue would. */
	n = frame(&g, ext_mac, 6, fr, sizeof(fr));
	run(k.prog_in, fr, n, ext_ifindex, &r);
	ok(r.ret == TC_ACT_REDIRECT && same(&r, want, m, "padded"),
	    "a padded frame leaves without its padding");
	is(get(&mk).bytes, 2 * (n - 6 - 14), "padding not counted");

	/* UDP with a checksum, and without one (0 stays 0). */
	for (int nocsum = 0; nocsum <= 1; nocsum++) {
		h = g;
		h.proto = 17;
		h.sport = 5353;
		h.dport = 53;
		h.udp_nocsum = nocsum;
		put(&mk, &h, FP_DIR_IN, 0, &v);
		n = frame(&h, ext_mac, 0, fr, sizeof(fr));
		run(k.prog_in, fr, n, ext_ifindex, &r);
		m = engine_inbound(fr, n - 14, GUEST, want);
		ok(r.ret == TC_ACT_REDIRECT && same(&r, want, m, "udp"),
		    "inbound UDP %s: the engine's rewrite", nocsum ? "without checksum" :
		    "with checksum");
		if (nocsum)
			ok(r.out[14 + 20 + 6] == 0 && r.out[14 + 20 + 7] == 0,
			    "a UDP checksum of 0 stays 0");
	}

	/* A UDP length past the packet, or below its header: the engine's parser drops it. */
	{
		static const uint16_t bad[] = { 0xffff, 7 };

		for (size_t i = 0; i < 2; i++) {
			h = g;
			h.proto = 17;
			h.sport = 5353;
			h.dport = 53;
			put(&mk, &h, FP_DIR_IN, 0, &v);
			n = frame(&h, ext_mac, 0, fr, sizeof(fr));
			fr[14 + 20 + 4] = (uint8_t)(bad[i] >> 8);
			fr[14 + 20 + 5] = (uint8_t)bad[i];
			run(k.prog_in, fr, n, ext_ifindex, &r);
			ok(r.ret == TCX_NEXT && memcmp(r.out, fr, n) == 0,
			    "UDP length %u: malformed to the engine, untouched", bad[i]);
		}
	}

	/* A bad IP header checksum: the kernel drops it after tcx, so must meet it. */
	put(&mk, &g, FP_DIR_IN, 0, &v);
	n = frame(&g, ext_mac, 0, fr, sizeof(fr));
	fr[14 + 10] ^= 0x01;
	run(k.prog_in, fr, n, ext_ifindex, &r);
	ok(r.ret == TCX_NEXT && memcmp(r.out, fr, n) == 0, "a bad IP header checksum: untouched");

	/* IP options: the key is in the map, the packet still goes to the queue. */
	h = g;
	h.ipopt_len = 4;
	memset(h.ipopt, 1, 4);	/* NOPs */
	put(&mk, &h, FP_DIR_IN, 0, &v);
	n = frame(&h, ext_mac, 0, fr, sizeof(fr));
	run(k.prog_in, fr, n, ext_ifindex, &r);
	ok(r.ret == TCX_NEXT && r.len == n && memcmp(r.out, fr, n) == 0,
	    "IP options: TCX_NEXT, untouched");
	is(get(&mk).packets, 0, "and not counted");

	/* Fragments: the first (MF) and a later one. */
	for (int later = 0; later <= 1; later++) {
		h = g;
		h.frag_field = later ? 0x0010 : 0x2000;
		h.no_l4_csum = later;
		put(&mk, &h, FP_DIR_IN, 0, &v);
		n = frame(&h, ext_mac, 0, fr, sizeof(fr));
		run(k.prog_in, fr, n, ext_ifindex, &r);
		ok(r.ret == TCX_NEXT && memcmp(r.out, fr, n) == 0,
		    "%s fragment: TCX_NEXT, untouched", later ? "a later" : "a first");
	}

	/* Expired: the engine's decision no longer holds. */
	h = g;
	h.sport = 40001;
	v.expires_ns = mono_ns() - 1;
	put(&mk, &h, FP_DIR_IN, 0, &v);
	n = frame(&h, ext_mac, 0, fr, sizeof(fr));
	run(k.prog_in, fr, n, ext_ifindex, &r);
	ok(r.ret == TCX_NEXT && memcmp(r.out, fr, n) == 0, "expired entry: TCX_NEXT, untouched");
	is(get(&mk).packets, 0, "and not counted");
	v.expires_ns = mono_ns() + 60ull * 1000000000u;
	put(&mk, &h, FP_DIR_IN, 0, &v);
	run(k.prog_in, fr, n, ext_ifindex, &r);
	is(r.ret, TC_ACT_REDIRECT, "an entry not yet expired is carried");

	/*
	 * The reverse path, as the rules' rpfilter match checks it: a source
	 * routed back out of the interface it came in on is carried; one
	 * routed elsewhere, or not at all, goes to netfilter, which drops it.
	 */
	v = inbound_value();
	v.flags = FP_F_RPFILTER;
	put(&mk, &g, FP_DIR_IN, 0, &v);
	n = frame(&g, ext_mac, 0, fr, sizeof(fr));
	run(k.prog_in, fr, n, ext_ifindex, &r);
	is(r.ret, TC_ACT_REDIRECT, "rpfilter: a source routed back out of ext is carried");
	{
		static const uint32_t elsewhere[] = { 0x0a000009u, 0xc6120001u };

		for (size_t i = 0; i < 2; i++) {
			h = g;
			h.src = elsewhere[i];
			put(&mk, &h, FP_DIR_IN, 0, &v);
			n = frame(&h, ext_mac, 0, fr, sizeof(fr));
			run(k.prog_in, fr, n, ext_ifindex, &r);
			ok(r.ret == TCX_NEXT && memcmp(r.out, fr, n) == 0,
			    "rpfilter: a source routed %s: untouched", i ? "nowhere" :
			    "out of another interface");
		}
	}

	/* Not in the map; and an inbound entry is not the outbound program's. */
	h = g;
	h.sport = 40002;
	n = frame(&h, ext_mac, 0, fr, sizeof(fr));
	run(k.prog_in, fr, n, ext_ifindex, &r);
	ok(r.ret == TCX_NEXT && memcmp(r.out, fr, n) == 0, "a flow not in the map: untouched");
	n = frame(&g, ext_mac, 0, fr, sizeof(fr));
	run(k.prog_out, fr, n, pk_ifindex, &r);
	ok(r.ret == TCX_NEXT && memcmp(r.out, fr, n) == 0,
	    "an inbound flow arriving on a clone's interface: untouched");
}

static void
test_outbound(void)
{
	uint8_t fr[2048], want[2048], pk_mac[6];
	struct fp_map_value v = {
		.new_src = htonl(FARM), .new_dst = htonl(PEER), .mark = 0x40,
		.expires_ns = UINT64_MAX, .binding = 3,
	}, got;
	struct fp_map_key mk;
	struct gen g = tcp_in(), h;
	struct run r;
	size_t n, m;

	testnet_mac("pk7", pk_mac);
	/* The clone's answer: from its guest address to the peer. */
	g.src = GUEST;
	g.dst = PEER;
	g.sport = 80;
	g.dport = 40000;
	g.ttl = 64;
	put(&mk, &g, FP_DIR_OUT, pk_ifindex, &v);
	n = frame(&g, pk_mac, 0, fr, sizeof(fr));
	run(k.prog_out, fr, n, pk_ifindex, &r);
	is(r.ret, TC_ACT_REDIRECT, "outbound TCP in the map: redirected");
	m = engine_outbound(fr, n - 14, FARM, want);
	ok(same(&r, want, m, "outbound TCP"),
	    "outbound TCP: the engine's rewrite, one hop forwarded, the next hop's MACs");
	is(r.ctx.mark, 0x40, "with the pass mark");
	got = get(&mk);
	ok(got.packets == 1 && got.bytes == n - 14, "counted as the engine counts");

	h = g;
	h.proto = 17;
	h.udp_nocsum = true;
	put(&mk, &h, FP_DIR_OUT, pk_ifindex, &v);
	n = frame(&h, pk_mac, 0, fr, sizeof(fr));
	run(k.prog_out, fr, n, pk_ifindex, &r);
	m = engine_outbound(fr, n - 14, FARM, want);
	ok(r.ret == TC_ACT_REDIRECT && same(&r, want, m, "outbound udp"),
	    "outbound UDP without checksum: the same, 0 stays 0");

	/* Another interface: the key names the clone's. */
	n = frame(&g, pk_mac, 0, fr, sizeof(fr));
	run(k.prog_out, fr, n, ext_ifindex, &r);
	ok(r.ret == TCX_NEXT && memcmp(r.out, fr, n) == 0, "another interface: untouched");

	/* Another source: a clone that spoofs is not the flow. */
	h = g;
	h.src = GUEST + 1;
	n = frame(&h, pk_mac, 0, fr, sizeof(fr));
	run(k.prog_out, fr, n, pk_ifindex, &r);
	ok(r.ret == TCX_NEXT && memcmp(r.out, fr, n) == 0, "another source: untouched");

	/* TTL 1: the kernel answers it (ICMP time exceeded), after the queue. */
	h = g;
	h.ttl = 1;
	put(&mk, &h, FP_DIR_OUT, pk_ifindex, &v);
	n = frame(&h, pk_mac, 0, fr, sizeof(fr));
	run(k.prog_out, fr, n, pk_ifindex, &r);
	ok(r.ret == TCX_NEXT && memcmp(r.out, fr, n) == 0, "TTL 1: untouched");
	is(get(&mk).packets, 0, "and not counted");

	/* A next hop not resolved: the kernel resolves it, after the queue. */
	h = g;
	h.dst = UNRESOLVED;
	testnet_sh("ip route add 203.0.113.6/32 via 192.0.2.253 dev ext");
	put(&mk, &h, FP_DIR_OUT, pk_ifindex, &v);
	n = frame(&h, pk_mac, 0, fr, sizeof(fr));
	run(k.prog_out, fr, n, pk_ifindex, &r);
	ok(r.ret == TCX_NEXT && memcmp(r.out, fr, n) == 0, "no resolved next hop: untouched");

	/* Addressed to another host's MAC: the kernel would not forward it. */
	{
		static const uint8_t other[6] = { 0x02, 0, 0, 0, 0, 0x42 };

		n = frame(&g, other, 0, fr, sizeof(fr));
		run(k.prog_out, fr, n, pk_ifindex, &r);
		ok(r.ret == TCX_NEXT && memcmp(r.out, fr, n) == 0,
		    "a frame not for this host: untouched");
	}

	/*
	 * The route's MTU, as ip_forward checks it: 600 on the route, 1500
	 * on the device.  A packet over it goes to the queue (and the
	 * kernel's ICMP), one under it is carried.
	 */
	testnet_sh("ip route add 203.0.113.64/26 via 192.0.2.254 dev ext mtu lock 600");
	h = g;
	h.dst = PEER_SMALL_MTU;
	for (int big = 0; big <= 1; big++) {
		static uint8_t pay[1000];

		h.payload = pay;
		h.paylen = big ? 1000 : 100;
		put(&mk, &h, FP_DIR_OUT, pk_ifindex, &v);
		n = frame(&h, pk_mac, 0, fr, sizeof(fr));
		run(k.prog_out, fr, n, pk_ifindex, &r);
		if (big)
			ok(r.ret == TCX_NEXT && memcmp(r.out, fr, n) == 0,
			    "over the route's MTU (600, the device's 1500): untouched");
		else
			is(r.ret, TC_ACT_REDIRECT, "under the route's MTU: carried");
	}

	/*
	 * The pass mark routes as it does on the slow path: a rule sends
	 * mark 0x41 to a table where the peer is blackholed.
	 */
	testnet_sh("ip rule add fwmark 0x41 lookup 100 && "
	    "ip route add blackhole 203.0.113.0/24 table 100");
	v.mark = 0x41;
	put(&mk, &g, FP_DIR_OUT, pk_ifindex, &v);
	n = frame(&g, pk_mac, 0, fr, sizeof(fr));
	run(k.prog_out, fr, n, pk_ifindex, &r);
	ok(r.ret == TCX_NEXT && memcmp(r.out, fr, n) == 0,
	    "a pass mark whose rule routes to a blackhole: untouched");
	v.mark = 0x40;
	put(&mk, &g, FP_DIR_OUT, pk_ifindex, &v);
	run(k.prog_out, fr, n, pk_ifindex, &r);
	is(r.ret, TC_ACT_REDIRECT, "the same flow with a mark the rule does not take: carried");
	testnet_sh("ip rule del fwmark 0x41 lookup 100");
}

/*
 * A program that only says "next", attached behind the fast path's own:
 * the kernel's run count (BPF_ENABLE_STATS) tells whether the chain went
 * on past the fast path, as a classic tc filter or a later tcx program
 * must for every packet the fast path does not carry.
 */
static int
next_prog(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = TCX_NEXT },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "fp_t_next", "ISC", insns, 2, NULL);

	if (fd < 0)
		bail_out("loading the chain's next program: %s", strerror(errno));
	return fd;
}

static uint64_t
run_count(int prog)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog, &info, &len) < 0)
		bail_out("prog info: %s", strerror(errno));
	return info.run_cnt;
}

/* Send a frame into ifname's veth peer, so that it arrives on ifname. */
static void
send_frame(const char *peer, const uint8_t *fr, size_t n)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
		.sll_ifindex = (int)if_nametoindex(peer), .sll_halen = 6 };
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	memcpy(sll.sll_addr, fr, 6);
	if (fd < 0 || sendto(fd, fr, n, 0, (struct sockaddr *)&sll, sizeof(sll)) != (ssize_t)n)
		bail_out("sending on %s: %s", peer, strerror(errno));
	close(fd);
}

/* Wait (2 s at most) until the next program has run want times; its count. */
static uint64_t
wait_runs(int prog, uint64_t want)
{
	uint64_t deadline = mono_ns() + 2000000000u, c;

	while ((c = run_count(prog)) < want && mono_ns() < deadline)
		usleep(1000);
	return c;
}

/* The frame with an 802.1Q tag (VLAN 5) after the MAC addresses. */
static size_t
tag(const uint8_t *fr, size_t n, uint8_t *out)
{
	static const uint8_t vlan[4] = { 0x81, 0x00, 0x00, 0x05 };

	memcpy(out, fr, 12);
	memcpy(out + 12, vlan, 4);
	memcpy(out + 16, fr + 12, n - 12);
	return n + 4;
}

/*
 * On live interfaces: a packet the fast path does not carry goes on down
 * the tc chain; a VLAN-tagged frame of a flow in the map (the tag in the
 * metadata by tcx ingress) is not carried, on either side.
 */
static void
test_chain(void)
{
	uint8_t fr[2048], tagged[2048], pk_mac[6];
	struct fp_map_value vin = inbound_value(), vout = {
		.new_src = htonl(FARM), .new_dst = htonl(PEER), .mark = 0x40,
		.expires_ns = UINT64_MAX, .binding = 3,
	};
	struct fp_map_key min, mout;
	struct gen g = tcp_in(), h = tcp_in();
	int stats = bpf_enable_stats(BPF_STATS_RUN_TIME), next = next_prog();
	int l_in = fpk_attach(k.prog_in, ext_ifindex), l_out = fpk_attach(k.prog_out, pk_ifindex);
	int n_in = fpk_attach(next, ext_ifindex), n_out = fpk_attach(next, pk_ifindex);
	uint64_t base;
	size_t n;

	if (stats < 0 || l_in < 0 || l_out < 0 || n_in < 0 || n_out < 0)
		bail_out("the chain's links: %s", strerror(errno));
	testnet_mac("pk7", pk_mac);
	g.sport = 40100;
	put(&min, &g, FP_DIR_IN, 0, &vin);
	h.src = GUEST;
	h.dst = PEER;
	h.sport = 80;
	h.dport = 40100;
	put(&mout, &h, FP_DIR_OUT, pk_ifindex, &vout);

	base = run_count(next);
	g.sport = 40101;	/* not in the map */
	n = frame(&g, ext_mac, 0, fr, sizeof(fr));
	send_frame("ext-peer", fr, n);
	ok(wait_runs(next, base + 1) == base + 1,
	    "inbound, not in the map: the next program in the chain runs");
	h.sport = 81;
	n = frame(&h, pk_mac, 0, fr, sizeof(fr));
	send_frame("pk7-peer", fr, n);
	ok(wait_runs(next, base + 2) == base + 2,
	    "outbound, not in the map: the next program in the chain runs");

	g.sport = 40100;
	n = tag(fr, frame(&g, ext_mac, 0, fr, sizeof(fr)), tagged);
	send_frame("ext-peer", tagged, n);
	ok(wait_runs(next, base + 3) == base + 3 && get(&min).packets == 0,
	    "inbound VLAN-tagged frame of a flow in the map: not carried, passed on");
	h.sport = 80;
	n = tag(fr, frame(&h, pk_mac, 0, fr, sizeof(fr)), tagged);
	send_frame("pk7-peer", tagged, n);
	ok(wait_runs(next, base + 4) == base + 4 && get(&mout).packets == 0,
	    "outbound VLAN-tagged frame of a flow in the map: not carried, passed on");
	/* The same untagged: carried, and the chain stops there. */
	n = frame(&h, pk_mac, 0, fr, sizeof(fr));
	send_frame("pk7-peer", fr, n);
	{
		uint64_t deadline = mono_ns() + 2000000000u;

		while (get(&mout).packets == 0 && mono_ns() < deadline)
			usleep(1000);
	}
	ok(get(&mout).packets == 1 && run_count(next) == base + 4,
	    "the same frame untagged: carried, the chain ends with the redirect");
	close(n_in);
	close(n_out);
	close(l_in);
	close(l_out);
	close(next);
	close(stats);
	bpf_map_delete_elem(k.map, &min);
	bpf_map_delete_elem(k.map, &mout);
}

/* A link attaches, a second program behind it, and the kernel refuses nonsense. */
static void
test_attach(void)
{
	int a = fpk_attach(k.prog_in, ext_ifindex), b;

	ok(a >= 0, "tcx link on an interface (%s)", a < 0 ? strerror(errno) : "ok");
	b = fpk_attach(k.prog_out, pk_ifindex);
	ok(b >= 0, "and on a clone's interface");
	ok(fpk_attach(k.prog_in, 999999) < 0 && errno == ENODEV, "no such interface: ENODEV");
	ok(fpk_attach_as(k.prog_in, ext_ifindex, 255) < 0 && errno == EINVAL,
	    "an attach type the kernel does not know: EINVAL (a kernel without tcx)");
	if (a >= 0)
		close(a);
	if (b >= 0)
		close(b);
}

int
main(void)
{
	const char *req = getenv("POTEMKIN_REQUIRE");
	bool required = req && (strcmp(req, "all") == 0 || strstr(req, "bpf"));
	char why[512];

	if (geteuid() != 0) {
		if (required)
			bail_out("needs root (POTEMKIN_REQUIRE)");
		skip_all("needs root (missing ROOT)");
	}
	setup_net();
	if (fpk_load(1024, &k, why, sizeof(why)) < 0) {
		if (required)
			bail_out("the fast path does not load: %s", why);
		skip_all("the fast path does not load: %s", why);
	}
	test_heartbeat();
	set_alive(UINT64_MAX);	/* the rest: a worker that beats */
	test_inbound();
	test_outbound();
	test_attach();
	test_chain();
	fpk_close(&k);
	return done_testing();
}
