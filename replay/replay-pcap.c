/* SPDX-License-Identifier: ISC */
/*
 * Captures for the replay: pcap and pcapng files read with libpcap, and the
 * link layers the replay understands taken off each frame.
 *
 * Supported: Ethernet (with up to two 802.1Q/802.1ad tags), Linux cooked
 * capture v1 and v2, raw IP (DLT_RAW, DLT_IPV4, DLT_IPV6) and BSD loopback
 * (DLT_NULL, DLT_LOOP).  A capture of any other link type is refused when it
 * is opened, before anything is replayed.  Every length is checked against
 * the bytes captured; what is too short to say what it carries is "other".
 */
#include "replay.h"

#include <err.h>
#include <errno.h>
#include <pcap/pcap.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd

static const int supported[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4, DLT_IPV6,
	DLT_NULL, DLT_LOOP,
};

static bool
link_supported(int dlt)
{
	for (size_t i = 0; i < sizeof(supported) / sizeof(supported[0]); i++)
		if (supported[i] == dlt)
			return true;
	return false;
}

/*
 * Whether the file libpcap refused is text: most likely the policy, given
 * where a capture goes, which deserves saying plainly.  pread leaves the
 * stream alone.
 */
static bool
is_text(int fd)
{
	char head[4096];
	ssize_t n = pread(fd, head, sizeof(head), 0);

	/* The policy loader's own test, so that the two agree on what text is. */
	return n > 0 && pol_not_text(head, (size_t)n) == NULL;
}

int
capture_open(struct capture *c, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	const char *name;
	struct stat sb;

	memset(c, 0, sizeof(*c));
	c->path = path;
	c->fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (c->fp == NULL) {
		warn("cannot open %s", path);
		return -1;
	}
	if (fstat(fileno(c->fp), &sb) == -1) {
		warn("cannot read %s", path);
		goto fail;
	}
	if (S_ISDIR(sb.st_mode)) {
		warnx("cannot read %s: %s", path, strerror(EISDIR));
		goto fail;
	}
	c->size = S_ISREG(sb.st_mode) && sb.st_size > 0 ? (uint64_t)sb.st_size : 0;
	c->pc = pcap_fopen_offline_with_tstamp_precision(c->fp,
	    PCAP_TSTAMP_PRECISION_MICRO, errbuf);
	if (c->pc == NULL) {
		if (is_text(fileno(c->fp)))
			warnx("%s: not a capture: a text file (the policy goes first, "
			    "then the captures)", path);
		else
			warnx("cannot read %s: %s", path, errbuf[0] ? errbuf : "not a capture");
		goto fail;
	}
	c->dlt = pcap_datalink(c->pc);
	name = pcap_datalink_val_to_name(c->dlt);
	if (name)
		snprintf(c->link, sizeof(c->link), "%s", name);
	else
		snprintf(c->link, sizeof(c->link), "%d", c->dlt);
	if (!link_supported(c->dlt)) {
		warnx("%s: link type %s is not supported (Ethernet, Linux cooked, "
		    "raw IP and BSD loopback are)", path, c->link);
		capture_close(c);
		return -1;
	}
	return 0;
fail:
	fclose(c->fp);	/* libpcap closes it only once it has taken it */
	c->fp = NULL;
	return -1;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static enum replay_l3
by_ethertype(uint16_t t)
{
	return t == ETHERTYPE_IPV4 ? REPLAY_IPV4 : t == ETHERTYPE_IPV6 ? REPLAY_IPV6 :
	    REPLAY_OTHER;
}

static enum replay_l3
by_version(const uint8_t *p, size_t n)
{
	if (n == 0)
		return REPLAY_OTHER;
	return p[0] >> 4 == 4 ? REPLAY_IPV4 : p[0] >> 4 == 6 ? REPLAY_IPV6 : REPLAY_OTHER;
}

/* The link header's length and what follows it; REPLAY_OTHER when unknown. */
static enum replay_l3
decap(int dlt, const uint8_t *f, size_t n, size_t *off)
{
	uint32_t af;
	uint16_t t;

	*off = 0;
	switch (dlt) {
	case DLT_EN10MB:
		if (n < 14)
			return REPLAY_OTHER;
		t = be16(f + 12);
		*off = 14;
		for (int tags = 0; tags < 2 && (t == 0x8100 || t == 0x88a8 || t == 0x9100);
		    tags++) {
			if (n < *off + 4)
				return REPLAY_OTHER;
			t = be16(f + *off + 2);
			*off += 4;
		}
		return by_ethertype(t);
	case DLT_LINUX_SLL:
		if (n < 16)
			return REPLAY_OTHER;
		*off = 16;
		return by_ethertype(be16(f + 14));
	case DLT_LINUX_SLL2:
		if (n < 20)
			return REPLAY_OTHER;
		*off = 20;
		return by_ethertype(be16(f));
	case DLT_NULL:
	case DLT_LOOP:
		if (n < 4)
			return REPLAY_OTHER;
		*off = 4;
		/* The family in the capturing host's byte order (DLT_NULL) or big-endian. */
		memcpy(&af, f, 4);
		if (af == 2 || af == 0x02000000u)
			return REPLAY_IPV4;
		return by_version(f + 4, n - 4) == REPLAY_IPV6 ? REPLAY_IPV6 : REPLAY_OTHER;
	default:	/* raw IP */
		return by_version(f, n);
	}
}

void
capture_warn(const struct capture *c)
{
	warnx("%s: frame %llu: %s", c->path, (unsigned long long)c->frames + 1,
	    pcap_geterr(c->pc));
}

bool
capture_truncated(const struct capture *c)
{
	return strstr(pcap_geterr(c->pc), "truncated") != NULL;
}

int
capture_next(struct capture *c, uint64_t *ts_us, enum replay_l3 *l3,
    const uint8_t **ip, size_t *caplen, size_t *wirelen)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t off;
	int rc = pcap_next_ex(c->pc, &h, &data);

	if (rc == PCAP_ERROR_BREAK)
		return 0;
	if (rc != 1)
		return -1;
	*ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
	if (c->frames++ == 0)
		c->first_us = *ts_us;
	c->last_us = *ts_us;
	*l3 = decap(c->dlt, data, h->caplen, &off);
	*ip = data + off;
	*caplen = h->caplen - off;
	*wirelen = h->len > h->caplen ? h->len - off : *caplen;
	return 1;
}

uint64_t
capture_offset(const struct capture *c)
{
	off_t o = c->fp ? ftello(c->fp) : -1;

	return o > 0 ? (uint64_t)o : 0;
}

void
capture_close(struct capture *c)
{
	if (c->pc)
		pcap_close(c->pc);	/* closes fp too */
	else if (c->fp)
		fclose(c->fp);
	c->pc = NULL;
	c->fp = NULL;
}
