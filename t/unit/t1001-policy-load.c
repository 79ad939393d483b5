/* SPDX-License-Identifier: ISC */
/*
 * Loading through the public interface: error counts and message format,
 * defaults, settings, the farm, host types by longest prefix, open ports and
 * the scanner windows the gateway must count for.
 */
#include "policy-dsl/policy.h"
#include "t/lib/tap.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static uint32_t
A(const char *s)
{
	uint32_t a = 0;

	if (addr_parse(s, strlen(s), &a) != ADDR_OK)
		bail_out("bad address in test: %s", s);
	return a;
}

/* Load text; the messages land in *msgs (caller frees). */
static int
load(const char *text, struct pol_program **prog, char **msgs)
{
	size_t n;
	FILE *f = open_memstream(msgs, &n);
	int nerr;

	*prog = NULL;
	nerr = pol_load_buf("t.policy", text, strlen(text), f, prog);
	fclose(f);
	return nerr;
}

static void
defaults(void)
{
	struct pol_program *p;
	char *msgs;
	size_t n;

	is(load("farm 198.51.100.0/24\n", &p, &msgs), 0, "a farm alone loads");
	is_str(msgs, "", "without a message");
	is(pol_universe_mode(p), POL_UNIV_PER_SOURCE, "default universe per-source");
	is(pol_lifecycle(p)->idle_ms, 500, "default idle 500ms");
	is(pol_lifecycle(p)->lifetime_ms, 0, "default lifetime never");
	is(pol_lifecycle(p)->infected, POL_INF_KEEP, "default infected keep");
	is(pol_lifecycle(p)->infected_keep_ms, 0, "keep without a duration");
	is(pol_limits(p)->vms, 1000, "default vms");
	is(pol_limits(p)->clones, 8, "default clones");
	is(pol_limits(p)->pending, 64, "default pending");
	is(pol_limits(p)->flows, 1048576, "default flows");
	ok(pol_scanners(p, &n) == NULL && n == 0, "no scanner windows");
	is(pol_type_count(p), 0, "no types");
	is(pol_host_type(p, A("198.51.100.1")), -1, "no host type");
	free(msgs);
	pol_free(p);
}

static void
settings(void)
{
	struct pol_program *p;
	const struct prefix *fp;
	char *msgs;
	size_t n;

	is(load("farm 198.51.100.0/24\nfarm 203.0.113.128/25\n"
	    "universe shared\nidle 2s\nlifetime 1h\ninfected keep 30m\n"
	    "limit vms 10\nlimit clones 2\nlimit pending 3\nlimit flows 4096\n",
	    &p, &msgs), 0, "settings load");
	free(msgs);
	is(pol_universe_mode(p), POL_UNIV_SHARED, "universe shared");
	is(pol_lifecycle(p)->idle_ms, 2000, "idle 2s");
	is(pol_lifecycle(p)->lifetime_ms, 3600000, "lifetime 1h");
	is(pol_lifecycle(p)->infected_keep_ms, 1800000, "infected keep 30m");
	is(pol_limits(p)->vms, 10, "vms");
	is(pol_limits(p)->clones, 2, "clones");
	is(pol_limits(p)->pending, 3, "pending");
	is(pol_limits(p)->flows, 4096, "flows");
	fp = pol_farm_prefixes(p, &n);
	is(n, 2, "two farm prefixes");
	ok(fp[0].addr == A("198.51.100.0") && fp[0].len == 24, "first farm prefix");
	ok(fp[1].addr == A("203.0.113.128") && fp[1].len == 25, "second farm prefix");
	ok1(pol_in_farm(p, A("198.51.100.0")));
	ok1(pol_in_farm(p, A("198.51.100.255")));
	ok1(pol_in_farm(p, A("203.0.113.128")));
	ok1(!pol_in_farm(p, A("203.0.113.127")));
	ok1(!pol_in_farm(p, A("198.51.101.0")));
	pol_free(p);

	is(load("farm 198.51.100.0/24\ninfected freeze\n", &p, &msgs), 0, "freeze");
	is(pol_lifecycle(p)->infected, POL_INF_FREEZE, "infected freeze");
	free(msgs);
	pol_free(p);
	is(load("farm 198.51.100.0/24\ninfected teardown\nuniverse per-pair\n", &p, &msgs),
	    0, "teardown");
	is(pol_lifecycle(p)->infected, POL_INF_TEARDOWN, "infected teardown");
	is(pol_universe_mode(p), POL_UNIV_PER_PAIR, "universe per-pair");
	free(msgs);
	pol_free(p);
}

