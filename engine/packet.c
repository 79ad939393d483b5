/* SPDX-License-Identifier: ISC */
/*
 * IPv4 parsing, rewriting and building.  Every length read from a packet is
 * checked against what we were given before anything behind it is touched;
 * the only lengths believed are the ones already checked.
 *
 * Checksum arithmetic works on 16-bit words exactly as they lie in memory:
 * the ones'-complement sum does not care about byte order, so fields are
 * read and written with memcpy and never swapped.
 */
#include "packet.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#define IP_DF		0x4000
#define IP_MF		0x2000
#define IP_OFFMASK	0x1fff
#define IP_MINHDR	20
#define TCP_MINHDR	20
#define UDP_HDR		8
#define ICMP_HDR	8

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_ACK	0x10

static inline uint16_t
rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t
rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
}

static inline void
wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void
wr32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* Checksum fields and addresses as raw memory words. */
static inline uint16_t
raw16(const uint8_t *b)
{
	uint16_t v;

	memcpy(&v, b, sizeof v);
	return v;
}

static inline void
setraw16(uint8_t *b, uint16_t v)
{
	memcpy(b, &v, sizeof v);
}

static inline uint32_t
raw32(const uint8_t *b)
{
	uint32_t v;

	memcpy(&v, b, sizeof v);
	return v;
}

/* ---- checksums ------------------------------------------------------ */

static inline uint16_t
csum_fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/*
 * Unfolded ones'-complement sum of len bytes.  32-bit words are summed into
 * 64 bits: 2^16 = 1 modulo 0xffff, so both halves of every word land in the
 * fold.  An odd last byte is the first byte of a zero-padded word.
 */
static uint64_t
csum_partial(const uint8_t *b, size_t len, uint64_t sum)
{
	uint32_t w32;
	uint16_t w16 = 0;

	for (; len >= 4; b += 4, len -= 4) {
		memcpy(&w32, b, 4);
		sum += w32;
	}
	if (len >= 2) {
		sum += raw16(b);
		b += 2;
		len -= 2;
	}
	if (len) {
		memcpy(&w16, b, 1);
		sum += w16;
	}
	return sum;
}

uint16_t
csum_buf(const void *buf, size_t len)
{
	return (uint16_t)~csum_fold(csum_partial(buf, len, 0));
}

/* RFC 1624, equation 3: HC' = ~(~HC + ~m + m'). */
uint16_t
csum_update16(uint16_t csum, uint16_t old_be, uint16_t new_be)
{
	uint64_t s = (uint16_t)~csum;

	s += (uint16_t)~old_be;
	s += new_be;
	return (uint16_t)~csum_fold(s);
}

uint16_t
csum_update32(uint16_t csum, uint32_t old_be, uint32_t new_be)
{
	uint64_t s = (uint16_t)~csum;

	s += (~old_be & 0xffff) + (~old_be >> 16);
	s += (new_be & 0xffff) + (new_be >> 16);
	return (uint16_t)~csum_fold(s);
}

/* TCP/UDP checksum of the l4len bytes behind a 20-byte IP header. */
static uint16_t
l4_csum(const uint8_t *ip, uint8_t proto, size_t l4len)
{
	uint64_t s = csum_partial(ip + 12, 8, 0);	/* source, destination */

	s += htons(proto);
	s += htons((uint16_t)l4len);
	return (uint16_t)~csum_fold(csum_partial(ip + IP_MINHDR, l4len, s));
}

/* ---- parsing -------------------------------------------------------- */

static bool
icmp_is_error(uint8_t type)
{
	switch (type) {
	case 3:		/* destination unreachable */
	case 4:		/* source quench */
	case 5:		/* redirect */
	case 11:	/* time exceeded */
	case 12:	/* parameter problem */
		return true;
	}
	return false;
}

/* Queries whose rest-of-header starts with an identifier (RFC 792, 950). */
static bool
icmp_has_id(uint8_t type)
{
	switch (type) {
	case 0: case 8:		/* echo reply, echo */
	case 13: case 14:	/* timestamp */
	case 15: case 16:	/* information */
	case 17: case 18:	/* address mask */
		return true;
	}
	return false;
}

/* The ports (or ICMP query id) of a quoted first fragment, if present. */
static void
parse_quote_ports(struct pkt_quote *q, const uint8_t *l4, size_t l4len)
{
	switch (q->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
		if (l4len < 4)
			return;
		q->sport = rd16(l4);
		q->dport = rd16(l4 + 2);
		q->has_ports = true;
		break;
	case IPPROTO_ICMP:
		if (l4len < ICMP_HDR || !icmp_has_id(l4[0]))
			return;
		q->sport = rd16(l4 + 4);
		q->has_ports = true;
		break;
	}
}

