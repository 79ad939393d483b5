/* SPDX-License-Identifier: ISC */
/*
 * Live clones over time, in bounded memory whatever the capture's length.
 *
 * The count is a step function of the engine's clock.  Two things are kept:
 * the milliseconds spent at each level, which give the exact time-weighted
 * mean and percentiles, and the peak level within each of at most
 * SERIES_BINS bins of equal width, for the CSV and the figure.  Bins start
 * one millisecond wide; when time runs past the last one, neighbours merge
 * and the width doubles, so the cost is O(levels + bins) memory and, per
 * change, O(bins crossed since the last change).
 */
#include "replay.h"

#include <stdlib.h>
#include <string.h>

void
series_init(struct replay_series *s, uint64_t t0)
{
	memset(s, 0, sizeof(*s));
	s->t0 = s->t = t0;
	s->bin_ms = 1;
	s->nbins = 1;
}

static void
merge_bins(struct replay_series *s)
{
	for (size_t i = 0; i < SERIES_BINS / 2; i++)
		s->bins[i] = s->bins[2 * i] > s->bins[2 * i + 1] ?
		    s->bins[2 * i] : s->bins[2 * i + 1];
	memset(s->bins + SERIES_BINS / 2, 0, sizeof(s->bins) / 2);
	s->bin_ms *= 2;
	s->nbins = (s->nbins + 1) / 2;
}

/* The level held from s->t up to t (t >= s->t) marks every bin it covers. */
static void
hold_until(struct replay_series *s, uint64_t t)
{
	size_t from, to;

	while ((t - s->t0) / s->bin_ms >= SERIES_BINS)
		merge_bins(s);
	from = (size_t)((s->t - s->t0) / s->bin_ms);
	to = (size_t)((t - s->t0) / s->bin_ms);
	for (size_t i = from; i <= to; i++)
		if (s->bins[i] < s->level)
			s->bins[i] = s->level;
	if (to + 1 > s->nbins)
		s->nbins = to + 1;
	if (t > s->t) {
		if (s->level >= s->nat) {
			size_t cap = s->nat;

			if (grow_array(&s->at, &cap, (size_t)s->level + 1, sizeof(*s->at)) < 0) {
				s->oom = true;
				return;
			}
			s->nat = cap;
		}
		s->at[s->level] += t - s->t;
		s->t = t;
	}
}

void
series_set(struct replay_series *s, uint64_t t, uint32_t level)
{
	size_t i;

	if (t < s->t)
		t = s->t;	/* never: the engines' clock only goes forward */
	hold_until(s, t);
	s->level = level;
	if (level > s->peak)
		s->peak = level;
	i = (size_t)((t - s->t0) / s->bin_ms);
	if (s->bins[i] < level)
		s->bins[i] = level;
}

void
series_end(struct replay_series *s, uint64_t t)
{
	hold_until(s, t < s->t ? s->t : t);
}

static uint64_t
total_ms(const struct replay_series *s)
{
	uint64_t sum = 0;

	for (size_t i = 0; i < s->nat; i++)
		sum += s->at[i];
	return sum;
}

double
series_mean(const struct replay_series *s)
{
	uint64_t total = total_ms(s);
	double sum = 0;

	if (total == 0)
		return s->level;	/* no time passed: the level there is */
	for (size_t i = 0; i < s->nat; i++)
		sum += (double)i * (double)s->at[i];
	return sum / (double)total;
}

uint32_t
series_quantile(const struct replay_series *s, double q)
{
	uint64_t total = total_ms(s), acc = 0;

	if (total == 0)
		return s->level;
	for (size_t i = 0; i < s->nat; i++) {
		acc += s->at[i];
		if ((double)acc >= q * (double)total)
			return (uint32_t)i;
	}
	return (uint32_t)(s->nat ? s->nat - 1 : 0);
}

void
series_free(struct replay_series *s)
{
	free(s->at);
	s->at = NULL;
	s->nat = 0;
}
