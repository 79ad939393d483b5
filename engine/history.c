/*
 * The history table: when did this outside peer last send to this farm
 * address, in this universe.  It is what "replies may go out" rests on, so an
 * entry is keyed by the universe too: a clone never learns that it may talk
 * to someone who spoke to its address in another universe.
 */
#include "eng_int.h"

struct hist_key {
	uint32_t ukey_lo, ukey_hi, farm, peer;
};

struct hist_val {
	uint64_t last_ms;
};

int
hist_init(struct history *h, size_t max)
{
	struct htab_opts o = {
		.key_size = sizeof(struct hist_key),
		.val_size = sizeof(struct hist_val),
		.max = max,
	};

	h->t = htab_new(&o);
	return h->t ? 0 : -1;
}

void
hist_fini(struct history *h)
{
	htab_free(h->t);
	h->t = NULL;
}

void
hist_prefetch(const struct history *h, uint64_t ukey, uint32_t farm, uint32_t peer)
{
	struct hist_key k = { (uint32_t)ukey, (uint32_t)(ukey >> 32), farm, peer };

	htab_prefetch(h->t, htab_hash(h->t, &k));
}

void
hist_note(struct history *h, uint64_t ukey, uint32_t farm, uint32_t peer,
    uint64_t now_ms, uint32_t stamp)
{
	struct hist_key k = { (uint32_t)ukey, (uint32_t)(ukey >> 32), farm, peer };
	struct hist_val *v = htab_insert(h->t, &k, htab_hash(h->t, &k), stamp, NULL);

	if (v) {
		v->last_ms = now_ms;
		htab_touch(h->t, v, stamp);
	}
}

uint64_t
hist_age(const struct history *h, uint64_t ukey, uint32_t farm, uint32_t peer,
    uint64_t now_ms)
{
	struct hist_key k = { (uint32_t)ukey, (uint32_t)(ukey >> 32), farm, peer };
	const struct hist_val *v = htab_find(h->t, &k, htab_hash(h->t, &k));

	if (v == NULL || v->last_ms > now_ms)
		return v ? 0 : UINT64_MAX;
	return now_ms - v->last_ms;
}
