/* SPDX-License-Identifier: ISC */
/*
 * nfq-ceiling: the bare accept-all NFQUEUE consumer the gateway is measured
 * against.  It does the least work the path allows: recvmmsg of every
 * packet waiting, nothing read but each packet's id, and one
 * NFQNL_MSG_VERDICT_BATCH accepting everything up to the highest id seen
 * per round (safe here: every packet gets the same verdict).
 *
 *	nfq-ceiling [-g] [-m batch|each] [-q num] [-l maxlen] [-c copy_range]
 *	    [-r rcvbuf] [-b vlen] [-n packets] [-t seconds] [-R readyfile]
 *
 * -m each sends one verdict message per packet (still one sendmsg per
 * round), to show what batching buys.  -g sets NFQA_CFG_F_GSO, which the
 * gateway does not.  It stops after -n packets, -t seconds, or SIGINT/TERM,
 * and prints packets=, enobufs=, verdict_msgs=, seconds= and pps= on stdout.
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_VLEN	1024
#define TX_CAP		(1u << 20)

struct opts {
	uint16_t num;
	uint32_t maxlen, copy_range, rcvbuf;
	unsigned vlen;
	bool gso, each;
	unsigned long limit;
	double seconds;
	const char *ready;
};

struct counters {
	unsigned long long packets, enobufs, verdict_msgs;
};

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: nfq-ceiling [-g] [-m batch|each] [-q num] [-l maxlen] "
	    "[-c copy_range]\n\t[-r rcvbuf] [-b vlen] [-n packets] [-t seconds] "
	    "[-R readyfile]\n");
	exit(2);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Send one message and wait for its ack. */
static void
config(struct mnl_socket *nl, const struct opts *o)
{
	char buf[512] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, o->num);
	char rx[70000] __attribute__((aligned(8)));
	ssize_t n;
	int rc;

	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND);
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, (int)o->copy_range);
	nfq_nlmsg_cfg_put_qmaxlen(nlh, o->maxlen);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(o->gso ? NFQA_CFG_F_GSO : 0));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		err(1, "queue %u: send config", o->num);
	/*
	 * Packets may come before the ack; they stay held until the first
	 * batch verdict, which covers every id up to its own.
	 */
	for (;;) {
		n = mnl_socket_recvfrom(nl, rx, sizeof rx);
		if (n < 0)
			err(1, "queue %u: receive ack", o->num);
		rc = mnl_cb_run(rx, (size_t)n, 1, mnl_socket_get_portid(nl), NULL, NULL);
		if (rc < 0)
			err(1, "queue %u: bind", o->num);
		if (rc == MNL_CB_STOP)
			return;
	}
}

/* The packet id of one NFQNL_MSG_PACKET message, or false. */
static bool
packet_id(const struct nlmsghdr *nlh, uint32_t *id)
{
	const struct nlattr *a;

	if (nlh->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
		return false;
	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(a) == NFQA_PACKET_HDR &&
		    mnl_attr_get_payload_len(a) >= sizeof(struct nfqnl_msg_packet_hdr)) {
			const struct nfqnl_msg_packet_hdr *ph = mnl_attr_get_payload(a);

			*id = ntohl(ph->packet_id);
			return true;
		}
	}
	return false;
}

static void
put_verdict(char *tx, size_t *len, int type, uint16_t num, uint32_t id)
{
	struct nlmsghdr *nlh = nfq_nlmsg_put(tx + *len, type, num);

	nfq_nlmsg_verdict_put(nlh, (int)id, NF_ACCEPT);
	*len += nlh->nlmsg_len;
}

