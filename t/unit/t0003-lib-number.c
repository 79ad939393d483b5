/* SPDX-License-Identifier: ISC */
/* Whole numbers as people write them in command-line options. */
#include "lib/number.h"
#include "t/lib/tap.h"

int
main(void)
{
	unsigned long long v = 7;

	is(num_parse("0", 0, 10, &v), 0, "0");
	is(v, 0, "is 0");
	is(num_parse("4000000", 1, 1ull << 40, &v), 0, "4000000");
	is(v, 4000000, "is 4000000");
	is(num_parse("18446744073709551615", 0, ~0ull, &v), 0, "the largest");
	ok(v == ~0ull, "is the largest");
	v = 7;
	is(num_parse("18446744073709551616", 0, ~0ull, &v), -1, "no overflow");
	is(num_parse("4e6", 0, ~0ull, &v), -1, "no exponent");
	is(num_parse("abc", 0, ~0ull, &v), -1, "no digits");
	is(num_parse("", 0, ~0ull, &v), -1, "empty");
	is(num_parse("-1", 0, ~0ull, &v), -1, "no sign");
	is(num_parse("+1", 0, ~0ull, &v), -1, "no plus");
	is(num_parse(" 1", 0, ~0ull, &v), -1, "no leading space");
	is(num_parse("1 ", 0, ~0ull, &v), -1, "no trailing space");
	is(num_parse("0x10", 0, ~0ull, &v), -1, "decimal only");
	is(num_parse("0", 1, 10, &v), -1, "below min");
	is(num_parse("11", 1, 10, &v), -1, "above max");
	is(v, 7, "untouched on error");
	return done_testing();
}