static void
hosts(void)
{
	struct pol_program *p;
	char *msgs;
	int web, smb, tel;

	is(load("farm 198.51.100.0/24\n"
	    "type web tcp { 22 80 443 } udp 53\n"
	    "type smb tcp { 135 139 445 } udp { 137-138 }\n"
	    "type tel tcp 23\n"
	    "hosts 198.51.100.0/24 web\n"
	    "hosts 198.51.100.128/25 smb\n"
	    "hosts 198.51.100.160/28 tel\n"
	    "hosts 198.51.100.7 smb\n", &p, &msgs), 0, "types and hosts load");
	free(msgs);
	is(pol_type_count(p), 3, "three types");
	is_str(pol_type_name(p, 0), "web", "type 0 is web");
	is_str(pol_type_name(p, 2), "tel", "type 2 is tel");
	ok1(pol_type_name(p, 3) == NULL);
	ok1(pol_type_name(p, -1) == NULL);
	web = 0, smb = 1, tel = 2;
	is(pol_host_type(p, A("198.51.100.0")), web, ".0 is web");
	is(pol_host_type(p, A("198.51.100.6")), web, ".6 is web");
	is(pol_host_type(p, A("198.51.100.7")), smb, ".7 is smb (a /32)");
	is(pol_host_type(p, A("198.51.100.8")), web, ".8 is web again");
	is(pol_host_type(p, A("198.51.100.127")), web, ".127 web");
	is(pol_host_type(p, A("198.51.100.128")), smb, ".128 smb (the /25)");
	is(pol_host_type(p, A("198.51.100.159")), smb, ".159 smb");
	is(pol_host_type(p, A("198.51.100.160")), tel, ".160 tel (the /28)");
	is(pol_host_type(p, A("198.51.100.175")), tel, ".175 tel");
	is(pol_host_type(p, A("198.51.100.176")), smb, ".176 smb");
	is(pol_host_type(p, A("198.51.100.255")), smb, ".255 smb");
	is(pol_host_type(p, A("198.51.101.0")), -1, "outside: no type");
	is(pol_host_type(p, A("0.0.0.0")), -1, "0.0.0.0: no type");
	is(pol_host_type(p, A("255.255.255.255")), -1, "broadcast: no type");
	ok1(pol_type_opens(p, web, IPPROTO_TCP, 80));
	ok1(pol_type_opens(p, web, IPPROTO_UDP, 53));
	ok1(!pol_type_opens(p, web, IPPROTO_UDP, 80));
	ok1(!pol_type_opens(p, web, IPPROTO_TCP, 53));
	ok1(!pol_type_opens(p, web, IPPROTO_TCP, 81));
	ok1(pol_type_opens(p, smb, IPPROTO_UDP, 137));
	ok1(pol_type_opens(p, smb, IPPROTO_UDP, 138));
	ok1(!pol_type_opens(p, smb, IPPROTO_UDP, 139));
	ok1(!pol_type_opens(p, tel, IPPROTO_ICMP, 23));
	ok1(!pol_type_opens(p, 7, IPPROTO_TCP, 23));
	pol_free(p);
}

static void
scanners(void)
{
	const struct pol_scanner *s;
	struct pol_program *p;
	char *msgs;
	size_t n;

	is(load("farm 198.51.100.0/24\n"
	    "inbound drop scanner over 16 addresses in 60s\n"
	    "inbound drop proto tcp scanner over 16 addresses in 1m log\n"
	    "inbound drop scanner over 8 addresses in 10s per port\n"
	    "outbound drop scanner over 16 addresses in 60s per port\n"
	    "outbound drop scanner over 8 addresses in 10s per port\n", &p, &msgs),
	    0, "scanners load");
	free(msgs);
	s = pol_scanners(p, &n);
	is(n, 3, "three distinct windows");
	ok(s[0].threshold == 16 && s[0].window_ms == 60000 && !s[0].per_port, "window 0");
	ok(s[1].threshold == 8 && s[1].window_ms == 10000 && s[1].per_port, "window 1");
	ok(s[2].threshold == 16 && s[2].window_ms == 60000 && s[2].per_port, "window 2");
	pol_free(p);
}

