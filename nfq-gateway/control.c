/* SPDX-License-Identifier: ISC */
/*
 * The control socket: a Unix stream socket, mode 0600, one request line per
 * connection and one JSON line in reply.  A request that starts with "text"
 * gets the same answer rendered for people, in the reply's "text" member,
 * which is what potemkin-ctl prints without --json.
 */
#include "gateway.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fastpath.h"
#include "lib/addr.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/monotime.h"
#include "lib/number.h"

#define CTL_LINE_MAX 512
/* Words in a request: a detector's reason (signature text) takes many. */
#define CTL_ARGS_MAX 64

/* Is someone answering on the socket at path? */
static bool
socket_alive(const struct sockaddr_un *sun)
{
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool alive;

	if (probe < 0)
		return true;	/* cannot tell: do not steal it */
	alive = connect(probe, (const struct sockaddr *)sun, sizeof(*sun)) == 0 ||
	    errno != ECONNREFUSED;
	close(probe);
	return alive;
}

/*
 * Bind path, mode 0600.  A socket left by a dead gateway is replaced; one a
 * live gateway answers on is not (EADDRINUSE).
 */
int
ctl_listen(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, rc, e;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return -1;
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (rc < 0 && errno == EADDRINUSE) {
		if (socket_alive(&sun))
			errno = EADDRINUSE;
		else if (unlink(path) == 0)
			rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	}
	e = errno;
	umask(old);
	if (rc < 0 || chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		if (rc == 0)
			e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* ---- replies ---------------------------------------------------------------- */

struct reply {
	FILE *f;		/* the JSON members being built */
	char *buf;
	size_t len;
	FILE *t;		/* the same for people */
	char *tbuf;
	size_t tlen;
	bool text;		/* the client asked for the text too */
	uint32_t reload_serial;	/* CMD_PENDING: the reload it waits for */
};

static void
reply_open(struct reply *r)
{
	r->f = open_memstream(&r->buf, &r->len);
	r->t = open_memstream(&r->tbuf, &r->tlen);
	if (r->f == NULL || r->t == NULL)
		fatal("control: open_memstream");
}

/*
 * Wrap what the command wrote: {"ok":BOOL,MEMBERS[,"text":...]} in *out.
 * The text goes with a failure too when the command wrote one (a reload's
 * errors, for potemkin-ctl to print as they are).
 */
static void
reply_close(struct reply *r, int rc, char **out, size_t *outlen)
{
	FILE *f;

	fclose(r->f);
	fclose(r->t);
	if ((f = open_memstream(out, outlen)) == NULL)
		fatal("control: open_memstream");
	fprintf(f, "{\"ok\":%s%s%s", rc == 0 ? "true" : "false", r->len ? "," : "", r->buf);
	if (r->text && (rc == 0 || r->tlen > 0)) {
		fputs(",\"text\":", f);
		json_fput_strn(f, r->tbuf, r->tlen);
	}
	fputs("}\n", f);
	fclose(f);
	free(r->buf);
	free(r->tbuf);
}

static void
rput(struct reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
tput(struct reply *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
rput(struct reply *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(r->f, fmt, ap);
	va_end(ap);
}

static void
tput(struct reply *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(r->t, fmt, ap);
	va_end(ap);
}

/* A JSON string of s (escaped) into the reply. */
static void
rstr(struct reply *r, const char *s)
{
	json_fput_strn(r->f, s, strlen(s));
}

static const char *
fmt_addr(uint32_t a, char buf[ADDR_STRLEN])
{
	return a ? addr_fmt(a, buf) : "-";
}

/* ---- commands --------------------------------------------------------------- */

static int
cmd_status(struct gw *g, struct reply *r, int argc, char **argv)
{
	struct eng_stats st;
	uint64_t up = (mono_ms() - g->started_ms) / 1000;
	static const char *const modes[] = { "per-source", "per-pair", "shared" };

	(void)argc;
	(void)argv;
	eng_stats(g->eng, &st);
	rput(r, "\"pid\":%d,\"uptime_s\":%llu,\"policy\":", (int)getpid(),
	    (unsigned long long)up);
	rstr(r, g->policy_path);
	rput(r, ",\"universe_mode\":\"%s\",\"vms\":%zu,\"pending\":%zu,"
	    "\"universes\":%zu,\"flows\":%zu,\"reloads\":%llu,\"reload_failures\":%llu",
	    modes[pol_universe_mode(g->prog)], st.vms, st.pending, st.universes,
	    st.flows, (unsigned long long)st.reloads,
	    (unsigned long long)g->reload_failures);
	tput(r, "pid             %d\nuptime          %llus\npolicy          %s\n"
	    "universe mode   %s\nclones          %zu ready, %zu being made\n"
	    "universes       %zu\nflows           %zu\nreloads         %llu (%llu failed)\n",
	    (int)getpid(), (unsigned long long)up, g->policy_path,
	    modes[pol_universe_mode(g->prog)], st.vms, st.pending, st.universes,
	    st.flows, (unsigned long long)st.reloads,
	    (unsigned long long)g->reload_failures);
	return 0;
}

#define STAT(name, v) { name, (unsigned long long)(v) }

/*
 * The kernel's own count of what a queue lost: queue_dropped (the queue was
 * full) and user_dropped (our socket overflowed).  Both were dropped, never
 * accepted: the queues are not fail-open.
 */
struct queue_drops {
	unsigned long long queue, user;
};

static void
kernel_queue_drops(const struct gw *g, unsigned num, struct queue_drops *d)
{
	char buf[4096], *line, *save = NULL;
	ssize_t n;

	*d = (struct queue_drops){ 0, 0 };
	if (g->nfq_proc_fd < 0 || lseek(g->nfq_proc_fd, 0, SEEK_SET) < 0 ||
	    (n = read(g->nfq_proc_fd, buf, sizeof(buf) - 1)) <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned q, portid, total, mode, range;
		unsigned long long qd, ud;

		if (sscanf(line, "%u %u %u %u %u %llu %llu", &q, &portid, &total, &mode,
		    &range, &qd, &ud) == 7 && q == num) {
			d->queue = qd;
			d->user = ud;
		}
	}
}

static int
cmd_stats(struct gw *g, struct reply *r, int argc, char **argv)
{
	struct eng_stats s;
	const struct nq_stats *qi = nq_stats(g->q_in), *qo = nq_stats(g->q_out);
	const struct tx_stats *tx = tx_stats(g->tx);
	struct queue_drops di, dout;
	struct fp_stats fp;

	/* stats --prometheus is potemkin-ctl's own; a word here is a mistake. */
	(void)argv;
	if (argc > 1) {
		rput(r, "\"error\":");
		rstr(r, "stats takes no argument (--prometheus is the only option)");
		return -1;
	}
	eng_stats(g->eng, &s);
	kernel_queue_drops(g, g->cfg->queue_in, &di);
	kernel_queue_drops(g, g->cfg->queue_out, &dout);
	fp_stats(g, &fp);
	{
		const struct { const char *name; unsigned long long v; } items[] = {
#define ENG_ITEM(name) STAT(#name, s.name),
			ENG_COUNTERS(ENG_ITEM)
			STAT("reload_failures", g->reload_failures),
			ENG_GAUGES(ENG_ITEM)
#undef ENG_ITEM
			STAT("queue_in_packets", qi->packets), STAT("queue_in_enobufs", qi->enobufs),
			STAT("queue_out_packets", qo->packets),
			STAT("queue_out_enobufs", qo->enobufs),
			STAT("queue_errors", qi->errors + qo->errors),
			STAT("queue_in_full_dropped", di.queue),
			STAT("queue_in_user_dropped", di.user),
			STAT("queue_out_full_dropped", dout.queue),
			STAT("queue_out_user_dropped", dout.user),
			STAT("truncated", g->truncated),
			STAT("tx_sent", tx->sent), STAT("tx_errors", tx->errors),
			STAT("emit_errors", g->emit_errors),
			STAT("dns_send_errors", g->dns_send_errors),
			STAT("events_written", g->events_written),
			STAT("events_lost", g->events_lost),
			STAT("events_over_rate", g->events_over_rate),
			STAT("pcap_written", g->pcap_written),
			STAT("pcap_dropped", g->pcap_dropped),
			STAT("pcap_errors", g->pcap_errors),
			STAT("fastpath_on", fp.on),
			STAT("fastpath_flows", fp.flows),
			STAT("fastpath_added", fp.added),
			STAT("fastpath_removed", fp.removed),
			STAT("fastpath_refused", fp.refused),
			STAT("fastpath_packets", fp.packets),
			STAT("fastpath_bytes", fp.bytes),
		};

		for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
			rput(r, "%s\"%s\":%llu", i ? "," : "", items[i].name, items[i].v);
			tput(r, "%-20s %llu\n", items[i].name, items[i].v);
		}
	}
	return 0;
}

struct list_ctx {
	struct reply *r;
	int n;
	uint64_t now;
	int limit;
};

static void
vm_row(void *ctx, const struct eng_binding_info *b)
{
	struct list_ctx *l = ctx;
	char a[ADDR_STRLEN], gi[ADDR_STRLEN];
	const struct eng_vm *vm = b->vm;

	rput(l->r, "%s{\"vm\":%d,\"binding\":%u,\"addr\":\"%s\",\"type\":", l->n++ ? "," : "",
	    vm ? vm->id : -1, b->serial, addr_fmt(b->addr, a));
	rstr(l->r, b->type);
	rput(l->r, ",\"host\":");
	rstr(l->r, vm && vm->host[0] ? vm->host : "");
	rput(l->r, ",\"universe\":%u,\"state\":\"%s\",\"ifname\":\"%s\",\"guest_ip\":\"%s\","
	    "\"age_ms\":%llu,\"idle_ms\":%llu,\"packets_in\":%llu,\"packets_out\":%llu,"
	    "\"bytes_in\":%llu,\"bytes_out\":%llu,\"infected\":%s,\"parked\":%u}",
	    b->universe, b->state, vm ? vm->ifname : "", vm ? addr_fmt(vm->guest_ip, gi) : "",
	    (unsigned long long)(l->now - b->created_ms),
	    (unsigned long long)(l->now - b->last_ms),
	    (unsigned long long)b->packets_in, (unsigned long long)b->packets_out,
	    (unsigned long long)b->bytes_in, (unsigned long long)b->bytes_out,
	    b->infected ? "true" : "false", b->parked);
	tput(l->r, "%-5s %-15s %-14s %-10s %8u %-8s %-8s %8llus %8llus %8llu %8llu %s\n",
	    vm ? (snprintf(gi, sizeof(gi), "%d", vm->id), gi) : "-", a, b->type,
	    vm && vm->host[0] ? vm->host : "-",
	    b->universe, b->state, vm ? vm->ifname : "-",
	    (unsigned long long)(l->now - b->created_ms) / 1000,
	    (unsigned long long)(l->now - b->last_ms) / 1000,
	    (unsigned long long)b->packets_in, (unsigned long long)b->packets_out,
	    b->infected ? "infected" : "");
}

static int
cmd_vms(struct gw *g, struct reply *r, int argc, char **argv)
{
	struct list_ctx l = { r, 0, mono_ms(), 0 };

	(void)argc;
	(void)argv;
	tput(r, "%-5s %-15s %-14s %-10s %8s %-8s %-8s %9s %9s %8s %8s\n", "VM", "ADDRESS",
	    "TYPE", "HOST", "UNIVERSE", "STATE", "IFNAME", "AGE", "IDLE", "PKTS-IN", "PKTS-OUT");
	rput(r, "\"vms\":[");
	eng_foreach_binding(g->eng, vm_row, &l);
	rput(r, "]");
	return 0;
}

static void
universe_row(void *ctx, const struct eng_universe_info *u)
{
	struct list_ctx *l = ctx;
	char sbuf[ADDR_STRLEN], dbuf[ADDR_STRLEN];
	const char *s = fmt_addr(u->src, sbuf), *d = fmt_addr(u->dst, dbuf);

	rput(l->r, "%s{\"universe\":%u,\"mode\":\"%s\",\"src\":\"%s\",\"dst\":\"%s\","
	    "\"vms\":%u,\"age_ms\":%llu}", l->n++ ? "," : "", u->id, u->mode, s, d,
	    u->bindings, (unsigned long long)(l->now - u->created_ms));
	tput(l->r, "%8u %-10s %-15s %-15s %4u %8llus\n", u->id, u->mode, s, d, u->bindings,
	    (unsigned long long)(l->now - u->created_ms) / 1000);
}

static int
cmd_universes(struct gw *g, struct reply *r, int argc, char **argv)
{
	struct list_ctx l = { r, 0, mono_ms(), 0 };

	(void)argc;
	(void)argv;
	tput(r, "%8s %-10s %-15s %-15s %4s %9s\n", "UNIVERSE", "MODE", "SOURCE", "FARM-ADDR",
	    "VMS", "AGE");
	rput(r, "\"universes\":[");
	eng_foreach_universe(g->eng, universe_row, &l);
	rput(r, "]");
	return 0;
}

/* Live clones per host, from the bindings: what the gateway itself holds. */
struct host_count {
	const struct gw_hosts *t;
	unsigned live[GW_HOSTS_MAX];
};

static void
count_host(void *ctx, const struct eng_binding_info *b)
{
	struct host_count *hc = ctx;

	for (size_t i = 0; b->vm && i < hc->t->n; i++)
		if (strcmp(b->vm->host, hc->t->h[i].name) == 0)
			hc->live[i]++;
}

static int
cmd_hosts(struct gw *g, struct reply *r, int argc, char **argv)
{
	struct host_count hc = { .t = &g->hosts };

	(void)argc;
	(void)argv;
	eng_foreach_binding(g->eng, count_host, &hc);
	tput(r, "%-12s %-5s %5s %-24s %s\n", "HOST", "STATE", "LIVE", "CAPACITY", "WHY");
	rput(r, "\"checks\":%llu,\"check_failures\":%llu,\"hosts\":[",
	    (unsigned long long)g->hosts.checks, (unsigned long long)g->hosts.check_failures);
	for (size_t i = 0; i < hc.t->n; i++) {
		const struct gw_host *h = &hc.t->h[i];

		rput(r, "%s{\"host\":", i ? "," : "");
		rstr(r, h->name);
		rput(r, ",\"state\":\"%s\",\"live\":%u,\"capacity\":", h->up ? "up" : "down",
		    hc.live[i]);
		rstr(r, h->capacity);
		rput(r, ",\"why\":");
		rstr(r, h->why);
		rput(r, "}");
		tput(r, "%-12s %-5s %5u %-24s %s\n", h->name, h->up ? "up" : "down", hc.live[i],
		    h->capacity[0] ? h->capacity : "-", h->up ? "" : h->why);
	}
	rput(r, "]");
	if (g->cfg->hosts_cmd.argc == 0)
		tput(r, "(no clone.hosts command in gateway.conf: one host, this one)\n");
	return 0;
}

static bool
flow_row(void *ctx, const struct eng_flow_info *f)
{
	struct list_ctx *l = ctx;
	char s[ADDR_STRLEN], d[ADDR_STRLEN];

	if (l->n >= l->limit)
		return false;
	rput(l->r, "%s{\"dir\":\"%s\",\"proto\":%u,\"src\":\"%s\",\"sport\":%u,"
	    "\"dst\":\"%s\",\"dport\":%u,\"action\":\"%s\",\"binding\":%u,\"age_s\":%u}",
	    l->n++ ? "," : "", f->dir == POL_IN ? "in" : "out", f->proto,
	    addr_fmt(f->src, s), f->sport, addr_fmt(f->dst, d), f->dport, f->action,
	    f->binding, f->age_s);
	tput(l->r, "%-3s %5u %15s:%-5u %15s:%-5u %-8s %7u %6us\n",
	    f->dir == POL_IN ? "in" : "out", f->proto, s, f->sport, d, f->dport, f->action,
	    f->binding, f->age_s);
	return true;
}

static int
cmd_flows(struct gw *g, struct reply *r, int argc, char **argv)
{
	struct list_ctx l = { r, 0, mono_ms(), 50 };

	if (argc > 1) {
		unsigned long long n;

		if (num_parse(argv[1], 1, 10000, &n) < 0) {
			rput(r, "\"error\":\"flows: N must be 1..10000\"");
			return -1;
		}
		l.limit = (int)n;
	}
	tput(r, "%-3s %5s %21s %21s %-8s %7s %7s\n", "DIR", "PROTO", "SOURCE", "DESTINATION",
	    "ACTION", "BINDING", "AGE");
	rput(r, "\"flows\":[");
	eng_foreach_flow(g->eng, mono_ms(), flow_row, &l);
	rput(r, "]");
	return 0;
}

static int
parse_vm(struct reply *r, const char *s, int *vm)
{
	unsigned long long v;

	if (num_parse(s, 0, RECORD_ID_MAX, &v) < 0) {
		rput(r, "\"error\":");
		rstr(r, "not a clone id");
		return -1;
	}
	*vm = (int)v;
	return 0;
}

static int
result(struct reply *r, int rc, const char *why, const char *done)
{
	if (rc < 0) {
		rput(r, "\"error\":");
		rstr(r, why);
		return -1;
	}
	tput(r, "%s\n", done);
	return 0;
}

static int
cmd_bind(struct gw *g, struct reply *r, int argc, char **argv)
{
	const char *why = NULL;
	uint32_t addr;
	int rc;

	if (argc < 2 || argc > 3 || addr_parse(argv[1], strlen(argv[1]), &addr) != ADDR_OK) {
		rput(r, "\"error\":\"usage: bind ADDRESS [TYPE]\"");
		return -1;
	}
	rc = eng_bind(g->eng, addr, argc > 2 ? argv[2] : NULL, 0, mono_ms(), &why);
	return result(r, rc, why, "clone requested");
}

/* What `infected` is asked about: a clone, or an address in some universe. */
struct infected_args {
	const char *target;
	uint32_t universe, peer;
	bool by_addr;
	uint32_t addr;
	int vm;
	char reason[256];
};

/*
 * infected TARGET [--universe U | --peer P] [REASON ...]: the options may
 * come before or after TARGET; the first other word after it starts the
 * reason, which is the rest of the line.
 */
static int
parse_infected(struct reply *r, int argc, char **argv, struct infected_args *a)
{
	static const char usage[] =
	    "usage: infected VM|ADDRESS [--universe U | --peer P] [REASON]";
	unsigned long long v;
	int i;

	for (i = 1; i < argc; i++) {
		bool uni = strcmp(argv[i], "--universe") == 0;

		if (uni || strcmp(argv[i], "--peer") == 0) {
			if (++i == argc || a->universe || a->peer) {
				rput(r, "\"error\":\"%s\"", usage);
				return -1;
			}
			if (uni && num_parse(argv[i], 1, UINT32_MAX, &v) == 0) {
				a->universe = (uint32_t)v;
			} else if (uni || addr_parse(argv[i], strlen(argv[i]), &a->peer) != ADDR_OK ||
			    a->peer == 0) {
				rput(r, "\"error\":\"%s: not %s\"", argv[i],
				    uni ? "a universe number" : "an IPv4 address");
				return -1;
			}
		} else if (a->target == NULL) {
			a->target = argv[i];
		} else {
			break;
		}
	}
	for (; i < argc; i++)
		snprintf(a->reason + strlen(a->reason), sizeof(a->reason) - strlen(a->reason),
		    "%s%s", a->reason[0] ? " " : "", argv[i]);
	if (a->target == NULL) {
		rput(r, "\"error\":\"%s\"", usage);
		return -1;
	}
	a->by_addr = addr_parse(a->target, strlen(a->target), &a->addr) == ADDR_OK;
	if (!a->by_addr && (a->universe || a->peer)) {
		rput(r, "\"error\":\"--universe and --peer go with an address, not a clone id\"");
		return -1;
	}
	return a->by_addr ? 0 : parse_vm(r, a->target, &a->vm);
}

#define INFECTED_CANDIDATES 16

struct candidates {
	size_t n;
	struct { int vm; uint32_t universe; } c[INFECTED_CANDIDATES];
};

static void
add_candidate(void *ctx, const struct eng_binding_info *b)
{
	struct candidates *cs = ctx;

	if (cs->n < INFECTED_CANDIDATES) {
		cs->c[cs->n].vm = b->vm ? b->vm->id : -1;
		cs->c[cs->n].universe = b->universe;
	}
	cs->n++;
}

/* The refusal when an address names no clone, or more than one. */
static int
addr_refused(struct reply *r, const struct infected_args *a, const struct candidates *cs)
{
	char ab[ADDR_STRLEN], pb[ADDR_STRLEN], msg[CTL_LINE_MAX], list[CTL_LINE_MAX / 2];
	size_t len = 0;

	list[0] = '\0';
	for (size_t i = 0; i < cs->n && i < INFECTED_CANDIDATES && len < sizeof(list); i++) {
		if (cs->c[i].vm >= 0)
			len += (size_t)snprintf(list + len, sizeof(list) - len,
			    "%sclone %d in universe %u", i ? ", " : "", cs->c[i].vm,
			    cs->c[i].universe);
		else
			len += (size_t)snprintf(list + len, sizeof(list) - len,
			    "%sa clone being made in universe %u", i ? ", " : "",
			    cs->c[i].universe);
	}
	addr_fmt(a->addr, ab);
	if (cs->n > 1)
		snprintf(msg, sizeof(msg), "%s is bound in %zu universes; say which with "
		    "--universe or --peer: %s%s", ab, cs->n, list,
		    cs->n > INFECTED_CANDIDATES ? ", ..." : "");
	else if (a->universe)
		snprintf(msg, sizeof(msg), "%s is not bound in universe %u", ab, a->universe);
	else if (a->peer)
		snprintf(msg, sizeof(msg), "%s is not bound in a universe of peer %s", ab,
		    addr_fmt(a->peer, pb));
	else
		snprintf(msg, sizeof(msg), "%s is not bound to a clone", ab);
	rput(r, "\"error\":");
	rstr(r, msg);
	rput(r, ",\"candidates\":[");
	for (size_t i = 0; i < cs->n && i < INFECTED_CANDIDATES; i++)
		rput(r, "%s{\"vm\":%d,\"universe\":%u}", i ? "," : "", cs->c[i].vm,
		    cs->c[i].universe);
	rput(r, "]");
	return -1;
}

/*
 * A detector names the farm address it saw.  The same address may be bound
 * in several universes (one per attacker): --universe or --peer picks one.
 * A peer in no universe of the address (the target of a clone's own
 * connection, say) falls back on the address alone, which must then be
 * bound exactly once.
 */
static int
resolve_addr(struct gw *g, struct reply *r, struct infected_args *a)
{
	struct candidates cs = { 0 };

	eng_bindings_of(g->eng, a->addr, a->universe, a->peer, add_candidate, &cs);
	if (cs.n == 0 && a->peer) {
		eng_bindings_of(g->eng, a->addr, 0, 0, add_candidate, &cs);
		if (cs.n == 0)
			a->peer = 0;	/* bound nowhere: say so */
	}
	if (cs.n != 1)
		return addr_refused(r, a, &cs);
	if (cs.c[0].vm < 0) {
		rput(r, "\"error\":\"the clone of that address is still being made\"");
		return -1;
	}
	a->vm = cs.c[0].vm;
	a->universe = cs.c[0].universe;
	return 0;
}

static int
cmd_infected(struct gw *g, struct reply *r, int argc, char **argv)
{
	struct infected_args a = { 0 };
	const char *why = NULL;
	int rc;

	if (parse_infected(r, argc, argv, &a) < 0 || (a.by_addr && resolve_addr(g, r, &a) < 0))
		return -1;
	rc = eng_mark_infected(g->eng, a.vm, a.reason[0] ? a.reason : NULL, mono_ms(), &why);
	if (rc == 0) {
		rput(r, "\"vm\":%d", a.vm);
		if (a.by_addr)
			tput(r, "clone %d (universe %u) ", a.vm, a.universe);
	}
	return result(r, rc, why, "marked infected");
}

static int
cmd_reclaim(struct gw *g, struct reply *r, int argc, char **argv)
{
	bool freeze = strcmp(argv[0], "freeze") == 0;
	const char *why = NULL;
	int vm, rc;

	if (argc != 2) {
		rput(r, "\"error\":\"usage: %s VM\"", argv[0]);
		return -1;
	}
	if (parse_vm(r, argv[1], &vm) < 0)
		return -1;
	rc = eng_reclaim_vm(g->eng, vm, freeze, mono_ms(), &why);
	return result(r, rc, why, freeze ? "freezing" : "tearing down");
}

/* A command's answer comes later: the connection waits for it (cmd_reload). */
#define CMD_PENDING 1

/*
 * Ask for the reload and keep the client waiting for its outcome
 * (ctl_reload_done), or for CTL_RELOAD_WAIT_MS at most.
 */
static int
cmd_reload(struct gw *g, struct reply *r, int argc, char **argv)
{
	if (argc != 1) {
		rput(r, "\"error\":\"usage: reload\"");
		return -1;
	}
	(void)argv;
	r->reload_serial = g->ctl->reload(g);
	return CMD_PENDING;
}

/* The reload's answer: {"reload":"ok"} or {"reload":"failed","errors":[...]}. */
static int
reload_answer(struct reply *r, const char *errors)
{
	const char *p, *nl;
	int n = 0;

	if (errors == NULL) {
		rput(r, "\"reload\":\"ok\"");
		tput(r, "reloaded\n");
		return 0;
	}
	rput(r, "\"reload\":\"failed\",\"errors\":[");
	for (p = errors; *p; p = *nl ? nl + 1 : nl) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if (nl == p)
			continue;
		rput(r, "%s", n++ ? "," : "");
		json_fput_strn(r->f, p, (size_t)(nl - p));
		tput(r, "%.*s\n", (int)(nl - p), p);
	}
	rput(r, "],\"error\":\"reload failed; the running policy stays\"");
	return -1;
}

static const struct ctl_cmd {
	const char *name;
	int (*fn)(struct gw *, struct reply *, int, char **);
} ctl_cmds[] = {
	{ "bind", cmd_bind },
	{ "flows", cmd_flows },
	{ "freeze", cmd_reclaim },
	{ "hosts", cmd_hosts },
	{ "infected", cmd_infected },
	{ "reload", cmd_reload },
	{ "stats", cmd_stats },
	{ "status", cmd_status },
	{ "teardown", cmd_reclaim },
	{ "universes", cmd_universes },
	{ "vms", cmd_vms },
};

/*
 * Handle one request line.  Commands write their members into r->f (JSON)
 * and r->t (text).  Returns the command's result: CMD_PENDING leaves r open
 * for the answer to come; otherwise r is closed into *out.
 */
static int
handle(struct gw *g, char *line, struct reply *r, char **out, size_t *outlen)
{
	char *argv[CTL_ARGS_MAX + 1], *save = NULL, *w;
	const struct ctl_cmd *cmd = NULL;
	int argc = 0, rc = -1;

	reply_open(r);
	for (w = strtok_r(line, " \t\r\n", &save); w && argc < CTL_ARGS_MAX;
	    w = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (argc > 0 && strcmp(argv[0], "text") == 0) {
		r->text = true;
		memmove(argv, argv + 1, (size_t)argc * sizeof(argv[0]));
		argc--;
	}
	for (size_t i = 0; argc > 0 && i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (strcmp(argv[0], ctl_cmds[i].name) == 0)
			cmd = &ctl_cmds[i];
	/* Words past the limit are refused, never dropped from a reason. */
	if (w != NULL)
		rput(r, "\"error\":\"more than %d words\"", CTL_ARGS_MAX);
	else if (cmd)
		rc = cmd->fn(g, r, argc, argv);
	else
		rput(r, "\"error\":\"unknown command; try status, stats, vms, universes, hosts, "
		    "flows, bind, infected, freeze, teardown, reload\"");
	if (rc != CMD_PENDING)
		reply_close(r, rc, out, outlen);
	return rc;
}

/* ---- connections ------------------------------------------------------------ */

struct ctl_conn {
	struct gw *g;
	int fd;
	char line[CTL_LINE_MAX];
	size_t len;
	/* Waiting for a reload's outcome: on the list, no longer read. */
	struct reply pending;
	uint64_t deadline;	/* mono ms; 0 while not waiting */
	struct ctl_conn *next;
};

/*
 * Clients waiting for a reload, oldest first.  Each has one descriptor and
 * a deadline; a client that went away is noticed by its hang-up, else when
 * its answer is written (EPIPE), at the latest at its deadline.
 */
static struct ctl_conn *waiting;

#define CTL_RELOAD_WAIT_MS 15000

static void
conn_close(struct gw *g, struct ctl_conn *c)
{
	ev_del(g->ev, c->fd);
	close(c->fd);
	free(c);
}

/* Send the reply and close: one short blocking write, replies are small, clients root. */
static void
conn_answer(struct ctl_conn *c, const char *out, size_t outlen)
{
	int flags = fcntl(c->fd, F_GETFL);
	struct timeval tv = { 1, 0 };
	size_t off = 0;
	ssize_t n;

	fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (off < outlen && (n = send(c->fd, out + off, outlen - off, MSG_NOSIGNAL)) > 0)
		off += (size_t)n;
	conn_close(c->g, c);
}

/* Finish c's pending reply with the reload's outcome (or the lack of one). */
static void
conn_finish(struct ctl_conn *c, bool timed_out, const char *errors)
{
	char *out = NULL;
	size_t outlen = 0;
	int rc;

	if (timed_out) {
		rput(&c->pending, "\"reload\":\"unknown\",\"error\":\"no outcome within %ds; "
		    "the log will say\"", CTL_RELOAD_WAIT_MS / 1000);
		rc = -1;
	} else {
		rc = reload_answer(&c->pending, errors);
	}
	reply_close(&c->pending, rc, &out, &outlen);
	conn_answer(c, out, outlen);
	free(out);
}

void
ctl_reload_done(struct gw *g, uint32_t serial, const char *errors)
{
	struct ctl_conn **pp = &waiting, *c;

	(void)g;
	/* Serials wrap: "at or before" is a signed distance. */
	while ((c = *pp) != NULL) {
		if ((int32_t)(c->pending.reload_serial - serial) <= 0) {
			*pp = c->next;
			conn_finish(c, false, errors);
		} else {
			pp = &c->next;
		}
	}
}

uint64_t
ctl_tick(struct gw *g, uint64_t now)
{
	struct ctl_conn **pp = &waiting, *c;
	uint64_t next = UINT64_MAX;

	(void)g;
	while ((c = *pp) != NULL) {
		if (now >= c->deadline) {
			*pp = c->next;
			conn_finish(c, true, NULL);
		} else {
			if (c->deadline < next)
				next = c->deadline;
			pp = &c->next;
		}
	}
	return next;
}

static void
conn_ready(struct evloop *ev, int fd, uint32_t events, void *ctx)
{
	struct ctl_conn *c = ctx, **pp;
	struct gw *g = c->g;
	char *nl, *out = NULL;
	size_t outlen = 0;
	ssize_t n;

	(void)fd;
	(void)events;
	if (c->deadline) {
		/* Waiting, so only a hang-up or an error reports: the client left. */
		for (pp = &waiting; *pp && *pp != c; pp = &(*pp)->next)
			;
		if (*pp)
			*pp = c->next;
		reply_close(&c->pending, -1, &out, &outlen);
		free(out);
		conn_close(g, c);
		return;
	}
	n = read(c->fd, c->line + c->len, sizeof(c->line) - 1 - c->len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c->g, c);
		return;
	}
	c->len += (size_t)n;
	c->line[c->len] = '\0';
	if ((nl = strchr(c->line, '\n')) == NULL && c->len < sizeof(c->line) - 1)
		return;	/* wait for the rest of the line */
	if (nl)
		*nl = '\0';
	c->g->ctl_requests++;
	/*
	 * The worker reads the kernel's counts at most every 100 ms: a
	 * command (stats, a reclaim) sees them as of now, at one read each.
	 */
	fp_sync(c->g, mono_ms(), true);
	if (handle(c->g, c->line, &c->pending, &out, &outlen) == CMD_PENDING) {
		/* Its end of file is no news (potemkin-ctl shuts down writing). */
		ev_mod(ev, c->fd, 0);
		c->deadline = mono_ms() + CTL_RELOAD_WAIT_MS;
		for (pp = &waiting; *pp; pp = &(*pp)->next)
			;
		*pp = c;
		g->ctl->flush(g);
		return;
	}
	conn_answer(c, out, outlen);
	free(out);
	g->ctl->flush(g);
}

static void
listen_ready(struct evloop *ev, int fd, uint32_t events, void *ctx)
{
	struct gw *g = ctx;
	struct ctl_conn *c;
	int cfd;

	(void)events;
	while ((cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(cfd);
			continue;
		}
		c->g = g;
		c->fd = cfd;
		if (ev_add(ev, cfd, EPOLLIN, conn_ready, c) < 0) {
			close(cfd);
			free(c);
		}
	}
}

void
ctl_attach(struct gw *g, const struct ctl_hooks *h)
{
	g->ctl = h;
	if (g->ctl_fd >= 0 && ev_add(g->ev, g->ctl_fd, EPOLLIN, listen_ready, g) < 0)
		log_warn("control socket");
}
