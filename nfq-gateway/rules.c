/* SPDX-License-Identifier: ISC */
/*
 * The iptables-restore rules of doc/ARCHITECTURE.md section 6 for one
 * configuration, in chains of the gateway's own (POTEMKIN-PREROUTING in
 * raw, POTEMKIN-INPUT and POTEMKIN-FORWARD in filter) that the built-in
 * chains jump to from their first position: whatever ACCEPT the host's
 * firewall (ufw, Docker, an ssh rule) put there comes after them.  What -P
 * adds, -U removes, and nothing else.
 *
 * Queue 1 has no --queue-bypass: with no gateway listening the kernel drops
 * everything a clone sends, which is the containment guarantee when the
 * gateway dies.  Ahead of queue 0, the kernel's reverse path check drops
 * sources the host would not route back out of the external interface
 * (unless rpfilter = false).
 * IPv6 (-6, for ip6tables-restore) is queued to the gateway from clones,
 * which drops it, and never reaches the host or the routes.  What
 * iptables-restore cannot say (routes, sysctls) is printed as commented
 * commands for the operator's script.
 */
#include "rules.h"

#include "lib/addr.h"

static const char *const chains[][2] = {
	{ "raw", "PREROUTING" }, { "filter", "INPUT" }, { "filter", "FORWARD" },
};
#define NCHAINS (sizeof(chains) / sizeof(chains[0]))

/* The table's chains, declared (created, or flushed if there) and jumped to first. */
static void
open_table(FILE *out, const char *table)
{
	fprintf(out, "*%s\n", table);
	for (size_t i = 0; i < NCHAINS; i++)
		if (strcmp(chains[i][0], table) == 0)
			fprintf(out, ":POTEMKIN-%s - [0:0]\n", chains[i][1]);
	for (size_t i = 0; i < NCHAINS; i++)
		if (strcmp(chains[i][0], table) == 0)
			fprintf(out, "-I %s 1 -j POTEMKIN-%s\n", chains[i][1], chains[i][1]);
}

static void
print_v4(FILE *out, const struct gw_config *c, const struct prefix *farm, size_t n)
{
	char buf[PREFIX_STRLEN];

	fprintf(out, "#\n# Also needed, outside iptables:\n");
	fprintf(out, "#   sysctl -w net.ipv4.ip_forward=1\n");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "#   ip route replace blackhole %s\n", prefix_fmt(&farm[i], buf));
	open_table(out, "raw");
	for (size_t i = 0; c->rpfilter && i < n; i++)
		fprintf(out, "-A POTEMKIN-PREROUTING -i %s -d %s -m rpfilter --invert -j DROP\n",
		    c->external_interface, prefix_fmt(&farm[i], buf));
	for (size_t i = 0; i < n; i++)
		fprintf(out, "-A POTEMKIN-PREROUTING -i %s -d %s -j NFQUEUE --queue-num %u\n",
		    c->external_interface, prefix_fmt(&farm[i], buf), c->queue_in);
	fprintf(out, "-A POTEMKIN-PREROUTING -i pk+ -j NFQUEUE --queue-num %u\n", c->queue_out);
	fprintf(out, "COMMIT\n");
	open_table(out, "filter");
	fprintf(out, "-A POTEMKIN-INPUT -i pk+ -j DROP\n");
	fprintf(out, "-A POTEMKIN-FORWARD -i pk+ -m mark ! --mark 0x%x/0x%x -j DROP\n",
	    c->eng.pass_mark, c->eng.pass_mark);
	fprintf(out, "COMMIT\n");
}

static void
print_v6(FILE *out, const struct gw_config *c)
{
	open_table(out, "raw");
	fprintf(out, "-A POTEMKIN-PREROUTING -i pk+ -j NFQUEUE --queue-num %u\n", c->queue_out);
	fprintf(out, "COMMIT\n");
	open_table(out, "filter");
	fprintf(out, "-A POTEMKIN-INPUT -i pk+ -j DROP\n");
	fprintf(out, "-A POTEMKIN-FORWARD -i pk+ -j DROP\n");
	fprintf(out, "COMMIT\n");
}

void
rules_print(FILE *out, const struct gw_config *c, const struct pol_program *prog, bool v6)
{
	const struct prefix *farm;
	size_t n;

	farm = pol_farm_prefixes(prog, &n);
	fprintf(out, "# Potemkin gateway wiring for %s (load with: %s -n)\n",
	    c->path ? c->path : "the built-in configuration",
	    v6 ? "ip6tables-restore" : "iptables-restore");
	fprintf(out, "# external interface %s, inbound queue %u, outbound queue %u, "
	    "pass mark 0x%x\n", c->external_interface, c->queue_in, c->queue_out,
	    c->eng.pass_mark);
	if (!v6 && !c->rpfilter)
		fprintf(out, "# no reverse path check ahead of queue 0 (rpfilter = false)\n");
	if (v6)
		print_v6(out, c);
	else
		print_v4(out, c, farm, n);
}

void
rules_print_removal(FILE *out, bool v6)
{
	const char *tables[] = { "raw", "filter" };

	fprintf(out, "# Removes what potemkin-gateway -P%s added (load with: %s -n)\n",
	    v6 ? " -6" : "", v6 ? "ip6tables-restore" : "iptables-restore");
	for (size_t t = 0; t < 2; t++) {
		fprintf(out, "*%s\n", tables[t]);
		for (size_t i = 0; i < NCHAINS; i++)
			if (strcmp(chains[i][0], tables[t]) == 0)
				fprintf(out, "-D %s -j POTEMKIN-%s\n-F POTEMKIN-%s\n-X POTEMKIN-%s\n",
				    chains[i][1], chains[i][1], chains[i][1], chains[i][1]);
		fprintf(out, "COMMIT\n");
	}
}
