/* SPDX-License-Identifier: ISC */
#include "nl.h"

#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/inet_diag.h>
#include <linux/ip.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/veth.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#define NL_RECV_SIZE 32768
/* IF_OPER_UP (RFC 2863) of <linux/if.h>, which clashes with <net/if.h>. */
#define NL_IF_OPER_UP 6

struct mnl_socket *
nl_open(int protocol)
{
	struct mnl_socket *sock = mnl_socket_open2(protocol, SOCK_CLOEXEC);

	if (sock == NULL) {
		warn("opening netlink socket");
		return NULL;
	}
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) == -1) {
		warn("binding netlink socket");
		mnl_socket_close(sock);
		return NULL;
	}
	return sock;
}

void
nl_close(struct mnl_socket *sock)
{
	if (sock)
		mnl_socket_close(sock);
}

void
nl_begin(struct nl_batch *b, struct mnl_socket *sock)
{
	b->sock = sock;
	b->len = 0;
	b->n = 0;
	b->seq0 = (unsigned)time(NULL) << 8;
}

/* Room for one more message of up to 512 bytes, or NULL. */
static struct nlmsghdr *
nl_put(struct nl_batch *b, uint16_t type, uint16_t flags, const char *what)
{
	struct nlmsghdr *nlh;

	if (b->n == NL_BATCH_MAX || b->len + 512 > sizeof(b->buf)) {
		warnx("%s: netlink batch full", what);
		return NULL;
	}
	nlh = mnl_nlmsg_put_header(b->buf + b->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = b->seq0 + b->n;
	b->what[b->n++] = what;
	return nlh;
}

static void
nl_done(struct nl_batch *b, struct nlmsghdr *nlh)
{
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

int
nl_commit(struct nl_batch *b)
{
	char buf[NL_RECV_SIZE];
	unsigned acked = 0;
	int rc = 0;

	if (b->n == 0)
		return 0;
	if (mnl_socket_sendto(b->sock, b->buf, b->len) < 0) {
		warn("%s: netlink send", b->what[0]);
		return -1;
	}
	while (acked < b->n) {
		ssize_t n = mnl_socket_recvfrom(b->sock, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left = (int)n;

		if (n < 0) {
			warn("%s: netlink receive", b->what[acked]);
			return -1;
		}
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct nlmsgerr *e;
			unsigned i;

			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			i = nlh->nlmsg_seq - b->seq0;
			acked++;
			if (e->error != 0 && rc == 0 && i < b->n) {
				errno = -e->error;
				warn("%s", b->what[i]);
				rc = -1;
			}
		}
	}
	return rc;
}

static struct ifinfomsg *
nl_ifinfo(struct nlmsghdr *nlh, unsigned ifindex, unsigned flags)
{
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)ifindex;
	ifm->ifi_flags = flags;
	ifm->ifi_change = flags;
	return ifm;
}

int
nl_add_veth(struct nl_batch *b, const char *host, const uint8_t host_mac[6],
    const char *peer, int nsfd, const uint8_t mac[6], const char *what)
{
	struct nlmsghdr *nlh = nl_put(b, RTM_NEWLINK,
	    NLM_F_CREATE | NLM_F_EXCL, what);
	struct nlattr *info, *data, *p;

	if (nlh == NULL)
		return -1;
	nl_ifinfo(nlh, 0, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, host);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, host_mac);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	p = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/*
	 * The peer's own ifinfomsg sits at the head of VETH_INFO_PEER.  It
	 * cannot be up yet: veth refuses to open before its pair is linked.
	 */
	nl_ifinfo(nlh, 0, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	mnl_attr_nest_end(nlh, p);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	nl_done(b, nlh);
	return 0;
}

int
nl_add_vxlan(struct nl_batch *b, const struct nl_vxlan *vx, const char *what)
{
	struct nlmsghdr *nlh = nl_put(b, RTM_NEWLINK,
	    NLM_F_CREATE | NLM_F_EXCL, what);
	struct nlattr *info, *data;

	if (nlh == NULL)
		return -1;
	nl_ifinfo(nlh, 0, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, vx->name);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	if (vx->mac)
		mnl_attr_put(nlh, IFLA_ADDRESS, 6, vx->mac);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vxlan");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u32(nlh, IFLA_VXLAN_ID, vx->vni);
	mnl_attr_put_u32(nlh, IFLA_VXLAN_GROUP, htonl(vx->remote));
	if (vx->local)
		mnl_attr_put_u32(nlh, IFLA_VXLAN_LOCAL, htonl(vx->local));
	mnl_attr_put_u16(nlh, IFLA_VXLAN_PORT, htons(vx->port));
	mnl_attr_put_u8(nlh, IFLA_VXLAN_LEARNING, 0);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	nl_done(b, nlh);
	return 0;
}

int
nl_set_mac(struct nl_batch *b, unsigned ifindex, const uint8_t mac[6],
    const char *what)
{
	struct nlmsghdr *nlh = nl_put(b, RTM_NEWLINK, 0, what);

	if (nlh == NULL)
		return -1;
	nl_ifinfo(nlh, ifindex, 0);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
	nl_done(b, nlh);
	return 0;
}

int
nl_link_up(struct nl_batch *b, unsigned ifindex, const char *what)
{
	struct nlmsghdr *nlh = nl_put(b, RTM_NEWLINK, 0, what);

	if (nlh == NULL)
		return -1;
	nl_ifinfo(nlh, ifindex, IFF_UP);
	nl_done(b, nlh);
	return 0;
}

/*
 * rp_filter is an IPv4 devconf value, settable through IFLA_AF_SPEC without
 * a trip through /proc/sys.  The kernel applies max(all, this interface).
 * In the same message, IPv6 address generation off: brought up afterwards,
 * the interface gets no link-local address, so no duplicate address
 * detection and no solicitations, and costs less to bring up.
 */
int
nl_rp_filter_off(struct nl_batch *b, unsigned ifindex, const char *what)
{
	struct nlmsghdr *nlh = nl_put(b, RTM_NEWLINK, 0, what);
	struct nlattr *af, *inet, *conf, *inet6;

	if (nlh == NULL)
		return -1;
	nl_ifinfo(nlh, ifindex, 0);
	af = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
	inet = mnl_attr_nest_start(nlh, AF_INET);
	conf = mnl_attr_nest_start(nlh, IFLA_INET_CONF);
	mnl_attr_put_u32(nlh, IPV4_DEVCONF_RP_FILTER, 0);
	mnl_attr_nest_end(nlh, conf);
	mnl_attr_nest_end(nlh, inet);
	inet6 = mnl_attr_nest_start(nlh, AF_INET6);
	mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
	mnl_attr_nest_end(nlh, inet6);
	mnl_attr_nest_end(nlh, af);
	nl_done(b, nlh);
	return 0;
}

/* RTM_NEWADDR or RTM_DELADDR of addr/prefix on ifindex. */
static int
nl_addr(struct nl_batch *b, uint16_t type, uint16_t flags, unsigned ifindex,
    uint32_t addr, uint8_t prefix, const char *what)
{
	struct nlmsghdr *nlh = nl_put(b, type, flags, what);
	struct ifaddrmsg *ifa;
	uint32_t a = htonl(addr);

	if (nlh == NULL)
		return -1;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = ifindex;
	mnl_attr_put_u32(nlh, IFA_LOCAL, a);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, a);
	nl_done(b, nlh);
	return 0;
}

