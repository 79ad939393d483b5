/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target: any bytes as a policy.  Beyond "never crash, never
 * hang", a policy that loads must dump to text that loads again into the same
 * program and dumps to the same text, and must decide packets made from the
 * input without tripping the sanitizers.
 */
#include "pol_int.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
dump(const struct pol_program *prog, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	if (f == NULL)
		abort();
	pol_dump(prog, f);
	fclose(f);
	return text;
}

static void
decide_some(const struct pol_program *prog, const uint8_t *data, size_t size)
{
	struct pol_packet pkt;
	struct pol_decision d, r;

	for (size_t off = 0; off + sizeof(pkt) <= size && off < 64 * sizeof(pkt);
	    off += sizeof(pkt)) {
		memcpy(&pkt, data + off, sizeof(pkt));
		pkt.dir &= 1;
		pol_eval(prog, &pkt, NULL, &d);
		pol_eval_ref(prog, &pkt, NULL, &r);
		if (d.action != r.action || d.rule != r.rule || d.consulted != r.consulted)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pol_program *prog = NULL, *again = NULL;
	char *t1, *t2;
	size_t n1, n2;

	if (pol_load_buf("fuzz", (const char *)data, size, NULL, &prog) != 0)
		return 0;
	t1 = dump(prog, &n1);
	if (pol_load_buf("dump", t1, n1, NULL, &again) != 0)
		abort();	/* the printer wrote something the parser refuses */
	t2 = dump(again, &n2);
	if (n1 != n2 || memcmp(t1, t2, n1) != 0 || !pol_prog_equal(prog, again))
		abort();	/* the round trip changed the policy */
	decide_some(prog, data, size);
	free(t1);
	free(t2);
	pol_free(again);
	pol_free(prog);
	return 0;
}
