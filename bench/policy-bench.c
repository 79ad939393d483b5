/* SPDX-License-Identifier: ISC */
/*
 * The policy evaluator alone: decisions per second on one core, over a
 * synthetic packet mix shaped like a honeyfarm's traffic (mostly SYNs to
 * service ports across the farm, some backscatter, some clone replies and
 * worm traffic outbound), with cheap state callbacks so the figure is the
 * evaluator's.  The reference evaluator (a loop over the syntax tree) runs
 * beside it for comparison.
 *
 *	policy-bench [-r RUNS] [-n PACKETS] [-d DECISIONS] [POLICY]
 */
#include "policy-dsl/policy.h"
#include "lib/monotime.h"

#include <err.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint16_t
pick(const uint16_t *v, size_t n)
{
	return v[rnd() % n];
}

static const uint16_t in_ports[] = {
	445, 445, 445, 23, 23, 22, 22, 80, 80, 443, 3389, 3389, 8080, 1433,
	3306, 2323, 7547, 135, 139, 25, 5060, 6379, 9200, 8443, 21,
};
static const uint16_t udp_ports[] = { 53, 123, 137, 161, 1900, 5060, 5683, 1434, 19 };
static const uint16_t out_ports[] = { 53, 53, 80, 443, 445, 23, 6667, 25, 3389, 22 };
static const uint16_t svc_ports[] = { 22, 80, 443, 445, 139, 3389, 23, 53 };

static uint32_t
farm_addr(const struct pol_program *p)
{
	size_t n;
	const struct prefix *f = pol_farm_prefixes(p, &n);
	const struct prefix *pick_f = &f[rnd() % 10 == 0 ? n - 1 : 0];

	return pick_f->addr | ((uint32_t)rnd() & ~prefix_mask(pick_f->len));
}

/* Public-looking addresses, a few bogons. */
static uint32_t
outside_addr(void)
{
	uint32_t a = (uint32_t)rnd();

	if (rnd() % 50 == 0)
		return 0x0a000000u | (a & 0xffffff);
	return (a % 0xdf000000u) + 0x01000000u;
}

static void
make_packet(const struct pol_program *p, struct pol_packet *k)
{
	unsigned r = (unsigned)(rnd() % 100);

	memset(k, 0, sizeof(*k));
	if (rnd() % 100 < 70) {
		k->dir = POL_IN;
		k->src = outside_addr();
		k->dst = farm_addr(p);
		k->sport = (uint16_t)(1024 + rnd() % 64000);
		if (r < 80) {
			k->proto = IPPROTO_TCP;
			k->dport = rnd() % 10 == 0 ? (uint16_t)rnd() : pick(in_ports, sizeof(in_ports) / 2);
			r = (unsigned)(rnd() % 100);
			k->tcp_flags = r < 70 ? POL_TH_SYN : r < 85 ? POL_TH_ACK :
			    r < 90 ? POL_TH_SYN | POL_TH_ACK : r < 95 ? POL_TH_RST :
			    POL_TH_ACK | POL_TH_PSH;
		} else if (r < 95) {
			k->proto = IPPROTO_UDP;
			k->dport = pick(udp_ports, sizeof(udp_ports) / 2);
		} else {
			k->proto = IPPROTO_ICMP;
			k->icmp_type = rnd() % 4 ? 8 : (uint8_t)(rnd() % 16);
		}
	} else {
		k->dir = POL_OUT;
		k->src = farm_addr(p);
		k->dst = rnd() % 5 == 0 ? farm_addr(p) : outside_addr();
		if (r < 75) {
			k->proto = IPPROTO_TCP;
			if (rnd() % 2) {	/* a reply from a service */
				k->sport = pick(svc_ports, sizeof(svc_ports) / 2);
				k->dport = (uint16_t)(1024 + rnd() % 64000);
				k->tcp_flags = POL_TH_SYN | POL_TH_ACK;
			} else {		/* a connection of its own */
				k->sport = (uint16_t)(1024 + rnd() % 64000);
				k->dport = pick(out_ports, sizeof(out_ports) / 2);
				k->tcp_flags = POL_TH_SYN;
			}
		} else if (r < 95) {
			k->proto = IPPROTO_UDP;
			k->sport = (uint16_t)(1024 + rnd() % 64000);
			k->dport = pick(udp_ports, sizeof(udp_ports) / 2);
		} else {
			k->proto = IPPROTO_ICMP;
			k->icmp_type = rnd() % 2 ? 0 : 3;
		}
	}
}

