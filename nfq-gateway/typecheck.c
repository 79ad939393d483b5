/* SPDX-License-Identifier: ISC */
/*
 * The clone tools say what types they define with `potemkin-clone --types`
 * (one line each: type=NAME backend=B [tcp=P,P,...], the TCP ports being
 * those a clone waits for before it is ready).  The gateway runs its
 * configured clone command, wrapper and all, with --types appended, so the
 * check sees the very tools that binds will run.  gateway.conf's capture
 * is held against the policy's types too: a misspelt name there would
 * capture nothing, silently.
 */
#include "typecheck.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/monotime.h"
#include "lib/number.h"
#include "lib/spawn.h"
#include "lib/suggest.h"

#define TYPES_MAX	4096
#define TYPE_PORTS_MAX	64
#define OUTPUT_MAX	(64u << 10)
#define LIST_TIMEOUT_MS	10000

struct tool_type {
	char name[64];
	uint16_t tcp[TYPE_PORTS_MAX];
	size_t ntcp;
	bool tcp_known;
};

/* Wait for pid until deadline (ms); kill its process group when it passes. */
static bool
reap(pid_t pid, uint64_t deadline, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
		if (mono_ms() >= deadline) {
			kill(-pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return false;
		}
		poll(NULL, 0, 10);
	}
}

/*
 * Run argv + "--types" in a process group of its own, with default signal
 * dispositions (as the privileged parent runs the clone command); its
 * standard output into buf.  0, or -1 with why.
 */
