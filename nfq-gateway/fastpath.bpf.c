// SPDX-License-Identifier: ISC
/*
 * The kernel fast path: two tc programs (tcx ingress) that carry the flows
 * the engine has decided, packet by packet exactly as the worker would,
 * without the queues.
 *
 * fp_inbound, on the external interface: a packet of a flow the engine
 * delivers to a clone gets the delivery's rewrite (engine/packet.c: the
 * destination to the guest's address, IP and TCP/UDP checksums updated, a
 * UDP checksum of 0 left alone), the Ethernet header the AF_PACKET send
 * would build (afpacket.c), and goes out of the clone's pk<ID>.
 *
 * fp_outbound, on each ready clone's pk<ID>: a packet of a flow the engine
 * passes gets the source rewrite, the mark, and then what the kernel does
 * to a packet queue 1 accepted: one hop of forwarding, routed by the FIB.
 *
 * Everything else -- a key not in the map, an expired entry, IP options,
 * fragments, anything the program does not carry exactly like the slow
 * path -- is TCX_NEXT, untouched: it goes on through the rest of the tc chain to
 * netfilter and the queues, and queue 1 fails closed.  A frame whose VLAN
 * tag the device moved into the packet's metadata is not carried either:
 * the slow path never forwards one, and a redirect would send it out
 * still tagged.  Nothing leaves that the map does not name.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "fastpath-map.h"

#ifndef AF_INET
#define AF_INET 2
#endif

/*
 * What the program returns for every packet it does not carry: tcx's
 * "next" (TC_ACT_UNSPEC), so the rest of the chain -- later tcx programs,
 * the interface's classic tc filters -- and then netfilter see it exactly
 * as without the fast path.  TC_ACT_OK would end the chain: under tcx it
 * is a final pass that skips every filter behind it.  Older headers lack
 * the name.
 */
#ifndef TCX_NEXT
#define TCX_NEXT -1
#endif

/* Sized by the loader from gateway.conf's fastpath_flows. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct fp_map_key);
	__type(value, struct fp_map_value);
	__uint(max_entries, 65536);
} fp_flows SEC(".maps");

/*
 * The worker's heartbeat: a deadline on CLOCK_MONOTONIC (ns) that the worker
 * pushes on while it runs.  Once it is past -- the worker stopped or hung --
 * nothing is carried: the packets meet the queues, which fail closed.  0,
 * as made, carries nothing until the worker's first beat.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} fp_alive SEC(".maps");

/*
 * bpf_fib_lookup's mark input (Linux 6.10): the flag, and the field, which
 * shares its place with smac.  Older headers (Debian's) lack both; an older
 * kernel refuses the flag, and the packet goes to the queue.
 */
#ifndef BPF_FIB_LOOKUP_MARK
#define BPF_FIB_LOOKUP_MARK (1U << 5)
#endif

#define IP_OFF (ETH_HLEN)
#define L4_OFF (ETH_HLEN + sizeof(struct iphdr))
#define IP_CSUM_OFF (IP_OFF + offsetof(struct iphdr, check))
#define IP_SRC_OFF (IP_OFF + offsetof(struct iphdr, saddr))
#define IP_DST_OFF (IP_OFF + offsetof(struct iphdr, daddr))
#define IP_TTL_OFF (IP_OFF + offsetof(struct iphdr, ttl))
#define TCP_CSUM_OFF (L4_OFF + offsetof(struct tcphdr, check))
#define UDP_CSUM_OFF (L4_OFF + offsetof(struct udphdr, check))

/* What the program learnt of a packet it may carry. */
struct fp_pkt {
	struct fp_map_key key;
	__u32 tot_len;		/* the IP total length */
	__u32 mtu_len;		/* what the MTU must hold: tot_len, or a GSO segment's */
	__u32 segs;		/* packets it stands for (GSO) */
	__u64 bytes;		/* what the engine would count for them */
};

/*
 * The header checksum, which ip_rcv checks (and the engine takes as checked)
 * after tcx: a packet that fails it must meet the kernel, which drops it.
 */
