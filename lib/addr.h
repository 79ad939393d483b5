/* SPDX-License-Identifier: ISC */
/*
 * IPv4 addresses and prefixes.  Addresses are kept in host byte order so that
 * prefix arithmetic is plain integer arithmetic; convert at the wire.
 */
#ifndef POTEMKIN_ADDR_H
#define POTEMKIN_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ADDR_STRLEN 16	/* "255.255.255.255" and its NUL */
#define PREFIX_STRLEN 19	/* plus "/32" */

struct prefix {
	uint32_t addr;	/* network address, host bits zero */
	uint8_t len;	/* 0..32 */
};

enum addr_err {
	ADDR_OK = 0,
	ADDR_EBADADDR,	/* not a dotted quad of 0..255 */
	ADDR_EBADLEN,	/* prefix length missing or not 0..32 */
	ADDR_EHOSTBITS,	/* bits set below the prefix length */
};

/* Parse exactly len bytes of s; no surrounding text is allowed. */
enum addr_err addr_parse(const char *s, size_t len, uint32_t *out);
/* "a.b.c.d/n", or a bare address as a /32. */
enum addr_err prefix_parse(const char *s, size_t len, struct prefix *out);
const char *addr_strerror(enum addr_err e);

static inline uint32_t
prefix_mask(uint8_t len)
{
	return len == 0 ? 0 : 0xffffffffu << (32 - len);
}

static inline bool
prefix_contains(const struct prefix *p, uint32_t addr)
{
	return (addr & prefix_mask(p->len)) == p->addr;
}

/* Does a cover all of b? */
static inline bool
prefix_covers(const struct prefix *a, const struct prefix *b)
{
	return a->len <= b->len && prefix_contains(a, b->addr);
}

static inline bool
prefix_overlaps(const struct prefix *a, const struct prefix *b)
{
	return prefix_covers(a, b) || prefix_covers(b, a);
}

/* MAC addresses: "02:50:4b:00:00:11", two hex digits and a colon each. */
#define MAC_STRLEN 18	/* and its NUL */
/* Exactly len bytes of s; 0 and mac set, or -1. */
int mac_parse(const char *s, size_t len, uint8_t mac[6]);

/*
 * The special-purpose blocks of the IPv4 registry (RFC 6890 and its
 * updates): addresses no real Internet host answers from.
 */
enum addr_kind {
	ADDR_ORDINARY = 0, ADDR_THIS_NETWORK, ADDR_PRIVATE, ADDR_SHARED, ADDR_LOOPBACK,
	ADDR_LINK_LOCAL, ADDR_PROTOCOL, ADDR_DOCUMENTATION, ADDR_6TO4_RELAY,
	ADDR_BENCHMARKING, ADDR_MULTICAST, ADDR_RESERVED, ADDR_BROADCAST,
};
/*
 * By the first octet, then the block: it runs for every inbound packet, and
 * most of the Internet is decided by the switch alone.
 */
static inline enum addr_kind
addr_kind(uint32_t a)
{
	uint32_t o1 = a >> 24;

	switch (o1) {
	case 0: return ADDR_THIS_NETWORK;
	case 10: return ADDR_PRIVATE;
	case 100: return (a & 0xffc00000u) == 0x64400000u ? ADDR_SHARED : ADDR_ORDINARY;
	case 127: return ADDR_LOOPBACK;
	case 169: return a >> 16 == 0xa9feu ? ADDR_LINK_LOCAL : ADDR_ORDINARY;
	case 172: return (a & 0xfff00000u) == 0xac100000u ? ADDR_PRIVATE : ADDR_ORDINARY;
	case 192:
		if (a >> 16 == 0xc0a8u)
			return ADDR_PRIVATE;
		switch (a >> 8) {
		case 0xc00000u: return ADDR_PROTOCOL;
		case 0xc00002u: return ADDR_DOCUMENTATION;
		case 0xc05863u: return ADDR_6TO4_RELAY;
		}
		return ADDR_ORDINARY;
	case 198:
		if (a >> 17 == 0xc612u >> 1)
			return ADDR_BENCHMARKING;
		return a >> 8 == 0xc63364u ? ADDR_DOCUMENTATION : ADDR_ORDINARY;
	case 203: return a >> 8 == 0xcb0071u ? ADDR_DOCUMENTATION : ADDR_ORDINARY;
	case 255: return a == 0xffffffffu ? ADDR_BROADCAST : ADDR_RESERVED;
	}
	return o1 >= 240 ? ADDR_RESERVED : o1 >= 224 ? ADDR_MULTICAST : ADDR_ORDINARY;
}

/* "private", "link-local", ...; NULL for ADDR_ORDINARY. */
const char *addr_kind_name(enum addr_kind k);
/* Is p inside one of the documentation blocks (192.0.2/24, 198.51.100/24, 203.0.113/24)? */
bool prefix_in_documentation(const struct prefix *p);

/* Format into buf (ADDR_STRLEN / PREFIX_STRLEN bytes); returns buf. */
char *addr_fmt(uint32_t addr, char *buf);
char *prefix_fmt(const struct prefix *p, char *buf);

#endif
