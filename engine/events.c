/*
 * Events: made by the engine's files, handed to the I/O sink, and written
 * as JSON lines for jq and shell pipelines.  Text that came from a clone
 * (DNS names above all) is hostile: everything outside printable ASCII is
 * escaped, so one event is always exactly one line.
 */
#include "eng_int.h"

#include <string.h>

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

static const char *
proto_name(uint8_t p)
{
	switch (p) {
	case 1:
		return "icmp";
	case 6:
		return "tcp";
	case 17:
		return "udp";
	}
	return NULL;
}

/*
 * ,"key":"value" with the value cut at max bytes: with the caps below the
 * longest event fits in 4 KiB even when every byte needs escaping.
 */
static void
kstr(struct jbuf *j, const char *key, const char *s, size_t max)
{
	jb_raw(j, ",\"%s\":", key);
	jb_strn(j, s, max);
}

size_t
eng_event_json(const struct eng_event *ev, uint64_t wall_ms, char *buf, size_t cap)
{
	struct jbuf j;
	const char *pn;

	jb_init(&j, buf, cap);
	jb_raw(&j, "{\"ts\":%llu.%03u,\"event\":\"%s\"",
	    (unsigned long long)(wall_ms / 1000), (unsigned)(wall_ms % 1000),
	    eng_event_name(ev->kind));
	if (ev->vm >= 0)
		jb_raw(&j, ",\"vm\":%d", ev->vm);
	if (ev->binding)
		jb_raw(&j, ",\"binding\":%u", ev->binding);
	if (ev->universe)
		jb_raw(&j, ",\"universe\":%u", ev->universe);
	if (ev->addr) {
		jb_raw(&j, ",");
		jb_kaddr(&j, "addr", ev->addr);
	}
	if (ev->peer) {
		jb_raw(&j, ",");
		jb_kaddr(&j, "peer", ev->peer);
	}
	if (ev->proto) {
		if ((pn = proto_name(ev->proto)))
			jb_raw(&j, ",\"proto\":\"%s\"", pn);
		else
			jb_raw(&j, ",\"proto\":%u", ev->proto);
		if (ev->port)
			jb_raw(&j, ",\"port\":%u", ev->port);
	}
	if (ev->count)
		jb_raw(&j, ",\"count\":%llu", (unsigned long long)ev->count);
	if (ev->type)
		kstr(&j, "type", ev->type, 32);
	if (ev->host && ev->host[0])
		kstr(&j, "host", ev->host, 32);
	if (ev->action)
		kstr(&j, "action", ev->action, 16);
	if (ev->line > 0)
		jb_raw(&j, ",\"line\":%d", ev->line);
	if (ev->name)
		kstr(&j, "name", ev->name, 256);
	if (ev->qtype)
		jb_raw(&j, ",\"qtype\":%u", ev->qtype);
	if (ev->state)
		kstr(&j, "state", ev->state, 16);
	if (ev->reason)
		kstr(&j, "reason", ev->reason, 256);
	jb_raw(&j, "}");
	return j.len;
}
