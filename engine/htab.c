/* SPDX-License-Identifier: ISC */
#include "htab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lib/siphash.h"

#define HTAB_SAMPLES 8		/* eviction candidates compared */
#define HTAB_SAMPLE_SCAN 512	/* slots looked at before giving up */

struct slot {
	uint32_t sig;		/* the full hash; 0 marks an empty slot */
	uint32_t stamp;
	unsigned char kv[];	/* key, then value */
};

struct htab {
	unsigned char *slots;
	size_t slot_size;
	size_t cap;
	size_t count;
	size_t max;
	size_t key_size, val_size;
	size_t key_span;	/* key_size rounded up so values are 8-aligned */
	struct sipkey key;	/* this table's own, from the kernel's CSPRNG */
	uint64_t evictions;
	htab_evict_ok *can_evict;
	htab_evicted *on_evict;
	void *ctx;
};

static inline struct slot *
slot_at(const struct htab *h, size_t i)
{
	return (struct slot *)(h->slots + i * h->slot_size);
}

static inline void *
slot_val(const struct htab *h, struct slot *s)
{
	return s->kv + h->key_span;
}

static inline struct slot *
slot_of_val(const struct htab *h, const void *val)
{
	return (struct slot *)((unsigned char *)(uintptr_t)val - h->key_span -
	    offsetof(struct slot, kv));
}

static inline size_t
home(const struct htab *h, uint32_t sig)
{
	return (size_t)(((uint64_t)sig * h->cap) >> 32);
}

static inline size_t
next(const struct htab *h, size_t i)
{
	return ++i == h->cap ? 0 : i;
}

static int
random_key(struct sipkey *key)
{
	ssize_t n;

	do
		n = getrandom(key, sizeof(*key), 0);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*key) ? 0 : -1;
}

bool
htab_never_evict(void *ctx, const void *key, void *val)
{
	(void)ctx;
	(void)key;
	(void)val;
	return false;
}

