/* SPDX-License-Identifier: ISC */
/*
 * Test-only packet generator: see gw-pktgen.h.  Checksums here are summed
 * byte by byte in big-endian words, on purpose unlike packet.c.
 */
#include "gw-pktgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static void
put32(uint8_t *b, uint32_t v)
{
	put16(b, (uint16_t)(v >> 16));
	put16(b + 2, (uint16_t)v);
}

uint16_t
ref_sum(const uint8_t *b, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

static uint32_t
pseudo(const uint8_t *ip, uint8_t proto, size_t l4len)
{
	uint32_t s = ref_sum(ip + 12, 8, 0);

	return s + proto + (uint32_t)l4len;
}

bool
ref_ip_ok(const uint8_t *ip)
{
	return ref_sum(ip, (size_t)(ip[0] & 0x0f) * 4, 0) == 0xffff;
}

bool
ref_l4_ok(const uint8_t *ip, size_t l4len)
{
	const uint8_t *l4 = ip + (ip[0] & 0x0f) * 4;

	if (ip[9] == 17 && l4[6] == 0 && l4[7] == 0)
		return true;
	return ref_sum(l4, l4len, pseudo(ip, ip[9], l4len)) == 0xffff;
}

bool
ref_icmp_ok(const uint8_t *ip, size_t l4len)
{
	return ref_sum(ip + (ip[0] & 0x0f) * 4, l4len, 0) == 0xffff;
}

static size_t
l4_hdr_len(const struct gen *g)
{
	if (g->frag_field & 0x1fff)
		return 0;
	switch (g->proto) {
	case 6:
		return 20u + g->tcpopt_len;
	case 17:
	case 1:
		return 8;
	}
	return 0;
}

static void
put_l4(const struct gen *g, uint8_t *ip, uint8_t *l4, size_t l4len)
{
	uint16_t c;

	switch (g->proto) {
	case 6:
		put16(l4, g->sport);
		put16(l4 + 2, g->dport);
		put32(l4 + 4, g->seq);
		put32(l4 + 8, g->ack);
		l4[12] = (uint8_t)(((20 + g->tcpopt_len) / 4) << 4);
		l4[13] = g->tcp_flags;
		put16(l4 + 14, 0x7210);
		memcpy(l4 + 20, g->tcpopt, g->tcpopt_len);
		if (!g->no_l4_csum)
			put16(l4 + 16, (uint16_t)~ref_sum(l4, l4len,
			    pseudo(ip, 6, l4len)));
		break;
	case 17:
		put16(l4, g->sport);
		put16(l4 + 2, g->dport);
		put16(l4 + 4, (uint16_t)l4len);
		if (g->udp_nocsum || g->no_l4_csum)
			break;
		c = (uint16_t)~ref_sum(l4, l4len, pseudo(ip, 17, l4len));
		put16(l4 + 6, c ? c : 0xffff);
		break;
	case 1:
		l4[0] = g->icmp_type;
		l4[1] = g->icmp_code;
		put32(l4 + 4, g->icmp_rest);
		if (!g->no_l4_csum)
			put16(l4 + 2, (uint16_t)~ref_sum(l4, l4len, 0));
		break;
	}
}

size_t
gen_build(const struct gen *g, uint8_t *out, size_t cap)
{
	size_t ihl = 20u + g->ipopt_len, hl = l4_hdr_len(g);
	size_t tot = ihl + hl + g->paylen;
	uint8_t *l4 = out + ihl;

	if (tot > cap || tot > 0xffff || g->ipopt_len > 40 || g->ipopt_len % 4)
		return 0;
	memset(out, 0, ihl + hl);
	out[0] = (uint8_t)(0x40 | ihl / 4);
	out[1] = g->tos;
	put16(out + 2, (uint16_t)tot);
	put16(out + 4, g->id);
	put16(out + 6, g->frag_field);
	out[8] = g->ttl;
	out[9] = g->proto;
	put32(out + 12, g->src);
	put32(out + 16, g->dst);
	memcpy(out + 20, g->ipopt, g->ipopt_len);
	if (g->paylen)
		memcpy(l4 + hl, g->payload, g->paylen);
	if (hl)
		put_l4(g, out, l4, hl + g->paylen);
	put16(out + 10, (uint16_t)~ref_sum(out, ihl, 0));
	return tot;
}

uint64_t
gen_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

void
gen_fill(uint64_t *s, uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		b[i] = (uint8_t)(gen_rand(s) >> 32);
}

void
gen_random(uint64_t *s, struct gen *g, uint8_t *payload, size_t paycap)
{
	static const uint8_t protos[] = { 6, 17, 1 };
	uint64_t r = gen_rand(s);

	memset(g, 0, sizeof *g);
	g->proto = protos[r % 3];
	g->src = (uint32_t)gen_rand(s);
	g->dst = (uint32_t)gen_rand(s);
	g->tos = (uint8_t)gen_rand(s);
	g->ttl = (uint8_t)gen_rand(s);
	g->id = (uint16_t)gen_rand(s);
	g->frag_field = (gen_rand(s) & 1) ? 0x4000 : 0;
	g->ipopt_len = (gen_rand(s) % 4 == 0) ? (uint8_t)(4 * (gen_rand(s) % 11)) : 0;
	gen_fill(s, g->ipopt, g->ipopt_len);
	g->sport = (uint16_t)gen_rand(s);
	g->dport = (uint16_t)gen_rand(s);
	g->seq = (uint32_t)gen_rand(s);
	g->ack = (uint32_t)gen_rand(s);
	g->tcp_flags = (uint8_t)gen_rand(s);
	g->tcpopt_len = (gen_rand(s) % 3 == 0) ? (uint8_t)(4 * (gen_rand(s) % 11)) : 0;
	gen_fill(s, g->tcpopt, g->tcpopt_len);
	g->udp_nocsum = gen_rand(s) % 4 == 0;
	g->icmp_type = (gen_rand(s) & 1) ? 8 : 0;
	g->icmp_rest = (uint32_t)gen_rand(s);
	g->paylen = (gen_rand(s) % 8 == 0) ? gen_rand(s) % paycap :
	    gen_rand(s) % (paycap < 200 ? paycap : 200);
	gen_fill(s, payload, g->paylen);
	g->payload = payload;
}

/* As lib/traces-dir.sh: $POTEMKIN_TRACES, else ../shared/traces from the top. */
const char *
gen_traces_dir(void)
{
	const char *env = getenv("POTEMKIN_TRACES");
	const char *dir = env && *env ? env : "../shared/traces";
	char readme[4096];

	snprintf(readme, sizeof readme, "%s/README.md", dir);
	return access(readme, R_OK) == 0 ? dir : NULL;
}
