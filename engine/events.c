/* SPDX-License-Identifier: ISC */
/*
 * Events: made by the engine's files, handed to the I/O sink, and written
 * as JSON lines for jq and for Elasticsearch without a mapping: the Elastic
 * Common Schema's names where it has one, the farm's own under "potemkin",
 * each field of one JSON type, as nfq-gateway/events.schema.json says (a
 * kind, a transport or a field added here goes there too; t3210 and the
 * end-to-end tests hold the two together).  Text that came from a clone
 * (DNS names above all) is hostile: everything outside printable ASCII is
 * escaped, so one event is always exactly one line.
 */
#include "eng_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/json.h"

void
eng_event_init(struct eng_event *ev, enum eng_event_kind kind, uint64_t now_ms)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->now_ms = now_ms;
	ev->vm = -1;
}

void
eng_emit(struct eng *e, struct eng_event *ev)
{
	if (e->io.event)
		e->io.event(e->io.ctx, ev);
}

/* Limits hit are reported at most once a second for each kind. */
void
eng_overload(struct eng *e, unsigned which, const char *reason, uint32_t addr,
    uint64_t now_ms)
{
	struct eng_event ev;

	if (which >= sizeof(e->last_overload_ms) / sizeof(e->last_overload_ms[0]))
		return;
	if (e->last_overload_ms[which] && now_ms - e->last_overload_ms[which] < 1000)
		return;
	e->last_overload_ms[which] = now_ms;
	eng_event_init(&ev, EV_OVERLOAD, now_ms);
	ev.addr = addr;
	ev.reason = reason;
	eng_emit(e, &ev);
}


static const char *const event_names[] = {
	[EV_START] = "start",
	[EV_RELOAD] = "reload",
	[EV_BIND] = "bind",
	[EV_BIND_FAILED] = "bind-failed",
	[EV_RECLAIM] = "reclaim",
	[EV_INFECTED] = "infected",
	[EV_FREEZE] = "freeze",
	[EV_REFLECT] = "reflect",
	[EV_DNS] = "dns",
	[EV_CONTAIN] = "contain",
	[EV_SCAN_FILTERED] = "scan-filtered",
	[EV_OVERLOAD] = "overload",
	[EV_LOG] = "log",
	[EV_HOST] = "host",
};

const char *
eng_event_name(enum eng_event_kind k)
{
	if ((size_t)k < sizeof(event_names) / sizeof(event_names[0]) && event_names[k])
		return event_names[k];
	return "unknown";
}

/*
 * The transport's IANA keyword, lower case as ECS writes network.transport;
 * NULL for the numbers the farm has no word for (network.iana_number still
 * says which).
 */
static const char *
proto_name(uint8_t p)
{
	switch (p) {
	case 1: return "icmp";
	case 2: return "igmp";
	case 4: return "ipv4";
	case 6: return "tcp";
	case 17: return "udp";
	case 41: return "ipv6";
	case 47: return "gre";
	case 50: return "esp";
	case 51: return "ah";
	case 58: return "ipv6-icmp";
	case 132: return "sctp";
	case 136: return "udplite";
	}
	return NULL;
}

/* dns.question.type is a string in ECS: the mnemonic, or RFC 3597's TYPEnnn. */
static const char *
qtype_name(uint16_t t, char *buf, size_t cap)
{
	static const struct { uint16_t t; const char *n; } names[] = {
		{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" },
		{ 13, "HINFO" }, { 15, "MX" }, { 16, "TXT" }, { 28, "AAAA" },
		{ 33, "SRV" }, { 35, "NAPTR" }, { 43, "DS" }, { 46, "RRSIG" },
		{ 47, "NSEC" }, { 48, "DNSKEY" }, { 64, "SVCB" }, { 65, "HTTPS" },
		{ 252, "AXFR" }, { 255, "ANY" }, { 257, "CAA" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].t == t)
			return names[i].n;
	snprintf(buf, cap, "TYPE%u", t);
	return buf;
}

/*
 * ,"key":"value" with the value cut at max bytes: with the caps below the
 * longest event fits in 4 KiB even when every byte needs escaping (a DNS
 * name or an operator's reason, 256 bytes at six each, and the short ones).
 */
static void
kstr(struct jbuf *j, const char *key, const char *s, size_t max)
{
	jb_raw(j, ",\"%s\":", key);
	jb_strn(j, s, max);
}

/*
 * "@timestamp": ISO 8601 in UTC with milliseconds, as Elasticsearch reads
 * it.  gmtime_r and snprintf only: no time zone file for the chrooted,
 * seccomp-bound worker to open.
 */
static void
timestamp(struct jbuf *j, uint64_t wall_ms)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		tm = (struct tm){ .tm_year = 70, .tm_mday = 1 };	/* the epoch */
	jb_raw(j, "\"@timestamp\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03uZ\"",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	    tm.tm_sec, (unsigned)(wall_ms % 1000));
}

