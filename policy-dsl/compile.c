/* SPDX-License-Identifier: ISC */
/*
 * The compiler: from the checked tree to tables the evaluator can use
 * without a loop over rules.
 *
 * For each direction and each packet field (protocol, TCP flags, ICMP type,
 * source and destination address, source and destination port) the field's
 * value space is cut into intervals at every boundary a rule names, and each
 * interval carries the bit mask of the rules that admit it.  A decision ANDs
 * one row per field and takes the lowest set bit whose state questions say
 * yes.  Cost: building is O(rules x intervals) per field; memory is
 * intervals x rules/8 bytes per field, bounded by POL_MAX_RULES and the file
 * size.
 *
 * The host-type map is the same idea: the address space cut at every hosts
 * boundary, each interval labelled with its longest covering prefix's type.
 */
#include "pol_int.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static void
setbit(uint64_t *row, size_t r)
{
	row[r / 64] |= 1ull << (r % 64);
}

static int
u32cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Boundaries: a growable, then sorted and unique, list of interval starts. */
struct bounds {
	uint32_t *v;
	size_t n, cap;
};

static int
bounds_add(struct bounds *b, uint64_t x)
{
	if (x > UINT32_MAX)	/* the end of the space is no boundary */
		return 0;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 16;
		uint32_t *v = reallocarray(b->v, cap, sizeof(*v));

		if (v == NULL)
			return -1;
		b->v = v;
		b->cap = cap;
	}
	b->v[b->n++] = (uint32_t)x;
	return 0;
}

/* Sort, drop duplicates, become the table's lo[]; the masks start empty. */
static int
ivt_finish(struct pol_ivtab *t, struct bounds *b, size_t w)
{
	size_t n = 0;

	if (bounds_add(b, 0) < 0)
		return -1;
	qsort(b->v, b->n, sizeof(*b->v), u32cmp);
	for (size_t i = 0; i < b->n; i++)
		if (n == 0 || b->v[i] != b->v[n - 1])
			b->v[n++] = b->v[i];
	t->lo = b->v;
	t->n = n;
	b->v = NULL;
	if ((t->m = calloc(n * w, sizeof(*t->m))) == NULL)
		return -1;
	return 0;
}

/* Rule r admits [first, last]. */
static void
ivt_mark(struct pol_ivtab *t, size_t w, size_t r, uint32_t first, uint32_t last)
{
	size_t i = pol_ivt_index(t->lo, t->n, first), j = pol_ivt_index(t->lo, t->n, last);

	for (; i <= j; i++)
		setbit(t->m + i * w, r);
}

static void
ivt_mark_all(struct pol_ivtab *t, size_t w, size_t r)
{
	for (size_t i = 0; i < t->n; i++)
		setbit(t->m + i * w, r);
}

static uint64_t
pfx_end(const struct prefix *p)
{
	return (uint64_t)p->addr + (1ull << (32 - p->len));
}

/* Every prefix an address list stands for, farm expanded: fn for each. */
static int
addrs_each(const struct pol_ast *ast, const struct pol_addrs *a,
    int (*fn)(const struct prefix *, void *), void *arg)
{
	for (size_t i = 0; i < a->n; i++) {
		if (a->v[i].kind == AE_PREFIX) {
			if (fn(&a->v[i].p, arg) < 0)
				return -1;
			continue;
		}
		for (size_t f = 0; f < ast->nfarm; f++)
			if (fn(&ast->farm[f].p, arg) < 0)
				return -1;
	}
	return 0;
}

static int
add_pfx_bounds(const struct prefix *p, void *arg)
{
	struct bounds *b = arg;

	if (bounds_add(b, p->addr) < 0 || bounds_add(b, pfx_end(p)) < 0)
		return -1;
	return 0;
}

struct markarg {
	struct pol_ivtab *t;
	size_t w, r;
};

static int
mark_pfx(const struct prefix *p, void *arg)
{
	struct markarg *m = arg;

	ivt_mark(m->t, m->w, m->r, p->addr, (uint32_t)(pfx_end(p) - 1));
	return 0;
}

static int
build_addrs(struct pol_ivtab *t, const struct pol_ast *ast, const struct pol_rule *rules,
    size_t n, size_t w, bool to)
{
	struct bounds b = { NULL, 0, 0 };
	enum pol_item it = to ? PI_TO : PI_FROM;

	for (size_t r = 0; r < n; r++) {
		const struct pol_addrs *a = to ? &rules[r].to : &rules[r].from;

		if ((rules[r].have & PI_BIT(it)) && !a->any &&
		    addrs_each(ast, a, add_pfx_bounds, &b) < 0)
			goto fail;
	}
	if (ivt_finish(t, &b, w) < 0)
		goto fail;
	for (size_t r = 0; r < n; r++) {
		const struct pol_addrs *a = to ? &rules[r].to : &rules[r].from;
		struct markarg m = { t, w, r };

		if (!(rules[r].have & PI_BIT(it)) || a->any)
			ivt_mark_all(t, w, r);
		else
			addrs_each(ast, a, mark_pfx, &m);
	}
	return 0;
fail:
	free(b.v);
	return -1;
}

