/* SPDX-License-Identifier: ISC */
/*
 * The scan filter: how many distinct farm addresses an outside source has
 * reached within each scanner window of the policy.  A policy asks only
 * "more than N?", so a source needs to remember no more than its N+1 most
 * recent distinct addresses: the count is exact and the memory per source
 * is fixed.  Cost per packet: one lookup and a scan of N+1 entries per window
 * (each window its own N).
 */
#include "eng_int.h"

#include <stdlib.h>
#include <string.h>

#define SCAN_KEEP_MAX 1025	/* the policy allows thresholds up to 1024 */
#define SCAN_BYTES_MAX (64u << 20) /* the table's memory, whatever the thresholds */

/*
 * The addresses a source has reached live outside the hash table, in a pool
 * of fixed-size arrays, one per table entry: table slots stay small, so
 * probing, eviction and the backward shift of a deletion never touch or
 * copy hundreds of bytes per entry.  An entry's array returns to the pool
 * when the table evicts the entry.  An array holds blocks of four addresses
 * followed by their four times (ms since the filter's epoch, modulo 2^32):
 * a pass over them runs four at a time, and a source that reached few
 * addresses costs one cache line.
 */
struct scan_pool {
	uint32_t *arrays;	/* max arrays of `words` words */
	uint32_t *free;		/* free array indices */
	size_t nfree, words;
};

#define ADDR(arr, i) ((arr)[((i) & ~(size_t)3) * 2 + ((i) & 3)])
#define TIME(arr, i) ((arr)[((i) & ~(size_t)3) * 2 + 4 + ((i) & 3)])

/*
 * While a source has reached one address, that address and its time live
 * in the entry itself (first, first_time) and its array is never touched:
 * most sources reach one (backscatter, a flood from spoofed sources), and
 * the array's cache line would be a miss on every packet of such traffic.
 * The second distinct address moves the first into the array, which holds
 * them all from then on (in_array), however few are left.
 */
struct scan_val {
	uint16_t n;
	uint8_t filtered;	/* the source has been reported over the threshold */
	uint8_t in_array;	/* its addresses are in its array, not in first */
	uint32_t array;		/* its addresses and times: an index into the pool */
	uint32_t first, first_time;	/* its address until in_array */
};

static void
load_specs(struct scanfilter *s, const struct pol_program *prog)
{
	size_t n = 0;
	const struct pol_scanner *sp = prog ? pol_scanners(prog, &n) : NULL;

	s->nspec = n < SCAN_SPECS_MAX ? n : SCAN_SPECS_MAX;
	s->keep = 1;
	for (size_t i = 0; i < s->nspec; i++) {
		s->spec[i] = sp[i];
		if (sp[i].threshold + 1 > s->keep)
			s->keep = sp[i].threshold + 1;
	}
	if (s->keep > SCAN_KEEP_MAX)
		s->keep = SCAN_KEEP_MAX;
}

static void
array_evicted(void *ctx, const void *key, void *val)
{
	struct scan_pool *p = ctx;
	const struct scan_val *v = val;

	(void)key;
	p->free[p->nfree++] = v->array;
}

static void
pool_free(struct scan_pool *p)
{
	if (p == NULL)
		return;
	free(p->arrays);
	free(p->free);
	free(p);
}

static struct scan_pool *
pool_new(size_t max, size_t keep)
{
	struct scan_pool *p = calloc(1, sizeof(*p));

	if (p == NULL)
		return NULL;
	p->words = ((keep + 3) & ~(size_t)3) * 2;
	p->arrays = malloc(max * p->words * sizeof(*p->arrays));
	p->free = malloc(max * sizeof(*p->free));
	if (p->arrays == NULL || p->free == NULL) {
		pool_free(p);
		return NULL;
	}
	for (size_t i = max; i-- > 0;)
		p->free[p->nfree++] = (uint32_t)i;
	return p;
}

