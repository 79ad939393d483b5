/* SPDX-License-Identifier: ISC */
/*
 * IPv4 packets as the gateway sees them: parsed without trusting a single
 * length, rewritten in place with incremental checksum updates, and the few
 * packets the gateway writes itself (TCP RST, ICMP unreachable, UDP).
 *
 * Addresses and ports in struct pkt are host byte order; the bytes in
 * pkt->data stay in network order.
 */
#ifndef POTEMKIN_PACKET_H
#define POTEMKIN_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pkt_err {
	PKT_OK = 0,
	PKT_ESHORT,	/* shorter than an IPv4 header */
	PKT_EVERSION,	/* not IPv4 (IPv6 lands here) */
	PKT_EHDRLEN,	/* IHL below 5 or past the end */
	PKT_ETOTLEN,	/* total length below the header or past the end */
	PKT_EL4SHORT,	/* first fragment too short for its L4 header */
	PKT_EL4HDR,	/* L4 header inconsistent: TCP data offset below 5,
			   UDP length below 8 or past the packet */
	PKT_EFRAG,	/* fragment reaching past 65535 bytes */
};

/* A header quoted inside an ICMP error (RFC 792: IP header + 8 bytes). */
struct pkt_quote {
	uint16_t off;		/* offset of the quoted IP header in data */
	uint16_t len;		/* bytes of the quote present */
	uint8_t ihl;		/* quoted IP header length in bytes */
	uint8_t proto;
	uint32_t src, dst;
	uint16_t sport, dport;	/* when the quote holds them, else 0 */
	bool has_ports;
};

struct pkt {
	uint8_t *data;		/* the IPv4 header; bytes past len are not ours */
	uint16_t len;		/* the IP total length (trailing bytes ignored) */
	uint8_t ihl;		/* header length in bytes */
	uint8_t proto;
	uint8_t ttl;
	uint32_t src, dst;
	uint16_t frag;		/* fragment offset in bytes */
	bool more_frags;	/* MF */
	bool has_l4;		/* the L4 header is complete: first fragment, long enough */
	uint16_t l4_off;	/* offset of the L4 header in data */
	uint16_t sport, dport;	/* TCP/UDP; for ICMP echo sport is the id */
	uint8_t tcp_flags;
	uint32_t tcp_seq, tcp_ack;
	uint16_t payload_off;	/* L4 payload, when has_l4 */
	uint16_t payload_len;
	uint8_t icmp_type, icmp_code;
	bool has_quote;		/* ICMP error with a parsable quoted header */
	struct pkt_quote quote;
};

/*
 * Parse the IPv4 packet in data[0..len).  On error *p is unusable.  Later
 * fragments (offset > 0) parse with has_l4 false; a protocol other than TCP,
 * UDP and ICMP too.  The IP header checksum is not verified: the kernel did
 * before PREROUTING, and the replay tool decides for itself.
 */
enum pkt_err pkt_parse(struct pkt *p, uint8_t *data, size_t len);
const char *pkt_strerror(enum pkt_err e);

static inline bool
pkt_is_fragment(const struct pkt *p)
{
	return p->frag != 0 || p->more_frags;
}

/*
 * Rewrite the destination (inbound: impersonated -> guest) or the source
 * (outbound: guest -> impersonated).  The IP, TCP and UDP checksums are
 * updated incrementally; in an ICMP error the quoted header's matching
 * address (its source for a new destination, its destination for a new
 * source) is rewritten too when it equals the old outer address, with the
 * quoted IP checksum, the quoted TCP/UDP checksum when the quote holds it,
 * and the ICMP checksum.  A later fragment gets only its IP header changed:
 * its L4 checksum lives in the first fragment.
 */
void pkt_set_dst(struct pkt *p, uint32_t addr);
void pkt_set_src(struct pkt *p, uint32_t addr);

/* RFC 1624 incremental update of a ones'-complement checksum field. */
uint16_t csum_update32(uint16_t csum, uint32_t old_be, uint32_t new_be);
uint16_t csum_update16(uint16_t csum, uint16_t old_be, uint16_t new_be);
/* Full Internet checksum over len bytes, folded and complemented. */
uint16_t csum_buf(const void *buf, size_t len);

/*
 * Builders write a complete IPv4 packet into out (cap bytes) and return its
 * length, or 0 when it does not fit or no answer is due: no RST for a RST
 * or for any fragment, no ICMP error for an ICMP error or a later fragment,
 * and nothing to or from an address that names no single host (RFC 1122
 * 3.2.2: 0/8, 127/8, multicast, class E, broadcast).  All
 * checksums are filled in; TTL 64, DF set, IP id 0.
 */
size_t pkt_build_rst(const struct pkt *in, uint8_t *out, size_t cap);
/* ICMP destination unreachable with the given code, quoting in. */
size_t pkt_build_unreach(const struct pkt *in, uint8_t code, uint8_t *out, size_t cap);
size_t pkt_build_udp(uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
    const uint8_t *payload, size_t len, uint8_t *out, size_t cap);

#endif
