/* SPDX-License-Identifier: ISC */
/*
 * The binding table and the parked-packet pool: where bindings live and how
 * they are found, with no say in their life (bindings.c decides that).
 *
 * Bindings sit in one slab of slots, slot 0 never used so that 0 can mean
 * "no binding" in the flow cache; a stack of free slots, and two indexes
 * that never evict (the `limit vms` keeps them from filling): (universe,
 * farm address) -> slot and, once a clone is ready, its ifindex -> slot.
 * Parked packets wait in fixed buffers from one pool, chained per binding.
 */
#include "eng_int.h"

#include <stdlib.h>
#include <string.h>

struct bind_key {
	uint32_t uidx, addr;
};

struct slot_val {
	uint32_t slot;
};

static struct htab *
index_new(size_t key_size, size_t max)
{
	struct htab_opts o = {
		.key_size = key_size,
		.val_size = sizeof(struct slot_val),
		.max = max,
		.can_evict = htab_never_evict,
	};

	return htab_new(&o);
}

int
bt_init(struct bindtab *bt, size_t vms)
{
	memset(bt, 0, sizeof(*bt));
	bt->next_serial = 1;
	return bt_grow(bt, vms);
}

void
bt_fini(struct bindtab *bt)
{
	htab_free(bt->by_key);
	htab_free(bt->by_if);
	free(bt->slab);
	free(bt->free_slots);
}

static int
index_put(struct htab *t, const void *key, uint32_t slot, uint32_t stamp)
{
	struct slot_val *v = htab_insert(t, key, htab_hash(t, key), stamp, NULL);

	if (v == NULL)
		return -1;
	v->slot = slot;
	return 0;
}

/* Make room for vms bindings; the indexes are rebuilt from the live ones. */
int
bt_grow(struct bindtab *bt, size_t vms)
{
	size_t nslots = vms + 1;
	struct binding *slab;
	uint32_t *free_slots;
	struct htab *bk, *bi;

	if (nslots <= bt->nslots)
		return 0;
	if ((slab = realloc(bt->slab, nslots * sizeof(*slab))) == NULL)
		return -1;
	bt->slab = slab;
	memset(slab + bt->nslots, 0, (nslots - bt->nslots) * sizeof(*slab));
	if ((free_slots = realloc(bt->free_slots, nslots * sizeof(*free_slots))) == NULL)
		return -1;
	bt->free_slots = free_slots;
	for (size_t i = nslots; i-- > (bt->nslots ? bt->nslots : 1);)
		bt->free_slots[bt->nfree++] = (uint32_t)i;
	bt->nslots = nslots;

	bk = index_new(sizeof(struct bind_key), vms);
	bi = index_new(sizeof(uint32_t), vms);
	if (bk == NULL || bi == NULL) {
		htab_free(bk);
		htab_free(bi);
		return -1;
	}
	for (size_t s = 1; s < bt->nslots; s++) {
		const struct binding *b = &bt->slab[s];
		struct bind_key k = { b->uidx, b->addr };
		uint32_t ifx = (uint32_t)b->vm.ifindex;

		if (b->state == BIND_FREE)
			continue;
		index_put(bk, &k, (uint32_t)s, 0);
		if (b->state == BIND_READY && b->vm.ifindex > 0)
			index_put(bi, &ifx, (uint32_t)s, 0);
	}
	htab_free(bt->by_key);
	htab_free(bt->by_if);
	bt->by_key = bk;
	bt->by_if = bi;
	bt->memo_of = NULL;	/* hashed under the old table's key */
	return 0;
}

size_t
bt_bytes(const struct bindtab *bt)
{
	return htab_bytes(bt->by_key) + htab_bytes(bt->by_if) +
	    bt->nslots * (sizeof(struct binding) + sizeof(uint32_t));
}

uint32_t
bt_slot(const struct bindtab *bt, const struct binding *b)
{
	return (uint32_t)(b - bt->slab);
}

struct binding *
bt_find(struct bindtab *bt, uint32_t uidx, uint32_t addr)
{
	struct bind_key k = { uidx, addr };
	struct slot_val *v;

	if (bt->memo_of != bt->by_key || bt->memo_uidx != uidx || bt->memo_addr != addr) {
		bt->memo_hash = htab_hash64(bt->by_key, htab_word32(uidx, addr));
		bt->memo_uidx = uidx;
		bt->memo_addr = addr;
		bt->memo_of = bt->by_key;
	}
	v = htab_find(bt->by_key, &k, bt->memo_hash);
	return v ? &bt->slab[v->slot] : NULL;
}

struct binding *
bt_by_slot(const struct bindtab *bt, uint32_t slot, uint32_t serial)
{
	struct binding *b;

	if (slot == 0 || slot >= bt->nslots)
		return NULL;
	b = &bt->slab[slot];
	return b->state != BIND_FREE && b->serial == serial ? b : NULL;
}

