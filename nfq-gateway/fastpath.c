/* SPDX-License-Identifier: ISC */
/*
 * The kernel fast path, as the worker runs it.  The parent loaded the
 * programs and made the map before the fork (it alone has CAP_BPF) and
 * kept no copy; the worker makes the tcx links, so that they go with it:
 * when the worker dies, by kill -9 or anything else, the kernel detaches
 * every program and the packets meet the fail-closed queues again.
 *
 * The worker keeps an index of what it put in the map: the binding of each
 * flow (for fp_forget) and the counts it last read (for the deltas it hands
 * to eng_fp_seen).  The map never holds a flow the index does not.
 */
#include "fastpath.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "fastpath-index.h"
#include "fastpath-load.h"
#include "fastpath-map.h"
#include "gateway.h"
#include "lib/log.h"
#include "lib/monotime.h"

#define FP_BATCH 1024		/* map entries read per system call */
#define NS_PER_MS 1000000ull
/*
 * The heartbeat: the programs carry nothing once the deadline the worker
 * wrote is past.  Written at most every FP_BEAT_EVERY_MS, and the worker
 * wakes for it every FP_BEAT_WAKE_MS while the fast path is on, so the
 * deadline stays a good way ahead of a running worker.
 */
#define FP_BEAT_AHEAD_MS 1000
#define FP_BEAT_EVERY_MS 100
#define FP_BEAT_WAKE_MS 250
#define FP_WARN_EVERY_MS 10000
/*
 * A read of the map copies every entry (some 6 MB for 65 536 flows):
 * made this often at most, besides right before an eng_tick that is due.
 */
#define FP_SYNC_EVERY_MS 100

struct fp_link {
	int ifindex;
	int fd;
};

struct gw_fastpath {
	struct fpk k;
	int ext_link;
	struct fpx *index;		/* what the map holds */
	struct fp_link *links;		/* one per ready clone */
	size_t nlinks, caplinks;
	uint64_t added, removed, refused, packets, bytes;
	uint64_t synced_ms;
	uint64_t beat_ms;		/* when the deadline was last written (or tried); 0 never */
	uint64_t warned_ms, read_fails;	/* a failing read of the counts, said seldom */
	bool failed;			/* a delete failed: links closed, off */
	struct fp_map_key *bkeys;	/* the batch read's buffers */
	struct fp_map_value *bvals;
};

static struct gw_fastpath fp_state;

static struct gw_fastpath *
fp_of(const struct gw *g)
{
	return g->fp_on && !fp_state.failed ? &fp_state : NULL;
}

/* ---- keys --------------------------------------------------------------- */

static void
map_key(const struct eng_fp_key *k, struct fp_map_key *mk)
{
	memset(mk, 0, sizeof(*mk));
	mk->src = htonl(k->src);
	mk->dst = htonl(k->dst);
	mk->sport = htons(k->sport);
	mk->dport = htons(k->dport);
	mk->proto = k->proto;
	mk->dir = k->dir == POL_OUT ? FP_DIR_OUT : FP_DIR_IN;
	mk->ifindex = k->dir == POL_OUT ? (uint32_t)k->ifindex : 0;
}

static void
eng_key(const struct fp_map_key *mk, struct eng_fp_key *k)
{
	memset(k, 0, sizeof(*k));
	k->src = ntohl(mk->src);
	k->dst = ntohl(mk->dst);
	k->sport = ntohs(mk->sport);
	k->dport = ntohs(mk->dport);
	k->proto = mk->proto;
	k->dir = mk->dir == FP_DIR_OUT ? POL_OUT : POL_IN;
	k->ifindex = (int)mk->ifindex;
}

/* The engine's clock and the kernel's are both CLOCK_MONOTONIC. */
static uint64_t
expires_ns(uint64_t ms)
{
	return ms >= UINT64_MAX / NS_PER_MS ? UINT64_MAX : ms * NS_PER_MS;
}

/* ---- links ---------------------------------------------------------------- */

static bool
has_link(const struct gw_fastpath *fp, int ifindex)
{
	for (size_t i = 0; i < fp->nlinks; i++)
		if (fp->links[i].ifindex == ifindex)
			return true;
	return false;
}

void
fp_clone_ready(struct gw *g, const struct eng_vm *vm)
{
	struct gw_fastpath *fp = fp_of(g);
	int fd;

	if (fp == NULL || vm->ifindex <= 0 || has_link(fp, vm->ifindex))
		return;
	if (fp->nlinks == fp->caplinks) {
		size_t cap = fp->caplinks ? fp->caplinks * 2 : 64;
		struct fp_link *l = realloc(fp->links, cap * sizeof(*l));

		if (l == NULL) {
			log_warnx("fast path: no memory for %s's link", vm->ifname);
			return;
		}
		fp->links = l;
		fp->caplinks = cap;
	}
	/* Without its link, its flows are refused and stay on the queues. */
	if ((fd = fpk_attach(fp->k.prog_out, vm->ifindex)) < 0) {
		log_warn("fast path: attaching to %s", vm->ifname);
		return;
	}
	fp->links[fp->nlinks++] = (struct fp_link){ vm->ifindex, fd };
}

