/* SPDX-License-Identifier: ISC */
/*
 * One packet as `potemkin-policy eval` reads it, with the answers its state
 * questions should get:
 *
 *	in tcp 203.0.113.200:40000 > 198.51.100.7:80 flags S scan=3 bound=no age=never
 */
#ifndef POTEMKIN_PKTLINE_H
#define POTEMKIN_PKTLINE_H

#include "policy.h"

#define PKTLINE_MAXSCAN 64

struct pktline {
	struct pol_packet pkt;
	uint32_t scan[PKTLINE_MAXSCAN];	/* per scanner window */
	size_t nscan;			/* 1: the one answer for every window */
	bool bound;
	uint64_t age;			/* UINT64_MAX: never */
};

/*
 * Parse one line.  Returns 1 for a packet, 0 for a blank or comment line,
 * -1 for an error with its 1-based column in *col and the message in err.
 */
int pktline_parse(const char *line, struct pktline *out, int *col, char *err,
    size_t errsize);

/* The state callbacks that answer from a parsed line (ctx: the pktline). */
extern const struct pol_state pktline_state_template;

#endif
