/* SPDX-License-Identifier: ISC */
#include "number.h"

#include <err.h>
#include <errno.h>
#include <stdlib.h>

int
num_parse(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;	/* strtoull would take a sign or spaces */
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
num_parsen(const char *s, size_t len, unsigned long long min,
    unsigned long long max, unsigned long long *out)
{
	unsigned long long v = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || v > (~0ull - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

unsigned long long
num_arg(const char *arg, unsigned long long max, void (*usage)(void))
{
	unsigned long long v;

	if (num_parse(arg, 0, max, &v) == -1) {
		warnx("%s: not a number of 0 to %llu", arg, max);
		usage();
		exit(2);
	}
	return v;
}
