/* SPDX-License-Identifier: ISC */
/*
 * gw-nq-echo: a test consumer of one NFQUEUE queue, built on nfqueue.c and
 * packet.c, that gives each packet the verdict of the first rule it
 * matches (accept when none does).
 *
 *	gw-nq-echo [-q num] [-l maxlen] [-c copy_range] [-r rcvbuf]
 *	    [-s usec] [-n count] [-R readyfile] RULE...
 *
 * RULE is MATCH=ACTION.  MATCH: any, tcp, udp, icmp, optionally :PORT (the
 * destination port).  ACTION: accept, drop, hold (no verdict ever),
 * later (accepted out of order, after the next packet's verdict),
 * mark:N (accept with mark N), mangle (accept a UDP datagram rebuilt with
 * "mangled:" before its payload), dnat:ADDR / snat:ADDR (accept the packet
 * with its destination / source rewritten).
 *
 * -s sleeps usec between receive rounds, to make the socket overflow.
 * -R names a file created once the queue is bound.  On SIGTERM/SIGINT, or
 * after count packets, the counters are printed as key=value on stdout.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/addr.h"
#include "lib/log.h"
#include "nfq-gateway/nfqueue.h"
#include "engine/packet.h"

enum action { A_ACCEPT, A_DROP, A_HOLD, A_MARK, A_LATER, A_MANGLE, A_DNAT, A_SNAT };

struct rule {
	int proto;		/* -1 any */
	int port;		/* -1 any */
	enum action act;
	uint32_t arg;
};

struct ctx {
	struct rule *rules;
	int nrules;
	unsigned long n, held, accepted, dropped, bad;
	bool parked;		/* an A_LATER packet waits for the next one */
	uint32_t parked_id;
};

/* Accept the parked packet, after a later one got its verdict. */
static void
release(struct ctx *c, struct nq *q)
{
	if (!c->parked)
		return;
	c->parked = false;
	nq_verdict(q, c->parked_id, NQ_ACCEPT, false, 0, NULL, 0);
	c->accepted++;
}

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
	fprintf(stderr, "usage: gw-nq-echo [-q num] [-l maxlen] [-c copy_range] "
	    "[-r rcvbuf] [-s usec] [-n count] [-R readyfile] RULE...\n");
	exit(2);
}

static int
parse_action(const char *s, struct rule *r)
{
	uint32_t a;

	if (strcmp(s, "accept") == 0)
		r->act = A_ACCEPT;
	else if (strcmp(s, "drop") == 0)
		r->act = A_DROP;
	else if (strcmp(s, "hold") == 0)
		r->act = A_HOLD;
	else if (strcmp(s, "later") == 0)
		r->act = A_LATER;
	else if (strcmp(s, "mangle") == 0)
		r->act = A_MANGLE;
	else if (strncmp(s, "mark:", 5) == 0) {
		r->act = A_MARK;
		r->arg = (uint32_t)strtoul(s + 5, NULL, 0);
	} else if ((strncmp(s, "dnat:", 5) == 0 || strncmp(s, "snat:", 5) == 0) &&
	    addr_parse(s + 5, strlen(s + 5), &a) == ADDR_OK) {
		r->act = s[0] == 'd' ? A_DNAT : A_SNAT;
		r->arg = a;
	} else
		return -1;
	return 0;
}

static int
parse_rule(const char *arg, struct rule *r)
{
	char m[32];
	const char *eq = strchr(arg, '=');
	char *colon;

	if (!eq || (size_t)(eq - arg) >= sizeof m)
		return -1;
	memcpy(m, arg, (size_t)(eq - arg));
	m[eq - arg] = '\0';
	r->port = -1;
	if ((colon = strchr(m, ':')) != NULL) {
		*colon = '\0';
		r->port = atoi(colon + 1);
	}
	if (strcmp(m, "any") == 0)
		r->proto = -1;
	else if (strcmp(m, "tcp") == 0)
		r->proto = 6;
	else if (strcmp(m, "udp") == 0)
		r->proto = 17;
	else if (strcmp(m, "icmp") == 0)
		r->proto = 1;
	else
		return -1;
	return parse_action(eq + 1, r);
}

static const struct rule *
match(const struct ctx *c, const struct pkt *p)
{
	int i;

	for (i = 0; i < c->nrules; i++) {
		const struct rule *r = &c->rules[i];

		if (r->proto >= 0 && r->proto != p->proto)
			continue;
		if (r->port >= 0 && (!p->has_l4 || p->dport != r->port))
			continue;
		return r;
	}
	return NULL;
}

