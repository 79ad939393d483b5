/* SPDX-License-Identifier: ISC */
/*
 * The worker: one event loop around the engine.  Queue 0 and queue 1 feed
 * it packets, the privileged parent feeds it records, a signalfd and a
 * timerfd feed it signals and time.  Verdicts and AF_PACKET sends queued
 * while handling one descriptor go out together when it is done (worker_flush).
 */
#include "gateway.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "fastpath.h"
#include "lib/addr.h"
#include "lib/log.h"
#include "lib/monotime.h"
#include "lib/record.h"
#include "privsep.h"

/* Rearm the timer and flush queued verdicts and sends. */
static void worker_flush(struct gw *g);

/* ---- requests to the parent ------------------------------------------------ */

/*
 * The worker never blocks on the parent: requests go into a queue that is
 * written out as the socket takes them (EPOLLOUT).  The parent, for its
 * part, may block on its replies, since the worker always reads.
 */
#define PS_OUT_MAX 16384

static struct ps_request ps_out[PS_OUT_MAX];
static size_t ps_out_head, ps_out_len;
static bool ps_out_waiting;	/* EPOLLOUT is on */

static void
ps_out_flush(struct gw *g)
{
	while (ps_out_len > 0) {
		ssize_t n = send(g->ps_fd, &ps_out[ps_out_head], sizeof(ps_out[0]),
		    MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n != (ssize_t)sizeof(ps_out[0]))
			fatal("privsep: lost the parent");
		ps_out_head = (ps_out_head + 1) % PS_OUT_MAX;
		ps_out_len--;
	}
	if (g->ev && ps_out_waiting != (ps_out_len > 0)) {
		ps_out_waiting = ps_out_len > 0;
		ev_mod(g->ev, g->ps_fd, ps_out_waiting ? EPOLLIN | EPOLLOUT : EPOLLIN);
	}
}

void
gw_ps_request(struct gw *g, const struct ps_request *rq)
{
	if (ps_out_len == PS_OUT_MAX)
		fatalx("privsep: %d requests the parent has not taken", PS_OUT_MAX);
	ps_out[(ps_out_head + ps_out_len++) % PS_OUT_MAX] = *rq;
	ps_out_flush(g);
}

/* ---- systemd, through the parent ------------------------------------------ */

#define STATUS_CHECK_MS 1000	/* counts compared at most this often */
#define STATUS_REFRESH_MS 5000	/* and sent at least this often */

static void
status_counts(struct gw *g, struct ps_counts *c)
{
	struct eng_stats st;

	eng_stats(g->eng, &st);
	*c = (struct ps_counts){
		.clones = (uint32_t)st.vms, .pending = (uint32_t)st.pending,
		.universes = (uint32_t)st.universes, .flows = (uint32_t)st.flows,
		.packets = st.in_packets + st.out_packets,
	};
}

void
gw_notify(struct gw *g, enum ps_notify what)
{
	struct ps_request rq = { .op = PS_NOTIFY, .serial = what, .vm = -1 };

	if (!g->notify || g->stopping)
		return;
	status_counts(g, &rq.counts);
	g->status_sent = rq.counts;
	g->status_sent_ms = mono_ms();
	gw_ps_request(g, &rq);
}

/*
 * STATUS= on change (clones, universes) and every few seconds.  The counts
 * are compared at most once a second, when something happened since: an
 * idle worker wakes for this only to refresh.  When the next check is due.
 */
static uint64_t
status_tick(struct gw *g, uint64_t now)
{
	static uint64_t next_check;
	struct ps_counts c;

	if (!g->notify || g->stopping)
		return UINT64_MAX;
	/* Called before the next check is due: something happened, look then. */
	if (now < next_check && now < g->status_sent_ms + STATUS_REFRESH_MS)
		return next_check;
	status_counts(g, &c);
	if (c.clones != g->status_sent.clones || c.pending != g->status_sent.pending ||
	    c.universes != g->status_sent.universes ||
	    now >= g->status_sent_ms + STATUS_REFRESH_MS)
		gw_notify(g, PS_NOTIFY_STATUS);
	next_check = now + STATUS_CHECK_MS;
	return g->status_sent_ms + STATUS_REFRESH_MS;
}

/* ---- what the engine asks of the world ----------------------------------- */