static int
run_list(const struct gw_argv *cmd, char *buf, size_t cap, const char **why)
{
	char *argv[GW_ARGV_MAX + 2];
	uint64_t deadline = mono_ms() + LIST_TIMEOUT_MS;
	size_t len = 0;
	int out[2], status = 0, rc = 0;
	pid_t pid;

	for (int i = 0; i < cmd->argc; i++)
		argv[i] = cmd->argv[i];
	argv[cmd->argc] = "--types";
	argv[cmd->argc + 1] = NULL;
	if (pipe2(out, O_CLOEXEC) < 0) {
		*why = strerror(errno);
		return -1;
	}
	rc = spawn_group(argv, out[1], -1, &pid);
	close(out[1]);
	if (rc != 0) {
		close(out[0]);
		*why = strerror(rc);
		return -1;
	}
	for (;;) {
		struct pollfd p = { out[0], POLLIN, 0 };
		uint64_t now = mono_ms();
		ssize_t n;
		int ready = now >= deadline ? 0 : poll(&p, 1, (int)(deadline - now));

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready == 0) {
			*why = "it did not finish within 10s";
			rc = -1;
			break;
		}
		n = read(out[0], buf + len, cap - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((len += (size_t)n) == cap - 1) {
			*why = "its output is too long";
			rc = -1;
			break;
		}
	}
	buf[len] = '\0';
	close(out[0]);
	if (rc < 0) {
		kill(-pid, SIGKILL);
		reap(pid, 0, &status);
		return -1;
	}
	if (!reap(pid, deadline, &status)) {
		*why = "it did not finish within 10s";
		return -1;
	}
	if (!(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		*why = "it failed";
		return -1;
	}
	return 0;
}

/* One line of --types; false if it is not one. */
static bool
parse_type(char *line, struct tool_type *t)
{
	char *save = NULL;

	memset(t, 0, sizeof(*t));
	for (char *w = strtok_r(line, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (strncmp(w, "type=", 5) == 0) {
			snprintf(t->name, sizeof(t->name), "%s", w + 5);
		} else if (strncmp(w, "tcp=", 4) == 0) {
			char *psave = NULL;

			t->tcp_known = true;
			for (char *p = strtok_r(w + 4, ",", &psave); p; p = strtok_r(NULL, ",", &psave)) {
				unsigned long long v;

				if (num_parse(p, 1, 65535, &v) < 0 || t->ntcp == TYPE_PORTS_MAX)
					return false;
				t->tcp[t->ntcp++] = (uint16_t)v;
			}
		}
	}
	return t->name[0] != '\0';
}

static const struct tool_type *
find_type(const struct tool_type *types, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(types[i].name, name) == 0)
			return &types[i];
	return NULL;
}

static bool
serves(const struct tool_type *t, unsigned port)
{
	for (size_t i = 0; i < t->ntcp; i++)
		if (t->tcp[i] == port)
			return true;
	return false;
}

/* The TCP ports type opens that t's clones do not serve, as "22, 443, 8000-8080". */
static size_t
unserved(const struct pol_program *prog, int type, const struct tool_type *t, char *out,
    size_t cap)
{
	size_t n = 0, len = 0;

	out[0] = '\0';
	for (unsigned p = 1; p <= 65535; p++) {
		unsigned hi = p;

		if (!pol_type_opens(prog, type, IPPROTO_TCP, (uint16_t)p) || serves(t, p))
			continue;
		while (hi < 65535 && pol_type_opens(prog, type, IPPROTO_TCP, (uint16_t)(hi + 1)) &&
		    !serves(t, hi + 1))
			hi++;
		if (len < cap)
			len += (size_t)snprintf(out + len, cap - len, hi > p ? "%s%u-%u" : "%s%u",
			    n ? ", " : "", p, hi);
		n += hi - p + 1;
		p = hi;
	}
	return n;
}

static void
served_list(const struct tool_type *t, char *out, size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < t->ntcp && len < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%u", i ? " " : "", t->tcp[i]);
}

/* pcap.types names the policy has; an error for each it does not. */
static int
pcap_types_check(const struct gw_config *c, const struct pol_program *prog)
{
	const char *names[TYPES_MAX];
	size_t n = 0;
	int errors = 0;

	for (size_t i = 0; i < pol_type_count(prog) && n < TYPES_MAX; i++)
		names[n++] = pol_type_name(prog, (int)i);
	for (size_t i = 0; i < c->pcap.ntypes; i++) {
		const char *want = c->pcap.types[i], *near;
		bool found = strcmp(want, "*") == 0;

		for (size_t k = 0; !found && k < n; k++)
			found = strcmp(names[k], want) == 0;
		if (found)
			continue;
		near = suggest(want, strlen(want), names, n);
		fprintf(stderr, "%s: pcap: types: '%s' is not a type of the policy, so "
		    "nothing would be captured for it%s%s%s\n",
		    c->path ? c->path : "gateway.conf", want,
		    near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
		errors++;
	}
	return errors;
}

int
typecheck(const struct gw_config *c, const struct pol_program *prog, const char *policy_path)
{
	static char buf[OUTPUT_MAX];
	static struct tool_type types[TYPES_MAX];
	char known[1024] = "", ports[512], served[512];
	const char *why = NULL;
	size_t ntypes = 0, klen = 0;
	int errors = 0;

	errors += pcap_types_check(c, prog);
	if (run_list(&c->clone_cmd, buf, sizeof(buf), &why) < 0) {
		fprintf(stderr, "%s: clone.command %s --types: %s: the policy's types "
		    "cannot be checked\n", c->path ? c->path : "gateway.conf",
		    c->clone_cmd.argv[0], why);
		return errors + 1;
	}
	for (char *save = NULL, *l = strtok_r(buf, "\n", &save); l && ntypes < TYPES_MAX;
	    l = strtok_r(NULL, "\n", &save))
		if (parse_type(l, &types[ntypes])) {
			if (klen < sizeof(known))
				klen += (size_t)snprintf(known + klen, sizeof(known) - klen, "%s%s",
				    ntypes ? ", " : "", types[ntypes].name);
			ntypes++;
		}
	for (size_t i = 0; i < pol_type_count(prog); i++) {
		const char *name = pol_type_name(prog, (int)i);
		const struct tool_type *t = find_type(types, ntypes, name);
		int line, col;

		pol_type_where(prog, (int)i, &line, &col);
		if (t == NULL) {
			fprintf(stderr, "%s:%d:%d: type '%s' is not a type of the clone tools "
			    "(they know: %s)\n", policy_path, line, col, name,
			    ntypes ? known : "none");
			errors++;
		} else if (t->tcp_known && unserved(prog, (int)i, t, ports, sizeof(ports))) {
			served_list(t, served, sizeof(served));
			fprintf(stderr, "%s:%d:%d: warning: type '%s' opens tcp %s, which its "
			    "clones are not known to serve (they serve %s)\n", policy_path, line,
			    col, name, ports, served);
		}
	}
	return errors;
}
