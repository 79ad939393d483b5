/* SPDX-License-Identifier: ISC */
/*
 * The policy lexer: a pure tokenizer (one token's length and type, testable
 * on its own), the keyword table, and the little state that turns tokens
 * into located ones.
 */
#include "pol_int.h"

#include <stdlib.h>
#include <string.h>

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/*
 * Words start with a letter and go on with letters, digits, '_' and '-'
 * (per-source, icmp-type, linux-web).  Anything that starts with a digit runs
 * over letters, digits and dots: an address ("198.51.100.0", with "/24" glued
 * on when it has a dot), a duration ("500ms") or a number.  A slash after a
 * number without dots is its own token, so "10/1s" is three tokens.
 */
size_t
pol_token(const char *z, size_t n, enum pol_tok *type)
{
	size_t i;
	int c;

	if (n == 0) {
		*type = TK_EOF;
		return 0;
	}
	c = (unsigned char)z[0];
	switch (c) {
	case '\n':
		*type = TK_NL;
		return 1;
	case '#':
		for (i = 1; i < n && z[i] != '\n'; i++)
			;
		*type = TK_SPACE;
		return i;
	case '{': *type = TK_LBRACE; return 1;
	case '}': *type = TK_RBRACE; return 1;
	case ',': *type = TK_COMMA; return 1;
	case '/': *type = TK_SLASH; return 1;
	case '!': *type = TK_BANG; return 1;
	case '-': *type = TK_DASH; return 1;
	}
	if (is_blank(c)) {
		for (i = 1; i < n && is_blank((unsigned char)z[i]); i++)
			;
		*type = TK_SPACE;
		return i;
	}
	if (is_alpha(c) || c == '_') {
		for (i = 1; i < n; i++) {
			c = (unsigned char)z[i];
			if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '-')
				break;
		}
		*type = TK_WORD;
		return i;
	}
	if (is_digit(c)) {
		bool dot = false, alpha = false;

		for (i = 1; i < n; i++) {
			c = (unsigned char)z[i];
			if (c == '.')
				dot = true;
			else if (is_alpha(c))
				alpha = true;
			else if (!is_digit(c))
				break;
		}
		if (dot && i + 1 < n && z[i] == '/' && is_digit((unsigned char)z[i + 1]))
			for (i++; i < n && is_digit((unsigned char)z[i]); i++)
				;
		*type = dot ? TK_ADDR : alpha ? TK_DUR : TK_NUM;
		return i;
	}
	*type = TK_BAD;
	return 1;
}

/* Sorted by name for bsearch; keep it sorted when adding one. */
static const struct kwent {
	const char *name;
	enum pol_kw kw;
	bool statement;
} keywords[] = {
	{ "addresses", KW_ADDRESSES, false },
	{ "any", KW_ANY, false },
	{ "bind", KW_BIND, false },
	{ "bound", KW_BOUND, false },
	{ "clones", KW_CLONES, false },
	{ "closed", KW_CLOSED, false },
	{ "conversation", KW_CONVERSATION, false },
	{ "drop", KW_DROP, false },
	{ "farm", KW_FARM, true },
	{ "flags", KW_FLAGS, false },
	{ "flows", KW_FLOWS, false },
	{ "freeze", KW_FREEZE, false },
	{ "from", KW_FROM, false },
	{ "hosts", KW_HOSTS, true },
	{ "icmp", KW_ICMP, false },
	{ "icmp-type", KW_ICMP_TYPE, false },
	{ "idle", KW_IDLE, true },
	{ "in", KW_IN, false },
	{ "inbound", KW_INBOUND, true },
	{ "infected", KW_INFECTED, true },
	{ "keep", KW_KEEP, false },
	{ "lifetime", KW_LIFETIME, true },
	{ "limit", KW_LIMIT, true },
	{ "log", KW_LOG, false },
	{ "never", KW_NEVER, false },
	{ "outbound", KW_OUTBOUND, true },
	{ "over", KW_OVER, false },
	{ "pass", KW_PASS, false },
	{ "pending", KW_PENDING, false },
	{ "per", KW_PER, false },
	{ "per-pair", KW_PER_PAIR, false },
	{ "per-source", KW_PER_SOURCE, false },
	{ "port", KW_PORT, false },
	{ "proto", KW_PROTO, false },
	{ "proxy", KW_PROXY, false },
	{ "reflect", KW_REFLECT, false },
	{ "reject", KW_REJECT, false },
	{ "reply", KW_REPLY, false },
	{ "scanner", KW_SCANNER, false },
	{ "shared", KW_SHARED, false },
	{ "tcp", KW_TCP, false },
	{ "teardown", KW_TEARDOWN, false },
	{ "to", KW_TO, false },
	{ "type", KW_TYPE, true },
	{ "udp", KW_UDP, false },
	{ "unbound", KW_UNBOUND, false },
	{ "universe", KW_UNIVERSE, true },
	{ "via", KW_VIA, false },
	{ "vms", KW_VMS, false },
	{ "within", KW_WITHIN, false },
};

