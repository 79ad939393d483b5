/* SPDX-License-Identifier: ISC */
/*
 * The engine's side of the kernel fast path, against a fake kernel that
 * keeps the flows it is offered and carries packets by them as the real
 * one must (addresses rewritten with incremental checksum updates, the
 * Ethernet header or the mark, expiry).  For every flow offered, the packet
 * the fake kernel makes is the one the engine makes on the slow path, byte
 * for byte; what the policy counts, logs, limits, marks infected, reflects,
 * proxies or rejects, internal traffic, reflected clones, ICMP and
 * fragments are never offered; every change of decision withdraws before
 * it takes effect (reloads, each reclaim, infected marks, expiry, eviction,
 * the history forgetting, an outside address bound); and what the kernel
 * reports keeps a busy clone and its flows alive, as its absence lets an
 * idle one go.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t/lib/eharness.h"
#include "engine/eng_int.h"
#include "t/lib/tap.h"
#include "t/lib/testpkt.h"

/* ---- the fake kernel ------------------------------------------------------ */

#define K_MAX 512

struct k_entry {
	struct eng_fp_flow f;
	bool live;
	uint64_t packets, bytes, last_ms;
};

static struct {
	struct k_entry e[K_MAX];
	int n;
	int adds, dels, forgets, flushes, refuse;
	uint32_t forgot[64];
	int nforgot;
	char order[256];	/* F forget, T teardown, Z freeze, X flush */
	const struct pol_program *flush_prog;	/* the policy in force at the flush */
	struct eng *e_at;
} K;

static void
k_reset(void)
{
	memset(&K, 0, sizeof(K));
}

static void
k_log(char c)
{
	size_t n = strlen(K.order);

	if (n + 1 < sizeof(K.order))
		K.order[n] = c;
}

static bool
key_eq(const struct eng_fp_key *a, const struct eng_fp_key *b)
{
	return a->src == b->src && a->dst == b->dst && a->sport == b->sport &&
	    a->dport == b->dport && a->proto == b->proto && a->dir == b->dir &&
	    a->ifindex == b->ifindex;
}

static struct k_entry *
k_find(const struct eng_fp_key *k)
{
	for (int i = 0; i < K.n; i++)
		if (K.e[i].live && key_eq(&K.e[i].f.key, k))
			return &K.e[i];
	return NULL;
}

static bool
k_add(void *ctx, const struct eng_fp_flow *f)
{
	struct k_entry *x = k_find(&f->key);

	(void)ctx;
	K.adds++;
	if (K.refuse)
		return false;
	if (x == NULL) {
		if (K.n == K_MAX)
			bail_out("fake kernel: full");
		x = &K.e[K.n++];
		memset(x, 0, sizeof(*x));
	}
	x->f = *f;
	x->live = true;
	return true;
}

static void
k_del(void *ctx, const struct eng_fp_key *k)
{
	struct k_entry *x = k_find(k);

	(void)ctx;
	K.dels++;
	if (x)
		x->live = false;
}

static void
k_forget(void *ctx, uint32_t binding)
{
	(void)ctx;
	K.forgets++;
	k_log('F');
	if (K.nforgot < 64)
		K.forgot[K.nforgot++] = binding;
	for (int i = 0; i < K.n; i++)
		if (K.e[i].f.binding == binding)
			K.e[i].live = false;
}

static void
k_flush(void *ctx)
{
	(void)ctx;
	K.flushes++;
	k_log('X');
	K.flush_prog = K.e_at ? K.e_at->prog : NULL;
	for (int i = 0; i < K.n; i++)
		K.e[i].live = false;
}

static int
k_live(void)
{
	int n = 0;

	for (int i = 0; i < K.n; i++)
		n += K.e[i].live;
	return n;
}

