/* SPDX-License-Identifier: ISC */
#include "duration.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	uint64_t ms;
} dur_units[] = {
	{ "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 },
};

enum dur_err
dur_parse(const char *s, size_t len, uint64_t *ms)
{
	uint64_t n = 0;
	size_t i = 0;

	while (i < len && s[i] >= '0' && s[i] <= '9') {
		n = n * 10 + (uint64_t)(s[i] - '0');
		if (n > DUR_MAX_MS)
			return DUR_ERANGE;
		i++;
	}
	if (i == 0)
		return DUR_ENONUM;
	for (size_t u = 0; u < sizeof(dur_units) / sizeof(dur_units[0]); u++) {
		size_t ulen = strlen(dur_units[u].name);

		if (len - i == ulen && memcmp(s + i, dur_units[u].name, ulen) == 0) {
			if (n > DUR_MAX_MS / dur_units[u].ms)
				return DUR_ERANGE;
			*ms = n * dur_units[u].ms;
			return DUR_OK;
		}
	}
	return DUR_EUNIT;
}

const char *
dur_strerror(enum dur_err e)
{
	switch (e) {
	case DUR_OK:
		return "no error";
	case DUR_ENONUM:
		return "a duration starts with a number";
	case DUR_EUNIT:
		return "a duration needs a unit: ms, s, m or h";
	case DUR_ERANGE:
		return "duration too long (at most 596h)";
	}
	return "unknown duration error";
}

char *
dur_fmt(uint64_t ms, char *buf)
{
	for (size_t u = 0; u < sizeof(dur_units) / sizeof(dur_units[0]); u++) {
		if (ms != 0 && ms % dur_units[u].ms == 0) {
			snprintf(buf, DUR_STRLEN, "%llu%s",
			    (unsigned long long)(ms / dur_units[u].ms), dur_units[u].name);
			return buf;
		}
	}
	snprintf(buf, DUR_STRLEN, "%llums", (unsigned long long)ms);
	return buf;
}
