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

#include "lib/addr.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/monotime.h"
#include "lib/number.h"

#define CTL_LINE_MAX 512
#define CTL_ARGS_MAX 8

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
};

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

	(void)argc;
	(void)argv;
	eng_stats(g->eng, &s);
	kernel_queue_drops(g, g->cfg->queue_in, &di);
	kernel_queue_drops(g, g->cfg->queue_out, &dout);
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

static int
cmd_infected(struct gw *g, struct reply *r, int argc, char **argv)
{
	char reason[256] = "";
	const char *why = NULL;
	int vm, rc;

	if (argc < 2) {
		rput(r, "\"error\":\"usage: infected VM [REASON]\"");
		return -1;
	}
	if (parse_vm(r, argv[1], &vm) < 0)
		return -1;
	for (int i = 2; i < argc; i++)
		snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason), "%s%s",
		    i > 2 ? " " : "", argv[i]);
	rc = eng_mark_infected(g->eng, vm, *reason ? reason : NULL, mono_ms(), &why);
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

static int
cmd_reload(struct gw *g, struct reply *r, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	g->ctl->reload(g);
	rput(r, "\"reload\":\"requested\"");
	tput(r, "reload requested; the log says whether the policy was good\n");
	return 0;
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
 * and r->t (text); the reply wraps them: {"ok":BOOL,MEMBERS[,"text":...]}.
 */
static void
handle(struct gw *g, char *line, char **out, size_t *outlen)
{
	char *argv[CTL_ARGS_MAX + 1], *save = NULL, *w;
	const struct ctl_cmd *cmd = NULL;
	struct reply r = { 0 };
	int argc = 0, rc = -1;
	FILE *f;

	r.f = open_memstream(&r.buf, &r.len);
	r.t = open_memstream(&r.tbuf, &r.tlen);
	if ((f = open_memstream(out, outlen)) == NULL || r.f == NULL || r.t == NULL)
		fatal("control: open_memstream");
	for (w = strtok_r(line, " \t\r\n", &save); w && argc < CTL_ARGS_MAX;
	    w = strtok_r(NULL, " \t\r\n", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	if (argc > 0 && strcmp(argv[0], "text") == 0) {
		r.text = true;
		memmove(argv, argv + 1, (size_t)argc * sizeof(argv[0]));
		argc--;
	}
	for (size_t i = 0; argc > 0 && i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (strcmp(argv[0], ctl_cmds[i].name) == 0)
			cmd = &ctl_cmds[i];
	if (cmd)
		rc = cmd->fn(g, &r, argc, argv);
	else
		rput(&r, "\"error\":\"unknown command; try status, stats, vms, universes, hosts, "
		    "flows, bind, infected, freeze, teardown, reload\"");
	fclose(r.f);
	fclose(r.t);
	fprintf(f, "{\"ok\":%s%s%s", rc == 0 ? "true" : "false", r.len ? "," : "", r.buf);
	if (r.text && rc == 0) {
		fputs(",\"text\":", f);
		json_fput_strn(f, r.tbuf, r.tlen);
	}
	fputs("}\n", f);
	fclose(f);
	free(r.buf);
	free(r.tbuf);
}

/* ---- connections ------------------------------------------------------------ */

struct ctl_conn {
	struct gw *g;
	int fd;
	char line[CTL_LINE_MAX];
	size_t len;
};

static void
conn_close(struct gw *g, struct ctl_conn *c)
{
	ev_del(g->ev, c->fd);
	close(c->fd);
	free(c);
}

static void
conn_ready(struct evloop *ev, int fd, uint32_t events, void *ctx)
{
	struct ctl_conn *c = ctx;
	char *nl, *out = NULL;
	size_t outlen = 0;
	ssize_t n;

	(void)ev;
	(void)fd;
	(void)events;
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
	handle(c->g, c->line, &out, &outlen);
	{
		/* One short blocking write: replies are small, clients are root. */
		int flags = fcntl(c->fd, F_GETFL);
		struct timeval tv = { 1, 0 };
		size_t off = 0;

		fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
		setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		while (off < outlen && (n = write(c->fd, out + off, outlen - off)) > 0)
			off += (size_t)n;
	}
	free(out);
	c->g->ctl->flush(c->g);
	conn_close(c->g, c);
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