/* The kernel's own checksum update (csum_replace4): ~(~sum + ~from + to). */
static uint16_t
k_csum_replace(uint16_t sum_be, uint32_t from_be, uint32_t to_be)
{
	uint32_t s = (uint16_t)~ntohs(sum_be);

	s += (uint16_t)~ntohs((uint16_t)from_be) + (uint16_t)~ntohs((uint16_t)(from_be >> 16));
	s += ntohs((uint16_t)to_be) + ntohs((uint16_t)(to_be >> 16));
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

static void
k_set_addr(uint8_t *pkt, size_t off, uint32_t addr)
{
	size_t ihl = (size_t)(pkt[0] & 0xf) * 4;
	uint32_t from, to = htonl(addr);
	uint16_t c;

	memcpy(&from, pkt + off, 4);
	if (from == to)
		return;
	memcpy(pkt + off, &to, 4);
	memcpy(&c, pkt + 10, 2);
	c = k_csum_replace(c, from, to);
	memcpy(pkt + 10, &c, 2);
	if (pkt[9] == 6) {
		memcpy(&c, pkt + ihl + 16, 2);
		c = k_csum_replace(c, from, to);
		memcpy(pkt + ihl + 16, &c, 2);
	} else if (pkt[9] == 17) {
		memcpy(&c, pkt + ihl + 6, 2);
		if (c == 0)
			return;		/* no checksum, and none made */
		c = k_csum_replace(c, from, to);
		if (c == 0)
			c = 0xffff;	/* BPF_F_MARK_MANGLED_0 */
		memcpy(pkt + ihl + 6, &c, 2);
	}
}

struct k_out {
	int ifindex;
	uint8_t dmac[6], smac[6];
	uint32_t mark;
};

/*
 * What the kernel does with a packet arriving on dir (ifindex: the clone's
 * interface for POL_OUT): true when it carried it (pkt rewritten in place),
 * false when it is the queues'.
 */
static bool
k_carry(uint8_t dir, int ifindex, uint8_t *pkt, size_t len, uint64_t now,
    struct k_out *out)
{
	struct eng_fp_key k = { 0 };
	struct k_entry *x;
	size_t ihl;

	if (len < 20 || pkt[0] >> 4 != 4 || (pkt[9] != 6 && pkt[9] != 17))
		return false;
	ihl = (size_t)(pkt[0] & 0xf) * 4;
	if ((pkt[6] & 0x3f) != 0 || pkt[7] != 0 || len < ihl + 8)
		return false;	/* a fragment, first or later */
	k.src = tp_src(pkt);
	k.dst = tp_dst(pkt);
	k.sport = tp_sport(pkt);
	k.dport = tp_dport(pkt);
	k.proto = pkt[9];
	k.dir = dir;
	k.ifindex = dir == POL_OUT ? ifindex : 0;
	if ((x = k_find(&k)) == NULL || now > x->f.expires_ms)
		return false;
	k_set_addr(pkt, 12, x->f.new_src);
	k_set_addr(pkt, 16, x->f.new_dst);
	x->packets++;
	x->bytes += len;
	x->last_ms = now;
	memset(out, 0, sizeof(*out));
	out->ifindex = x->f.out_ifindex;
	memcpy(out->dmac, x->f.dmac, 6);
	memcpy(out->smac, x->f.smac, 6);
	out->mark = x->f.mark;
	return true;
}

/* What the worker does before each tick: report what the kernel counted. */
static void
k_report(struct harness *h)
{
	for (int i = 0; i < K.n; i++) {
		struct k_entry *x = &K.e[i];

		if (!x->live || x->packets == 0)
			continue;
		eng_fp_seen(h->e, &x->f.key, x->packets, x->bytes, x->last_ms, h->now);
		x->packets = x->bytes = 0;
	}
}

/* Move the clock in steps, reporting before every tick, as the worker does. */
static void
k_advance(struct harness *h, uint64_t ms, uint64_t step)
{
	for (uint64_t t = 0; t < ms; t += step) {
		h->now += step;
		k_report(h);
		eng_tick(h->e, h->now);
	}
}

static void (*h_teardown)(void *, const struct eng_vm *);
static void (*h_freeze)(void *, const struct eng_vm *);

static void
wrap_teardown(void *ctx, const struct eng_vm *vm)
{
	k_log('T');
	h_teardown(ctx, vm);
}

static void
wrap_freeze(void *ctx, const struct eng_vm *vm)
{
	k_log('Z');
	h_freeze(ctx, vm);
}

/* A harness whose engine has the fake kernel as its fast path. */
static struct harness *
fp_harness(const char *policy, uint32_t flow_idle_ms)
{
	struct harness *h = h_new(policy);
	struct eng_config c = h->e->cfg;
	struct eng_io io = h->e->io;

	k_reset();
	io.fp_add = k_add;
	io.fp_del = k_del;
	io.fp_forget = k_forget;
	io.fp_flush = k_flush;
	h_teardown = io.teardown;
	h_freeze = io.freeze;
	io.teardown = wrap_teardown;
	io.freeze = wrap_freeze;
	if (flow_idle_ms)
		c.flow_idle_ms = flow_idle_ms;
	eng_free(h->e);
	if ((h->e = eng_new(&c, h->prog, &io, h->now)) == NULL)
		bail_out("eng_new failed");
	h->nevents = 0;
	K.e_at = h->e;
	return h;
}

/* ---- helpers ----------------------------------------------------------- */

static uint32_t A, B, FARM7, FARM8, PEER;

static const char head[] =
    "farm 198.51.100.0/24\n"
    "type web tcp { 22 80 } udp 53\n"
    "hosts 198.51.100.0/24 web\n"
    "universe per-source\n";

static struct harness *
with(const char *rules, uint32_t flow_idle_ms)
{
	char text[4096];

	snprintf(text, sizeof(text), "%s%s", head, rules);
	return fp_harness(text, flow_idle_ms);
}

/* A SYN from src to addr:80, its clone made ready with this guest address. */
static int
clone_for(struct harness *h, uint32_t src, uint32_t addr, uint32_t guest)
{
	uint8_t p[128];
	size_t n = tp_tcp(p, src, 40000, addr, 80, TP_SYN, NULL);

	h_in(h, p, n);
	return h_ready(h, h->nclones - 1, guest);
}

static uint32_t
serial_of(struct harness *h, int vm)
{
	const struct binding *b = bt_by_vm(&h->e->bt, vm);

	return b ? b->serial : 0;
}

static const char *const payloads[] = {
	NULL, "GET / HTTP/1.0\r\n\r\n", "x", "0123456789abcdef0123456789abcdef0",
	"\xff\xff\xff\xff\x00\x00\x00\x00",
};
static const uint8_t tcp_flags[] = {
	TP_ACK, TP_ACK | TP_PSH, TP_ACK | TP_FIN, TP_RST, TP_SYN, TP_ACK | TP_RST,
};

/*
 * Send pkt inbound through both paths: the engine's slow path (a cache
 * hit, delivered) and the fake kernel; they must agree byte for byte.
 */
static bool
same_inbound(struct harness *h, const uint8_t *pkt, size_t len)
{
	uint8_t copy[2048];
	struct k_out o;
	const struct eng_vm *vm;
	int before = h->ndelivered;

	memcpy(copy, pkt, len);
	if (!k_carry(POL_IN, 0, copy, len, h->now, &o))
		return diag("the kernel did not carry it"), false;
	h_in(h, pkt, len);
	if (h->ndelivered != before + 1)
		return diag("the engine did not deliver it"), false;
	vm = eng_vm_by_ifindex(h->e, o.ifindex);
	if (vm == NULL || vm->id != h->delivered[before].vm ||
	    memcmp(o.dmac, vm->mac, 6) != 0 || memcmp(o.smac, vm->if_mac, 6) != 0 ||
	    o.mark != 0)
		return diag("another frame: ifindex %d", o.ifindex), false;
	if (h->delivered[before].len != len || memcmp(h->delivered[before].pkt, copy, len))
		return diag("other bytes"), false;
	return tp_checksums_ok(copy, len) || (diag("bad checksums"), false);
}

static bool
same_outbound(struct harness *h, int vm, const uint8_t *pkt, size_t len)
{
	uint8_t slow[2048], fast[2048];
	struct k_out o;

	memcpy(fast, pkt, len);
	memcpy(slow, pkt, len);
	if (!k_carry(POL_OUT, 1000 + vm, fast, len, h->now, &o))
		return diag("the kernel did not carry it"), false;
	if (eng_outbound(h->e, 1000 + vm, slow, len, h->now) != ENG_PASS)
		return diag("the engine did not pass it"), false;
	if (o.mark != h->e->cfg.pass_mark || o.ifindex != 0)
		return diag("another mark or an interface"), false;
	if (memcmp(slow, fast, len) != 0)
		return diag("other bytes"), false;
	return tp_checksums_ok(fast, len) || (diag("bad checksums"), false);
}

/* ---- the tests --------------------------------------------------------- */

static void
test_inbound_same_bytes(void)
{
	uint8_t p[256], u[64];
	int vm_q, vm_n, all = 0, agree = 0;
	size_t n;

	for (int g = 0; g < 2; g++) {
		struct harness *h = with("idle 1m\ninbound bind\noutbound drop\n", 0);
		uint32_t guest = g ? 0 : H_GUEST_IP;

		vm_q = clone_for(h, A, FARM7, guest);
		is(K.adds, 0, "%s: nothing offered while the clone was pending",
		    g ? "netns" : "qemu");
		n = tp_tcp(p, A, 40000, FARM7, 80, TP_ACK, NULL);
		h_in(h, p, n);
		is(k_live(), 1, "the flow is offered once its clone is ready");
		ok(K.e[0].f.expires_ms == UINT64_MAX && K.e[0].f.binding == serial_of(h, vm_q) &&
		    K.e[0].f.vm == vm_q && K.e[0].f.new_dst == (g ? FARM7 : H_GUEST_IP),
		    "as a flow of that clone, rewritten to its guest address, for good");
		for (size_t i = 0; i < sizeof(payloads) / sizeof(*payloads); i++)
			for (size_t f = 0; f < sizeof(tcp_flags); f++) {
				n = tp_tcp(p, A, 40000, FARM7, 80, tcp_flags[f], payloads[i]);
				all++;
				agree += same_inbound(h, p, n);
			}
		/* A UDP flow, with and without a checksum. */
		for (int c = 0; c < 2; c++) {
			memset(u, c ? 0x5a : 0xa5, sizeof(u));
			n = tp_udp(p, A, 5353, FARM7, 53, u, sizeof(u));
			if (c)
				p[26] = p[27] = 0;	/* "no checksum" */
			h_in(h, p, n);		/* decided: hit the cache, offered */
			for (int i = 0; i < 4; i++) {
				all++;
				agree += same_inbound(h, p, n);
			}
			(void)vm_n;
		}
		is(agree, all, "%s: %d packets the kernel carries are the engine's, byte "
		    "for byte, frame and all", g ? "netns" : "qemu", all);
		all = agree = 0;
		h_free(h);
	}
}

static void
test_outbound_same_bytes(void)
{
	struct harness *h = with("idle 1m\ninbound bind\noutbound pass\n", 0);
	uint8_t p[256], u[100];
	int vm = clone_for(h, A, FARM7, H_GUEST_IP), all = 0, agree = 0;
	size_t n;

	n = tp_tcp(p, H_GUEST_IP, 80, PEER, 40000, TP_SYN | TP_ACK, NULL);
	is(h_out(h, vm, p, n), ENG_PASS, "the clone's packet passes");
	is(k_live(), 1, "and its flow is offered");
	ok(K.e[0].f.key.ifindex == 1000 + vm && K.e[0].f.key.src == H_GUEST_IP &&
	    K.e[0].f.new_src == FARM7 && K.e[0].f.mark == h->e->cfg.pass_mark,
	    "from the clone's interface, source rewritten, with the pass mark");
	for (size_t i = 0; i < sizeof(payloads) / sizeof(*payloads); i++)
		for (size_t f = 0; f < sizeof(tcp_flags); f++) {
			n = tp_tcp(p, H_GUEST_IP, 80, PEER, 40000, tcp_flags[f], payloads[i]);
			all++;
			agree += same_outbound(h, vm, p, n);
		}
	memset(u, 0x11, sizeof(u));
	n = tp_udp(p, H_GUEST_IP, 53, PEER, 5353, u, sizeof(u));
	h_out(h, vm, p, n);
	for (int i = 0; i < 4; i++) {
		all++;
		agree += same_outbound(h, vm, p, n);
	}
	is(agree, all, "%d passed packets the kernel carries are the engine's, byte for "
	    "byte, mark and all", all);
	n = tp_tcp(p, H_GUEST_IP, 80, PEER, 40000, TP_ACK, NULL);
	ok(!k_carry(POL_OUT, 1000 + vm + 1, p, n, h->now, &(struct k_out){ 0 }),
	    "the same packet from another interface is not that flow");
	h_free(h);
}

/* Rules whose flows must stay on the queues, and a packet to try each. */
static void
test_never_offered(void)
{
	static const struct {
		const char *rules;
		const char *what;
	} in[] = {
		{ "inbound bind log\n", "a logged bind" },
		{ "inbound bind limit 100/1s\n", "a limited bind" },
	}, out[] = {
		{ "outbound pass log\n", "a logged pass" },
		{ "outbound pass limit 1000/1s\n", "a limited pass" },
		{ "outbound pass infected\n", "an infected pass" },
		{ "outbound reflect\n", "reflect" },
		{ "outbound proxy proto udp via 192.0.2.53\noutbound drop\n", "proxy" },
		{ "outbound reject\n", "reject" },
		{ "outbound drop\n", "drop" },
		{ "outbound pass proto tcp flags SA/SA\n", "a pass on TCP flags" },
		{ "outbound drop proto tcp flags R/R\noutbound pass\n",
		    "a pass after a rule on TCP flags" },
		{ "outbound drop reply within 1s\noutbound pass\n",
		    "a pass after a rule whose answer may change" },
	};
	uint8_t p[256], q[64];
	struct harness *h;
	size_t n;
	int vm, vm2, reflected;

	for (size_t i = 0; i < sizeof(in) / sizeof(*in); i++) {
		char rules[256];

		snprintf(rules, sizeof(rules), "idle 1m\n%soutbound drop\n", in[i].rules);
		h = with(rules, 0);
		clone_for(h, A, FARM7, H_GUEST_IP);
		n = tp_tcp(p, A, 40000, FARM7, 80, TP_ACK, NULL);
		h_in(h, p, n);
		h_in(h, p, n);
		is(K.adds, 0, "inbound %s is not offered", in[i].what);
		h_free(h);
	}
	for (size_t i = 0; i < sizeof(out) / sizeof(*out); i++) {
		char rules[512];

		snprintf(rules, sizeof(rules), "idle 1m\ninbound bind\n%s", out[i].rules);
		h = with(rules, 0);
		vm = clone_for(h, A, FARM7, H_GUEST_IP);
		n = tp_tcp(p, H_GUEST_IP, 80, PEER, 40000, TP_SYN | TP_ACK, NULL);
		h_out(h, vm, p, n);
		/* A UDP flow is one a rule on TCP flags cannot judge otherwise. */
		n = tp_udp(p, H_GUEST_IP, 5000, PEER, 53, (const uint8_t *)"abcdefghijkl", 12);
		if (strstr(out[i].rules, "flags") == NULL)
			h_out(h, vm, p, n);
		is(K.adds, 0, "outbound %s is not offered", out[i].what);
		h_free(h);
	}

	/* Under a pass-everything policy: internal, reflected, ICMP, fragments. */
	h = with("idle 1m\ninbound pass proto icmp bound\ninbound bind\n"
	    "outbound reflect proto tcp to any port 445\noutbound pass\n", 0);
	vm = clone_for(h, A, FARM7, H_GUEST_IP);
	vm2 = clone_for(h, A, FARM8, H_GUEST_IP);
	n = tp_tcp(p, H_GUEST_IP, 5000, FARM8, 80, TP_SYN, NULL);
	h_out(h, vm, p, n);
	h_out(h, vm, p, n);
	is(K.adds, 0, "traffic between clones is not offered");
	n = tp_tcp(p, H_GUEST_IP, 5000, PEER, 445, TP_SYN, NULL);
	h_out(h, vm, p, n);
	reflected = h_ready(h, h->nclones - 1, H_GUEST_IP);
	n = tp_tcp(p, H_GUEST_IP, 445, tp_ip("192.0.2.99"), 80, TP_SYN, NULL);
	h_out(h, reflected, p, n);
	is(K.adds, 0, "a reflection and a reflected clone's packets are not offered");
	n = tp_icmp_echo(p, A, FARM7, 7, 1);
	h_in(h, p, n);
	h_in(h, p, n);
	n = tp_icmp_echo(p, H_GUEST_IP, PEER, 7, 1);
	h_out(h, vm, p, n);
	is(K.adds, 0, "ICMP is not offered, either way");
	/* The first fragment of a new flow, then a later one. */
	n = tp_udp(p, A, 7777, FARM7, 53, q, sizeof(q));
	p[6] |= 0x20;			/* more fragments */
	p[10] = p[11] = 0;
	h_in(h, p, n);
	h_in(h, p, n);
	is(K.adds, 0, "a flow seen only in fragments is not offered");
	(void)vm2;
	h_free(h);
}

static void
test_reload_flushes_first(void)
{
	struct harness *h = with("idle 1m\ninbound bind\noutbound pass\n", 0);
	const struct pol_program *old;
	char text[1024];
	uint8_t p[128], c[128];
	struct k_out o;
	size_t n;
	int vm = clone_for(h, A, FARM7, H_GUEST_IP), delivered;

	n = tp_tcp(p, A, 40000, FARM7, 80, TP_ACK, NULL);
	h_in(h, p, n);
	n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_ACK, NULL);
	h_out(h, vm, p, n);
	is(k_live(), 2, "an inbound and an outbound flow are offered");
	old = h->e->prog;
	snprintf(text, sizeof(text), "%sidle 1m\ninbound drop\noutbound drop\n", head);
	is(h_reload(h, text), 0, "a reload narrows the policy");
	ok(K.flushes == 1 && K.flush_prog == old,
	    "every offer was withdrawn before the new policy was in force");
	is(k_live(), 0, "the kernel carries nothing of the old policy's");
	n = tp_tcp(p, A, 40000, FARM7, 80, TP_ACK, "after");
	memcpy(c, p, n);
	ok(!k_carry(POL_IN, 0, c, n, h->now, &o), "so the next packet goes to the queues");
	delivered = h->ndelivered;
	h_in(h, p, n);
	is(h->ndelivered, delivered, "where the new policy drops it");
	h_free(h);
}

