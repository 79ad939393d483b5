/* SPDX-License-Identifier: ISC */
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

const char *
addr_kind_name(enum addr_kind k)
{
	static const char *const names[] = {
		[ADDR_ORDINARY] = NULL, [ADDR_THIS_NETWORK] = "this-network",
		[ADDR_PRIVATE] = "private", [ADDR_SHARED] = "shared",
		[ADDR_LOOPBACK] = "loopback", [ADDR_LINK_LOCAL] = "link-local",
		[ADDR_PROTOCOL] = "protocol-assignments",
		[ADDR_DOCUMENTATION] = "documentation", [ADDR_6TO4_RELAY] = "6to4-relay",
		[ADDR_BENCHMARKING] = "benchmarking", [ADDR_MULTICAST] = "multicast",
		[ADDR_RESERVED] = "reserved", [ADDR_BROADCAST] = "broadcast",
	};

	return (size_t)k < sizeof(names) / sizeof(names[0]) ? names[k] : NULL;
}

bool
prefix_in_documentation(const struct prefix *p)
{
	return p->len >= 24 && addr_kind(p->addr) == ADDR_DOCUMENTATION;
}