static void
io_deliver(void *ctx, const struct eng_vm *vm, const uint8_t *pkt, size_t len)
{
	struct gw *g = ctx;

	if (g->cap)
		cap_delivered(g, vm, pkt, len);
	tx_send(g->tx, vm->ifindex, vm->mac, vm->if_mac, pkt, len);
}

static void
io_emit(void *ctx, const uint8_t *pkt, size_t len)
{
	struct gw *g = ctx;
	struct sockaddr_in to = { .sin_family = AF_INET };

	if (len < 20)
		return;
	memcpy(&to.sin_addr, pkt + 16, 4);
	if (sendto(g->raw_fd, pkt, len, MSG_DONTWAIT, (struct sockaddr *)&to,
	    sizeof(to)) < 0)
		g->emit_errors++;
}

static void
io_clone(void *ctx, uint32_t serial, const char *type, uint32_t ip, uint32_t universe)
{
	struct gw *g = ctx;
	struct ps_request rq = { .op = PS_CLONE, .serial = serial, .ip = ip,
		.universe = universe, .vm = -1 };

	snprintf(rq.type, sizeof(rq.type), "%s", type);
	gw_ps_request(g, &rq);
}

static void
io_vm_command(struct gw *g, uint32_t op, const struct eng_vm *vm)
{
	/* The serial names the clone too: a failed freeze's reply says which. */
	struct ps_request rq = { .op = op, .vm = vm->id, .serial = (uint32_t)vm->id };

	/* Complete on disk before the parent moves or removes it. */
	cap_close(g, vm->id);
	fp_clone_gone(g, vm->ifindex);
	gw_ps_request(g, &rq);
}

static void
io_teardown(void *ctx, const struct eng_vm *vm)
{
	io_vm_command(ctx, PS_TEARDOWN, vm);
}

static void
io_freeze(void *ctx, const struct eng_vm *vm)
{
	io_vm_command(ctx, PS_FREEZE, vm);
}

static unsigned
io_dns_query(void *ctx, uint32_t resolver, const uint8_t *msg, size_t len)
{
	struct gw *g = ctx;
	struct sockaddr_in to = {
		.sin_family = AF_INET,
		.sin_port = htons(53),
		.sin_addr.s_addr = htonl(resolver),
	};

	if (g->dns_rnd_left == 0) {
		if (getrandom(g->dns_rnd, sizeof(g->dns_rnd), 0) != (ssize_t)sizeof(g->dns_rnd))
			fatal("dns proxy: getrandom");
		g->dns_rnd_left = sizeof(g->dns_rnd);
	}
	unsigned i = g->dns_rnd[--g->dns_rnd_left] % GW_DNS_SOCKETS;

	if (sendto(g->dns_fd[i], msg, len, MSG_DONTWAIT, (struct sockaddr *)&to,
	    sizeof(to)) < 0)
		g->dns_send_errors++;
	return i;
}

/* One line for syslog (stderr under -d) for the events worth a summary. */
static void
summarize(const struct eng_event *ev)
{
	char a[ADDR_STRLEN], p[ADDR_STRLEN];

	addr_fmt(ev->addr, a);
	addr_fmt(ev->peer, p);
	switch (ev->kind) {
	case EV_BIND:
		log_info("bind %s to vm %d (%s, universe %u) for %s", a, ev->vm,
		    ev->type, ev->universe, p);
		break;
	case EV_BIND_FAILED:
		log_warnx("no clone for %s (%s): %s", a, ev->type, ev->reason);
		break;
	case EV_RECLAIM:
	case EV_FREEZE:
		log_info("%s vm %d (%s): %s", ev->kind == EV_FREEZE ? "freeze" : "reclaim",
		    ev->vm, a, ev->reason);
		break;
	case EV_INFECTED:
		log_warnx("vm %d (%s) infected: %s", ev->vm, a, ev->reason);
		break;
	case EV_SCAN_FILTERED:
		log_info("scan filter: %s reached too many addresses", p);
		break;
	case EV_OVERLOAD:
		log_warnx("overload: %s", ev->reason);
		break;
	case EV_RELOAD:
		log_info("policy reloaded");
		break;
	default:
		break;
	}
}

/*
 * At most events_rate bytes a second reach the events file (a bucket of a
 * second's worth): a flood the engine could not fold does not fill the
 * disk, and a write never waits (the file is opened non-blocking).
 */