/* Offer one flow of a clone (inbound) and return the clone. */
static int
offered_clone(struct harness *h, uint32_t src, uint32_t addr)
{
	uint8_t p[128];
	size_t n;
	int vm = clone_for(h, src, addr, H_GUEST_IP);

	n = tp_tcp(p, src, 40000, addr, 80, TP_ACK, NULL);
	h_in(h, p, n);
	return vm;
}

static void
test_forget_on_every_reclaim(void)
{
	const char *why;
	struct harness *h;
	int vm;

	h = with("idle 2s\ninbound bind\noutbound drop\n", 0);
	vm = offered_clone(h, A, FARM7);
	h_advance(h, 3000);
	ok(K.forgets == 1 && K.forgot[0] == 1 && strcmp(K.order, "FT") == 0 && k_live() == 0,
	    "idle: forgotten, then torn down");
	h_free(h);

	h = with("idle 1h\nlifetime 2s\ninbound bind\noutbound drop\n", 0);
	vm = offered_clone(h, A, FARM7);
	h_advance(h, 3000);
	ok(strcmp(K.order, "FT") == 0 && k_live() == 0, "lifetime: forgotten, then torn down");
	h_free(h);

	h = with("idle 1h\nlimit vms 1\ninbound bind\noutbound drop\n", 0);
	vm = offered_clone(h, A, FARM7);
	h_advance(h, 100);
	clone_for(h, B, FARM8, H_GUEST_IP);
	ok(strncmp(K.order, "FT", 2) == 0 && K.forgot[0] == 1,
	    "pressure: forgotten, then torn down");
	h_free(h);

	for (int freeze = 0; freeze < 2; freeze++) {
		h = with("idle 1h\ninbound bind\noutbound drop\n", 0);
		vm = offered_clone(h, A, FARM7);
		eng_reclaim_vm(h->e, vm, freeze, h->now, &why);
		ok(strcmp(K.order, freeze ? "FZ" : "FT") == 0 && k_live() == 0,
		    "operator %s: forgotten first", freeze ? "freeze" : "teardown");
		h_free(h);
	}

	h = with("idle 1h\ninfected keep\ninbound bind\noutbound drop\n", 0);
	vm = offered_clone(h, A, FARM7);
	eng_mark_infected(h->e, vm, "test", h->now, &why);
	ok(K.forgets == 1 && k_live() == 0, "infected (kept): its flows are forgotten");
	offered_clone(h, A, FARM7);
	is(k_live(), 0, "and an infected clone's flows are not offered again");
	h_free(h);

	h = with("idle 1h\ninfected teardown\ninbound bind\noutbound drop\n", 0);
	vm = offered_clone(h, A, FARM7);
	eng_mark_infected(h->e, vm, "test", h->now, &why);
	ok(strncmp(K.order, "F", 1) == 0 && strchr(K.order, 'T') && k_live() == 0,
	    "infected (teardown): forgotten before the teardown");
	h_free(h);

	h = with("idle 1h\ninbound bind\noutbound drop\n", 0);
	{
		uint8_t p[128];
		size_t n = tp_tcp(p, A, 40000, FARM7, 80, TP_SYN, NULL);
		struct eng_vm v = { 0 };

		h_in(h, p, n);
		v.id = h->next_vm++;
		snprintf(v.type, sizeof(v.type), "web");
		snprintf(v.ifname, sizeof(v.ifname), "pk%d", v.id);
		snprintf(v.host, sizeof(v.host), "vmm1");
		v.guest_ip = H_GUEST_IP;
		v.ip = FARM7;
		v.universe = h->clones[0].universe;
		v.ifindex = 1000 + v.id;
		eng_clone_ready(h->e, h->clones[0].serial, &v, h->now);
		n = tp_tcp(p, A, 40000, FARM7, 80, TP_ACK, NULL);
		h_in(h, p, n);
		is(k_live(), 1, "a clone on host vmm1 has its flow offered");
		eng_host_state(h->e, "vmm1", false, "test", h->now);
		ok(strcmp(K.order, "FT") == 0 && k_live() == 0, "host down: forgotten first");
	}
	h_free(h);

	h = with("idle 1h\ninbound bind\noutbound drop\n", 0);
	offered_clone(h, A, FARM7);
	offered_clone(h, B, FARM7);
	is(k_live(), 2, "two clones with a flow each");
	eng_reclaim_all(h->e, h->now);
	ok(strcmp(K.order, "FTFT") == 0 && k_live() == 0, "exit: each forgotten first");
	h_free(h);
}

