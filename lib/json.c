/* SPDX-License-Identifier: ISC */
#include "json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

void
jb_init(struct jbuf *j, char *buf, size_t cap)
{
	j->buf = buf;
	j->cap = cap;
	j->len = 0;
	j->overflow = cap == 0;
	if (cap)
		buf[0] = '\0';
}

void
jb_raw(struct jbuf *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (j->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(j->buf + j->len, j->cap - j->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= j->cap - j->len) {
		j->overflow = true;
		j->buf[j->len] = '\0';	/* never half an item */
		return;
	}
	j->len += (size_t)n;
}

void
jb_str(struct jbuf *j, const char *s)
{
	jb_strn(j, s, SIZE_MAX);
}

/* The JSON form of one byte of a string, NUL-terminated, into out[7]. */
static const char *
escape(unsigned char c, char out[7])
{
	if (c == '"' || c == '\\')
		snprintf(out, 7, "\\%c", c);
	else if (c == '\n')
		snprintf(out, 7, "\\n");
	else if (c < 0x20 || c > 0x7e)
		snprintf(out, 7, "\\u%04x", c);
	else
		snprintf(out, 7, "%c", c);
	return out;
}

void
jb_strn(struct jbuf *j, const char *s, size_t max)
{
	size_t n = 0;
	char e[7];

	jb_raw(j, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
		if (n == max) {
			jb_raw(j, "...");
			break;
		}
		jb_raw(j, "%s", escape(*p, e));
	}
	jb_raw(j, "\"");
}

void
json_fput_strn(FILE *f, const char *s, size_t len)
{
	char e[7];

	fputc('"', f);
	for (size_t i = 0; i < len; i++)
		fputs(escape((unsigned char)s[i], e), f);
	fputc('"', f);
}

void
jb_kaddr(struct jbuf *j, const char *key, uint32_t addr)
{
	char buf[ADDR_STRLEN];

	jb_raw(j, "\"%s\":\"%s\"", key, addr_fmt(addr, buf));
}

/* ---- the stream writer ------------------------------------------------- */

static void
jw_sep(struct jw *w, const char *key)
{
	bool first = w->first[w->depth];

	w->first[w->depth] = false;
	if (w->depth > 0) {
		if (!first)
			fputc(',', w->f);
		if (!w->inline_[w->depth])
			fprintf(w->f, "\n%*s", 2 * w->depth, "");
		else if (!first)
			fputc(' ', w->f);
	}
	if (key)
		fprintf(w->f, "\"%s\": ", key);
}

void
jw_open(struct jw *w, const char *key, char c, bool on_one_line)
{
	jw_sep(w, key);
	fputc(c, w->f);
	if (w->depth + 1 >= (int)(sizeof(w->first) / sizeof(w->first[0])))
		abort();	/* the report's shape is fixed: never this deep */
	w->depth++;
	w->first[w->depth] = true;
	w->inline_[w->depth] = on_one_line || w->inline_[w->depth - 1];
}

void
jw_close(struct jw *w, char c)
{
	bool was_inline = w->inline_[w->depth], empty = w->first[w->depth];

	w->depth--;
	if (!was_inline && !empty)
		fprintf(w->f, "\n%*s", 2 * w->depth, "");
	fputc(c, w->f);
}

void
jw_uint(struct jw *w, const char *key, unsigned long long v)
{
	jw_sep(w, key);
	fprintf(w->f, "%llu", v);
}

void
jw_num(struct jw *w, const char *key, double v)
{
	jw_sep(w, key);
	fprintf(w->f, "%.3f", v);
}

void
jw_str(struct jw *w, const char *key, const char *s)
{
	jw_sep(w, key);
	if (s)
		json_fput_strn(w->f, s, strlen(s));
	else
		fputs("null", w->f);
}

void
jw_bool(struct jw *w, const char *key, bool v)
{
	jw_sep(w, key);
	fputs(v ? "true" : "false", w->f);
}
