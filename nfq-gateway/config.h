/* SPDX-License-Identifier: ISC */
/* gateway.conf: what the operator decides that the policy does not. */
#ifndef POTEMKIN_GW_CONFIG_H
#define POTEMKIN_GW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"

#define GW_ARGV_MAX 16
#define GW_SENSOR_MAX 64	/* bytes of gateway.conf's sensor name */
#define GW_PCAP_TYPES_MAX 64

/* pcap = { ... }: each clone's traffic written to files (capture.c). */
struct gw_pcap_config {
	char *types[GW_PCAP_TYPES_MAX];	/* the types captured; "*" for all */
	size_t ntypes;			/* 0: capture is off */
	char *directory;		/* DIR/ID/{clone,outside}.pcap */
	uint64_t max_size;		/* bytes a file may reach */
	uint32_t files;			/* a view's files: the live one and files-1 older */
	uint32_t snaplen;
	bool keep;			/* teardown keeps them as DIR/ID-TIME */
};

struct gw_argv {
	char *argv[GW_ARGV_MAX + 1];	/* NULL-terminated */
	int argc;
};

struct gw_config {
	char *path;			/* the file it came from */
	char *policy;
	char *user;			/* "" or "root": keep root */
	char *control_socket;
	char *pidfile;			/* "" for none */
	char *events;			/* a path, or "-" for stdout */
	uint32_t events_rate;		/* bytes of events a second at most */
	char *sensor;			/* observer.name in events, or NULL */
	char *external_interface;
	bool on_exit_keep;		/* on_exit = "keep" */
	bool rpfilter;			/* -P checks the reverse path ahead of queue 0 */
	bool fastpath;			/* decided flows carried by the kernel (fastpath.c) */
	uint32_t fastpath_flows;	/* the kernel's flow map holds this many */
	uint16_t queue_in, queue_out;
	uint32_t queue_maxlen, copy_range, rcvbuf;
	struct gw_argv clone_cmd, teardown_cmd, freeze_cmd;
	/* The placement's health check (potemkin-place check): none if argc 0. */
	struct gw_argv hosts_cmd;
	uint32_t hosts_interval_ms;
	uint32_t clone_timeout_ms;
	uint32_t clones_max_procs;	/* teardown/freeze commands at once */
	struct gw_pcap_config pcap;
	struct eng_config eng;
};

/*
 * Read path (NULL: the built-in defaults only).  Errors go to errs as
 * "file:line: message", libconfig's own included; returns 0 or -1.
 */
int gw_config_load(struct gw_config *c, const char *path, FILE *errs);
void gw_config_free(struct gw_config *c);
/* Are clones of this type captured? */
bool gw_pcap_wanted(const struct gw_config *c, const char *type);

#endif
