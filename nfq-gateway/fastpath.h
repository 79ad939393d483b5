/* SPDX-License-Identifier: ISC */
/*
 * The worker's side of the kernel fast path: the engine's fp_* calls turned
 * into entries of the kernel's flow map, the tcx links that carry them,
 * and the kernel's counts handed back to the engine before each tick.
 */
#ifndef POTEMKIN_FASTPATH_H
#define POTEMKIN_FASTPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"

struct gw;

struct fp_stats {
	bool on;
	uint64_t flows;			/* in the map now */
	uint64_t added, removed, refused;
	uint64_t packets, bytes;	/* carried by the kernel, as read back */
};

/*
 * Attach to the external interface with the programs the parent loaded
 * (g->fpk); a kernel that refuses leaves the fast path off, said in one
 * line, and so does a failed allocation: the gateway runs on without it.
 * Sets io's fp_* calls when it is on.  Returns 0.
 */
int fp_setup(struct gw *g, struct eng_io *io);
/* A clone is ready on vm->ifindex: attach there.  Before eng_clone_ready. */
void fp_clone_ready(struct gw *g, const struct eng_vm *vm);
/* Its interface goes: its link too (its flows are already withdrawn). */
void fp_clone_gone(struct gw *g, int ifindex);
/*
 * Hand the engine what the kernel counted since the last call, and beat
 * the heartbeat (the programs carry nothing once it stops): before each
 * eng_tick.  A read of the whole map costs a copy of every entry, so it
 * is made at most every FP_SYNC_EVERY_MS (100 ms), and always when
 * tick_due (an eng_tick with work is next: its idle decisions must see
 * what the kernel carried; a control command, whose answer must too).
 */
void fp_sync(struct gw *g, uint64_t now_ms, bool tick_due);
/*
 * When the worker must run again to keep the heartbeat going (fp_sync
 * beats): UINT64_MAX while the fast path is off.
 */
uint64_t fp_next_beat(const struct gw *g);
void fp_stats(const struct gw *g, struct fp_stats *out);
/* Every link and the map closed: the kernel falls back to the queues. */
void fp_close(struct gw *g);

#endif
