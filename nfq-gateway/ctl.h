/* SPDX-License-Identifier: ISC */
/*
 * potemkin-ctl's parts: the request over the control socket, a reader for
 * the gateway's own replies, and the views built on them (top, Prometheus).
 */
#ifndef POTEMKIN_CTL_H
#define POTEMKIN_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Send one request line (no newline), return the reply; exits on failure. */
char *ctl_ask(const char *path, const char *req);

/*
 * Reading replies.  The gateway writes them (control.c): flat objects of
 * numbers and strings, and arrays of such objects.  A span is one object.
 */
struct jspan {
	const char *p, *end;
};

/* The whole reply as a span. */
struct jspan jspan_of(const char *reply);
bool jget_num(struct jspan o, const char *key, unsigned long long *v);
/* Is the member true (false when it is anything else or missing)? */
bool jget_bool(struct jspan o, const char *key);
/*
 * A JSON string's body from p (past its opening quote) to its closing
 * quote or end, unescaped into out (cap bytes, NUL-terminated): \u00XX as
 * its byte, beyond ASCII '?'.  lines keeps line breaks and tabs; without
 * it every control byte goes (one table cell, safe on a terminal).
 */
size_t junescape(const char *p, const char *end, char *out, size_t cap, bool lines);
/* The string value, as one line for display. */
bool jget_str(struct jspan o, const char *key, char *out, size_t cap);
/* Start walking the array member `key` (arr: what is left of it). */
bool jarray(struct jspan o, const char *key, struct jspan *arr);
/* The array's next object, false at its end. */
bool jarray_next(struct jspan *arr, struct jspan *obj);
/* Every "key":NUMBER member of o's top level, in order. */
typedef void jnum_fn(void *ctx, const char *key, size_t keylen, unsigned long long v);
void jforeach_num(struct jspan o, jnum_fn *fn, void *ctx);

/* stats --prometheus: the stats reply in the text exposition format. */
void prom_write(FILE *out, const char *reply);

/* top: the live view; returns the exit status. */
int top_main(const char *path, double interval, bool once);

#endif
