/*
 * The scan filter: how many distinct farm addresses an outside source has
 * reached within each scanner window of the policy.  A policy asks only
 * "more than N?", so a source needs to remember no more than its N+1 most
 * recent distinct addresses: the count is exact and the memory per source
 * is fixed.  Cost per packet: one lookup and a scan of N+1 entries per window.
 */
#include "eng_int.h"

#include <string.h>

#define SCAN_KEEP_MAX 1025	/* the policy allows thresholds up to 1024 */
#define SCAN_BYTES_MAX (64u << 20) /* the table's memory, whatever the thresholds */

struct scan_key {
	uint32_t src;
	uint16_t port;		/* the destination port for per-port windows */
	uint16_t spec;
};

struct scan_seen {
	uint32_t addr;
	uint32_t t;		/* ms since the filter's epoch, modulo 2^32 */
};

struct scan_val {
	uint16_t n;
	uint8_t filtered;	/* the source has been reported over the threshold */
	uint8_t pad;
	uint32_t pad2;
	struct scan_seen seen[];
};

static void
load_specs(struct scanfilter *s, const struct pol_program *prog)
{
	size_t n = 0;
	const struct pol_scanner *sp = prog ? pol_scanners(prog, &n) : NULL;

	s->nspec = n < SCAN_SPECS_MAX ? n : SCAN_SPECS_MAX;
	s->keep = 1;
	for (size_t i = 0; i < s->nspec; i++) {
		s->spec[i] = sp[i];
		if (sp[i].threshold + 1 > s->keep)
			s->keep = sp[i].threshold + 1;
	}
	if (s->keep > SCAN_KEEP_MAX)
		s->keep = SCAN_KEEP_MAX;
}

int
scan_init(struct scanfilter *s, const struct pol_program *prog, size_t max_sources,
    uint64_t now_ms)
{
	struct htab_opts o = { .key_size = sizeof(struct scan_key) };

	load_specs(s, prog);
	s->epoch_ms = now_ms;
	o.val_size = sizeof(struct scan_val) + s->keep * sizeof(struct scan_seen);
	o.max = max_sources * (s->nspec ? s->nspec : 1);
	/* High thresholds cost memory per source: track fewer sources then. */
	if (o.max > SCAN_BYTES_MAX / (o.val_size + 32))
		o.max = SCAN_BYTES_MAX / (o.val_size + 32);
	s->t = htab_new(&o);
	return s->t ? 0 : -1;
}

void
scan_fini(struct scanfilter *s)
{
	htab_free(s->t);
	s->t = NULL;
}

bool
scan_same_specs(const struct scanfilter *s, const struct pol_program *prog)
{
	size_t n = 0;
	const struct pol_scanner *sp = pol_scanners(prog, &n);

	if (n != s->nspec)
		return false;
	for (size_t i = 0; i < n; i++)
		if (sp[i].threshold != s->spec[i].threshold ||
		    sp[i].window_ms != s->spec[i].window_ms ||
		    sp[i].per_port != s->spec[i].per_port)
			return false;
	return true;
}

/* Add addr to v, replacing the oldest entry when full; return the count in window. */
static uint32_t
scan_add(struct scan_val *v, size_t keep, uint32_t addr, uint32_t now, uint32_t window)
{
	size_t oldest = 0;
	uint32_t count = 0;
	bool found = false;

	/*
	 * Ages are unsigned differences from now, so the oldest entry is the
	 * one with the largest age however the 32-bit clock has wrapped.
	 */
	for (size_t i = 0; i < v->n; i++) {
		if (v->seen[i].addr == addr) {
			v->seen[i].t = now;
			found = true;
		}
		if (now - v->seen[i].t < window)
			count++;
		if (now - v->seen[i].t > now - v->seen[oldest].t)
			oldest = i;
	}
	if (found)
		return count;
	if (v->n < keep)
		oldest = v->n++;
	else if (now - v->seen[oldest].t < window)
		count--;	/* the one replaced was still counted */
	v->seen[oldest].addr = addr;
	v->seen[oldest].t = now;
	return count + 1;
}

void
scan_note(struct scanfilter *s, uint32_t src, uint32_t dst, uint16_t dport,
    uint64_t now_ms, uint32_t stamp, uint32_t counts[SCAN_SPECS_MAX], bool *crossed)
{
	uint32_t now = (uint32_t)(now_ms - s->epoch_ms);

	*crossed = false;
	for (size_t i = 0; i < s->nspec; i++) {
		struct scan_key k = { src, s->spec[i].per_port ? dport : 0, (uint16_t)i };
		struct scan_val *v = htab_insert(s->t, &k, htab_hash(s->t, &k), stamp, NULL);
		uint64_t w = s->spec[i].window_ms;

		if (v == NULL) {
			counts[i] = 0;
			continue;
		}
		htab_touch(s->t, v, stamp);
		counts[i] = scan_add(v, s->keep, dst, now,
		    w > UINT32_MAX ? UINT32_MAX : (uint32_t)w);
		if (counts[i] > s->spec[i].threshold && !v->filtered) {
			v->filtered = 1;
			*crossed = true;
		} else if (counts[i] <= s->spec[i].threshold) {
			v->filtered = 0;
		}
	}
}
