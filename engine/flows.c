/* SPDX-License-Identifier: ISC */
/*
 * The flow cache: the 5-tuple and direction of a packet to what became of
 * its flow, so that most packets cost one lookup instead of a policy walk.
 * A slot is 32 bytes (signature, stamp, 16-byte key, 8-byte value) at load
 * 0.8: 40 bytes per flow.  Entries expire after idle_ms without a packet and
 * are evicted oldest-first under pressure; a reload empties the cache, and a
 * reclaimed binding's entries die because its serial no longer matches.
 * The gone hook hears of every entry that expires or is evicted, so that an
 * offer to the kernel fast path never outlives its entry.
 */
#include "eng_int.h"

#include <string.h>

int
flows_init(struct flows *f, size_t max, uint32_t idle_ms, htab_evicted *gone,
    void *gone_ctx)
{
	struct htab_opts o = {
		.key_size = sizeof(struct flow_key),
		.val_size = sizeof(struct flow_val),
		.max = max,
		.on_evict = gone,
		.ctx = gone_ctx,
	};

	f->gone = gone;
	f->gone_ctx = gone_ctx;
	f->idle_s = (idle_ms >> 10) ? (idle_ms >> 10) : 1;
	f->t = htab_new(&o);
	return f->t ? 0 : -1;
}

void
flows_fini(struct flows *f)
{
	htab_free(f->t);
	f->t = NULL;
}

void
flow_key_of(struct flow_key *k, const struct pkt *p, uint8_t dir)
{
	memset(k, 0, sizeof(*k));
	k->src = p->src;
	k->dst = p->dst;
	k->sport = p->sport;
	k->dport = p->dport;
	k->proto = p->proto;
	k->dir = dir;
}

uint32_t
flows_hash(const struct flows *f, const struct flow_key *k)
{
	uint8_t pd[2] = { k->proto, k->dir };
	uint16_t pd16;
	uint32_t h;

	memcpy(&pd16, pd, sizeof(pd16));
	h = htab_hash128(f->t, htab_word32(k->src, k->dst),
	    htab_word16(k->sport, k->dport, pd16, k->pad));

	htab_prefetch(f->t, h);
	return h;
}

struct flow_val *
flows_find(struct flows *f, const struct flow_key *k, uint32_t hash, uint32_t stamp)
{
	struct flow_val *v = htab_find(f->t, k, hash);

	if (v == NULL)
		return NULL;
	if (stamp - htab_stamp(f->t, v) > f->idle_s) {
		if (f->gone)
			f->gone(f->gone_ctx, k, v);
		htab_delete_val(f->t, v);
		return NULL;
	}
	htab_touch(f->t, v, stamp);
	return v;
}

struct flow_val *
flows_put(struct flows *f, const struct flow_key *k, uint32_t hash,
    uint32_t slot_action, uint32_t serial, uint32_t stamp)
{
	struct flow_val *v = htab_insert(f->t, k, hash, stamp, NULL);

	if (v) {
		v->slot_action = slot_action;
		v->serial = serial;
		htab_touch(f->t, v, stamp);
	}
	return v;
}
