/* SPDX-License-Identifier: ISC */
/*
 * The printer: the syntax tree back into text, every setting spelled out
 * (defaults too, so a dump shows what the gateway will do), one statement
 * per line in a fixed order, rule items in the order of enum pol_item.
 * Parsing the output gives the same program, and printing that gives the
 * same text: the basis of `potemkin-policy dump` and of the golden tests.
 */
#include "pol_int.h"
#include "lib/duration.h"

static void
print_ports(const struct pol_ports *pp, FILE *out)
{
	if (pp->n > 1)
		fputs("{ ", out);
	for (size_t i = 0; i < pp->n; i++) {
		if (pp->v[i].lo == pp->v[i].hi)
			fprintf(out, "%u", pp->v[i].lo);
		else
			fprintf(out, "%u-%u", pp->v[i].lo, pp->v[i].hi);
		fputs(i + 1 < pp->n ? " " : "", out);
	}
	if (pp->n > 1)
		fputs(" }", out);
}

/* A /32 prints as a bare address. */
static void
print_prefix(const struct prefix *p, FILE *out)
{
	char b[PREFIX_STRLEN];

	if (p->len == 32)
		fputs(addr_fmt(p->addr, b), out);
	else
		fputs(prefix_fmt(p, b), out);
}

static void
print_addrs(const struct pol_addrs *a, FILE *out)
{
	if (a->any) {
		fputs("any", out);
		return;
	}
	if (a->n > 1)
		fputs("{ ", out);
	for (size_t i = 0; i < a->n; i++) {
		if (a->v[i].kind == AE_FARM)
			fputs("farm", out);
		else
			print_prefix(&a->v[i].p, out);
		fputs(i + 1 < a->n ? " " : "", out);
	}
	if (a->n > 1)
		fputs(" }", out);
}

/* Protocols and ICMP types: by name where there is one. */
static void
print_bytes(const uint8_t *v, size_t n, const char *(*name)(uint8_t), FILE *out)
{
	if (n > 1)
		fputs("{ ", out);
	for (size_t i = 0; i < n; i++) {
		const char *s = name(v[i]);

		if (s)
			fputs(s, out);
		else
			fprintf(out, "%u", v[i]);
		fputs(i + 1 < n ? " " : "", out);
	}
	if (n > 1)
		fputs(" }", out);
}

static void
print_flagbits(uint8_t bits, FILE *out)
{
	for (int i = 0; i < 8; i++)
		if (bits & (1u << i))
			fputc(pol_tcp_flag_letters[i], out);
}

void
pol_print_rule(const struct pol_rule *r, FILE *out)
{
	char b[DUR_STRLEN], a[ADDR_STRLEN];

#define HAS(i) (r->have & PI_BIT(i))
	fprintf(out, "%s %s", r->dir == POL_IN ? "inbound" : "outbound",
	    pol_action_name(r->action));
	if (HAS(PI_PROTO)) {
		fputs(" proto ", out);
		print_bytes(r->protos, r->nprotos, pol_proto_name, out);
	}
	if (HAS(PI_FROM)) {
		fputs(" from ", out);
		print_addrs(&r->from, out);
	}
	if (HAS(PI_SPORT)) {
		fputs(" port ", out);
		print_ports(&r->sport, out);
	}
	if (HAS(PI_TO)) {
		fputs(" to ", out);
		print_addrs(&r->to, out);
	}
	if (HAS(PI_DPORT)) {
		fputs(" port ", out);
		print_ports(&r->dport, out);
	}
	if (HAS(PI_FLAGS)) {
		fputs(r->flagneg ? " flags !" : " flags ", out);
		print_flagbits(r->flags, out);
		fputc('/', out);
		print_flagbits(r->flagmask, out);
	}
	if (HAS(PI_ICMP)) {
		fputs(" icmp-type ", out);
		print_bytes(r->icmp, r->nicmp, pol_icmp_name, out);
	}
	if (HAS(PI_REPLY))
		fprintf(out, " reply %swithin %s", r->reply_conv ? "conversation " : "",
		    dur_fmt(r->reply_ms, b));
	if (HAS(PI_CLOSED))
		fputs(" closed", out);
	if (HAS(PI_SCANNER))
		fprintf(out, " scanner over %u addresses in %s%s", r->scan_n,
		    dur_fmt(r->scan_ms, b), r->scan_per_port ? " per port" : "");
	if (HAS(PI_BOUND))
		fputs(" bound", out);
	if (HAS(PI_UNBOUND))
		fputs(" unbound", out);
	if (HAS(PI_VIA))
		fprintf(out, " via %s", addr_fmt(r->via, a));
	if (HAS(PI_LOG))
		fputs(" log", out);
	if (HAS(PI_INFECTED))
		fputs(" infected", out);
	if (HAS(PI_LIMIT))
		fprintf(out, " limit %u/%s", r->limit_n, dur_fmt(r->limit_ms, b));
	fputc('\n', out);
#undef HAS
}

static void
print_type(const struct pol_type *t, FILE *out)
{
	fprintf(out, "type %s", t->name);
	for (int i = 0; i < 2; i++) {
		if (!t->has[i])
			continue;
		fputs(i == POL_TCP_PORTS ? " tcp " : " udp ", out);
		print_ports(&t->ports[i], out);
	}
	fputc('\n', out);
}

static void
print_settings(const struct pol_ast *ast, FILE *out)
{
	const struct pol_lifecycle *l = &ast->life;
	char b[DUR_STRLEN];

	fprintf(out, "universe %s\n", pol_universe_name(ast->universe));
	fprintf(out, "idle %s\n", dur_fmt(l->idle_ms, b));
	if (l->lifetime_ms)
		fprintf(out, "lifetime %s\n", dur_fmt(l->lifetime_ms, b));
	else
		fputs("lifetime never\n", out);
	fprintf(out, "infected %s", pol_infected_name(l->infected));
	if (l->infected == POL_INF_KEEP && l->infected_keep_ms)
		fprintf(out, " %s", dur_fmt(l->infected_keep_ms, b));
	fputc('\n', out);
	fprintf(out, "limit vms %u\nlimit clones %u\nlimit pending %u\nlimit flows %u\n",
	    ast->limits.vms, ast->limits.clones, ast->limits.pending, ast->limits.flows);
}

int
pol_print(const struct pol_ast *ast, FILE *out)
{
	for (size_t i = 0; i < ast->nfarm; i++) {
		fputs("farm ", out);
		print_prefix(&ast->farm[i].p, out);
		fputc('\n', out);
	}
	if (ast->ntypes)
		fputc('\n', out);
	for (size_t i = 0; i < ast->ntypes; i++)
		print_type(&ast->types[i], out);
	if (ast->nhosts)
		fputc('\n', out);
	for (size_t i = 0; i < ast->nhosts; i++) {
		fputs("hosts ", out);
		print_prefix(&ast->hosts[i].p, out);
		fprintf(out, " %s\n", ast->hosts[i].tname);
	}
	fputc('\n', out);
	print_settings(ast, out);
	for (int d = 0; d < 2; d++) {
		if (ast->nrules[d])
			fputc('\n', out);
		for (size_t i = 0; i < ast->nrules[d]; i++)
			pol_print_rule(&ast->rules[d][i], out);
	}
	return ferror(out) ? -1 : 0;
}
