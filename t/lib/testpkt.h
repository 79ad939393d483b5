/* SPDX-License-Identifier: ISC */
/*
 * Packets for tests, built by hand with checksums computed here and not by
 * the code under test, so that a test can check that code's checksums.
 */
#ifndef POTEMKIN_TESTPKT_H
#define POTEMKIN_TESTPKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TP_SYN 0x02
#define TP_ACK 0x10
#define TP_RST 0x04
#define TP_FIN 0x01
#define TP_PSH 0x08

/* "a.b.c.d" in host order; aborts the test on a typo. */
uint32_t tp_ip(const char *s);

size_t tp_tcp(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
    uint8_t flags, const char *payload);
size_t tp_udp(uint8_t *buf, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
    const uint8_t *payload, size_t len);
size_t tp_icmp_echo(uint8_t *buf, uint32_t src, uint32_t dst, uint16_t id, uint16_t seq);
/* An ICMP error (type, code) quoting the first qlen bytes of quoted. */
size_t tp_icmp_error(uint8_t *buf, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
    const uint8_t *quoted, size_t qlen);
/* A DNS query for name (type A) with the given id, as a UDP payload. */
size_t tp_dns_query(uint8_t *buf, uint16_t id, const char *name);

/* Do the IP header checksum and the TCP/UDP/ICMP checksum verify? */
bool tp_checksums_ok(const uint8_t *pkt, size_t len);

uint32_t tp_src(const uint8_t *pkt);
uint32_t tp_dst(const uint8_t *pkt);
uint16_t tp_sport(const uint8_t *pkt);
uint16_t tp_dport(const uint8_t *pkt);
uint8_t tp_tcp_flags(const uint8_t *pkt);

#endif