static void
errors(void)
{
	struct pol_program *p;
	char *msgs;

	is(load("farm 198.51.100.0/24\nidle 5\nfrob\ninbound bind to any port 80\n",
	    &p, &msgs), 3, "three errors counted");
	ok(p == NULL, "no program on error");
	is_str(msgs,
	    "t.policy:2:6: a duration needs a unit: ms, s, m or h near '5'\n"
	    "t.policy:3:1: statement expected (farm, type, hosts, universe, idle, lifetime, infected, limit, inbound or outbound) near 'frob'\n"
	    "t.policy:4:21: 'port' needs 'proto tcp' or 'proto udp'\n",
	    "messages, located and in order");
	free(msgs);

	is(load("farm 198.51.100.0/24\ntype a tcp 1\n", &p, &msgs), 0,
	    "a warning alone does not fail");
	ok(p != NULL, "the program loads");
	is_str(msgs, "t.policy:2:6: warning: type 'a' is not used by any 'hosts' line\n",
	    "the warning says so");
	free(msgs);
	pol_free(p);

	ok(pol_load_buf("nul", "farm 10.0.0.0/8\0", 16, NULL, &p) == 1,
	    "a NUL byte is an error, and errs may be NULL");
	is(pol_load_file("/no/such/file.policy", NULL, &p), 1, "a missing file: one error");
	is(errno, ENOENT, "errno says why");
	is(pol_load_file("etc/potemkin/farm.policy", NULL, &p), 0, "the example loads");
	pol_free(p);
	pol_free(NULL);

	is_str(pol_action_name(POL_DROP), "drop", "drop");
	is_str(pol_action_name(POL_PASS), "pass", "pass");
	is_str(pol_action_name(POL_REJECT), "reject", "reject");
	is_str(pol_action_name(POL_BIND), "bind", "bind");
	is_str(pol_action_name(POL_REFLECT), "reflect", "reflect");
	is_str(pol_action_name(POL_PROXY), "proxy", "proxy");
}

/* Identical rules across a reload are paired in order, each new rule at most once. */
static void
rule_map(void)
{
	static const char head[] = "farm 10.0.0.0/8\ntype web tcp 80\nhosts 10.0.0.0/8 web\n";
	static const char a[] = "outbound pass proto udp to any port 53 limit 5/1m\n";
	static const char b[] = "outbound pass proto tcp to any port 80 limit 1/1h\n";
	struct pol_program *old, *next;
	char text[1024], *msgs;
	int map[3];

	snprintf(text, sizeof(text), "%s%s%s%s", head, a, a, b);
	is(load(text, &old, &msgs), 0, "old policy: A A B");
	free(msgs);
	snprintf(text, sizeof(text), "%s%s%s%s", head, a, b, a);
	is(load(text, &next, &msgs), 0, "new policy: A B A");
	free(msgs);
	is(pol_rule_map(old, next, POL_OUT, map), 0, "mapped");
	ok(map[0] == 0 && map[1] == 2 && map[2] == 1,
	    "the first A to the first, the second A to the second, B to B (%d %d %d)",
	    map[0], map[1], map[2]);
	pol_free(next);
	snprintf(text, sizeof(text), "%s%s%s", head, a, b);
	is(load(text, &next, &msgs), 0, "new policy: A B");
	free(msgs);
	is(pol_rule_map(old, next, POL_OUT, map), 0, "mapped");
	ok(map[0] == 0 && map[1] == -1 && map[2] == 1,
	    "one A is left without a rule (%d %d %d)", map[0], map[1], map[2]);
	pol_free(next);
	pol_free(old);
}

int
main(void)
{
	defaults();
	rule_map();
	settings();
	hosts();
	scanners();
	errors();
	return done_testing();
}
