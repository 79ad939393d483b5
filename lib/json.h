/*
 * Writing JSON into a fixed buffer: events and control-socket replies.  Text
 * from the outside is escaped so that one object is always one line: bytes
 * outside printable ASCII become \u00XX (each byte as its Latin-1 code
 * point, so any bytes make valid JSON).  Output that does not fit is cut
 * before the item that overflowed, and jb_ok says so.
 */
#ifndef POTEMKIN_JSON_H
#define POTEMKIN_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
/* ,"key":"value" and friends; the leading comma is the caller's business. */
void jb_kstr(struct jbuf *j, const char *key, const char *s);
void jb_kaddr(struct jbuf *j, const char *key, uint32_t addr);
void jb_kuint(struct jbuf *j, const char *key, unsigned long long v);
bool jb_ok(const struct jbuf *j);

#endif
