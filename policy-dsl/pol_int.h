/* SPDX-License-Identifier: ISC */
/*
 * libpolicy internals: tokens, the syntax tree, diagnostics and the compiled
 * program.  Nothing outside policy-dsl/ (and its tests) includes this.
 *
 * The pipeline: pol_token (pure) -> pol_lex -> pol_parse (tree + syntax
 * errors, one per line) -> pol_check (meaning) -> pol_compile (rule masks,
 * host map) -> pol_eval.  pol_print turns the tree back into text.
 */
#ifndef POTEMKIN_POL_INT_H
#define POTEMKIN_POL_INT_H

#include "policy.h"
#include "lib/log.h"
#include "lib/suggest.h"

/* Bounds that keep the compiled program small whatever the input says. */
#define POL_MAX_FILE	(1u << 20)	/* bytes of policy text */
#define POL_MAX_RULES	1024		/* per direction */
#define POL_MAX_W	(POL_MAX_RULES / 64)
#define POL_MAX_TYPES	256
#define POL_MAX_SCANNERS POL_SCANNERS_MAX
#define POL_MAX_NAME	32		/* bytes in a type name */

/* ---- tokens ------------------------------------------------------------ */

enum pol_tok {
	TK_EOF, TK_NL, TK_SPACE, TK_WORD, TK_NUM, TK_ADDR, TK_DUR,
	TK_LBRACE, TK_RBRACE, TK_COMMA, TK_SLASH, TK_BANG, TK_DASH, TK_BAD,
};

/*
 * The length and type of the token that starts z[0..n).  Pure: no state, no
 * allocation; spaces and comments come back as TK_SPACE, end of input as
 * TK_EOF with length 0.
 */
size_t pol_token(const char *z, size_t n, enum pol_tok *type);

enum pol_kw {
	KW_NONE = 0, KW_ADDRESSES, KW_ANY, KW_BIND, KW_BOUND, KW_CLONES,
	KW_CLOSED, KW_CONVERSATION, KW_DROP, KW_FARM, KW_FLAGS, KW_FLOWS, KW_FREEZE, KW_FROM,
	KW_HOSTS, KW_ICMP, KW_ICMP_TYPE, KW_IDLE, KW_IN, KW_INBOUND,
	KW_INFECTED, KW_KEEP, KW_LIFETIME, KW_LIMIT, KW_LOG, KW_NEVER,
	KW_OUTBOUND, KW_OVER, KW_PASS, KW_PENDING, KW_PER, KW_PER_PAIR,
	KW_PER_SOURCE, KW_PORT, KW_PROTO, KW_PROXY, KW_REFLECT, KW_REJECT,
	KW_REPLY, KW_SCANNER, KW_SHARED, KW_TCP, KW_TEARDOWN, KW_TO, KW_TYPE,
	KW_UDP, KW_UNBOUND, KW_UNIVERSE, KW_VIA, KW_VMS, KW_WITHIN,
};

enum pol_kw pol_keyword(const char *s, size_t len);
/* Does a line start with this keyword? */
bool pol_kw_starts_statement(enum pol_kw kw);

struct pol_tokv {
	enum pol_tok type;
	enum pol_kw kw;		/* for TK_WORD */
	const char *s;
	size_t len;
	int line, col;		/* 1-based; col counts bytes */
	bool bol;		/* first token of its line */
};

struct pol_lex {
	const char *buf;
	size_t len, pos, linestart;
	int line;
	bool bol;
};

void pol_lex_init(struct pol_lex *lx, const char *buf, size_t len);
/* The next token that is not space or a comment. */
void pol_lex_next(struct pol_lex *lx, struct pol_tokv *t);

/* ---- diagnostics ------------------------------------------------------- */

struct pol_diag {
	int line, col;
	bool warning;
	size_t seq;		/* the order found: ties keep it */
	char *msg;
};

struct pol_diags {
	const char *name;	/* the file, as messages name it */
	struct pol_diag *v;
	size_t n, cap;
	int nerr, nwarn;
	int lost;		/* messages that found no memory */
};