static bool
events_may_write(struct gw *g, size_t n, uint64_t now_ms)
{
	uint64_t rate = g->cfg->events_rate;

	if (g->events_last_ms == 0 || now_ms < g->events_last_ms) {
		g->events_tokens = rate;
		g->events_last_ms = now_ms;
	} else if (now_ms > g->events_last_ms) {
		g->events_tokens += (now_ms - g->events_last_ms) * rate / 1000;
		if (g->events_tokens > rate)
			g->events_tokens = rate;
		g->events_last_ms = now_ms;
	}
	if (g->events_tokens < n)
		return false;
	g->events_tokens -= n;
	return true;
}

static void
io_event(void *ctx, const struct eng_event *ev)
{
	struct gw *g = ctx;
	char line[4096];
	size_t n;

	summarize(ev);
	if (g->events_fd < 0)
		return;
	/* The engine clock is monotonic; events carry wall-clock time. */
	n = eng_event_json(ev, g->started_wall_ms + (ev->now_ms - g->started_ms),
	    g->cfg->sensor, line, sizeof(line) - 1);
	if (n == 0) {
		g->events_lost++;
		return;
	}
	line[n++] = '\n';
	/* The bound is for what outsiders can multiply; bind, reclaim, infected... always go. */
	if ((ev->kind == EV_LOG || ev->kind == EV_DNS) && !events_may_write(g, n, ev->now_ms)) {
		g->events_over_rate++;
		return;
	}
	if (write(g->events_fd, line, n) == (ssize_t)n)
		g->events_written++;
	else
		g->events_lost++;
}

/* ---- the queues ------------------------------------------------------------ */

static void
on_inbound(void *ctx, struct nq *q, struct nq_packet *pk)
{
	struct gw *g = ctx;

	if (pk->len < pk->orig_len) {
		g->truncated++;
		nq_verdict(q, pk->id, NQ_DROP, false, 0, NULL, 0);
		return;
	}
	/* What reaches a clone goes by AF_PACKET: the original always dies. */
	eng_inbound(g->eng, pk->data, pk->len, g->batch_ms);
	nq_verdict(q, pk->id, NQ_DROP, false, 0, NULL, 0);
}

static void
prefetch_inbound(void *ctx, const uint8_t *data, size_t len)
{
	struct gw *g = ctx;

	eng_prefetch_inbound(g->eng, data, len);
}

static void
on_outbound(void *ctx, struct nq *q, struct nq_packet *pk)
{
	struct gw *g = ctx;
	enum eng_verdict v;
	int captured = -1;

	if (pk->len < pk->orig_len) {
		g->truncated++;
		nq_verdict(q, pk->id, NQ_DROP, false, 0, NULL, 0);
		return;
	}
	if (g->cap)
		captured = cap_from_clone(g, (int)pk->indev, pk->data, pk->len);
	v = eng_outbound(g->eng, (int)pk->indev, pk->data, pk->len, g->batch_ms);
	if (v == ENG_PASS && captured > 0)
		cap_passed(g, captured, pk->data, pk->len);
	if (v == ENG_PASS)
		nq_verdict(q, pk->id, NQ_ACCEPT, true, g->cfg->eng.pass_mark, pk->data,
		    pk->len);
	else
		nq_verdict(q, pk->id, NQ_DROP, false, 0, NULL, 0);
}

static void
queue_ready(struct evloop *ev, int fd, uint32_t events, void *ctx)
{
	struct gw *g = ctx;
	struct nq *q = fd == nq_fd(g->q_in) ? g->q_in : g->q_out;

	(void)ev;
	(void)events;
	/*
	 * One clock read for the whole batch (at most a few hundred packets,
	 * a millisecond or so), not one per packet: the engine's times are
	 * milliseconds anyway.
	 */
	g->batch_ms = mono_ms();
	if (nq_receive(q, q == g->q_in ? on_inbound : on_outbound, g) < 0)
		fatal("queue %u: receive", q == g->q_in ? g->cfg->queue_in : g->cfg->queue_out);
	worker_flush(g);
}

/* ---- the parent's replies ------------------------------------------------- */

