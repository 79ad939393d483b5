/* SPDX-License-Identifier: ISC */
/*
 * SipHash, the keyed pseudorandom function of Aumasson and Bernstein, for
 * hash tables whose keys an outsider chooses: without the 128-bit key their
 * collisions cannot be predicted, so no address or port plan can aim at
 * one probe chain.  SipHash-1-3 (one compression round, three finalization
 * rounds) is the table hash; SipHash-2-4 is here for the reference vectors
 * the test checks the one implementation against.
 *
 * Header-only and inline: tables hash keys of a fixed, small size, and the
 * compiler unrolls a call whose length is a constant.
 */
#ifndef POTEMKIN_SIPHASH_H
#define POTEMKIN_SIPHASH_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct sipkey {
	uint64_t k0, k1;
};

static inline uint64_t
sip_rotl(uint64_t x, int b)
{
	return x << b | x >> (64 - b);
}

#define SIP_ROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = sip_rotl(v1, 13); v1 ^= v0; v0 = sip_rotl(v0, 32); \
	v2 += v3; v3 = sip_rotl(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = sip_rotl(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = sip_rotl(v1, 17); v1 ^= v2; v2 = sip_rotl(v2, 32); \
} while (0)

static inline __attribute__((always_inline)) uint64_t
siphash_cd(int c, int d, const struct sipkey *key, const void *msg, size_t len)
{
	const unsigned char *m = msg;
	uint64_t v0 = key->k0 ^ UINT64_C(0x736f6d6570736575);
	uint64_t v1 = key->k1 ^ UINT64_C(0x646f72616e646f6d);
	uint64_t v2 = key->k0 ^ UINT64_C(0x6c7967656e657261);
	uint64_t v3 = key->k1 ^ UINT64_C(0x7465646279746573);
	uint64_t w, last = (uint64_t)len << 56;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, m + i, 8);
		w = le64toh(w);
		v3 ^= w;
		for (int r = 0; r < c; r++)
			SIP_ROUND(v0, v1, v2, v3);
		v0 ^= w;
	}
	for (size_t j = 0; i + j < len; j++)
		last |= (uint64_t)m[i + j] << (8 * j);
	v3 ^= last;
	for (int r = 0; r < c; r++)
		SIP_ROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	for (int r = 0; r < d; r++)
		SIP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

static inline __attribute__((always_inline)) uint64_t
siphash13(const struct sipkey *key, const void *msg, size_t len)
{
	return siphash_cd(1, 3, key, msg, len);
}

/*
 * SipHash-1-3 of an 8- or 16-byte message given as the words it reads as
 * (little-endian): the same value as siphash13 of those bytes, for a key
 * that is built in registers and need never go through memory.
 */
static inline __attribute__((always_inline)) uint64_t
siphash13_words(const struct sipkey *key, uint64_t w0, uint64_t w1, int nwords)
{
	uint64_t v0 = key->k0 ^ UINT64_C(0x736f6d6570736575);
	uint64_t v1 = key->k1 ^ UINT64_C(0x646f72616e646f6d);
	uint64_t v2 = key->k0 ^ UINT64_C(0x6c7967656e657261);
	uint64_t v3 = key->k1 ^ UINT64_C(0x7465646279746573);
	uint64_t last = (uint64_t)(8 * nwords) << 56;

	v3 ^= w0;
	SIP_ROUND(v0, v1, v2, v3);
	v0 ^= w0;
	if (nwords == 2) {
		v3 ^= w1;
		SIP_ROUND(v0, v1, v2, v3);
		v0 ^= w1;
	}
	v3 ^= last;
	SIP_ROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	SIP_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

static inline uint64_t
siphash24(const struct sipkey *key, const void *msg, size_t len)
{
	return siphash_cd(2, 4, key, msg, len);
}

#endif