static void
test_del_on_expiry_and_eviction(void)
{
	struct harness *h = with("idle 1h\ninbound bind\noutbound drop\n", 3000);
	uint8_t p[128];
	size_t n;
	int bad = 0;

	offered_clone(h, A, FARM7);
	h_advance(h, 2000);
	is(K.dels, 0, "a flow within the cache's idle time stays");
	h_advance(h, 4000);
	ok(K.dels == 1 && k_live() == 0, "a flow idle past it is withdrawn");
	n = tp_tcp(p, A, 40000, FARM7, 80, TP_ACK, NULL);
	h_in(h, p, n);
	is(k_live(), 1, "and its next packet is decided and offered again");
	h_free(h);

	/* A small cache full of offered flows: each eviction withdraws. */
	h = with("idle 1h\nlimit flows 8\ninbound bind\noutbound drop\n", 0);
	offered_clone(h, A, FARM7);
	for (uint16_t port = 1; port <= 200; port++) {
		n = tp_tcp(p, A, port, FARM7, 80, TP_ACK, NULL);
		h_in(h, p, n);
		h_in(h, p, n);
	}
	ok(htab_evictions(h->e->flows.t) > 100, "the cache evicted (%llu)",
	    (unsigned long long)htab_evictions(h->e->flows.t));
	for (int i = 0; i < K.n; i++) {
		struct flow_key fk = { .src = K.e[i].f.key.src, .dst = K.e[i].f.key.dst,
		    .sport = K.e[i].f.key.sport, .dport = K.e[i].f.key.dport,
		    .proto = K.e[i].f.key.proto, .dir = POL_IN };
		const struct flow_val *v = htab_find(h->e->flows.t, &fk,
		    htab_hash(h->e->flows.t, &fk));

		if (K.e[i].live && (v == NULL || !(v->slot_action & FLOW_FP_ON)))
			bad++;
	}
	ok(k_live() <= 8 && bad == 0, "the kernel holds only flows the cache still has "
	    "(%d live, %d withdrawn)", k_live(), K.dels);
	h_free(h);
}

