/* SPDX-License-Identifier: ISC */
/*
 * The record line, the one contract between the clone tools and the
 * gateway: one parser for both, strict about what it knows.
 */
#include "record.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "number.h"

enum { K_ID, K_TYPE, K_BACKEND, K_IFNAME, K_MAC, K_GUEST, K_GW, K_IP, K_UNIV,
	K_PID, K_CREATED, K_COUNT };

static const char *const record_keys[K_COUNT] = {
	"id", "type", "backend", "ifname", "mac", "guest_ip", "gw_ip", "ip",
	"universe", "pid", "created",
};

int
record_fmt(const struct clone_record *r, char *buf, size_t size)
{
	char guest[ADDR_STRLEN], gw[ADDR_STRLEN], ip[ADDR_STRLEN] = "-";
	int n;

	if (r->has_ip)
		addr_fmt(r->ip, ip);
	n = snprintf(buf, size, "id=%u type=%s backend=%s ifname=%s mac=%s "
	    "guest_ip=%s gw_ip=%s ip=%s universe=%" PRIu32 " pid=%ld "
	    "created=%" PRIu64, r->id, r->type, r->backend, r->ifname, r->mac,
	    addr_fmt(r->guest_ip, guest), addr_fmt(r->gw_ip, gw), ip,
	    r->universe, r->pid, r->created);
	if (n >= 0 && (size_t)n < size && r->host[0])
		n += snprintf(buf + n, size - (size_t)n, " host=%s", r->host);
	if (n >= 0 && (size_t)n < size && r->link_mac[0])
		n += snprintf(buf + n, size - (size_t)n, " link_mac=%s",
		    r->link_mac);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* A name: printable ASCII without blanks, fitting size with its NUL. */
static int
word(const char *v, size_t len, char *out, size_t size)
{
	if (len == 0 || len >= size)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (v[i] <= ' ' || v[i] > '~')
			return -1;
	memcpy(out, v, len);
	out[len] = '\0';
	return 0;
}

static int
field(struct clone_record *r, int k, const char *v, size_t len)
{
	unsigned long long n;
	uint8_t mac[6];

	switch (k) {
	case K_ID:
		if (num_parsen(v, len, 1, RECORD_ID_MAX, &n) < 0)
			return -1;
		r->id = (unsigned)n;
		return 0;
	case K_TYPE: return word(v, len, r->type, sizeof(r->type));
	case K_BACKEND: return word(v, len, r->backend, sizeof(r->backend));
	case K_IFNAME: return word(v, len, r->ifname, sizeof(r->ifname));
	case K_MAC:
		if (mac_parse(v, len, mac) < 0)
			return -1;
		return word(v, len, r->mac, sizeof(r->mac));
	case K_GUEST: return addr_parse(v, len, &r->guest_ip) == ADDR_OK ? 0 : -1;
	case K_GW: return addr_parse(v, len, &r->gw_ip) == ADDR_OK ? 0 : -1;
	case K_IP:
		r->has_ip = !(len == 1 && v[0] == '-');
		return !r->has_ip || addr_parse(v, len, &r->ip) == ADDR_OK ? 0 : -1;
	case K_UNIV:
		if (num_parsen(v, len, 0, UINT32_MAX, &n) < 0)
			return -1;
		r->universe = (uint32_t)n;
		return 0;
	case K_PID:
		if (num_parsen(v, len, 0, INT32_MAX, &n) < 0)
			return -1;
		r->pid = (long)n;
		return 0;
	default:
		if (num_parsen(v, len, 0, UINT64_MAX, &n) < 0)
			return -1;
		r->created = n;
		return 0;
	}
}

/*
 * Keys after created=: " key=value" words.  Those known are checked and
 * kept; those of a newer tool are skipped.  NULL, with why[] told, if a
 * known one has a bad value.
 */
static const char *
later_keys(const char *p, struct clone_record *r, char *why, size_t whysize)
{
	uint8_t mac[6];

	while (*p == ' ') {
		size_t len = strcspn(p + 1, " \n"), klen, vlen;
		const char *eq = memchr(p + 1, '=', len), *v;
		int bad = 0;

		if (len == 0 || eq == NULL || eq == p + 1)
			return p;
		v = eq + 1;
		klen = (size_t)(eq - (p + 1));
		vlen = len - klen - 1;
		if (klen == 4 && memcmp(p + 1, "host", 4) == 0)
			bad = word(v, vlen, r->host, sizeof(r->host));
		else if (klen == 8 && memcmp(p + 1, "link_mac", 8) == 0)
			bad = mac_parse(v, vlen, mac) < 0 ||
			    word(v, vlen, r->link_mac, sizeof(r->link_mac));
		if (bad) {
			snprintf(why, whysize, "bad value for '%.*s'", (int)klen,
			    p + 1);
			return NULL;
		}
		p += 1 + len;
	}
	return p;
}

int
record_parse(const char *line, struct clone_record *r, char *why, size_t whysize)
{
	const char *p = line;

	memset(r, 0, sizeof(*r));
	for (int k = 0; k < K_COUNT; k++) {
		size_t klen = strlen(record_keys[k]), vlen;

		if (k > 0 && *p++ != ' ') {
			snprintf(why, whysize, "a blank is expected before '%s='",
			    record_keys[k]);
			return -1;
		}
		if (strncmp(p, record_keys[k], klen) != 0 || p[klen] != '=') {
			snprintf(why, whysize, "'%s=' expected", record_keys[k]);
			return -1;
		}
		p += klen + 1;
		vlen = strcspn(p, " \n");
		if (field(r, k, p, vlen) < 0) {
			snprintf(why, whysize, "bad value for '%s'", record_keys[k]);
			return -1;
		}
		p += vlen;
	}
	if ((p = later_keys(p, r, why, whysize)) == NULL)
		return -1;
	if (*p == '\n')
		p++;
	if (*p != '\0') {
		snprintf(why, whysize, "trailing text after 'created='");
		return -1;
	}
	return 0;
}

int
record_id(const char *line)
{
	for (const char *p = line; (p = strstr(p, "id=")) != NULL; p += 3) {
		unsigned long long n;

		if (p != line && p[-1] != ' ')
			continue;	/* guest_id=, not id= */
		if (num_parsen(p + 3, strcspn(p + 3, " \n"), 1, RECORD_ID_MAX, &n) < 0)
			return -1;
		return (int)n;
	}
	return -1;
}