/*
 * The packet an ICMP error quotes.  A quote we cannot read leaves has_quote
 * false: the error itself is still a well-formed packet.
 */
static void
parse_quote(struct pkt *p)
{
	struct pkt_quote *q = &p->quote;
	size_t off = (size_t)p->l4_off + ICMP_HDR;
	size_t qlen = p->len - off;
	const uint8_t *b = p->data + off;
	size_t qihl;

	if (qlen < IP_MINHDR || b[0] >> 4 != 4)
		return;
	qihl = (size_t)(b[0] & 0x0f) * 4;
	if (qihl < IP_MINHDR || qihl > qlen)
		return;
	q->off = (uint16_t)off;
	q->len = (uint16_t)qlen;
	q->ihl = (uint8_t)qihl;
	q->proto = b[9];
	q->src = rd32(b + 12);
	q->dst = rd32(b + 16);
	if ((rd16(b + 6) & IP_OFFMASK) == 0)
		parse_quote_ports(q, b + qihl, qlen - qihl);
	p->has_quote = true;
}

static enum pkt_err
parse_tcp(struct pkt *p, const uint8_t *l4, size_t l4len)
{
	size_t doff;

	if (l4len < TCP_MINHDR)
		return PKT_EL4SHORT;
	doff = (size_t)(l4[12] >> 4) * 4;
	if (doff < TCP_MINHDR)
		return PKT_EL4HDR;
	if (doff > l4len)
		return PKT_EL4SHORT;
	p->sport = rd16(l4);
	p->dport = rd16(l4 + 2);
	p->tcp_seq = rd32(l4 + 4);
	p->tcp_ack = rd32(l4 + 8);
	p->tcp_flags = l4[13];
	p->payload_off = (uint16_t)(p->l4_off + doff);
	p->payload_len = (uint16_t)(l4len - doff);
	return PKT_OK;
}

static enum pkt_err
parse_udp(struct pkt *p, const uint8_t *l4, size_t l4len)
{
	size_t ulen;

	if (l4len < UDP_HDR)
		return PKT_EL4SHORT;
	ulen = rd16(l4 + 4);
	if (ulen < UDP_HDR)
		return PKT_EL4HDR;
	p->sport = rd16(l4);
	p->dport = rd16(l4 + 2);
	p->payload_off = (uint16_t)(p->l4_off + UDP_HDR);
	if (p->more_frags) {
		/* The datagram goes on in later fragments. */
		p->payload_len = (uint16_t)(l4len - UDP_HDR);
	} else {
		/* Bytes past the UDP length are ignored, as the kernel does. */
		if (ulen > l4len)
			return PKT_EL4HDR;
		p->payload_len = (uint16_t)(ulen - UDP_HDR);
	}
	return PKT_OK;
}

static enum pkt_err
parse_icmp(struct pkt *p, const uint8_t *l4, size_t l4len)
{
	if (l4len < ICMP_HDR)
		return PKT_EL4SHORT;
	p->icmp_type = l4[0];
	p->icmp_code = l4[1];
	if (icmp_has_id(p->icmp_type))
		p->sport = rd16(l4 + 4);
	p->payload_off = (uint16_t)(p->l4_off + ICMP_HDR);
	p->payload_len = (uint16_t)(l4len - ICMP_HDR);
	if (icmp_is_error(p->icmp_type))
		parse_quote(p);
	return PKT_OK;
}

enum pkt_err
pkt_parse(struct pkt *p, uint8_t *data, size_t len)
{
	const uint8_t *l4;
	size_t ihl, tot, l4len;
	uint16_t fo;
	enum pkt_err e;

	memset(p, 0, sizeof *p);
	p->data = data;
	if (len < IP_MINHDR)
		return PKT_ESHORT;
	if (data[0] >> 4 != 4)
		return PKT_EVERSION;
	ihl = (size_t)(data[0] & 0x0f) * 4;
	if (ihl < IP_MINHDR || ihl > len)
		return PKT_EHDRLEN;
	tot = rd16(data + 2);
	if (tot < ihl || tot > len)
		return PKT_ETOTLEN;
	fo = rd16(data + 6);
	p->len = (uint16_t)tot;
	p->ihl = (uint8_t)ihl;
	p->ttl = data[8];
	p->proto = data[9];
	p->src = rd32(data + 12);
	p->dst = rd32(data + 16);
	p->frag = (uint16_t)((fo & IP_OFFMASK) * 8);
	p->more_frags = (fo & IP_MF) != 0;
	p->l4_off = (uint16_t)ihl;
	l4len = tot - ihl;
	if ((size_t)p->frag + l4len > 0xffff)
		return PKT_EFRAG;
	if (p->frag != 0)
		return PKT_OK;		/* no L4 header in a later fragment */

	l4 = data + ihl;
	switch (p->proto) {
	case IPPROTO_TCP:
		e = parse_tcp(p, l4, l4len);
		break;
	case IPPROTO_UDP:
		e = parse_udp(p, l4, l4len);
		break;
	case IPPROTO_ICMP:
		e = parse_icmp(p, l4, l4len);
		break;
	default:
		return PKT_OK;
	}
	p->has_l4 = e == PKT_OK;
	return e;
}

