/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target for the packet layer: any bytes through pkt_parse, and
 * whatever parses through both rewrites and both builders.  Inputs live in
 * a buffer of exactly their size, so ASan sees any read past the end; a
 * parse that reports offsets outside the packet aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[128], *b = malloc(size ? size : 1);
	struct pkt p;

	if (b == NULL)
		return 0;
	memcpy(b, data, size);
	if (pkt_parse(&p, size ? b : NULL, size) == PKT_OK) {
		if (p.len > size || p.l4_off != p.ihl ||
		    (p.has_l4 && (size_t)p.payload_off + p.payload_len > p.len) ||
		    (p.has_quote && (size_t)p.quote.off + p.quote.len > p.len))
			abort();
		pkt_build_rst(&p, out, sizeof out);
		pkt_build_unreach(&p, 3, out, size % sizeof out);
		pkt_set_dst(&p, 0xc6336401);
		pkt_set_src(&p, 0xc0000201);
		pkt_build_unreach(&p, 13, out, sizeof out);
	}
	free(b);
	return 0;
}
