/* SPDX-License-Identifier: ISC */
/*
 * Reclaim timers: a binary min-heap of deadlines.  Entries are never removed
 * early; a timer that fires for a binding that has moved on (reclaimed,
 * re-armed, or busy again) is simply checked and dropped or pushed back,
 * which keeps the packet path free of heap work.  Each binding has at most
 * one live timer of each kind, so the heap holds at most twice the bindings
 * plus the void ones not yet fired.
 */
#include "eng_int.h"

#include <stdlib.h>

static void
swap(struct timer *a, struct timer *b)
{
	struct timer t = *a;

	*a = *b;
	*b = t;
}

int
timers_push(struct timers *t, const struct timer *tm)
{
	size_t i;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct timer *h = realloc(t->heap, cap * sizeof(*h));

		if (h == NULL)
			return -1;
		t->heap = h;
		t->cap = cap;
	}
	i = t->n++;
	t->heap[i] = *tm;
	while (i > 0 && t->heap[(i - 1) / 2].when > t->heap[i].when) {
		swap(&t->heap[(i - 1) / 2], &t->heap[i]);
		i = (i - 1) / 2;
	}
	return 0;
}

bool
timers_pop_due(struct timers *t, uint64_t now, struct timer *out)
{
	size_t i = 0;

	if (t->n == 0 || t->heap[0].when > now)
		return false;
	*out = t->heap[0];
	t->heap[0] = t->heap[--t->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < t->n && t->heap[l].when < t->heap[m].when)
			m = l;
		if (r < t->n && t->heap[r].when < t->heap[m].when)
			m = r;
		if (m == i)
			break;
		swap(&t->heap[i], &t->heap[m]);
		i = m;
	}
	return true;
}

uint64_t
timers_next(const struct timers *t)
{
	return t->n ? t->heap[0].when : UINT64_MAX;
}
