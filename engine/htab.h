/* SPDX-License-Identifier: ISC */
/*
 * A bounded hash table of fixed-size keys and values, the one structure
 * behind every table of the engine (flows, history, scan filter, universes,
 * bindings, DNS questions).
 *
 * Open addressing with linear probing in Robin Hood order; each slot holds
 * a 32-bit hash signature (0 = empty), a 32-bit stamp for eviction, the key
 * and the value, the first two in one compact array (what searches and
 * eviction read), the key and value at the same index in another (read
 * only where a signature matches).  Deletion shifts later entries back,
 * so there are no tombstones.  Inserts and deletions move entries: a value
 * pointer is good only until the next insert or delete on its table.
 * The capacity is fixed at creation (about max/0.8 slots, not a power of two)
 * and never grows: memory is decided by configuration, not by traffic.
 *
 * When the table holds max entries an insert evicts one: a handful of
 * occupied slots is sampled and the one with the oldest stamp goes (the
 * approximate LRU Redis uses), skipping entries the can_evict predicate
 * refuses.  Costs: find/insert/delete O(1) expected; eviction O(samples).
 *
 * Hashes are SipHash-1-3 under a per-table key from the kernel's CSPRNG, so
 * that an attacker who controls addresses and ports can neither predict nor
 * construct collisions and cannot aim at one probe chain.
 */
#ifndef POTEMKIN_HTAB_H
#define POTEMKIN_HTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct htab;

/* May the entry with this key and value be evicted? */
typedef bool htab_evict_ok(void *ctx, const void *key, void *val);
/* Called just before an evicted entry disappears. */
typedef void htab_evicted(void *ctx, const void *key, void *val);

/* For tables whose entries leave only when their owner says: a full table refuses. */
bool htab_never_evict(void *ctx, const void *key, void *val);

struct htab_opts {
	size_t key_size;	/* a multiple of 4 bytes */
	size_t val_size;
	size_t max;		/* entries at most; at least 1 */
	htab_evict_ok *can_evict; /* NULL: everything may go */
	htab_evicted *on_evict;	/* NULL: nothing to do */
	void *ctx;
};

struct htab *htab_new(const struct htab_opts *o);
void htab_free(struct htab *h);

/*
 * The keyed hash of key; pass it to the calls below.  It is the dearest part
 * of a lookup: compute it once per key and packet, and keep it.
 */
uint32_t htab_hash(const struct htab *h, const void *key);

/*
 * htab_hash of an 8- or 16-byte key given as the words it reads as
 * (htab_word32 and htab_word16 build them): the same value, computed from
 * the fields in registers, with no key to store and read back whole.
 */
uint32_t htab_hash64(const struct htab *h, uint64_t w0);
uint32_t htab_hash128(const struct htab *h, uint64_t w0, uint64_t w1);

/* The word that 32-bit fields a then b of a key read as. */
static inline uint64_t
htab_word32(uint32_t a, uint32_t b)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint64_t)b << 32 | a;
#else
	uint32_t m[2] = { a, b };
	unsigned char *p = (unsigned char *)m;
	uint64_t w = 0;

	for (int i = 7; i >= 0; i--)
		w = w << 8 | p[i];
	return w;
#endif
}

/* The word that 16-bit fields a, b, c, d of a key read as. */
static inline uint64_t
htab_word16(uint16_t a, uint16_t b, uint16_t c, uint16_t d)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (uint64_t)d << 48 | (uint64_t)c << 32 | (uint64_t)b << 16 | a;
#else
	uint16_t m[4] = { a, b, c, d };
	unsigned char *p = (unsigned char *)m;
	uint64_t w = 0;

	for (int i = 7; i >= 0; i--)
		w = w << 8 | p[i];
	return w;
#endif
}

/*
 * Start loading the slot where the search for this hash begins, so that
 * several tables' cache misses overlap instead of following each other.
 * A hint: nothing changes.
 */
void htab_prefetch(const struct htab *h, uint32_t hash);

/* The value stored for key, or NULL. */
void *htab_find(const struct htab *h, const void *key, uint32_t hash);

/*
 * The value for key, inserting a zeroed one (and setting *created) when it
 * is absent.  NULL only when the table is full and nothing may be evicted.
 */
void *htab_insert(struct htab *h, const void *key, uint32_t hash, uint32_t stamp,
    bool *created);

bool htab_delete(struct htab *h, const void *key, uint32_t hash);
/* Delete the entry whose value pointer came from find or insert. */
void htab_delete_val(struct htab *h, void *val);

/* Eviction age of an entry: set on insert, refreshed by the owner. */
void htab_touch(struct htab *h, void *val, uint32_t stamp);
uint32_t htab_stamp(const struct htab *h, const void *val);

size_t htab_count(const struct htab *h);
size_t htab_max(const struct htab *h);
/* Bytes the table holds, its own structure included. */
size_t htab_bytes(const struct htab *h);
uint64_t htab_evictions(const struct htab *h);

/* Remove every entry (e.g. the flow cache on a policy reload). */
void htab_clear(struct htab *h);

/*
 * Visit every entry; fn returns false to delete it.  Entries moved by a
 * deletion may be visited twice or not at all, so callers only use this for
 * sweeps whose predicate is idempotent.
 */
typedef bool htab_visit(void *ctx, const void *key, void *val);
void htab_sweep(struct htab *h, htab_visit *fn, void *ctx);

/* Visit every entry read-only; fn returns false to stop early. */
typedef bool htab_look(void *ctx, const void *key, const void *val, uint32_t stamp);
void htab_walk(const struct htab *h, htab_look *fn, void *ctx);

#endif
