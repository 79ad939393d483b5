/* Whole decimal numbers written by people, in command-line options. */
#ifndef POTEMKIN_NUMBER_H
#define POTEMKIN_NUMBER_H

/*
 * s is digits only (no sign, no space, no 0x, no 4e6) of a value in
 * min..max: 0 and *out set, else -1.
 */
int num_parse(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *out);

#endif
