/* SPDX-License-Identifier: ISC */
/*
 * A one-file TAP library for the C unit tests.  Every check prints "ok N -
 * name" or "not ok N - name" followed by a diagnostic with file and line, so
 * a failure under prove says where it happened.
 *
 *	plan(n) or no plan and done_testing() at the end;
 *	ok(expr, fmt, ...)        is(got, want, fmt, ...)     integers
 *	is_str(got, want, ...)    isnt(got, unwanted, ...)
 *	ok1(expr)                 the expression is the name
 *	diag(...) note(...)       to stderr / stdout as "# ..."
 *	skip(n, why) skip_all(why) bail_out(why)
 */
#ifndef POTEMKIN_TAP_H
#define POTEMKIN_TAP_H

#include <stdbool.h>

#define TAP_PRINTF(f, a) __attribute__((format(printf, f, a)))

void plan(int n);
int done_testing(void);
void skip_all(const char *fmt, ...) TAP_PRINTF(1, 2) __attribute__((noreturn));
void skip(int n, const char *fmt, ...) TAP_PRINTF(2, 3);
void bail_out(const char *fmt, ...) TAP_PRINTF(1, 2) __attribute__((noreturn));
void diag(const char *fmt, ...) TAP_PRINTF(1, 2);
void note(const char *fmt, ...) TAP_PRINTF(1, 2);
/* Failures so far; lets a test stop early when later checks make no sense. */
int tap_failures(void);

bool tap_ok(bool pass, const char *file, int line, const char *fmt, ...)
    TAP_PRINTF(4, 5);
bool tap_is(long long got, long long want, const char *file, int line,
    const char *fmt, ...) TAP_PRINTF(5, 6);
bool tap_isnt(long long got, long long unwanted, const char *file, int line,
    const char *fmt, ...) TAP_PRINTF(5, 6);
bool tap_is_str(const char *got, const char *want, const char *file, int line,
    const char *fmt, ...) TAP_PRINTF(5, 6);

#define ok(expr, ...) tap_ok(!!(expr), __FILE__, __LINE__, __VA_ARGS__)
#define ok1(expr) tap_ok(!!(expr), __FILE__, __LINE__, "%s", #expr)
#define is(got, want, ...) \
	tap_is((long long)(got), (long long)(want), __FILE__, __LINE__, __VA_ARGS__)
#define isnt(got, unwanted, ...) \
	tap_isnt((long long)(got), (long long)(unwanted), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(got, want, ...) tap_is_str(got, want, __FILE__, __LINE__, __VA_ARGS__)
#define pass(...) tap_ok(true, __FILE__, __LINE__, __VA_ARGS__)
#define fail(...) tap_ok(false, __FILE__, __LINE__, __VA_ARGS__)

#endif
