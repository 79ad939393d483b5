/* SPDX-License-Identifier: ISC */
/*
 * pkt-blast: the traffic generator of the gateway benchmarks.  It writes
 * small UDP datagrams as Ethernet frames through an AF_PACKET socket with
 * sendmmsg, as fast as it can (or at -R packets a second), for -t seconds
 * or -n packets, pinned to one CPU.  It counts what it sent, never what
 * arrived: the benchmark counts at the receivers.
 *
 *	pkt-blast [-c CPU] [-t SECONDS] [-n PACKETS] [-R PPS] [-b BATCH]
 *	    [-m hits|random] [-f FLOWS] [-p DPORT] [-l PAYLOAD]
 *	    IFNAME DSTMAC SRCPREFIX DST[,DST...]
 *
 * hits:   FLOWS flows, round robin; flow i comes from the i-th address of
 *         SRCPREFIX (wrapping), source port 10000 + i / addresses, to the
 *         (i mod n)-th DST.  Every packet after the first of its flow is
 *         a flow-cache hit at the gateway.
 * random: every packet from a new address of SRCPREFIX (a bijection of the
 *         packet's number, so no source repeats before the prefix is used
 *         up) and a new source port, to a DST picked at random.
 *
 * Prints sent=, errors=, seconds= and pps= on stdout.
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/addr.h"
#include "lib/monotime.h"
#include "lib/number.h"

#define BATCH_MAX	1024
#define DST_MAX		256
#define FRAME		128	/* bytes per frame slot */
#define HDRS		(ETH_HLEN + 20 + 8)

struct opts {
	int cpu;
	double seconds;
	unsigned long long limit;
	double rate;
	unsigned batch;
	bool random;
	unsigned flows;
	uint16_t dport;
	unsigned payload;
	int ifindex;
	uint8_t mac[6], src_mac[6];
	uint32_t src, src_mask;	/* SRCPREFIX, host order */
	uint32_t dst[DST_MAX];
	unsigned ndst;
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
	fprintf(stderr, "usage: pkt-blast [-c CPU] [-t SECONDS] [-n PACKETS] [-R PPS] "
	    "[-b BATCH]\n\t[-m hits|random] [-f FLOWS] [-p DPORT] [-l PAYLOAD]\n"
	    "\tIFNAME DSTMAC SRCPREFIX DST[,DST...]\n");
	exit(2);
}

static double
now(void)
{
	return (double)mono_ns() / 1e9;
}

/* Seconds or packets a second: a positive decimal, or a usage error. */
static double
decimal(const char *arg)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end || !(v >= 0) || v > 1e9) {
		warnx("%s: not a decimal number of 0 to 1e9", arg);
		usage();
	}
	return v;
}

static uint16_t
ip_csum(const uint8_t *h)
{
	uint32_t s = 0;

	for (int i = 0; i < 20; i += 2)
		s += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void
put32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

static void
put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

/* A whole frame: Ethernet, IPv4 (checksum filled in), UDP without checksum. */
static size_t
frame(const struct opts *o, uint8_t *f, uint32_t src, uint16_t sport, uint32_t dst)
{
	uint8_t *ip = f + ETH_HLEN, *udp = ip + 20;
	size_t iplen = 20 + 8 + o->payload;

	memcpy(f, o->mac, 6);
	memcpy(f + 6, o->src_mac, 6);
	put16(f + 12, ETH_P_IP);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)iplen);
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, ip_csum(ip));
	put16(udp, sport);
	put16(udp + 2, o->dport);
	put16(udp + 4, (uint16_t)(8 + o->payload));
	put16(udp + 6, 0);
	memset(udp + 8, 'p', o->payload);
	return ETH_HLEN + iplen;
}

/* Rewrite source, source port and destination of a frame built above. */
static void
refill(uint8_t *f, uint32_t src, uint16_t sport, uint32_t dst)
{
	uint8_t *ip = f + ETH_HLEN;

	put32(ip + 12, src);
	put32(ip + 16, dst);
	put16(ip + 10, 0);
	put16(ip + 10, ip_csum(ip));
	put16(ip + 20, sport);
}

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void
parse(struct opts *o, int argc, char **argv)
{
	unsigned v[6];
	struct prefix pf;
	char *list, *tok, *save = NULL;

	if (argc != 4)
		usage();
	if ((o->ifindex = (int)if_nametoindex(argv[0])) == 0)
		err(1, "%s", argv[0]);
	if (sscanf(argv[1], "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4],
	    &v[5]) != 6)
		errx(2, "%s: not a MAC address", argv[1]);
	for (int i = 0; i < 6; i++)
		o->mac[i] = (uint8_t)v[i];
	if (prefix_parse(argv[2], strlen(argv[2]), &pf) != ADDR_OK)
		errx(2, "%s: not a prefix", argv[2]);
	o->src = pf.addr;
	o->src_mask = ~prefix_mask(pf.len);
	if ((list = strdup(argv[3])) == NULL)
		err(1, "strdup");
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (o->ndst == DST_MAX)
			errx(2, "more than %d destinations", DST_MAX);
		if (addr_parse(tok, strlen(tok), &o->dst[o->ndst++]) != ADDR_OK)
			errx(2, "%s: not an address", tok);
	}
	free(list);
	if (o->ndst == 0)
		usage();
}