void pol_diag(struct pol_diags *d, bool warning, int line, int col,
    const char *fmt, ...) PK_PRINTF(5, 6);
/* Print sorted by position: "name:line:col: [warning: ]message". */
void pol_diags_print(struct pol_diags *d, FILE *out);
void pol_diags_free(struct pol_diags *d);


/* ---- the syntax tree --------------------------------------------------- */

struct pol_loc {
	int line, col;
};

struct pol_prange {
	uint16_t lo, hi;
};

struct pol_ports {
	struct pol_prange *v;
	size_t n;
};

enum { AE_PREFIX, AE_FARM };

struct pol_aelem {
	uint8_t kind;		/* AE_* */
	struct prefix p;	/* AE_PREFIX */
};

struct pol_addrs {
	bool any;
	struct pol_aelem *v;
	size_t n;
};

/* The items a rule can carry, in the order dump prints them. */
enum pol_item {
	PI_PROTO, PI_FROM, PI_SPORT, PI_TO, PI_DPORT, PI_FLAGS, PI_ICMP,
	PI_REPLY, PI_CLOSED, PI_SCANNER, PI_BOUND, PI_UNBOUND, PI_VIA, PI_LOG,
	PI_INFECTED, PI_LIMIT, PI_COUNT,
};
#define PI_BIT(i) (1u << (i))
/* Items whose answer comes from state rather than from the packet. */
#define PI_STATE (PI_BIT(PI_REPLY) | PI_BIT(PI_CLOSED) | PI_BIT(PI_SCANNER) | \
	PI_BIT(PI_BOUND) | PI_BIT(PI_UNBOUND))

struct pol_rule {
	uint8_t dir, action;
	int line;
	struct pol_loc action_at;
	uint32_t have;		/* PI_BIT()s given */
	struct pol_loc at[PI_COUNT];
	uint8_t *protos;
	size_t nprotos;
	struct pol_addrs from, to;
	struct pol_ports sport, dport;
	uint8_t flags, flagmask;
	bool flagneg;
	uint8_t *icmp;
	size_t nicmp;
	uint64_t reply_ms;
	bool reply_conv;	/* reply conversation within: the peer's own flow */
	uint32_t scan_n;
	uint64_t scan_ms;
	bool scan_per_port;
	uint32_t via;
	uint32_t limit_n;
	uint64_t limit_ms;
};

/*
 * An inbound `closed` is a port the type does not serve at an address no
 * clone holds in the packet's universe: once bound, the clone answers for
 * every port, as the host it plays would.  `closed bound` asks for a bound
 * address explicitly.  Does rule r (in direction dir) carry that implicit
 * `unbound`?
 */
static inline bool
pol_closed_unbound(const struct pol_rule *r, int dir)
{
	return dir == POL_IN && (r->have & PI_BIT(PI_CLOSED)) &&
	    !(r->have & PI_BIT(PI_BOUND));
}

/* The rule's state questions, the implicit `unbound` included. */
static inline uint32_t
pol_rule_state(const struct pol_rule *r, int dir)
{
	return (r->have & PI_STATE) | (pol_closed_unbound(r, dir) ? PI_BIT(PI_UNBOUND) : 0);
}

enum { POL_TCP_PORTS = 0, POL_UDP_PORTS = 1 };

struct pol_type {
	char *name;
	int line;
	struct pol_loc at;
	bool has[2];			/* tcp, udp given */
	struct pol_ports ports[2];
	bool used;
};

struct pol_hosts {
	struct prefix p;
	char *tname;
	int type;		/* resolved by pol_check; -1 unknown */
	int line;
	struct pol_loc at, tat;
};

struct pol_farm {
	struct prefix p;
	struct pol_loc at;
};

/* Settings that may be given once each. */
enum pol_setting {
	PS_UNIVERSE, PS_IDLE, PS_LIFETIME, PS_INFECTED, PS_VMS, PS_CLONES,
	PS_PENDING, PS_FLOWS, PS_COUNT,
};

