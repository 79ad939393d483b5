/* SPDX-License-Identifier: ISC */
#include "tap.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_planned = -1;
static int tap_run;
static int tap_failed;

void
plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static void
vprint_prefixed(FILE *f, const char *fmt, va_list ap)
{
	char buf[4096];
	char *line, *save = NULL;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fprintf(f, "# %s\n", line);
	fflush(f);
}

void
diag(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	vprint_prefixed(stderr, fmt, ap);
	va_end(ap);
}

void
note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprint_prefixed(stdout, fmt, ap);
	va_end(ap);
}

int
tap_failures(void)
{
	return tap_failed;
}

static bool
vreport(bool pass, const char *file, int line, const char *fmt, va_list ap)
{
	char name[1024];

	vsnprintf(name, sizeof(name), fmt, ap);
	tap_run++;
	printf("%sok %d - %s\n", pass ? "" : "not ", tap_run, name);
	fflush(stdout);
	if (!pass) {
		tap_failed++;
		diag("  Failed test '%s'\n  at %s line %d.", name, file, line);
	}
	return pass;
}

bool
tap_ok(bool pass, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(pass, file, line, fmt, ap);
	va_end(ap);
	return pass;
}

bool
tap_is(long long got, long long want, const char *file, int line, const char *fmt, ...)
{
	bool pass = got == want;
	va_list ap;

	va_start(ap, fmt);
	vreport(pass, file, line, fmt, ap);
	va_end(ap);
	if (!pass)
		diag("         got: %lld\n    expected: %lld", got, want);
	return pass;
}

bool
tap_isnt(long long got, long long unwanted, const char *file, int line,
    const char *fmt, ...)
{
	bool pass = got != unwanted;
	va_list ap;

	va_start(ap, fmt);
	vreport(pass, file, line, fmt, ap);
	va_end(ap);
	if (!pass)
		diag("         got: %lld\n    expected: anything else", got);
	return pass;
}

bool
tap_is_str(const char *got, const char *want, const char *file, int line,
    const char *fmt, ...)
{
	bool pass;
	va_list ap;

	if (got == NULL || want == NULL)
		pass = got == want;
	else
		pass = strcmp(got, want) == 0;
	va_start(ap, fmt);
	vreport(pass, file, line, fmt, ap);
	va_end(ap);
	if (!pass)
		diag("         got: '%s'\n    expected: '%s'", got ? got : "(null)",
		    want ? want : "(null)");
	return pass;
}

void
skip(int n, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	while (n-- > 0)
		printf("ok %d # skip %s\n", ++tap_run, why);
	fflush(stdout);
}

void
skip_all(const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	printf("1..0 # SKIP %s\n", why);
	exit(0);
}

void
bail_out(const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	printf("Bail out!  %s\n", why);
	exit(255);
}

int
done_testing(void)
{
	if (tap_planned < 0)
		printf("1..%d\n", tap_run);
	else if (tap_planned != tap_run)
		diag("planned %d tests but ran %d", tap_planned, tap_run);
	fflush(stdout);
	if (tap_failed)
		diag("Looks like you failed %d test%s of %d.", tap_failed,
		    tap_failed == 1 ? "" : "s", tap_run);
	return tap_failed || (tap_planned >= 0 && tap_planned != tap_run) ? 1 : 0;
}
