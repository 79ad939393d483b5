/* SPDX-License-Identifier: ISC */
/*
 * Meaning checks across statements, after parsing: the farm, the host types
 * and hosts lines, and rules that an earlier rule shadows.  Warnings are
 * given only for a file without errors: a line dropped for a syntax error
 * would make them lie ("type never used" when its hosts line had a typo).
 */
#include "pol_int.h"
#include "lib/duration.h"

#include <stdlib.h>
#include <string.h>

static void
check_farm(struct pol_ast *ast, struct pol_diags *d)
{
	char a[PREFIX_STRLEN], b[PREFIX_STRLEN];

	if (ast->nfarm == 0 && ast->farm_line == 0) {
		pol_diag(d, false, 1, 1,
		    "no 'farm' line: a policy names its farm prefixes (farm 198.51.100.0/24)");
		return;
	}
	/* Farms are few; quadratic is fine. */
	for (size_t j = 1; j < ast->nfarm; j++)
		for (size_t i = 0; i < j; i++) {
			const struct pol_farm *x = &ast->farm[i], *y = &ast->farm[j];

			if (!prefix_overlaps(&x->p, &y->p))
				continue;
			if (x->p.len == y->p.len)
				pol_diag(d, false, y->at.line, y->at.col,
				    "farm prefix %s repeats line %d", prefix_fmt(&y->p, a),
				    x->at.line);
			else
				pol_diag(d, false, y->at.line, y->at.col,
				    "farm prefix %s overlaps %s (line %d)", prefix_fmt(&y->p, a),
				    prefix_fmt(&x->p, b), x->at.line);
			break;
		}
}

static int
type_index(const struct pol_ast *ast, const char *name)
{
	for (size_t i = 0; i < ast->ntypes; i++)
		if (strcmp(ast->types[i].name, name) == 0)
			return (int)i;
	return -1;
}

static void
unknown_type(const struct pol_ast *ast, const struct pol_hosts *h, struct pol_diags *d)
{
	const char *cands[POL_MAX_TYPES], *s;

	for (size_t i = 0; i < ast->ntypes; i++)
		cands[i] = ast->types[i].name;
	s = suggest(h->tname, strlen(h->tname), cands, ast->ntypes);
	if (s)
		pol_diag(d, false, h->tat.line, h->tat.col,
		    "unknown host type '%s' (did you mean '%s'?)", h->tname, s);
	else
		pol_diag(d, false, h->tat.line, h->tat.col, "unknown host type '%s'",
		    h->tname);
}