int
scan_init(struct scanfilter *s, const struct pol_program *prog, size_t max_sources,
    uint64_t now_ms)
{
	struct htab_opts o = {
		.key_size = sizeof(struct scan_key),
		.val_size = sizeof(struct scan_val),
		.on_evict = array_evicted,
	};
	size_t entry;

	load_specs(s, prog);
	s->epoch_ms = now_ms;
	o.max = max_sources * (s->nspec ? s->nspec : 1);
	/* High thresholds cost memory per source: track fewer sources then. */
	entry = sizeof(struct scan_val) + s->keep * 2 * sizeof(uint32_t);
	if (o.max > SCAN_BYTES_MAX / (entry + 32))
		o.max = SCAN_BYTES_MAX / (entry + 32);
	if (o.max == 0)
		o.max = 1;
	s->t = NULL;
	if ((s->pool = pool_new(o.max, s->keep)) == NULL)
		return -1;
	o.ctx = s->pool;
	if ((s->t = htab_new(&o)) == NULL) {
		pool_free(s->pool);
		s->pool = NULL;
		return -1;
	}
	return 0;
}

void
scan_fini(struct scanfilter *s)
{
	htab_free(s->t);
	pool_free(s->pool);
	s->t = NULL;
	s->pool = NULL;
}

size_t
scan_bytes(const struct scanfilter *s)
{
	size_t max = htab_max(s->t);

	return htab_bytes(s->t) + sizeof(*s->pool) +
	    max * (s->pool->words + 1) * sizeof(uint32_t);
}

bool
scan_same_specs(const struct scanfilter *s, const struct pol_program *prog)
{
	size_t n = 0;
	const struct pol_scanner *sp = pol_scanners(prog, &n);

	if (n != s->nspec)
		return false;
	for (size_t i = 0; i < n; i++)
		if (sp[i].threshold != s->spec[i].threshold ||
		    sp[i].window_ms != s->spec[i].window_ms ||
		    sp[i].per_port != s->spec[i].per_port)
			return false;
	return true;
}

static size_t
keep_for(const struct scanfilter *s, size_t spec)
{
	size_t k = (size_t)s->spec[spec].threshold + 1;

	return k < s->keep ? k : s->keep;
}

typedef uint32_t u32x4 __attribute__((vector_size(16)));