int
nl_add_addr(struct nl_batch *b, unsigned ifindex, uint32_t addr,
    uint8_t prefix, const char *what)
{
	return nl_addr(b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, ifindex, addr,
	    prefix, what);
}

int
nl_del_addr(struct nl_batch *b, unsigned ifindex, uint32_t addr,
    uint8_t prefix, const char *what)
{
	return nl_addr(b, RTM_DELADDR, 0, ifindex, addr, prefix, what);
}

int
nl_add_default(struct nl_batch *b, unsigned ifindex, uint32_t gw,
    const char *what)
{
	struct nlmsghdr *nlh = nl_put(b, RTM_NEWROUTE,
	    NLM_F_CREATE | NLM_F_REPLACE, what);
	struct rtmsg *rtm;

	if (nlh == NULL)
		return -1;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 0;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	rtm->rtm_flags = RTNH_F_ONLINK;
	mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(gw));
	mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
	nl_done(b, nlh);
	return 0;
}

/*
 * A permanent neighbour entry.  Permanent entries are exempt from the
 * neighbour table's garbage collection thresholds (gc_thresh1..3), which
 * count entries of every namespace together: a thousand clones each with a
 * learned entry for their gateway would overflow the default 1024.
 */
int
nl_add_neigh(struct nl_batch *b, unsigned ifindex, uint32_t addr,
    const uint8_t mac[6], const char *what)
{
	struct nlmsghdr *nlh = nl_put(b, RTM_NEWNEIGH,
	    NLM_F_CREATE | NLM_F_REPLACE, what);
	struct ndmsg *ndm;

	if (nlh == NULL)
		return -1;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = AF_INET;
	ndm->ndm_ifindex = (int)ifindex;
	ndm->ndm_state = NUD_PERMANENT;
	mnl_attr_put_u32(nlh, NDA_DST, htonl(addr));
	mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
	nl_done(b, nlh);
	return 0;
}

