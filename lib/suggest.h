/* SPDX-License-Identifier: ISC */
/*
 * "did you mean": the policy checker's and the configuration loaders' one
 * way to turn a misspelt name into the name meant.
 */
#ifndef POTEMKIN_SUGGEST_H
#define POTEMKIN_SUGGEST_H

#include <stddef.h>

/*
 * The candidate closest to s[0..len), if it is close enough to be the one
 * meant (1 edit for words of 4 bytes or fewer, else 2); NULL otherwise.
 */
const char *suggest(const char *s, size_t len, const char *const *cands, size_t n);

#endif
