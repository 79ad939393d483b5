/* SPDX-License-Identifier: ISC */
/*
 * gw-inject: sends odd IPv4 packets out of an interface through afpacket.c,
 * to reach the gateway's queues with what the kernel lets through: valid IP
 * headers (the kernel drops the rest before netfilter) around truncated,
 * overlong and contradictory transport headers, fragments of every shape,
 * ICMP errors quoting garbage, and IP options.
 *
 *	gw-inject [-n count] [-S seed] IFNAME DSTMAC SRC DST
 *
 * Prints sent=N errors=N.  Deterministic for a given seed.
 */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/addr.h"
#include "nfq-gateway/afpacket.h"
#include "engine/packet.h"

static unsigned seed = 1;

static unsigned
rnd(unsigned n)
{
	return (unsigned)rand_r(&seed) % n;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* An IPv4 header the kernel accepts: right version, length and checksum. */
static size_t
ip_header(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto, size_t optlen,
    size_t l4len, uint16_t frag)
{
	size_t ihl = 20 + optlen;

	memset(p, 0, ihl);
	p[0] = (uint8_t)(0x40 | ihl / 4);
	put16(p + 2, (uint16_t)(ihl + l4len));
	put16(p + 4, (uint16_t)rnd(65536));
	put16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	put32(p + 12, src);
	put32(p + 16, dst);
	for (size_t i = 20; i < ihl; i++)
		p[i] = (uint8_t)rnd(256);
	if (optlen)
		p[20] = 1;	/* NOP first: options the kernel will parse */
	{
		uint16_t c = csum_buf(p, ihl);	/* as stored: network order */

		memcpy(p + 10, &c, 2);
	}
	return ihl;
}

static size_t
odd_packet(uint8_t *p, uint32_t src, uint32_t dst)
{
	static const uint8_t protos[] = { 6, 17, 1 };
	uint8_t proto = protos[rnd(3)];
	size_t l4 = rnd(48), ihl, n;
	uint16_t frag = 0;

	switch (rnd(6)) {
	case 0:	/* the transport header cut short */
		l4 = rnd(proto == 6 ? 20 : 8);
		break;
	case 1:	/* a first fragment too short for its ports */
		frag = 0x2000;
		l4 = rnd(8) + 1;
		break;
	case 2:	/* a later fragment, odd offset and size */
		frag = (uint16_t)(rnd(0x1fff) + 1) | (rnd(2) ? 0x2000 : 0);
		l4 = rnd(64) + 1;
		break;
	case 3:	/* an ICMP error quoting whatever */
		proto = 1;
		l4 = 8 + rnd(40);
		break;
	default:
		break;
	}
	ihl = ip_header(p, src, dst, proto, rnd(4) == 0 ? 4 * (rnd(10) + 1) : 0, l4, frag);
	for (size_t i = 0; i < l4; i++)
		p[ihl + i] = (uint8_t)rnd(256);
	if (proto == 6 && l4 >= 14)
		p[ihl + 12] = (uint8_t)(rnd(16) << 4);	/* any data offset */
	if (proto == 1 && l4 >= 1 && rnd(2))
		p[ihl] = (uint8_t)(rnd(2) ? 3 : 11);	/* unreachable, time exceeded */
	if (proto == 17 && l4 >= 6)
		put16(p + ihl + 4, (uint16_t)rnd(128));	/* any UDP length */
	n = ihl + l4;
	return n;
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

int
main(int argc, char **argv)
{
	uint8_t dmac[6], smac[6], pkt[256];
	uint32_t src, dst;
	int ifindex, c;
	long count = 1000;
	struct tx *t;

	while ((c = getopt(argc, argv, "n:S:")) != -1) {
		switch (c) {
		case 'n': count = strtol(optarg, NULL, 10); break;
		case 'S': seed = (unsigned)strtoul(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (argc - optind != 4)
		goto usage;
	if (tx_ifinfo(argv[optind], &ifindex, smac) < 0)
		err(1, "%s", argv[optind]);
	if (parse_mac(argv[optind + 1], dmac) < 0 ||
	    addr_parse(argv[optind + 2], strlen(argv[optind + 2]), &src) != ADDR_OK ||
	    addr_parse(argv[optind + 3], strlen(argv[optind + 3]), &dst) != ADDR_OK)
		goto usage;
	if ((t = tx_open()) == NULL)
		err(1, "AF_PACKET socket");
	for (long i = 0; i < count; i++) {
		size_t n = odd_packet(pkt, src, dst);

		tx_send(t, ifindex, dmac, smac, pkt, n);
		if (i % 64 == 63)
			tx_flush(t);
	}
	tx_flush(t);
	printf("sent=%llu errors=%llu\n", (unsigned long long)tx_stats(t)->sent,
	    (unsigned long long)tx_stats(t)->errors);
	tx_close(t);
	return 0;
usage:
	fprintf(stderr, "usage: gw-inject [-n count] [-S seed] IFNAME DSTMAC SRC DST\n");
	return 2;
}
