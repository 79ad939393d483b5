/* SPDX-License-Identifier: ISC */
/*
 * The fast path's index (fastpath-index.h).  A slot array twice the bound,
 * so probe chains stay short; the hash is keyed from the kernel's CSPRNG,
 * since outsiders choose the addresses and ports of the keys.
 */
#include "fastpath-index.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lib/siphash.h"

struct fpx_slot {
	bool used;
	struct fp_map_key key;
	struct fp_seen seen;
};

struct fpx {
	struct fpx_slot *slot;
	size_t mask, count, max;
	struct sipkey sk;
};

struct fpx *
fpx_new(size_t max)
{
	struct fpx *x = calloc(1, sizeof(*x));
	size_t cap = 16;

	while (cap < 2 * max)
		cap *= 2;
	if (x == NULL || (x->slot = calloc(cap, sizeof(*x->slot))) == NULL ||
	    getrandom(&x->sk, sizeof(x->sk), 0) != (ssize_t)sizeof(x->sk)) {
		fpx_free(x);
		return NULL;
	}
	x->mask = cap - 1;
	x->max = max;
	return x;
}

void
fpx_free(struct fpx *x)
{
	if (x == NULL)
		return;
	free(x->slot);
	free(x);
}

static size_t
home(const struct fpx *x, const struct fp_map_key *k)
{
	return (size_t)siphash13(&x->sk, k, sizeof(*k)) & x->mask;
}

/* The slot holding k, or the empty slot that ends its chain. */
static size_t
probe(const struct fpx *x, const struct fp_map_key *k)
{
	size_t i = home(x, k);

	while (x->slot[i].used && memcmp(&x->slot[i].key, k, sizeof(*k)) != 0)
		i = (i + 1) & x->mask;
	return i;
}

struct fp_seen *
fpx_find(const struct fpx *x, const struct fp_map_key *k)
{
	size_t i = probe(x, k);

	return x->slot[i].used ? &x->slot[i].seen : NULL;
}

struct fp_seen *
fpx_insert(struct fpx *x, const struct fp_map_key *k, bool *created)
{
	size_t i = probe(x, k);

	*created = !x->slot[i].used;
	if (*created) {
		if (x->count == x->max)
			return NULL;
		x->slot[i].used = true;
		x->slot[i].key = *k;
		memset(&x->slot[i].seen, 0, sizeof(x->slot[i].seen));
		x->count++;
	}
	return &x->slot[i].seen;
}

/* Empty slot i and pull back the entries of the chain behind it. */
static void
remove_at(struct fpx *x, size_t i)
{
	size_t j = i;

	x->slot[i].used = false;
	x->count--;
	for (;;) {
		size_t h;

		j = (j + 1) & x->mask;
		if (!x->slot[j].used)
			return;
		h = home(x, &x->slot[j].key);
		/* j may move to i only if i lies on its way from h to j. */
		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			x->slot[i] = x->slot[j];
			x->slot[j].used = false;
			i = j;
		}
	}
}

bool
fpx_delete(struct fpx *x, const struct fp_map_key *k)
{
	size_t i = probe(x, k);

	if (!x->slot[i].used)
		return false;
	remove_at(x, i);
	return true;
}

size_t
fpx_count(const struct fpx *x)
{
	return x->count;
}

void
fpx_sweep(struct fpx *x, fpx_visit *fn, void *ctx)
{
	for (size_t i = 0; i <= x->mask; i++) {
		/* A deletion may pull another entry into i: look again. */
		while (x->slot[i].used && !fn(ctx, &x->slot[i].key, &x->slot[i].seen))
			remove_at(x, i);
	}
}
