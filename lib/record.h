/* SPDX-License-Identifier: ISC */
/*
 * The record line: what potemkin-clone prints on stdout and keeps in the
 * clone's directory, and what the gateway, potemkin-ls and the other tools
 * read back (doc/ARCHITECTURE.md section 3).  One line of key=value words,
 * every key once and in this order; keys added one day come after
 * `created=`, and readers skip those they do not know.  Known so far:
 * host= and link_mac=, in that order, each only where it applies.
 */
#ifndef POTEMKIN_RECORD_H
#define POTEMKIN_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#define RECORD_LINE_MAX 512
#define RECORD_NAME_MAX 32	/* host type names and their NUL */
#define RECORD_ID_MAX 99999	/* "pk99999" fits IFNAMSIZ comfortably */
#define RECORD_IFNAMSIZ 16

struct clone_record {
	unsigned id;			/* 1..RECORD_ID_MAX */
	char type[RECORD_NAME_MAX];
	char backend[8];
	char ifname[RECORD_IFNAMSIZ];	/* pk<ID> */
	char mac[MAC_STRLEN];		/* the guest's */
	uint32_t guest_ip;
	uint32_t gw_ip;
	uint32_t ip;			/* impersonated address, valid if has_ip */
	bool has_ip;			/* "ip=-": not bound to one yet */
	uint32_t universe;
	long pid;			/* process (group) id; xen: the domain id */
	uint64_t created;		/* Unix milliseconds */
	/* Keys after created=, each optional ("" when absent): */
	char host[RECORD_NAME_MAX];	/* host=: the VMM host it runs on */
	char link_mac[MAC_STRLEN];	/* link_mac=: of the clone's link's
					 * other end, where a tunnel carries it */
};

/* The line, without a newline; -1 if it does not fit. */
int record_fmt(const struct clone_record *r, char *buf, size_t size);
/* A trailing newline is allowed; -1 with why[] told otherwise. */
int record_parse(const char *line, struct clone_record *r, char *why, size_t whysize);
/*
 * The clone id of a line that may be broken otherwise, -1 if it names none:
 * what was made must still be torn down.
 */
int record_id(const char *line);

#endif
