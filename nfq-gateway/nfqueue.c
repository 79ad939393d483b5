/* SPDX-License-Identifier: ISC */
/*
 * One NFQUEUE queue over libnetfilter_queue's libmnl interface.
 *
 * What the kernel does for us, and what we rely on:
 * - The queue is configured in a single NFQNL_MSG_CONFIG message: bind,
 *   copy mode and range, maximum length, and the flags as one
 *   NFQA_CFG_FLAGS / NFQA_CFG_MASK pair (the kernel wants both or neither).
 *   The mask names NFQA_CFG_F_FAIL_OPEN and NFQA_CFG_F_GSO with both bits
 *   clear: a full queue drops instead of accepting, and GSO packets are
 *   segmented, their checksums completed, before we see them, so what we
 *   rewrite incrementally and deliver is MTU-sized and fully summed.
 * - Packet ids increase by one per queued packet and reach us in order; an
 *   id we never see was lost on the way (ENOBUFS) and the kernel already
 *   dropped it (fail-open is off).
 * - NFQNL_MSG_VERDICT_BATCH gives one verdict (and mark) to *every* packet
 *   still held whose id is not after the given one.  We send it only when
 *   every packet we hold up to that id has been given that very verdict;
 *   otherwise the verdicts go one by one.  Messages of one sendmsg are
 *   handled in order, so earlier verdicts in the buffer are done first.
 * - NETLINK_NO_ENOBUFS is deliberately not set: an overflowing socket
 *   reports ENOBUFS, which we count, and receiving goes on.
 * - A failed verdict (an unknown id) comes back as an NLMSG_ERROR; with
 *   NETLINK_CAP_ACK it does not echo the payload we sent.
 */
#include "nfqueue.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"

#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

#define MAX_COPY	(0xffffu - NLA_HDRLEN)	/* the kernel's NFQNL_MAX_COPY_RANGE */
#define MSG_OVERHEAD	2048	/* netlink and attribute headers around a packet */
#define RX_ARENA	(2u << 20)	/* bytes of receive buffers */
#define RX_MIN		4
#define RX_MAX		256
#define TX_CAP		(256u << 10)	/* one sendmsg of verdicts */
#define RUN_MAX		1024	/* verdicts one batch message may stand for */
#define RING_MAX	(1u << 20)
#define BIND_TIMEOUT_MS	5000

/* Ids received and not yet given a verdict, oldest first. */
struct ring {
	uint32_t *id;
	uint8_t *done;
	uint32_t cap, head, count;
	bool overflowed;	/* an id went untracked: batches are off */
};

/* Consecutive plain verdicts that may become one batch message. */
struct run {
	uint32_t id[RUN_MAX];
	unsigned n;
	enum nq_verdict v;
	bool set_mark;
	uint32_t mark;
};

struct nq {
	struct mnl_socket *nl;
	int fd;
	uint16_t num;
	uint32_t seq;
	struct nq_stats st;

	size_t rx_size;		/* bytes per receive buffer */
	unsigned rx_n;
	uint8_t *rx_arena;
	struct mmsghdr *rx_msg;
	struct iovec *rx_iov;

	uint8_t *tx;
	size_t tx_len, tx_cap;

	struct ring ring;
	struct run run;

	/* The packets of one receive round, parsed, waiting for the callback. */
	struct nq_packet *batch;
	unsigned nbatch;
	nq_prefetch_cb *prefetch;
};

/* Serial order of 32-bit ids, as the kernel compares them. */
static inline bool
id_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* ---- outstanding ids ------------------------------------------------ */

static void
ring_push(struct ring *r, uint32_t id)
{
	uint32_t i;

	if (r->count == r->cap) {
		if (!r->overflowed)
			log_warnx("nfqueue: more packets held than tracked (%u): "
			    "verdicts are no longer batched", r->cap);
		r->overflowed = true;
		return;
	}
	i = (r->head + r->count) % r->cap;
	r->id[i] = id;
	r->done[i] = 0;
	r->count++;
}

