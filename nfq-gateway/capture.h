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
/* DIR made if absent (0700); -1 with why when not root's alone to write. */
int capdir_check(const struct gw_pcap_config *p, char *why, size_t len);
/* DIR/ID afresh (one left there kept aside) and both views open for writing; 0 or -1. */
int capdir_open(const struct gw_pcap_config *p, int vm, int fds[CAP_VIEWS]);
/* Shift view's files one older (the oldest dropped); a new live file's fd or -1. */
int capdir_rotate(const struct gw_pcap_config *p, int vm, int view);
/* Teardown: remove DIR/ID, or keep it as DIR/ID-TIME.  A DIR/ID found by
 * capdir_open is kept so too, whatever pcap.keep says. */
void capdir_teardown(const struct gw_pcap_config *p, int vm);
/*
 * Freeze asked: DIR/ID becomes DIR/.freeze-ID, out of the id's way; false
 * when there was no DIR/ID (not captured, or a freeze already has it).
 * Whoever gets true must call capdir_freeze_end, also when the freeze
 * never starts.
 */
bool capdir_freeze_begin(const struct gw_pcap_config *p, int vm);
/* Freeze done: into evdir when it succeeded, else kept as DIR/ID-TIME. */
void capdir_freeze_end(const struct gw_pcap_config *p, int vm, const char *evdir);

/* capture.c, the worker's side, in gateway.h (it needs struct gw). */

#endif
