/* SPDX-License-Identifier: ISC */
#include "htab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lib/siphash.h"

#define HTAB_SAMPLES 8		/* eviction candidates compared */
#define HTAB_SAMPLE_SCAN 512	/* slots looked at before giving up */
#define LINE 64			/* bytes in a cache line */

/*
 * A slot is split in two: its signature and stamp in one compact array,
 * its key and value at the same index in another.  A search compares
 * signatures, eight to a cache line, and reads a key only where the
 * signature matches (a miss reads none); eviction compares stamps over the
 * same few lines; only the entries a deletion or an insert moves are
 * touched in the second array.  The two together cost what one array of
 * whole slots would.
 */
struct meta {
	uint32_t sig;		/* the full hash; 0 marks an empty slot */
	uint32_t stamp;
};

struct htab {
	struct meta *meta;	/* cap entries */
	unsigned char *kv;	/* cap entries of kv_size bytes: key, then value */
	void *meta_raw, *kv_raw;	/* as allocated */
	size_t kv_size;
	unsigned kv_shift;	/* kv_size = kv_odd << kv_shift ... */
	uint64_t kv_inverse;	/* ... and kv_odd * kv_inverse = 1 (mod 2^64) */
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

static inline unsigned char *
kv_at(const struct htab *h, size_t i)
{
	return h->kv + i * h->kv_size;
}

static inline void *
val_at(const struct htab *h, size_t i)
{
	return kv_at(h, i) + h->key_span;
}

/*
 * The index of the slot whose value this is.  The offset is an exact
 * multiple of kv_size, so a shift and a multiplication by the inverse of
 * its odd part divide it (the offset is computed for every touch of an
 * entry: a division would cost more than the rest of the touch).
 */
static inline size_t
index_of_val(const struct htab *h, const void *val)
{
	uint64_t off = (uint64_t)((const unsigned char *)val - h->key_span - h->kv);

	return (size_t)((off >> h->kv_shift) * h->kv_inverse);
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

/*
 * Zeroed memory aligned to a cache line, so that no entry straddles more
 * lines than it must.  From calloc, which leaves a large block's pages
 * untouched until used: a table costs its memory as it fills.  *raw is
 * what to free.
 */
static void *
lines_alloc(size_t bytes, void **raw)
{
	uintptr_t p;

	if ((*raw = calloc(1, bytes + LINE)) == NULL)
		return NULL;
	p = ((uintptr_t)*raw + LINE - 1) & ~(uintptr_t)(LINE - 1);
	return (void *)p;
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
	uint64_t inv;

	if (o->key_size == 0 || o->key_size % 4 != 0)
		return NULL;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->key_size = o->key_size;
	h->val_size = o->val_size;
	h->key_span = (o->key_size + 7) & ~(size_t)7;
	h->kv_size = (h->key_span + o->val_size + 7) & ~(size_t)7;
	h->kv_shift = (unsigned)__builtin_ctzll(h->kv_size);
	inv = h->kv_size >> h->kv_shift;
	/* Newton's iteration doubles the correct low bits: 3, 6, ..., 96. */
	for (int i = 0, odd = (int)inv; i < 5; i++)
		inv *= 2 - (uint64_t)odd * inv;
	h->kv_inverse = inv;
	h->max = max;
	/* Load 0.8 when full: short probe chains, little memory. */
	h->cap = max + max / 4 + 1;
	h->can_evict = o->can_evict;
	h->on_evict = o->on_evict;
	h->ctx = o->ctx;
	if (h->cap > (SIZE_MAX - 2 * LINE) / (sizeof(*h->meta) + h->kv_size) ||
	    random_key(&h->key) < 0) {
		free(h);
		return NULL;
	}
	h->meta = lines_alloc(h->cap * sizeof(*h->meta), &h->meta_raw);
	h->kv = lines_alloc(h->cap * h->kv_size, &h->kv_raw);
	if (h->meta == NULL || h->kv == NULL) {
		htab_free(h);
		return NULL;
	}
	return h;
}

void
htab_free(struct htab *h)
{
	if (h == NULL)
		return;
	free(h->meta_raw);
	free(h->kv_raw);
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
	size_t i = home(h, hash);

	__builtin_prefetch(&h->meta[i]);
	__builtin_prefetch(kv_at(h, i));
}

#define NOWHERE SIZE_MAX

/*
 * Robin Hood order: along a probe chain, entries never lie closer to their
 * home than the entry before them lies to its own.  A search may therefore
 * stop at the first entry nearer home than the probe has come, so a miss
 * costs about as much as a hit (2-3 slots at load 0.8) instead of a walk to
 * the end of the cluster (13 slots on average with plain linear probing).
 */
static size_t
probe(const struct htab *h, const void *key, uint32_t sig, size_t *stop, size_t *d)
{
	size_t i = home(h, sig);

	for (*d = 0;; ++*d, i = next(h, i)) {
		uint32_t si = h->meta[i].sig;

		/* A hash is never 0, so an empty slot never matches. */
		if (si == sig && key_eq(kv_at(h, i), key, h->key_size))
			return i;
		if (si == 0 || dist(h, i, si) < *d) {
			*stop = i;
			return NOWHERE;
		}
	}
}

/*
 * The slot holding key, or NOWHERE.  A miss stops where Robin Hood order
 * would place the key (*stop, *d slots from its home): an insert starts
 * there instead of walking the chain a second time.
 */
static inline size_t
find_slot(const struct htab *h, const void *key, uint32_t sig)
{
	size_t stop, d;

	return probe(h, key, sig, &stop, &d);
}

void *
htab_find(const struct htab *h, const void *key, uint32_t hash)
{
	size_t i = find_slot(h, key, hash);

	return i != NOWHERE ? val_at(h, i) : NULL;
}

static inline void
move_slot(struct htab *h, size_t to, size_t from)
{
	h->meta[to] = h->meta[from];
	memcpy(kv_at(h, to), kv_at(h, from), h->kv_size);
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
		uint32_t sj = h->meta[j].sig;

		if (sj == 0 || home(h, sj) == j)
			break;
		move_slot(h, i, j);
		i = j;
	}
	h->meta[i] = (struct meta){ 0, 0 };
	memset(kv_at(h, i), 0, h->kv_size);
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
static size_t
pick_victim(struct htab *h, size_t i)
{
	size_t victim = NOWHERE;
	uint32_t oldest = 0;
	int found = 0;

	for (size_t scanned = 0; scanned < HTAB_SAMPLE_SCAN && found < HTAB_SAMPLES;
	    scanned++, i = next(h, i)) {
		const struct meta *m = &h->meta[i];

		if (m->sig == 0)
			continue;
		if (h->can_evict && !h->can_evict(h->ctx, kv_at(h, i), val_at(h, i)))
			continue;
		if (victim == NOWHERE || (int32_t)(m->stamp - oldest) < 0) {
			victim = i;
			oldest = m->stamp;
		}
		found++;
	}
	return victim;
}

/*
 * pick_victim for a table whose every entry may go (the flow cache, the
 * history, the scan filter: the ones that evict at every new source).
 * The same choice over the same slots, from a loop that reads only the
 * signatures and stamps, with no predicate to ask and no wrap at the
 * table's end to test for each slot: a scan that could reach the end (or
 * a table smaller than the scan) takes the general loop.
 */
static size_t
pick_oldest(struct htab *h, size_t i)
{
	const struct meta *m = h->meta;
	size_t victim, end = i + HTAB_SAMPLE_SCAN;
	uint32_t oldest;
	int found = 1;

	if (end > h->cap)
		return pick_victim(h, i);
	while (m[i].sig == 0)
		if (++i == end)
			return NOWHERE;
	victim = i;
	oldest = m[i].stamp;
	while (found < HTAB_SAMPLES && ++i < end) {
		if (m[i].sig == 0)
			continue;
		if ((int32_t)(m[i].stamp - oldest) < 0) {
			victim = i;
			oldest = m[i].stamp;
		}
		found++;
	}
	return victim;
}

/* Where Robin Hood order puts an entry whose hash is sig, found afresh. */
static size_t
insertion_point(const struct htab *h, uint32_t sig)
{
	size_t i = home(h, sig);

	for (size_t d = 0;; i = next(h, i), d++) {
		uint32_t si = h->meta[i].sig;

		if (si == 0 || dist(h, i, si) < d)
			return i;
	}
}

static void
put_at(struct htab *h, size_t i, const void *key, uint32_t sig, uint32_t stamp)
{
	unsigned char *kv = kv_at(h, i);

	h->meta[i] = (struct meta){ sig, stamp };
	memcpy(kv, key, h->key_size);
	memset(kv + h->key_size, 0, h->kv_size - h->key_size);
}

/*
 * Place a new entry where Robin Hood order puts it: at slot i, the first
 * whose entry lies nearer its home than the newcomer would (where the
 * search for the key stopped).  Entries of a run are in order of their
 * homes, so making room is shifting the rest of the run one slot on, up to
 * its first empty slot: one copy per entry moved.
 */
static size_t
place(struct htab *h, const void *key, uint32_t sig, uint32_t stamp, size_t i)
{
	size_t end;

	if (h->meta[i].sig != 0) {
		for (end = next(h, i); h->meta[end].sig != 0; end = next(h, end))
			;
		while (end != i) {
			size_t prev = end == 0 ? h->cap - 1 : end - 1;

			move_slot(h, end, prev);
			end = prev;
		}
	}
	put_at(h, i, key, sig, stamp);
	return i;
}

/*
 * Put a new entry in place of the victim v, chosen among the slots from
 * the newcomer's home on.  Deleting v shifts entries back and placing the
 * newcomer shifts them on again, over the same few slots; done at once,
 * only the entries between v and the insertion point move, by one slot:
 * back when v lies before it (their homes are no further on than the
 * newcomer's, which takes the last of them), on when v lies after it with
 * no empty slot between (they move over v).  Otherwise both are done.
 * Slot i, d slots from the newcomer's home, is where its search stopped.
 */
static size_t
replace(struct htab *h, const void *key, uint32_t sig, uint32_t stamp, size_t v,
    size_t i, size_t d)
{
	size_t j;

	if (dist(h, v, sig) < d) {
		for (j = v; next(h, j) != i; j = next(h, j))
			move_slot(h, j, next(h, j));
		put_at(h, j, key, sig, stamp);
		return j;
	}
	for (j = i; j != v; j = next(h, j))
		if (h->meta[j].sig == 0) {
			remove_at(h, v);
			h->count++;
			return place(h, key, sig, stamp, insertion_point(h, sig));
		}
	for (j = v; j != i; j = j == 0 ? h->cap - 1 : j - 1)
		move_slot(h, j, j == 0 ? h->cap - 1 : j - 1);
	put_at(h, i, key, sig, stamp);
	return i;
}

void *
htab_insert(struct htab *h, const void *key, uint32_t hash, uint32_t stamp,
    bool *created)
{
	size_t stop, d, i = probe(h, key, hash, &stop, &d);

	if (created)
		*created = false;
	if (i != NOWHERE)
		return val_at(h, i);
	if (h->count >= h->max) {
		size_t v = h->can_evict ? pick_victim(h, home(h, hash)) :
		    pick_oldest(h, home(h, hash));

		if (v == NOWHERE)
			return NULL;
		if (h->on_evict)
			h->on_evict(h->ctx, kv_at(h, v), val_at(h, v));
		h->evictions++;
		i = replace(h, key, hash, stamp, v, stop, d);
	} else {
		i = place(h, key, hash, stamp, stop);
		h->count++;
	}
	if (created)
		*created = true;
	return val_at(h, i);
}

bool
htab_delete(struct htab *h, const void *key, uint32_t hash)
{
	size_t i = find_slot(h, key, hash);

	if (i == NOWHERE)
		return false;
	remove_at(h, i);
	return true;
}

void
htab_delete_val(struct htab *h, void *val)
{
	remove_at(h, index_of_val(h, val));
}

void
htab_touch(struct htab *h, void *val, uint32_t stamp)
{
	h->meta[index_of_val(h, val)].stamp = stamp;
}

uint32_t
htab_stamp(const struct htab *h, const void *val)
{
	return h->meta[index_of_val(h, val)].stamp;
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
	return sizeof(*h) + h->cap * (sizeof(*h->meta) + h->kv_size) + 2 * LINE;
}

uint64_t
htab_evictions(const struct htab *h)
{
	return h->evictions;
}

void
htab_clear(struct htab *h)
{
	memset(h->meta, 0, h->cap * sizeof(*h->meta));
	memset(h->kv, 0, h->cap * h->kv_size);
	h->count = 0;
}

void
htab_sweep(struct htab *h, htab_visit *fn, void *ctx)
{
	size_t i = 0;

	while (i < h->cap) {
		if (h->meta[i].sig != 0 && !fn(ctx, kv_at(h, i), val_at(h, i))) {
			remove_at(h, i);
			continue;	/* a later entry may have moved into i */
		}
		i++;
	}
}

void
htab_walk(const struct htab *h, htab_look *fn, void *ctx)
{
	for (size_t i = 0; i < h->cap; i++)
		if (h->meta[i].sig != 0 &&
		    !fn(ctx, kv_at(h, i), val_at(h, i), h->meta[i].stamp))
			return;
}
