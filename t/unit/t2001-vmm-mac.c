/* SPDX-License-Identifier: ISC */
/* The clones' MAC addresses: made from an id, checked in vmm.conf. */
#include "t/lib/tap.h"
#include "clone-tools/vmm.h"

static void
test_mac(void)
{
	char mac[VMM_MACLEN];

	vmm_mac_for_id(0x012345, mac);
	is_str(mac, "02:50:4b:01:23:45", "clone MAC from its id");
	ok1(vmm_mac_valid(mac));
	ok1(vmm_mac_valid("52:54:00:12:34:56"));
	ok1(!vmm_mac_valid("01:00:5e:00:00:01"));	/* multicast */
	ok1(!vmm_mac_valid("52:54:00:12:34"));
	ok1(!vmm_mac_valid("52-54-00-12-34-56"));
	ok1(!vmm_mac_valid("52:54:00:12:34:56:"));
	ok1(!vmm_mac_valid("52:54:00:12:34:5g"));
}

int
main(void)
{
	test_mac();
	return done_testing();
}
