/* SPDX-License-Identifier: ISC */
/*
 * potemkin-ctl's side of the control socket: one request, one reply, and a
 * reader for the replies' JSON.  The reader knows only what control.c writes
 * (objects without nesting but for arrays of flat objects), which is why it
 * can be a scanner rather than a parser.
 */
#include "ctl.h"

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int
connect_to(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		errx(1, "%s: socket path too long", path);
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		err(1, "socket");
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		err(1, "%s%s", path, errno == ENOENT || errno == ECONNREFUSED ?
		    " (is potemkin-gateway running?)" : "");
	return fd;
}

static char *
read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	if (buf == NULL)
		err(1, "malloc");
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (len + 1 == cap && (buf = realloc(buf, cap *= 2)) == NULL)
			err(1, "realloc");
	}
	if (n < 0)
		err(1, "reading the reply");
	buf[len] = '\0';
	return buf;
}

char *
ctl_ask(const char *path, const char *req)
{
	size_t len = strlen(req);
	char *reply;
	int fd;

	fd = connect_to(path);
	if (write(fd, req, len) != (ssize_t)len || write(fd, "\n", 1) != 1)
		err(1, "sending the request");
	shutdown(fd, SHUT_WR);
	reply = read_all(fd);
	close(fd);
	if (*reply == '\0')
		errx(1, "the gateway closed the connection without a reply");
	return reply;
}

/* ---- reading replies ---------------------------------------------------------- */

struct jspan
jspan_of(const char *reply)
{
	return (struct jspan){ reply, reply + strlen(reply) };
}

/* Past the string whose opening quote is at p (replies end in a NUL). */
static const char *
skip_string(const char *p, const char *end)
{
	for (p++; p < end && *p && *p != '"'; p++)
		if (*p == '\\' && p + 1 < end && p[1])
			p++;
	return p < end && *p ? p + 1 : p;
}

/*
 * Walk o's top-level members in order (nested objects and arrays are
 * stepped over, so a clone's "vm" is not the reply's): fn sees each key,
 * without its quotes, and where its value starts.  Returns that value for
 * the member fn accepts, NULL when it accepts none.
 */
typedef bool member_fn(void *ctx, const char *key, size_t klen, const char *val);

static const char *
walk_members(struct jspan o, member_fn *fn, void *ctx)
{
	int depth = 0;

	for (const char *p = o.p; p < o.end;) {
		if (*p == '"') {
			const char *q = skip_string(p, o.end);

			if (depth == 1 && q < o.end && *q == ':' &&
			    fn(ctx, p + 1, (size_t)(q - p - 2), q + 1))
				return q + 1;
			p = q;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		p++;
	}
	return NULL;
}

static bool
is_key(void *ctx, const char *key, size_t klen, const char *val)
{
	const char *want = ctx;

	(void)val;
	return strlen(want) == klen && memcmp(key, want, klen) == 0;
}

/* The value of member key at o's top level. */
static const char *
member(struct jspan o, const char *key)
{
	return walk_members(o, is_key, (void *)(uintptr_t)key);
}

bool
jget_num(struct jspan o, const char *key, unsigned long long *v)
{
	const char *p = member(o, key);
	char *end;

	if (p == NULL || *p < '0' || *p > '9')
		return false;
	*v = strtoull(p, &end, 10);
	return true;
}

bool
jget_bool(struct jspan o, const char *key)
{
	const char *p = member(o, key);

	return p && strncmp(p, "true", 4) == 0;
}

size_t
junescape(const char *p, const char *end, char *out, size_t cap, bool lines)
{
	size_t n = 0;

	for (; p < end && *p != '"'; p++) {
		unsigned char c = (unsigned char)*p;
		unsigned v;

		if (c == '\\' && p + 1 < end) {
			c = (unsigned char)*++p;
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'u' && p + 4 < end && sscanf(p + 1, "%4x", &v) == 1) {
				c = v < 0x80 ? (unsigned char)v : '?';
				p += 4;
			}
		}
		/* A table's cell is one line, and no byte of it moves the cursor. */
		if (!lines && (c < 0x20 || c == 0x7f))
			c = c == '\n' || c == '\t' ? ' ' : '?';
		if (n + 1 < cap)
			out[n++] = (char)c;
	}
	if (cap)
		out[n] = '\0';
	return n;
}

bool
jget_str(struct jspan o, const char *key, char *out, size_t cap)
{
	const char *p = member(o, key);

	if (p == NULL || *p != '"' || cap == 0)
		return false;
	junescape(p + 1, o.end, out, cap, false);
	return true;
}

bool
jarray(struct jspan o, const char *key, struct jspan *arr)
{
	const char *p = member(o, key);

	if (p == NULL || *p != '[')
		return false;
	*arr = (struct jspan){ p + 1, o.end };
	return true;
}

bool
jarray_next(struct jspan *arr, struct jspan *obj)
{
	const char *p = arr->p;
	int depth = 0;

	while (p < arr->end && (*p == ',' || *p == ' '))
		p++;
	if (p == arr->end || *p != '{')
		return false;
	obj->p = p;
	while (p < arr->end) {
		if (*p == '"') {
			p = skip_string(p, arr->end);
			continue;
		}
		if (*p == '{')
			depth++;
		else if (*p == '}' && --depth == 0)
			break;
		p++;
	}
	if (p == arr->end)
		return false;
	obj->end = p + 1;
	arr->p = p + 1;
	return true;
}

struct num_walk {
	jnum_fn *fn;
	void *ctx;
};

static bool
each_num(void *ctx, const char *key, size_t klen, const char *val)
{
	struct num_walk *w = ctx;

	if (*val >= '0' && *val <= '9')
		w->fn(w->ctx, key, klen, strtoull(val, NULL, 10));
	return false;
}

void
jforeach_num(struct jspan o, jnum_fn *fn, void *ctx)
{
	struct num_walk w = { fn, ctx };

	walk_members(o, each_num, &w);
}
