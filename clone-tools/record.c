/*
 * The record line (DESIGN.md section 3): what potemkin-clone prints and
 * stores, and what the gateway and potemkin-ls read back.  Keys always in
 * this order, values never contain blanks.
 */
#include "vmm.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"

int
vmm_record_fmt(const struct vmm_record *r, char *buf, size_t size)
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
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static const char *const record_keys[] = {
	"id", "type", "backend", "ifname", "mac", "guest_ip", "gw_ip", "ip",
	"universe", "pid", "created",
};

static int
record_uint(const char *v, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		if (n > (UINT64_MAX - 9) / 10)
			return -1;
		n = n * 10 + (uint64_t)(v[i] - '0');
	}
	if (n > max)
		return -1;
	*out = n;
	return 0;
}

static int
record_str(const char *v, size_t len, char *out, size_t size)
{
	if (len == 0 || len >= size)
		return -1;
	memcpy(out, v, len);
	out[len] = '\0';
	return 0;
}

static int
record_field(struct vmm_record *r, int k, const char *v, size_t len)
{
	uint64_t n;

	switch (k) {
	case 0:
		if (record_uint(v, len, VMM_ID_MAX, &n) == -1)
			return -1;
		r->id = (unsigned)n;
		return 0;
	case 1: return record_str(v, len, r->type, sizeof(r->type));
	case 2: return record_str(v, len, r->backend, sizeof(r->backend));
	case 3: return record_str(v, len, r->ifname, sizeof(r->ifname));
	case 4: return record_str(v, len, r->mac, sizeof(r->mac));
	case 5: return addr_parse(v, len, &r->guest_ip) == ADDR_OK ? 0 : -1;
	case 6: return addr_parse(v, len, &r->gw_ip) == ADDR_OK ? 0 : -1;
	case 7:
		r->has_ip = !(len == 1 && v[0] == '-');
		return !r->has_ip || addr_parse(v, len, &r->ip) == ADDR_OK ? 0 : -1;
	case 8:
		if (record_uint(v, len, UINT32_MAX, &n) == -1)
			return -1;
		r->universe = (uint32_t)n;
		return 0;
	case 9:
		if (record_uint(v, len, INT32_MAX, &n) == -1)
			return -1;
		r->pid = (long)n;
		return 0;
	default:
		return record_uint(v, len, UINT64_MAX, &r->created);
	}
}

/* Strict: every key, in order, once; a trailing newline is allowed. */
int
vmm_record_parse(const char *line, struct vmm_record *r, char *why,
    size_t whysize)
{
	const char *p = line;
	size_t nkeys = sizeof(record_keys) / sizeof(record_keys[0]);

	memset(r, 0, sizeof(*r));
	for (size_t k = 0; k < nkeys; k++) {
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
		if (record_field(r, (int)k, p, vlen) == -1) {
			snprintf(why, whysize, "bad value for '%s'", record_keys[k]);
			return -1;
		}
		p += vlen;
	}
	if (*p == '\n')
		p++;
	if (*p != '\0') {
		snprintf(why, whysize, "trailing text after 'created='");
		return -1;
	}
	return 0;
}

/* Locally administered, unicast, "PK" in the second and third bytes. */
void
vmm_mac_for_id(unsigned id, char mac[VMM_MACLEN])
{
	snprintf(mac, VMM_MACLEN, "02:50:4b:%02x:%02x:%02x", (id >> 16) & 0xff,
	    (id >> 8) & 0xff, id & 0xff);
}

bool
vmm_mac_valid(const char *mac)
{
	unsigned b[6];
	int n = 0;

	if (strlen(mac) != 17 ||
	    sscanf(mac, "%2x:%2x:%2x:%2x:%2x:%2x%n", &b[0], &b[1], &b[2], &b[3],
		&b[4], &b[5], &n) != 6 || n != 17)
		return false;
	for (int i = 2; i < 17; i += 3)
		if (mac[i] != ':')
			return false;
	return (b[0] & 1) == 0;
}
