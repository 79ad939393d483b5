/* SPDX-License-Identifier: ISC */
/*
 * rtnetlink through libmnl: the few link, address and route changes a clone
 * needs, batched so that setting up a clone's network costs a handful of
 * system calls instead of a dozen `ip` processes.
 */
#ifndef POTEMKIN_NL_H
#define POTEMKIN_NL_H

#include <stdint.h>
#include <stddef.h>

struct mnl_socket;

#define NL_BATCH_MAX 8

/* Messages built into one buffer, sent with one sendmsg, each acked. */
struct nl_batch {
	struct mnl_socket *sock;
	char buf[8192];
	size_t len;
	unsigned seq0;
	unsigned n;
	const char *what[NL_BATCH_MAX];
};

struct mnl_socket *nl_open(int protocol);
void nl_close(struct mnl_socket *sock);

void nl_begin(struct nl_batch *b, struct mnl_socket *sock);
/* Reports the first failed message as "what: strerror". */
int nl_commit(struct nl_batch *b);

/* veth host <-> peer, both down; the peer is made in namespace nsfd. */
int nl_add_veth(struct nl_batch *b, const char *host,
    const uint8_t host_mac[6], const char *peer, int nsfd,
    const uint8_t mac[6], const char *what);
/* A permanent ARP entry addr -> mac on ifindex. */
int nl_add_neigh(struct nl_batch *b, unsigned ifindex, uint32_t addr,
    const uint8_t mac[6], const char *what);
int nl_link_up(struct nl_batch *b, unsigned ifindex, const char *what);
/* rp_filter off and no IPv6 addresses: before the link goes up. */
int nl_rp_filter_off(struct nl_batch *b, unsigned ifindex, const char *what);
int nl_add_addr(struct nl_batch *b, unsigned ifindex, uint32_t addr,
    uint8_t prefix, const char *what);
/* Default route via gw, which need not be inside eth0's prefix (onlink). */
int nl_add_default(struct nl_batch *b, unsigned ifindex, uint32_t gw,
    const char *what);

/*
 * A VXLAN link carrying one clone's link between two hosts: VNI vni, to
 * remote (from local, 0 for the kernel's choice) on UDP port, learning
 * nothing, MTU 1500 like the clone's own link, down.  mac may be NULL.
 */
struct nl_vxlan {
	const char *name;
	uint32_t vni, remote, local;	/* host byte order */
	uint16_t port;
	const uint8_t *mac;
};
int nl_add_vxlan(struct nl_batch *b, const struct nl_vxlan *vx, const char *what);
int nl_del_addr(struct nl_batch *b, unsigned ifindex, uint32_t addr,
    uint8_t prefix, const char *what);
/* A link's MAC, which a link that allows it (VXLAN does) may change while up. */
int nl_set_mac(struct nl_batch *b, unsigned ifindex, const uint8_t mac[6],
    const char *what);

/* The host side of a clone: up, gw/32, rp_filter off. */
int nl_host_side(const char *ifname, uint32_t gw);
int nl_delete_on(struct mnl_socket *sock, const char *ifname);
/* A link's index in sock's namespace, or -1 (reported). */
int nl_ifindex(struct mnl_socket *sock, const char *ifname);

/*
 * TCP ports listening in the caller's network namespace (IPv4 and IPv6),
 * via sock_diag.  Returns how many of want[] are listening, -1 on error.
 */
int nl_tcp_listening(struct mnl_socket *diag, const uint16_t *want, size_t n);

/* 1 if the link is operationally up (its qdisc active), 0 if not, -1. */
int nl_oper_up(struct mnl_socket *sock, unsigned ifindex);

#endif
