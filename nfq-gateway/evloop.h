/* SPDX-License-Identifier: ISC */
/*
 * A small event loop: file descriptors with callbacks, nothing else.  Signals
 * arrive as a signalfd and timers as a timerfd, so everything that happens is
 * a readable descriptor handled in the loop, never in a signal handler.
 */
#ifndef POTEMKIN_EVLOOP_H
#define POTEMKIN_EVLOOP_H

#include <stdbool.h>
#include <stdint.h>

struct evloop;

/* events: EPOLLIN / EPOLLOUT bits as in <sys/epoll.h>. */
typedef void ev_cb(struct evloop *ev, int fd, uint32_t events, void *ctx);

struct evloop *ev_new(void);
int ev_add(struct evloop *ev, int fd, uint32_t events, ev_cb *cb, void *ctx);
int ev_mod(struct evloop *ev, int fd, uint32_t events);
void ev_del(struct evloop *ev, int fd);
/* Run until ev_stop; returns 0, or -1 when waiting itself failed. */
int ev_run(struct evloop *ev);
void ev_stop(struct evloop *ev);

#endif