static int
build_ports(struct pol_ivtab *t, const struct pol_rule *rules, size_t n, size_t w,
    bool dst)
{
	struct bounds b = { NULL, 0, 0 };
	enum pol_item it = dst ? PI_DPORT : PI_SPORT;

	for (size_t r = 0; r < n; r++) {
		const struct pol_ports *pp = dst ? &rules[r].dport : &rules[r].sport;

		if (!(rules[r].have & PI_BIT(it)))
			continue;
		for (size_t i = 0; i < pp->n; i++)
			if (bounds_add(&b, pp->v[i].lo) < 0 ||
			    bounds_add(&b, (uint64_t)pp->v[i].hi + 1) < 0)
				goto fail;
	}
	if (ivt_finish(t, &b, w) < 0)
		goto fail;
	for (size_t r = 0; r < n; r++) {
		const struct pol_ports *pp = dst ? &rules[r].dport : &rules[r].sport;

		if (!(rules[r].have & PI_BIT(it))) {
			ivt_mark_all(t, w, r);
			continue;
		}
		for (size_t i = 0; i < pp->n; i++)
			ivt_mark(t, w, r, pp->v[i].lo, pp->v[i].hi);
	}
	return 0;
fail:
	free(b.v);
	return -1;
}

/* 256 rows: which rules admit each value of a byte-sized field. */
static uint64_t *
build_bytes(const struct pol_rule *rules, size_t n, size_t w,
    bool (*admits)(const struct pol_rule *, unsigned))
{
	uint64_t *rows = calloc(256 * w, sizeof(*rows));

	if (rows == NULL)
		return NULL;
	for (size_t r = 0; r < n; r++)
		for (unsigned v = 0; v < 256; v++)
			if (admits(&rules[r], v))
				setbit(rows + v * w, r);
	return rows;
}

static bool
admits_proto(const struct pol_rule *r, unsigned v)
{
	return !(r->have & PI_BIT(PI_PROTO)) || memchr(r->protos, (int)v, r->nprotos);
}

static bool
admits_flags(const struct pol_rule *r, unsigned v)
{
	if (!(r->have & PI_BIT(PI_FLAGS)))
		return true;
	return ((v & r->flagmask) == r->flags) != r->flagneg;
}

static bool
admits_icmp(const struct pol_rule *r, unsigned v)
{
	return !(r->have & PI_BIT(PI_ICMP)) || memchr(r->icmp, (int)v, r->nicmp);
}

/* The scanner window's index, added when new. */
static int
scanner_index(struct pol_program *prog, const struct pol_rule *r)
{
	struct pol_scanner *s;

	for (size_t i = 0; i < prog->nscan; i++)
		if (prog->scan[i].threshold == r->scan_n &&
		    prog->scan[i].window_ms == r->scan_ms &&
		    prog->scan[i].per_port == r->scan_per_port)
			return (int)i;
	s = reallocarray(prog->scan, prog->nscan + 1, sizeof(*s));
	if (s == NULL)
		return -1;
	prog->scan = s;
	s[prog->nscan].threshold = r->scan_n;
	s[prog->nscan].window_ms = r->scan_ms;
	s[prog->nscan].per_port = r->scan_per_port;
	return (int)prog->nscan++;
}

static int
compile_rule(struct pol_program *prog, const struct pol_rule *r, int dir,
    struct pol_crule *c)
{
#define HAS(i) (r->have & PI_BIT(i))
	int scan;

	memset(c, 0, sizeof(*c));
	c->action = r->action;
	c->flags = (uint8_t)((HAS(PI_LOG) ? POL_F_LOG : 0) |
	    (HAS(PI_INFECTED) ? POL_F_INFECTED : 0));
	c->need = (uint8_t)((HAS(PI_CLOSED) ? N_CLOSED : 0) |
	    (HAS(PI_BOUND) ? N_BOUND : 0) | (HAS(PI_UNBOUND) ? N_UNBOUND : 0) |
	    (HAS(PI_REPLY) ? (r->reply_conv ? N_CONV : N_REPLY) : 0) |
	    (HAS(PI_SCANNER) ? N_SCAN : 0));
	if (pol_closed_unbound(r, dir))
		c->need |= N_UNBOUND;
	c->reply_ms = (uint32_t)r->reply_ms;
	if (HAS(PI_SCANNER)) {
		if ((scan = scanner_index(prog, r)) < 0)
			return -1;
		c->scan = (uint16_t)scan;
		c->scan_n = r->scan_n;
	}
	c->via = r->via;
	if (HAS(PI_LIMIT)) {
		c->limit_n = r->limit_n;
		c->limit_ms = (uint32_t)r->limit_ms;
	}
	c->line = r->line;
	return 0;
#undef HAS
}