/* Mark id as given a verdict; binary search, the oldest checked first. */
static void
ring_done(struct ring *r, uint32_t id)
{
	uint32_t lo = 0, hi = r->count, mid, i;

	if (r->count == 0)
		return;
	if (r->id[r->head] == id) {
		r->done[r->head] = 1;
	} else {
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			i = (r->head + mid) % r->cap;
			if (r->id[i] == id) {
				r->done[i] = 1;
				break;
			}
			if (id_after(id, r->id[i]))
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	while (r->count && r->done[r->head]) {
		r->head = (r->head + 1) % r->cap;
		r->count--;
	}
}

/* May a batch verdict up to id be sent: nothing before it still waits? */
static bool
ring_clear_upto(const struct ring *r, uint32_t id)
{
	uint32_t i;

	if (r->overflowed)
		return false;
	/* After ring_done the head, if any, is a packet still waiting. */
	for (i = 0; i < r->count; i++) {
		uint32_t k = (r->head + i) % r->cap;

		if (!r->done[k])
			return id_after(r->id[k], id);
	}
	return true;
}

/* ---- sending verdicts ----------------------------------------------- */

static int
tx_send_buf(struct nq *q)
{
	ssize_t n;

	if (q->tx_len == 0)
		return 0;
	do
		n = mnl_socket_sendto(q->nl, q->tx, q->tx_len);
	while (n < 0 && errno == EINTR);
	q->tx_len = 0;
	if (n < 0) {
		q->st.errors++;
		log_warn("nfqueue %u: sending verdicts", q->num);
		return -1;
	}
	return 0;
}

/* Room for one message of need bytes, flushing what is gathered if not. */
static struct nlmsghdr *
tx_room(struct nq *q, int type, size_t need)
{
	struct nlmsghdr *nlh;

	if (q->tx_len + need > q->tx_cap)
		tx_send_buf(q);
	if (need > q->tx_cap)
		return NULL;
	nlh = nfq_nlmsg_put((char *)q->tx + q->tx_len, type, q->num);
	nlh->nlmsg_seq = ++q->seq;
	return nlh;
}

static void
tx_commit(struct nq *q, struct nlmsghdr *nlh)
{
	q->tx_len += nlh->nlmsg_len;
	q->st.verdicts++;
}

#define VERDICT_MSG_SIZE \
	(MNL_ALIGN(sizeof(struct nlmsghdr)) + MNL_ALIGN(sizeof(struct nfgenmsg)) + \
	 MNL_ATTR_HDRLEN + MNL_ALIGN(sizeof(struct nfqnl_msg_verdict_hdr)) + \
	 MNL_ATTR_HDRLEN + MNL_ALIGN(sizeof(uint32_t)))

static void
put_verdict(struct nq *q, int type, uint32_t id, enum nq_verdict v,
    bool set_mark, uint32_t mark, const uint8_t *payload, size_t len)
{
	size_t need = VERDICT_MSG_SIZE;
	struct nlmsghdr *nlh = NULL;

	if (payload)
		need += MNL_ATTR_HDRLEN + MNL_ALIGN(len);
	/* An attribute's length is 16 bits, header included. */
	if (!payload || len <= MAX_COPY)
		nlh = tx_room(q, type, need);
	if (nlh == NULL) {
		/* A payload that cannot be sent is never accepted unchanged. */
		q->st.errors++;
		if (payload)
			put_verdict(q, type, id, NQ_DROP, false, 0, NULL, 0);
		return;
	}
	nfq_nlmsg_verdict_put(nlh, (int)id, v == NQ_ACCEPT ? NF_ACCEPT : NF_DROP);
	if (set_mark)
		nfq_nlmsg_verdict_put_mark(nlh, mark);
	if (payload)
		nfq_nlmsg_verdict_put_pkt(nlh, payload, (uint32_t)len);
	tx_commit(q, nlh);
}

/* Write the gathered run: one batch message when that is safe. */
static void
run_flush(struct nq *q)
{
	struct run *r = &q->run;
	unsigned i;

	if (r->n == 0)
		return;
	if (r->n > 1 && ring_clear_upto(&q->ring, r->id[r->n - 1])) {
		put_verdict(q, NFQNL_MSG_VERDICT_BATCH, r->id[r->n - 1], r->v,
		    r->set_mark, r->mark, NULL, 0);
	} else {
		for (i = 0; i < r->n; i++)
			put_verdict(q, NFQNL_MSG_VERDICT, r->id[i], r->v,
			    r->set_mark, r->mark, NULL, 0);
	}
	r->n = 0;
}

static bool
run_extends(const struct run *r, uint32_t id, enum nq_verdict v, bool set_mark,
    uint32_t mark)
{
	return r->n > 0 && r->n < RUN_MAX && r->v == v &&
	    r->set_mark == set_mark && (!set_mark || r->mark == mark) &&
	    id_after(id, r->id[r->n - 1]);
}

void
nq_verdict(struct nq *q, uint32_t id, enum nq_verdict v, bool set_mark,
    uint32_t mark, const uint8_t *payload, size_t len)
{
	struct run *r = &q->run;

	if (payload == NULL && run_extends(r, id, v, set_mark, mark)) {
		r->id[r->n++] = id;
		ring_done(&q->ring, id);
		return;
	}
	/* The run is judged before this id counts as answered. */
	run_flush(q);
	ring_done(&q->ring, id);
	if (payload) {
		put_verdict(q, NFQNL_MSG_VERDICT, id, v, set_mark, mark, payload, len);
		return;
	}
	r->id[0] = id;
	r->n = 1;
	r->v = v;
	r->set_mark = set_mark;
	r->mark = mark;
}

int
nq_flush(struct nq *q)
{
	run_flush(q);
	return tx_send_buf(q);
}

/* ---- receiving ------------------------------------------------------ */

static void
handle_error_msg(struct nq *q, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof *e) || e->error == 0)
		return;
	q->st.errors++;
	log_debug("nfqueue %u: kernel refused message %u: %s", q->num,
	    e->msg.nlmsg_seq, strerror(-e->error));
}

