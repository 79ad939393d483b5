/*
 * The replay's small maps: distinct sources, farm addresses, universes and
 * destinations, each key given a dense index in the order it first came.
 * Open addressing with linear probing at load 0.5 at most; the table doubles
 * as it fills, so its size follows what the capture holds (a few bytes per
 * distinct key), unlike the engine's tables, which are bounded on purpose.
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

static int
rehash(struct rset *s, size_t cap)
{
	uint32_t *slot = calloc(cap, sizeof(*slot));
	uint64_t *keys = realloc(s->keys, (cap / 2) * sizeof(*keys));

	if (slot == NULL || keys == NULL) {
		free(slot);
		if (keys)
			s->keys = keys;
		return -1;
	}
	s->keys = keys;
	for (size_t i = 0; i < s->n; i++) {
		size_t j = slot_of(keys[i], cap);

		while (slot[j])
			j = (j + 1) & (cap - 1);
		slot[j] = (uint32_t)i + 1;
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
		uint32_t i = s->slot[j];

		if (i == 0)
			return -1;
		if (s->keys[i - 1] == key)
			return i - 1;
	}
}

int64_t
rset_add(struct rset *s, uint64_t key, bool *created)
{
	size_t j;

	if (created)
		*created = false;
	if (s->cap) {
		for (j = slot_of(key, s->cap); s->slot[j]; j = (j + 1) & (s->cap - 1))
			if (s->keys[s->slot[j] - 1] == key)
				return s->slot[j] - 1;
	}
	if (s->n >= UINT32_MAX - 1)
		return -1;
	/* Keys live in a dense array of cap/2: load stays at 0.5 or below. */
	if (s->n + 1 > s->cap / 2) {
		if (rehash(s, s->cap ? s->cap * 2 : 64) < 0)
			return -1;
	}
	for (j = slot_of(key, s->cap); s->slot[j]; j = (j + 1) & (s->cap - 1))
		;
	s->keys[s->n] = key;
	s->slot[j] = (uint32_t)++s->n;
	if (created)
		*created = true;
	return (int64_t)s->n - 1;
}

void
rset_free(struct rset *s)
{
	free(s->keys);
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
