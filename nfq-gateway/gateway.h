/* SPDX-License-Identifier: ISC */
/*
 * The running daemon's worker: the engine with the kernel around it.  Shared
 * by the worker's files (worker.c, control.c) and the main program.
 */
#ifndef POTEMKIN_GATEWAY_H
#define POTEMKIN_GATEWAY_H

#include <stdbool.h>
#include <stdint.h>

#include "afpacket.h"
#include "config.h"
#include "engine/engine.h"
#include "evloop.h"
#include "fastpath-load.h"
#include "hosts.h"
#include "nfqueue.h"
#include "policy-dsl/policy.h"
#include "privsep.h"

#define GW_DNS_SOCKETS 16

struct gw_capture;

struct gw {
	struct gw_config *cfg;
	struct pol_program *prog;
	char *policy_path;		/* the file the policy came from */
	struct eng *eng;
	struct evloop *ev;
	struct nq *q_in, *q_out;
	struct tx *tx;
	int raw_fd;			/* gateway-built replies to the outside */
	/*
	 * The proxy's own sockets, each on a port the kernel picked at
	 * random: every question leaves from one chosen at random, and only
	 * an answer on that one counts, so a forged answer must guess the
	 * port as well as the id and the case.
	 */
	int dns_fd[GW_DNS_SOCKETS];
	uint8_t dns_rnd[64];		/* from getrandom, used up in order */
	size_t dns_rnd_left;
	int ps_fd;			/* to the privileged parent */
	int sig_fd;
	int timer_fd;
	int ctl_fd;			/* the control socket, listening */
	int events_fd;
	int nfq_proc_fd;		/* /proc/.../nfnetlink_queue, opened as root */
	uint64_t timer_armed;		/* the deadline timer_fd is set for */
	uint64_t batch_ms;		/* mono, read once per receive batch */
	uint64_t started_ms;		/* mono */
	uint64_t started_wall_ms;
	bool foreground;
	bool stopping;
	/* What the I/O side counts that the engine cannot see. */
	uint64_t events_written, events_lost;
	uint64_t events_over_rate;	/* not written: over events_rate */
	uint64_t events_tokens, events_last_ms;	/* the byte bucket */
	uint64_t emit_errors, dns_send_errors;
	uint64_t truncated;		/* copied short of the packet's length */
	uint64_t reload_failures;
	uint32_t reload_serial;		/* of the last reload asked of the parent */
	uint64_t ctl_requests;
	/* systemd's notifications, through the parent (NOTIFY_SOCKET set). */
	bool notify;
	uint64_t status_sent_ms;	/* mono; 0: none yet */
	struct ps_counts status_sent;
	uint64_t pcap_written, pcap_dropped, pcap_errors;
	struct gw_capture *cap;		/* NULL when nothing is captured */
	const struct ctl_hooks *ctl;
	struct gw_hosts hosts;		/* as the placement's check reports them */
	/* The kernel fast path (fastpath.c): loaded by root, then the worker's. */
	struct fpk fpk;
	bool fp_on;
};

/* worker.c */
int gw_worker_setup(struct gw *g);
struct ps_request;
/* Queue a request for the privileged parent; sent as the socket takes it. */
void gw_ps_request(struct gw *g, const struct ps_request *rq);
int gw_worker_run(struct gw *g);
/* Tell systemd (through the parent, if it listens) what, with the counts. */
void gw_notify(struct gw *g, enum ps_notify what);

/* capture.c: each captured clone's pcap files (capture.h). */
int cap_setup(struct gw *g);
/* Its files' descriptors, from the parent with its record; taken in all cases. */
void cap_attach(struct gw *g, int vm, const int fds[2]);
/* Flushed and closed: before its freeze or teardown is asked for. */
void cap_close(struct gw *g, int vm);
void cap_close_all(struct gw *g);
/* The parent's answer to PS_PCAP_ROTATE (fd -1: it could not). */
void cap_rotated(struct gw *g, uint32_t serial, int fd);
/* As delivered to the clone; the outside view with its farm address put back. */
void cap_delivered(struct gw *g, const struct eng_vm *vm, const uint8_t *pkt, size_t len);
/* As the clone sent it, before the engine sees it; its id, or -1 if not captured. */
int cap_from_clone(struct gw *g, int ifindex, const uint8_t *pkt, size_t len);
/* As the gateway let it out, rewritten. */
void cap_passed(struct gw *g, int vm, const uint8_t *pkt, size_t len);

/*
 * control.c: the control socket, on the worker's event loop.  What a
 * command needs of the worker comes as hooks, so that the worker calls the
 * control code and never the other way round.
 */
struct ctl_hooks {
	/* Ask the parent for the policy; the reload's serial, for ctl_reload_done. */
	uint32_t (*reload)(struct gw *g);
	void (*flush)(struct gw *g);	/* rearm the timer, flush verdicts and sends */
};
int ctl_listen(const char *path);
void ctl_attach(struct gw *g, const struct ctl_hooks *h);
/*
 * The outcome of reload serial (and of every one before it): answer the
 * clients that wait for it.  errors: the policy's messages, a line each,
 * or why the file could not be read; NULL when the new policy runs.
 */
void ctl_reload_done(struct gw *g, uint32_t serial, const char *errors);
/* Answer the clients whose wait is over; the next deadline, or UINT64_MAX. */
uint64_t ctl_tick(struct gw *g, uint64_t now);

#endif