/*
 * The attributes of one packet message, by type.  One pass over them with
 * no per-attribute callback: this runs for every packet.  mnl_attr_for_each
 * checks that each attribute lies inside the message; the lengths of the
 * ones we read are checked here.
 */
static void
packet_attrs(const struct nlmsghdr *nlh, const struct nlattr *attr[NFQA_MAX + 1])
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		uint16_t type = mnl_attr_get_type(a);

		if (type <= NFQA_MAX)
			attr[type] = a;
	}
}

/* A 32-bit attribute's value in host order, if it is there and whole. */
static bool
attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (a == NULL || mnl_attr_get_payload_len(a) < sizeof(uint32_t))
		return false;
	*v = ntohl(mnl_attr_get_u32(a));
	return true;
}

/* Parse one packet message into *pkt; 1 when it is a packet to decide. */
static int
parse_packet(struct nq *q, const struct nlmsghdr *nlh, struct nq_packet *pkt)
{
	const struct nlattr *attr[NFQA_MAX + 1] = { NULL };
	const struct nfqnl_msg_packet_hdr *ph;
	uint32_t v;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nfgenmsg))) {
		q->st.errors++;
		return 0;
	}
	packet_attrs(nlh, attr);
	if (attr[NFQA_PACKET_HDR] == NULL ||
	    mnl_attr_get_payload_len(attr[NFQA_PACKET_HDR]) < sizeof *ph) {
		q->st.errors++;
		return 0;
	}
	ph = mnl_attr_get_payload(attr[NFQA_PACKET_HDR]);
	memset(pkt, 0, sizeof *pkt);
	pkt->id = ntohl(ph->packet_id);
	pkt->hw_proto = ntohs(ph->hw_protocol);
	if (attr[NFQA_PAYLOAD]) {
		pkt->data = mnl_attr_get_payload(attr[NFQA_PAYLOAD]);
		pkt->len = mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]);
	}
	pkt->orig_len = pkt->len;
	if (attr_u32(attr[NFQA_CAP_LEN], &v)) {
		pkt->orig_len = v;
		if (pkt->orig_len > pkt->len)
			q->st.truncated++;
	}
	if (attr_u32(attr[NFQA_IFINDEX_INDEV], &v))
		pkt->indev = v;
	if (attr_u32(attr[NFQA_MARK], &v))
		pkt->mark = v;
	q->st.packets++;
	ring_push(&q->ring, pkt->id);
	return 1;
}

