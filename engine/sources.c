/* SPDX-License-Identifier: ISC */
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

void
eng_peer_policy(struct eng *e)
{
	e->farm = pol_farm_prefixes(e->prog, &e->nfarm);
	e->farm_documented = false;
	for (size_t i = 0; i < e->nfarm; i++)
		if (prefix_in_documentation(&e->farm[i]))
			e->farm_documented = true;
}

static bool
in_any(const struct prefix *p, size_t n, uint32_t a)
{
	for (size_t i = 0; i < n; i++)
		if (prefix_contains(&p[i], a))
			return true;
	return false;
}

/* Run for every packet in and every pass out: the common cases come first. */
enum peer_verdict
eng_peer_check(const struct eng *e, uint32_t a)
{
	enum addr_kind k = addr_kind(a);

	if (k == ADDR_ORDINARY || (k == ADDR_DOCUMENTATION && e->farm_documented))
		return in_any(e->farm, e->nfarm, a) ? PEER_FARM : PEER_OK;
	/* Never a sender, whatever is allowed; they would also alias universe keys. */
	if (a == 0 || k == ADDR_LOOPBACK || k == ADDR_MULTICAST || k == ADDR_BROADCAST)
		return PEER_MARTIAN;
	if (in_any(e->farm, e->nfarm, a))
		return PEER_FARM;
	if (in_any(e->cfg.sources_allowed, e->cfg.nsources_allowed, a))
		return PEER_OK;
	return PEER_SPECIAL;
}