static int
compile_dir(struct pol_program *prog, int dir)
{
	struct pol_dprog *dp = &prog->d[dir];
	const struct pol_rule *rules = prog->ast.rules[dir];
	size_t n = prog->ast.nrules[dir], w = (n + 63) / 64;

	dp->n = n;
	dp->w = w;
	if (n == 0)
		return 0;
	if ((dp->r = calloc(n, sizeof(*dp->r))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (compile_rule(prog, &rules[i], dir, &dp->r[i]) < 0)
			return -1;
	if ((dp->proto = build_bytes(rules, n, w, admits_proto)) == NULL ||
	    (dp->tflags = build_bytes(rules, n, w, admits_flags)) == NULL ||
	    (dp->icmp = build_bytes(rules, n, w, admits_icmp)) == NULL)
		return -1;
	if (build_addrs(&dp->src, &prog->ast, rules, n, w, false) < 0 ||
	    build_addrs(&dp->dst, &prog->ast, rules, n, w, true) < 0 ||
	    build_ports(&dp->sport, rules, n, w, false) < 0 ||
	    build_ports(&dp->dport, rules, n, w, true) < 0)
		return -1;
	return 0;
}

static int
bylen(const void *x, const void *y, void *arg)
{
	const struct pol_hosts *h = arg;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;

	if (h[a].p.len != h[b].p.len)
		return h[a].p.len < h[b].p.len ? -1 : 1;
	return a < b ? -1 : a > b;
}

/*
 * Paint each hosts prefix over its intervals, shortest first, so the longest
 * prefix is painted last.  Prefixes of one length are disjoint, so an
 * interval is painted at most 33 times.
 */
static int
compile_hosts(struct pol_program *prog)
{
	const struct pol_ast *ast = &prog->ast;
	struct bounds b = { NULL, 0, 0 };
	size_t *ix = NULL;

	for (size_t i = 0; i < ast->nhosts; i++)
		if (add_pfx_bounds(&ast->hosts[i].p, &b) < 0)
			goto fail;
	if (bounds_add(&b, 0) < 0)
		goto fail;
	qsort(b.v, b.n, sizeof(*b.v), u32cmp);
	prog->nhm = 0;
	for (size_t i = 0; i < b.n; i++)
		if (prog->nhm == 0 || b.v[i] != b.v[prog->nhm - 1])
			b.v[prog->nhm++] = b.v[i];
	prog->hm_lo = b.v;
	b.v = NULL;
	if ((prog->hm_type = malloc(prog->nhm * sizeof(int))) == NULL ||
	    (ix = calloc(ast->nhosts + 1, sizeof(*ix))) == NULL)
		goto fail;
	for (size_t i = 0; i < prog->nhm; i++)
		prog->hm_type[i] = -1;
	for (size_t i = 0; i < ast->nhosts; i++)
		ix[i] = i;
	qsort_r(ix, ast->nhosts, sizeof(*ix), bylen, ast->hosts);
	for (size_t k = 0; k < ast->nhosts; k++) {
		const struct pol_hosts *h = &ast->hosts[ix[k]];
		size_t i = pol_ivt_index(prog->hm_lo, prog->nhm, h->p.addr);
		size_t j = pol_ivt_index(prog->hm_lo, prog->nhm, (uint32_t)(pfx_end(&h->p) - 1));

		for (; i <= j; i++)
			prog->hm_type[i] = h->type;
	}
	free(ix);
	return 0;
fail:
	free(b.v);
	free(ix);
	return -1;
}

/* Open ports as bitmaps: `closed` costs one bit test. */
static int
compile_types(struct pol_program *prog)
{
	const struct pol_ast *ast = &prog->ast;

	if (ast->ntypes == 0)
		return 0;
	if ((prog->tports = calloc(ast->ntypes * 2 * 1024, sizeof(uint64_t))) == NULL)
		return -1;
	for (size_t t = 0; t < ast->ntypes; t++)
		for (int k = 0; k < 2; k++) {
			uint64_t *bits = prog->tports + (t * 2 + (size_t)k) * 1024;
			const struct pol_ports *pp = &ast->types[t].ports[k];

			for (size_t i = 0; i < pp->n; i++)
				for (uint32_t port = pp->v[i].lo; port <= pp->v[i].hi; port++)
					bits[port / 64] |= 1ull << (port % 64);
		}
	return 0;
}

int
pol_compile(struct pol_ast *ast, struct pol_program **out)
{
	struct pol_program *prog = calloc(1, sizeof(*prog));

	if (prog == NULL)
		return -1;
	prog->ast = *ast;
	pol_ast_init(ast);
	if ((prog->farm = calloc(prog->ast.nfarm + 1, sizeof(*prog->farm))) == NULL)
		goto fail;
	for (size_t i = 0; i < prog->ast.nfarm; i++)
		prog->farm[prog->nfarm++] = prog->ast.farm[i].p;
	if (compile_types(prog) < 0 || compile_hosts(prog) < 0 ||
	    compile_dir(prog, POL_IN) < 0 || compile_dir(prog, POL_OUT) < 0)
		goto fail;
	*out = prog;
	return 0;
fail:
	/* Give the tree back so the caller frees it as before. */
	*ast = prog->ast;
	pol_ast_init(&prog->ast);
	pol_free(prog);
	return -1;
}

static void
ivt_free(struct pol_ivtab *t)
{
	free(t->lo);
	free(t->m);
}

void
pol_free(struct pol_program *prog)
{
	if (prog == NULL)
		return;
	for (int d = 0; d < 2; d++) {
		struct pol_dprog *dp = &prog->d[d];

		free(dp->r);
		free(dp->proto);
		free(dp->tflags);
		free(dp->icmp);
		ivt_free(&dp->src);
		ivt_free(&dp->dst);
		ivt_free(&dp->sport);
		ivt_free(&dp->dport);
	}
	free(prog->farm);
	free(prog->scan);
	free(prog->hm_lo);
	free(prog->hm_type);
	free(prog->tports);
	pol_ast_free(&prog->ast);
	free(prog);
}

/* ---- equality, for the round-trip tests -------------------------------- */

static bool
mem_eq(const void *a, const void *b, size_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

static bool
ivt_eq(const struct pol_ivtab *a, const struct pol_ivtab *b, size_t w)
{
	return a->n == b->n && mem_eq(a->lo, b->lo, a->n * sizeof(*a->lo)) &&
	    mem_eq(a->m, b->m, a->n * w * sizeof(*a->m));
}

static bool
dprog_eq(const struct pol_dprog *a, const struct pol_dprog *b)
{
	size_t rows = 256 * a->w * sizeof(uint64_t);

	if (a->n != b->n || a->w != b->w)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct pol_crule x = a->r[i], y = b->r[i];

		if (x.action != y.action || x.flags != y.flags || x.need != y.need ||
		    x.scan != y.scan || x.reply_ms != y.reply_ms || x.scan_n != y.scan_n ||
		    x.via != y.via || x.limit_n != y.limit_n || x.limit_ms != y.limit_ms)
			return false;
	}
	return mem_eq(a->proto, b->proto, rows) && mem_eq(a->tflags, b->tflags, rows) &&
	    mem_eq(a->icmp, b->icmp, rows) && ivt_eq(&a->src, &b->src, a->w) &&
	    ivt_eq(&a->dst, &b->dst, a->w) && ivt_eq(&a->sport, &b->sport, a->w) &&
	    ivt_eq(&a->dport, &b->dport, a->w);
}

bool
pol_prog_equal(const struct pol_program *a, const struct pol_program *b)
{
	const struct pol_ast *x = &a->ast, *y = &b->ast;

	/* Field by field: struct padding is not ours to compare. */
	if (x->universe != y->universe || x->life.idle_ms != y->life.idle_ms ||
	    x->life.lifetime_ms != y->life.lifetime_ms ||
	    x->life.infected != y->life.infected ||
	    x->life.infected_keep_ms != y->life.infected_keep_ms ||
	    memcmp(&x->limits, &y->limits, sizeof(x->limits)) || x->nfarm != y->nfarm ||
	    x->ntypes != y->ntypes || a->nscan != b->nscan || a->nhm != b->nhm)
		return false;
	for (size_t i = 0; i < x->nfarm; i++)
		if (x->farm[i].p.addr != y->farm[i].p.addr || x->farm[i].p.len != y->farm[i].p.len)
			return false;
	for (size_t i = 0; i < x->ntypes; i++)
		if (strcmp(x->types[i].name, y->types[i].name) != 0)
			return false;
	for (size_t i = 0; i < a->nscan; i++)
		if (a->scan[i].threshold != b->scan[i].threshold ||
		    a->scan[i].window_ms != b->scan[i].window_ms ||
		    a->scan[i].per_port != b->scan[i].per_port)
			return false;
	if (!mem_eq(a->hm_lo, b->hm_lo, a->nhm * sizeof(*a->hm_lo)) ||
	    !mem_eq(a->hm_type, b->hm_type, a->nhm * sizeof(*a->hm_type)) ||
	    !mem_eq(a->tports, b->tports, x->ntypes * 2 * 1024 * sizeof(uint64_t)))
		return false;
	return dprog_eq(&a->d[0], &b->d[0]) && dprog_eq(&a->d[1], &b->d[1]);
}