int
main(int argc, char **argv)
{
	struct opts o = { .cpu = -1, .seconds = 1, .batch = 64, .flows = 64,
	    .dport = 9, .payload = 18 };
	static uint8_t arena[BATCH_MAX * FRAME] __attribute__((aligned(64)));
	static struct mmsghdr msg[BATCH_MAX];
	static struct iovec iov[BATCH_MAX];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_halen = ETH_ALEN };
	unsigned long long sent = 0, errors = 0, seq = 0;
	uint8_t *flows = NULL;
	size_t flen = 0;
	double t0, t1, deadline;
	int ch, fd, v;
	unsigned pos = 0;

	while ((ch = getopt(argc, argv, "c:t:n:R:b:m:f:p:l:h")) != -1) {
		switch (ch) {
		case 'c': o.cpu = (int)num_arg(optarg, CPU_SETSIZE - 1, usage); break;
		case 't': o.seconds = decimal(optarg); break;
		case 'n': o.limit = num_arg(optarg, ~0ull, usage); break;
		case 'R': o.rate = decimal(optarg); break;
		case 'b': o.batch = (unsigned)num_arg(optarg, BATCH_MAX, usage); break;
		case 'm':
			if (strcmp(optarg, "random") == 0)
				o.random = true;
			else if (strcmp(optarg, "hits") != 0)
				usage();
			break;
		case 'f': o.flows = (unsigned)num_arg(optarg, 1u << 20, usage); break;
		case 'p': o.dport = (uint16_t)num_arg(optarg, 65535, usage); break;
		case 'l': o.payload = (unsigned)num_arg(optarg, FRAME - HDRS, usage); break;
		default: usage();
		}
	}
	if (o.batch < 1 || o.batch > BATCH_MAX || o.flows < 1 || o.flows > 1u << 20 ||
	    o.payload > FRAME - HDRS || o.seconds <= 0 || o.rate < 0)
		usage();
	parse(&o, argc - optind, argv + optind);
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof set, &set) < 0)
			err(1, "cannot pin to CPU %d", o.cpu);
	}
	/* Protocol 0: the socket sends only, it never receives a copy of traffic. */
	if ((fd = socket(AF_PACKET, SOCK_RAW, 0)) < 0)
		err(1, "AF_PACKET socket");
	v = 4 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
	{
		char path[64], buf[32];
		FILE *f;
		unsigned m[6];

		snprintf(path, sizeof path, "/sys/class/net/%s/address", argv[optind]);
		if ((f = fopen(path, "r")) && fgets(buf, sizeof buf, f) &&
		    sscanf(buf, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
		    &m[5]) == 6)
			for (int i = 0; i < 6; i++)
				o.src_mac[i] = (uint8_t)m[i];
		else
			o.src_mac[0] = 0x02;
		if (f)
			fclose(f);
	}
	sll.sll_protocol = htons(ETH_P_IP);
	sll.sll_ifindex = o.ifindex;
	memcpy(sll.sll_addr, o.mac, 6);

	if (!o.random) {
		/* Every flow's frame, built once; messages point into them. */
		uint32_t naddr = o.src_mask == 0xffffffffu ? o.src_mask : o.src_mask + 1;

		if ((flows = malloc((size_t)o.flows * FRAME)) == NULL)
			err(1, "malloc");
		for (unsigned i = 0; i < o.flows; i++)
			flen = frame(&o, flows + (size_t)i * FRAME,
			    o.src + i % naddr, (uint16_t)(10000 + i / naddr),
			    o.dst[i % o.ndst]);
	} else {
		for (unsigned i = 0; i < o.batch; i++)
			flen = frame(&o, arena + (size_t)i * FRAME, o.src, 1024, o.dst[0]);
	}
	for (unsigned i = 0; i < o.batch; i++) {
		iov[i].iov_len = flen;
		iov[i].iov_base = arena + (size_t)i * FRAME;
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
		msg[i].msg_hdr.msg_name = &sll;
		msg[i].msg_hdr.msg_namelen = sizeof sll;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	t0 = now();
	deadline = t0 + o.seconds;
	while (!stop && (o.limit == 0 || sent < o.limit)) {
		unsigned n = o.batch, done = 0;
		double t = now();
		int r;

		if (t >= deadline)
			break;
		if (o.limit && o.limit - sent < n)
			n = (unsigned)(o.limit - sent);
		if (o.rate > 0 && (double)sent > (t - t0) * o.rate) {
			struct timespec ts = { 0, 20000 };

			nanosleep(&ts, NULL);
			continue;
		}
		for (unsigned i = 0; i < n; i++) {
			if (o.random) {
				/* Odd multipliers permute the low bits. */
				uint32_t x = (uint32_t)((seq + 1) * 0x9e3779b1u);

				refill(arena + (size_t)i * FRAME,
				    o.src | (x & o.src_mask),
				    (uint16_t)(1024 + (x >> 17)),
				    o.dst[rnd() % o.ndst]);
				seq++;
			} else {
				iov[i].iov_base = flows + (size_t)pos * FRAME;
				if (++pos == o.flows)
					pos = 0;
			}
		}
		while (done < n) {
			r = sendmmsg(fd, msg + done, n - done, 0);
			if (r > 0) {
				done += (unsigned)r;
				continue;
			}
			if (r < 0 && errno == EINTR)
				continue;
			/* A full queue or a device that said no: count it, go on. */
			errors += n - done;
			break;
		}
		sent += done;
	}
	t1 = now();
	printf("sent=%llu errors=%llu seconds=%.3f pps=%.0f\n", sent, errors, t1 - t0,
	    t1 > t0 ? (double)sent / (t1 - t0) : 0.0);
	free(flows);
	close(fd);
	return 0;
}
