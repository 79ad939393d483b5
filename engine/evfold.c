/* SPDX-License-Identifier: ISC */
/*
 * Folding repeated events.  `log` and `dns` events come one per packet, and
 * a spoofed scan at line rate would turn each packet into a line of JSON.
 * Within each report interval (contain_report) the first event of a kind
 * from one source about one rule (log: whichever farm address it reached)
 * or from one clone about one name (dns) goes out at once; the repeats are only counted, and one event with their count
 * follows at the end of the interval.  The table is bounded: when it is
 * full, an event of a key it does not hold, first or repeat, is only
 * counted in `events_folded` (a spoofed flood from many sources).
 */
#include "eng_int.h"

#include <stdio.h>
#include <string.h>

struct fold_key {
	uint32_t peer, addr;	/* the outside side, the farm side */
	uint32_t tag;		/* log: the policy line; dns: the name's hash */
	uint32_t kind;		/* enum eng_event_kind */
};

static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

int
fold_init(struct evfold *f, size_t max)
{
	struct htab_opts o = {
		.key_size = sizeof(struct fold_key),
		.val_size = sizeof(struct fold_val),
		.max = max,
		.can_evict = htab_never_evict,
	};

	f->t = htab_new(&o);
	return f->t ? 0 : -1;
}

void
fold_fini(struct evfold *f)
{
	htab_free(f->t);
	f->t = NULL;
}

bool
fold_first(struct eng *e, const struct eng_event *ev)
{
	struct fold_key k = {
		/* log: per source and rule, whichever farm address; dns: per clone */
		.peer = ev->peer, .addr = ev->kind == EV_DNS ? ev->addr : 0, .kind = ev->kind,
		.tag = ev->kind == EV_DNS ? name_hash(ev->name ? ev->name : "") :
		    (uint32_t)ev->line,
	};
	struct fold_val *v;
	bool created;

	v = htab_insert(e->fold.t, &k, htab_hash(e->fold.t, &k), eng_stamp(ev->now_ms),
	    &created);
	if (v == NULL) {
		e->st.events_folded++;	/* the table is full: counted, not told */
		return false;
	}
	if (created) {
		v->ev = *ev;
		v->ev.name = NULL;
		v->ev.reason = NULL;
		v->ev.type = NULL;
		v->ev.action = ev->action;	/* static strings only */
		snprintf(v->name, sizeof(v->name), "%s", ev->name ? ev->name : "");
		v->folded = 0;
		return true;
	}
	v->folded++;
	e->st.events_folded++;
	return false;
}

static bool
report(void *ctx, const void *key, const void *val, uint32_t stamp)
{
	struct eng *e = ctx;
	const struct fold_val *v = val;

	(void)key;
	(void)stamp;
	if (v->folded) {
		struct eng_event ev = v->ev;

		ev.now_ms = e->fold_now;
		ev.count = v->folded;
		ev.reason = "folded";
		ev.name = v->name[0] ? v->name : NULL;
		eng_emit(e, &ev);
	}
	return true;
}

void
fold_report(struct eng *e, uint64_t now_ms)
{
	if (htab_count(e->fold.t) == 0)
		return;
	e->fold_now = now_ms;
	htab_walk(e->fold.t, report, e);
	htab_clear(e->fold.t);	/* the next interval starts afresh */
}
