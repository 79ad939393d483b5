/* SPDX-License-Identifier: ISC */
/*
 * The packet descriptions `potemkin-policy eval` reads: words separated by
 * blanks, in a fixed order up to the destination, then key words in any
 * order.  See potemkin-policy(8) for the format.
 */
#include "pktline.h"
#include "pol_int.h"
#include "lib/number.h"
#include "lib/duration.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>

struct cursor {
	const char *line;
	const char *p;		/* after the current word */
	const char *w;		/* the current word */
	size_t len;
	int *col;
	char *err;
	size_t errsize;
};

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The next word, or false at the end of the line or at a comment. */
static bool
word(struct cursor *c)
{
	while (blank(*c->p))
		c->p++;
	c->w = c->p;
	if (*c->p == '\0' || *c->p == '#') {
		c->len = 0;
		return false;
	}
	while (*c->p && !blank(*c->p))
		c->p++;
	c->len = (size_t)(c->p - c->w);
	return true;
}

static bool
is(const struct cursor *c, const char *s)
{
	return strlen(s) == c->len && memcmp(c->w, s, c->len) == 0;
}

static int bad(struct cursor *c, const char *fmt, ...) PK_PRINTF(2, 3);

/* "what was expected near 'the word'", at the word. */
static int
bad(struct cursor *c, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	*c->col = (int)(c->w - c->line) + 1;
	if (c->len)
		snprintf(c->err, c->errsize, "%s near '%.*s'", msg,
		    (int)(c->len > 40 ? 40 : c->len), c->w);
	else
		snprintf(c->err, c->errsize, "%s near end of line", msg);
	return -1;
}

static bool
num(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	unsigned long long v;

	if (num_parsen(s, len, 0, max, &v) < 0)
		return false;
	*out = v;
	return true;
}

/* ADDRESS[:PORT]; a port only for TCP and UDP. */
static int
endpoint(struct cursor *c, uint8_t proto, uint32_t *addr, uint16_t *port)
{
	const char *colon = memchr(c->w, ':', c->len);
	size_t alen = colon ? (size_t)(colon - c->w) : c->len;
	uint64_t v;

	if (!c->len || addr_parse(c->w, alen, addr) != ADDR_OK)
		return bad(c, "address expected (ADDRESS or ADDRESS:PORT)");
	*port = 0;
	if (colon == NULL)
		return 0;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return bad(c, "a port goes with tcp or udp only");
	if (!num(colon + 1, c->len - alen - 1, 65535, &v))
		return bad(c, "port expected (0 to 65535) after ':'");
	*port = (uint16_t)v;
	return 0;
}

static int
proto(struct cursor *c, uint8_t *out)
{
	uint64_t v;

	if (is(c, "tcp"))
		*out = IPPROTO_TCP;
	else if (is(c, "udp"))
		*out = IPPROTO_UDP;
	else if (is(c, "icmp"))
		*out = IPPROTO_ICMP;
	else if (num(c->w, c->len, 255, &v))
		*out = (uint8_t)v;
	else
		return bad(c, "protocol expected (tcp, udp, icmp or 0 to 255)");
	return 0;
}

static int
tcpflags(struct cursor *c, uint8_t *out)
{
	*out = 0;
	if (!word(c))
		return bad(c, "TCP flags expected (letters of FSRPAUEW, or -)");
	if (is(c, "-"))
		return 0;
	for (size_t i = 0; i < c->len; i++) {
		const char *f = memchr(pol_tcp_flag_letters, c->w[i], 8);

		if (f == NULL)
			return bad(c, "TCP flags expected (letters of FSRPAUEW, or -)");
		*out |= (uint8_t)(1u << (f - pol_tcp_flag_letters));
	}
	return 0;
}

static int
icmptype(struct cursor *c, uint8_t *out)
{
	uint64_t v;
	int t;

	if (!word(c))
		return bad(c, "ICMP type expected");
	if ((t = pol_icmp_lookup(c->w, c->len)) >= 0)
		v = (uint64_t)t;
	else if (!num(c->w, c->len, 255, &v))
		return bad(c, "ICMP type expected (0 to 255 or a name such as echoreq)");
	*out = (uint8_t)v;
	return 0;
}