void
fp_clone_gone(struct gw *g, int ifindex)
{
	struct gw_fastpath *fp = fp_of(g);

	if (fp == NULL)
		return;
	for (size_t i = 0; i < fp->nlinks; i++) {
		if (fp->links[i].ifindex == ifindex) {
			close(fp->links[i].fd);
			fp->links[i] = fp->links[--fp->nlinks];
			return;
		}
	}
}

/* ---- the heartbeat ------------------------------------------------------- */

/* Push the deadline on, unless written less than FP_BEAT_EVERY_MS ago. */
static void
beat(struct gw_fastpath *fp)
{
	uint64_t now = mono_ms(), deadline;
	uint32_t zero = 0;

	if (fp->beat_ms != 0 && now - fp->beat_ms < FP_BEAT_EVERY_MS)
		return;
	deadline = (now + FP_BEAT_AHEAD_MS) * NS_PER_MS;
	/*
	 * A write that fails leaves the old deadline: the kernel stops
	 * carrying, safely.  It is tried again FP_BEAT_EVERY_MS later, not on
	 * every pass: beat_ms moves on regardless, or fp_next_beat would stay
	 * in the past and the worker's timer would fire without end.
	 */
	(void)bpf_map_update_elem(fp->k.alive, &zero, &deadline, BPF_ANY);
	fp->beat_ms = now;
}

uint64_t
fp_next_beat(const struct gw *g)
{
	const struct gw_fastpath *fp = fp_of(g);

	return fp == NULL ? UINT64_MAX : fp->beat_ms + FP_BEAT_WAKE_MS;
}

/* ---- failing closed ------------------------------------------------------- */

static void
close_links(struct gw_fastpath *fp)
{
	for (size_t i = 0; i < fp->nlinks; i++)
		close(fp->links[i].fd);
	fp->nlinks = 0;
	if (fp->ext_link >= 0)
		close(fp->ext_link);
	fp->ext_link = -1;
}

/*
 * A flow the engine withdrew stays in the map: the kernel would go on
 * carrying what the engine no longer decides.  Every link goes, so the
 * kernel falls back to the fail-closed queues at once, and the gateway
 * runs on without the fast path (the map and index wait for fp_close: a
 * sweep may be walking the index now).
 */
static void
fail_closed(struct gw_fastpath *fp, int err)
{
	close_links(fp);
	fp->failed = true;
	log_warnx("fast path off: removing a flow from the map: %s; every link closed, "
	    "all packets go to the queues", strerror(err));
}

/*
 * Remove a flow from the map: gone or not there is done; any other error
 * is tried once more, then fails closed.  Whether the map held it.
 */
static bool
map_delete(struct gw_fastpath *fp, const struct fp_map_key *mk)
{
	for (int tries = 0; tries < 2; tries++) {
		if (bpf_map_delete_elem(fp->k.map, mk) == 0)
			return true;
		if (errno == ENOENT)
			return false;
	}
	fail_closed(fp, errno);
	return false;
}

/* ---- the engine's calls ------------------------------------------------------ */

/* Whether the kernel may carry flows of the clone on ifindex. */
static bool
clone_allowed(struct gw *g, struct gw_fastpath *fp, int ifindex, bool outbound)
{
	const struct eng_vm *vm = eng_vm_by_ifindex(g->eng, ifindex);

	if (vm == NULL)
		return false;
	/* A captured clone's every packet goes through the worker, to its files. */
	if (gw_pcap_wanted(g->cfg, vm->type))
		return false;
	return !outbound || has_link(fp, ifindex);
}