static void
run(struct mnl_socket *nl, const struct opts *o, struct counters *c)
{
	size_t bufsz = (o->copy_range + 1024 + 63) & ~(size_t)63, txlen;
	char *arena = aligned_alloc(64, bufsz * o->vlen);
	char *tx = aligned_alloc(64, TX_CAP);
	struct mmsghdr *msg = calloc(o->vlen, sizeof *msg);
	struct iovec *iov = calloc(o->vlen, sizeof *iov);
	int fd = mnl_socket_get_fd(nl), got, i, left;
	uint32_t id, max = 0;
	bool any;

	if (!arena || !tx || !msg || !iov)
		err(1, "buffers");
	for (i = 0; i < (int)o->vlen; i++) {
		iov[i].iov_base = arena + (size_t)i * bufsz;
		iov[i].iov_len = bufsz;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	while (!stop && (o->limit == 0 || c->packets < o->limit)) {
		got = recvmmsg(fd, msg, o->vlen, MSG_WAITFORONE, NULL);
		if (got < 0) {
			if (errno == ENOBUFS)
				c->enobufs++;
			else if (errno != EINTR)
				err(1, "recvmmsg");
			continue;
		}
		any = false;
		txlen = 0;
		for (i = 0; i < got; i++) {
			const struct nlmsghdr *nlh = iov[i].iov_base;

			for (left = (int)msg[i].msg_len; mnl_nlmsg_ok(nlh, left);
			    nlh = mnl_nlmsg_next(nlh, &left)) {
				if (!packet_id(nlh, &id))
					continue;
				c->packets++;
				if (o->each) {
					put_verdict(tx, &txlen, NFQNL_MSG_VERDICT, o->num, id);
					c->verdict_msgs++;
				}
				max = id;
				any = true;
			}
		}
		if (any && !o->each) {
			put_verdict(tx, &txlen, NFQNL_MSG_VERDICT_BATCH, o->num, max);
			c->verdict_msgs++;
		}
		if (txlen && mnl_socket_sendto(nl, tx, txlen) < 0)
			err(1, "verdicts");
	}
	free(arena);
	free(tx);
	free(msg);
	free(iov);
}

int
main(int argc, char **argv)
{
	struct opts o = { .maxlen = 65536, .copy_range = 128, .rcvbuf = 64u << 20,
	    .vlen = 64 };
	struct counters c = { 0 };
	struct sigaction sa;
	struct mnl_socket *nl;
	double t0, t1;
	int ch, fd, v;

	while ((ch = getopt(argc, argv, "gm:q:l:c:r:b:n:t:R:h")) != -1) {
		switch (ch) {
		case 'g': o.gso = true; break;
		case 'm':
			if (strcmp(optarg, "each") == 0)
				o.each = true;
			else if (strcmp(optarg, "batch") != 0)
				usage();
			break;
		case 'q': o.num = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'l': o.maxlen = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'c': o.copy_range = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'r': o.rcvbuf = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'b': o.vlen = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'n': o.limit = strtoul(optarg, NULL, 0); break;
		case 't': o.seconds = atof(optarg); break;
		case 'R': o.ready = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || o.vlen == 0 || o.vlen > MAX_VLEN ||
	    o.copy_range == 0 || o.copy_range > 0xffff - NLA_HDRLEN)
		usage();
	/* Verdicts of one round must fit one sendmsg. */
	if (o.each && (size_t)o.vlen * 64 > TX_CAP)
		usage();

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);

	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (nl == NULL)
		err(1, "netlink socket");
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		err(1, "netlink bind");
	v = (int)o.rcvbuf;
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v) < 0)
		warn("SO_RCVBUFFORCE");
	v = 2 * TX_CAP;
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v);
	config(nl, &o);
	if (o.ready) {
		fd = open(o.ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			err(1, "%s", o.ready);
		close(fd);
	}
	if (o.seconds > 0)
		alarm((unsigned)(o.seconds + 0.999));

	t0 = now();
	run(nl, &o, &c);
	t1 = now();
	printf("packets=%llu enobufs=%llu verdict_msgs=%llu seconds=%.3f pps=%.0f\n",
	    c.packets, c.enobufs, c.verdict_msgs, t1 - t0,
	    t1 > t0 ? (double)c.packets / (t1 - t0) : 0.0);
	mnl_socket_close(nl);
	return 0;
}
