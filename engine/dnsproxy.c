/* SPDX-License-Identifier: ISC */
/*
 * The DNS proxy.  A clone's question never leaves the farm as the clone sent
 * it: the gateway asks the configured resolver itself, from its own socket
 * and with a query id of its own choosing, and answers the clone with a
 * packet that seems to come from the address the clone asked.  Only answers
 * from that resolver, with a pending id and the very same question, are
 * passed back.  Every name asked becomes a `dns` event.
 *
 * Against forged answers: ids from the kernel's CSPRNG, and the letters of
 * each name in a random case (0x20) that the answer must echo exactly; the
 * clone gets its own case back.  Against a clone flooding the resolver or
 * its neighbours: a rate and a share of the outstanding questions per
 * clone, and a full table refuses new questions rather than forgetting
 * another clone's.
 */
#include "eng_int.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "lib/log.h"

#define DNS_HDR 12
#define DNS_MSG_MAX 1500
#define DNS_NAME_MAX 256

struct dns_question {
	uint16_t id;
	uint16_t qtype;
	uint16_t qclass;
	size_t end;		/* offset just past the question section */
	char name[DNS_NAME_MAX]; /* printable, dotted */
};

struct dns_key {
	uint32_t id;
};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Append label bytes to the printable name; odd bytes as \DDD. */
static size_t
name_append(char *name, size_t n, const uint8_t *label, size_t len)
{
	for (size_t i = 0; i < len && n + 5 < DNS_NAME_MAX; i++) {
		uint8_t c = label[i];

		if (c > 0x20 && c < 0x7f && c != '.' && c != '\\')
			name[n++] = (char)c;
		else
			n += (size_t)snprintf(name + n, DNS_NAME_MAX - n, "\\%03u", c);
	}
	name[n] = '\0';
	return n;
}

/* Parse the one question at msg[12..]; returns the offset past it or 0. */
static size_t
parse_question(const uint8_t *msg, size_t len, struct dns_question *q)
{
	size_t off = DNS_HDR, n = 0, wire = 0;

	q->name[0] = '\0';
	for (;;) {
		uint8_t l;

		if (off >= len)
			return 0;
		l = msg[off++];
		if (l == 0)
			break;
		if (l > 63 || off + l > len)
			return 0;	/* compression has no place in a question */
		wire += l + 1u;
		if (wire > 255)
			return 0;
		if (n > 0 && n + 1 < DNS_NAME_MAX)
			q->name[n++] = '.';
		n = name_append(q->name, n, msg + off, l);
		off += l;
	}
	if (n == 0)
		snprintf(q->name, DNS_NAME_MAX, ".");
	if (off + 4 > len)
		return 0;
	q->qtype = get16(msg + off);
	q->qclass = get16(msg + off + 2);
	return off + 4;
}

/* A query a client may send: one question, standard opcode, not a reply. */
static int
dns_parse_query(const uint8_t *msg, size_t len, struct dns_question *q)
{
	if (len < DNS_HDR || len > DNS_MSG_MAX)
		return -1;
	if ((msg[2] & 0x80) || ((msg[2] >> 3) & 0xf) != 0)
		return -1;	/* an answer, or not a standard query */
	if (get16(msg + 4) != 1 || get16(msg + 6) != 0 || get16(msg + 8) != 0 ||
	    get16(msg + 10) > 1)
		return -1;
	q->id = get16(msg);
	if ((q->end = parse_question(msg, len, q)) == 0)
		return -1;
	return 0;
}

/* Exact: the answer must echo the case we asked in. */
static uint32_t
question_hash(const uint8_t *msg, size_t end)
{
	uint32_t h = 2166136261u;

	for (size_t i = DNS_HDR; i < end; i++)
		h = (h ^ msg[i]) * 16777619u;
	return h;
}