struct pol_ast {
	struct pol_farm *farm;
	size_t nfarm;
	struct pol_type *types;
	size_t ntypes;
	struct pol_hosts *hosts;
	size_t nhosts;
	struct pol_rule *rules[2];
	size_t nrules[2];
	uint8_t universe;		/* enum pol_universe */
	struct pol_lifecycle life;
	struct pol_limits limits;
	int set_line[PS_COUNT];		/* 0: the default */
	int lines;			/* lines in the file */
	int farm_line;			/* a farm line, even a bad one */
};

void pol_ast_init(struct pol_ast *ast);
void pol_ast_free(struct pol_ast *ast);

/*
 * Parse buf into ast, reporting syntax errors and statement-local meaning
 * errors to d.  Returns -1 only when memory ran out.
 */
int pol_parse(const char *buf, size_t len, struct pol_diags *d,
    struct pol_ast *ast);
/* Checks across statements: types, hosts, farm, shadowed rules. */
void pol_check(struct pol_ast *ast, struct pol_diags *d);
/* The normalized text.  Returns 0, or -1 when out failed. */
int pol_print(const struct pol_ast *ast, FILE *out);
/* One rule as dump prints it, newline included (the replay's rule table). */
void pol_print_rule(const struct pol_rule *r, FILE *out);

/* Names for printing and for messages. */
const char *pol_icmp_name(uint8_t type);		/* NULL: no name */
int pol_icmp_lookup(const char *s, size_t len);		/* -1: unknown */
extern const char pol_tcp_flag_letters[9];		/* "FSRPAUEW" */
const char *pol_universe_name(enum pol_universe u);
const char *pol_infected_name(enum pol_infected i);

/* ---- the compiled program ---------------------------------------------- */

/*
 * The address (or port) space cut at every boundary any rule names: lo[i]
 * is where interval i starts, m[i * w ...] the rules that admit it.
 */
struct pol_ivtab {
	size_t n;
	uint32_t *lo;
	uint64_t *m;
};

/* The index of the interval that holds x: the last lo[i] <= x.  lo[0] is 0. */
static inline size_t
pol_ivt_index(const uint32_t *lo, size_t n, uint32_t x)
{
	size_t base = 0;

	while (n > 1) {
		size_t half = n / 2;

		if (lo[base + half] <= x)
			base += half;
		n -= half;
	}
	return base;
}

/* What a rule still needs once the masks said yes. */
#define N_CLOSED	0x01
#define N_BOUND		0x02
#define N_UNBOUND	0x04
#define N_REPLY		0x08
#define N_SCAN		0x10
#define N_CONV		0x20	/* reply_ms holds the conversation's window */

struct pol_crule {
	uint8_t action, flags, need;
	uint16_t scan;
	uint32_t reply_ms, scan_n;
	uint32_t via, limit_n, limit_ms;
	int line;
};

/* One direction's rules as bit masks: rule r is bit r % 64 of word r / 64. */
struct pol_dprog {
	size_t n, w;
	struct pol_crule *r;
	uint64_t *proto;	/* 256 rows of w words */
	uint64_t *tflags;	/* 256 rows: TCP packets only */
	uint64_t *icmp;		/* 256 rows: ICMP packets only */
	struct pol_ivtab src, dst, sport, dport;
};

struct pol_program {
	struct pol_ast ast;
	struct prefix *farm;	/* the farm prefixes, as one array */
	size_t nfarm;
	struct pol_scanner *scan;
	size_t nscan;
	size_t nhm;		/* host map: intervals and their type */
	uint32_t *hm_lo;
	int *hm_type;
	uint64_t *tports;	/* per type: tcp then udp, 1024 words each */
	struct pol_dprog d[2];
};

/* Takes the tree over (it is cleared) on success; -1 when out of memory. */
int pol_compile(struct pol_ast *ast, struct pol_program **out);
/* Same compiled program, line numbers aside? */
bool pol_prog_equal(const struct pol_program *a, const struct pol_program *b);

#endif