/* A packet that nobody decides (before the queue is configured): dropped. */
static void
drop_packet(struct nq *q, const struct nlmsghdr *nlh)
{
	struct nq_packet pkt;

	if (parse_packet(q, nlh, &pkt))
		nq_verdict(q, pkt.id, NQ_DROP, false, 0, NULL, 0);
}

/*
 * Hand the parsed packets to cb in order; before each, the next one's
 * payload goes to the prefetch hook, so that what deciding it needs loads
 * while this one is decided.
 */
static int
deliver_batch(struct nq *q, nq_cb *cb, void *ctx)
{
	unsigned i, n = q->nbatch;

	for (i = 0; i < n; i++) {
		if (q->prefetch && i + 1 < n)
			q->prefetch(ctx, q->batch[i + 1].data, q->batch[i + 1].len);
		cb(ctx, q, &q->batch[i]);
	}
	q->nbatch = 0;
	return (int)n;
}

/*
 * A datagram cut by our buffer: the packet header is the first attribute,
 * so its id can still be read and the packet dropped rather than held
 * forever.
 */
static void
handle_cut(struct nq *q, const uint8_t *b, size_t len)
{
	size_t off = MNL_ALIGN(sizeof(struct nlmsghdr)) + MNL_ALIGN(sizeof(struct nfgenmsg));
	const struct nlattr *a = (const struct nlattr *)(b + off);
	struct nfqnl_msg_packet_hdr ph;

	q->st.errors++;
	if (len < off + MNL_ATTR_HDRLEN + sizeof ph ||
	    mnl_attr_get_type(a) != NFQA_PACKET_HDR)
		return;
	memcpy(&ph, b + off + MNL_ATTR_HDRLEN, sizeof ph);
	q->st.packets++;
	ring_push(&q->ring, ntohl(ph.packet_id));
	nq_verdict(q, ntohl(ph.packet_id), NQ_DROP, false, 0, NULL, 0);
}

/* Parse a datagram's packets into the batch; returns packets handed to cb. */
static int
handle_datagram(struct nq *q, uint8_t *b, size_t len, int flags, nq_cb *cb,
    void *ctx)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)b;
	int len_left = (int)len, n = 0;

	if (flags & MSG_TRUNC) {
		/* In order: what came before it is decided first. */
		n = deliver_batch(q, cb, ctx);
		handle_cut(q, b, len);
		return n;
	}
	for (; mnl_nlmsg_ok(nlh, len_left); nlh = mnl_nlmsg_next(nlh, &len_left)) {
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			handle_error_msg(q, nlh);
		} else if (nlh->nlmsg_type ==
		    ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) {
			if (q->nbatch == q->rx_n)
				n += deliver_batch(q, cb, ctx);
			q->nbatch += (unsigned)parse_packet(q, nlh, &q->batch[q->nbatch]);
		}
	}
	return n;
}

void
nq_set_prefetch(struct nq *q, nq_prefetch_cb *fn)
{
	q->prefetch = fn;
}