static int
nl_del_link(struct nl_batch *b, const char *name, const char *what)
{
	struct nlmsghdr *nlh = nl_put(b, RTM_DELLINK, 0, what);

	if (nlh == NULL)
		return -1;
	nl_ifinfo(nlh, 0, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	nl_done(b, nlh);
	return 0;
}

int
nl_host_side(const char *ifname, uint32_t gw)
{
	struct mnl_socket *sock;
	struct nl_batch b;
	char what[3][64];
	unsigned ifindex;
	int rc = -1;

	if ((ifindex = if_nametoindex(ifname)) == 0) {
		warn("%s", ifname);
		return -1;
	}
	if ((sock = nl_open(NETLINK_ROUTE)) == NULL)
		return -1;
	snprintf(what[0], sizeof(what[0]), "setting %s up", ifname);
	snprintf(what[1], sizeof(what[1]), "turning rp_filter off on %s", ifname);
	snprintf(what[2], sizeof(what[2]), "adding the gateway address to %s",
	    ifname);
	nl_begin(&b, sock);
	if (nl_rp_filter_off(&b, ifindex, what[1]) == 0 &&
	    nl_link_up(&b, ifindex, what[0]) == 0 &&
	    nl_add_addr(&b, ifindex, gw, 32, what[2]) == 0)
		rc = nl_commit(&b);
	nl_close(sock);
	return rc;
}

/*
 * The index of a link in the socket's namespace, which need not be ours:
 * the generic interface ioctls of any socket act in its namespace.
 */
int
nl_ifindex(struct mnl_socket *sock, const char *ifname)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(mnl_socket_get_fd(sock), SIOCGIFINDEX, &ifr) == -1) {
		warn("%s", ifname);
		return -1;
	}
	return ifr.ifr_ifindex;
}

int
nl_delete_on(struct mnl_socket *sock, const char *ifname)
{
	struct nl_batch b;
	char what[64];

	snprintf(what, sizeof(what), "deleting %s", ifname);
	nl_begin(&b, sock);
	if (nl_del_link(&b, ifname, what) == -1)
		return -1;
	return nl_commit(&b);
}

/* One sock_diag dump of listening TCP sockets of one family. */
static int
nl_diag_dump(struct mnl_socket *diag, uint8_t family, const uint16_t *want,
    size_t n, uint32_t *found)
{
	char buf[NL_RECV_SIZE];
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 r;
	} req = {
		.nlh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		.r = {
			.sdiag_family = family,
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_states = 1u << TCP_LISTEN,
		},
	};

	if (mnl_socket_sendto(diag, &req, sizeof(req)) < 0) {
		warn("sock_diag");
		return -1;
	}
	for (;;) {
		ssize_t len = mnl_socket_recvfrom(diag, buf, sizeof(buf));
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
		int left = (int)len;

		if (len < 0) {
			warn("sock_diag");
			return -1;
		}
		for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			const struct inet_diag_msg *m;

			if (nlh->nlmsg_type == NLMSG_DONE)
				return 0;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return 0;	/* no IPv6 here: nothing listens */
			if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			m = mnl_nlmsg_get_payload(nlh);
			for (size_t i = 0; i < n; i++)
				if (ntohs(m->id.idiag_sport) == want[i])
					*found |= 1u << i;
		}
	}
}

int
nl_tcp_listening(struct mnl_socket *diag, const uint16_t *want, size_t n)
{
	uint32_t found = 0;
	int count = 0;

	if (nl_diag_dump(diag, AF_INET, want, n, &found) == -1 ||
	    nl_diag_dump(diag, AF_INET6, want, n, &found) == -1)
		return -1;
	for (size_t i = 0; i < n; i++)
		count += (found >> i) & 1;
	return count;
}

static int
nl_oper_cb(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == IFLA_OPERSTATE &&
	    mnl_attr_validate(attr, MNL_TYPE_U8) == 0)
		*(int *)data = mnl_attr_get_u8(attr);
	return MNL_CB_OK;
}

/*
 * Is the link operationally up?  That state is set by the kernel's link
 * watch, in the same step that activates the link's queueing discipline:
 * before it, packets sent on the link are dropped.
 */
int
nl_oper_up(struct mnl_socket *sock, unsigned ifindex)
{
	char buf[NL_RECV_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	int oper = -1;
	ssize_t n;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = 1;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = (int)ifindex;
	if (mnl_socket_sendto(sock, nlh, nlh->nlmsg_len) < 0 ||
	    (n = mnl_socket_recvfrom(sock, buf, sizeof(buf))) < 0) {
		warn("asking for link %u", ifindex);
		return -1;
	}
	nlh = (struct nlmsghdr *)buf;
	if (!mnl_nlmsg_ok(nlh, (int)n) || nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	mnl_attr_parse(nlh, sizeof(*ifm), nl_oper_cb, &oper);
	return oper == NL_IF_OPER_UP;
}
