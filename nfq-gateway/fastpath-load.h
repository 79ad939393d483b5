/* SPDX-License-Identifier: ISC */
/*
 * The kernel fast path's objects: its two programs and its map, loaded by
 * the privileged process (CAP_BPF) from the object built into the gateway,
 * and its tcx links, made by whoever holds the programs (the worker, with
 * CAP_NET_ADMIN), so that they live exactly as long as that process does.
 */
#ifndef POTEMKIN_FASTPATH_LOAD_H
#define POTEMKIN_FASTPATH_LOAD_H

#include <stddef.h>
#include <stdint.h>

struct fpk {
	int prog_in;		/* fp_inbound: the external interface */
	int prog_out;		/* fp_outbound: each clone's pk<ID> */
	int map;		/* fp_flows */
	int alive;		/* fp_alive: the worker's heartbeat deadline */
};

#define FPK_NONE ((struct fpk){ -1, -1, -1, -1 })

/*
 * Load the programs and make the map for max_flows flows; 0, or -1 with a
 * one-line reason in why (the kernel's or libbpf's).  The descriptors are
 * close-on-exec; nothing else stays open.
 */
int fpk_load(uint32_t max_flows, struct fpk *k, char *why, size_t whylen);
void fpk_close(struct fpk *k);

/*
 * Attach prog_fd to ifindex's tcx ingress, behind any program already
 * there; the link's descriptor, or -1 with errno (EINVAL or EOPNOTSUPP from
 * a kernel without tcx).  Closing the descriptor detaches it, and so does
 * the end of the process that holds it.
 */
int fpk_attach(int prog_fd, int ifindex);
/* Likewise with another attach type: what a kernel without tcx answers, for tests. */
int fpk_attach_as(int prog_fd, int ifindex, unsigned attach_type);

#endif
