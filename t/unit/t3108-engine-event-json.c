/* SPDX-License-Identifier: ISC */
/*
 * The events' JSON: one event of each kind filled as the engine fills it,
 * a few compared byte for byte, every one checked for what an ingest
 * pipeline relies on (ISO time, ECS names, one type per field).  With
 * POTEMKIN_EVENT_SAMPLES set they are also written there, one a line, for
 * t3210 to validate against nfq-gateway/events.schema.json.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "lib/addr.h"
#include "t/lib/tap.h"

/* 2026-12-07T23:40:01.123Z */
#define WALL_MS 1796686801123ULL

static uint32_t
ip(const char *s)
{
	uint32_t a = 0;

	addr_parse(s, strlen(s), &a);
	return a;
}

/* A clone's event as bind_event_init makes it. */
static void
clone_event(struct eng_event *ev, enum eng_event_kind k)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = k;
	ev->vm = 3;
	ev->binding = 17;
	ev->universe = 2;
	ev->addr = ip("198.51.100.7");
	ev->type = "web";
	ev->host = "a";
}

static void
plain_event(struct eng_event *ev, enum eng_event_kind k)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = k;
	ev->vm = -1;
}

/* One of each kind, in enum order; returns how many. */
static int
samples(struct eng_event *evs)
{
	struct eng_event *ev = evs;

	plain_event(ev++, EV_START);
	plain_event(ev, EV_RELOAD);
	ev++->count = 4;
	clone_event(ev, EV_BIND);
	ev->dir = EV_DIR_IN;
	ev->peer = ip("203.0.113.5");
	ev++->count = 1;
	clone_event(ev, EV_BIND_FAILED);
	ev->vm = -1;
	ev->host = NULL;
	ev->reason = "clone command failed";
	ev++->count = 2;
	clone_event(ev, EV_RECLAIM);
	ev->reason = "idle";
	ev++->count = 12;
	clone_event(ev, EV_INFECTED);
	ev++->reason = "caught in the act";
	clone_event(ev, EV_FREEZE);
	ev++->reason = "infected";
	clone_event(ev, EV_REFLECT);
	ev->dir = EV_DIR_INTERNAL;
	ev->vm = 4;
	ev->addr = ip("198.51.100.9");
	ev->peer = ip("198.51.100.7");
	ev->proto = 6;
	ev++->port = 445;
	clone_event(ev, EV_DNS);
	ev->dir = EV_DIR_OUT;
	ev->type = ev->host = NULL;
	ev->peer = ip("192.0.2.53");
	ev->name = "evil.example";
	ev++->qtype = 1;
	clone_event(ev, EV_CONTAIN);
	ev->dir = EV_DIR_OUT;
	ev->type = NULL;
	ev->proto = 17;
	ev->port = 25;
	ev++->count = 9;
	plain_event(ev, EV_SCAN_FILTERED);
	ev->dir = EV_DIR_IN;
	ev->peer = ip("203.0.113.11");
	ev->addr = ip("198.51.100.20");
	ev->proto = 6;
	ev++->port = 22;
	plain_event(ev, EV_OVERLOAD);
	ev->addr = ip("198.51.100.7");
	ev++->reason = "clones in flight";
	clone_event(ev, EV_LOG);
	ev->dir = EV_DIR_OUT;
	ev->type = NULL;
	ev->peer = ip("192.0.2.80");
	ev->proto = 47;	/* gre: a transport with no port */
	ev->action = "drop";
	ev->line = 12;
	ev->reason = "folded";
	ev++->count = 30;
	plain_event(ev, EV_HOST);
	ev->host = "b";
	ev->state = "down";
	ev->reason = "ssh: timeout";
	ev++->count = 2;
	return (int)(ev - evs);
}

