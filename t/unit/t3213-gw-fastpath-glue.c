/* SPDX-License-Identifier: ISC */
/*
 * The worker's fast-path glue (nfq-gateway/fastpath.c) against the real
 * kernel: the engine's fp_add, fp_del, fp_forget and fp_flush become map
 * entries in the programs' network-order layout, or refusals (no such
 * clone, a captured type, no link on its interface, a full map); the links
 * come and go with the clones; and what the programs count is read back
 * (fp_sync) as deltas, at most every 100 ms and always before a due eng_tick.
 *
 * Needs root and BPF; runs in a network namespace of its own.
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
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "gw-pktgen.h"
#include "testnet.h"
#include "lib/monotime.h"
#include "nfq-gateway/fastpath-map.h"
#include "nfq-gateway/fastpath.h"
#include "nfq-gateway/gateway.h"
#include "t/lib/tap.h"

#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#endif

#define FARM 0xc6336407u	/* 198.51.100.7 */
#define GUEST 0x0a000002u
#define PEER 0xcb007105u

static const char policy[] =
    "farm 198.51.100.0/24\n"
    "type web tcp 80\n"
    "hosts 198.51.100.0/24 web\n"
    "universe shared\n"
    "inbound bind\n"
    "outbound pass reply within 10m\n";

static struct gw g;
static struct gw_config cfg;
static struct eng_io io;
static uint32_t serial, universe_of_clone;
static int pk_ifindex;

static void
io_clone(void *ctx, uint32_t s, const char *type, uint32_t ip, uint32_t universe)
{
	(void)ctx, (void)type, (void)ip;
	serial = s;
	universe_of_clone = universe;
}

static void io_nop_vm(void *ctx, const struct eng_vm *vm) { (void)ctx, (void)vm; }
static void io_nop_ev(void *ctx, const struct eng_event *ev) { (void)ctx, (void)ev; }

/* How many programs sit at ifindex's tcx ingress. */
static int
tcx_count(int ifindex)
{
	uint32_t ids[8];
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = (uint32_t)ifindex;
	attr.query.attach_type = BPF_TCX_INGRESS;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = 8;
	if (syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)) < 0)
		return -1;
	return (int)attr.query.prog_cnt;
}

static struct eng_fp_flow
inbound_flow(uint16_t sport)
{
	struct eng_fp_flow f = {
		.key = { .src = PEER, .dst = FARM, .sport = sport, .dport = 80,
			.proto = 6, .dir = POL_IN },
		.new_src = PEER, .new_dst = GUEST, .out_ifindex = pk_ifindex,
		.dmac = { 0x52, 0x54, 0, 1, 2, 3 }, .smac = { 2, 0, 0, 0, 0, 1 },
		.expires_ms = UINT64_MAX, .binding = serial, .vm = 1,
	};

	return f;
}

static int map_fd, alive_fd;

static bool
in_kernel(const struct eng_fp_key *k, struct fp_map_value *v)
{
	struct fp_map_key mk = {
		.src = htonl(k->src), .dst = htonl(k->dst), .sport = htons(k->sport),
		.dport = htons(k->dport), .proto = k->proto,
		.dir = k->dir == POL_OUT ? FP_DIR_OUT : FP_DIR_IN,
		.ifindex = k->dir == POL_OUT ? (uint32_t)k->ifindex : 0,
	};
	struct fp_map_value tmp;

	return bpf_map_lookup_elem(map_fd, &mk, v ? v : &tmp) == 0;
}

static struct fp_stats
stats(void)
{
	struct fp_stats s;

	fp_stats(&g, &s);
	return s;
}

/* One packet of flow f through the inbound program, as if it arrived on ext. */
static int
carry(const struct eng_fp_flow *f, int prog_fd, size_t *iplen)
{
	uint8_t fr[256], out[256];
	struct gen gn = {
		.proto = 6, .src = f->key.src, .dst = f->key.dst, .ttl = 60,
		.sport = f->key.sport, .dport = f->key.dport, .tcp_flags = 0x10,
	};
	size_t n = gen_build(&gn, fr + 14, sizeof(fr) - 14);
	struct __sk_buff ctx = { .ifindex = if_nametoindex("ext"),
		.ingress_ifindex = if_nametoindex("ext") };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = fr, .data_size_in = (uint32_t)(n + 14),
	    .data_out = out, .data_size_out = sizeof(out),
	    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);

	/* To ext's own MAC, so that the kernel takes it for this host. */
	testnet_mac("ext", fr);
	fr[12] = 0x08;
	fr[13] = 0x00;
	*iplen = n;
	if (bpf_prog_test_run_opts(prog_fd, &o) < 0)
		bail_out("BPF_PROG_TEST_RUN: %s", strerror(errno));
	return (int)o.retval;
}