static bool
is_letter(uint8_t c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* Random bytes from the kernel's CSPRNG, fetched 256 at a time. */
static void
random_bytes(struct dnsproxy *d, uint8_t *out, size_t n)
{
	while (n--) {
		if (d->rnd_left == 0) {
			/* 256 bytes come whole once the pool is up; never guess. */
			if (getrandom(d->rnd, sizeof(d->rnd), 0) != (ssize_t)sizeof(d->rnd))
				fatal("dns proxy: getrandom");
			d->rnd_left = sizeof(d->rnd);
		}
		*out++ = d->rnd[--d->rnd_left];
	}
}

/* 0x20: flip the case of letters at random; flipped[] remembers which. */
static void
mix_case(struct dnsproxy *d, uint8_t *msg, size_t end, uint8_t flipped[32])
{
	uint8_t bits[32];

	memset(flipped, 0, 32);
	random_bytes(d, bits, sizeof(bits));
	for (size_t i = DNS_HDR; i + 4 < end && i - DNS_HDR < 256; i++) {
		size_t k = i - DNS_HDR;

		if (is_letter(msg[i]) && (bits[k / 8] >> (k % 8) & 1)) {
			msg[i] ^= 0x20;
			flipped[k / 8] |= (uint8_t)(1u << (k % 8));
		}
	}
}

static void
unmix_case(uint8_t *msg, size_t end, const uint8_t flipped[32])
{
	for (size_t i = DNS_HDR; i + 4 < end && i - DNS_HDR < 256; i++) {
		size_t k = i - DNS_HDR;

		if (flipped[k / 8] >> (k % 8) & 1)
			msg[i] ^= 0x20;
	}
}

/* The clone's rate (a token bucket of dns_rate a second) and share. */
static bool
clone_may_ask(struct eng *e, struct binding *b, uint64_t now_ms)
{
	uint64_t refill = (now_ms - b->dns_last_ms) * e->cfg.dns_rate / 1000;

	if (b->dns_last_ms == 0 || refill) {
		b->dns_tokens = b->dns_last_ms == 0 || refill + b->dns_tokens > e->cfg.dns_rate ?
		    e->cfg.dns_rate : (uint32_t)(refill + b->dns_tokens);
		b->dns_last_ms = now_ms;
	}
	if (b->dns_tokens == 0 || b->dns_outstanding >= e->cfg.dns_per_clone)
		return false;
	b->dns_tokens--;
	return true;
}

/* The question is answered or given up: its clone may ask another. */
static void
settle(struct eng *e, const struct dns_pending *pd)
{
	struct binding *b = bt_by_slot(&e->bt, pd->slot, pd->serial);

	if (b && b->dns_outstanding)
		b->dns_outstanding--;
}

int
dns_init(struct dnsproxy *d, size_t max)
{
	struct htab_opts o = {
		.key_size = sizeof(struct dns_key),
		.val_size = sizeof(struct dns_pending),
		.max = max,
		.can_evict = htab_never_evict,
	};

	d->rnd_left = 0;
	d->t = htab_new(&o);
	return d->t ? 0 : -1;
}

void
dns_fini(struct dnsproxy *d)
{
	htab_free(d->t);
	d->t = NULL;
}

static uint16_t
dns_random_id(struct dnsproxy *d)
{
	uint8_t b[2];

	random_bytes(d, b, sizeof(b));
	return (uint16_t)(b[0] << 8 | b[1]);
}

void
dns_proxy_query(struct eng *e, struct binding *b, const struct pkt *p,
    uint32_t resolver, uint64_t now_ms)
{
	uint8_t msg[DNS_MSG_MAX];
	struct dns_question q;
	struct dns_pending *pd = NULL;
	struct eng_event ev;
	struct dns_key k;
	bool created = false;

	if (!p->has_l4 || p->proto != 17 || p->payload_len > sizeof(msg) ||
	    dns_parse_query(p->data + p->payload_off, p->payload_len, &q) < 0) {
		e->st.dns_bad++;
		return;
	}
	if (!clone_may_ask(e, b, now_ms)) {
		e->st.dns_limited++;
		return;
	}
	memcpy(msg, p->data + p->payload_off, p->payload_len);
	for (int tries = 0; tries < 8 && !created; tries++) {
		k.id = dns_random_id(&e->dns);
		pd = htab_insert(e->dns.t, &k, htab_hash(e->dns.t, &k),
		    eng_stamp(now_ms), &created);
	}
	if (pd == NULL || !created) {
		e->st.table_full++;
		return;
	}
	*pd = (struct dns_pending){
		.slot = bt_slot(&e->bt, b),
		.serial = b->serial,
		.asked = p->dst,
		.resolver = resolver,
		.client_port = p->sport,
		.client_id = q.id,
		.sent_ms = now_ms,
		.qtype = q.qtype,
		.qclass = q.qclass,
	};
	mix_case(&e->dns, msg, q.end, pd->flipped);
	pd->name_hash = question_hash(msg, q.end);
	b->dns_outstanding++;
	/*
	 * Only the header and the question go to the resolver: whatever a
	 * clone appends (an EDNS record, or bytes meant to smuggle something
	 * out) stays behind.
	 */
	put16(msg, (uint16_t)k.id);
	put16(msg + 10, 0);
	e->st.dns_questions++;
	e->st.proxied++;
	eng_event_init(&ev, EV_DNS, now_ms);
	ev.dir = EV_DIR_OUT;	/* the clone's question, as the resolver gets it */
	ev.vm = b->vm.id;
	ev.binding = b->serial;
	ev.universe = e->univ.slab[b->uidx].id;
	ev.addr = b->addr;
	ev.peer = resolver;
	ev.name = q.name;
	ev.qtype = q.qtype;
	if (fold_first(e, &ev))
		eng_emit(e, &ev);
	pd->channel = (uint8_t)e->io.dns_query(e->io.ctx, resolver, msg, q.end);
}

void
eng_dns_answer(struct eng *e, uint32_t from, unsigned channel, const uint8_t *msg,
    size_t len, uint64_t now_ms)
{
	uint8_t pkt[DNS_MSG_MAX + 28], copy[DNS_MSG_MAX];
	struct dns_question q;
	struct dns_pending *pd;
	struct binding *b;
	struct dns_key k;
	size_t end, n;

	(void)now_ms;
	if (len < DNS_HDR || len > sizeof(copy) || !(msg[2] & 0x80) ||
	    get16(msg + 4) != 1) {
		e->st.dns_bad++;
		return;
	}
	k.id = get16(msg);
	pd = htab_find(e->dns.t, &k, htab_hash(e->dns.t, &k));
	if (pd == NULL || pd->resolver != from || pd->channel != channel ||
	    (end = parse_question(msg, len, &q)) == 0 ||
	    q.qtype != pd->qtype || q.qclass != pd->qclass ||
	    question_hash(msg, end) != pd->name_hash) {
		e->st.dns_bad++;
		return;
	}
	settle(e, pd);
	b = bt_by_slot(&e->bt, pd->slot, pd->serial);
	if (b == NULL || b->state != BIND_READY) {
		htab_delete_val(e->dns.t, pd);
		return;
	}
	memcpy(copy, msg, len);
	put16(copy, pd->client_id);
	unmix_case(copy, end, pd->flipped);
	n = pkt_build_udp(pd->asked, 53, b->vm.guest_ip, pd->client_port, copy, len,
	    pkt, sizeof(pkt));
	htab_delete_val(e->dns.t, pd);
	if (n == 0)
		return;
	e->st.dns_answers++;
	e->io.deliver(e->io.ctx, &b->vm, pkt, n);
	e->st.delivered++;
}

struct expire_ctx {
	struct eng *e;
	uint64_t now_ms;
};

static bool
dns_fresh(void *ctx, const void *key, void *val)
{
	struct expire_ctx *x = ctx;
	const struct dns_pending *pd = val;

	(void)key;
	if (x->now_ms - pd->sent_ms <= x->e->cfg.dns_timeout_ms)
		return true;
	x->e->st.dns_timeouts++;
	settle(x->e, pd);
	return false;
}

/*
 * Questions the resolver never answered; O(table capacity), once a second,
 * and nothing at all when no question is outstanding (most seconds: the
 * replay tool ticks through hours of capture time in moments).
 */
void
dns_expire(struct eng *e, uint64_t now_ms)
{
	struct expire_ctx x = { e, now_ms };

	if (htab_count(e->dns.t) == 0)
		return;
	htab_sweep(e->dns.t, dns_fresh, &x);
}