static void
clone_done(struct gw *g, const struct ps_reply *rp, const int fds[PS_FDS_MAX])
{
	struct clone_record rec;
	struct eng_vm vm;
	char why[128];
	uint64_t now = mono_ms();

	/* First, so that a teardown below closes them too. */
	if (fds[0] >= 0)
		cap_attach(g, record_id(rp->text), fds);
	if (rp->status != 0) {
		eng_clone_failed(g->eng, rp->serial, rp->text, now);
		return;
	}
	if (record_parse(rp->text, &rec, why, sizeof(why)) < 0) {
		log_warnx("clone record '%.200s': %s", rp->text, why);
		eng_clone_failed(g->eng, rp->serial, why, now);
		/* Something was made, and nobody will use it. */
		memset(&vm, 0, sizeof(vm));
		if ((vm.id = record_id(rp->text)) > 0)
			io_teardown(g, &vm);
		return;
	}
	eng_vm_from_record(&rec, &vm);
	if (!gw_host_up(g, vm.host)) {
		/* Made while its host went down: its sweep will end it there. */
		eng_clone_failed(g->eng, rp->serial, "its host is down", now);
		io_teardown(g, &vm);
		return;
	}
	if (tx_ifinfo(vm.ifname, &vm.ifindex, vm.if_mac) < 0) {
		log_warn("clone %d: interface %s", vm.id, vm.ifname);
		eng_clone_failed(g->eng, rp->serial, "its interface does not exist", now);
		io_teardown(g, &vm);
		return;
	}
	/* Linked first, so that the engine may offer its flows at once. */
	fp_clone_ready(g, &vm);
	eng_clone_ready(g->eng, rp->serial, &vm, now);
	/* A record the engine refused: no clone there, and no link either. */
	if (eng_vm_by_ifindex(g->eng, vm.ifindex) == NULL)
		fp_clone_gone(g, vm.ifindex);
}

/*
 * A reload is over, whatever its outcome: log it, answer the control
 * clients that wait for it, and tell systemd the gateway is ready again.
 * errors: NULL when the new policy runs; else a line per message.
 */
static void
reload_outcome(struct gw *g, uint32_t serial, const char *errors, const char *summary)
{
	if (errors) {
		/* The policy's messages first, as the checker prints them. */
		char *copy = errors != summary ? strdup(errors) : NULL, *line, *save = NULL;

		for (line = copy ? strtok_r(copy, "\n", &save) : NULL; line;
		    line = strtok_r(NULL, "\n", &save))
			log_warnx("%s", line);
		free(copy);
		log_warnx("reload: %s; the running policy stays", summary);
		g->reload_failures++;
	}
	ctl_reload_done(g, serial, errors);
	gw_notify(g, PS_NOTIFY_READY);
}

