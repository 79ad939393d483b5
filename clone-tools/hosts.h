/* SPDX-License-Identifier: ISC */
/*
 * hosts.conf: the VMM hosts one gateway places its clones on
 * (potemkin-place(8), hosts.conf(5)), and the placement's state in the
 * gateway's state directory:
 *
 *	STATEDIR/hosts/.lock		held while a host is chosen
 *	STATEDIR/hosts/NAME/down	"WALL_MS why": the host is down
 *	STATEDIR/hosts/NAME/TYPE/ID	a clone of TYPE placed there
 *	STATEDIR/hosts/NAME/TYPE/pPID	one being placed by process PID
 */
#ifndef POTEMKIN_HOSTS_H
#define POTEMKIN_HOSTS_H

#include <libconfig.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm.h"

#define HOSTS_DEFAULT_CONF "/etc/potemkin/hosts.conf"
#define HOSTS_MAX 64
#define HOST_TYPES_MAX 16
#define HOST_RUN_MAX 24

struct host_capacity {
	const char *type;
	unsigned n;
};

struct place_host {
	const char *name;
	const char *run[HOST_RUN_MAX + 1];	/* the command prefix; none: here */
	size_t nrun;
	const char *tools;	/* where the clone tools are, on that host */
	const char *vmm;	/* its vmm.conf; NULL: -c's here, the default there */
	uint32_t tunnel;	/* its end of the clones' tunnels (remote hosts) */
	/*
	 * The UDP port of its tunnels, one per host: the gateway takes a
	 * host's tunnels from that host alone, so a clone left running on
	 * one host can never speak into another host's clone of its VNI.
	 */
	uint16_t port;
	struct host_capacity cap[HOST_TYPES_MAX];
	size_t ncap;
	int line;
};

struct hosts_conf {
	config_t cfg;
	const char *path;
	uint32_t tunnel_local;	/* the gateway's end of every tunnel */
	uint16_t tunnel_port;	/* the first host's port; the next ones count up */
	uint64_t check_timeout_ms;
	uint64_t hold_down_ms;
	struct place_host hosts[HOSTS_MAX];
	size_t nhosts;
};

/*
 * Read path; every error reported as "path:line: ...".  tools_here is the
 * directory of the running program: the default for `tools`.
 */
int hosts_conf_load(struct hosts_conf *hc, const char *path, const char *tools_here);
void hosts_conf_free(struct hosts_conf *hc);
const struct place_host *hosts_find(const struct hosts_conf *hc, const char *name);
unsigned host_capacity(const struct place_host *h, const char *type);
static inline bool
host_is_local(const struct place_host *h)
{
	return h->nrun == 0;
}

#endif
