/* SPDX-License-Identifier: ISC */
/*
 * The history table: when did this outside peer last send to this farm
 * address, in this universe.  It is what "replies may go out" rests on, so an
 * entry is keyed by the universe too: a clone never learns that it may talk
 * to someone who spoke to its address in another universe.
 *
 * Each entry also remembers the peer's last few conversations with the
 * address (protocol and ports), for "reply conversation within": a clone
 * may then answer what the peer started, and nothing else it did not.
 * Beyond HIST_CONVS at once, the one heard from longest ago is forgotten,
 * so its replies are dropped: never more is let out, only less.
 */
#include "eng_int.h"

#include <string.h>

#define HIST_CONVS 3

struct hist_val {
	uint64_t last_ms;
	struct {
		uint64_t last_ms;
		struct hist_conv c;
	} conv[HIST_CONVS];
};

static bool
conv_eq(const struct hist_conv *a, const struct hist_conv *b)
{
	return a->proto == b->proto && a->farm_port == b->farm_port &&
	    a->peer_port == b->peer_port;
}

/* Returns whether a conversation it held was pushed out. */
static bool
conv_note(struct hist_val *v, const struct hist_conv *c, bool created, uint64_t now_ms)
{
	size_t at = 0;
	bool pushed;

	if (created)
		memset(v->conv, 0, sizeof(v->conv));
	for (size_t i = 0; i < HIST_CONVS; i++) {
		if (v->conv[i].c.proto && conv_eq(&v->conv[i].c, c)) {
			at = i;
			break;
		}
		if (v->conv[i].last_ms < v->conv[at].last_ms)
			at = i;
	}
	pushed = v->conv[at].c.proto && !conv_eq(&v->conv[at].c, c);
	/* Never back in time: a late report (the fast path's) of an earlier packet. */
	if (pushed || !v->conv[at].c.proto || now_ms > v->conv[at].last_ms)
		v->conv[at].last_ms = now_ms;
	v->conv[at].c = *c;
	return pushed;
}

static void
hist_evicted(void *ctx, const void *key, void *val)
{
	struct history *h = ctx;

	(void)val;
	h->forgot(h->ctx, key);
}

int
hist_init(struct history *h, size_t max, hist_forgot *forgot, void *ctx)
{
	struct htab_opts o = {
		.key_size = sizeof(struct hist_key),
		.val_size = sizeof(struct hist_val),
		.max = max,
		.on_evict = forgot ? hist_evicted : NULL,
		.ctx = h,
	};

	h->forgot = forgot;
	h->ctx = ctx;
	h->t = htab_new(&o);
	return h->t ? 0 : -1;
}

void
hist_fini(struct history *h)
{
	htab_free(h->t);
	h->t = NULL;
}

/* The hash of the key (ukey, farm, peer), from the values themselves. */
static uint32_t
hist_hash(const struct history *h, uint64_t ukey, uint32_t farm, uint32_t peer)
{
	return htab_hash128(h->t, htab_word32((uint32_t)ukey, (uint32_t)(ukey >> 32)),
	    htab_word32(farm, peer));
}

void
hist_ref(const struct history *h, struct hist_ref *r, uint64_t ukey, uint32_t farm,
    uint32_t peer)
{
	r->k = (struct hist_key){ (uint32_t)ukey, (uint32_t)(ukey >> 32), farm, peer };
	r->hash = hist_hash(h, ukey, farm, peer);
	htab_prefetch(h->t, r->hash);
}

bool
hist_note(struct history *h, const struct hist_ref *r, const struct hist_conv *conv,
    uint64_t now_ms, uint32_t stamp)
{
	bool created = false;
	struct hist_val *v = htab_insert(h->t, &r->k, r->hash, stamp, &created);

	if (v) {
		/* Never back in time: the fast path reports its packets late. */
		if (created || now_ms > v->last_ms)
			v->last_ms = now_ms;
		if (created && (conv == NULL || conv->proto == 0))
			memset(v->conv, 0, sizeof(v->conv));
		else if (conv && conv->proto && conv_note(v, conv, created, now_ms) &&
		    h->forgot)
			h->forgot(h->ctx, &r->k);
		htab_touch(h->t, v, stamp);
	}
	return created;
}

uint64_t
hist_age(const struct history *h, uint64_t ukey, uint32_t farm, uint32_t peer,
    uint64_t now_ms)
{
	struct hist_key k = { (uint32_t)ukey, (uint32_t)(ukey >> 32), farm, peer };
	const struct hist_val *v = htab_find(h->t, &k, hist_hash(h, ukey, farm, peer));

	if (v == NULL || v->last_ms > now_ms)
		return v ? 0 : UINT64_MAX;
	return now_ms - v->last_ms;
}

uint64_t
hist_conv_age(const struct history *h, uint64_t ukey, uint32_t farm, uint32_t peer,
    const struct hist_conv *conv, uint64_t now_ms)
{
	struct hist_key k = { (uint32_t)ukey, (uint32_t)(ukey >> 32), farm, peer };
	const struct hist_val *v = htab_find(h->t, &k, hist_hash(h, ukey, farm, peer));

	if (v == NULL || conv->proto == 0)
		return UINT64_MAX;
	for (size_t i = 0; i < HIST_CONVS; i++)
		if (v->conv[i].c.proto && conv_eq(&v->conv[i].c, conv))
			return v->conv[i].last_ms > now_ms ? 0 : now_ms - v->conv[i].last_ms;
	return UINT64_MAX;
}
