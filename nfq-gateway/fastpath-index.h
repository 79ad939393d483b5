/* SPDX-License-Identifier: ISC */
/*
 * The worker's index of the flows it put in the kernel's fast-path map:
 * each flow's binding (fp_forget) and the counts last read (the deltas
 * eng_fp_seen gets).  Open addressing, linear probing with deletion by
 * backward shift, keyed SipHash; bounded, and a full index refuses.
 */
#ifndef POTEMKIN_FASTPATH_INDEX_H
#define POTEMKIN_FASTPATH_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fastpath-map.h"

struct fp_seen {
	uint32_t binding;
	uint64_t packets, bytes;	/* the kernel's counts when last read */
};

struct fpx;

/* An index of at most max flows; NULL without memory. */
struct fpx *fpx_new(size_t max);
void fpx_free(struct fpx *x);
struct fp_seen *fpx_find(const struct fpx *x, const struct fp_map_key *k);
/* The flow's entry, *created when new (zeroed); NULL when full. */
struct fp_seen *fpx_insert(struct fpx *x, const struct fp_map_key *k, bool *created);
bool fpx_delete(struct fpx *x, const struct fp_map_key *k);
size_t fpx_count(const struct fpx *x);
/*
 * Call fn for every flow; those for which it returns false are deleted.  A
 * flow may be visited twice (deletion moves others), never missed, so fn
 * must give the same answer again.
 */
typedef bool fpx_visit(void *ctx, const struct fp_map_key *k, struct fp_seen *s);
void fpx_sweep(struct fpx *x, fpx_visit *fn, void *ctx);

#endif