int
nq_receive(struct nq *q, nq_cb *cb, void *ctx)
{
	unsigned i, budget = q->rx_n * 8;
	int handled = 0, got;

	for (;;) {
		for (i = 0; i < q->rx_n; i++)
			q->rx_msg[i].msg_hdr.msg_flags = 0;
		got = recvmmsg(q->fd, q->rx_msg, q->rx_n, MSG_DONTWAIT, NULL);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* Packets were lost (and dropped by the kernel). */
				q->st.enobufs++;
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return handled;
			q->st.errors++;
			log_warn("nfqueue %u: receive", q->num);
			return -1;
		}
		/* Parse the round, then decide it: the buffers stay ours until
		 * the next recvmmsg. */
		for (i = 0; i < (unsigned)got; i++)
			handled += handle_datagram(q, q->rx_arena + i * q->rx_size,
			    q->rx_msg[i].msg_len, q->rx_msg[i].msg_hdr.msg_flags,
			    cb, ctx);
		handled += deliver_batch(q, cb, ctx);
		if ((unsigned)got < q->rx_n || (unsigned)handled >= budget)
			return handled;
	}
}

/* ---- setting up ----------------------------------------------------- */

static void
set_buf(struct nq *q, int force_opt, int opt, uint32_t bytes, const char *what)
{
	int v = (int)(bytes > 0x7fffffff ? 0x7fffffff : bytes);

	if (setsockopt(q->fd, SOL_SOCKET, force_opt, &v, sizeof v) == 0)
		return;
	log_warn("nfqueue %u: %s of %u bytes (SO_%sFORCE), trying the limit",
	    q->num, what, bytes, what);
	setsockopt(q->fd, SOL_SOCKET, opt, &v, sizeof v);
}

/* Bind and configure the queue in one message, and wait for its ack. */
static int
configure(struct nq *q, const struct nq_opts *o)
{
	char buf[512] __attribute__((aligned(8)));
	uint32_t range = o->copy_range == 0 || o->copy_range > MAX_COPY ?
	    MAX_COPY : o->copy_range;
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, o->num);
	uint32_t seq = ++q->seq;
	struct pollfd pfd = { .fd = q->fd, .events = POLLIN };

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)range);
	if (o->maxlen)
		nfq_nlmsg_cfg_put_qmaxlen(nlh, o->maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(0));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK,
	    htonl(NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO));
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;

	/* Packets may already arrive before the ack: they are dropped. */
	for (;;) {
		const struct nlmsghdr *m;
		const struct nlmsgerr *e;
		ssize_t n;
		int left;

		if (poll(&pfd, 1, BIND_TIMEOUT_MS) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = recv(q->fd, q->rx_arena, q->rx_size, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ENOBUFS)
				continue;
			return -1;
		}
		left = (int)n;
		for (m = (const struct nlmsghdr *)q->rx_arena; mnl_nlmsg_ok(m, left);
		    m = mnl_nlmsg_next(m, &left)) {
			if (m->nlmsg_type != NLMSG_ERROR) {
				drop_packet(q, m);
				continue;
			}
			e = mnl_nlmsg_get_payload(m);
			if (e->msg.nlmsg_seq != seq)
				continue;
			if (e->error == 0)
				return nq_flush(q);
			errno = -e->error;
			return -1;
		}
	}
}

