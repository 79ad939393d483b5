/* SPDX-License-Identifier: ISC */
/*
 * The replay's bookkeeping: the live-clone series (time at each level, its
 * mean and percentiles, the peak in bins that double in width), the maps
 * that give keys dense indices and the sets of addresses.  Known step
 * functions and keys, checked by hand.
 */
#include <stdlib.h>
#include <string.h>

#include "replay/replay.h"
#include "t/lib/tap.h"

static void
test_steps(void)
{
	struct replay_series s;

	series_init(&s, 1000);
	series_set(&s, 1000, 1);
	series_set(&s, 1010, 3);
	series_set(&s, 1020, 0);
	series_end(&s, 1040);
	is(s.peak, 3, "the peak");
	is(s.level, 0, "the level at the end");
	ok(s.nat >= 4 && s.at[0] == 20 && s.at[1] == 10 && s.at[2] == 0 && s.at[3] == 10,
	    "20 ms at 0, 10 at 1, 10 at 3");
	ok(series_mean(&s) == 1.0, "a mean of (10 + 30) / 40 = 1");
	is(series_quantile(&s, 0.50), 0, "half the time at 0");
	is(series_quantile(&s, 0.51), 1, "just past half: 1");
	is(series_quantile(&s, 0.75), 1, "three quarters: 1");
	is(series_quantile(&s, 0.99), 3, "the 99th percentile: 3");
	is(s.bin_ms, 1, "bins of 1 ms for 40 ms");
	is(s.nbins, 41, "41 of them, the last one's start included");
	ok(s.bins[0] == 1 && s.bins[9] == 1 && s.bins[10] == 3 && s.bins[19] == 3,
	    "each bin holds its peak");
	ok(s.bins[20] == 3 && s.bins[21] == 0 && s.bins[40] == 0,
	    "a change counts in the bin where it happens");
	series_free(&s);
}

static void
test_doubling(void)
{
	struct replay_series s;
	uint32_t top = 0;

	series_init(&s, 0);
	series_set(&s, 0, 2);
	series_set(&s, 2500, 7);	/* a spike of one millisecond */
	series_set(&s, 2501, 2);
	series_set(&s, 4000, 1);
	series_end(&s, 5000);
	is(s.bin_ms, 8, "5 s in bins of 8 ms (the fewest doublings that fit 1024)");
	is(s.nbins, 5000 / 8 + 1, "626 bins");
	is(s.bins[2500 / 8], 7, "the spike survives the merges as its bin's peak");
	for (size_t i = 0; i < s.nbins; i++)
		if (s.bins[i] > top)
			top = s.bins[i];
	is(top, 7, "nothing higher anywhere");
	ok(s.bins[4010 / 8] == 1 && s.bins[4000 / 8] == 2 && s.bins[3990 / 8] == 2,
	    "levels on either side of a change, the peak in its bin");
	ok(s.at[2] == 3999 && s.at[7] == 1 && s.at[1] == 1000, "exact times at each level");
	series_free(&s);
}

static void
test_no_time(void)
{
	struct replay_series s;

	series_init(&s, 50);
	series_set(&s, 50, 4);
	series_end(&s, 50);
	ok(series_mean(&s) == 4.0, "no time passed: the mean is the level");
	is(series_quantile(&s, 0.5), 4, "and so is every percentile");
	series_free(&s);
	series_init(&s, 50);
	series_set(&s, 40, 2);	/* before the start: taken at the start */
	series_end(&s, 60);
	ok(s.at[2] == 10, "the clock never runs backwards");
	series_free(&s);
}

static void
test_rset(void)
{
	struct rset s = { 0 };
	int bad = 0;
	bool created;
	uint8_t *arr = NULL;
	size_t cap = 0;

	for (uint64_t k = 0; k < 100000; k++) {
		int64_t i = rset_add(&s, k * 0x100000001ull, &created);

		bad += i != (int64_t)k || !created;
	}
	is(bad, 0, "keys get indices 0, 1, 2 ... in the order they come");
	is(s.n, 100000, "100000 keys");
	for (uint64_t k = 0; k < 100000; k++) {
		bad += rset_find(&s, k * 0x100000001ull) != (int64_t)k;
		bad += rset_add(&s, k * 0x100000001ull, &created) != (int64_t)k || created;
	}
	is(bad, 0, "each found again under its index, none added twice");
	ok(rset_find(&s, 7) == -1 && rset_find(&s, 0x100000001ull * 100000) == -1,
	    "keys never added are not found");
	ok(s.cap >= 2 * s.n, "load stays at a half or below");
	rset_free(&s);
	ok(rset_find(&s, 0) == -1 && s.n == 0, "an empty map finds nothing");

	ok(grow_array(&arr, &cap, 10, 1) == 0 && cap == 16, "arrays grow by doubling from 16");
	memset(arr, 0xff, cap);
	ok(grow_array(&arr, &cap, 40, 1) == 0 && cap == 64, "to what is needed");
	ok(arr[15] == 0xff && arr[16] == 0 && arr[63] == 0, "keeping what was there, zeroing the rest");
	ok(grow_array(&arr, &cap, 64, 1) == 0 && cap == 64, "and not at all when it fits");
	free(arr);
}

static void
test_aset(void)
{
	struct aset s = { 0 };
	int bad = 0;

	for (uint32_t k = 0; k < 50000; k++)
		bad += aset_add(&s, k * 2654435761u) != 1;
	is(bad, 0, "50000 addresses, address 0 among them, each new once");
	for (uint32_t k = 0; k < 50000; k++)
		bad += aset_add(&s, k * 2654435761u) != 0;
	is(bad, 0, "and known the second time");
	is(s.n, 50000, "counted once each");
	ok(s.cap >= 2 * (s.n - 1), "load stays at a half or below");
	aset_free(&s);
	ok(s.n == 0 && aset_add(&s, 0) == 1 && s.n == 1, "a freed set starts afresh");
	aset_free(&s);
}

int
main(void)
{
	test_steps();
	test_doubling();
	test_no_time();
	test_rset();
	test_aset();
	done_testing();
}
