/* SPDX-License-Identifier: ISC */
/*
 * The policy parser: recursive descent over the lexer's tokens into the
 * syntax tree, one statement per line.
 *
 * Errors never stop it: a statement that goes wrong reports once, the rest of
 * its line is skipped (and the rest of an unclosed '{' list with it), and the
 * next line is parsed as if nothing happened, so one run finds every error of
 * the file.  Checks that need only the statement at hand (ranges, which
 * actions a direction allows, what 'port' needs) are made here, where the
 * positions are known; checks across statements are in check.c.
 */
#include "pol_int.h"
#include "lib/duration.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct parser {
	struct pol_lex lx;
	struct pol_tokv tok;	/* the current token */
	struct pol_diags *d;
	struct pol_ast *ast;
	int depth;		/* 1 inside a '{' list */
	bool resume;		/* after an error: tok starts the next statement */
	bool oom;
	char hint[64];		/* said after "near 'x'" by the next error */
};

static void pol_rule_free(struct pol_rule *r);

static void
next(struct parser *p)
{
	pol_lex_next(&p->lx, &p->tok);
}

static struct pol_loc
here(const struct parser *p)
{
	return (struct pol_loc){ p->tok.line, p->tok.col };
}

static bool
at_eol(const struct parser *p)
{
	return p->tok.type == TK_NL || p->tok.type == TK_EOF;
}

static bool
is_kw(const struct parser *p, enum pol_kw kw)
{
	return p->tok.type == TK_WORD && p->tok.kw == kw;
}

