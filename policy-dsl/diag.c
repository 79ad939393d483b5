/* SPDX-License-Identifier: ISC */
/*
 * Diagnostics: every error and warning of a file is collected, then printed
 * sorted by position, so parse errors and meaning checks interleave in the
 * order a reader meets them.
 */
#include "pol_int.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void
pol_diag(struct pol_diags *d, bool warning, int line, int col, const char *fmt, ...)
{
	struct pol_diag *dg;
	va_list ap;
	char *msg;

	if (warning)
		d->nwarn++;
	else
		d->nerr++;
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct pol_diag *v = realloc(d->v, cap * sizeof(*v));

		if (v == NULL) {
			d->lost++;
			return;
		}
		d->v = v;
		d->cap = cap;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0) {
		va_end(ap);
		d->lost++;
		return;
	}
	va_end(ap);
	dg = &d->v[d->n++];
	dg->line = line;
	dg->col = col;
	dg->warning = warning;
	dg->seq = d->n - 1;
	dg->msg = msg;
}

static int
diagcmp(const void *a, const void *b)
{
	const struct pol_diag *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
pol_diags_print(struct pol_diags *d, FILE *out)
{
	if (d->n > 1)
		qsort(d->v, d->n, sizeof(d->v[0]), diagcmp);
	if (out == NULL)
		return;
	for (size_t i = 0; i < d->n; i++)
		fprintf(out, "%s:%d:%d: %s%s\n", d->name, d->v[i].line, d->v[i].col,
		    d->v[i].warning ? "warning: " : "", d->v[i].msg);
	if (d->lost)
		fprintf(out, "%s: %d more messages lost: out of memory\n", d->name, d->lost);
}

void
pol_diags_free(struct pol_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].msg);
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}
