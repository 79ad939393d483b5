/*
 * Logging in the relayd manner: one place decides between stderr and syslog,
 * so the rest of the code never cares whether it runs under -d.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *log_prog = "potemkin";
static bool log_stderr = true;
static enum log_level log_level = LOG_LVL_INFO;

void
log_init(const char *prog, bool to_stderr, enum log_level level)
{
	log_prog = prog;
	log_stderr = to_stderr;
	log_level = level;
	if (!to_stderr)
		openlog(prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

static bool
log_enabled(enum log_level level)
{
	return level <= log_level;
}

static void
vlog(int prio, const char *fmt, va_list ap, const char *suffix)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_stderr) {
		if (suffix)
			fprintf(stderr, "%s: %s: %s\n", log_prog, msg, suffix);
		else
			fprintf(stderr, "%s: %s\n", log_prog, msg);
		fflush(stderr);
	} else if (suffix) {
		syslog(prio, "%s: %s", msg, suffix);
	} else {
		syslog(prio, "%s", msg);
	}
}

void
log_warn(const char *fmt, ...)
{
	const char *why = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, why);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(LOG_LVL_INFO))
		return;
	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(LOG_LVL_DEBUG))
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	const char *why = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, why);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
