/* SPDX-License-Identifier: ISC */
/*
 * libconfig files written by people: the reading of a file and the typed
 * readers of its settings, each reporting "file:line: label: what is wrong"
 * at the offending setting.  gateway.conf and vmm.conf both read this way.
 */
#ifndef POTEMKIN_CONF_H
#define POTEMKIN_CONF_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "log.h"

struct conf_ctx {
	const char *path;
	FILE *errs;		/* messages go here; NULL: to stderr via warnx */
	int errors;		/* reported so far */
};

/* config_init and config_read_file, libconfig's own message told; 0 or -1. */
int conf_read(struct conf_ctx *c, config_t *cf);
/* Report at s (or the file when s is NULL or has no line); always -1. */
int conf_error(struct conf_ctx *c, const config_setting_t *s, const char *fmt, ...)
    PK_PRINTF(3, 4);

/*
 * "what: unknown setting 'polcy' (did you mean 'policy'?)" at s, the hint
 * when the name is close to one of known[n]; what may be "".  Always -1.
 */
int conf_unknown(struct conf_ctx *c, const config_setting_t *s, const char *what,
    const char *const *known, size_t n);

/*
 * The typed readers: 0 and *out set, or -1 reported and *out untouched.
 * label names the setting in messages ("maxlen", "type web: root").
 */
int conf_string(struct conf_ctx *c, const config_setting_t *s, const char *label,
    bool may_be_empty, const char **out);
int conf_uint(struct conf_ctx *c, const config_setting_t *s, const char *label,
    uint64_t lo, uint64_t hi, uint64_t *out);
/* A duration string such as "30s" (lib/duration.h), in milliseconds. */
int conf_duration(struct conf_ctx *c, const config_setting_t *s, const char *label,
    uint64_t *out);
/* One non-empty string, or a list or array of min..max of them. */
int conf_strings(struct conf_ctx *c, const config_setting_t *s, const char *label,
    const char **out, size_t min, size_t max, size_t *n);

#endif
