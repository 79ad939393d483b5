/* SPDX-License-Identifier: ISC */
/* Monotonic time: timers never follow the wall clock. */
#ifndef POTEMKIN_MONOTIME_H
#define POTEMKIN_MONOTIME_H

#include <stdint.h>

uint64_t mono_ns(void);
uint64_t mono_ms(void);
/*
 * The CPU time the calling thread ran: a rate per core that does not count
 * the turns other jobs took on it (what they do to the caches it cannot
 * take out).  For benchmarks.
 */
uint64_t thread_cpu_ns(void);
/* Wall-clock Unix milliseconds, for records and event timestamps only. */
uint64_t wall_ms(void);

#endif