static void
setup(bool required)
{
	struct pol_program *prog = NULL;
	struct eng_vm vm = { 0 };
	const char *why;
	char err[512];
	int prog_in;

	if (unshare(CLONE_NEWNET) < 0)
		bail_out("unshare(CLONE_NEWNET): %s", strerror(errno));
	testnet_sh("ip link set lo up && ip link add ext type veth peer name ext-peer && "
	    "ip link add pk7 type veth peer name pk7-peer && "
	    "for i in ext ext-peer pk7 pk7-peer; do ip link set $i up; done && "
	    "ip addr add 192.0.2.1/24 dev ext && "
	    "ip route add 203.0.113.0/24 via 192.0.2.254 dev ext && "
	    "sysctl -qw net.ipv4.ip_forward=1");
	pk_ifindex = (int)if_nametoindex("pk7");
	if (gw_config_load(&cfg, NULL, stderr) < 0)
		bail_out("default configuration");
	free(cfg.external_interface);
	cfg.external_interface = strdup("ext");
	cfg.fastpath = true;
	cfg.fastpath_flows = 16;
	g.cfg = &cfg;
	if (fpk_load(cfg.fastpath_flows, &g.fpk, err, sizeof(err)) < 0) {
		if (required)
			bail_out("the fast path does not load: %s", err);
		skip_all("the fast path does not load: %s", err);
	}
	map_fd = dup(g.fpk.map);
	alive_fd = dup(g.fpk.alive);
	prog_in = dup(g.fpk.prog_in);
	io = (struct eng_io){ .clone = io_clone, .teardown = io_nop_vm,
		.freeze = io_nop_vm, .event = io_nop_ev, .ctx = &g };
	ok(fp_setup(&g, &io) == 0 && g.fp_on, "fp_setup: on");
	ok(io.fp_add && io.fp_del && io.fp_forget && io.fp_flush, "the engine's calls are set");
	is(tcx_count((int)if_nametoindex("ext")), 1, "attached to the external interface");
	if (pol_load_buf("t.policy", policy, sizeof(policy) - 1, stderr, &prog) != 0)
		bail_out("policy");
	g.prog = prog;
	if ((g.eng = eng_new(&cfg.eng, prog, &io, mono_ms())) == NULL ||
	    eng_bind(g.eng, FARM, "web", 0, mono_ms(), &why) < 0 || serial == 0)
		bail_out("a binding");
	vm.id = 7;	/* on pk7 */
	snprintf(vm.type, sizeof(vm.type), "web");
	snprintf(vm.ifname, sizeof(vm.ifname), "pk7");
	vm.guest_ip = GUEST;
	vm.ip = FARM;
	vm.universe = universe_of_clone;
	vm.ifindex = pk_ifindex;
	fp_clone_ready(&g, &vm);
	eng_clone_ready(g.eng, serial, &vm, mono_ms());
	is(tcx_count(pk_ifindex), 1, "attached to the clone's interface when it is ready");
	ok(eng_vm_by_ifindex(g.eng, pk_ifindex) != NULL, "the engine has the clone");
	g.fpk.prog_in = prog_in;	/* the test's own copy, for BPF_PROG_TEST_RUN */
}

