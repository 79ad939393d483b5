/* SPDX-License-Identifier: ISC */
/*
 * potemkin-ctl: ask the running gateway over its control socket.  One
 * request line, one JSON line back; without --json the gateway renders the
 * answer for people and this prints it.  Two views are this side's own:
 * top (ctl-top.c) and stats --prometheus (ctl-prom.c).
 */
#include "ctl.h"

#include <err.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/prog.h"

#define DEFAULT_SOCKET "/run/potemkin/gateway.sock"
#define REQUEST_MAX 512

static const char usage_text[] =
    "usage: potemkin-ctl [-s socket] [--json] command [args]\n"
    "commands:\n"
    "  status                  the gateway in a few lines\n"
    "  stats [--prometheus]    every counter (or in Prometheus's text format)\n"
    "  top [-n SECS] [--once]  clones, universes and rates, refreshed in place\n"
    "  vms                     live clones and the ones being made\n"
    "  universes               universes and their clones\n"
    "  hosts                   VMM hosts: state, live clones, capacity\n"
    "  flows [N]               the first N cached flows (50)\n"
    "  bind ADDR [TYPE]        make a clone for a farm address now\n"
    "  infected VM [REASON]    mark a clone infected\n"
    "  infected ADDR [--universe U | --peer P] [REASON]\n"
    "                          the same, by the farm address a detector saw\n"
    "  freeze VM               preserve a clone for analysis, then reclaim it\n"
    "  teardown VM             reclaim a clone\n"
    "  reload                  reload the policy; wait and say whether it took\n";

static _Noreturn void
usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

/*
 * The string value of a top-level key in the gateway's reply, unescaped.
 * The gateway writes the reply, so a flat search for the key is enough.
 */
static char *
json_string(const char *reply, const char *key)
{
	char pat[64], *out;
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if ((p = strstr(reply, pat)) == NULL)
		return NULL;
	p += strlen(pat);
	if ((out = malloc(strlen(p) + 1)) == NULL)
		err(1, "malloc");
	junescape(p, p + strlen(p), out, strlen(p) + 1, true);
	return out;
}

/*
 * The request line: the words, space-separated.  Only a reason (infected's
 * last words, a detector's signature text) may hold spaces itself; the
 * gateway splits the line on them and joins the reason's words again.
 */
static void
build_request(char *req, size_t cap, bool json, int argc, char **argv)
{
	bool spaces_ok = strcmp(argv[0], "infected") == 0;
	size_t len = (size_t)snprintf(req, cap, "%s", json ? "" : "text");

	for (int i = 0; i < argc; i++) {
		const char *bad = spaces_ok ? "\r\n" : " \t\r\n";

		if (strpbrk(argv[i], bad) || len + strlen(argv[i]) + 2 >= cap)
			errx(2, "argument '%.40s' is too long or holds %s", argv[i],
			    spaces_ok ? "a line break" : "white space");
		len += (size_t)snprintf(req + len, cap - len, "%s%s", len ? " " : "", argv[i]);
	}
}

/* stats --prometheus, top [-n SECS] [--once]: views of this side's own. */
static int
local_view(const char *path, int argc, char **argv, bool *handled)
{
	double interval = 1;
	bool once = false;
	char *end, *reply;

	*handled = true;
	if (strcmp(argv[0], "stats") == 0 && argc == 2 &&
	    strcmp(argv[1], "--prometheus") == 0) {
		reply = ctl_ask(path, "stats");
		if (strncmp(reply, "{\"ok\":true", 10) != 0)
			errx(1, "%s", reply);
		prom_write(stdout, reply);
		free(reply);
		return 0;
	}
	if (strcmp(argv[0], "top") != 0) {
		*handled = false;
		return 0;
	}
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--once") == 0) {
			once = true;
		} else if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
			interval = strtod(argv[++i], &end);
			if (*end || end == argv[i] || !(interval >= 0.1 && interval <= 3600))
				errx(2, "top: -n wants seconds, 0.1 to 3600");
		} else {
			errx(2, "usage: top [-n SECS] [--once]");
		}
	}
	return top_main(path, interval, once);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = DEFAULT_SOCKET;
	char req[REQUEST_MAX], *reply, *text;
	bool json = false, ok, handled;
	int ch, rc;

	prog_init(argc, argv);
	while ((ch = getopt_long(argc, argv, "+hjs:", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': path = optarg; break;
		case 'j': json = true; break;
		case 'h': usage(0);
		default: usage(2);
		}
	}
	if (optind == argc)
		usage(2);
	rc = local_view(path, argc - optind, argv + optind, &handled);
	if (handled)
		return rc;
	build_request(req, sizeof(req), json, argc - optind, argv + optind);
	reply = ctl_ask(path, req);
	ok = strncmp(reply, "{\"ok\":true", 10) == 0;
	if (json) {
		fputs(reply, stdout);
	} else if (ok) {
		if ((text = json_string(reply, "text")) != NULL)
			fputs(text, stdout);
		free(text);
	} else {
		/* A refused reload's errors, as the policy checker prints them. */
		if ((text = json_string(reply, "text")) != NULL)
			fputs(text, stderr);
		free(text);
		text = json_string(reply, "error");
		warnx("%s", text ? text : reply);
		free(text);
	}
	free(reply);
	return ok ? 0 : 1;
}
