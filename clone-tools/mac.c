/* SPDX-License-Identifier: ISC */
/* The guests' MAC addresses: made from a clone's id, or checked in vmm.conf. */
#include "vmm.h"

#include <stdio.h>
#include <string.h>

#include "lib/addr.h"

/* Locally administered, unicast, "PK" in the second and third bytes. */
void
vmm_mac_for_id(unsigned id, char mac[VMM_MACLEN])
{
	snprintf(mac, VMM_MACLEN, "02:50:4b:%02x:%02x:%02x", (id >> 16) & 0xff,
	    (id >> 8) & 0xff, id & 0xff);
}

/* Well formed and unicast: a guest's own address. */
bool
vmm_mac_valid(const char *mac)
{
	uint8_t b[6];

	return mac_parse(mac, strlen(mac), b) == 0 && (b[0] & 1) == 0;
}