static inline u32x4
load4(const uint32_t *p)
{
	u32x4 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* The age from which an address's 32-bit time could come round unnoticed. */
#define AGE_WRAPS (UINT32_C(1) << 31)

/*
 * Forget the addresses seen 2^31 ms ago or more: no window reaches them,
 * and kept until their times came round they would count again.  An entry
 * untouched for that long starts afresh in scan_note, so an address's age
 * always passes through this range before it can wrap.
 */
static void
scan_forget_old(struct scan_val *v, uint32_t *arr, uint32_t now)
{
	size_t kept = 0;

	for (size_t i = 0; i < v->n; i++) {
		if (now - TIME(arr, i) >= AGE_WRAPS)
			continue;
		ADDR(arr, kept) = ADDR(arr, i);
		TIME(arr, kept) = TIME(arr, i);
		kept++;
	}
	v->n = (uint16_t)kept;
}

/*
 * Add a to the source's addresses (replacing the one seen longest ago when
 * all keep are taken); return how many of them were seen within the window.
 * This pass is most of the filter's cost per packet, so it runs over four
 * addresses at a time: matches, the count in the window and the greatest
 * age, with the index of a match or of the oldest found after it only when
 * needed.  The age now - t (modulo 2^32) orders them: one older than the
 * window (at most 2^31 - 1 ms) is never counted and is replaced first.
 */
static uint32_t
scan_add(struct scan_val *v, uint32_t *arr, size_t keep, uint32_t a, uint32_t now,
    uint32_t window)
{
	const u32x4 va = { a, a, a, a }, vnow = { now, now, now, now };
	const u32x4 vwin = { window, window, window, window };
	u32x4 hit = { 0 }, count4 = { 0 }, oldest4 = { 0 };
	size_t n = v->n, i = 0, at;
	uint32_t count, oldest = 0;
	bool found;

	for (; i + 4 <= n; i += 4) {
		u32x4 age = vnow - load4(&TIME(arr, i)), older = (u32x4)(age > oldest4);

		hit |= (u32x4)(load4(&ADDR(arr, i)) == va);
		count4 -= (u32x4)(age < vwin);
		oldest4 = (age & older) | (oldest4 & ~older);
	}
	count = count4[0] + count4[1] + count4[2] + count4[3];
	found = (hit[0] | hit[1] | hit[2] | hit[3]) != 0;
	for (int l = 0; l < 4; l++)
		oldest = oldest4[l] > oldest ? oldest4[l] : oldest;
	for (; i < n; i++) {
		uint32_t age = now - TIME(arr, i);

		found |= ADDR(arr, i) == a;
		count += age < window;
		oldest = age > oldest ? age : oldest;
	}
	if (oldest >= AGE_WRAPS) {
		scan_forget_old(v, arr, now);	/* once per address that ages out */
		return scan_add(v, arr, keep, a, now, window);
	}
	if (found) {
		for (at = 0; ADDR(arr, at) != a; at++)
			;
		/* Seen again: it counts as seen now, whatever it counted before. */
		count -= now - TIME(arr, at) < window;
		count += 0 < window;
		TIME(arr, at) = now;
		return count;
	}
	if (n < keep) {
		at = v->n++;
	} else {
		for (at = 0; now - TIME(arr, at) != oldest; at++)
			;
		if (oldest < window)
			count--;	/* the one replaced was still counted */
	}
	ADDR(arr, at) = a;
	TIME(arr, at) = now;
	return count + 1;
}

/* scan_add for a source whose address, if any, is in the entry (!in_array). */
static uint32_t
scan_add_one(struct scan_val *v, uint32_t *arr, size_t keep, uint32_t a, uint32_t now,
    uint32_t window)
{
	if (v->n == 0) {
		v->n = 1;
		v->first = a;
		v->first_time = now;
		return 1;
	}
	if (v->first == a) {
		v->first_time = now;	/* seen again: it counts as seen now */
		return 0 < window;
	}
	ADDR(arr, 0) = v->first;
	TIME(arr, 0) = v->first_time;
	v->in_array = 1;
	return scan_add(v, arr, keep, a, now, window);
}

void
scan_ref(const struct scanfilter *s, struct scan_ref *r, uint32_t src, uint16_t dport)
{
	for (size_t i = 0; i < s->nspec; i++) {
		uint16_t ps[2] = { s->spec[i].per_port ? dport : 0, (uint16_t)i };
		uint32_t ps32;

		memcpy(&ps32, ps, sizeof(ps32));
		r->k[i] = (struct scan_key){ src, ps[0], ps[1] };
		r->hash[i] = htab_hash64(s->t, htab_word32(src, ps32));
		htab_prefetch(s->t, r->hash[i]);
	}
}

/* 2^31 ms in the stamps' ticks (eng_stamp: ms >> 10), rounded down. */
#define STALE_TICKS ((uint32_t)((UINT64_C(1) << 31) >> 10) - 1)

void
scan_note(struct scanfilter *s, const struct scan_ref *r, uint32_t dst,
    uint64_t now_ms, uint32_t stamp, uint32_t counts[SCAN_SPECS_MAX], bool *crossed)
{
	uint32_t now = (uint32_t)(now_ms - s->epoch_ms);

	*crossed = false;
	for (size_t i = 0; i < s->nspec; i++) {
		uint64_t w = s->spec[i].window_ms;
		struct scan_val *v;
		uint32_t *arr;
		bool created;

		v = htab_insert(s->t, &r->k[i], r->hash[i], stamp, &created);
		if (v == NULL) {
			counts[i] = 0;
			continue;
		}
		if (created) {
			/* The table holds at most max entries: an array is free. */
			v->array = s->pool->free[--s->pool->nfree];
		} else if (stamp - htab_stamp(s->t, v) >= STALE_TICKS) {
			/*
			 * Untouched for 2^31 ms or more: every address is older
			 * than any window, but its 32-bit time may have come round
			 * to look recent.  The source starts afresh.
			 */
			v->n = 0;
			v->filtered = 0;
			v->in_array = 0;
		}
		htab_touch(s->t, v, stamp);
		/* Each window needs only its own threshold's N+1 addresses. */
		arr = &s->pool->arrays[(size_t)v->array * s->pool->words];
		counts[i] = (v->in_array ? scan_add : scan_add_one)(v, arr, keep_for(s, i),
		    dst, now, w > UINT32_MAX ? UINT32_MAX : (uint32_t)w);
		if (counts[i] > s->spec[i].threshold && !v->filtered) {
			v->filtered = 1;
			*crossed = true;
		} else if (counts[i] <= s->spec[i].threshold) {
			v->filtered = 0;
		}
	}
}
