/* SPDX-License-Identifier: ISC */
/*
 * Writing JSON, the project's one writer, in two forms: into a fixed buffer
 * (jb_: events and control-socket replies; output that does not fit is cut
 * before the item that overflowed, and the jbuf's overflow flag says so) and
 * onto a stream, indented (jw_: the replay's report).  Text from the outside
 * is escaped the same way in both, so that one object is always one line:
 * bytes outside printable ASCII become \u00XX (each byte as its Latin-1 code
 * point, so any bytes make valid JSON).
 */
#ifndef POTEMKIN_JSON_H
#define POTEMKIN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct jbuf {
	char *buf;
	size_t cap, len;
	bool overflow;
};

void jb_init(struct jbuf *j, char *buf, size_t cap);
void jb_raw(struct jbuf *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A JSON string literal of s, quotes included. */
void jb_str(struct jbuf *j, const char *s);
/* The same of at most max bytes of s ("..." marks the cut). */
void jb_strn(struct jbuf *j, const char *s, size_t max);
/* "key":"a.b.c.d"; the leading comma is the caller's business. */
void jb_kaddr(struct jbuf *j, const char *key, uint32_t addr);

/* A JSON string literal of s (len bytes of it), quotes included, onto f. */
void json_fput_strn(FILE *f, const char *s, size_t len);

/*
 * The stream writer: members and elements separated and indented as they
 * come; an object or array opened on_one_line keeps its contents on one.
 */
struct jw {
	FILE *f;
	int depth;
	bool first[16];
	bool inline_[16];
};

void jw_open(struct jw *w, const char *key, char c, bool on_one_line);
void jw_close(struct jw *w, char c);
void jw_uint(struct jw *w, const char *key, unsigned long long v);
void jw_num(struct jw *w, const char *key, double v);	/* three decimals */
void jw_str(struct jw *w, const char *key, const char *s);	/* NULL: null */
void jw_bool(struct jw *w, const char *key, bool v);

#endif