static void
test_add(void)
{
	struct eng_fp_flow f = inbound_flow(40000), o;
	struct fp_map_value v;
	struct fp_stats s0 = stats();

	f.expires_ms = 123456;
	ok(io.fp_add(&g, &f), "an inbound flow of a ready clone is taken");
	{
		uint64_t t = mono_ms(), dl = 0;
		uint32_t zero = 0;

		fp_sync(&g, t, false);	/* a pass of the worker's loop */
		ok(bpf_map_lookup_elem(alive_fd, &zero, &dl) == 0 &&
		    dl >= (t + 900) * 1000000 && dl <= (t + 1000) * 1000000,
		    "the heartbeat: a deadline a second ahead");
		ok(fp_next_beat(&g) <= t + 250, "and the worker wakes within 250 ms to push it on");
	}
	ok(in_kernel(&f.key, &v), "and is in the map under its network-order key");
	ok(v.new_dst == htonl(GUEST) && v.new_src == htonl(PEER) &&
	    v.out_ifindex == (uint32_t)pk_ifindex && memcmp(v.dmac, f.dmac, 6) == 0 &&
	    memcmp(v.smac, f.smac, 6) == 0 && v.binding == serial,
	    "with its rewrite, interface, MACs and binding");
	ok(v.expires_ns == 123456ull * 1000000, "expiry in the kernel's nanoseconds");
	ok(v.flags == FP_F_RPFILTER, "rpfilter (the default): the reverse path checked");
	f.expires_ms = UINT64_MAX;
	ok(io.fp_add(&g, &f) && in_kernel(&f.key, &v) && v.expires_ns == UINT64_MAX,
	    "offered again: replaced; no end stays no end");

	o = f;
	o.key = (struct eng_fp_key){ .src = GUEST, .dst = PEER, .sport = 80, .dport = 40000,
		.proto = 6, .dir = POL_OUT, .ifindex = pk_ifindex };
	o.new_src = FARM;
	o.new_dst = PEER;
	o.out_ifindex = 0;
	o.mark = 7;
	ok(io.fp_add(&g, &o) && in_kernel(&o.key, &v) && v.mark == 7 &&
	    v.new_src == htonl(FARM), "an outbound flow: keyed by its interface, with the mark");
	o.key.ifindex = pk_ifindex + 100;
	ok(!io.fp_add(&g, &o), "refused: no clone on that interface");
	f = inbound_flow(40001);
	f.key.proto = 1;
	ok(!io.fp_add(&g, &f), "refused: neither TCP nor UDP");
	f = inbound_flow(40002);
	cfg.pcap.types[0] = (char *)(uintptr_t)"web";
	cfg.pcap.ntypes = 1;
	ok(!io.fp_add(&g, &f) && !in_kernel(&f.key, NULL), "refused: its type is captured");
	{
		struct eng_fp_flow again = inbound_flow(40000);

		ok(!io.fp_add(&g, &again) && !in_kernel(&again.key, NULL),
		    "a flow offered again and refused is withdrawn, not left as it was");
		again.expires_ms = UINT64_MAX;
		cfg.pcap.ntypes = 0;
		ok(io.fp_add(&g, &again), "and taken again once allowed");
	}
	cfg.pcap.ntypes = 0;
	cfg.pcap.types[0] = NULL;
	is(stats().refused - s0.refused, 4, "four refusals counted");
	is(stats().flows, 2, "two flows");
}

static void
test_full_and_forget(void)
{
	struct eng_fp_flow f;
	int taken = 0;

	for (uint16_t p = 1; p <= 20; p++) {
		f = inbound_flow(p);
		f.binding = p % 2 ? serial : serial + 1000;
		taken += io.fp_add(&g, &f);
	}
	is(taken, 14, "a full map (fastpath_flows 16) refuses the rest");
	is(stats().flows, 16, "and holds 16");
	f = inbound_flow(2);
	io.fp_del(&g, &f.key);
	ok(!in_kernel(&f.key, NULL), "fp_del: gone from the map");
	is(stats().flows, 15, "and from the count");
	io.fp_forget(&g, serial + 1000);
	f = inbound_flow(4);
	ok(!in_kernel(&f.key, NULL), "fp_forget: a flow of that binding is gone");
	f = inbound_flow(3);
	ok(in_kernel(&f.key, NULL), "one of another binding stays");
	is(stats().flows, 9, "the other binding's 9 stay (7 + the 2 of test_add)");
}

