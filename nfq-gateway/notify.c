/* SPDX-License-Identifier: ISC */
/*
 * systemd's notification protocol, spoken by the privileged parent: with
 * NotifyAccess=main only the main process is heard, and the worker, under
 * its system call filter, could not reach the socket anyway.  The worker
 * says what happened over the privsep channel, in numbers; the text is
 * written here, so nothing the worker chooses reaches the service manager
 * verbatim.  sd_notify(3) does nothing when NOTIFY_SOCKET is unset.
 */
#include "privsep.h"

#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "lib/log.h"

static bool stopping;

static void
send_state(const char *state)
{
	int rc;

	/* unset_environment 0: each later notification reads NOTIFY_SOCKET again. */
	if ((rc = sd_notify(0, state)) < 0)
		log_debug("sd_notify: %d", rc);
}

static void
status_text(const struct ps_counts *c, char *buf, size_t cap)
{
	snprintf(buf, cap, "STATUS=clones %u ready, %u being made; universes %u; "
	    "flows %u; packets %llu", c->clones, c->pending, c->universes, c->flows,
	    (unsigned long long)c->packets);
}

void
ps_notify_request(const struct ps_request *rq)
{
	char buf[256], status[200];

	if (stopping)
		return;		/* nothing after STOPPING=1 may say READY again */
	status_text(&rq->counts, status, sizeof(status));
	switch (rq->serial) {
	case PS_NOTIFY_READY:
		snprintf(buf, sizeof(buf), "READY=1\n%s", status);
		send_state(buf);
		break;
	case PS_NOTIFY_STATUS:
		send_state(status);
		break;
	default:
		log_warnx("privsep: unknown notification %u", rq->serial);
	}
}

/* Newer systemd wants the time the reload started, to tell reloads apart. */
void
ps_notify_reloading(void)
{
	struct timespec ts;
	char buf[128];

	if (stopping)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(buf, sizeof(buf), "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the policy",
	    (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
	send_state(buf);
}

void
ps_notify_stopping(void)
{
	if (stopping)
		return;
	stopping = true;
	send_state("STOPPING=1\nSTATUS=stopping");
}