struct kwkey {
	const char *s;
	size_t len;
};

static int
kwcmp(const void *k, const void *e)
{
	const struct kwkey *key = k;
	const struct kwent *ent = e;
	size_t elen = strlen(ent->name);
	int c = strncmp(key->s, ent->name, key->len < elen ? key->len : elen);

	if (c != 0)
		return c;
	return key->len < elen ? -1 : key->len > elen;
}

static const struct kwent *
kwfind(const char *s, size_t len)
{
	struct kwkey key = { s, len };

	return bsearch(&key, keywords, sizeof(keywords) / sizeof(keywords[0]),
	    sizeof(keywords[0]), kwcmp);
}

enum pol_kw
pol_keyword(const char *s, size_t len)
{
	const struct kwent *e = kwfind(s, len);

	return e ? e->kw : KW_NONE;
}

bool
pol_kw_starts_statement(enum pol_kw kw)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (keywords[i].kw == kw)
			return keywords[i].statement;
	return false;
}

void
pol_lex_init(struct pol_lex *lx, const char *buf, size_t len)
{
	memset(lx, 0, sizeof(*lx));
	lx->buf = buf;
	lx->len = len;
	lx->line = 1;
	lx->bol = true;
}

void
pol_lex_next(struct pol_lex *lx, struct pol_tokv *t)
{
	for (;;) {
		enum pol_tok type;
		size_t n = pol_token(lx->buf + lx->pos, lx->len - lx->pos, &type);

		t->type = type;
		t->kw = KW_NONE;
		t->s = lx->buf + lx->pos;
		t->len = n;
		t->line = lx->line;
		t->col = (int)(lx->pos - lx->linestart) + 1;
		t->bol = lx->bol;
		lx->pos += n;
		switch (type) {
		case TK_SPACE:
			continue;
		case TK_NL:
			lx->line++;
			lx->linestart = lx->pos;
			lx->bol = true;
			return;
		case TK_EOF:
			return;
		case TK_WORD:
			t->kw = pol_keyword(t->s, t->len);
			break;
		default:
			break;
		}
		lx->bol = false;
		return;
	}
}

/* ---- names ------------------------------------------------------------- */

const char pol_tcp_flag_letters[9] = "FSRPAUEW";

const char *
pol_proto_name(uint8_t proto)
{
	switch (proto) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	}
	return NULL;
}

/* pf's names for the ICMP types people filter on. */
static const char *const icmp_names[] = {
	[0] = "echorep", [3] = "unreach", [4] = "squench", [5] = "redir",
	[8] = "echoreq", [9] = "routeradv", [10] = "routersol", [11] = "timex",
	[12] = "paramprob", [13] = "timereq", [14] = "timerep",
};
#define NICMP_NAMES (sizeof(icmp_names) / sizeof(icmp_names[0]))

const char *
pol_icmp_name(uint8_t type)
{
	return type < NICMP_NAMES ? icmp_names[type] : NULL;
}

int
pol_icmp_lookup(const char *s, size_t len)
{
	for (size_t i = 0; i < NICMP_NAMES; i++)
		if (icmp_names[i] && strlen(icmp_names[i]) == len &&
		    memcmp(icmp_names[i], s, len) == 0)
			return (int)i;
	return -1;
}

const char *
pol_universe_name(enum pol_universe u)
{
	switch (u) {
	case POL_UNIV_PER_SOURCE: return "per-source";
	case POL_UNIV_PER_PAIR: return "per-pair";
	case POL_UNIV_SHARED: return "shared";
	}
	return "?";
}

const char *
pol_infected_name(enum pol_infected i)
{
	switch (i) {
	case POL_INF_KEEP: return "keep";
	case POL_INF_FREEZE: return "freeze";
	case POL_INF_TEARDOWN: return "teardown";
	}
	return "?";
}

const char *
pol_action_name(enum pol_action a)
{
	switch (a) {
	case POL_DROP: return "drop";
	case POL_PASS: return "pass";
	case POL_REJECT: return "reject";
	case POL_BIND: return "bind";
	case POL_REFLECT: return "reflect";
	case POL_PROXY: return "proxy";
	}
	return "?";
}
