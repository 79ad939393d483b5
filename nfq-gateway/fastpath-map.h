/* SPDX-License-Identifier: ISC */
/*
 * The kernel fast path's one map, as both its program (fastpath.bpf.c) and
 * the worker (fastpath.c) see it: a hash of decided flows.  Addresses and
 * ports in network order, as in the packet, so that the program compares
 * and copies bytes without swapping; padding is zero on both sides, since
 * the kernel hashes the key's every byte.
 */
#ifndef POTEMKIN_FASTPATH_MAP_H
#define POTEMKIN_FASTPATH_MAP_H

#include <linux/types.h>

#define FP_DIR_IN 0		/* POL_IN: arrives on the external interface */
#define FP_DIR_OUT 1		/* POL_OUT: arrives on a clone's pk<ID> */

/*
 * FP_DIR_IN: the source must route back out of the interface the packet
 * came in on, as the rules' rpfilter match checks ahead of queue 0 (the
 * fast path runs before netfilter).  gateway.conf's rpfilter.
 */
#define FP_F_RPFILTER 0x1

struct fp_map_key {
	__be32 src, dst;	/* as the packet arrives */
	__be16 sport, dport;
	__u8 proto;		/* IPPROTO_TCP or IPPROTO_UDP */
	__u8 dir;		/* FP_DIR_IN or FP_DIR_OUT */
	__u16 pad;		/* zero */
	__u32 ifindex;		/* FP_DIR_OUT: the pk<ID> it arrives on; else 0 */
};

struct fp_map_value {
	/* Written by the worker, read by the program. */
	__be32 new_src, new_dst;	/* equal to the key's when unchanged */
	__u32 out_ifindex;		/* FP_DIR_IN: the clone's pk<ID> */
	__u32 mark;			/* FP_DIR_OUT: the pass mark */
	__u8 dmac[6], smac[6];		/* FP_DIR_IN: the clone's, the host side's */
	__u32 binding;			/* the binding's serial, for the worker */
	__u32 flags;			/* FP_F_* */
	__u64 expires_ns;		/* CLOCK_MONOTONIC; ~0 for never */
	/*
	 * Written by the program, atomically, read by the worker: what the
	 * engine would have counted (IP total lengths, each segment of a
	 * GSO packet counted as the queue would have seen it), and when.
	 */
	__u64 packets, bytes;
	__u64 last_ns;			/* CLOCK_MONOTONIC */
};

#endif
