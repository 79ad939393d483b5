/* SPDX-License-Identifier: ISC */
/*
 * Privilege separation, in OpenBSD's manner.  The process that parses
 * hostile packets (the worker) gives up root after setup and keeps only
 * CAP_NET_ADMIN (nfnetlink asks it of every message, verdicts included;
 * the raw and packet sockets are open by then).  A small parent keeps root
 * and does nothing but what the worker asks over a socketpair: run the
 * configured clone-tool commands (a fixed argv built from validated
 * fields, never a shell) and pass their records back, open the policy
 * and events files, and speak to systemd for it (notify.c): the service
 * manager takes notifications from its main process, the parent.
 */
#ifndef POTEMKIN_PRIVSEP_H
#define POTEMKIN_PRIVSEP_H

#include <stdint.h>
#include <sys/types.h>

#include "config.h"

enum ps_op {
	PS_CLONE = 1,		/* run the clone command; reply with its record */
	PS_TEARDOWN,		/* run the teardown command for vm */
	PS_FREEZE,		/* run the freeze command for vm */
	PS_OPEN_POLICY,		/* reply with a read-only descriptor of the policy;
				   serial (the reload's) echoed */
	PS_OPEN_EVENTS,		/* reply with an append descriptor of the events file */
	PS_EXIT,		/* finish what runs, then exit; answered, last of all */
	PS_HOSTS,		/* run the hosts command; reply with its output */
	PS_NOTIFY,		/* tell systemd serial (a ps_notify) with counts; no reply */
	PS_PCAP_ROTATE,		/* vm's capture, view serial, is full: a new file */
};

enum ps_notify {
	PS_NOTIFY_READY = 1,	/* serving; also after a reload, whatever its outcome */
	PS_NOTIFY_STATUS,	/* the counts changed, or a while passed */
};

/* What STATUS= says: numbers only, the parent writes the text. */
struct ps_counts {
	uint32_t clones, pending, universes, flows;
	uint64_t packets;
};

struct ps_request {
	uint32_t op;
	uint32_t serial;	/* PS_CLONE: the binding, echoed in the reply;
				 * PS_PCAP_ROTATE: the view */
	int32_t vm;		/* PS_TEARDOWN, PS_FREEZE */
	uint32_t ip;		/* PS_CLONE: the impersonated address */
	uint32_t universe;
	char type[ENG_TYPE_MAX];
	struct ps_counts counts;	/* PS_NOTIFY */
};

#define PS_TEXT_MAX 16384	/* PS_HOSTS: a line per host, 64 hosts */

struct ps_reply {
	uint32_t op;
	uint32_t serial;	/* PS_PCAP_ROTATE: vm * 2 + view */
	int32_t status;		/* 0 ok; otherwise failed, text says why */
	char text[PS_TEXT_MAX];	/* PS_CLONE: the record line */
};

/*
 * A PS_CLONE reply of a captured type passes two descriptors, the clone's
 * view and the outside view (capture.h); PS_PCAP_ROTATE one.
 */
#define PS_FDS_MAX 2

/*
 * Run the parent's loop on fd until the worker exits or asks it to; never
 * returns.  worker is the child's pid; signals the parent gets (HUP, USR1,
 * TERM, INT) are passed on to it.
 */
void ps_parent_main(int fd, pid_t worker, const struct gw_config *c);

/*
 * notify.c: sd_notify(3) for the parent, which is the service's main
 * process.  Nothing is sent when NOTIFY_SOCKET is unset.
 */
void ps_notify_request(const struct ps_request *rq);
void ps_notify_reloading(void);
void ps_notify_stopping(void);

/* Worker side. */
/* Read one reply; *passed_fd gets a descriptor that came with it, or -1. */
int ps_recv(int fd, struct ps_reply *rp, int *passed_fd);
/* Likewise for up to PS_FDS_MAX descriptors, -1 for those that did not come. */
int ps_recv_fds(int fd, struct ps_reply *rp, int fds[PS_FDS_MAX]);

/*
 * Once everything is open: from now on the worker may make only the system
 * calls of its allow list (nfq-gateway/worker-seccomp.c); others fail.
 */
int ps_confine_worker(void);
/* Give up root: become user, keep CAP_NET_ADMIN alone. */
int ps_drop_privileges(const char *user);

#endif