/* The token as messages quote it: escaped, cut when long. */
static const char *
tokstr(const struct pol_tokv *t, char *buf, size_t size)
{
	size_t o = 0, i;

	if (t->type == TK_EOF)
		return "end of file";
	if (t->type == TK_NL)
		return "end of line";
	buf[o++] = '\'';
	for (i = 0; i < t->len && o + 10 < size && i < 40; i++) {
		unsigned char c = (unsigned char)t->s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, size - o, "\\x%02x", c);
	}
	if (i < t->len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

static int errnear(struct parser *p, const char *fmt, ...) PK_PRINTF(2, 3);
static int errat(struct parser *p, struct pol_loc at, const char *fmt, ...)
    PK_PRINTF(3, 4);

/* "what was expected near 'what was found'", at the found token. */
static int
errnear(struct parser *p, const char *fmt, ...)
{
	char msg[256], tb[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pol_diag(p->d, false, p->tok.line, p->tok.col, "%s near %s%s", msg,
	    tokstr(&p->tok, tb, sizeof(tb)), p->hint);
	p->hint[0] = '\0';
	return -1;
}

static int
errat(struct parser *p, struct pol_loc at, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pol_diag(p->d, false, at.line, at.col, "%s", msg);
	return -1;
}

/* The next error ends " (did you mean 'x'?)" when the word is close to one of cands. */
static void
didyoumean(struct parser *p, const char *const *cands, size_t n)
{
	const char *s;

	p->hint[0] = '\0';
	if (p->tok.type == TK_WORD &&
	    (s = suggest(p->tok.s, p->tok.len, cands, n)) != NULL)
		snprintf(p->hint, sizeof(p->hint), " (did you mean '%s'?)", s);
}

/*
 * Append a zeroed element to *vp, which holds *n of them; capacity is the
 * next power of two, so it grows when *n is one.
 */
static void *
push(struct parser *p, void *vp, size_t *n, size_t size)
{
	void **v = vp;
	char *slot;

	if ((*n & (*n - 1)) == 0) {
		void *nv = reallocarray(*v, *n ? *n * 2 : 1, size);

		if (nv == NULL) {
			p->oom = true;
			return NULL;
		}
		*v = nv;
	}
	slot = (char *)*v + *n * size;
	memset(slot, 0, size);
	(*n)++;
	return slot;
}

static int
expectkw(struct parser *p, enum pol_kw kw, const char *what)
{
	if (!is_kw(p, kw))
		return errnear(p, "%s expected", what);
	next(p);
	return 0;
}

static int
end_of_line(struct parser *p)
{
	if (p->tok.type == TK_NL) {
		next(p);
		return 0;
	}
	if (p->tok.type == TK_EOF)
		return 0;
	return errnear(p, "end of line expected");
}

/* ---- terminals --------------------------------------------------------- */

static uint64_t
numval(const struct pol_tokv *t)
{
	uint64_t v = 0;

	for (size_t i = 0; i < t->len; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return UINT64_MAX;
		v = v * 10 + (uint64_t)(t->s[i] - '0');
	}
	return v;
}

/* number -> NUMBER, within [min, max] */
static int
number(struct parser *p, uint64_t min, uint64_t max, const char *what, uint64_t *out)
{
	uint64_t v;

	if (p->tok.type != TK_NUM)
		return errnear(p, "%s expected", what);
	v = numval(&p->tok);
	if (v < min || v > max)
		return errnear(p, "%s out of range (%llu to %llu)", what,
		    (unsigned long long)min, (unsigned long long)max);
	*out = v;
	next(p);
	return 0;
}

/* duration -> NUMBER ('ms' | 's' | 'm' | 'h'), at least min */
static int
duration(struct parser *p, uint64_t min, const char *what, uint64_t *out)
{
	char b[DUR_STRLEN];
	enum dur_err e;

	if (p->tok.type != TK_DUR && p->tok.type != TK_NUM)
		return errnear(p, "%s expected (a number with ms, s, m or h)", what);
	if ((e = dur_parse(p->tok.s, p->tok.len, out)) != DUR_OK)
		return errnear(p, "%s", dur_strerror(e));
	if (*out < min)
		return errnear(p, "%s must be at least %s", what, dur_fmt(min, b));
	next(p);
	return 0;
}

/* prefix -> ADDRESS ['/' LENGTH] */
static int
prefix(struct parser *p, const char *what, struct prefix *out)
{
	enum addr_err e;

	if (p->tok.type != TK_ADDR)
		return errnear(p, "%s expected", what);
	e = prefix_parse(p->tok.s, p->tok.len, out);
	if (e == ADDR_EHOSTBITS) {
		const char *slash = memchr(p->tok.s, '/', p->tok.len);
		struct prefix fix;
		uint32_t a;
		char b[PREFIX_STRLEN];

		const char *end = p->tok.s + p->tok.len;

		/* prefix_parse vetted both halves already; the token is not NUL-terminated. */
		addr_parse(p->tok.s, (size_t)(slash - p->tok.s), &a);
		fix.len = 0;
		for (const char *c = slash + 1; c < end; c++)
			fix.len = (uint8_t)(fix.len * 10 + (*c - '0'));
		fix.addr = a & prefix_mask(fix.len);
		snprintf(p->hint, sizeof(p->hint), " (did you mean %s?)", prefix_fmt(&fix, b));
		return errnear(p, "%s", addr_strerror(e));
	}
	if (e != ADDR_OK)
		return errnear(p, "%s", addr_strerror(e));
	next(p);
	return 0;
}

/* address -> ADDRESS (no prefix length) */
static int
address(struct parser *p, const char *what, uint32_t *out)
{
	if (p->tok.type != TK_ADDR)
		return errnear(p, "%s expected", what);
	if (memchr(p->tok.s, '/', p->tok.len))
		return errnear(p, "%s expected, not a prefix", what);
	if (addr_parse(p->tok.s, p->tok.len, out) != ADDR_OK)
		return errnear(p, "%s", addr_strerror(ADDR_EBADADDR));
	next(p);
	return 0;
}

/* ---- lists ------------------------------------------------------------- */

typedef int (*elem_fn)(struct parser *p, void *arg);

/*
 * list -> elem | '{' elem { [','] elem } '}'
 *
 * A list may span lines.  A line that starts with a statement keyword inside
 * one means its '}' was forgotten: say so there and parse that line as the
 * statement it is.
 */
static int
list(struct parser *p, elem_fn elem, void *arg, bool farm_elem)
{
	struct pol_loc open;
	int n = 0;

	if (p->tok.type != TK_LBRACE)
		return elem(p, arg);
	open = here(p);
	p->depth = 1;
	next(p);
	for (;;) {
		while (p->tok.type == TK_NL)
			next(p);
		if (p->tok.type == TK_RBRACE) {
			if (n == 0)
				return errnear(p, "empty list");
			p->depth = 0;
			next(p);
			return 0;
		}
		if (p->tok.type == TK_EOF ||
		    (p->tok.bol && p->tok.type == TK_WORD &&
		    pol_kw_starts_statement(p->tok.kw) &&
		    !(farm_elem && p->tok.kw == KW_FARM))) {
			if (p->tok.type != TK_EOF) {
				p->resume = true;
				p->depth = 0;
			}
			return errnear(p, "'}' expected (to close '{' at line %d)", open.line);
		}
		if (elem(p, arg) < 0)
			return -1;
		n++;
		if (p->tok.type == TK_COMMA)
			next(p);
	}
}

/* port_elem -> NUMBER ['-' NUMBER] */
static int
elem_port(struct parser *p, void *arg)
{
	struct pol_ports *ports = arg;
	struct pol_loc at = here(p);
	struct pol_prange *r;
	uint64_t lo, hi;

	if (number(p, 0, 65535, "port number", &lo) < 0)
		return -1;
	hi = lo;
	if (p->tok.type == TK_DASH) {
		next(p);
		if (number(p, 0, 65535, "port number", &hi) < 0)
			return -1;
		if (hi < lo)
			return errat(p, at, "port range %llu-%llu is empty (the lower port comes first)",
			    (unsigned long long)lo, (unsigned long long)hi);
	}
	if ((r = push(p, &ports->v, &ports->n, sizeof(*r))) == NULL)
		return -1;
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return 0;
}

/* A prefix with its place, for farm and hosts lines. */
struct pfxv {
	struct pol_farm *v;
	size_t n;
};

static int
elem_prefix(struct parser *p, void *arg)
{
	struct pfxv *pv = arg;
	struct pol_loc at = here(p);
	struct pol_farm *f;
	struct prefix pf;

	if (prefix(p, "prefix (like 198.51.100.0/24)", &pf) < 0)
		return -1;
	if ((f = push(p, &pv->v, &pv->n, sizeof(*f))) == NULL)
		return -1;
	f->p = pf;
	f->at = at;
	return 0;
}

/* addr_elem -> ADDRESS | PREFIX | 'farm' */
static int
elem_addr(struct parser *p, void *arg)
{
	struct pol_addrs *a = arg;
	struct pol_aelem e = { .kind = AE_PREFIX }, *slot;

	if (is_kw(p, KW_FARM)) {
		e.kind = AE_FARM;
		next(p);
	} else if (is_kw(p, KW_ANY)) {
		return errnear(p, "'any' cannot be part of a list");
	} else if (prefix(p, "address, prefix or 'farm'", &e.p) < 0) {
		return -1;
	}
	if ((slot = push(p, &a->v, &a->n, sizeof(*slot))) == NULL)
		return -1;
	*slot = e;
	return 0;
}

/* addrs -> 'any' | list(addr_elem) */
static int
addrs(struct parser *p, struct pol_addrs *a)
{
	if (is_kw(p, KW_ANY)) {
		a->any = true;
		next(p);
		return 0;
	}
	return list(p, elem_addr, a, true);
}

/* proto_elem -> 'tcp' | 'udp' | 'icmp' | NUMBER */
static int
elem_proto(struct parser *p, void *arg)
{
	struct pol_rule *r = arg;
	uint64_t v;
	uint8_t *slot;

	if (is_kw(p, KW_TCP) || is_kw(p, KW_UDP) || is_kw(p, KW_ICMP)) {
		v = is_kw(p, KW_TCP) ? IPPROTO_TCP : is_kw(p, KW_UDP) ? IPPROTO_UDP :
		    IPPROTO_ICMP;
		next(p);
	} else if (p->tok.type != TK_NUM) {
		return errnear(p, "protocol expected (tcp, udp, icmp or a number)");
	} else if (number(p, 0, 255, "protocol number", &v) < 0) {
		return -1;
	}
	if ((slot = push(p, &r->protos, &r->nprotos, 1)) == NULL)
		return -1;
	*slot = (uint8_t)v;
	return 0;
}

/* icmp_elem -> NUMBER | NAME */
static int
elem_icmp(struct parser *p, void *arg)
{
	struct pol_rule *r = arg;
	uint64_t v;
	uint8_t *slot;
	int t;

	if (p->tok.type == TK_WORD &&
	    (t = pol_icmp_lookup(p->tok.s, p->tok.len)) >= 0) {
		v = (uint64_t)t;
		next(p);
	} else if (p->tok.type != TK_NUM) {
		return errnear(p, "ICMP type expected (0 to 255, or a name such as echoreq or unreach)");
	} else if (number(p, 0, 255, "ICMP type", &v) < 0) {
		return -1;
	}
	if ((slot = push(p, &r->icmp, &r->nicmp, 1)) == NULL)
		return -1;
	*slot = (uint8_t)v;
	return 0;
}

/* flagbits -> letters of FSRPAUEW */
static int
flagbits(struct parser *p, uint8_t *bits)
{
	*bits = 0;
	if (p->tok.type != TK_WORD)
		return errnear(p, "TCP flags expected (letters of FSRPAUEW)");
	for (size_t i = 0; i < p->tok.len; i++) {
		const char *c = memchr(pol_tcp_flag_letters, p->tok.s[i], 8);

		if (c == NULL)
			return errnear(p, "TCP flags expected (letters of FSRPAUEW)");
		*bits |= (uint8_t)(1u << (c - pol_tcp_flag_letters));
	}
	next(p);
	return 0;
}

/* ---- rules ------------------------------------------------------------- */

static const char *const item_names[PI_COUNT] = {
	[PI_PROTO] = "proto", [PI_FROM] = "from", [PI_SPORT] = "port",
	[PI_TO] = "to", [PI_DPORT] = "port", [PI_FLAGS] = "flags",
	[PI_ICMP] = "icmp-type", [PI_REPLY] = "reply", [PI_CLOSED] = "closed",
	[PI_SCANNER] = "scanner", [PI_BOUND] = "bound", [PI_UNBOUND] = "unbound",
	[PI_VIA] = "via", [PI_LOG] = "log", [PI_INFECTED] = "infected",
	[PI_LIMIT] = "limit",
};

static const char *const item_words[] = {
	"proto", "from", "to", "port", "flags", "icmp-type", "reply", "closed",
	"scanner", "bound", "unbound", "via", "log", "infected", "limit",
};

static const char *const action_words[] = {
	"pass", "drop", "reject", "bind", "reflect", "proxy",
};

/* port -> 'port' list(port_elem), after from/to */
static int
item_port(struct parser *p, struct pol_rule *r, enum pol_item it, struct pol_ports *ports)
{
	if (!is_kw(p, KW_PORT))
		return 0;
	r->have |= PI_BIT(it);
	r->at[it] = here(p);
	next(p);
	return list(p, elem_port, ports, false);
}

/* scanner -> 'scanner' 'over' NUMBER 'addresses' 'in' DURATION ['per' 'port'] */
static int
item_scanner(struct parser *p, struct pol_rule *r)
{
	uint64_t n;

	if (expectkw(p, KW_OVER, "'over'") < 0 ||
	    number(p, 1, 1024, "address count", &n) < 0 ||
	    expectkw(p, KW_ADDRESSES, "'addresses'") < 0 ||
	    expectkw(p, KW_IN, "'in'") < 0 ||
	    duration(p, 1, "scanner window", &r->scan_ms) < 0)
		return -1;
	r->scan_n = (uint32_t)n;
	if (is_kw(p, KW_PER)) {
		next(p);
		if (expectkw(p, KW_PORT, "'port'") < 0)
			return -1;
		r->scan_per_port = true;
	}
	return 0;
}

/* flags -> 'flags' ['!'] flagbits ['/' flagbits] */
static int
item_flags(struct parser *p, struct pol_rule *r)
{
	if (p->tok.type == TK_BANG) {
		r->flagneg = true;
		next(p);
	}
	if (flagbits(p, &r->flags) < 0)
		return -1;
	r->flagmask = 0xff;
	if (p->tok.type == TK_SLASH) {
		next(p);
		if (flagbits(p, &r->flagmask) < 0)
			return -1;
	}
	return 0;
}

/* limit -> 'limit' NUMBER '/' DURATION */
static int
item_limit(struct parser *p, struct pol_rule *r)
{
	uint64_t n;

	if (number(p, 1, 1000000000, "packet count (limit N/DURATION)", &n) < 0)
		return -1;
	if (p->tok.type != TK_SLASH)
		return errnear(p, "'/' expected (limit N/DURATION)");
	next(p);
	if (duration(p, 1, "limit window", &r->limit_ms) < 0)
		return -1;
	r->limit_n = (uint32_t)n;
	return 0;
}

static enum pol_item
item_of(enum pol_kw kw)
{
	switch (kw) {
	case KW_PROTO: return PI_PROTO;
	case KW_FROM: return PI_FROM;
	case KW_TO: return PI_TO;
	case KW_FLAGS: return PI_FLAGS;
	case KW_ICMP_TYPE: return PI_ICMP;
	case KW_REPLY: return PI_REPLY;
	case KW_CLOSED: return PI_CLOSED;
	case KW_SCANNER: return PI_SCANNER;
	case KW_BOUND: return PI_BOUND;
	case KW_UNBOUND: return PI_UNBOUND;
	case KW_VIA: return PI_VIA;
	case KW_LOG: return PI_LOG;
	case KW_INFECTED: return PI_INFECTED;
	case KW_LIMIT: return PI_LIMIT;
	default: return PI_COUNT;
	}
}

/*
 * item -> 'proto' list(proto_elem) | 'from' addrs [port] | 'to' addrs [port]
 *       | flags | 'icmp-type' list(icmp_elem) | 'reply' 'within' DURATION
 *       | 'closed' | scanner | 'bound' | 'unbound' | 'via' ADDRESS
 *       | 'log' | 'infected' | limit
 */
static int
item(struct parser *p, struct pol_rule *r)
{
	enum pol_item it = p->tok.type == TK_WORD ? item_of(p->tok.kw) : PI_COUNT;

	if (is_kw(p, KW_PORT))
		return errnear(p, "'port' must follow an address: write 'to any port N' or 'from any port N'");
	if (it == PI_COUNT) {
		didyoumean(p, item_words, sizeof(item_words) / sizeof(item_words[0]));
		return errnear(p, "rule option expected (proto, from, to, flags, icmp-type, reply, closed, scanner, bound, unbound, via, log, infected or limit)");
	}
	if (r->have & PI_BIT(it))
		return errnear(p, "'%s' given twice in one rule (first at column %d)",
		    item_names[it], r->at[it].col);
	r->have |= PI_BIT(it);
	r->at[it] = here(p);
	next(p);
	switch (it) {
	case PI_PROTO:
		return list(p, elem_proto, r, false);
	case PI_FROM:
		if (addrs(p, &r->from) < 0)
			return -1;
		return item_port(p, r, PI_SPORT, &r->sport);
	case PI_TO:
		if (addrs(p, &r->to) < 0)
			return -1;
		return item_port(p, r, PI_DPORT, &r->dport);
	case PI_FLAGS:
		return item_flags(p, r);
	case PI_ICMP:
		return list(p, elem_icmp, r, false);
	case PI_REPLY:
		if (is_kw(p, KW_CONVERSATION)) {
			r->reply_conv = true;
			next(p);
		}
		if (expectkw(p, KW_WITHIN, "'within' or 'conversation within'") < 0)
			return -1;
		return duration(p, 1, "reply window", &r->reply_ms);
	case PI_SCANNER:
		return item_scanner(p, r);
	case PI_VIA:
		return address(p, "resolver address", &r->via);
	case PI_LIMIT:
		return item_limit(p, r);
	default:	/* closed, bound, unbound, log, infected: no arguments */
		return 0;
	}
}

static bool
protos_within(const struct pol_rule *r, int a, int b)
{
	if (r->nprotos == 0)
		return false;
	for (size_t i = 0; i < r->nprotos; i++)
		if (r->protos[i] != a && r->protos[i] != b)
			return false;
	return true;
}

static void
flagstr(uint8_t bits, char *buf)
{
	size_t o = 0;

	for (int i = 0; i < 8; i++)
		if (bits & (1u << i))
			buf[o++] = pol_tcp_flag_letters[i];
	buf[o] = '\0';
}

/* What one rule alone can tell: does it make sense in its direction? */
static int
rule_checks(struct parser *p, struct pol_rule *r)
{
	const char *an = pol_action_name(r->action);
	int bad = 0;

	if (r->dir == POL_OUT && r->action == POL_BIND)
		bad = errat(p, r->action_at, "'bind' is an inbound action (outbound rules pass, drop, reject, reflect or proxy)");
	if (r->dir == POL_IN && (r->action == POL_REFLECT || r->action == POL_PROXY))
		bad = errat(p, r->action_at, "'%s' is an outbound action (inbound rules pass, drop, reject or bind)", an);
	if (r->action == POL_PROXY && !(r->have & PI_BIT(PI_VIA)))
		bad = errat(p, r->action_at, "'proxy' needs 'via ADDRESS' (the resolver to ask)");
	if (r->action == POL_PROXY && !protos_within(r, IPPROTO_UDP, IPPROTO_UDP))
		bad = errat(p, r->action_at, "'proxy' asks the resolver over UDP only: say 'proto udp' "
		    "(a question over TCP then meets the rules after it)");
	if (r->action != POL_PROXY && (r->have & PI_BIT(PI_VIA)))
		bad = errat(p, r->at[PI_VIA], "'via' goes with 'proxy' only");
	if (r->dir == POL_IN && (r->have & PI_BIT(PI_INFECTED)))
		bad = errat(p, r->at[PI_INFECTED], "'infected' marks the sending clone: outbound rules only");
	if (r->dir == POL_IN && r->reply_conv)
		bad = errat(p, r->at[PI_REPLY], "'reply conversation' is what a clone answers: outbound rules only");
	for (int it = PI_SPORT; it <= PI_DPORT; it += PI_DPORT - PI_SPORT)
		if ((r->have & PI_BIT(it)) && !protos_within(r, IPPROTO_TCP, IPPROTO_UDP))
			bad = errat(p, r->at[it], "'port' needs 'proto tcp' or 'proto udp'");
	if ((r->have & PI_BIT(PI_FLAGS)) && !protos_within(r, IPPROTO_TCP, IPPROTO_TCP))
		bad = errat(p, r->at[PI_FLAGS], "'flags' needs 'proto tcp'");
	if ((r->have & PI_BIT(PI_FLAGS)) && (r->flags & ~r->flagmask)) {
		char f[9], m[9];

		flagstr(r->flags, f);
		flagstr(r->flagmask, m);
		bad = errat(p, r->at[PI_FLAGS], "flags %s/%s never match: every flag set must be in the mask", f, m);
	}
	if ((r->have & PI_BIT(PI_ICMP)) && !protos_within(r, IPPROTO_ICMP, IPPROTO_ICMP))
		bad = errat(p, r->at[PI_ICMP], "'icmp-type' needs 'proto icmp'");
	if ((r->have & PI_BIT(PI_BOUND)) && (r->have & PI_BIT(PI_UNBOUND))) {
		struct pol_loc a = r->at[PI_BOUND], b = r->at[PI_UNBOUND];

		bad = errat(p, a.col > b.col ? a : b, "'bound' and 'unbound' together never match");
	}
	return bad;
}

/* rule -> ('inbound' | 'outbound') action { item } */
static int
stmt_rule(struct parser *p, uint8_t dir)
{
	struct pol_rule r, *slot;

	memset(&r, 0, sizeof(r));
	r.dir = dir;
	r.line = p->tok.line;
	next(p);
	r.action_at = here(p);
	switch (p->tok.type == TK_WORD ? p->tok.kw : KW_NONE) {
	case KW_PASS: r.action = POL_PASS; break;
	case KW_DROP: r.action = POL_DROP; break;
	case KW_REJECT: r.action = POL_REJECT; break;
	case KW_BIND: r.action = POL_BIND; break;
	case KW_REFLECT: r.action = POL_REFLECT; break;
	case KW_PROXY: r.action = POL_PROXY; break;
	default:
		didyoumean(p, action_words, 6);
		return errnear(p, "action expected (pass, drop, reject, bind, reflect or proxy)");
	}
	next(p);
	while (!at_eol(p))
		if (item(p, &r) < 0)
			goto fail;
	if (rule_checks(p, &r) < 0)
		goto fail;
	if (p->ast->nrules[dir] == POL_MAX_RULES) {
		errat(p, (struct pol_loc){ r.line, 1 }, "too many %s rules (at most %d)",
		    dir == POL_IN ? "inbound" : "outbound", POL_MAX_RULES);
		goto fail;
	}
	if ((slot = push(p, &p->ast->rules[dir], &p->ast->nrules[dir], sizeof(*slot))) == NULL)
		goto fail;
	*slot = r;
	return end_of_line(p);
fail:
	pol_rule_free(&r);
	return -1;
}

/* ---- settings and declarations ----------------------------------------- */

static const char *const setting_names[PS_COUNT] = {
	[PS_UNIVERSE] = "universe", [PS_IDLE] = "idle", [PS_LIFETIME] = "lifetime",
	[PS_INFECTED] = "infected", [PS_VMS] = "limit vms",
	[PS_CLONES] = "limit clones", [PS_PENDING] = "limit pending",
	[PS_FLOWS] = "limit flows",
};

/* May setting s be given here?  at is the statement's first token. */
static int
once(struct parser *p, enum pol_setting s, struct pol_loc at)
{
	if (p->ast->set_line[s])
		return errat(p, at, "'%s' already set at line %d", setting_names[s],
		    p->ast->set_line[s]);
	return 0;
}

/* farm -> 'farm' list(prefix) */
static int
stmt_farm(struct parser *p)
{
	struct pfxv pv = { NULL, 0 };
	int rc;

	p->ast->farm_line = p->tok.line;
	next(p);
	rc = list(p, elem_prefix, &pv, false);
	/* Keep what parsed, even on error: fewer knock-on errors in hosts lines. */
	for (size_t i = 0; i < pv.n && !p->oom; i++) {
		struct pol_farm *f = push(p, &p->ast->farm, &p->ast->nfarm, sizeof(*f));

		if (f)
			*f = pv.v[i];
	}
	free(pv.v);
	return rc < 0 ? -1 : end_of_line(p);
}

/* type -> 'type' NAME { ('tcp' | 'udp') list(port_elem) } */
static int
stmt_type(struct parser *p)
{
	struct pol_ast *ast = p->ast;
	struct pol_type *t;
	struct pol_loc at;

	next(p);
	at = here(p);
	if (p->tok.type != TK_WORD)
		return errnear(p, "type name expected");
	if (p->tok.kw != KW_NONE)
		return errnear(p, "type name expected (a keyword cannot name a type)");
	if (p->tok.len > POL_MAX_NAME)
		return errnear(p, "type name too long (at most %d bytes)", POL_MAX_NAME);
	for (size_t i = 0; i < ast->ntypes; i++)
		if (strlen(ast->types[i].name) == p->tok.len &&
		    memcmp(ast->types[i].name, p->tok.s, p->tok.len) == 0)
			return errat(p, at, "type '%s' already defined at line %d",
			    ast->types[i].name, ast->types[i].line);
	if (ast->ntypes == POL_MAX_TYPES)
		return errnear(p, "too many types (at most %d)", POL_MAX_TYPES);
	if ((t = push(p, &ast->types, &ast->ntypes, sizeof(*t))) == NULL)
		return -1;
	t->line = at.line;
	t->at = at;
	if ((t->name = strndup(p->tok.s, p->tok.len)) == NULL) {
		ast->ntypes--;
		p->oom = true;
		return -1;
	}
	next(p);
	while (!at_eol(p)) {
		int i = is_kw(p, KW_TCP) ? POL_TCP_PORTS : is_kw(p, KW_UDP) ? POL_UDP_PORTS : -1;

		if (i < 0)
			return errnear(p, "'tcp', 'udp' or end of line expected");
		if (t->has[i])
			return errnear(p, "'%s' given twice for one type", i ? "udp" : "tcp");
		t->has[i] = true;
		next(p);
		if (list(p, elem_port, &t->ports[i], false) < 0)
			return -1;
	}
	return end_of_line(p);
}

/* hosts -> 'hosts' list(prefix) NAME */
static int
stmt_hosts(struct parser *p)
{
	struct pfxv pv = { NULL, 0 };
	struct pol_loc tat;
	char *name = NULL;

	next(p);
	if (list(p, elem_prefix, &pv, false) < 0)
		goto fail;
	tat = here(p);
	if (p->tok.type != TK_WORD || p->tok.kw != KW_NONE) {
		errnear(p, "type name expected");
		goto fail;
	}
	for (size_t i = 0; i < pv.n; i++) {
		struct pol_hosts *h;

		if ((name = strndup(p->tok.s, p->tok.len)) == NULL) {
			p->oom = true;
			goto fail;
		}
		if ((h = push(p, &p->ast->hosts, &p->ast->nhosts, sizeof(*h))) == NULL)
			goto fail;
		h->p = pv.v[i].p;
		h->at = pv.v[i].at;
		h->line = h->at.line;
		h->tname = name;
		h->tat = tat;
		h->type = -1;
		name = NULL;
	}
	free(pv.v);
	next(p);
	return end_of_line(p);
fail:
	free(name);
	free(pv.v);
	return -1;
}

/* universe -> 'universe' ('per-source' | 'per-pair' | 'shared') */
static int
stmt_universe(struct parser *p)
{
	static const char *const modes[] = { "per-source", "per-pair", "shared" };
	struct pol_loc at = here(p);
	int u;

	if (once(p, PS_UNIVERSE, at) < 0)
		return -1;
	next(p);
	u = is_kw(p, KW_PER_SOURCE) ? POL_UNIV_PER_SOURCE :
	    is_kw(p, KW_PER_PAIR) ? POL_UNIV_PER_PAIR :
	    is_kw(p, KW_SHARED) ? POL_UNIV_SHARED : -1;
	if (u < 0) {
		didyoumean(p, modes, 3);
		return errnear(p, "universe mode expected (per-source, per-pair or shared)");
	}
	next(p);
	p->ast->universe = (uint8_t)u;
	p->ast->set_line[PS_UNIVERSE] = at.line;
	return end_of_line(p);
}

/* idle -> 'idle' DURATION;  lifetime -> 'lifetime' (DURATION | 'never') */
static int
stmt_time(struct parser *p, enum pol_setting s)
{
	struct pol_loc at = here(p);
	uint64_t ms = 0;

	if (once(p, s, at) < 0)
		return -1;
	next(p);
	if (s == PS_LIFETIME && is_kw(p, KW_NEVER))
		next(p);
	else if (duration(p, s == PS_IDLE ? 1 : 0, s == PS_IDLE ? "idle timeout" :
	    "lifetime ('never' or a duration)", &ms) < 0)
		return -1;
	if (s == PS_IDLE)
		p->ast->life.idle_ms = ms;
	else
		p->ast->life.lifetime_ms = ms;
	p->ast->set_line[s] = at.line;
	return end_of_line(p);
}

/* infected -> 'infected' ('keep' [DURATION] | 'freeze' | 'teardown') */
static int
stmt_infected(struct parser *p)
{
	struct pol_loc at = here(p);
	uint64_t keep = 0;
	int what;

	if (once(p, PS_INFECTED, at) < 0)
		return -1;
	next(p);
	what = is_kw(p, KW_KEEP) ? POL_INF_KEEP : is_kw(p, KW_FREEZE) ? POL_INF_FREEZE :
	    is_kw(p, KW_TEARDOWN) ? POL_INF_TEARDOWN : -1;
	if (what < 0)
		return errnear(p, "'keep', 'freeze' or 'teardown' expected");
	next(p);
	if (what == POL_INF_KEEP && !at_eol(p) &&
	    duration(p, 1, "how long to keep infected clones", &keep) < 0)
		return -1;
	p->ast->life.infected = (uint8_t)what;
	p->ast->life.infected_keep_ms = keep;
	p->ast->set_line[PS_INFECTED] = at.line;
	return end_of_line(p);
}

/* limit -> 'limit' ('vms' | 'clones' | 'pending' | 'flows') NUMBER */
static int
stmt_limit(struct parser *p)
{
	static const struct {
		enum pol_kw kw;
		enum pol_setting s;
		uint64_t max;
	} lims[] = {
		{ KW_VMS, PS_VMS, 1000000 },
		{ KW_CLONES, PS_CLONES, 10000 },
		{ KW_PENDING, PS_PENDING, 65536 },
		{ KW_FLOWS, PS_FLOWS, 1u << 26 },
	};
	struct pol_limits *l = &p->ast->limits;
	struct pol_loc at = here(p);
	uint64_t v;
	size_t i;

	next(p);
	for (i = 0; i < 4; i++)
		if (is_kw(p, lims[i].kw))
			break;
	if (i == 4)
		return errnear(p, "'vms', 'clones', 'pending' or 'flows' expected%s",
		    p->tok.type == TK_NUM ? " (a rate limit 'limit N/DURATION' ends a rule)" : "");
	if (once(p, lims[i].s, at) < 0)
		return -1;
	next(p);
	if (number(p, 1, lims[i].max, setting_names[lims[i].s], &v) < 0)
		return -1;
	switch (lims[i].s) {
	case PS_VMS: l->vms = (uint32_t)v; break;
	case PS_CLONES: l->clones = (uint32_t)v; break;
	case PS_PENDING: l->pending = (uint32_t)v; break;
	default: l->flows = (uint32_t)v; break;
	}
	p->ast->set_line[lims[i].s] = at.line;
	return end_of_line(p);
}

static const char *const statement_words[] = {
	"farm", "type", "hosts", "universe", "idle", "lifetime", "infected",
	"limit", "inbound", "outbound",
};

/*
 * statement -> farm | type | hosts | universe | idle | lifetime | infected
 *            | limit | rule
 */
static int
statement(struct parser *p)
{

	switch (p->tok.type == TK_WORD ? p->tok.kw : KW_NONE) {
	case KW_FARM: return stmt_farm(p);
	case KW_TYPE: return stmt_type(p);
	case KW_HOSTS: return stmt_hosts(p);
	case KW_UNIVERSE: return stmt_universe(p);
	case KW_IDLE: return stmt_time(p, PS_IDLE);
	case KW_LIFETIME: return stmt_time(p, PS_LIFETIME);
	case KW_INFECTED: return stmt_infected(p);
	case KW_LIMIT: return stmt_limit(p);
	case KW_INBOUND: return stmt_rule(p, POL_IN);
	case KW_OUTBOUND: return stmt_rule(p, POL_OUT);
	default:
		didyoumean(p, statement_words, sizeof(statement_words) /
		    sizeof(statement_words[0]));
		return errnear(p, "statement expected (farm, type, hosts, universe, idle, lifetime, infected, limit, inbound or outbound)");
	}
}

/*
 * After an error: skip the rest of the line, and when a '{' list is still
 * open, the rest of it too -- but stop at a line that starts a statement.
 */
static void
skip_line(struct parser *p)
{
	int depth = p->depth;

	for (;;) {
		switch (p->tok.type) {
		case TK_EOF:
			return;
		case TK_NL:
			next(p);
			if (depth <= 0)
				return;
			if (p->tok.type == TK_WORD && pol_kw_starts_statement(p->tok.kw))
				return;
			continue;
		case TK_LBRACE:
			depth++;
			break;
		case TK_RBRACE:
			depth--;
			break;
		default:
			break;
		}
		next(p);
	}
}

int
pol_parse(const char *buf, size_t len, struct pol_diags *d, struct pol_ast *ast)
{
	struct parser p;

	memset(&p, 0, sizeof(p));
	p.d = d;
	p.ast = ast;
	pol_lex_init(&p.lx, buf, len);
	next(&p);
	while (p.tok.type != TK_EOF && !p.oom) {
		if (p.tok.type == TK_NL) {
			next(&p);
			continue;
		}
		p.resume = false;
		p.depth = 0;
		if (statement(&p) < 0 && !p.resume && !p.oom)
			skip_line(&p);
	}
	ast->lines = p.lx.line;
	if (p.oom) {
		pol_diag(d, false, p.tok.line, p.tok.col, "out of memory");
		return -1;
	}
	return 0;
}

/* ---- the tree's life --------------------------------------------------- */

void
pol_ast_init(struct pol_ast *ast)
{
	memset(ast, 0, sizeof(*ast));
	ast->universe = POL_UNIV_PER_SOURCE;
	ast->life.idle_ms = 500;
	ast->life.lifetime_ms = 0;
	ast->life.infected = POL_INF_KEEP;
	ast->life.infected_keep_ms = 0;
	ast->limits.vms = 1000;
	ast->limits.clones = 8;
	ast->limits.pending = 64;
	ast->limits.flows = 1048576;
}

static void
pol_rule_free(struct pol_rule *r)
{
	free(r->protos);
	free(r->from.v);
	free(r->to.v);
	free(r->sport.v);
	free(r->dport.v);
	free(r->icmp);
	memset(r, 0, sizeof(*r));
}

void
pol_ast_free(struct pol_ast *ast)
{
	for (size_t i = 0; i < ast->ntypes; i++) {
		free(ast->types[i].name);
		free(ast->types[i].ports[0].v);
		free(ast->types[i].ports[1].v);
	}
	for (size_t i = 0; i < ast->nhosts; i++)
		free(ast->hosts[i].tname);
	for (int d = 0; d < 2; d++) {
		for (size_t i = 0; i < ast->nrules[d]; i++)
			pol_rule_free(&ast->rules[d][i]);
		free(ast->rules[d]);
	}
	free(ast->types);
	free(ast->hosts);
	free(ast->farm);
	pol_ast_init(ast);
}
