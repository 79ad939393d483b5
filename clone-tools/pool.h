/* SPDX-License-Identifier: ISC */
/*
 * Clones made ahead of demand (pool.c), for the backends that can make one
 * to wait and hand it out later (vmm_backend.pool_make, pool_take).
 */
#ifndef POTEMKIN_POOL_H
#define POTEMKIN_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm.h"

/*
 * Hand out a clone of t's pool, as the clone asked for: ip, if has_ip.
 * 1 with vm open, locked and running (rec filled as a clone's), 0 if none
 * is ready, -1 on error.  Starts a refill.
 */
int pool_claim(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm, uint32_t ip, bool has_ip);
/* Top the pool up; wait: for another filler at work, and say how many. */
int pool_fill(const struct vmm_conf *conf, const struct vmm_type *t,
    bool wait);
/* The same in the background, detached, its messages in fill.log. */
void pool_kick(const struct vmm_conf *conf, const struct vmm_type *t);
/* Call off t's refills, those at work and those asked for until now; the
 * returned descriptor holds the filler lock.  -1 on failure. */
int pool_cancel(const struct vmm_conf *conf, const struct vmm_type *t);
/* Tear down every clone waiting (a new snapshot). */
int pool_drain(const struct vmm_conf *conf, const struct vmm_type *t);
/* A pooled clone torn down by other means leaves no pool entry. */
void pool_forget(const struct vmm_conf *conf, const struct vmm_vm *vm);

#endif