static bool
fp_add(void *ctx, const struct eng_fp_flow *f)
{
	struct gw *g = ctx;
	struct gw_fastpath *fp = fp_of(g);
	bool out = f->key.dir == POL_OUT, created = false;
	struct fp_map_value v, old;
	struct fp_map_key mk;
	struct fp_seen *s;

	if (fp == NULL)
		return false;
	map_key(&f->key, &mk);
	if ((f->key.proto != IPPROTO_TCP && f->key.proto != IPPROTO_UDP) ||
	    !clone_allowed(g, fp, out ? f->key.ifindex : f->out_ifindex, out))
		goto refuse;
	memset(&v, 0, sizeof(v));
	v.new_src = htonl(f->new_src);
	v.new_dst = htonl(f->new_dst);
	v.out_ifindex = out ? 0 : (uint32_t)f->out_ifindex;
	v.mark = out ? f->mark : 0;
	memcpy(v.dmac, f->dmac, 6);
	memcpy(v.smac, f->smac, 6);
	v.binding = f->binding;
	/* Ahead of netfilter, the fast path checks what its rpfilter rule would. */
	v.flags = !out && g->cfg->rpfilter ? FP_F_RPFILTER : 0;
	v.expires_ns = expires_ns(f->expires_ms);
	if ((s = fpx_insert(fp->index, &mk, &created)) == NULL)
		goto refuse;	/* as many flows as the map holds */
	if (!created && bpf_map_lookup_elem(fp->k.map, &mk, &old) == 0) {
		/*
		 * A new decision for a flow the kernel carries: its counts go
		 * on, so that the next read hands over only what is new.  (A
		 * packet the kernel counts between these two calls is lost to
		 * the engine's counters, not to its flow.)
		 */
		v.packets = old.packets;
		v.bytes = old.bytes;
		v.last_ns = old.last_ns;
	} else {
		memset(s, 0, sizeof(*s));
	}
	s->binding = f->binding;
	if (bpf_map_update_elem(fp->k.map, &mk, &v, BPF_ANY) < 0)
		goto refuse;
	fp->added++;
	return true;
refuse:
	/* Refused, a flow offered before is withdrawn: its old decision is not the engine's. */
	if (fpx_delete(fp->index, &mk)) {
		map_delete(fp, &mk);
		fp->removed++;
	}
	fp->refused++;
	return false;
}

static void
fp_del(void *ctx, const struct eng_fp_key *k)
{
	struct gw *g = ctx;
	struct gw_fastpath *fp = fp_of(g);
	struct fp_map_key mk;

	if (fp == NULL)
		return;
	map_key(k, &mk);
	if (fpx_delete(fp->index, &mk)) {
		map_delete(fp, &mk);
		fp->removed++;
	}
}

struct forget_ctx {
	struct gw_fastpath *fp;
	uint32_t binding;
	bool all;
};

static bool
forget_one(void *ctx, const struct fp_map_key *key, struct fp_seen *s)
{
	struct forget_ctx *c = ctx;

	if (!c->all && s->binding != c->binding)
		return true;
	/* Deleting a key already gone (a sweep may visit twice) is harmless. */
	if (!c->fp->failed && map_delete(c->fp, key))
		c->fp->removed++;
	return false;
}

/* Costs a walk of the index: reclaims and reloads, never per packet. */
static void
fp_forget(void *ctx, uint32_t binding)
{
	struct gw *g = ctx;
	struct forget_ctx c = { fp_of(g), binding, false };

	if (c.fp != NULL && fpx_count(c.fp->index) > 0)
		fpx_sweep(c.fp->index, forget_one, &c);
}

static void
fp_flush(void *ctx)
{
	struct gw *g = ctx;
	struct forget_ctx c = { fp_of(g), 0, true };

	if (c.fp != NULL && fpx_count(c.fp->index) > 0)
		fpx_sweep(c.fp->index, forget_one, &c);
}

/* ---- reading the counts back ---------------------------------------------- */

static void
report(struct gw *g, struct gw_fastpath *fp, const struct fp_map_key *mk,
    const struct fp_map_value *v, uint64_t now_ms)
{
	struct fp_seen *s = fpx_find(fp->index, mk);
	struct eng_fp_key k;
	uint64_t dp, db, last_ms;

	if (s == NULL || v->packets == s->packets)
		return;
	dp = v->packets - s->packets;
	db = v->bytes - s->bytes;
	s->packets = v->packets;
	s->bytes = v->bytes;
	fp->packets += dp;
	fp->bytes += db;
	/*
	 * The program writes last_ns before it counts, but an entry read
	 * while its first packet is being counted on another CPU may show
	 * the count without the time: that packet is now's.
	 */
	last_ms = v->last_ns == 0 ? now_ms : v->last_ns / NS_PER_MS;
	eng_key(mk, &k);
	/* The engine may withdraw or offer flows from here: s is not used again. */
	eng_fp_seen(g->eng, &k, dp, db, last_ms > now_ms ? now_ms : last_ms, now_ms);
}

/*
 * A read that fails is tried again on the next pass that reads:
 * said once every FP_WARN_EVERY_MS, with how many failed in between.
 */
static void
read_failed(struct gw_fastpath *fp, uint64_t now_ms)
{
	int err = errno;

	if (fp->warned_ms != 0 && now_ms - fp->warned_ms < FP_WARN_EVERY_MS) {
		fp->read_fails++;
		return;
	}
	log_warnx("fast path: reading its counts: %s (%llu more failures since the last line)",
	    strerror(err), (unsigned long long)fp->read_fails);
	fp->read_fails = 0;
	fp->warned_ms = now_ms;
}

