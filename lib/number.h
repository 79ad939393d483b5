/* SPDX-License-Identifier: ISC */
/* Whole decimal numbers written by people, in command-line options. */
#ifndef POTEMKIN_NUMBER_H
#define POTEMKIN_NUMBER_H

#include <stddef.h>

/*
 * s is digits only (no sign, no space, no 0x, no 4e6) of a value in
 * min..max: 0 and *out set, else -1.
 */
int num_parse(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out);
/* The same over exactly len bytes of s (a field of a longer line). */
int num_parsen(const char *s, size_t len, unsigned long long min,
    unsigned long long max, unsigned long long *out);
/*
 * A command-line option's number of 0..max; anything else is told
 * ("ARG: not a number of 0 to MAX") and usage() called, which exits (2 if
 * it returns).
 */
unsigned long long num_arg(const char *arg, unsigned long long max,
    void (*usage)(void));

#endif