static void
test_golden(void)
{
	struct eng_event ev;
	char buf[4096];

	plain_event(&ev, EV_START);
	eng_event_json(&ev, WALL_MS, NULL, buf, sizeof(buf));
	is_str(buf, "{\"@timestamp\":\"2026-12-07T23:40:01.123Z\",\"event\":{\"action\":\"start\","
	    "\"kind\":\"event\",\"dataset\":\"potemkin.gateway\"}}",
	    "start: ISO time in UTC with milliseconds, the kind in event.action");

	clone_event(&ev, EV_BIND);
	ev.dir = EV_DIR_IN;
	ev.peer = ip("203.0.113.5");
	eng_event_json(&ev, WALL_MS, "dmz-1", buf, sizeof(buf));
	is_str(buf, "{\"@timestamp\":\"2026-12-07T23:40:01.123Z\",\"event\":{\"action\":\"bind\","
	    "\"kind\":\"event\",\"dataset\":\"potemkin.gateway\"},\"observer\":{\"name\":\"dmz-1\"},"
	    "\"network\":{\"direction\":\"inbound\"},\"source\":{\"ip\":\"203.0.113.5\"},"
	    "\"destination\":{\"ip\":\"198.51.100.7\"},\"potemkin\":{\"addr\":\"198.51.100.7\","
	    "\"vm\":3,\"binding\":17,\"universe\":2,\"type\":\"web\",\"host\":\"a\"}}",
	    "bind: the outside peer is the source, the farm address the destination; the sensor");

	clone_event(&ev, EV_LOG);
	ev.dir = EV_DIR_OUT;
	ev.type = ev.host = NULL;
	ev.peer = ip("192.0.2.80");
	ev.proto = 6;
	ev.port = 80;
	ev.action = "drop";
	ev.line = 12;
	eng_event_json(&ev, WALL_MS, "", buf, sizeof(buf));
	is_str(buf, "{\"@timestamp\":\"2026-12-07T23:40:01.123Z\",\"event\":{\"action\":\"log\","
	    "\"kind\":\"event\",\"dataset\":\"potemkin.gateway\"},\"network\":{\"direction\":"
	    "\"outbound\",\"transport\":\"tcp\",\"iana_number\":\"6\"},\"source\":{\"ip\":"
	    "\"198.51.100.7\"},\"destination\":{\"ip\":\"192.0.2.80\",\"port\":80},\"potemkin\":"
	    "{\"addr\":\"198.51.100.7\",\"vm\":3,\"binding\":17,\"universe\":2,\"decision\":\"drop\","
	    "\"line\":12}}",
	    "outbound log: the clone is the source; an empty sensor is no observer");

	ev.proto = 200;
	ev.port = 0;
	eng_event_json(&ev, WALL_MS, NULL, buf, sizeof(buf));
	ok(strstr(buf, "\"network\":{\"direction\":\"outbound\",\"iana_number\":\"200\"}") != NULL,
	    "a protocol with no name has its number, as a string, and no transport");

	plain_event(&ev, EV_DNS);
	ev.name = "x";
	ev.qtype = 4242;
	eng_event_json(&ev, WALL_MS, NULL, buf, sizeof(buf));
	ok(strstr(buf, "\"dns\":{\"type\":\"query\",\"question\":{\"name\":\"x\",\"type\":\"TYPE4242\"}}")
	    != NULL, "a query type with no mnemonic is TYPEnnn (RFC 3597): always a string");
	ok(eng_event_json(&ev, WALL_MS, NULL, buf, 40) == 0,
	    "an event that does not fit is no line at all, not half an object");
}

static void
test_samples(void)
{
	struct eng_event evs[32];
	const char *path = getenv("POTEMKIN_EVENT_SAMPLES");
	FILE *f = path ? fopen(path, "w") : NULL;
	char buf[4096];
	int n = samples(evs);

	if (path && f == NULL)
		bail_out("%s: cannot write", path);
	is(n, EV_HOST + 1, "a sample of every kind");
	for (int i = 0; i < n; i++) {
		size_t len = eng_event_json(&evs[i], WALL_MS + (uint64_t)i, i % 2 ? "dmz-1" : NULL,
		    buf, sizeof(buf));

		ok(len > 0 && buf[len - 1] == '}' && strchr(buf, '\n') == NULL,
		    "%s: one whole line", eng_event_name(evs[i].kind));
		if (f)
			fprintf(f, "%s\n", buf);
	}
	if (f && fclose(f) != 0)
		bail_out("%s: write failed", path);
}

int
main(void)
{
	test_golden();
	test_samples();
	return done_testing();
}