static __always_inline int
fp_ip_csum_ok(const struct iphdr *ip)
{
	const __u16 *w = (const void *)ip;
	__u32 sum = 0;

#pragma unroll
	for (int i = 0; i < (int)(sizeof(*ip) / 2); i++)
		sum += w[i];
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff;
}

/*
 * Parse the frame: IPv4 with a 20-byte header, no fragment, TCP or UDP with
 * its whole header in the frame.  0 when the program may look it up.
 */
static __always_inline int
fp_parse(struct __sk_buff *skb, __u8 dir, struct fp_pkt *p)
{
	void *data, *end;
	struct ethhdr *eth;
	struct iphdr *ip;
	__u32 l4hdr, ulen = 0, len = ETH_HLEN + sizeof(*ip) + sizeof(struct tcphdr);

	/*
	 * A VLAN-tagged frame: by tcx ingress the tag is in the metadata and
	 * skb->protocol already the inner one; the queues never forward it.
	 */
	if (skb->vlan_present || skb->protocol != bpf_htons(ETH_P_IP))
		return -1;
	/* The headers in the linear part, for direct access. */
	if (skb->len < len)
		len = skb->len;
	if ((long)skb->data + len > (long)skb->data_end && bpf_skb_pull_data(skb, len) < 0)
		return -1;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	eth = data;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end)
		return -1;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->version != 4 || ip->ihl != 5)
		return -1;
	if (ip->frag_off & bpf_htons(0x3fff))	/* MF or an offset */
		return -1;
	if (!fp_ip_csum_ok(ip))
		return -1;
	__builtin_memset(&p->key, 0, sizeof(p->key));
	p->key.src = ip->saddr;
	p->key.dst = ip->daddr;
	p->key.proto = ip->protocol;
	p->key.dir = dir;
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (void *)(ip + 1);

		if ((void *)(tcp + 1) > end || tcp->doff < 5)
			return -1;
		p->key.sport = tcp->source;
		p->key.dport = tcp->dest;
		l4hdr = tcp->doff * 4;
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (void *)(ip + 1);

		if ((void *)(udp + 1) > end)
			return -1;
		p->key.sport = udp->source;
		p->key.dport = udp->dest;
		ulen = bpf_ntohs(udp->len);
		l4hdr = sizeof(*udp);
	} else {
		return -1;
	}
	p->tot_len = bpf_ntohs(ip->tot_len);
	if (p->tot_len < sizeof(*ip) + l4hdr || ETH_HLEN + p->tot_len > skb->len)
		return -1;
	/* A UDP length the engine's parser refuses (malformed: it drops them). */
	if (ip->protocol == IPPROTO_UDP && (ulen < sizeof(struct udphdr) ||
	    ulen > p->tot_len - sizeof(*ip)))
		return -1;
	/*
	 * A GSO packet (GRO on the way in, TSO from a clone) is what the
	 * queues would have seen as gso_segs packets, each with the headers.
	 * Its total length must cover the whole skb, or the count is a guess.
	 */
	p->segs = skb->gso_segs > 1 ? skb->gso_segs : 1;
	if (p->segs > 1 && (ETH_HLEN + p->tot_len != skb->len || ip->protocol != IPPROTO_TCP))
		return -1;
	p->bytes = p->tot_len + (__u64)(p->segs - 1) * (sizeof(*ip) + l4hdr);
	/* ip_forward checks each segment of a GSO packet against the route's MTU. */
	p->mtu_len = p->segs > 1 ? sizeof(*ip) + l4hdr + skb->gso_size : p->tot_len;
	return 0;
}

/*
 * The entry for the packet's key, if any and still the engine's; *now the
 * time, read only for a packet the map names (every other packet of the
 * host pays for the lookup alone).
 */
