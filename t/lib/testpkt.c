/* SPDX-License-Identifier: ISC */
#include "testpkt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t
tp_ip(const char *s)
{
	unsigned a, b, c, d;
	char extra;

	if (sscanf(s, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) != 4 || a > 255 ||
	    b > 255 || c > 255 || d > 255) {
		fprintf(stderr, "tp_ip: bad address '%s'\n", s);
		abort();
	}
	return a << 24 | b << 16 | c << 8 | d;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
sum(const uint8_t *p, size_t len, uint32_t acc)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		acc += get16(p + i);
	if (len & 1)
		acc += (uint32_t)p[len - 1] << 8;
	return acc;
}

static uint16_t
fold(uint32_t acc)
{
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)~acc;
}

static uint32_t
pseudo(const uint8_t *ip, uint8_t proto, size_t l4len)
{
	uint32_t acc = sum(ip + 12, 8, 0);

	return acc + proto + (uint32_t)l4len;
}

static size_t
ip_header(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t proto, size_t l4len)
{
	memset(buf, 0, 20);
	buf[0] = 0x45;
	put16(buf + 2, (uint16_t)(20 + l4len));
	put16(buf + 4, 0x1234);
	buf[8] = 64;
	buf[9] = proto;
	put32(buf + 12, src);
	put32(buf + 16, dst);
	put16(buf + 10, fold(sum(buf, 20, 0)));
	return 20;
}

size_t
tp_tcp(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
    uint8_t flags, const char *payload)
{
	size_t plen = payload ? strlen(payload) : 0, l4 = 20 + plen;
	uint8_t *t = buf + 20;

	ip_header(buf, src, dst, 6, l4);
	memset(t, 0, 20);
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, 1000);
	put32(t + 8, flags & TP_ACK ? 5000 : 0);
	t[12] = 5 << 4;
	t[13] = flags;
	put16(t + 14, 65535);
	memcpy(t + 20, payload ? payload : "", plen);
	put16(t + 16, fold(sum(t, l4, pseudo(buf, 6, l4))));
	return 20 + l4;
}

size_t
tp_udp(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
    const uint8_t *payload, size_t len)
{
	size_t l4 = 8 + len;
	uint8_t *u = buf + 20;
	uint16_t c;

	ip_header(buf, src, dst, 17, l4);
	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)l4);
	put16(u + 6, 0);
	if (len)
		memcpy(u + 8, payload, len);
	c = fold(sum(u, l4, pseudo(buf, 17, l4)));
	put16(u + 6, c ? c : 0xffff);
	return 20 + l4;
}

size_t
tp_icmp_echo(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t id, uint16_t seq)
{
	uint8_t *i = buf + 20;

	ip_header(buf, src, dst, 1, 16);
	memset(i, 0, 16);
	i[0] = 8;
	put16(i + 4, id);
	put16(i + 6, seq);
	memcpy(i + 8, "potemkin", 8);
	put16(i + 2, fold(sum(i, 16, 0)));
	return 36;
}

size_t
tp_icmp_error(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
    const uint8_t *quoted, size_t qlen)
{
	uint8_t *i = buf + 20;

	ip_header(buf, src, dst, 1, 8 + qlen);
	memset(i, 0, 8);
	i[0] = type;
	i[1] = code;
	memcpy(i + 8, quoted, qlen);
	put16(i + 2, fold(sum(i, 8 + qlen, 0)));
	return 28 + qlen;
}

size_t
tp_dns_query(uint8_t *buf, uint16_t id, const char *name)
{
	size_t n = 12;
	const char *p = name;

	memset(buf, 0, 12);
	put16(buf, id);
	buf[2] = 0x01;		/* recursion desired */
	put16(buf + 4, 1);
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		buf[n++] = (uint8_t)l;
		memcpy(buf + n, p, l);
		n += l;
		p += l + (dot ? 1 : 0);
	}
	buf[n++] = 0;
	put16(buf + n, 1);
	put16(buf + n + 2, 1);
	return n + 4;
}

bool
tp_checksums_ok(const uint8_t *pkt, size_t len)
{
	size_t ihl, tot, l4;
	const uint8_t *t;

	if (len < 20)
		return false;
	ihl = (size_t)(pkt[0] & 15) * 4;
	tot = get16(pkt + 2);
	if (tot > len || ihl < 20 || tot < ihl)
		return false;
	if (fold(sum(pkt, ihl, 0)) != 0)
		return false;
	t = pkt + ihl;
	l4 = tot - ihl;
	switch (pkt[9]) {
	case 6:
		return fold(sum(t, l4, pseudo(pkt, 6, l4))) == 0;
	case 17:
		return get16(t + 6) == 0 || fold(sum(t, l4, pseudo(pkt, 17, l4))) == 0;
	case 1:
		return fold(sum(t, l4, 0)) == 0;
	}
	return true;
}

uint32_t
tp_src(const uint8_t *pkt)
{
	return (uint32_t)get16(pkt + 12) << 16 | get16(pkt + 14);
}

uint32_t
tp_dst(const uint8_t *pkt)
{
	return (uint32_t)get16(pkt + 16) << 16 | get16(pkt + 18);
}

uint16_t
tp_sport(const uint8_t *pkt)
{
	return get16(pkt + (pkt[0] & 15) * 4);
}

uint16_t
tp_dport(const uint8_t *pkt)
{
	return get16(pkt + (pkt[0] & 15) * 4 + 2);
}

uint8_t
tp_tcp_flags(const uint8_t *pkt)
{
	return pkt[(pkt[0] & 15) * 4 + 13];
}