/* Read the policy from fd and swap it in if it is good. */
static void
policy_arrived(struct gw *g, uint32_t serial, int fd)
{
	struct pol_program *prog = NULL;
	char *msgs = NULL, *save = NULL, summary[300];
	const char *errors = NULL;
	size_t mlen = 0;
	FILE *errs;
	int nerr;

	snprintf(summary, sizeof(summary), "%s has errors", g->policy_path);
	if ((errs = open_memstream(&msgs, &mlen)) == NULL) {
		errors = "no memory to read the policy";
		goto out;
	}
	/* What potemkin-policy check would say, to the line: the same reader,
	 * the same limit, a capture or a binary refused in one line. */
	nerr = pol_load_fd(g->policy_path, fd, errs, &prog);
	fclose(errs);
	if (nerr != 0 || prog == NULL) {
		errors = msgs && *msgs ? msgs : summary;
		goto out;
	}
	if (eng_set_policy(g->eng, prog, mono_ms()) < 0) {
		errors = "no memory for the new policy's tables";
		pol_free(prog);
		goto out;
	}
	pol_free(g->prog);
	g->prog = prog;
	/* Its warnings: the policy runs, but the operator should hear of them. */
	for (char *line = strtok_r(msgs, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		log_warnx("%s", line);
out:
	reload_outcome(g, serial, errors, errors == msgs ? summary : errors);
	free(msgs);
	close(fd);
}

/* One reply from the parent; false when it was the answer to PS_EXIT. */
static bool
handle_reply(struct gw *g)
{
	struct ps_reply rp;
	int fds[PS_FDS_MAX], passed, r;

	if ((r = ps_recv_fds(g->ps_fd, &rp, fds)) <= 0) {
		if (r < 0 && errno == EAGAIN)
			return true;
		fatalx("privsep: the parent is gone");
	}
	passed = fds[0];
	if (rp.op != PS_CLONE)
		for (int i = 1; i < PS_FDS_MAX; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	switch (rp.op) {
	case PS_CLONE:
		clone_done(g, &rp, fds);
		break;
	case PS_PCAP_ROTATE:
		cap_rotated(g, rp.serial, passed);
		break;
	case PS_TEARDOWN:
		if (rp.status != 0)
			log_warnx("teardown: %s", rp.text);
		break;
	case PS_FREEZE:
		if (rp.status == 0) {
			log_info("freeze: evidence in %s", rp.text);
		} else {
			/* Nobody holds the clone any more: it must not run on unseen. */
			struct ps_request td = { .op = PS_TEARDOWN, .vm = (int32_t)rp.serial,
				.serial = rp.serial };

			log_warnx("freeze of clone %u: %s; tearing it down", rp.serial, rp.text);
			gw_ps_request(g, &td);
		}
		break;
	case PS_OPEN_POLICY:
		if (passed >= 0)
			policy_arrived(g, rp.serial, passed);
		else
			reload_outcome(g, rp.serial, rp.text, rp.text);
		break;
	case PS_OPEN_EVENTS:
		if (passed >= 0) {
			if (g->events_fd >= 0)
				close(g->events_fd);
			g->events_fd = passed;
		} else {
			log_warnx("reopen: %s", rp.text);
		}
		break;
	case PS_HOSTS:
		gw_hosts_reply(g, &rp, mono_ms());
		break;
	case PS_EXIT:
		return false;
	}
	return true;
}

static void
parent_ready(struct evloop *ev, int fd, uint32_t events, void *ctx)
{
	struct gw *g = ctx;

	(void)ev;
	(void)fd;
	if (events & EPOLLOUT)
		ps_out_flush(g);
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		handle_reply(g);
	worker_flush(g);
}

static uint32_t
request_reload(struct gw *g)
{
	struct ps_request rq = { .op = PS_OPEN_POLICY, .vm = -1 };

	rq.serial = ++g->reload_serial;
	gw_ps_request(g, &rq);
	return rq.serial;
}

/* ---- signals, time, DNS answers ------------------------------------------- */

/*
 * Stop: reclaim the clones (unless they are kept), tell the parent, and go on
 * answering it until it confirms: a clone record it sent before that is the
 * worker's to tear down, and the requests that makes still reach it.
 */
static void
stop(struct gw *g)
{
	struct ps_request rq = { .op = PS_EXIT, .vm = -1 };
	bool confirmed = false;

	if (g->stopping)
		return;
	g->stopping = true;
	log_info("stopping; %s the clones", g->cfg->on_exit_keep ? "keeping" : "tearing down");
	eng_flush_events(g->eng, mono_ms());
	if (!g->cfg->on_exit_keep)
		eng_reclaim_all(g->eng, mono_ms());
	gw_ps_request(g, &rq);
	while (!confirmed || ps_out_len > 0) {
		struct pollfd pfd = { g->ps_fd, POLLIN | (ps_out_len ? POLLOUT : 0), 0 };

		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			fatal("privsep: poll");
		}
		if (pfd.revents & POLLOUT)
			ps_out_flush(g);
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR))
			confirmed |= !handle_reply(g);
	}
	ev_stop(g->ev);
}

static void
signal_ready(struct evloop *ev, int fd, uint32_t events, void *ctx)
{
	struct gw *g = ctx;
	struct signalfd_siginfo si;
	struct ps_request rq = { .op = PS_OPEN_EVENTS, .vm = -1 };

	(void)ev;
	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_info("SIGHUP: reloading %s", g->policy_path);
			request_reload(g);
			break;
		case SIGUSR1:
			if (strcmp(g->cfg->events, "-") != 0)
				gw_ps_request(g, &rq);
			break;
		case SIGTERM:
		case SIGINT:
			stop(g);
			break;
		}
	}
}

static void
timer_ready(struct evloop *ev, int fd, uint32_t events, void *ctx)
{
	struct gw *g = ctx;
	uint64_t ticks;

	(void)ev;
	(void)events;
	if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		log_warn("timerfd");
	g->timer_armed = 0;
	worker_flush(g);
}

