/* SPDX-License-Identifier: ISC */
/*
 * gw-tx: sends UDP datagrams out of host interfaces through afpacket.c, the
 * way the gateway delivers to clones.
 *
 *	gw-tx -i IFNAME
 *	gw-tx [-n rounds] [-s size] IFNAME DSTMAC SRC:SPORT DST:DPORT [...]
 *
 * -i prints the interface's index and MAC (tx_ifinfo).  Otherwise each
 * round queues one datagram per destination (four arguments each), all
 * rounds are flushed together at the end, and the counters are printed as
 * key=value.  The payload is "gw-tx R" padded with dots to size bytes.
 */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "nfq-gateway/afpacket.h"
#include "engine/packet.h"

struct dest {
	int ifindex;
	uint8_t src_mac[6], dst_mac[6];
	uint32_t src, dst;
	uint16_t sport, dport;
};

static void
usage(void)
{
	fprintf(stderr, "usage: gw-tx -i IFNAME\n"
	    "       gw-tx [-n rounds] [-s size] IFNAME DSTMAC SRC:SPORT DST:DPORT ...\n");
	exit(2);
}

static int
parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4],
	    &v[5]) != 6)
		return -1;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int
parse_ep(const char *s, uint32_t *a, uint16_t *port)
{
	const char *c = strchr(s, ':');

	if (!c || addr_parse(s, (size_t)(c - s), a) != ADDR_OK)
		return -1;
	*port = (uint16_t)atoi(c + 1);
	return 0;
}

int
main(int argc, char **argv)
{
	static uint8_t pkt[70000], payload[66000];
	unsigned long rounds = 1, r;
	size_t size = 0, len, plen;
	struct dest *d;
	const struct tx_stats *st;
	struct tx *t;
	int ch, i, nd, ifindex;
	uint8_t mac[6];

	while ((ch = getopt(argc, argv, "i:n:s:h")) != -1) {
		switch (ch) {
		case 'i':
			if (tx_ifinfo(optarg, &ifindex, mac) < 0)
				err(1, "%s", optarg);
			printf("ifindex=%d mac=%02x:%02x:%02x:%02x:%02x:%02x\n", ifindex,
			    mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
			return 0;
		case 'n': rounds = strtoul(optarg, NULL, 0); break;
		case 's': size = strtoul(optarg, NULL, 0); break;
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0 || argc % 4 || size > sizeof payload)
		usage();
	nd = argc / 4;
	d = calloc((size_t)nd, sizeof *d);
	if (!d)
		err(1, "calloc");
	for (i = 0; i < nd; i++) {
		char **a = argv + 4 * i;

		if (tx_ifinfo(a[0], &d[i].ifindex, d[i].src_mac) < 0)
			err(1, "%s", a[0]);
		if (parse_mac(a[1], d[i].dst_mac) < 0 ||
		    parse_ep(a[2], &d[i].src, &d[i].sport) < 0 ||
		    parse_ep(a[3], &d[i].dst, &d[i].dport) < 0)
			usage();
	}
	t = tx_open();
	if (!t)
		err(1, "tx_open");
	for (r = 0; r < rounds; r++)
		for (i = 0; i < nd; i++) {
			plen = (size_t)snprintf((char *)payload, sizeof payload,
			    "gw-tx %lu", r);
			if (size > plen) {
				memset(payload + plen, '.', size - plen);
				plen = size;
			}
			len = pkt_build_udp(d[i].src, d[i].sport, d[i].dst, d[i].dport,
			    payload, plen, pkt, sizeof pkt);
			if (len == 0)
				errx(1, "datagram of %zu bytes does not fit", plen);
			tx_send(t, d[i].ifindex, d[i].dst_mac, d[i].src_mac, pkt, len);
		}
	tx_flush(t);
	st = tx_stats(t);
	printf("sent=%llu errors=%llu too_big=%llu\n", (unsigned long long)st->sent,
	    (unsigned long long)st->errors, (unsigned long long)st->too_big);
	tx_close(t);
	free(d);
	return 0;
}
