/* SPDX-License-Identifier: ISC */
/*
 * Logging for daemons and tools: stderr in the foreground, syslog otherwise.
 * log_warn appends strerror(errno); log_warnx does not.  fatal/fatalx log and
 * exit(1). On a stderr that is the journal each line begins "<N>",
 * N its syslog priority (3 fatal, 4 warnings, 6 info, 7 debug).
 */
#ifndef POTEMKIN_LOG_H
#define POTEMKIN_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#define PK_PRINTF(f, a) __attribute__((format(printf, f, a)))

enum log_level { LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* prog names the messages; to_stderr chooses stderr over syslog. */
void log_init(const char *prog, bool to_stderr, enum log_level level);

/* Another part's diagnostics, line by line, each at error priority. */
void log_text(const char *text);
void log_warn(const char *fmt, ...) PK_PRINTF(1, 2);
void log_warnx(const char *fmt, ...) PK_PRINTF(1, 2);
void log_info(const char *fmt, ...) PK_PRINTF(1, 2);
void log_debug(const char *fmt, ...) PK_PRINTF(1, 2);
_Noreturn void fatal(const char *fmt, ...) PK_PRINTF(1, 2);
_Noreturn void fatalx(const char *fmt, ...) PK_PRINTF(1, 2);

#endif
