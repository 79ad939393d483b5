/* SPDX-License-Identifier: ISC */
/*
 * Test-only packet generator for the gateway's packet layer.  It builds
 * IPv4 packets field by field and fills every checksum with its own
 * byte-wise reference sum, written independently of packet.c, so tests
 * compare the code under test against arithmetic it does not share.
 */
#ifndef POTEMKIN_GW_PKTGEN_H
#define POTEMKIN_GW_PKTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gen {
	uint8_t proto;			/* 1, 6, 17 or anything else */
	uint32_t src, dst;		/* host order */
	uint8_t tos, ttl;
	uint16_t id;
	uint16_t frag_field;		/* flags and offset, host order */
	uint8_t ipopt_len;		/* multiple of 4, <= 40 */
	uint8_t ipopt[40];
	uint16_t sport, dport;		/* TCP/UDP */
	uint32_t seq, ack;		/* TCP */
	uint8_t tcp_flags;
	uint8_t tcpopt_len;		/* multiple of 4, <= 40 */
	uint8_t tcpopt[40];
	bool udp_nocsum;		/* UDP checksum left 0 */
	uint8_t icmp_type, icmp_code;
	uint32_t icmp_rest;		/* bytes 4..7 of the ICMP header */
	bool no_l4_csum;		/* a later fragment: checksum not computable */
	const uint8_t *payload;		/* after the L4 header (ICMP: the quote) */
	size_t paylen;
};

/* Build g into out; returns the length, 0 when it does not fit. */
size_t gen_build(const struct gen *g, uint8_t *out, size_t cap);

/* Big-endian word sum, byte by byte, folded; not complemented. */
uint16_t ref_sum(const uint8_t *b, size_t len, uint32_t start);
/* Does the IP header checksum of the packet at ip verify? */
bool ref_ip_ok(const uint8_t *ip);
/* Does the TCP/UDP checksum verify over l4len bytes (UDP 0 counts)? */
bool ref_l4_ok(const uint8_t *ip, size_t l4len);
/* Does the ICMP checksum verify over l4len bytes? */
bool ref_icmp_ok(const uint8_t *ip, size_t l4len);

/* xorshift64*: reproducible randomness from a seed. */
uint64_t gen_rand(uint64_t *state);
void gen_fill(uint64_t *state, uint8_t *b, size_t len);

/* A random valid IPv4 TCP/UDP/ICMP-echo packet; ICMP errors separately. */
void gen_random(uint64_t *state, struct gen *g, uint8_t *payload, size_t paycap);

/* Where the shared captures are, or NULL. */
const char *gen_traces_dir(void);

#endif
