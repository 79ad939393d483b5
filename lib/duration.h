/* SPDX-License-Identifier: ISC */
/* Durations written by people: 500ms, 10s, 5m, 1h. Kept as milliseconds. */
#ifndef POTEMKIN_DURATION_H
#define POTEMKIN_DURATION_H

#include <stddef.h>
#include <stdint.h>

/* The longest duration anything accepts: about 24 days, fits int32 ms. */
#define DUR_MAX_MS ((uint64_t)INT32_MAX)

enum dur_err {
	DUR_OK = 0,
	DUR_ENONUM,	/* no digits */
	DUR_EUNIT,	/* unit missing or not ms, s, m, h */
	DUR_ERANGE,	/* longer than DUR_MAX_MS */
};

/* Parse exactly len bytes of s, e.g. "500ms". */
enum dur_err dur_parse(const char *s, size_t len, uint64_t *ms);
const char *dur_strerror(enum dur_err e);
/* The shortest exact spelling, e.g. 300000 -> "5m"; buf holds 24 bytes. */
char *dur_fmt(uint64_t ms, char *buf);

#define DUR_STRLEN 24

#endif