static int
alloc_buffers(struct nq *q, const struct nq_opts *o)
{
	uint32_t range = o->copy_range == 0 || o->copy_range > MAX_COPY ?
	    MAX_COPY : o->copy_range;
	unsigned i;
	int sndbuf = 0;
	socklen_t sl = sizeof sndbuf;

	q->rx_size = (range + MSG_OVERHEAD + 63) & ~(size_t)63;
	q->rx_n = RX_ARENA / q->rx_size;
	if (q->rx_n < RX_MIN)
		q->rx_n = RX_MIN;
	if (q->rx_n > RX_MAX)
		q->rx_n = RX_MAX;
	q->rx_arena = aligned_alloc(64, q->rx_n * q->rx_size);
	q->rx_msg = calloc(q->rx_n, sizeof *q->rx_msg);
	q->rx_iov = calloc(q->rx_n, sizeof *q->rx_iov);
	q->batch = calloc(q->rx_n, sizeof *q->batch);
	if (!q->rx_arena || !q->rx_msg || !q->rx_iov || !q->batch)
		return -1;
	for (i = 0; i < q->rx_n; i++) {
		q->rx_iov[i].iov_base = q->rx_arena + i * q->rx_size;
		q->rx_iov[i].iov_len = q->rx_size;
		q->rx_msg[i].msg_hdr.msg_iov = &q->rx_iov[i];
		q->rx_msg[i].msg_hdr.msg_iovlen = 1;
	}

	/* The kernel takes one sendmsg only if it fits the send buffer. */
	set_buf(q, SO_SNDBUFFORCE, SO_SNDBUF, 2 * TX_CAP, "SNDBUF");
	q->tx_cap = TX_CAP;
	if (getsockopt(q->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl) == 0 &&
	    (size_t)sndbuf < TX_CAP + 64)
		q->tx_cap = (size_t)sndbuf > 4096 ? (size_t)sndbuf - 64 : 4096;
	q->tx = aligned_alloc(64, TX_CAP);

	q->ring.cap = o->maxlen ? o->maxlen : 1024;	/* the kernel's default */
	if (q->ring.cap > RING_MAX)
		q->ring.cap = RING_MAX;
	q->ring.id = calloc(q->ring.cap, sizeof *q->ring.id);
	q->ring.done = calloc(q->ring.cap, 1);
	return q->tx && q->ring.id && q->ring.done ? 0 : -1;
}

struct nq *
nq_open(const struct nq_opts *o)
{
	struct nq *q = calloc(1, sizeof *q);
	int one = 1, saved;

	if (q == NULL)
		return NULL;
	q->num = o->num;
	q->fd = -1;
	q->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (q->nl == NULL) {
		log_warn("nfqueue %u: netlink socket", o->num);
		goto fail;
	}
	q->fd = mnl_socket_get_fd(q->nl);
	if (mnl_socket_bind(q->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		log_warn("nfqueue %u: netlink bind", o->num);
		goto fail;
	}
	if (o->rcvbuf)
		set_buf(q, SO_RCVBUFFORCE, SO_RCVBUF, o->rcvbuf, "RCVBUF");
	/* Error acks need not echo a whole packet back. */
	setsockopt(q->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
	if (alloc_buffers(q, o) < 0) {
		log_warn("nfqueue %u: buffers", o->num);
		goto fail;
	}
	if (configure(q, o) < 0) {
		/* The kernel says EPERM, not EBUSY, for a queue someone else holds. */
		if (errno == EPERM)
			log_warnx("nfqueue %u: bind refused: the queue is bound by "
			    "another process, or CAP_NET_ADMIN is missing", o->num);
		else
			log_warn("nfqueue %u: bind to the queue", o->num);
		goto fail;
	}
	return q;
fail:
	saved = errno;
	nq_close(q);
	errno = saved;
	return NULL;
}

void
nq_close(struct nq *q)
{
	if (q == NULL)
		return;
	/* Closing the socket unbinds: the kernel drops what we still hold. */
	if (q->nl)
		mnl_socket_close(q->nl);
	free(q->rx_arena);
	free(q->rx_msg);
	free(q->rx_iov);
	free(q->batch);
	free(q->tx);
	free(q->ring.id);
	free(q->ring.done);
	free(q);
}

int
nq_fd(const struct nq *q)
{
	return q->fd;
}

const struct nq_stats *
nq_stats(const struct nq *q)
{
	return &q->st;
}
