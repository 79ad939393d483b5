/* SPDX-License-Identifier: ISC */
/* Address and prefix parsing: the forms operators write, and the near misses. */
#include "lib/addr.h"
#include "t/lib/tap.h"

#include <string.h>

static enum addr_err
pp(const char *s, struct prefix *p)
{
	return prefix_parse(s, strlen(s), p);
}

/* The special-purpose registry, at the edges of each block. */
static void
test_special(void)
{
	static const struct { const char *a, *kind; } cases[] = {
		{ "0.255.255.255", "this-network" }, { "1.0.0.0", NULL },
		{ "9.255.255.255", NULL }, { "10.0.0.0", "private" },
		{ "10.255.255.255", "private" }, { "11.0.0.0", NULL },
		{ "100.63.255.255", NULL }, { "100.64.0.0", "shared" },
		{ "100.127.255.255", "shared" }, { "100.128.0.0", NULL },
		{ "127.0.0.1", "loopback" }, { "169.254.169.254", "link-local" },
		{ "172.15.255.255", NULL }, { "172.16.0.0", "private" },
		{ "172.31.255.255", "private" }, { "172.32.0.0", NULL },
		{ "192.0.0.8", "protocol-assignments" }, { "192.0.2.1", "documentation" },
		{ "192.88.99.1", "6to4-relay" }, { "192.168.255.255", "private" },
		{ "192.169.0.0", NULL }, { "198.17.255.255", NULL },
		{ "198.18.0.0", "benchmarking" }, { "198.19.255.255", "benchmarking" },
		{ "198.20.0.0", NULL }, { "198.51.100.7", "documentation" },
		{ "203.0.113.255", "documentation" }, { "203.0.114.0", NULL },
		{ "223.255.255.255", NULL }, { "224.0.0.1", "multicast" },
		{ "239.255.255.255", "multicast" }, { "240.0.0.0", "reserved" },
		{ "255.255.255.254", "reserved" }, { "255.255.255.255", "broadcast" },
		{ "8.8.8.8", NULL },
	};
	struct prefix p;
	uint32_t a;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *k;

		addr_parse(cases[i].a, strlen(cases[i].a), &a);
		k = addr_kind_name(addr_kind(a));
		ok(cases[i].kind ? k && strcmp(k, cases[i].kind) == 0 : k == NULL,
		    "%s: %s", cases[i].a, cases[i].kind ? cases[i].kind : "ordinary");
	}
	ok(pp("198.51.100.0/24", &p) == ADDR_OK && prefix_in_documentation(&p),
	    "a documentation /24 is in documentation space");
	ok(pp("198.51.100.128/25", &p) == ADDR_OK && prefix_in_documentation(&p),
	    "so is part of one");
	ok(pp("198.0.0.0/8", &p) == ADDR_OK && !prefix_in_documentation(&p),
	    "a /8 around one is not");
}

int
main(void)
{
	char buf[PREFIX_STRLEN];
	struct prefix p, q;
	uint32_t a;

	is(addr_parse("192.0.2.1", 9, &a), ADDR_OK, "dotted quad parses");
	is(a, 0xc0000201, "to host order");
	is_str(addr_fmt(a, buf), "192.0.2.1", "and formats back");
	is(addr_parse("0.0.0.0", 7, &a), ADDR_OK, "all zeros");
	is(addr_parse("255.255.255.255", 15, &a), ADDR_OK, "all ones");
	is(a, 0xffffffff, "all ones value");
	is(addr_parse("256.0.0.1", 9, &a), ADDR_EBADADDR, "octet over 255");
	is(addr_parse("1.2.3", 5, &a), ADDR_EBADADDR, "three octets");
	is(addr_parse("1.2.3.4.5", 9, &a), ADDR_EBADADDR, "five octets");
	is(addr_parse("1..3.4", 6, &a), ADDR_EBADADDR, "empty octet");
	is(addr_parse("1.2.3.0004", 10, &a), ADDR_EBADADDR, "four digits");
	is(addr_parse("1.2.3.4x", 8, &a), ADDR_EBADADDR, "trailing text");
	is(addr_parse("", 0, &a), ADDR_EBADADDR, "empty");
	is(addr_parse("1.2.3.4", 5, &a), ADDR_EBADADDR, "length is honoured");

	is(pp("198.51.100.0/24", &p), ADDR_OK, "prefix parses");
	is(p.len, 24, "its length");
	is_str(prefix_fmt(&p, buf), "198.51.100.0/24", "and formats back");
	is(pp("198.51.100.7", &p), ADDR_OK, "bare address");
	is(p.len, 32, "is a /32");
	is(pp("0.0.0.0/0", &p), ADDR_OK, "default route");
	ok(prefix_contains(&p, 0x01020304), "/0 contains everything");
	is(pp("198.51.100.1/24", &p), ADDR_EHOSTBITS, "host bits set");
	is(pp("198.51.100.0/33", &p), ADDR_EBADLEN, "length 33");
	is(pp("198.51.100.0/", &p), ADDR_EBADLEN, "missing length");
	is(pp("198.51.100.0/2a", &p), ADDR_EBADLEN, "non-digit length");
	is(pp("198.51.100.0/024", &p), ADDR_EBADLEN, "three-digit length");

	pp("198.51.100.0/24", &p);
	pp("198.51.100.128/25", &q);
	ok(prefix_covers(&p, &q), "/24 covers its upper /25");
	ok(!prefix_covers(&q, &p), "not the other way round");
	ok(prefix_overlaps(&q, &p), "they overlap");
	pp("198.51.101.0/24", &q);
	ok(!prefix_overlaps(&p, &q), "neighbours do not overlap");
	ok(prefix_contains(&p, 0xc63364ff), "last address is inside");
	ok(!prefix_contains(&p, 0xc6336500), "next one is not");
	ok(strcmp(addr_strerror(ADDR_EHOSTBITS), "") != 0, "errors have text");
	test_special();
	return done_testing();
}
