/* SPDX-License-Identifier: ISC */
/*
 * Delivery to clones: complete IPv4 packets sent out of a host interface
 * pk<ID> through one AF_PACKET socket, with the Ethernet header built here.
 * Sends are gathered and flushed with sendmmsg.
 */
#ifndef POTEMKIN_AFPACKET_H
#define POTEMKIN_AFPACKET_H

#include <stddef.h>
#include <stdint.h>

struct tx;

struct tx_stats {
	uint64_t sent;
	uint64_t errors;	/* sendmmsg failures, packets lost */
	uint64_t too_big;	/* larger than the interface MTU + header */
};

struct tx *tx_open(void);
void tx_close(struct tx *t);

/* Queue one packet (copied) for ifindex; flushes itself when full. */
int tx_send(struct tx *t, int ifindex, const uint8_t dst_mac[6],
    const uint8_t src_mac[6], const uint8_t *ip, size_t len);
int tx_flush(struct tx *t);
const struct tx_stats *tx_stats(const struct tx *t);

/* The interface's index and MAC; -1 with errno when it does not exist. */
int tx_ifinfo(const char *ifname, int *ifindex, uint8_t mac[6]);

#endif
