/* SPDX-License-Identifier: ISC */
/*
 * The VMM host's end of a clone's tunnel.  pk<ID> (the clone's link, as
 * its backend made it) and pkt<ID> (VXLAN, the clone's own VNI, to the
 * gateway) are joined by two tc redirects on their ingress: every frame
 * the clone sends goes into the tunnel, every frame out of the tunnel goes
 * to the clone, and this host's own stack sees none of them.  The host
 * routes nothing of the clone's and answers nothing on its link (pk<ID>
 * loses the gateway address its backend gave it); the gateway's end, a
 * pk<N> there, answers for the gateway address instead.
 *
 * tc has no netlink library in Debian worth the name, so tc(8) is run:
 * four short commands, on a path that already costs an ssh connection.
 */
#include "tunnel.h"

#include <err.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/netlink.h>

#include "lib/addr.h"
#include "lib/number.h"
#include "nl.h"

#define TUNNEL_TC_MS 5000

int
tunnel_parse(const char *s, struct vmm_tunnel *tu)
{
	const char *c1 = strchr(s, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	unsigned long long v;

	memset(tu, 0, sizeof(*tu));
	tu->port = TUNNEL_PORT;
	if (c1 == NULL || addr_parse(s, (size_t)(c1 - s), &tu->remote) != ADDR_OK ||
	    num_parsen(c1 + 1, c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1), 1,
		TUNNEL_VNI_MAX, &v) < 0)
		goto bad;
	tu->vni = (uint32_t)v;
	if (c2) {
		if (num_parsen(c2 + 1, strlen(c2 + 1), 1, 65535, &v) < 0)
			goto bad;
		tu->port = (uint16_t)v;
	}
	return 0;
bad:
	warnx("--tunnel %s: not ADDRESS:VNI[:PORT] (VNI 1..%u)", s, TUNNEL_VNI_MAX);
	return -1;
}

/* tc redirects everything arriving on from out of to. */
static int
tunnel_redirect(const char *from, const char *to)
{
	char *qdisc[] = { "tc", "qdisc", "add", "dev", (char *)(uintptr_t)from, "ingress", NULL };
	char *filter[] = { "tc", "filter", "add", "dev", (char *)(uintptr_t)from, "parent",
		"ffff:", "protocol", "all", "u32", "match", "u32", "0", "0",
		"action", "mirred", "egress", "redirect", "dev", (char *)(uintptr_t)to, NULL };

	return vmm_run(qdisc, -1, TUNNEL_TC_MS) == 0 &&
	    vmm_run(filter, -1, TUNNEL_TC_MS) == 0 ? 0 : -1;
}

/*
 * Asked of a socket, which lives in our network namespace: /sys/class/net
 * shows the namespace of whoever mounted /sys, which need not be ours.
 */
static int
tunnel_mac(const char *ifname, char mac[MAC_STRLEN])
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;
	const uint8_t *m = (const uint8_t *)ifr.ifr_hwaddr.sa_data;

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	rc = fd == -1 ? -1 : ioctl(fd, SIOCGIFHWADDR, &ifr);
	if (fd >= 0)
		close(fd);
	if (rc == -1) {
		warn("%s: its MAC address", ifname);
		return -1;
	}
	snprintf(mac, MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
	    m[3], m[4], m[5]);
	return 0;
}

/* pkt<ID> made, rp_filter off, no IPv6, up; pk<ID> without an address. */
static int
tunnel_links(struct vmm_vm *vm, const struct vmm_tunnel *tu, const char *vx)
{
	struct nl_vxlan spec = { .name = vx, .vni = tu->vni, .remote = tu->remote,
		.port = tu->port };
	unsigned link = if_nametoindex(vm->rec.ifname), vxi;
	struct mnl_socket *sock = nl_open(NETLINK_ROUTE);
	struct nl_batch b;
	char what[3][64];
	int rc = -1;

	if (link == 0)
		warn("%s", vm->rec.ifname);
	if (sock == NULL || link == 0)
		goto out;
	snprintf(what[0], sizeof(what[0]), "creating %s", vx);
	nl_begin(&b, sock);
	if (nl_add_vxlan(&b, &spec, what[0]) == -1 || nl_commit(&b) == -1)
		goto out;
	if ((vxi = if_nametoindex(vx)) == 0) {
		warn("%s", vx);
		goto out;
	}
	snprintf(what[0], sizeof(what[0]), "turning rp_filter off on %s", vx);
	snprintf(what[1], sizeof(what[1]), "setting %s up", vx);
	snprintf(what[2], sizeof(what[2]), "taking the gateway address off %s",
	    vm->rec.ifname);
	nl_begin(&b, sock);
	if (nl_rp_filter_off(&b, vxi, what[0]) == 0 &&
	    nl_link_up(&b, vxi, what[1]) == 0 &&
	    nl_del_addr(&b, link, vm->rec.gw_ip, 32, what[2]) == 0)
		rc = nl_commit(&b);
out:
	if (sock)
		nl_close(sock);
	return rc;
}

int
tunnel_attach(struct vmm_vm *vm, const struct vmm_tunnel *tu)
{
	char vx[IFNAMSIZ];

	snprintf(vx, sizeof(vx), "pkt%u", vm->id);
	if (tunnel_mac(vm->rec.ifname, vm->rec.link_mac) == -1 ||
	    tunnel_links(vm, tu, vx) == -1 ||
	    tunnel_redirect(vm->rec.ifname, vx) == -1 ||
	    tunnel_redirect(vx, vm->rec.ifname) == -1) {
		warnx("clone %u: no tunnel to its gateway", vm->id);
		tunnel_detach(vm->id);
		vm->rec.link_mac[0] = '\0';
		return -1;
	}
	return 0;
}

int
tunnel_detach(unsigned id)
{
	char vx[IFNAMSIZ];
	struct mnl_socket *sock;
	int rc;

	snprintf(vx, sizeof(vx), "pkt%u", id);
	if (if_nametoindex(vx) == 0)
		return 0;
	if ((sock = nl_open(NETLINK_ROUTE)) == NULL)
		return -1;
	rc = nl_delete_on(sock, vx);
	nl_close(sock);
	return rc;
}
