/* SPDX-License-Identifier: ISC */
/*
 * The worker's side of the captures: each captured clone has two pcap
 * dumpers (libpcap, link type raw IP) on descriptors the parent opened.
 *
 *	clone.pcap	the clone's link: every packet delivered to it and every
 *			packet it sent, whatever the policy then did with it,
 *			with its guest address
 *	outside.pcap	the farm's border: what reached the clone from outside
 *			(before the gateway rewrote it) and what the gateway
 *			let out from it (after), with the farm address it holds
 *
 * A write never waits for the parent: a file nearing pcap.max_size asks for
 * its successor early and goes on until that comes; a packet that would take
 * it past the bound meanwhile is counted (pcap_dropped), not written.  Write
 * errors are counted and told once per file, and stop that file only.
 */
#include "gateway.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "engine/packet.h"
#include "lib/log.h"
#include "lib/monotime.h"
#include "lib/record.h"
#include "privsep.h"

#define PCAP_FILE_HDR 24
#define PCAP_REC_HDR 16

/* What a record keeps of a packet: snaplen, and never more than an empty file holds. */
static uint32_t
cap_snaplen(const struct gw_pcap_config *pc)
{
	uint64_t room = pc->max_size - PCAP_FILE_HDR - PCAP_REC_HDR;

	return room < pc->snaplen ? (uint32_t)room : pc->snaplen;
}

struct cap_file {
	pcap_dumper_t *d;
	uint64_t size;		/* bytes written to the file, buffered or not */
	bool rotating;		/* its successor is asked for */
	uint64_t retry_ms;	/* a failed rotation is asked again from then (mono) */
};

struct cap_clone {
	struct cap_file v[CAP_VIEWS];
};

struct gw_capture {
	pcap_t *dead;		/* the files' link type and snaplen, nothing more */
	struct cap_clone *by_id[RECORD_ID_MAX + 1];
};

int
cap_setup(struct gw *g)
{
	if (g->cfg->pcap.ntypes == 0)
		return 0;
	if ((g->cap = calloc(1, sizeof(*g->cap))) == NULL ||
	    (g->cap->dead = pcap_open_dead(DLT_RAW, (int)cap_snaplen(&g->cfg->pcap))) == NULL) {
		log_warnx("pcap: no memory");
		return -1;
	}
	return 0;
}

static struct cap_clone *
cap_of(const struct gw *g, int vm)
{
	if (g->cap == NULL || vm < 1 || vm > RECORD_ID_MAX)
		return NULL;
	return g->cap->by_id[vm];
}

static void
file_close(struct cap_file *f)
{
	if (f->d)
		pcap_dump_close(f->d);
	f->d = NULL;
	f->rotating = false;
}

/* A dumper on fd (taken in all cases); the file header is its first bytes. */
static int
file_open(struct gw *g, struct cap_file *f, int fd)
{
	FILE *fp = fdopen(fd, "w");

	file_close(f);
	if (fp == NULL) {
		close(fd);
		g->pcap_errors++;
		return -1;
	}
	if ((f->d = pcap_dump_fopen(g->cap->dead, fp)) == NULL) {
		fclose(fp);
		g->pcap_errors++;
		return -1;
	}
	f->size = PCAP_FILE_HDR;
	return 0;
}

void
cap_attach(struct gw *g, int vm, const int fds[CAP_VIEWS])
{
	struct cap_clone *c;

	if (g->cap == NULL || vm < 1 || vm > RECORD_ID_MAX || fds[0] < 0 || fds[1] < 0) {
		for (int v = 0; v < CAP_VIEWS; v++)
			if (fds[v] >= 0)
				close(fds[v]);
		return;
	}
	cap_close(g, vm);
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		log_warnx("pcap: clone %d: no memory", vm);
		close(fds[0]);
		close(fds[1]);
		return;
	}
	g->cap->by_id[vm] = c;
	for (int v = 0; v < CAP_VIEWS; v++)
		if (file_open(g, &c->v[v], fds[v]) < 0)
			log_warnx("pcap: clone %d: a capture file the parent opened", vm);
}

void
cap_close(struct gw *g, int vm)
{
	struct cap_clone *c = cap_of(g, vm);

	if (c == NULL)
		return;
	for (int v = 0; v < CAP_VIEWS; v++)
		file_close(&c->v[v]);
	free(c);
	g->cap->by_id[vm] = NULL;
}

void
cap_close_all(struct gw *g)
{
	for (int vm = 1; g->cap && vm <= RECORD_ID_MAX; vm++)
		cap_close(g, vm);
}

