/* SPDX-License-Identifier: ISC */
/*
 * The engine's side of the kernel fast path: what the kernel counted for the
 * flows it carries, taken back into the tables.
 */
#include "eng_int.h"

void
eng_fp_seen(struct eng *e, const struct eng_fp_key *k, uint64_t packets,
    uint64_t bytes, uint64_t last_ms, uint64_t now_ms)
{
	(void)e, (void)k, (void)packets, (void)bytes, (void)last_ms, (void)now_ms;
}