/* By prefix, then by line: equal prefixes end up side by side, first first. */
static int
hostcmp(const void *x, const void *y, void *arg)
{
	const struct pol_ast *ast = arg;
	const struct pol_hosts *a = &ast->hosts[*(const size_t *)x];
	const struct pol_hosts *b = &ast->hosts[*(const size_t *)y];

	if (a->p.addr != b->p.addr)
		return a->p.addr < b->p.addr ? -1 : 1;
	if (a->p.len != b->p.len)
		return a->p.len < b->p.len ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

static uint64_t
pfx_size(const struct prefix *p)
{
	return 1ull << (32 - p->len);
}

/*
 * How many addresses of p the farm holds.  Prefixes either nest or miss each
 * other, and farm prefixes do not overlap (else an error), so this adds up.
 */
static uint64_t
inside_farm(const struct pol_ast *ast, const struct prefix *p)
{
	uint64_t n = 0;

	for (size_t f = 0; f < ast->nfarm; f++) {
		if (prefix_covers(&ast->farm[f].p, p))
			return pfx_size(p);
		if (prefix_covers(p, &ast->farm[f].p))
			n += pfx_size(&ast->farm[f].p);
	}
	return n;
}

static void
check_hosts(struct pol_ast *ast, struct pol_diags *d)
{
	char a[PREFIX_STRLEN];
	size_t *ix;

	for (size_t i = 0; i < ast->nhosts; i++) {
		struct pol_hosts *h = &ast->hosts[i];
		uint64_t in = inside_farm(ast, &h->p);

		if ((h->type = type_index(ast, h->tname)) < 0)
			unknown_type(ast, h, d);
		else
			ast->types[h->type].used = true;
		if (ast->nfarm > 0 && in < pfx_size(&h->p))
			pol_diag(d, false, h->at.line, h->at.col, "hosts %s %s the farm",
			    prefix_fmt(&h->p, a), in ? "reaches outside" : "is outside");
	}
	/* The same prefix twice: with another type it is an error. */
	if (ast->nhosts < 2 || (ix = calloc(ast->nhosts, sizeof(*ix))) == NULL)
		return;
	for (size_t i = 0; i < ast->nhosts; i++)
		ix[i] = i;
	qsort_r(ix, ast->nhosts, sizeof(*ix), hostcmp, ast);
	for (size_t i = 1, first = 0; i < ast->nhosts; i++) {
		const struct pol_hosts *h0 = &ast->hosts[ix[first]], *h = &ast->hosts[ix[i]];

		if (h->p.addr != h0->p.addr || h->p.len != h0->p.len) {
			first = i;
			continue;
		}
		if (strcmp(h->tname, h0->tname) != 0)
			pol_diag(d, false, h->at.line, h->at.col,
			    "hosts %s already has type '%s' (line %d)", prefix_fmt(&h->p, a),
			    h0->tname, h0->line);
		else
			pol_diag(d, true, h->at.line, h->at.col,
			    "hosts %s repeats line %d", prefix_fmt(&h->p, a), h0->line);
	}
	free(ix);
}

/* ---- shadowed rules ---------------------------------------------------- */

static bool
pfx_in(const struct pol_ast *ast, const struct pol_addrs *a, const struct prefix *p)
{
	for (size_t i = 0; i < a->n; i++) {
		if (a->v[i].kind == AE_PREFIX) {
			if (prefix_covers(&a->v[i].p, p))
				return true;
			continue;
		}
		for (size_t f = 0; f < ast->nfarm; f++)
			if (prefix_covers(&ast->farm[f].p, p))
				return true;
	}
	return false;
}

/* Does every address of b lie in a?  (a is a list, not 'any'.) */
static bool
addrs_cover(const struct pol_ast *ast, const struct pol_addrs *a, const struct pol_addrs *b)
{
	static const struct prefix all = { 0, 0 };

	if (b->any)
		return pfx_in(ast, a, &all);
	for (size_t i = 0; i < b->n; i++) {
		if (b->v[i].kind == AE_PREFIX) {
			if (!pfx_in(ast, a, &b->v[i].p))
				return false;
			continue;
		}
		for (size_t f = 0; f < ast->nfarm; f++)
			if (!pfx_in(ast, a, &ast->farm[f].p))
				return false;
	}
	return true;
}

static bool
ports_cover(const struct pol_ports *a, const struct pol_ports *b)
{
	for (size_t i = 0; i < b->n; i++) {
		bool in = false;

		for (size_t j = 0; j < a->n && !in; j++)
			in = a->v[j].lo <= b->v[i].lo && b->v[i].hi <= a->v[j].hi;
		if (!in)
			return false;
	}
	return true;
}

static bool
bytes_cover(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	for (size_t i = 0; i < nb; i++)
		if (memchr(a, b[i], na) == NULL)
			return false;
	return true;
}

/*
 * Does rule a match every packet b matches, whatever the state says?  Sound,
 * not complete: a "no" may be wrong (a list covered only by a union of
 * ranges), a "yes" never is.
 */
static bool
rule_covers(const struct pol_ast *ast, int dir, const struct pol_rule *a,
    const struct pol_rule *b)
{
	uint32_t st = pol_rule_state(a, dir);

#define HAS(r, i) ((r)->have & PI_BIT(i))
	if ((pol_rule_state(b, dir) & st) != st)
		return false;
	/* A conversation is narrower than its peer: within X implies within X. */
	if (HAS(a, PI_REPLY) && (a->reply_ms < b->reply_ms || (a->reply_conv && !b->reply_conv)))
		return false;
	if (HAS(a, PI_SCANNER) && (a->scan_ms != b->scan_ms ||
	    a->scan_per_port != b->scan_per_port || a->scan_n > b->scan_n))
		return false;
	if (HAS(a, PI_PROTO) && !(HAS(b, PI_PROTO) &&
	    bytes_cover(a->protos, a->nprotos, b->protos, b->nprotos)))
		return false;
	if (HAS(a, PI_FROM) && !a->from.any && !(HAS(b, PI_FROM) &&
	    addrs_cover(ast, &a->from, &b->from)))
		return false;
	if (HAS(a, PI_TO) && !a->to.any && !(HAS(b, PI_TO) &&
	    addrs_cover(ast, &a->to, &b->to)))
		return false;
	if (HAS(a, PI_SPORT) && !(HAS(b, PI_SPORT) && ports_cover(&a->sport, &b->sport)))
		return false;
	if (HAS(a, PI_DPORT) && !(HAS(b, PI_DPORT) && ports_cover(&a->dport, &b->dport)))
		return false;
	if (HAS(a, PI_FLAGS) && !(HAS(b, PI_FLAGS) && a->flags == b->flags &&
	    a->flagmask == b->flagmask && a->flagneg == b->flagneg))
		return false;
	if (HAS(a, PI_ICMP) && !(HAS(b, PI_ICMP) &&
	    bytes_cover(a->icmp, a->nicmp, b->icmp, b->nicmp)))
		return false;
#undef HAS
	return true;
}

/* O(n^2) in the rules of a direction: at most a million cheap tests. */
static void
check_shadowed(const struct pol_ast *ast, struct pol_diags *d)
{
	for (int dir = 0; dir < 2; dir++)
		for (size_t j = 1; j < ast->nrules[dir]; j++)
			for (size_t i = 0; i < j; i++) {
				const struct pol_rule *a = &ast->rules[dir][i];
				const struct pol_rule *b = &ast->rules[dir][j];

				if (!rule_covers(ast, dir, a, b))
					continue;
				pol_diag(d, true, b->line, 1,
				    "rule can never match: the rule at line %d matches all its packets first",
				    a->line);
				break;
			}
}

/*
 * The gateway counts each distinct scanner window for every source it sees:
 * their number is bounded (POL_MAX_SCANNERS), so each costs known memory.
 */
static void
check_scanners(struct pol_ast *ast, struct pol_diags *d)
{
	struct { uint32_t n; uint64_t ms; bool per_port; } seen[POL_MAX_SCANNERS];
	size_t nseen = 0;

	for (int dir = 0; dir < 2; dir++)
		for (size_t i = 0; i < ast->nrules[dir]; i++) {
			const struct pol_rule *r = &ast->rules[dir][i];
			size_t k;

			if (!(r->have & PI_BIT(PI_SCANNER)))
				continue;
			for (k = 0; k < nseen; k++)
				if (seen[k].n == r->scan_n && seen[k].ms == r->scan_ms &&
				    seen[k].per_port == r->scan_per_port)
					break;
			if (k < nseen)
				continue;
			if (nseen == POL_MAX_SCANNERS) {
				pol_diag(d, false, r->at[PI_SCANNER].line, r->at[PI_SCANNER].col,
				    "more than %d different scanner windows", POL_MAX_SCANNERS);
				return;
			}
			seen[nseen].n = r->scan_n;
			seen[nseen].ms = r->scan_ms;
			seen[nseen++].per_port = r->scan_per_port;
		}
}

void
pol_check(struct pol_ast *ast, struct pol_diags *d)
{
	char a[DUR_STRLEN], b[DUR_STRLEN];

	check_farm(ast, d);
	check_hosts(ast, d);
	check_scanners(ast, d);
	if (d->nerr > 0)
		return;
	for (size_t i = 0; i < ast->ntypes; i++)
		if (!ast->types[i].used)
			pol_diag(d, true, ast->types[i].at.line, ast->types[i].at.col,
			    "type '%s' is not used by any 'hosts' line", ast->types[i].name);
	check_shadowed(ast, d);
	if (ast->life.lifetime_ms && ast->life.lifetime_ms < ast->life.idle_ms)
		pol_diag(d, true, ast->set_line[PS_LIFETIME], 1,
		    "lifetime %s is shorter than idle %s: the idle timeout never fires",
		    dur_fmt(ast->life.lifetime_ms, a), dur_fmt(ast->life.idle_ms, b));
}
