/*
 * Who may be a peer of the farm.  Queue 0 is read in raw PREROUTING, before
 * rp_filter and the kernel's martian checks, so an inbound packet may claim
 * any source.  One that claims a private, link-local, shared, reserved or
 * other special-purpose address (or a farm address) must touch no table:
 * a history entry for it would let `outbound pass reply` send a clone's
 * packets into private networks or to a cloud's metadata service.  The same
 * test keeps every `pass` away from such destinations.
 *
 * Documentation addresses are special too, unless the farm itself lives in
 * documentation space (a lab, a test): there they are the Internet.  The
 * operator's `sources_allowed` prefixes are always ordinary.
 */
#include "eng_int.h"

#include <string.h>

void
eng_peer_policy(struct eng *e)
{
	size_t n;
	const struct prefix *farm = pol_farm_prefixes(e->prog, &n);

	e->farm_documented = false;
	for (size_t i = 0; i < n; i++)
		if (prefix_in_documentation(&farm[i]))
			e->farm_documented = true;
}

static bool
allowed(const struct eng *e, uint32_t a)
{
	for (size_t i = 0; i < e->cfg.nsources_allowed; i++)
		if (prefix_contains(&e->cfg.sources_allowed[i], a))
			return true;
	return false;
}

enum peer_verdict
eng_peer_check(const struct eng *e, uint32_t a)
{
	const char *kind;

	/* Never a sender, whatever the operator allows; they would also alias universe keys. */
	if (a == 0 || a == 0xffffffffu || (a >> 24) == 127 || (a >> 28) == 0xe)
		return PEER_MARTIAN;
	if (pol_in_farm(e->prog, a))
		return PEER_FARM;
	if ((kind = addr_special(a)) == NULL || allowed(e, a))
		return PEER_OK;
	if (e->farm_documented && strcmp(kind, "documentation") == 0)
		return PEER_OK;
	return PEER_SPECIAL;
}