const char *
pkt_strerror(enum pkt_err e)
{
	switch (e) {
	case PKT_OK:		return "no error";
	case PKT_ESHORT:	return "shorter than an IPv4 header";
	case PKT_EVERSION:	return "not IPv4";
	case PKT_EHDRLEN:	return "bad IP header length";
	case PKT_ETOTLEN:	return "bad IP total length";
	case PKT_EL4SHORT:	return "truncated transport header";
	case PKT_EL4HDR:	return "bad transport header length";
	case PKT_EFRAG:		return "fragment past 65535 bytes";
	}
	return "unknown packet error";
}

/* ---- rewriting ------------------------------------------------------ */

/* Incremental update of the checksum at c for a changed 32-bit word. */
static uint16_t
fix32(uint8_t *c, uint32_t old_raw, uint32_t new_raw)
{
	uint16_t v = csum_update32(raw16(c), old_raw, new_raw);

	setraw16(c, v);
	return v;
}

/*
 * A UDP checksum of 0 means "none" and stays so; a computed 0 is sent as
 * 0xffff (RFC 768).
 */
static void
fix_udp32(uint8_t *c, uint32_t old_raw, uint32_t new_raw)
{
	uint16_t v;

	if (raw16(c) == 0)
		return;
	v = csum_update32(raw16(c), old_raw, new_raw);
	setraw16(c, v ? v : 0xffff);
}

/*
 * Change the quoted IP address at field (12 source, 16 destination) of an
 * ICMP error, then every checksum that covers it: the quoted IP header's,
 * the quoted TCP/UDP one when it lies inside the quote, and the ICMP one
 * over all the bytes that changed.  All these fields sit at even offsets
 * from the ICMP header, so word-wise updates of its checksum are exact.
 */
static void
quote_set(struct pkt *p, size_t field, uint32_t addr)
{
	uint8_t *q = p->data + p->quote.off;
	uint8_t *icmp_c = p->data + p->l4_off + 2;
	uint8_t *l4 = q + p->quote.ihl;
	size_t l4len = p->quote.len - p->quote.ihl;
	uint32_t old_raw = raw32(q + field), new_raw = htonl(addr);
	uint16_t icmp = raw16(icmp_c), before;
	uint8_t *c = NULL;

	memcpy(q + field, &new_raw, 4);
	icmp = csum_update32(icmp, old_raw, new_raw);

	before = raw16(q + 10);
	icmp = csum_update16(icmp, before, fix32(q + 10, old_raw, new_raw));

	if ((rd16(q + 6) & IP_OFFMASK) == 0) {
		if (p->quote.proto == IPPROTO_TCP && l4len >= 18)
			c = l4 + 16;
		else if (p->quote.proto == IPPROTO_UDP && l4len >= 8)
			c = l4 + 6;
	}
	if (c != NULL) {
		before = raw16(c);
		if (p->quote.proto == IPPROTO_TCP)
			fix32(c, old_raw, new_raw);
		else
			fix_udp32(c, old_raw, new_raw);
		icmp = csum_update16(icmp, before, raw16(c));
	}
	setraw16(icmp_c, icmp);
}

/* Change the outer address at field and the IP and TCP/UDP checksums. */
static void
outer_set(struct pkt *p, size_t field, uint32_t addr)
{
	uint8_t *l4 = p->data + p->l4_off;
	uint32_t old_raw = raw32(p->data + field), new_raw = htonl(addr);

	memcpy(p->data + field, &new_raw, 4);
	fix32(p->data + 10, old_raw, new_raw);
	if (!p->has_l4)
		return;
	if (p->proto == IPPROTO_TCP)
		fix32(l4 + 16, old_raw, new_raw);
	else if (p->proto == IPPROTO_UDP)
		fix_udp32(l4 + 6, old_raw, new_raw);
	/* ICMP has no pseudo-header. */
}

void
pkt_set_dst(struct pkt *p, uint32_t addr)
{
	uint32_t old = p->dst;

	outer_set(p, 16, addr);
	p->dst = addr;
	/* An error sent to the new destination quotes what it sent. */
	if (p->has_quote && p->quote.src == old) {
		quote_set(p, 12, addr);
		p->quote.src = addr;
	}
}

