#include "addr.h"

#include <stdio.h>
#include <string.h>

enum addr_err
addr_parse(const char *s, size_t len, uint32_t *out)
{
	uint32_t addr = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned v = 0, digits = 0;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return ADDR_EBADADDR;
			i++;
		}
		while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(s[i] - '0');
			digits++;
			i++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return ADDR_EBADADDR;
		addr = addr << 8 | v;
	}
	if (i != len)
		return ADDR_EBADADDR;
	*out = addr;
	return ADDR_OK;
}

enum addr_err
prefix_parse(const char *s, size_t len, struct prefix *out)
{
	size_t slash = 0;
	unsigned plen = 32;
	uint32_t addr;
	enum addr_err e;

	while (slash < len && s[slash] != '/')
		slash++;
	if ((e = addr_parse(s, slash, &addr)) != ADDR_OK)
		return e;
	if (slash < len) {
		size_t i = slash + 1;

		if (i == len || len - i > 2)
			return ADDR_EBADLEN;
		plen = 0;
		for (; i < len; i++) {
			if (s[i] < '0' || s[i] > '9')
				return ADDR_EBADLEN;
			plen = plen * 10 + (unsigned)(s[i] - '0');
		}
		if (plen > 32)
			return ADDR_EBADLEN;
	}
	if (addr & ~prefix_mask((uint8_t)plen))
		return ADDR_EHOSTBITS;
	out->addr = addr;
	out->len = (uint8_t)plen;
	return ADDR_OK;
}

const char *
addr_strerror(enum addr_err e)
{
	switch (e) {
	case ADDR_OK:
		return "no error";
	case ADDR_EBADADDR:
		return "not an IPv4 address";
	case ADDR_EBADLEN:
		return "prefix length must be 0..32";
	case ADDR_EHOSTBITS:
		return "host bits set below the prefix length";
	}
	return "unknown address error";
}

char *
addr_fmt(uint32_t a, char *buf)
{
	snprintf(buf, ADDR_STRLEN, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255,
	    (a >> 8) & 255, a & 255);
	return buf;
}

char *
prefix_fmt(const struct prefix *p, char *buf)
{
	char a[ADDR_STRLEN];
	/* A length is at most 32; saying so lets gcc see the result fits. */
	unsigned len = p->len > 32 ? 32 : p->len;

	snprintf(buf, PREFIX_STRLEN, "%s/%u", addr_fmt(p->addr, a), len);
	return buf;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
mac_parse(const char *s, size_t len, uint8_t mac[6])
{
	uint8_t v[6];

	if (len != MAC_STRLEN - 1)
		return -1;
	for (int i = 0; i < 6; i++) {
		const char *p = s + 3 * i;
		int hi = hexval(p[0]), lo = hexval(p[1]);

		if (hi < 0 || lo < 0 || (i < 5 && p[2] != ':'))
			return -1;
		v[i] = (uint8_t)(hi << 4 | lo);
	}
	for (int i = 0; i < 6; i++)
		mac[i] = v[i];
	return 0;
}

/* Most specific first: 255.255.255.255 is "broadcast" before "reserved". */
static const struct {
	uint32_t addr;
	uint8_t len;
	const char *name;
} special_blocks[] = {
	{ 0xffffffffu, 32, "broadcast" },
	{ 0x00000000u, 8, "this-network" },
	{ 0x0a000000u, 8, "private" },
	{ 0x64400000u, 10, "shared" },
	{ 0x7f000000u, 8, "loopback" },
	{ 0xa9fe0000u, 16, "link-local" },
	{ 0xac100000u, 12, "private" },
	{ 0xc0000000u, 24, "protocol-assignments" },
	{ 0xc0000200u, 24, "documentation" },
	{ 0xc0586300u, 24, "6to4-relay" },
	{ 0xc0a80000u, 16, "private" },
	{ 0xc6120000u, 15, "benchmarking" },
	{ 0xc6336400u, 24, "documentation" },
	{ 0xcb007100u, 24, "documentation" },
	{ 0xe0000000u, 4, "multicast" },
	{ 0xf0000000u, 4, "reserved" },
};

const char *
addr_special(uint32_t a)
{
	for (size_t i = 0; i < sizeof(special_blocks) / sizeof(special_blocks[0]); i++)
		if ((a & prefix_mask(special_blocks[i].len)) == special_blocks[i].addr)
			return special_blocks[i].name;
	return NULL;
}

bool
prefix_in_documentation(const struct prefix *p)
{
	const char *n = addr_special(p->addr);

	return p->len >= 24 && n && strcmp(n, "documentation") == 0;
}