void
cap_rotated(struct gw *g, uint32_t serial, int fd)
{
	struct cap_clone *c = cap_of(g, (int)(serial / 2));
	struct cap_file *f = c ? &c->v[serial % 2] : NULL;

	if (fd < 0) {
		if (f && f->rotating) {
			/*
			 * Asked again a second later, not at the next packet: a
			 * full disk must not flood the parent with requests.
			 */
			f->rotating = false;
			f->retry_ms = mono_ms() + 1000;
			g->pcap_errors++;
		}
		return;
	}
	if (f == NULL || !f->rotating) {
		close(fd);	/* its clone is gone */
		return;
	}
	if (file_open(g, f, fd) < 0)
		log_warnx("pcap: clone %u: a rotated capture file", serial / 2);
}

static void
write_view(struct gw *g, int vm, int view, const uint8_t *pkt, size_t len)
{
	const struct gw_pcap_config *pc = &g->cfg->pcap;
	struct cap_clone *c = cap_of(g, vm);
	struct cap_file *f = c ? &c->v[view] : NULL;
	struct pcap_pkthdr h;
	struct timespec ts;
	uint64_t rec;

	if (f == NULL || f->d == NULL)
		return;
	h.len = (bpf_u_int32)len;
	h.caplen = (bpf_u_int32)(len < cap_snaplen(pc) ? len : cap_snaplen(pc));
	rec = PCAP_REC_HDR + h.caplen;
	/*
	 * The successor is asked for with a quarter of the file (at most 1M)
	 * to go; never for a file with no packet yet, whose successor could
	 * hold no more.
	 */
	if (!f->rotating && f->size > PCAP_FILE_HDR && f->size + rec > pc->max_size -
	    (pc->max_size / 4 < (1u << 20) ? pc->max_size / 4 : (1u << 20)) &&
	    (f->retry_ms == 0 || g->batch_ms >= f->retry_ms)) {
		struct ps_request rq = { .op = PS_PCAP_ROTATE, .vm = vm, .serial = (uint32_t)view };

		f->rotating = true;
		gw_ps_request(g, &rq);
	}
	if (f->size + rec > pc->max_size) {
		g->pcap_dropped++;
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	h.ts.tv_sec = ts.tv_sec;
	h.ts.tv_usec = ts.tv_nsec / 1000;
	pcap_dump((u_char *)f->d, &h, pkt);
	f->size += rec;
	if (ferror(pcap_dump_file(f->d))) {
		log_warnx("pcap: clone %d: writing its %s view failed; it stops here", vm,
		    view == CAP_CLONE ? "clone" : "outside");
		g->pcap_errors++;
		file_close(f);
		return;
	}
	g->pcap_written++;
}

/*
 * The packet with one address put back as the other view has it, in
 * scratch (checksums adjusted); pkt itself if the views agree.
 */
static const uint8_t *
other_view(uint8_t *scratch, const uint8_t *pkt, size_t len, bool dst, uint32_t from,
    uint32_t to)
{
	struct pkt p;

	if (from == to || len > 65535)
		return pkt;
	memcpy(scratch, pkt, len);
	if (pkt_parse(&p, scratch, len) != PKT_OK)
		return pkt;
	if (dst && p.dst == from)
		pkt_set_dst(&p, to);
	else if (!dst && p.src == from)
		pkt_set_src(&p, to);
	return scratch;
}

void
cap_delivered(struct gw *g, const struct eng_vm *vm, const uint8_t *pkt, size_t len)
{
	static uint8_t scratch[65536];

	if (cap_of(g, vm->id) == NULL)
		return;
	write_view(g, vm->id, CAP_CLONE, pkt, len);
	write_view(g, vm->id, CAP_OUTSIDE, other_view(scratch, pkt, len, true, vm->guest_ip,
	    vm->ip), len);
}

int
cap_from_clone(struct gw *g, int ifindex, const uint8_t *pkt, size_t len)
{
	const struct eng_vm *vm;

	if (g->cap == NULL || (vm = eng_vm_by_ifindex(g->eng, ifindex)) == NULL ||
	    cap_of(g, vm->id) == NULL)
		return -1;
	write_view(g, vm->id, CAP_CLONE, pkt, len);
	return vm->id;
}

void
cap_passed(struct gw *g, int vm, const uint8_t *pkt, size_t len)
{
	write_view(g, vm, CAP_OUTSIDE, pkt, len);
}