void
pkt_set_src(struct pkt *p, uint32_t addr)
{
	uint32_t old = p->src;

	outer_set(p, 12, addr);
	p->src = addr;
	/* An error from the new source quotes what it was sent. */
	if (p->has_quote && p->quote.dst == old) {
		quote_set(p, 16, addr);
		p->quote.dst = addr;
	}
}

/* ---- building ------------------------------------------------------- */

/* RFC 1122 3.2.2 / 4.2.3.10: no answer to what names no single host. */
static bool
single_host(uint32_t a)
{
	return (a >> 24) != 0 && (a >> 24) != 127 && (a >> 28) < 0xe;
}

static bool
answerable(const struct pkt *in)
{
	return single_host(in->src) && single_host(in->dst);
}

static void
put_ip(uint8_t *o, size_t tot, uint8_t proto, uint8_t tos, uint32_t src,
    uint32_t dst)
{
	o[0] = 0x45;
	o[1] = tos;
	wr16(o + 2, (uint16_t)tot);
	wr16(o + 4, 0);
	wr16(o + 6, IP_DF);
	o[8] = 64;
	o[9] = proto;
	setraw16(o + 10, 0);
	wr32(o + 12, src);
	wr32(o + 16, dst);
	setraw16(o + 10, csum_buf(o, IP_MINHDR));
}

/*
 * RFC 793, "Reset Generation": if the segment has ACK, the reset takes its
 * sequence number from that ACK; otherwise it has sequence 0 and
 * acknowledges everything the segment occupied (data, SYN and FIN).
 */
size_t
pkt_build_rst(const struct pkt *in, uint8_t *out, size_t cap)
{
	const size_t tot = IP_MINHDR + TCP_MINHDR;
	uint8_t *t = out + IP_MINHDR;
	uint32_t seq = 0, ack = 0;
	uint8_t flags = TH_RST;

	if (in->proto != IPPROTO_TCP || !in->has_l4 || pkt_is_fragment(in) ||
	    (in->tcp_flags & TH_RST) || !answerable(in) || cap < tot)
		return 0;
	if (in->tcp_flags & TH_ACK) {
		seq = in->tcp_ack;
	} else {
		ack = in->tcp_seq + in->payload_len +
		    !!(in->tcp_flags & TH_SYN) + !!(in->tcp_flags & TH_FIN);
		flags |= TH_ACK;
	}
	memset(out, 0, tot);
	put_ip(out, tot, IPPROTO_TCP, 0, in->dst, in->src);
	wr16(t, in->dport);
	wr16(t + 2, in->sport);
	wr32(t + 4, seq);
	wr32(t + 8, ack);
	t[12] = (TCP_MINHDR / 4) << 4;
	t[13] = flags;
	setraw16(t + 16, l4_csum(out, IPPROTO_TCP, TCP_MINHDR));
	return tot;
}

size_t
pkt_build_unreach(const struct pkt *in, uint8_t code, uint8_t *out, size_t cap)
{
	size_t qlen, tot;
	uint8_t *icmp = out + IP_MINHDR;

	if (in->frag != 0 || !answerable(in))
		return 0;
	if (in->proto == IPPROTO_ICMP &&
	    (!in->has_l4 || icmp_is_error(in->icmp_type)))
		return 0;
	qlen = (size_t)in->ihl + 8;
	if (qlen > in->len)
		qlen = in->len;
	tot = IP_MINHDR + ICMP_HDR + qlen;
	if (cap < tot)
		return 0;
	/* Precedence "internetwork control", as routers mark their errors. */
	put_ip(out, tot, IPPROTO_ICMP, 0xc0, in->dst, in->src);
	memset(icmp, 0, ICMP_HDR);
	icmp[0] = 3;
	icmp[1] = code;
	memmove(icmp + ICMP_HDR, in->data, qlen);
	setraw16(icmp + 2, csum_buf(icmp, ICMP_HDR + qlen));
	return tot;
}

size_t
pkt_build_udp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
    const uint8_t *payload, size_t len, uint8_t *out, size_t cap)
{
	size_t tot = IP_MINHDR + UDP_HDR + len;
	uint8_t *u = out + IP_MINHDR;
	uint16_t c;

	if (len > 0xffff - IP_MINHDR - UDP_HDR || cap < tot)
		return 0;
	if (len)
		memmove(u + UDP_HDR, payload, len);
	put_ip(out, tot, IPPROTO_UDP, 0, src, dst);
	wr16(u, sport);
	wr16(u + 2, dport);
	wr16(u + 4, (uint16_t)(UDP_HDR + len));
	setraw16(u + 6, 0);
	c = l4_csum(out, IPPROTO_UDP, UDP_HDR + len);
	setraw16(u + 6, c ? c : 0xffff);
	return tot;
}
