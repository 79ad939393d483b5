/* SPDX-License-Identifier: ISC */
/* "did you mean", by edit distance; one copy for every part. */
#include "suggest.h"

#include <string.h>

/*
 * Edit distance with transpositions ("wbe" is one step from "web"), bounded:
 * words longer than 32 bytes get no suggestion.
 */
static size_t
distance(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t d[33][33], i, j;

	if (alen > 32 || blen > 32)
		return 99;
	for (i = 0; i <= alen; i++)
		d[i][0] = i;
	for (j = 0; j <= blen; j++)
		d[0][j] = j;
	for (i = 1; i <= alen; i++)
		for (j = 1; j <= blen; j++) {
			size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[alen][blen];
}

const char *
suggest(const char *s, size_t len, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t bestd = (len <= 4 ? 1 : 2) + 1;

	for (size_t i = 0; i < n; i++) {
		size_t d = distance(s, len, cands[i], strlen(cands[i]));

		if (d < bestd) {
			bestd = d;
			best = cands[i];
		}
	}
	return best;
}