static void
test_seen_keeps_busy_clones(void)
{
	struct harness *h = with("idle 2s\ninbound bind\noutbound pass\n", 3000);
	uint8_t p[128];
	struct k_out o;
	struct eng_stats st;
	size_t n;
	int vm = offered_clone(h, A, FARM7), carried = 0;
	uint64_t in_before;

	n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_ACK, NULL);
	h_out(h, vm, p, n);
	is(k_live(), 2, "both ways offered");
	eng_stats(h->e, &st);
	in_before = st.in_packets;
	for (int i = 0; i < 40; i++) {	/* 10 s, a packet each way every 250 ms */
		n = tp_tcp(p, A, 40000, FARM7, 80, TP_ACK, "k");
		carried += k_carry(POL_IN, 0, p, n, h->now, &o);
		n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_ACK, "k");
		carried += k_carry(POL_OUT, 1000 + vm, p, n, h->now, &o);
		k_advance(h, 250, 250);
	}
	is(carried, 80, "the kernel carried 80 packets");
	ok(bt_by_vm(&h->e->bt, vm) != NULL && h_event_kind(h, "reclaim") == 0 &&
	    K.dels == 0, "10 s of kernel-only traffic: the clone (idle 2s) and its flows live");
	eng_stats(h->e, &st);
	ok(st.fp_packets_seen == 80 && st.in_packets == in_before + 40,
	    "and the counters count what the kernel carried");
	{
		const struct binding *b = bt_by_vm(&h->e->bt, vm);

		ok(b && b->pkts_in >= 42 && b->pkts_out >= 41, "as the clone's own counters do");
	}
	ok(hist_age(&h->e->hist, A, FARM7, A, h->now) <= 250,
	    "and the history knows the peer spoke just now");
	k_advance(h, 3000, 100);
	ok(bt_by_vm(&h->e->bt, vm) == NULL && h_event_kind(h, "reclaim") == 1 &&
	    strcmp(K.order, "FT") == 0, "once the kernel reports nothing, it goes idle");
	h_free(h);
}