static void
dns_ready(struct evloop *ev, int fd, uint32_t events, void *ctx)
{
	struct gw *g = ctx;
	uint8_t buf[1500];
	struct sockaddr_in from;
	socklen_t flen = sizeof(from);
	ssize_t n;

	unsigned channel = 0;

	(void)ev;
	(void)events;
	while (channel < GW_DNS_SOCKETS && g->dns_fd[channel] != fd)
		channel++;
	/* MSG_TRUNC: an answer longer than the buffer is dropped, not cut. */
	while ((n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC,
	    (struct sockaddr *)&from, &flen)) >= 0) {
		if (ntohs(from.sin_port) == 53 && (size_t)n <= sizeof(buf))
			eng_dns_answer(g->eng, ntohl(from.sin_addr.s_addr), channel, buf, (size_t)n,
			    mono_ms());
		flen = sizeof(from);
	}
	worker_flush(g);
}

static void
worker_flush(struct gw *g)
{
	uint64_t now = mono_ms(), next;

	/* What the kernel carried counts before any idle decision. */
	fp_sync(g, now, now >= eng_next_tick(g->eng));
	next = eng_tick(g->eng, now);
	uint64_t more[] = { gw_hosts_tick(g, now), ctl_tick(g, now), status_tick(g, now),
		fp_next_beat(g) };

	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		if (more[i] < next)
			next = more[i];

	nq_flush(g->q_in);
	nq_flush(g->q_out);
	tx_flush(g->tx);
	if (next != g->timer_armed && next != UINT64_MAX) {
		struct itimerspec its = {
			.it_value.tv_sec = (time_t)(next / 1000),
			.it_value.tv_nsec = (long)(next % 1000) * 1000000,
		};

		if (timerfd_settime(g->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
			log_warn("timerfd");
		g->timer_armed = next;
	}
}

/* ---- setup ----------------------------------------------------------------- */

int
gw_worker_setup(struct gw *g)
{
	struct eng_io io = {
		.deliver = io_deliver, .emit = io_emit, .clone = io_clone,
		.teardown = io_teardown, .freeze = io_freeze,
		.dns_query = io_dns_query, .event = io_event, .ctx = g,
	};
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGPIPE);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sigdelset(&mask, SIGPIPE);
	if ((g->sig_fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (g->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0) {
		log_warn("signalfd/timerfd");
		return -1;
	}
	g->started_ms = mono_ms();
	g->started_wall_ms = wall_ms();
	/* Read before the empty root; the parent speaks to the socket. */
	g->notify = getenv("NOTIFY_SOCKET") != NULL;
	if (fp_setup(g, &io) < 0)
		return -1;
	if ((g->eng = eng_new(&g->cfg->eng, g->prog, &io, g->started_ms)) == NULL) {
		log_warnx("no memory for the engine's tables");
		return -1;
	}
	/* The next inbound packet's table slots load while one is decided. */
	nq_set_prefetch(g->q_in, prefetch_inbound);
	if ((g->ev = ev_new()) == NULL ||
	    ev_add(g->ev, nq_fd(g->q_in), EPOLLIN, queue_ready, g) < 0 ||
	    ev_add(g->ev, nq_fd(g->q_out), EPOLLIN, queue_ready, g) < 0 ||
	    ev_add(g->ev, g->ps_fd, EPOLLIN, parent_ready, g) < 0 ||
	    ev_add(g->ev, g->sig_fd, EPOLLIN, signal_ready, g) < 0 ||
	    ev_add(g->ev, g->timer_fd, EPOLLIN, timer_ready, g) < 0) {
		log_warn("event loop");
		return -1;
	}
	for (int i = 0; i < GW_DNS_SOCKETS; i++)
		if (ev_add(g->ev, g->dns_fd[i], EPOLLIN, dns_ready, g) < 0) {
			log_warn("event loop");
			return -1;
		}
	if (cap_setup(g) < 0)
		return -1;
	static const struct ctl_hooks hooks = { request_reload, worker_flush };

	ctl_attach(g, &hooks);
	return 0;
}

int
gw_worker_run(struct gw *g)
{
	/* Queues bound, policy loaded, control socket on the loop: serving. */
	gw_notify(g, PS_NOTIFY_READY);
	worker_flush(g);
	if (ev_run(g->ev) < 0) {
		log_warn("event loop");
		return -1;
	}
	worker_flush(g);
	/* Clones kept running (on_exit keep) keep their captures whole on disk. */
	cap_close_all(g);
	fp_close(g);
	return 0;
}
