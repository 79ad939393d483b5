/* SPDX-License-Identifier: ISC */
#include "conf.h"

#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "duration.h"
#include "suggest.h"

/* "file:line: msg", or "file: msg" without a line. */
static void
report(struct conf_ctx *c, const char *file, unsigned line, const char *msg)
{
	char where[512];

	if (line > 0)
		snprintf(where, sizeof(where), "%s:%u", file ? file : c->path, line);
	else
		snprintf(where, sizeof(where), "%s", file ? file : c->path);
	if (c->errs)
		fprintf(c->errs, "%s: %s\n", where, msg);
	else
		warnx("%s: %s", where, msg);
	c->errors++;
}

int
conf_read(struct conf_ctx *c, config_t *cf)
{
	FILE *f = fopen(c->path, "r");

	if (f == NULL) {
		report(c, NULL, 0, strerror(errno));
		return -1;
	}
	fclose(f);
	config_init(cf);
	if (config_read_file(cf, c->path) == CONFIG_TRUE)
		return 0;
	report(c, config_error_file(cf), (unsigned)config_error_line(cf),
	    config_error_text(cf));
	config_destroy(cf);
	return -1;
}

int
conf_error(struct conf_ctx *c, const config_setting_t *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(c, s ? config_setting_source_file(s) : NULL,
	    s ? config_setting_source_line(s) : 0, msg);
	return -1;
}

int
conf_string(struct conf_ctx *c, const config_setting_t *s, const char *label,
    bool may_be_empty, const char **out)
{
	const char *v;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return conf_error(c, s, "%s: a string is expected", label);
	v = config_setting_get_string(s);
	if (!may_be_empty && *v == '\0')
		return conf_error(c, s, "%s: must not be empty", label);
	*out = v;
	return 0;
}

int
conf_uint(struct conf_ctx *c, const config_setting_t *s, const char *label,
    uint64_t lo, uint64_t hi, uint64_t *out)
{
	long long v;

	if (config_setting_type(s) == CONFIG_TYPE_INT)
		v = config_setting_get_int(s);
	else if (config_setting_type(s) == CONFIG_TYPE_INT64)
		v = config_setting_get_int64(s);
	else
		return conf_error(c, s, "%s: an integer is expected", label);
	if (v < 0 || (uint64_t)v < lo || (uint64_t)v > hi)
		return conf_error(c, s, "%s: %lld is not within %llu..%llu", label, v,
		    (unsigned long long)lo, (unsigned long long)hi);
	*out = (uint64_t)v;
	return 0;
}

int
conf_duration(struct conf_ctx *c, const config_setting_t *s, const char *label,
    uint64_t *out)
{
	const char *v;
	enum dur_err e;

	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return conf_error(c, s, "%s: a duration such as \"30s\" is expected",
		    label);
	v = config_setting_get_string(s);
	if ((e = dur_parse(v, strlen(v), out)) != DUR_OK)
		return conf_error(c, s, "%s: '%s': %s", label, v, dur_strerror(e));
	return 0;
}

int
conf_strings(struct conf_ctx *c, const config_setting_t *s, const char *label,
    const char **out, size_t min, size_t max, size_t *n)
{
	int len;

	if (config_setting_type(s) == CONFIG_TYPE_STRING && min <= 1 && max >= 1) {
		if (*config_setting_get_string(s) == '\0')
			return conf_error(c, s, "%s: must not be empty", label);
		out[0] = config_setting_get_string(s);
		*n = 1;
		return 0;
	}
	if (!config_setting_is_aggregate(s) || config_setting_is_group(s))
		return conf_error(c, s, "%s: a list of strings is expected", label);
	len = config_setting_length(s);
	if (len < 0 || (size_t)len < min || (size_t)len > max)
		return conf_error(c, s, "%s: a list of %zu..%zu strings is expected",
		    label, min, max);
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING ||
		    *config_setting_get_string(e) == '\0')
			return conf_error(c, e, "%s: entry %d is not a non-empty string",
			    label, i + 1);
		out[i] = config_setting_get_string(e);
	}
	*n = (size_t)len;
	return 0;
}

int
conf_unknown(struct conf_ctx *c, const config_setting_t *s, const char *what,
    const char *const *known, size_t n)
{
	const char *name = config_setting_name(s);
	const char *near = suggest(name, strlen(name), known, n);

	if (near)
		return conf_error(c, s, "%s%sunknown setting '%s' (did you mean '%s'?)",
		    what, *what ? ": " : "", name, near);
	return conf_error(c, s, "%s%sunknown setting '%s'", what, *what ? ": " : "",
	    name);
}