static void
test_reply_within(void)
{
	struct harness *h;
	uint8_t p[128], c[128];
	struct k_out o;
	size_t n;
	int vm;
	uint64_t spoke;

	h = with("idle 1h\ninbound bind\noutbound pass reply within 5s\n", 0);
	vm = clone_for(h, A, FARM7, H_GUEST_IP);
	spoke = h->now;
	h->now += 1000;
	n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_SYN | TP_ACK, NULL);
	is(h_out(h, vm, p, n), ENG_PASS, "a reply within 5 s passes");
	ok(k_live() == 1 && K.e[0].f.expires_ms == spoke + 5000,
	    "offered until the peer's last packet plus the window");
	n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_ACK, "late");
	h->now = spoke + 5000;
	memcpy(c, p, n);
	ok(k_carry(POL_OUT, 1000 + vm, c, n, h->now, &o), "the kernel carries it up to then");
	h->now++;
	memcpy(c, p, n);
	ok(!k_carry(POL_OUT, 1000 + vm, c, n, h->now, &o), "not a millisecond longer");
	is(h_out(h, vm, p, n), ENG_DROP, "where the engine drops it too");
	/* The peer speaks again: the next reply is offered afresh. */
	n = tp_tcp(p, A, 40000, FARM7, 80, TP_ACK, NULL);
	h_in(h, p, n);
	n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_ACK, NULL);
	is(h_out(h, vm, p, n), ENG_PASS, "once the peer speaks again");
	ok(K.e[0].live && K.e[0].f.expires_ms == h->now + 5000, "offered again, to a new end");
	h_free(h);

	/* Conversations: the peer starting three others pushes this one out. */
	h = with("idle 1h\ninbound bind\noutbound pass reply conversation within 1h\n", 0);
	vm = clone_for(h, A, FARM7, H_GUEST_IP);
	n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_SYN | TP_ACK, NULL);
	is(h_out(h, vm, p, n), ENG_PASS, "a reply in the peer's conversation passes");
	is(k_live(), 1, "and is offered");
	for (uint16_t port = 1; port <= 3; port++) {
		h->now += 10;
		n = tp_tcp(p, A, (uint16_t)(40000 + port), FARM7, 80, TP_SYN, NULL);
		h_in(h, p, n);
	}
	ok(K.e[0].f.key.dir == POL_OUT && !K.e[0].live && K.dels == 1,
	    "the history forgot it: the offer is withdrawn");
	n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_ACK, NULL);
	is(h_out(h, vm, p, n), ENG_DROP, "as the engine now drops it");
	h_free(h);
}

