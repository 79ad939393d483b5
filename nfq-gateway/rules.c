/*
 * The iptables-restore rules of doc/ARCHITECTURE.md section 6 for one
 * configuration.  Queue 1 has no --queue-bypass: with no gateway listening
 * the kernel drops everything a clone sends, which is the containment
 * guarantee when the gateway dies.  Ahead of queue 0, the kernel's reverse
 * path check drops sources the host would not route back out of the
 * external interface (the engine refuses special-purpose sources itself,
 * but a spoofed packet the kernel can tell is better never queued).  What
 * iptables-restore cannot say (IPv6, routes, sysctls) is printed as
 * commented commands for the operator's script.
 */
#include "rules.h"

#include "lib/addr.h"

void
rules_print(FILE *out, const struct gw_config *c, const struct pol_program *prog)
{
	const struct prefix *farm;
	char buf[PREFIX_STRLEN];
	size_t n;

	farm = pol_farm_prefixes(prog, &n);
	fprintf(out, "# Potemkin gateway wiring for %s (load with: iptables-restore -n)\n",
	    c->path ? c->path : "the built-in configuration");
	fprintf(out, "# external interface %s, inbound queue %u, outbound queue %u, "
	    "pass mark 0x%x\n", c->external_interface, c->queue_in, c->queue_out,
	    c->eng.pass_mark);
	fprintf(out, "#\n# Also needed, outside iptables:\n");
	fprintf(out, "#   sysctl -w net.ipv4.ip_forward=1\n");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "#   ip route add blackhole %s\n", prefix_fmt(&farm[i], buf));
	fprintf(out, "#   ip6tables -t raw -A PREROUTING -i pk+ -j NFQUEUE --queue-num %u\n",
	    c->queue_out);
	fprintf(out, "#   ip6tables -A INPUT -i pk+ -j DROP\n");
	fprintf(out, "#   ip6tables -A FORWARD -i pk+ -j DROP\n");
	fprintf(out, "*raw\n");
	for (size_t i = 0; i < n; i++)
		fprintf(out, "-A PREROUTING -i %s -d %s -m rpfilter --invert -j DROP\n",
		    c->external_interface, prefix_fmt(&farm[i], buf));
	for (size_t i = 0; i < n; i++)
		fprintf(out, "-A PREROUTING -i %s -d %s -j NFQUEUE --queue-num %u\n",
		    c->external_interface, prefix_fmt(&farm[i], buf), c->queue_in);
	fprintf(out, "-A PREROUTING -i pk+ -j NFQUEUE --queue-num %u\n", c->queue_out);
	fprintf(out, "COMMIT\n*filter\n");
	fprintf(out, "-A INPUT -i pk+ -j DROP\n");
	fprintf(out, "-A FORWARD -i pk+ -m mark ! --mark 0x%x/0x%x -j DROP\n",
	    c->eng.pass_mark, c->eng.pass_mark);
	fprintf(out, "COMMIT\n");
}
