/* SPDX-License-Identifier: ISC */
/*
 * Each clone's traffic in pcap files, in two views: clone.pcap as the
 * clone's own link carried it (its guest address), outside.pcap as it
 * crossed the farm's border (the farm address it holds).  The worker writes
 * (capture.c); the parent makes, rotates, freezes and removes the files
 * (capdir.c), since the worker may open nothing.
 */
#ifndef POTEMKIN_CAPTURE_H
#define POTEMKIN_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

enum { CAP_CLONE = 0, CAP_OUTSIDE = 1, CAP_VIEWS = 2 };

/* capdir.c, the parent's side.  Every function logs its own failures. */
/* DIR/ID afresh and both views' files open for writing; 0 or -1. */
int capdir_open(const struct gw_pcap_config *p, int vm, int fds[CAP_VIEWS]);
/* Shift view's files one older (the oldest dropped); a new live file's fd or -1. */
int capdir_rotate(const struct gw_pcap_config *p, int vm, int view);
/* Teardown: remove DIR/ID, or keep it as DIR/ID-TIME. */
void capdir_teardown(const struct gw_pcap_config *p, int vm);
/* Freeze asked: DIR/ID becomes DIR/.freeze-ID, out of the id's way. */
void capdir_freeze_begin(const struct gw_pcap_config *p, int vm);
/* Freeze done: into evdir when it succeeded, else kept as DIR/ID-TIME. */
void capdir_freeze_end(const struct gw_pcap_config *p, int vm, const char *evdir);

/* capture.c, the worker's side, in gateway.h (it needs struct gw). */

#endif