static __always_inline struct fp_map_value *
fp_lookup(struct fp_pkt *p, __u64 *now)
{
	struct fp_map_value *v = bpf_map_lookup_elem(&fp_flows, &p->key);
	__u32 zero = 0;
	__u64 *alive;

	if (v == NULL)
		return NULL;
	*now = bpf_ktime_get_ns();
	alive = bpf_map_lookup_elem(&fp_alive, &zero);
	if (alive == NULL || *now >= *alive)
		return NULL;	/* the worker is not beating: the queues decide */
	return *now < v->expires_ns ? v : NULL;
}

/*
 * Change the address at off (source or destination) and the checksums that
 * cover it, as pkt_set_src/pkt_set_dst do.  The helpers also keep a
 * checksum the device will finish (CHECKSUM_PARTIAL) right.
 */
static __always_inline int
fp_set_addr(struct __sk_buff *skb, __u8 proto, __u32 off, __be32 from, __be32 to)
{
	__u64 l4flags = BPF_F_PSEUDO_HDR | sizeof(to);
	__u32 csum_off = TCP_CSUM_OFF;

	if (from == to)
		return 0;
	if (proto == IPPROTO_UDP) {
		/* 0 is "no checksum" and stays; a computed 0 goes as 0xffff. */
		l4flags |= BPF_F_MARK_MANGLED_0;
		csum_off = UDP_CSUM_OFF;
	}
	if (bpf_l4_csum_replace(skb, csum_off, from, to, l4flags) < 0 ||
	    bpf_l3_csum_replace(skb, IP_CSUM_OFF, from, to, sizeof(to)) < 0 ||
	    bpf_skb_store_bytes(skb, off, &to, sizeof(to), 0) < 0)
		return -1;
	return 0;
}

/* Nothing past the IP packet: the queues hand over tot_len bytes, no padding. */
static __always_inline int
fp_trim(struct __sk_buff *skb, __u32 tot_len)
{
	if (skb->len > ETH_HLEN + tot_len)
		return bpf_skb_change_tail(skb, ETH_HLEN + tot_len, 0);
	return 0;
}

static __always_inline void
fp_count(struct fp_map_value *v, const struct fp_pkt *p, __u64 now)
{
	/* The time first: a reader that sees the count sees a time with it. */
	v->last_ns = now;
	__sync_fetch_and_add(&v->packets, p->segs);
	__sync_fetch_and_add(&v->bytes, p->bytes);
}

/*
 * What the rules' rpfilter match would say of the source: the route back
 * to it leaves by the interface the packet came in on.  A source that
 * fails goes to netfilter, where that match drops it.
 */
static __always_inline int
fp_reverse_path_ok(struct __sk_buff *skb, const struct fp_pkt *p)
{
	struct bpf_fib_lookup fib;
	long rc;

	__builtin_memset(&fib, 0, sizeof(fib));
	fib.family = AF_INET;
	fib.l4_protocol = p->key.proto;
	fib.sport = p->key.dport;
	fib.dport = p->key.sport;
	fib.ipv4_src = p->key.dst;
	fib.ipv4_dst = p->key.src;
	fib.ifindex = skb->ingress_ifindex;
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), 0);
	return (rc == BPF_FIB_LKUP_RET_SUCCESS || rc == BPF_FIB_LKUP_RET_NO_NEIGH) &&
	    fib.ifindex == skb->ingress_ifindex;
}

SEC("tc")
int
fp_inbound(struct __sk_buff *skb)
{
	struct fp_map_value *v;
	struct fp_pkt p;
	__u64 now;
	__u8 macs[12];

	/* As ip_rcv: a frame for another host's MAC never reaches the queue. */
	if (skb->pkt_type != PACKET_HOST || fp_parse(skb, FP_DIR_IN, &p) < 0)
		return TCX_NEXT;
	if ((v = fp_lookup(&p, &now)) == NULL)
		return TCX_NEXT;
	if ((v->flags & FP_F_RPFILTER) && !fp_reverse_path_ok(skb, &p))
		return TCX_NEXT;
	/*
	 * Past this point the packet is the clone's or nobody's: the engine
	 * would have dropped the queued original whatever became of its copy.
	 */
	__builtin_memcpy(macs, v->dmac, 6);
	__builtin_memcpy(macs + 6, v->smac, 6);
	if (fp_trim(skb, p.tot_len) < 0 ||
	    fp_set_addr(skb, p.key.proto, IP_DST_OFF, p.key.dst, v->new_dst) < 0 ||
	    bpf_skb_store_bytes(skb, 0, macs, sizeof(macs), 0) < 0)
		return TC_ACT_SHOT;
	fp_count(v, &p, now);
	return bpf_redirect(v->out_ifindex, 0);
}