void
fp_sync(struct gw *g, uint64_t now_ms, bool tick_due)
{
	struct gw_fastpath *fp = fp_of(g);
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t cursor = 0, n;
	bool first = true, done = false;

	if (fp == NULL)
		return;
	beat(fp);	/* every pass of the worker's loop: it runs */
	if (fpx_count(fp->index) == 0 || now_ms == fp->synced_ms ||
	    (!tick_due && now_ms - fp->synced_ms < FP_SYNC_EVERY_MS))
		return;
	fp->synced_ms = now_ms;
	/*
	 * One read of the whole map, FP_BATCH entries a call; the engine's
	 * calls come after each batch is read, so what they change in the
	 * map cannot upset the walk's cursor.
	 */
	while (!done) {
		int err;

		n = FP_BATCH;
		err = bpf_map_lookup_batch(fp->k.map, first ? NULL : &cursor, &cursor,
		    fp->bkeys, fp->bvals, &n, &opts);
		if (err < 0 && errno != ENOENT) {
			read_failed(fp, now_ms);
			return;
		}
		done = err < 0;
		first = false;
		for (uint32_t i = 0; i < n; i++)
			report(g, fp, &fp->bkeys[i], &fp->bvals[i], now_ms);
	}
}

/* ---- setup and the end ------------------------------------------------------ */

int
fp_setup(struct gw *g, struct eng_io *io)
{
	struct gw_fastpath *fp = &fp_state;
	const char *test_type = getenv("POTEMKIN_TEST_TCX_ATTACH_TYPE");
	unsigned ext;

	g->fp_on = false;
	if (g->fpk.map < 0)
		return 0;	/* off, and the parent said why */
	fp->k = g->fpk;
	g->fpk = FPK_NONE;
	fp->ext_link = -1;
	fp->failed = false;
	fp->beat_ms = 0;
	if ((ext = if_nametoindex(g->cfg->external_interface)) == 0) {
		log_warn("fast path off: external interface %s", g->cfg->external_interface);
		goto off;
	}
	/*
	 * Only tests set this: an attach type the kernel does not know is
	 * answered as a kernel without tcx answers BPF_TCX_INGRESS.
	 */
	fp->ext_link = test_type ? fpk_attach_as(fp->k.prog_in, (int)ext,
	    (unsigned)strtoul(test_type, NULL, 10)) : fpk_attach(fp->k.prog_in, (int)ext);
	if (fp->ext_link < 0) {
		log_warnx("fast path off: attaching to %s: %s%s", g->cfg->external_interface,
		    strerror(errno), errno == EINVAL || errno == EOPNOTSUPP ?
		    " (a kernel without tcx, before 6.6?)" : "");
		goto off;
	}
	if ((fp->index = fpx_new(g->cfg->fastpath_flows)) == NULL ||
	    (fp->bkeys = calloc(FP_BATCH, sizeof(*fp->bkeys))) == NULL ||
	    (fp->bvals = calloc(FP_BATCH, sizeof(*fp->bvals))) == NULL) {
		/* The gateway runs on without it, as with any other reason. */
		log_warnx("fast path off: no memory for its index of %u flows",
		    g->cfg->fastpath_flows);
		close_links(fp);
		fpx_free(fp->index);
		free(fp->bkeys);
		free(fp->bvals);
		fp->index = NULL;
		fp->bkeys = NULL;
		fp->bvals = NULL;
		goto off;
	}
	g->fp_on = true;
	beat(fp);
	io->fp_add = fp_add;
	io->fp_del = fp_del;
	io->fp_forget = fp_forget;
	io->fp_flush = fp_flush;
	log_info("fast path on: %s and each clone's interface, %u flows",
	    g->cfg->external_interface, g->cfg->fastpath_flows);
	return 0;
off:
	fpk_close(&fp->k);
	return 0;
}

void
fp_stats(const struct gw *g, struct fp_stats *out)
{
	const struct gw_fastpath *fp = fp_of(g);

	memset(out, 0, sizeof(*out));
	if (fp == NULL)
		return;
	out->on = true;
	out->flows = fpx_count(fp->index);
	out->added = fp->added;
	out->removed = fp->removed;
	out->refused = fp->refused;
	out->packets = fp->packets;
	out->bytes = fp->bytes;
}

void
fp_close(struct gw *g)
{
	struct gw_fastpath *fp = &fp_state;

	if (!g->fp_on)
		return;
	close_links(fp);
	fp->failed = false;
	fpk_close(&fp->k);
	fpx_free(fp->index);
	free(fp->links);
	free(fp->bkeys);
	free(fp->bvals);
	fp->index = NULL;
	fp->links = NULL;
	fp->caplinks = 0;
	fp->bkeys = NULL;
	fp->bvals = NULL;
	g->fp_on = false;
}