struct binding *
bt_by_ifindex(const struct bindtab *bt, int ifindex)
{
	uint32_t ifx = (uint32_t)ifindex;
	struct slot_val *v = htab_find(bt->by_if, &ifx, htab_hash(bt->by_if, &ifx));

	return v ? &bt->slab[v->slot] : NULL;
}

struct binding *
bt_by_vm(const struct bindtab *bt, int vm)
{
	for (size_t s = 1; s < bt->nslots; s++)
		if (bt->slab[s].state == BIND_READY && bt->slab[s].vm.id == vm)
			return &bt->slab[s];
	return NULL;
}

struct binding *
bt_pending(const struct bindtab *bt, uint32_t serial)
{
	for (size_t s = 1; s < bt->nslots; s++)
		if (bt->slab[s].state == BIND_PENDING && bt->slab[s].serial == serial)
			return &bt->slab[s];
	return NULL;
}

struct binding *
bt_insert(struct bindtab *bt, uint32_t uidx, uint32_t addr, uint32_t stamp)
{
	struct bind_key k = { uidx, addr };
	struct binding *b;
	uint32_t slot;

	if (bt->nfree == 0)
		return NULL;
	slot = bt->free_slots[bt->nfree - 1];
	if (index_put(bt->by_key, &k, slot, stamp) < 0)
		return NULL;
	bt->nfree--;
	b = &bt->slab[slot];
	memset(b, 0, sizeof(*b));
	b->serial = bt->next_serial++;
	if (bt->next_serial == 0)
		bt->next_serial = 1;
	b->uidx = uidx;
	b->addr = addr;
	b->state = BIND_PENDING;
	b->park_head = b->park_tail = PARK_NONE;
	b->vm.id = -1;
	bt->pending++;
	return b;
}

void
bt_set_ready(struct bindtab *bt, struct binding *b, uint32_t stamp)
{
	uint32_t ifx = (uint32_t)b->vm.ifindex;

	b->state = BIND_READY;
	bt->pending--;
	bt->live++;
	if (b->vm.ifindex > 0)
		index_put(bt->by_if, &ifx, bt_slot(bt, b), stamp);
}

void
bt_remove(struct bindtab *bt, struct binding *b)
{
	struct bind_key k = { b->uidx, b->addr };
	uint32_t ifx = (uint32_t)b->vm.ifindex;

	htab_delete(bt->by_key, &k, htab_hash(bt->by_key, &k));
	if (b->state == BIND_READY && b->vm.ifindex > 0)
		htab_delete(bt->by_if, &ifx, htab_hash(bt->by_if, &ifx));
	if (b->state == BIND_PENDING)
		bt->pending--;
	else
		bt->live--;
	b->state = BIND_FREE;
	bt->free_slots[bt->nfree++] = bt_slot(bt, b);
}

/* ---- the parked-packet pool ------------------------------------------------ */

static struct park_buf *
park_at(const struct parkpool *pp, uint32_t i)
{
	return (struct park_buf *)(pp->buf + (size_t)i * pp->size);
}

int
park_init(struct parkpool *pp, size_t n, size_t bytes)
{
	memset(pp, 0, sizeof(*pp));
	pp->size = (sizeof(struct park_buf) + bytes + 7) & ~(size_t)7;
	pp->bytes = bytes;
	pp->free = PARK_NONE;
	return park_grow(pp, n);
}

void
park_fini(struct parkpool *pp)
{
	free(pp->buf);
}

int
park_grow(struct parkpool *pp, size_t n)
{
	unsigned char *buf;

	if (n <= pp->count)
		return 0;
	if ((buf = realloc(pp->buf, n * pp->size)) == NULL)
		return -1;
	pp->buf = buf;
	/* Pushed in reverse so that the lowest new buffer is taken first. */
	for (size_t i = n; i-- > pp->count;) {
		park_at(pp, (uint32_t)i)->next = pp->free;
		pp->free = (uint32_t)i;
	}
	pp->count = n;
	return 0;
}

int
park_push(struct parkpool *pp, struct binding *b, const uint8_t *data, size_t len)
{
	struct park_buf *pb;
	uint32_t i = pp->free;

	if (i == PARK_NONE || len > pp->bytes)
		return -1;
	pb = park_at(pp, i);
	pp->free = pb->next;
	pb->next = PARK_NONE;
	pb->len = (uint16_t)len;
	memcpy(pb->data, data, len);
	if (b->park_tail == PARK_NONE)
		b->park_head = i;
	else
		park_at(pp, b->park_tail)->next = i;
	b->park_tail = i;
	b->parked++;
	return 0;
}

void
park_drain(struct parkpool *pp, struct binding *b, park_fn *fn, void *ctx)
{
	while (b->park_head != PARK_NONE) {
		uint32_t i = b->park_head;
		struct park_buf *pb = park_at(pp, i);

		b->park_head = pb->next;
		if (fn)
			fn(ctx, b, pb->data, pb->len);
		pb->next = pp->free;
		pp->free = i;
	}
	b->park_tail = PARK_NONE;
	b->parked = 0;
}

size_t
park_bytes(const struct parkpool *pp)
{
	return pp->count * pp->size;
}
