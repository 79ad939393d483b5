/* SPDX-License-Identifier: ISC */
/*
 * A clone whose gateway is on another host (potemkin-place(8)): its link
 * pk<ID> carried to the gateway by a VXLAN link of its own, pkt<ID>.
 */
#ifndef POTEMKIN_TUNNEL_H
#define POTEMKIN_TUNNEL_H

#include <stdint.h>

#include "vmm.h"

#define TUNNEL_PORT 4789	/* VXLAN's port (RFC 7348) */
#define TUNNEL_VNI_MAX 0xffffff

struct vmm_tunnel {
	uint32_t remote;	/* the gateway's end, host byte order */
	uint32_t vni;
	uint16_t port;
};

/* "ADDR:VNI[:PORT]"; -1 with a message if it is not one. */
int tunnel_parse(const char *s, struct vmm_tunnel *tu);
/*
 * Join vm's pk<ID> to a new pkt<ID> towards tu, and set vm->rec.link_mac
 * to pk<ID>'s MAC (the gateway's end takes it, so that what the clone
 * sends to its gateway's address is for the gateway).  On failure nothing
 * of the tunnel remains.
 */
int tunnel_attach(struct vmm_vm *vm, const struct vmm_tunnel *tu);
/* Delete pkt<ID> if there is one. */
int tunnel_detach(unsigned id);

#endif
