/* SPDX-License-Identifier: ISC */
/*
 * Universes: which clones may see each other.  A universe is named by a key
 * derived from the conversation that created it (the outside source, the
 * source and farm address, or nothing at all for a shared farm) and lives as
 * long as it has bindings; an empty universe may be evicted, and comes back
 * with a new number when its source returns.
 */
#include "eng_int.h"

#include <stdlib.h>

struct univ_key {
	uint32_t lo, hi;
};

struct univ_val {
	uint32_t slot;
};

static bool
univ_evictable(void *ctx, const void *key, void *val)
{
	const struct universes *u = ctx;
	const struct univ_val *v = val;

	(void)key;
	return u->slab[v->slot].bindings == 0;
}

static void
univ_evicted(void *ctx, const void *key, void *val)
{
	struct universes *u = ctx;
	const struct univ_val *v = val;

	(void)key;
	u->slab[v->slot].in_use = false;
	u->free[u->nfree++] = v->slot;
}

int
univ_init(struct universes *u, size_t max)
{
	struct htab_opts o = {
		.key_size = sizeof(struct univ_key),
		.val_size = sizeof(struct univ_val),
		.max = max,
		.can_evict = univ_evictable,
		.on_evict = univ_evicted,
		.ctx = u,
	};

	u->max = max;
	u->next_id = 1;
	u->nfree = 0;
	u->slab = calloc(max, sizeof(*u->slab));
	u->free = calloc(max, sizeof(*u->free));
	u->index = htab_new(&o);
	if (!u->slab || !u->free || !u->index) {
		univ_fini(u);
		return -1;
	}
	for (size_t i = max; i-- > 0;)
		u->free[u->nfree++] = (uint32_t)i;
	return 0;
}

void
univ_fini(struct universes *u)
{
	htab_free(u->index);
	free(u->slab);
	free(u->free);
	u->index = NULL;
	u->slab = NULL;
	u->free = NULL;
}

static int64_t
univ_take(struct universes *u, uint64_t key, uint64_t now_ms)
{
	uint32_t slot;

	if (u->nfree == 0)
		return -1;
	slot = u->free[--u->nfree];
	u->slab[slot] = (struct universe){
		.key = key,
		.id = u->next_id++,
		.created_ms = now_ms,
		.in_use = true,
	};
	if (u->next_id == 0)
		u->next_id = 1;
	return slot;
}

uint32_t
univ_hash(const struct universes *u, uint64_t key)
{
	uint32_t h = htab_hash64(u->index, htab_word32((uint32_t)key, (uint32_t)(key >> 32)));

	htab_prefetch(u->index, h);
	return h;
}

int64_t
univ_lookup(struct universes *u, uint64_t key, bool create, uint64_t now_ms,
    uint32_t stamp)
{
	return univ_lookup_hashed(u, key, univ_hash(u, key), create, now_ms, stamp);
}

int64_t
univ_lookup_hashed(struct universes *u, uint64_t key, uint32_t h, bool create,
    uint64_t now_ms, uint32_t stamp)
{
	struct univ_key k = { (uint32_t)key, (uint32_t)(key >> 32) };
	struct univ_val *v;
	bool created;
	int64_t slot;

	if (!create) {
		v = htab_find(u->index, &k, h);
		return v ? (int64_t)v->slot : -1;
	}
	if ((v = htab_insert(u->index, &k, h, stamp, &created)) == NULL)
		return -1;
	if (created) {
		/* The eviction inside insert may have freed the slot we take. */
		if ((slot = univ_take(u, key, now_ms)) < 0) {
			htab_delete_val(u->index, v);
			return -1;
		}
		v->slot = (uint32_t)slot;
	} else {
		htab_touch(u->index, v, stamp);
	}
	return v->slot;
}

int64_t
univ_new_private(struct universes *u, uint64_t now_ms, uint32_t stamp)
{
	/*
	 * Source 255.255.255.255 never comes from a packet (martian), so keys
	 * in its range cannot meet a per-source or per-pair universe.
	 */
	uint64_t key = 0xffffffff00000000ull | u->next_id;

	return univ_lookup(u, key, true, now_ms, stamp);
}

void
univ_hold(struct universes *u, uint32_t idx)
{
	u->slab[idx].bindings++;
}

void
univ_release(struct universes *u, uint32_t idx)
{
	if (u->slab[idx].bindings > 0)
		u->slab[idx].bindings--;
}

int64_t
univ_by_id(const struct universes *u, uint32_t id)
{
	for (size_t i = 0; i < u->max; i++)
		if (u->slab[i].in_use && u->slab[i].id == id)
			return (int64_t)i;
	return -1;
}

bool
univ_has_peer(const struct universe *u, uint32_t peer)
{
	uint32_t hi = (uint32_t)(u->key >> 32);

	if (!u->in_use || hi == 0xffffffffu)
		return false;	/* an operator's universe: no peer made it */
	if (u->key == 0)
		return true;	/* shared: every peer is in it */
	return (hi ? hi : (uint32_t)u->key) == peer;
}