/* State answers that cost what a hash lookup's hit costs, no more. */
static uint64_t
s_age(void *ctx, uint32_t farm, uint32_t peer)
{
	uint32_t h = (farm ^ peer) * 0x9e3779b1u;

	(void)ctx;
	return h % 4 ? (uint64_t)(h >> 8) % 900000 : UINT64_MAX;
}

static uint32_t
s_scan(void *ctx, const struct pol_packet *pkt, unsigned idx)
{
	(void)ctx;
	return ((pkt->src * 0x85ebca6bu) >> (idx + 20)) % 40;
}

static bool
s_bound(void *ctx, const struct pol_packet *pkt)
{
	(void)ctx;
	return ((pkt->dst * 0xc2b2ae35u) >> 28) < 5;
}

typedef void (*eval_fn)(const struct pol_program *, const struct pol_packet *,
    const struct pol_state *, struct pol_decision *);

/* Decisions per second over ndec decisions, cycling through the packets. */
static double
run(eval_fn fn, const struct pol_program *p, const struct pol_packet *pk, size_t npk,
    size_t ndec, uint64_t *sum)
{
	struct pol_state st = { .reply_age = s_age, .scan_count = s_scan, .bound = s_bound };
	struct pol_decision d;
	uint64_t t0 = mono_ns(), t1;

	for (size_t i = 0, j = 0; i < ndec; i++) {
		fn(p, &pk[j], &st, &d);
		*sum += (uint64_t)d.rule * 31 + d.action;
		if (++j == npk)
			j = 0;
	}
	t1 = mono_ns();
	return (double)ndec / ((double)(t1 - t0) / 1e9);
}

static int
dblcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, double *v, int n)
{
	double med;

	qsort(v, (size_t)n, sizeof(*v), dblcmp);
	med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	printf("%-10s median %.2f M decisions/s (min %.2f, max %.2f, spread %.1f%%) over %d runs\n",
	    what, med / 1e6, v[0] / 1e6, v[n - 1] / 1e6, 100 * (v[n - 1] - v[0]) / med, n);
}

int
main(int argc, char **argv)
{
	const char *path = "bench/policy50.policy";
	size_t npk = 1 << 20, ndec = 20000000;
	int runs = 7, c;
	struct pol_program *p;
	struct pol_packet *pk;
	uint64_t sum = 0;
	double *fast, *ref;

	while ((c = getopt(argc, argv, "r:n:d:")) != -1) {
		switch (c) {
		case 'r': runs = atoi(optarg); break;
		case 'n': npk = (size_t)atol(optarg); break;
		case 'd': ndec = (size_t)atol(optarg); break;
		default:
			fprintf(stderr, "usage: policy-bench [-r RUNS] [-n PACKETS] [-d DECISIONS] [POLICY]\n");
			return 2;
		}
	}
	if (optind < argc)
		path = argv[optind];
	if (runs < 1 || npk < 1 || ndec < 1)
		errx(2, "runs, packets and decisions must be positive");
	if (pol_load_file(path, stderr, &p) != 0)
		errx(1, "%s: cannot load the policy", path);
	if ((pk = calloc(npk, sizeof(*pk))) == NULL ||
	    (fast = calloc((size_t)runs, sizeof(double))) == NULL ||
	    (ref = calloc((size_t)runs, sizeof(double))) == NULL)
		err(1, "cannot allocate");
	for (size_t i = 0; i < npk; i++)
		make_packet(p, &pk[i]);
	printf("policy %s: %zu inbound + %zu outbound rules; %zu packets, %zu decisions a run\n",
	    path, pol_rule_count(p, POL_IN), pol_rule_count(p, POL_OUT), npk, ndec);
	run(pol_eval, p, pk, npk, ndec / 4, &sum);	/* warm the caches */
	for (int i = 0; i < runs; i++) {
		fast[i] = run(pol_eval, p, pk, npk, ndec, &sum);
		ref[i] = run(pol_eval_ref, p, pk, npk, ndec / 4, &sum);
	}
	report("compiled", fast, runs);
	report("reference", ref, runs);
	printf("(checksum %llu)\n", (unsigned long long)sum);
	free(pk);
	free(fast);
	free(ref);
	pol_free(p);
	return 0;
}