static void
test_sync(void)
{
	struct eng_fp_flow f = inbound_flow(3);
	struct fp_stats s0 = stats(), s;
	uint64_t now = mono_ms() + 10;
	size_t len;

	is(carry(&f, g.fpk.prog_in, &len), TC_ACT_REDIRECT, "a packet of a flow carried");
	fp_sync(&g, now, true);
	s = stats();
	ok(s.packets - s0.packets == 1 && s.bytes - s0.bytes == len,
	    "fp_sync reads it back: 1 packet, %zu bytes", len);
	carry(&f, g.fpk.prog_in, &len);
	fp_sync(&g, now + 1, false);
	is(stats().packets - s0.packets, 1, "not read again within 100 ms");
	fp_sync(&g, now + 2, true);
	is(stats().packets - s0.packets, 2, "but read before a due eng_tick: only the new one");
	carry(&f, g.fpk.prog_in, &len);
	fp_sync(&g, now + 102, false);
	is(stats().packets - s0.packets, 3, "and 100 ms on without a tick");
	ok(io.fp_add(&g, &f), "the flow offered again");
	carry(&f, g.fpk.prog_in, &len);
	fp_sync(&g, now + 203, false);
	is(stats().packets - s0.packets, 4, "its counts went on: one new packet, not four");
}

static void
test_flush_and_close(void)
{
	struct fp_map_key k;

	io.fp_flush(&g);
	is(stats().flows, 0, "fp_flush: no flow left");
	ok(bpf_map_get_next_key(map_fd, NULL, &k) < 0 && errno == ENOENT,
	    "and the map is empty");
	fp_clone_gone(&g, pk_ifindex);
	is(tcx_count(pk_ifindex), 0, "the clone gone: its link too");
	fp_close(&g);
	is(tcx_count((int)if_nametoindex("ext")), 0, "fp_close: detached from the external interface");
	ok(!stats().on, "and off");
}

/*
 * A delete the kernel refuses (here: the map's descriptor number made an
 * array's, which refuses every delete) fails closed: every link goes, the
 * fast path is off, and the engine's calls do nothing from then on.
 */
static void
test_delete_fails(void)
{
	struct eng_fp_flow f = inbound_flow(5);
	char err[512];
	int real, array, internal;

	if (fpk_load(cfg.fastpath_flows, &g.fpk, err, sizeof(err)) < 0)
		bail_out("the fast path does not load again: %s", err);
	internal = g.fpk.map;	/* the number the worker's side keeps */
	io = (struct eng_io){ .clone = io_clone, .teardown = io_nop_vm,
		.freeze = io_nop_vm, .event = io_nop_ev, .ctx = &g };
	if (fp_setup(&g, &io) < 0 || !g.fp_on)
		bail_out("fp_setup again");
	fp_clone_ready(&g, eng_vm_by_ifindex(g.eng, pk_ifindex));
	ok(io.fp_add(&g, &f) && tcx_count(pk_ifindex) == 1 &&
	    tcx_count((int)if_nametoindex("ext")) == 1, "again on, a flow in the map");
	array = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, sizeof(uint32_t),
	    sizeof(struct fp_map_value), 1, NULL);
	real = dup(internal);
	if (array < 0 || real < 0 || dup2(array, internal) < 0)
		bail_out("an array map in the map's place: %s", strerror(errno));
	io.fp_del(&g, &f.key);
	ok(tcx_count((int)if_nametoindex("ext")) == 0 && tcx_count(pk_ifindex) == 0,
	    "a delete that fails: every link closed, the kernel back to the queues");
	ok(!stats().on, "and the fast path off");
	ok(!io.fp_add(&g, &f), "the engine's offers refused from then on");
	fp_clone_ready(&g, eng_vm_by_ifindex(g.eng, pk_ifindex));
	is(tcx_count(pk_ifindex), 0, "and a clone made ready gets no link");
	if (dup2(real, internal) < 0)
		bail_out("dup2: %s", strerror(errno));
	close(real);
	close(array);
	fp_close(&g);
	ok(!g.fp_on, "fp_close after failing closed");
}

int
main(void)
{
	const char *req = getenv("POTEMKIN_REQUIRE");
	bool required = req && (strcmp(req, "all") == 0 || strstr(req, "bpf"));

	if (geteuid() != 0) {
		if (required)
			bail_out("needs root (POTEMKIN_REQUIRE)");
		skip_all("needs root (missing ROOT)");
	}
	setup(required);
	test_add();
	test_full_and_forget();
	test_sync();
	test_flush_and_close();
	test_delete_fails();
	close(g.fpk.prog_in);
	close(map_fd);
	close(alive_fd);
	eng_free(g.eng);
	pol_free(g.prog);
	gw_config_free(&cfg);
	return done_testing();
}