static void
test_outside_address_bound(void)
{
	struct harness *h = with("idle 1h\ninbound bind\n"
	    "outbound reflect proto tcp to any port 445\noutbound pass\n", 0);
	uint8_t p[128];
	size_t n;
	int vm = clone_for(h, A, FARM7, H_GUEST_IP), vm2 = clone_for(h, A, FARM8, H_GUEST_IP);
	int delivered;

	n = tp_tcp(p, H_GUEST_IP, 5000, PEER, 80, TP_SYN, NULL);
	is(h_out(h, vm, p, n), ENG_PASS, "a pass to an outside peer");
	is(k_live(), 1, "offered");
	n = tp_tcp(p, H_GUEST_IP, 5001, PEER, 445, TP_SYN, NULL);
	h_out(h, vm2, p, n);	/* PEER now has a clone in the universe */
	h_ready(h, h->nclones - 1, H_GUEST_IP);
	is(k_live(), 0, "a clone for the peer's address in that universe withdraws it");
	delivered = h->ndelivered;
	n = tp_tcp(p, H_GUEST_IP, 5000, PEER, 80, TP_ACK, NULL);
	is(h_out(h, vm, p, n), ENG_DROP, "the next packet stays inside");
	is(h->ndelivered, delivered + 1, "delivered to that clone");
	h_free(h);
}

static void
test_unknown_and_refused(void)
{
	struct harness *h = with("idle 1h\ninbound bind\noutbound drop\n", 0);
	struct eng_fp_key k = { .src = A, .dst = FARM7, .sport = 1, .dport = 80,
	    .proto = 6, .dir = POL_IN };
	struct eng_stats st;
	uint8_t p[128];
	size_t n;

	eng_fp_seen(h->e, &k, 10, 1000, h->now, h->now);
	eng_stats(h->e, &st);
	is(st.fp_packets_seen, 0, "a key the engine never offered is ignored");
	K.refuse = 1;
	offered_clone(h, A, FARM7);
	n = tp_tcp(p, A, 40000, FARM7, 80, TP_ACK, NULL);
	h_in(h, p, n);
	h_in(h, p, n);
	eng_stats(h->e, &st);
	ok(K.adds == 1 && st.fp_refusals == 1,
	    "a flow the kernel refused is not offered on every packet");
	h_free(h);
}

/*
 * A kernel packet that came after the flow had idled past flow_idle_ms,
 * reported before the expiry sweep saw it: the slow path would have found
 * the entry stale, so the offer is withdrawn, not revived.
 */
static void
test_seen_after_idle(void)
{
	struct harness *h = with("idle 1h\ninbound bind\noutbound drop\n", 0);
	struct eng_fp_key k = { .src = A, .dst = FARM7, .sport = 40000, .dport = 80,
	    .proto = 6, .dir = POL_IN };
	struct flow_key fk = { .src = A, .dst = FARM7, .sport = 40000, .dport = 80,
	    .proto = 6, .dir = POL_IN };
	struct eng_stats st;

	offered_clone(h, A, FARM7);
	is(k_live(), 1, "a flow offered");
	h->now += h->e->cfg.flow_idle_ms + 5000;
	eng_fp_seen(h->e, &k, 1, 40, h->now, h->now);
	eng_stats(h->e, &st);
	ok(k_live() == 0 && htab_find(h->e->flows.t, &fk, htab_hash(h->e->flows.t, &fk)) == NULL,
	    "a packet after flow idle: withdrawn and its entry gone, not revived");
	is(st.fp_packets_seen, 1, "what the kernel carried is still counted");
	h_free(h);
}

/*
 * Outbound packets of a flow the kernel took, before it carries them (or
 * the fake kernel here, which never does): one offer, not one a packet,
 * until the end the offer names changes.
 */
static void
test_outbound_offered_once(void)
{
	struct harness *h = with("idle 1h\ninbound bind\noutbound pass\n", 0);
	int vm = clone_for(h, A, FARM7, H_GUEST_IP), adds0;
	uint8_t p[128];
	size_t n;

	adds0 = K.adds;
	for (int i = 0; i < 5; i++) {
		n = tp_tcp(p, H_GUEST_IP, 80, PEER, 40000, TP_ACK, NULL);
		h_out(h, vm, p, n);
		h->now += 10;
	}
	ok(K.adds - adds0 == 1 && k_live() >= 1,
	    "5 packets of an offered outbound flow: offered once (%d)", K.adds - adds0);
	h_free(h);

	h = with("idle 1h\ninbound bind\noutbound pass reply within 1h\n", 0);
	vm = clone_for(h, A, FARM7, H_GUEST_IP);
	adds0 = K.adds;
	for (int i = 0; i < 5; i++) {
		n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_ACK, NULL);
		h_out(h, vm, p, n);
		h->now += 10;
	}
	is(K.adds - adds0, 1, "under reply within too, while its end stays the same");
	n = tp_tcp(p, A, 40000, FARM7, 80, TP_ACK, NULL);
	h_in(h, p, n);
	adds0 = K.adds;	/* the peer's own flow may have been offered */
	n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_ACK, NULL);
	h_out(h, vm, p, n);
	is(K.adds - adds0, 1, "the peer spoke again: offered again, to the new end");
	h_free(h);
}

