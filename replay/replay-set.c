/* SPDX-License-Identifier: ISC */
/*
 * The replay's small maps: keys given dense indices in the order they first
 * came (flows, destinations, peers), and plain sets of addresses (sources,
 * farm addresses, universes).
 * Open addressing with linear probing at load 0.5 at most; the table doubles
 * as it fills, so its size follows what the capture holds (32 bytes per
 * distinct key at most), unlike the engine's tables, which are bounded on
 * purpose.
 */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

static size_t
slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

/* The key lives in its slot: a lookup costs one cache miss, not two. */
static int
rehash(struct rset *s, size_t cap)
{
	struct rslot *slot = calloc(cap, sizeof(*slot));

	if (slot == NULL)
		return -1;
	for (size_t i = 0; i < s->cap; i++) {
		size_t j;

		if (s->slot[i].idx1 == 0)
			continue;
		for (j = slot_of(s->slot[i].key, cap); slot[j].idx1; j = (j + 1) & (cap - 1))
			;
		slot[j] = s->slot[i];
	}
	free(s->slot);
	s->slot = slot;
	s->cap = cap;
	return 0;
}

int64_t
rset_find(const struct rset *s, uint64_t key)
{
	if (s->cap == 0)
		return -1;
	for (size_t j = slot_of(key, s->cap);; j = (j + 1) & (s->cap - 1)) {
		if (s->slot[j].idx1 == 0)
			return -1;
		if (s->slot[j].key == key)
			return s->slot[j].idx1 - 1;
	}
}

int64_t
rset_add(struct rset *s, uint64_t key, bool *created)
{
	size_t j;

	if (created)
		*created = false;
	if (s->cap) {
		for (j = slot_of(key, s->cap); s->slot[j].idx1; j = (j + 1) & (s->cap - 1))
			if (s->slot[j].key == key)
				return s->slot[j].idx1 - 1;
	}
	if (s->n >= UINT32_MAX - 1)
		return -1;
	/* Load stays at 0.5 or below. */
	if (s->n + 1 > s->cap / 2) {
		if (rehash(s, s->cap ? s->cap * 2 : 64) < 0)
			return -1;
	}
	for (j = slot_of(key, s->cap); s->slot[j].idx1; j = (j + 1) & (s->cap - 1))
		;
	s->slot[j].key = key;
	s->slot[j].idx1 = (uint32_t)++s->n;
	if (created)
		*created = true;
	return (int64_t)s->n - 1;
}

void
rset_free(struct rset *s)
{
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

/* Fibonacci hashing: the top bits of the product, which every bit of a moves. */
static size_t
aslot(uint32_t a, size_t cap)
{
	return (size_t)((((uint64_t)a * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1));
}

int
aset_add(struct aset *s, uint32_t a)
{
	size_t j;

	if (a == 0) {
		if (s->has_zero)
			return 0;
		s->has_zero = true;
		s->n++;
		return 1;
	}
	if (s->cap) {
		for (j = aslot(a, s->cap); s->slot[j]; j = (j + 1) & (s->cap - 1))
			if (s->slot[j] == a)
				return 0;
	}
	if (s->n + 1 > s->cap / 2) {
		size_t cap = s->cap ? s->cap * 2 : 256;
		uint32_t *slot = calloc(cap, sizeof(*slot));

		if (slot == NULL)
			return -1;
		for (size_t i = 0; i < s->cap; i++) {
			if (s->slot[i] == 0)
				continue;
			for (j = aslot(s->slot[i], cap); slot[j]; j = (j + 1) & (cap - 1))
				;
			slot[j] = s->slot[i];
		}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	for (j = aslot(a, s->cap); s->slot[j]; j = (j + 1) & (s->cap - 1))
		;
	s->slot[j] = a;
	s->n++;
	return 1;
}

void
aset_prefetch(const struct aset *s, uint32_t a)
{
	if (s->cap)
		__builtin_prefetch(&s->slot[aslot(a, s->cap)]);
}

void
aset_free(struct aset *s)
{
	free(s->slot);
	memset(s, 0, sizeof(*s));
}

int
grow_array(void *arr, size_t *cap, size_t need, size_t elem)
{
	void **p = arr;
	size_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	if ((q = realloc(*p, n * elem)) == NULL)
		return -1;
	memset((char *)q + *cap * elem, 0, (n - *cap) * elem);
	*p = q;
	*cap = n;
	return 0;
}
