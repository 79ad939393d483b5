/* SPDX-License-Identifier: ISC */
/*
 * Logging in the relayd manner: one place decides between stderr and syslog,
 * so the rest of the code never cares whether it runs under -d.
 */
#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

/* Until log_init, the program's own name (argv[0] without its path). */
static const char *log_prog;
static bool log_stderr = true;
static bool log_journal;
static enum log_level log_level = LOG_LVL_INFO;

/*
 * Whether stderr is systemd's journal: systemd sets JOURNAL_STREAM to the
 * "device:inode" of the stream it connected, and a stderr redirected since
 * (a shell's 2>file) is another file.
 */
static bool
log_stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;

	if (env == NULL || sscanf(env, "%llu:%llu%c", &dev, &ino, &end) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino;
}

void
log_init(const char *prog, bool to_stderr, enum log_level level)
{
	const char *base = strrchr(prog, '/');

	log_prog = base ? base + 1 : prog;
	log_stderr = to_stderr;
	log_journal = to_stderr && log_stderr_is_journal();
	log_level = level;
	if (!to_stderr)
		openlog(log_prog, LOG_PID | LOG_NDELAY, LOG_DAEMON);
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
	if (log_prog == NULL)
		log_prog = program_invocation_short_name;
	if (log_stderr) {
		/*
		 * "<N>" is how journald takes a line's priority from a stream.
		 * A line break inside a message (text from a clone tool, a
		 * policy) would start a line whose priority that text chose.
		 */
		if (log_journal) {
			fprintf(stderr, "<%d>", prio);
			for (char *c = msg; *c; c++)
				if ((unsigned char)*c < 0x20 && *c != '\t')
					*c = '?';
		}
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

/*
 * Lines made elsewhere (a policy's or a configuration's file:line:col
 * diagnostics), each as it is: no program name, which would hide where
 * the error is, but in the journal with the priority of an error and
 * its line breaks its own.
 */
void
log_text(const char *text)
{
	const char *line = text, *nl;

	for (; *line; line = *nl ? nl + 1 : nl) {
		int len;

		nl = strchrnul(line, '\n');
		len = (int)(nl - line);
		if (!log_stderr)
			syslog(LOG_ERR, "%.*s", len, line);
		else if (log_journal)
			fprintf(stderr, "<%d>%.*s\n", LOG_ERR, len, line);
		else
			fprintf(stderr, "%.*s\n", len, line);
	}
	if (log_stderr)
		fflush(stderr);
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
	vlog(LOG_ERR, fmt, ap, why);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
