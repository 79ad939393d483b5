#include "json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

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

void
jb_strn(struct jbuf *j, const char *s, size_t max)
{
	size_t n = 0;

	jb_raw(j, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++, n++) {
		if (n == max) {
			jb_raw(j, "...");
			break;
		}
		if (*p == '"' || *p == '\\')
			jb_raw(j, "\\%c", *p);
		else if (*p == '\n')
			jb_raw(j, "\\n");
		else if (*p < 0x20 || *p > 0x7e)
			jb_raw(j, "\\u%04x", *p);
		else
			jb_raw(j, "%c", *p);
	}
	jb_raw(j, "\"");
}

void
jb_kstr(struct jbuf *j, const char *key, const char *s)
{
	jb_raw(j, "\"%s\":", key);
	jb_str(j, s);
}

void
jb_kaddr(struct jbuf *j, const char *key, uint32_t addr)
{
	char buf[ADDR_STRLEN];

	jb_raw(j, "\"%s\":\"%s\"", key, addr_fmt(addr, buf));
}

void
jb_kuint(struct jbuf *j, const char *key, unsigned long long v)
{
	jb_raw(j, "\"%s\":%llu", key, v);
}

bool
jb_ok(const struct jbuf *j)
{
	return !j->overflow;
}