SEC("tc")
int
fp_outbound(struct __sk_buff *skb)
{
	struct bpf_fib_lookup fib;
	struct fp_map_value *v;
	struct fp_pkt p;
	__u64 now;
	__u8 ttl, macs[12];
	__be16 old_word, new_word;
	void *data, *end;
	struct iphdr *ip;
	long rc;

	if (fp_parse(skb, FP_DIR_OUT, &p) < 0)
		return TCX_NEXT;
	p.key.ifindex = skb->ingress_ifindex;
	if ((v = fp_lookup(&p, &now)) == NULL)
		return TCX_NEXT;
	/* Only what the kernel would forward: sent to the host, TTL to spare. */
	if (skb->pkt_type != PACKET_HOST)
		return TCX_NEXT;
	data = (void *)(long)skb->data;
	end = (void *)(long)skb->data_end;
	ip = data + ETH_HLEN;
	if ((void *)(ip + 1) > end || ip->ttl <= 1)
		return TCX_NEXT;
	ttl = ip->ttl;
	/* The TTL shares its checksum word with the protocol. */
	old_word = *(__be16 *)&ip->ttl;
	/*
	 * The route the rewritten packet would take.  Only a resolved next
	 * hop is carried; no route, a blackhole, a neighbour not yet known,
	 * forwarding off, a packet the route's MTU refuses, a kernel that
	 * does not take the mark (before 6.10): the queue decides again
	 * and the kernel does the rest, ICMP errors included.
	 */
	__builtin_memset(&fib, 0, sizeof(fib));
	fib.family = AF_INET;
	fib.l4_protocol = p.key.proto;
	fib.sport = p.key.sport;
	fib.dport = p.key.dport;
	fib.tos = ip->tos;
	fib.ipv4_src = v->new_src;
	fib.ipv4_dst = p.key.dst;
	fib.ifindex = skb->ingress_ifindex;
	/*
	 * The route's MTU, as ip_forward checks it (without tot_len the
	 * helper checks only the device's), and the pass mark, which the
	 * slow path's packet carries into the routing decision (ip rules).
	 */
	fib.tot_len = p.mtu_len;
	__builtin_memcpy(fib.smac, &v->mark, sizeof(v->mark));
	rc = bpf_fib_lookup(skb, &fib, sizeof(fib), BPF_FIB_LOOKUP_MARK);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return TCX_NEXT;
	__builtin_memcpy(macs, fib.dmac, 6);
	__builtin_memcpy(macs + 6, fib.smac, 6);
	ttl--;
	new_word = old_word;
	*(__u8 *)&new_word = ttl;
	if (fp_trim(skb, p.tot_len) < 0 ||
	    fp_set_addr(skb, p.key.proto, IP_SRC_OFF, p.key.src, v->new_src) < 0 ||
	    bpf_l3_csum_replace(skb, IP_CSUM_OFF, old_word, new_word, sizeof(new_word)) < 0 ||
	    bpf_skb_store_bytes(skb, IP_TTL_OFF, &ttl, 1, 0) < 0 ||
	    bpf_skb_store_bytes(skb, 0, macs, sizeof(macs), 0) < 0)
		return TC_ACT_SHOT;
	skb->mark = v->mark;
	fp_count(v, &p, now);
	return bpf_redirect(fib.ifindex, 0);
}

/*
 * The kernel lends bpf_fib_lookup only to programs under a GPL-compatible
 * licence string; ISC is compatible, and this is the string it knows.
 */
char LICENSE[] SEC("license") = "Dual BSD/GPL";