/* source or destination: {"ip":...,"port":...}, either one optional. */
static void
endpoint(struct jbuf *j, const char *key, uint32_t ip, uint16_t port)
{
	if (ip == 0 && port == 0)
		return;
	jb_raw(j, ",\"%s\":{", key);
	if (ip)
		jb_kaddr(j, "ip", ip);
	if (port)
		jb_raw(j, "%s\"port\":%u", ip ? "," : "", port);
	jb_raw(j, "}");
}

/*
 * The packet's two sides as the engine saw them where it made the event:
 * coming in, the outside peer sent to the farm address (and port); going
 * out, the clone's farm address sent to the peer; reflected, one clone
 * (peer) sent to another's address.
 */
static void
sides(struct jbuf *j, const struct eng_event *ev)
{
	static const char *const dir_names[] = {
		[EV_DIR_IN] = "inbound", [EV_DIR_OUT] = "outbound",
		[EV_DIR_INTERNAL] = "internal",
	};
	const char *pn;

	if (ev->dir == EV_DIR_NONE)
		return;
	jb_raw(j, ",\"network\":{\"direction\":\"%s\"", dir_names[ev->dir]);
	if (ev->proto) {
		if ((pn = proto_name(ev->proto)))
			jb_raw(j, ",\"transport\":\"%s\"", pn);
		jb_raw(j, ",\"iana_number\":\"%u\"", ev->proto);
	}
	jb_raw(j, "}");
	if (ev->dir == EV_DIR_OUT) {
		endpoint(j, "source", ev->addr, 0);
		endpoint(j, "destination", ev->peer, ev->port);
	} else {
		endpoint(j, "source", ev->peer, 0);
		endpoint(j, "destination", ev->addr, ev->port);
	}
}

/*
 * An object opened at its first member, so that an object with nothing to
 * say is left out rather than written empty.
 */
struct jobj {
	struct jbuf *j;
	const char *key;
	bool open;
};

static void
member(struct jobj *o, const char *key)
{
	jb_raw(o->j, o->open ? ",\"%s\":" : ",\"%s\":{\"%s\":", o->open ? key : o->key, key);
	o->open = true;
}

static void
close_obj(struct jobj *o)
{
	if (o->open)
		jb_raw(o->j, "}");
}

/* What only the farm knows, under "potemkin". */
static void
farm_fields(struct jbuf *j, const struct eng_event *ev)
{
	struct jobj o = { j, "potemkin", false };
	char a[ADDR_STRLEN];

	if (ev->addr) {
		member(&o, "addr");
		jb_raw(j, "\"%s\"", addr_fmt(ev->addr, a));
	}
	if (ev->vm >= 0) {
		member(&o, "vm");
		jb_raw(j, "%d", ev->vm);
	}
	if (ev->binding) {
		member(&o, "binding");
		jb_raw(j, "%u", ev->binding);
	}
	if (ev->universe) {
		member(&o, "universe");
		jb_raw(j, "%u", ev->universe);
	}
	if (ev->type) {
		member(&o, "type");
		jb_strn(j, ev->type, 32);
	}
	if (ev->host && ev->host[0]) {
		member(&o, "host");
		jb_strn(j, ev->host, 32);
	}
	if (ev->state) {
		member(&o, "state");
		jb_strn(j, ev->state, 16);
	}
	if (ev->action) {
		member(&o, "decision");
		jb_strn(j, ev->action, 16);
	}
	if (ev->line > 0) {
		member(&o, "line");
		jb_raw(j, "%d", ev->line);
	}
	if (ev->count) {
		member(&o, "count");
		jb_raw(j, "%llu", (unsigned long long)ev->count);
	}
	close_obj(&o);
}

size_t
eng_event_json(const struct eng_event *ev, uint64_t wall_ms, const char *observer,
    char *buf, size_t cap)
{
	struct jbuf j;
	char qt[16];

	jb_init(&j, buf, cap);
	jb_raw(&j, "{");
	timestamp(&j, wall_ms);
	jb_raw(&j, ",\"event\":{\"action\":\"%s\",\"kind\":\"%s\",\"dataset\":\"potemkin.gateway\"",
	    eng_event_name(ev->kind), ev->kind == EV_INFECTED ? "alert" : "event");
	if (ev->reason)
		kstr(&j, "reason", ev->reason, 256);
	jb_raw(&j, "}");
	if (observer && observer[0]) {
		jb_raw(&j, ",\"observer\":{\"name\":");
		jb_strn(&j, observer, 64);
		jb_raw(&j, "}");
	}
	sides(&j, ev);
	if (ev->name || ev->qtype) {
		jb_raw(&j, ",\"dns\":{\"type\":\"query\",\"question\":{");
		if (ev->name) {
			jb_raw(&j, "\"name\":");
			jb_strn(&j, ev->name, 256);
		}
		if (ev->qtype)
			jb_raw(&j, "%s\"type\":\"%s\"", ev->name ? "," : "",
			    qtype_name(ev->qtype, qt, sizeof(qt)));
		jb_raw(&j, "}}");
	}
	farm_fields(&j, ev);
	jb_raw(&j, "}");
	/* A line cut short is no JSON object: none rather than half of one. */
	return j.overflow ? 0 : j.len;
}