struct htab *
htab_new(const struct htab_opts *o)
{
	struct htab *h;
	size_t max = o->max ? o->max : 1;

	if (o->key_size == 0 || o->key_size % 4 != 0)
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->key_size = o->key_size;
	h->val_size = o->val_size;
	h->key_span = (o->key_size + 7) & ~(size_t)7;
	h->slot_size = (sizeof(struct slot) + h->key_span + o->val_size + 7) & ~(size_t)7;
	h->max = max;
	/* Load 0.8 when full: short probe chains, little memory. */
	h->cap = max + max / 4 + 1;
	h->can_evict = o->can_evict;
	h->on_evict = o->on_evict;
	h->ctx = o->ctx;
	if (random_key(&h->key) < 0) {
		free(h);
		return NULL;
	}
	h->slots = calloc(h->cap, h->slot_size);
	if (h->slots == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

void
htab_free(struct htab *h)
{
	if (h == NULL)
		return;
	free(h->slots);
	free(h);
}

/*
 * SipHash-1-3 of the key under the table's own key.  Each table hashes one
 * size of key, so the sizes in use get a call the compiler unrolls.
 */
static inline uint32_t
sig_of(uint64_t x)
{
	uint32_t sig = (uint32_t)(x ^ x >> 32);

	return sig ? sig : 1;
}

uint32_t
htab_hash(const struct htab *h, const void *key)
{
	switch (h->key_size) {
	case 4:
		return sig_of(siphash13(&h->key, key, 4));
	case 8:
		return sig_of(siphash13(&h->key, key, 8));
	case 12:
		return sig_of(siphash13(&h->key, key, 12));
	case 16:
		return sig_of(siphash13(&h->key, key, 16));
	default:
		return sig_of(siphash13(&h->key, key, h->key_size));
	}
}

uint32_t
htab_hash64(const struct htab *h, uint64_t w0)
{
	return sig_of(siphash13_words(&h->key, w0, 0, 1));
}

uint32_t
htab_hash128(const struct htab *h, uint64_t w0, uint64_t w1)
{
	return sig_of(siphash13_words(&h->key, w0, w1, 2));
}

/* How far slot i lies from the home of the entry whose hash is sig. */
static inline size_t
dist(const struct htab *h, size_t i, uint32_t sig)
{
	size_t k = home(h, sig);

	return i >= k ? i - k : i + h->cap - k;
}

/* Keys are a few words: compared here, not through a call to memcmp. */
static inline bool
key_eq(const unsigned char *a, const void *b, size_t n)
{
	const unsigned char *c = b;

	for (size_t i = 0; i < n; i += 4) {
		uint32_t x, y;

		memcpy(&x, a + i, 4);
		memcpy(&y, c + i, 4);
		if (x != y)
			return false;
	}
	return true;
}

void
htab_prefetch(const struct htab *h, uint32_t hash)
{
	__builtin_prefetch(slot_at(h, home(h, hash)));
}

/*
 * Robin Hood order: along a probe chain, entries never lie closer to their
 * home than the entry before them lies to its own.  A search may therefore
 * stop at the first entry nearer home than the probe has come, so a miss
 * costs about as much as a hit (2-3 slots at load 0.8) instead of a walk to
 * the end of the cluster (13 slots on average with plain linear probing).
 */
static struct slot *
find_slot(const struct htab *h, const void *key, uint32_t sig)
{
	size_t i = home(h, sig);

	for (size_t d = 0;; d++, i = next(h, i)) {
		struct slot *s = slot_at(h, i);

		/* A hash is never 0, so an empty slot never matches. */
		if (s->sig == sig && key_eq(s->kv, key, h->key_size))
			return s;
		if (s->sig == 0 || dist(h, i, s->sig) < d)
			return NULL;
	}
}

void *
htab_find(const struct htab *h, const void *key, uint32_t hash)
{
	struct slot *s = find_slot(h, key, hash);

	return s ? slot_val(h, s) : NULL;
}

/*
 * Empty slot i by shifting back the entries after it, up to the first that
 * is at its home or an empty slot: the Robin Hood order holds, and there
 * are no tombstones.
 */
static void
remove_at(struct htab *h, size_t i)
{
	for (;;) {
		size_t j = next(h, i);
		struct slot *sj = slot_at(h, j);

		if (sj->sig == 0 || home(h, sj->sig) == j)
			break;
		memcpy(slot_at(h, i), sj, h->slot_size);
		i = j;
	}
	memset(slot_at(h, i), 0, h->slot_size);
	h->count--;
}

/*
 * Approximate LRU: the oldest of the first few entries that may go, taken
 * from where the newcomer will live.  The slots are the ones its search has
 * just brought into the cache, and the table stays as it was built by
 * random inserts: each insert is paid for by a deletion in the same run of
 * slots.  (Sampling from random places instead favours the first entries
 * of each run, which lets long runs grow without end.)  Keys are hashed
 * with a secret seed, so the neighbours are a random sample of the table.
 */
static bool
evict_one(struct htab *h, size_t i)
{
	size_t victim = SIZE_MAX;
	uint32_t oldest = 0;
	int found = 0;

	for (size_t scanned = 0; scanned < HTAB_SAMPLE_SCAN && found < HTAB_SAMPLES;
	    scanned++, i = next(h, i)) {
		struct slot *s = slot_at(h, i);

		if (s->sig == 0)
			continue;
		if (h->can_evict && !h->can_evict(h->ctx, s->kv, slot_val(h, s)))
			continue;
		if (victim == SIZE_MAX || (int32_t)(s->stamp - oldest) < 0) {
			victim = i;
			oldest = s->stamp;
		}
		found++;
	}
	if (victim == SIZE_MAX)
		return false;
	if (h->on_evict) {
		struct slot *s = slot_at(h, victim);

		h->on_evict(h->ctx, s->kv, slot_val(h, s));
	}
	remove_at(h, victim);
	h->evictions++;
	return true;
}

/*
 * Place a new entry where Robin Hood order puts it: at the first slot whose
 * entry lies nearer its home than the newcomer would.  Entries of a run are
 * in order of their homes, so making room is shifting the rest of the run
 * one slot on, up to its first empty slot: one copy per entry moved.
 */
static struct slot *
place(struct htab *h, const void *key, uint32_t sig, uint32_t stamp)
{
	size_t i = home(h, sig), d = 0, end;
	struct slot *s;

	for (;; i = next(h, i), d++) {
		s = slot_at(h, i);
		if (s->sig == 0 || dist(h, i, s->sig) < d)
			break;
	}
	if (s->sig != 0) {
		for (end = next(h, i); slot_at(h, end)->sig != 0; end = next(h, end))
			;
		while (end != i) {
			size_t prev = end == 0 ? h->cap - 1 : end - 1;

			memcpy(slot_at(h, end), slot_at(h, prev), h->slot_size);
			end = prev;
		}
	}
	s->sig = sig;
	s->stamp = stamp;
	memcpy(s->kv, key, h->key_size);
	memset(s->kv + h->key_size, 0, h->slot_size - sizeof(*s) - h->key_size);
	return s;
}

void *
htab_insert(struct htab *h, const void *key, uint32_t hash, uint32_t stamp,
    bool *created)
{
	struct slot *s = find_slot(h, key, hash);

	if (created)
		*created = false;
	if (s)
		return slot_val(h, s);
	if (h->count >= h->max && !evict_one(h, home(h, hash)))
		return NULL;
	s = place(h, key, hash, stamp);
	h->count++;
	if (created)
		*created = true;
	return slot_val(h, s);
}

bool
htab_delete(struct htab *h, const void *key, uint32_t hash)
{
	struct slot *s = find_slot(h, key, hash);

	if (s == NULL)
		return false;
	remove_at(h, (size_t)((unsigned char *)s - h->slots) / h->slot_size);
	return true;
}

void
htab_delete_val(struct htab *h, void *val)
{
	struct slot *s = slot_of_val(h, val);

	remove_at(h, (size_t)((unsigned char *)s - h->slots) / h->slot_size);
}

void
htab_touch(struct htab *h, void *val, uint32_t stamp)
{
	slot_of_val(h, val)->stamp = stamp;
}

uint32_t
htab_stamp(const struct htab *h, const void *val)
{
	return slot_of_val(h, val)->stamp;
}

size_t
htab_count(const struct htab *h)
{
	return h->count;
}

size_t
htab_max(const struct htab *h)
{
	return h->max;
}

size_t
htab_bytes(const struct htab *h)
{
	return sizeof(*h) + h->cap * h->slot_size;
}

uint64_t
htab_evictions(const struct htab *h)
{
	return h->evictions;
}

void
htab_clear(struct htab *h)
{
	memset(h->slots, 0, h->cap * h->slot_size);
	h->count = 0;
}

void
htab_sweep(struct htab *h, htab_visit *fn, void *ctx)
{
	size_t i = 0;

	while (i < h->cap) {
		struct slot *s = slot_at(h, i);

		if (s->sig != 0 && !fn(ctx, s->kv, slot_val(h, s))) {
			remove_at(h, i);
			continue;	/* a later entry may have moved into i */
		}
		i++;
	}
}

void
htab_walk(const struct htab *h, htab_look *fn, void *ctx)
{
	for (size_t i = 0; i < h->cap; i++) {
		struct slot *s = slot_at(h, i);

		if (s->sig != 0 && !fn(ctx, s->kv, slot_val(h, s), s->stamp))
			return;
	}
}
