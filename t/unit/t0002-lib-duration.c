/* SPDX-License-Identifier: ISC */
/* Durations as people write them in policies and configs. */
#include "lib/duration.h"
#include "t/lib/tap.h"

#include <string.h>

static enum dur_err
dp(const char *s, uint64_t *ms)
{
	return dur_parse(s, strlen(s), ms);
}

int
main(void)
{
	char buf[DUR_STRLEN];
	uint64_t ms;

	is(dp("500ms", &ms), DUR_OK, "500ms");
	is(ms, 500, "is 500");
	is(dp("10s", &ms), DUR_OK, "10s");
	is(ms, 10000, "is 10000");
	is(dp("5m", &ms), DUR_OK, "5m");
	is(ms, 300000, "is 300000");
	is(dp("2h", &ms), DUR_OK, "2h");
	is(ms, 7200000, "is 7200000");
	is(dp("0s", &ms), DUR_OK, "zero is allowed");
	is(dp("10", &ms), DUR_EUNIT, "unit required");
	is(dp("10d", &ms), DUR_EUNIT, "days are not a unit");
	is(dp("10 s", &ms), DUR_EUNIT, "no space inside");
	is(dp("ms", &ms), DUR_ENONUM, "number required");
	is(dp("597h", &ms), DUR_ERANGE, "too long");
	is(dp("99999999999999999999ms", &ms), DUR_ERANGE, "no overflow");
	is(dp("596h", &ms), DUR_OK, "the longest whole hours");

	is_str(dur_fmt(500, buf), "500ms", "formats ms");
	is_str(dur_fmt(300000, buf), "5m", "formats minutes");
	is_str(dur_fmt(90000, buf), "90s", "formats the largest exact unit");
	is_str(dur_fmt(3600000, buf), "1h", "formats hours");
	is_str(dur_fmt(0, buf), "0ms", "formats zero");
	return done_testing();
}