/* scan=N[,N...]: the answers for scanner windows 0, 1, ... */
static int
scans(struct cursor *c, struct pktline *out)
{
	const char *s = c->w + 5, *end = c->w + c->len;

	out->nscan = 0;
	while (s < end) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		size_t n = comma ? (size_t)(comma - s) : (size_t)(end - s);
		uint64_t v;

		if (out->nscan == PKTLINE_MAXSCAN)
			return bad(c, "too many scan answers (at most %d)", PKTLINE_MAXSCAN);
		if (!num(s, n, UINT32_MAX, &v))
			return bad(c, "scan=N[,N...] expected (address counts)");
		out->scan[out->nscan++] = (uint32_t)v;
		s += n + (comma != NULL);
	}
	if (out->nscan == 0)
		return bad(c, "scan=N[,N...] expected (address counts)");
	return 0;
}

/* The words after the destination, in any order. */
static int
extras(struct cursor *c, struct pktline *out)
{
	while (word(c)) {
		if (is(c, "flags")) {
			if (out->pkt.proto != IPPROTO_TCP)
				return bad(c, "flags go with tcp only");
			if (tcpflags(c, &out->pkt.tcp_flags) < 0)
				return -1;
		} else if (is(c, "type")) {
			if (out->pkt.proto != IPPROTO_ICMP)
				return bad(c, "type goes with icmp only");
			if (icmptype(c, &out->pkt.icmp_type) < 0)
				return -1;
		} else if (c->len > 5 && memcmp(c->w, "scan=", 5) == 0) {
			if (scans(c, out) < 0)
				return -1;
		} else if (is(c, "bound=yes") || is(c, "bound=no")) {
			out->bound = is(c, "bound=yes");
		} else if (is(c, "age=never")) {
			out->age = UINT64_MAX;
		} else if (c->len > 4 && memcmp(c->w, "age=", 4) == 0) {
			enum dur_err e = dur_parse(c->w + 4, c->len - 4, &out->age);

			if (e != DUR_OK)
				return bad(c, "age=DURATION or age=never expected (%s)",
				    dur_strerror(e));
		} else {
			return bad(c, "flags, type, scan=, bound= or age= expected");
		}
	}
	return 0;
}

int
pktline_parse(const char *line, struct pktline *out, int *col, char *err, size_t errsize)
{
	struct cursor c = { line, line, line, 0, col, err, errsize };

	memset(out, 0, sizeof(*out));
	out->age = UINT64_MAX;
	if (!word(&c))
		return 0;
	if (is(&c, "in") || is(&c, "inbound"))
		out->pkt.dir = POL_IN;
	else if (is(&c, "out") || is(&c, "outbound"))
		out->pkt.dir = POL_OUT;
	else
		return bad(&c, "direction expected (in or out)");
	word(&c);
	if (proto(&c, &out->pkt.proto) < 0)
		return -1;
	word(&c);
	if (endpoint(&c, out->pkt.proto, &out->pkt.src, &out->pkt.sport) < 0)
		return -1;
	word(&c);
	if (!is(&c, ">"))
		return bad(&c, "'>' expected");
	word(&c);
	if (endpoint(&c, out->pkt.proto, &out->pkt.dst, &out->pkt.dport) < 0)
		return -1;
	if (extras(&c, out) < 0)
		return -1;
	return 1;
}

static uint64_t
line_age(void *ctx, uint32_t farm, uint32_t peer)
{
	(void)farm;
	(void)peer;
	return ((const struct pktline *)ctx)->age;
}

static uint32_t
line_scan(void *ctx, const struct pol_packet *pkt, unsigned scan)
{
	const struct pktline *l = ctx;

	(void)pkt;
	if (l->nscan == 1)
		return l->scan[0];
	return scan < l->nscan ? l->scan[scan] : 0;
}

static bool
line_bound(void *ctx, const struct pol_packet *pkt)
{
	(void)pkt;
	return ((const struct pktline *)ctx)->bound;
}

const struct pol_state pktline_state_template = {
	.reply_age = line_age,
	.scan_count = line_scan,
	.bound = line_bound,
};
