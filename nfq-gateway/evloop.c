/* SPDX-License-Identifier: ISC */
/*
 * The epoll side of the event loop.  Handlers are kept in a table indexed by
 * descriptor; a handler removed while events for it are still in the batch
 * is never called (its slot is cleared, and the batch checks the slot).
 */
#include "evloop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#define EV_BATCH 64

struct ev_handler {
	ev_cb *cb;
	void *ctx;
};

struct evloop {
	int epfd;
	bool stop;
	struct ev_handler *h;
	int nh;
};

struct evloop *
ev_new(void)
{
	struct evloop *ev = calloc(1, sizeof(*ev));

	if (ev == NULL)
		return NULL;
	if ((ev->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		free(ev);
		return NULL;
	}
	return ev;
}

static int
ev_reserve(struct evloop *ev, int fd)
{
	struct ev_handler *h;
	int n;

	if (fd < ev->nh)
		return 0;
	n = fd + 64;
	if ((h = realloc(ev->h, (size_t)n * sizeof(*h))) == NULL)
		return -1;
	for (int i = ev->nh; i < n; i++)
		h[i] = (struct ev_handler){ NULL, NULL };
	ev->h = h;
	ev->nh = n;
	return 0;
}

int
ev_add(struct evloop *ev, int fd, uint32_t events, ev_cb *cb, void *ctx)
{
	struct epoll_event e = { .events = events, .data.fd = fd };

	if (fd < 0 || ev_reserve(ev, fd) < 0)
		return -1;
	if (epoll_ctl(ev->epfd, EPOLL_CTL_ADD, fd, &e) < 0)
		return -1;
	ev->h[fd] = (struct ev_handler){ cb, ctx };
	return 0;
}

int
ev_mod(struct evloop *ev, int fd, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.fd = fd };

	return epoll_ctl(ev->epfd, EPOLL_CTL_MOD, fd, &e);
}

void
ev_del(struct evloop *ev, int fd)
{
	if (fd < 0 || fd >= ev->nh)
		return;
	epoll_ctl(ev->epfd, EPOLL_CTL_DEL, fd, NULL);
	ev->h[fd] = (struct ev_handler){ NULL, NULL };
}

void
ev_stop(struct evloop *ev)
{
	ev->stop = true;
}

int
ev_run(struct evloop *ev)
{
	struct epoll_event events[EV_BATCH];

	ev->stop = false;
	while (!ev->stop) {
		int n = epoll_wait(ev->epfd, events, EV_BATCH, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (int i = 0; i < n && !ev->stop; i++) {
			int fd = events[i].data.fd;

			if (fd < ev->nh && ev->h[fd].cb)
				ev->h[fd].cb(ev, fd, events[i].events, ev->h[fd].ctx);
		}
	}
	return 0;
}