static void
on_packet(void *arg, struct nq *q, struct nq_packet *np)
{
	static const struct rule accept_all = { -1, -1, A_ACCEPT, 0 };
	static uint8_t out[70000];
	struct ctx *c = arg;
	const struct rule *r;
	struct pkt p;
	size_t n;

	c->n++;
	if (np->data == NULL || pkt_parse(&p, np->data, np->len) != PKT_OK) {
		/*
		 * A copy cut by the copy range does not parse (pkt_parse wants
		 * the whole packet); a leading any= rule still applies to it.
		 */
		if (np->len < np->orig_len && c->nrules && c->rules[0].proto < 0 &&
		    c->rules[0].port < 0 && c->rules[0].act <= A_MARK) {
			r = &c->rules[0];
			memset(&p, 0, sizeof p);
			goto apply;
		}
		c->bad++;
		nq_verdict(q, np->id, NQ_DROP, false, 0, NULL, 0);
		return;
	}
	r = match(c, &p);
	if (r == NULL)
		r = &accept_all;
apply:
	switch (r->act) {
	case A_HOLD:
		c->held++;
		return;
	case A_LATER:
		release(c, q);
		c->parked = true;
		c->parked_id = np->id;
		return;
	case A_ACCEPT:
		nq_verdict(q, np->id, NQ_ACCEPT, false, 0, NULL, 0);
		break;
	case A_MARK:
		nq_verdict(q, np->id, NQ_ACCEPT, true, r->arg, NULL, 0);
		break;
	case A_MANGLE:
		if (p.proto != 17 || !p.has_l4 || pkt_is_fragment(&p))
			goto drop;
		memcpy(out + 28, "mangled:", 8);
		memcpy(out + 36, p.data + p.payload_off, p.payload_len);
		n = pkt_build_udp(p.src, p.sport, p.dst, p.dport, out + 28,
		    8 + (size_t)p.payload_len, out, sizeof out);
		nq_verdict(q, np->id, NQ_ACCEPT, false, 0, out, n);
		break;
	case A_DNAT:
	case A_SNAT:
		if (r->act == A_DNAT)
			pkt_set_dst(&p, r->arg);
		else
			pkt_set_src(&p, r->arg);
		nq_verdict(q, np->id, NQ_ACCEPT, false, 0, p.data, p.len);
		break;
	case A_DROP:
		goto drop;
	}
	c->accepted++;
	release(c, q);
	return;
drop:
	nq_verdict(q, np->id, NQ_DROP, false, 0, NULL, 0);
	c->dropped++;
	release(c, q);
}

static void
print_stats(const struct nq *q, const struct ctx *c)
{
	const struct nq_stats *st = nq_stats(q);

	printf("packets=%llu enobufs=%llu truncated=%llu verdicts=%llu errors=%llu "
	    "seen=%lu accepted=%lu dropped=%lu held=%lu bad=%lu\n",
	    (unsigned long long)st->packets, (unsigned long long)st->enobufs,
	    (unsigned long long)st->truncated, (unsigned long long)st->verdicts,
	    (unsigned long long)st->errors, c->n, c->accepted, c->dropped,
	    c->held, c->bad);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct nq_opts o = { .num = 0, .maxlen = 1024, .copy_range = 0xffff,
	    .rcvbuf = 1u << 20 };
	struct ctx c = { 0 };
	const char *ready = NULL;
	unsigned long count = 0;
	long slow = 0;
	struct sigaction sa;
	struct pollfd pfd;
	struct nq *q;
	int ch, i, fd;

	while ((ch = getopt(argc, argv, "q:l:c:r:s:n:R:h")) != -1) {
		switch (ch) {
		case 'q': o.num = (uint16_t)atoi(optarg); break;
		case 'l': o.maxlen = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'c': o.copy_range = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'r': o.rcvbuf = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 's': slow = atol(optarg); break;
		case 'n': count = strtoul(optarg, NULL, 0); break;
		case 'R': ready = optarg; break;
		default: usage();
		}
	}
	c.nrules = argc - optind;
	c.rules = calloc((size_t)c.nrules + 1, sizeof *c.rules);
	if (!c.rules)
		err(1, "calloc");
	for (i = 0; i < c.nrules; i++)
		if (parse_rule(argv[optind + i], &c.rules[i]) < 0) {
			warnx("bad rule: %s", argv[optind + i]);
			usage();
		}

	log_init("gw-nq-echo", true, LOG_LVL_WARN);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	q = nq_open(&o);
	if (q == NULL)
		err(1, "queue %u", o.num);
	if (ready) {
		fd = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			err(1, "%s", ready);
		close(fd);
	}
	pfd.fd = nq_fd(q);
	pfd.events = POLLIN;
	while (!stop && (count == 0 || c.n < count)) {
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			err(1, "poll");
		if (nq_receive(q, on_packet, &c) < 0)
			errx(1, "receive failed");
		if (nq_flush(q) < 0)
			warnx("flush failed");
		if (slow)
			usleep((useconds_t)slow);
	}
	release(&c, q);
	nq_flush(q);
	print_stats(q, &c);
	nq_close(q);
	free(c.rules);
	return 0;
}