/*
 * Refused `reply within` offers leave nothing on the history entries they
 * would have rested on: the table of those never evicts, and full it
 * would turn every later offer away.
 */
static void
test_reply_refused_no_rest(void)
{
	struct harness *h = fp_harness("farm 198.51.100.0/24\ntype web tcp { 22 80 } udp 53\n"
	    "hosts 198.51.100.0/24 web\nuniverse shared\nidle 1h\ninbound bind\n"
	    "outbound pass reply within 1h\n", 0);
	int vm = clone_for(h, A, FARM7, H_GUEST_IP), refused = 0;
	uint32_t peer = tp_ip("20.0.0.1");	/* in memory only: no packet leaves */
	uint8_t p[128];
	size_t n;

	K.refuse = 1;
	for (uint32_t i = 0; i < 17000; i++, peer++) {
		n = tp_tcp(p, peer, 40000, FARM7, 80, TP_SYN, NULL);
		h_in(h, p, n);
		h->ndelivered = 0;	/* only the engine's answers count here */
		n = tp_tcp(p, H_GUEST_IP, 80, peer, 40000, TP_SYN | TP_ACK, NULL);
		refused += h_out(h, vm, p, n) == ENG_PASS;
	}
	is(refused, 17000, "17000 peers' replies pass, their offers refused");
	is(htab_count(h->e->fp.rests), 0, "and no history entry keeps a record of them");
	K.refuse = 0;
	n = tp_tcp(p, peer, 40000, FARM7, 80, TP_SYN, NULL);
	h_in(h, p, n);
	n = tp_tcp(p, H_GUEST_IP, 80, peer, 40000, TP_SYN | TP_ACK, NULL);
	h_out(h, vm, p, n);
	ok(k_live() == 1 && K.e[0].f.key.dst == peer, "the next peer's reply is offered");
	h_free(h);
}

/* A refused outbound offer leaves no record in the flow cache. */
static void
test_outbound_refused(void)
{
	struct harness *h = with("idle 1h\ninbound bind\noutbound pass\n", 0);
	int vm = clone_for(h, A, FARM7, H_GUEST_IP);
	size_t before = htab_count(h->e->flows.t), n;
	struct eng_stats st;
	uint8_t p[128];

	K.refuse = 1;
	n = tp_tcp(p, H_GUEST_IP, 80, PEER, 40000, TP_SYN | TP_ACK, NULL);
	is(h_out(h, vm, p, n), ENG_PASS, "the clone's packet passes");
	eng_stats(h->e, &st);
	ok(st.fp_refusals == 1 && k_live() == 0, "its offer refused");
	is(htab_count(h->e->flows.t), before, "and no record of it stays in the flow cache");
	K.refuse = 0;
	h_out(h, vm, p, n);
	ok(k_live() == 1 && htab_count(h->e->flows.t) == before + 1,
	    "taken once the kernel takes it, with its record");
	h_free(h);
}

/*
 * A kernel report of a packet older than the source's last slow-path one:
 * the scan filter must neither start the source afresh nor drop its newer
 * addresses, or a scanner that keeps one flow in the kernel gets a clone
 * for every address (t4001 with the fast path on).
 */
static void
test_scan_late_report(void)
{
	struct harness *h = with("idle 1h\ninbound drop scanner over 4 addresses in 60s\n"
	    "inbound bind\noutbound drop\n", 0);
	uint8_t p[128], c[128];
	size_t n;
	struct k_out o;
	int clones0, vm;
	uint32_t a;

	vm = offered_clone(h, A, FARM7);
	(void)vm;
	for (int round = 0; round < 5; round++) {
		/* One packet on the fast-pathed flow. */
		n = tp_tcp(p, A, 40000, FARM7, 80, TP_ACK, NULL);
		memcpy(c, p, n);
		k_carry(POL_IN, 0, c, n, h->now, &o);
		h->now += 5;
		/* Three new addresses on the slow path (under the threshold of 4). */
		for (int i = 0; i < 3; i++) {
			a = tp_ip("198.51.100.0") + 20 + (uint32_t)(round * 3 + i);
			n = tp_tcp(p, A, 41000, a, 80, TP_SYN, NULL);
			h_in(h, p, n);
		}
		/* The worker's flush: the kernel's report, then the tick. */
		k_report(h);
		eng_tick(h->e, h->now);
		h->now += 5;
	}
	clones0 = h->nclones;
	ok(clones0 <= 1 + 4, "a scanner over 4 addresses, one flow in the kernel reported late: "
	    "no more than 4 new clones (got %d)", clones0);
	h_free(h);
}

int
main(void)
{
	A = tp_ip("203.0.113.5");
	B = tp_ip("203.0.113.6");
	PEER = tp_ip("192.0.2.80");
	FARM7 = tp_ip("198.51.100.7");
	FARM8 = tp_ip("198.51.100.8");
	test_inbound_same_bytes();
	test_outbound_same_bytes();
	test_never_offered();
	test_reload_flushes_first();
	test_forget_on_every_reclaim();
	test_del_on_expiry_and_eviction();
	test_seen_keeps_busy_clones();
	test_reply_within();
	test_outside_address_bound();
	test_unknown_and_refused();
	test_outbound_refused();
	test_outbound_offered_once();
	test_reply_refused_no_rest();
	test_seen_after_idle();
	test_scan_late_report();
	return done_testing();
}
