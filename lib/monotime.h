/* Monotonic time: timers never follow the wall clock. */
#ifndef POTEMKIN_MONOTIME_H
#define POTEMKIN_MONOTIME_H

#include <stdint.h>

uint64_t mono_ns(void);
uint64_t mono_ms(void);
/* Wall-clock Unix milliseconds, for records and event timestamps only. */
uint64_t wall_ms(void);

#endif
