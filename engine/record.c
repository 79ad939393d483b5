/*
 * The record line the clone tools print (DESIGN.md section 3): what the
 * gateway learns about a clone.  Every key must be there; unknown keys are
 * ignored so the tools may say more one day.
 */
#include "engine.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"

static int
parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	unsigned v[6];
	char buf[18];
	int n;

	if (len != 17)
		return -1;
	memcpy(buf, s, 17);
	buf[17] = '\0';
	if (sscanf(buf, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2], &v[3],
	    &v[4], &v[5], &n) != 6 || n != 17)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int
parse_ulong(const char *s, size_t len, unsigned long long max,
    unsigned long long *out)
{
	unsigned long long v = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (v > (max - (unsigned long long)(s[i] - '0')) / 10)
			return -1;
		v = v * 10 + (unsigned long long)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
copy_word(const char *s, size_t len, char *dst, size_t cap)
{
	if (len == 0 || len >= cap)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return -1;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

enum { K_ID, K_TYPE, K_BACKEND, K_IFNAME, K_MAC, K_GUEST, K_GW, K_IP, K_UNIV,
	K_PID, K_CREATED, K_COUNT };
static const char *const record_keys[K_COUNT] = {
	"id", "type", "backend", "ifname", "mac", "guest_ip", "gw_ip", "ip",
	"universe", "pid", "created",
};

static int
parse_field(int k, const char *v, size_t vlen, struct eng_vm *vm)
{
	unsigned long long n;
	char backend[16];

	switch (k) {
	case K_ID:
		if (parse_ulong(v, vlen, 1u << 30, &n) < 0)
			return -1;
		vm->id = (int)n;
		return 0;
	case K_TYPE:
		return copy_word(v, vlen, vm->type, sizeof(vm->type));
	case K_BACKEND:
		return copy_word(v, vlen, backend, sizeof(backend));
	case K_IFNAME:
		return copy_word(v, vlen, vm->ifname, sizeof(vm->ifname));
	case K_MAC:
		return parse_mac(v, vlen, vm->mac);
	case K_GUEST:
		return addr_parse(v, vlen, &vm->guest_ip) == ADDR_OK ? 0 : -1;
	case K_GW:
		return addr_parse(v, vlen, &vm->gw_ip) == ADDR_OK ? 0 : -1;
	case K_IP:
		if (vlen == 1 && v[0] == '-') {
			vm->ip = 0;
			return 0;
		}
		return addr_parse(v, vlen, &vm->ip) == ADDR_OK ? 0 : -1;
	case K_UNIV:
		if (parse_ulong(v, vlen, UINT32_MAX, &n) < 0)
			return -1;
		vm->universe = (uint32_t)n;
		return 0;
	case K_PID:
		if (parse_ulong(v, vlen, 1u << 30, &n) < 0)
			return -1;
		vm->pid = (long)n;
		return 0;
	case K_CREATED:
		if (parse_ulong(v, vlen, UINT64_MAX, &n) < 0)
			return -1;
		vm->created_ms = n;
		return 0;
	}
	return -1;
}

int
eng_record_id(const char *line)
{
	for (const char *p = line; (p = strstr(p, "id=")) != NULL; p += 3) {
		unsigned long long n;

		if (p != line && p[-1] != ' ')
			continue;	/* guest_id=, not id= */
		return parse_ulong(p + 3, strcspn(p + 3, " \n"), 1u << 30, &n) == 0 &&
		    n > 0 ? (int)n : -1;
	}
	return -1;
}

int
eng_record_parse(const char *line, struct eng_vm *vm, const char **why)
{
	static char msg[64];
	unsigned seen = 0;
	const char *p = line;

	memset(vm, 0, sizeof(*vm));
	vm->ifindex = -1;
	while (*p && *p != '\n') {
		const char *word = p, *eq;
		size_t wlen;
		int k;

		while (*p && *p != ' ' && *p != '\n')
			p++;
		wlen = (size_t)(p - word);
		while (*p == ' ')
			p++;
		if (wlen == 0)
			continue;
		if ((eq = memchr(word, '=', wlen)) == NULL) {
			*why = "record field without '='";
			return -1;
		}
		for (k = 0; k < K_COUNT; k++)
			if (strlen(record_keys[k]) == (size_t)(eq - word) &&
			    memcmp(record_keys[k], word, (size_t)(eq - word)) == 0)
				break;
		if (k == K_COUNT)
			continue;
		if (parse_field(k, eq + 1, wlen - (size_t)(eq - word) - 1, vm) < 0) {
			snprintf(msg, sizeof(msg), "bad value for record key %s",
			    record_keys[k]);
			*why = msg;
			return -1;
		}
		seen |= 1u << k;
	}
	for (int k = 0; k < K_COUNT; k++) {
		if (!(seen & (1u << k))) {
			snprintf(msg, sizeof(msg), "record lacks key %s", record_keys[k]);
			*why = msg;
			return -1;
		}
	}
	return 0;
}
