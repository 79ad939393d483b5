/* SPDX-License-Identifier: ISC */
/*
 * Delivery through one AF_PACKET socket.  It is opened with protocol 0, so
 * no packet type is bound and it never receives: it costs nothing on the
 * receive path of the host.  Frames are gathered in one arena and sent with
 * sendmmsg, each message naming its own interface, so one flush can serve
 * many clones.  No PACKET_QDISC_BYPASS: a TAP's queue pushes back instead
 * of dropping.
 */
#include "afpacket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"

#define TX_SLOTS	64
#define TX_ARENA	(256u << 10)
#define TX_SNDBUF	(4u << 20)

struct tx {
	int fd;
	struct tx_stats st;
	unsigned n;		/* frames gathered */
	size_t used;		/* arena bytes in use */
	uint8_t *arena;
	struct mmsghdr msg[TX_SLOTS];
	struct iovec iov[TX_SLOTS];
	struct sockaddr_ll sll[TX_SLOTS];
};

struct tx *
tx_open(void)
{
	struct tx *t = calloc(1, sizeof *t);
	int v = TX_SNDBUF, saved;

	if (t == NULL)
		return NULL;
	t->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (t->fd < 0) {
		log_warn("AF_PACKET socket");
		goto fail;
	}
	/* A burst of deliveries must not find the send buffer full. */
	if (setsockopt(t->fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v) < 0)
		setsockopt(t->fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
	t->arena = malloc(TX_ARENA);
	if (t->arena == NULL)
		goto fail;
	return t;
fail:
	saved = errno;
	tx_close(t);
	errno = saved;
	return NULL;
}

void
tx_close(struct tx *t)
{
	if (t == NULL)
		return;
	if (t->fd >= 0)
		close(t->fd);
	free(t->arena);
	free(t);
}

int
tx_send(struct tx *t, int ifindex, const uint8_t dst_mac[6],
    const uint8_t src_mac[6], const uint8_t *ip, size_t len)
{
	size_t frame = ETH_HLEN + len;
	struct sockaddr_ll *sll;
	uint8_t *f;
	int rc = 0;

	if (len > 0xffff || frame > TX_ARENA) {
		t->st.too_big++;
		return -1;
	}
	if (t->n == TX_SLOTS || t->used + frame > TX_ARENA)
		rc = tx_flush(t);
	f = t->arena + t->used;
	memcpy(f, dst_mac, ETH_ALEN);
	memcpy(f + ETH_ALEN, src_mac, ETH_ALEN);
	f[12] = ETH_P_IP >> 8;
	f[13] = ETH_P_IP & 0xff;
	memcpy(f + ETH_HLEN, ip, len);

	sll = &t->sll[t->n];
	memset(sll, 0, sizeof *sll);
	sll->sll_family = AF_PACKET;
	sll->sll_protocol = htons(ETH_P_IP);
	sll->sll_ifindex = ifindex;
	sll->sll_halen = ETH_ALEN;
	memcpy(sll->sll_addr, dst_mac, ETH_ALEN);
	t->iov[t->n].iov_base = f;
	t->iov[t->n].iov_len = frame;
	memset(&t->msg[t->n], 0, sizeof t->msg[t->n]);
	t->msg[t->n].msg_hdr.msg_name = sll;
	t->msg[t->n].msg_hdr.msg_namelen = sizeof *sll;
	t->msg[t->n].msg_hdr.msg_iov = &t->iov[t->n];
	t->msg[t->n].msg_hdr.msg_iovlen = 1;
	t->n++;
	/* Keep frames 8-byte aligned in the arena. */
	t->used += (frame + 7) & ~(size_t)7;
	return rc;
}

/*
 * sendmmsg stops at the first frame that fails and reports only how many
 * went before it; the next call, starting at that frame, returns its error.
 * A frame the interface will not take (too big, interface gone or down) is
 * counted and skipped; a full send buffer loses the rest of the batch.
 */
int
tx_flush(struct tx *t)
{
	unsigned i = 0;
	bool lost = false;
	int r;

	while (i < t->n) {
		r = sendmmsg(t->fd, t->msg + i, t->n - i, MSG_DONTWAIT);
		if (r > 0) {
			t->st.sent += (unsigned)r;
			i += (unsigned)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		lost = true;
		if (r < 0 && errno == EMSGSIZE) {
			t->st.too_big++;
			i++;
		} else if (r < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
			t->st.errors += t->n - i;
			break;
		} else {
			t->st.errors++;
			i++;
		}
	}
	t->n = 0;
	t->used = 0;
	return lost ? -1 : 0;
}

const struct tx_stats *
tx_stats(const struct tx *t)
{
	return &t->st;
}

int
tx_ifinfo(const char *ifname, int *ifindex, uint8_t mac[6])
{
	struct ifreq ifr;
	int fd, rc = -1, saved;

	if (strlen(ifname) >= sizeof ifr.ifr_name) {
		errno = ENODEV;
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr) < 0)
		goto out;
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		goto out;
	/* Only Ethernet framing is built here (veth, TAP). */
	if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		errno = EAFNOSUPPORT;
		goto out;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	rc = 0;
out:
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}
