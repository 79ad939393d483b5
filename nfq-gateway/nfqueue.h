/* SPDX-License-Identifier: ISC */
/*
 * One NFQUEUE queue on its own netlink socket, spoken to through
 * libnetfilter_queue's libmnl interface.  The queue is configured never to
 * fail open: when it is full, or nobody listens, the kernel drops.
 *
 * Prefix nq_ (libnetfilter_queue's older API owns nfq_).
 */
#ifndef POTEMKIN_NFQUEUE_H
#define POTEMKIN_NFQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nq;

struct nq_opts {
	uint16_t num;		/* queue number */
	uint32_t maxlen;	/* packets the kernel may hold for us */
	uint32_t copy_range;	/* bytes of each packet copied to us */
	uint32_t rcvbuf;	/* socket receive buffer, bytes (SO_RCVBUFFORCE) */
};

/* One queued packet, valid only during the callback. */
struct nq_packet {
	uint32_t id;
	uint8_t *data;		/* network header; may be modified in place */
	size_t len;		/* bytes copied (min(copy_range, packet)) */
	size_t orig_len;	/* the packet's real length */
	uint32_t indev;		/* ifindex it came in on, 0 if none */
	uint16_t hw_proto;	/* ethertype, host order */
	uint32_t mark;
};

struct nq_stats {
	uint64_t packets;	/* received */
	uint64_t enobufs;	/* times the socket overflowed (packets lost) */
	uint64_t truncated;	/* packets longer than copy_range */
	uint64_t verdicts;	/* verdict messages sent (batches count once) */
	uint64_t errors;	/* other receive/send errors */
};

/* Bind queue o->num; NULL with errno set (and a logged reason) on failure. */
struct nq *nq_open(const struct nq_opts *o);
void nq_close(struct nq *q);
int nq_fd(const struct nq *q);

/*
 * Read what is waiting without blocking and call cb for every packet.
 * Returns the number of packets handled, 0 when nothing was waiting, -1 on
 * a fatal socket error.  ENOBUFS is counted, never fatal.
 */
typedef void nq_cb(void *ctx, struct nq *q, struct nq_packet *pkt);
int nq_receive(struct nq *q, nq_cb *cb, void *ctx);

/*
 * Optional: called with the payload of the next packet of a receive batch
 * just before cb is called for the one before it, so that the caller can
 * start loading what deciding it will need.  ctx is nq_receive's.
 */
typedef void nq_prefetch_cb(void *ctx, const uint8_t *data, size_t len);
void nq_set_prefetch(struct nq *q, nq_prefetch_cb *fn);

enum nq_verdict { NQ_DROP = 0, NQ_ACCEPT = 1 };

/*
 * Verdicts are gathered and sent together, in one sendmsg, at nq_flush (or
 * when the batch is full).  payload (may be NULL) replaces the packet;
 * mark is applied when set_mark.  The payload replaces the *whole* packet
 * (the kernel trims or grows it to len), so send one only for a packet
 * received whole (len == orig_len).  Verdicts may come in any order and
 * long after the callback (a parked packet): a run of equal plain verdicts
 * becomes one batch message only when no packet still held lies inside it.
 */
void nq_verdict(struct nq *q, uint32_t id, enum nq_verdict v, bool set_mark,
    uint32_t mark, const uint8_t *payload, size_t len);
int nq_flush(struct nq *q);

const struct nq_stats *nq_stats(const struct nq *q);

#endif
