/* SPDX-License-Identifier: ISC */
/*
 * potemkin-policy: the policy language offline -- check a file, print it
 * normalized, decide packets described on stdin; `replay` runs
 * potemkin-replay, which drives the gateway's engine (as git runs its
 * commands: the one beside this program first, then the one in PATH).
 *
 * Subcommands live in one table with their usage strings; adding one is a
 * row and a function.
 */
#include "pktline.h"
#include "pol_int.h"
#include "lib/duration.h"

#include <err.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/prog.h"

#define PROG "potemkin-policy"

struct cmd {
	const char *name;
	const char *args;	/* after the name, for the usage */
	const char *what;	/* one line for --help */
	int min_args, max_args;	/* max -1: no limit */
	int (*run)(int argc, char **argv);
	bool own_options;	/* run parses its options; its argv[0] is its name */
};

static int cmd_check(int argc, char **argv);
static int cmd_dump(int argc, char **argv);
static int cmd_eval(int argc, char **argv);
static int cmd_replay(int argc, char **argv);

static const struct cmd cmds[] = {
	{ "check", "FILE...", "report every error and warning; print FILE: OK",
	    1, -1, cmd_check },
	{ "dump", "FILE", "print the policy normalized, defaults spelled out",
	    1, 1, cmd_dump },
	{ "eval", "FILE < PACKETS", "decide each packet described on stdin",
	    1, 1, cmd_eval },
	{ "replay", "[options] FILE CAPTURE...",
	    "run captures through the gateway's engine; report what the farm does",
	    2, -1, cmd_replay, true },
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void
usage(FILE *out, const struct cmd *only)
{
	const char *lead = "usage:";

	for (size_t i = 0; i < NCMDS; i++) {
		if (only && only != &cmds[i])
			continue;
		fprintf(out, "%-6s %s %s %s\n", lead, PROG, cmds[i].name, cmds[i].args);
		lead = "";
	}
	if (only == NULL) {
		fprintf(out, "       %s -h | --help\n\n", PROG);
		for (size_t i = 0; i < NCMDS; i++)
			fprintf(out, "  %-6s %s\n", cmds[i].name, cmds[i].what);
	}
}

static int
cmd_check(int argc, char **argv)
{
	int rc = 0;

	for (int i = 0; i < argc; i++) {
		struct pol_program *prog = pol_load_tool(argv[i]);

		if (prog == NULL) {
			rc = 1;
			continue;
		}
		printf("%s: OK\n", strcmp(argv[i], "-") == 0 ? "<stdin>" : argv[i]);
		pol_free(prog);
	}
	return rc;
}

static int
cmd_dump(int argc, char **argv)
{
	struct pol_program *prog = pol_load_tool(argv[0]);
	int rc = 0;

	(void)argc;
	if (prog == NULL)
		return 1;
	if (pol_dump(prog, stdout) < 0 || fflush(stdout) == EOF) {
		warn("cannot write the policy");
		rc = 1;
	}
	pol_free(prog);
	return rc;
}

/* "drop log rule=3 line=17 consulted=scan,bound" */
static void
print_decision(const struct pol_decision *d, FILE *out)
{
	char a[ADDR_STRLEN], b[DUR_STRLEN];
	const char *sep = "";

	fputs(pol_action_name(d->action), out);
	if (d->action == POL_PROXY)
		fprintf(out, " via %s", addr_fmt(d->via, a));
	if (d->flags & POL_F_LOG)
		fputs(" log", out);
	if (d->flags & POL_F_INFECTED)
		fputs(" infected", out);
	if (d->limit_ms)
		fprintf(out, " limit %u/%s", d->limit_n, dur_fmt(d->limit_ms, b));
	fprintf(out, " rule=%d line=%d consulted=", d->rule, d->line);
	if (d->consulted == 0)
		fputc('-', out);
	if (d->consulted & POL_Q_REPLY) {
		fputs("reply", out);
		sep = ",";
	}
	if (d->consulted & POL_Q_SCAN) {
		fprintf(out, "%sscan", sep);
		sep = ",";
	}
	if (d->consulted & POL_Q_BOUND)
		fprintf(out, "%sbound", sep);
	fputc('\n', out);
}

/*
 * A packet whose farm side (the destination of an inbound packet, the
 * source of an outbound one) lies outside every farm prefix never reaches
 * the gateway's rules: say so rather than decide it.
 */
static bool
not_for_farm(const struct pol_program *prog, const struct pol_packet *pkt, FILE *out)
{
	uint32_t side = pkt->dir == POL_IN ? pkt->dst : pkt->src;
	const struct prefix *farm;
	char a[ADDR_STRLEN], p[PREFIX_STRLEN];
	size_t n;

	if (pol_in_farm(prog, side))
		return false;
	farm = pol_farm_prefixes(prog, &n);
	fprintf(out, "not-for-farm: %s %s is outside the farm", pkt->dir == POL_IN ?
	    "destination" : "source", addr_fmt(side, a));
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%s%s", i ? ", " : " ", prefix_fmt(&farm[i], p));
	fputc('\n', out);
	return true;
}

static int
cmd_eval(int argc, char **argv)
{
	struct pol_program *prog;
	char *line = NULL, err[256];
	size_t cap = 0;
	int lineno = 0, rc = 0;

	(void)argc;
	if (strcmp(argv[0], "-") == 0) {
		warnx("eval reads packets on stdin: the policy must be a file");
		return 2;
	}
	if ((prog = pol_load_tool(argv[0])) == NULL)
		return 1;
	while (getline(&line, &cap, stdin) != -1) {
		struct pol_state st = pktline_state_template;
		struct pol_decision d;
		struct pktline pl;
		int col = 0, r;

		lineno++;
		if ((r = pktline_parse(line, &pl, &col, err, sizeof(err))) == 0)
			continue;
		if (r < 0) {
			fprintf(stderr, "<stdin>:%d:%d: %s\n", lineno, col, err);
			puts("error");
			rc = 1;
			continue;
		}
		if (not_for_farm(prog, &pl.pkt, stdout))
			continue;
		st.ctx = &pl;
		pol_eval(prog, &pl.pkt, &st, &d);
		print_decision(&d, stdout);
	}
	if (ferror(stdin)) {
		warn("cannot read packets");
		rc = 1;
	}
	if (fflush(stdout) == EOF) {
		warn("cannot write decisions");
		rc = 1;
	}
	free(line);
	pol_free(prog);
	return rc;
}

/* argv[0] is "replay"; potemkin-replay parses the rest. */
static int
cmd_replay(int argc, char **argv)
{
	char self[PATH_MAX], path[PATH_MAX + 32];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	(void)argc;
	argv[0] = (char *)"potemkin-replay";
	if (n > 0) {
		self[n] = '\0';
		snprintf(path, sizeof(path), "%s/potemkin-replay", dirname(self));
		if (access(path, X_OK) == 0)
			execv(path, argv);
	}
	execvp("potemkin-replay", argv);
	warn("cannot run potemkin-replay");
	return 127;
}

static bool
is_help(const char *s)
{
	return strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0;
}

int
main(int argc, char **argv)
{
	const struct cmd *cmd = NULL;
	int nargs;

	prog_init(argc, argv);
	if (argc < 2) {
		usage(stderr, NULL);
		return 2;
	}
	if (is_help(argv[1])) {
		usage(stdout, NULL);
		return 0;
	}
	for (size_t i = 0; i < NCMDS; i++)
		if (strcmp(argv[1], cmds[i].name) == 0)
			cmd = &cmds[i];
	if (cmd == NULL) {
		if (argv[1][0] == '-')
			warnx("unknown option '%s'", argv[1]);
		else
			warnx("unknown command '%s'", argv[1]);
		usage(stderr, NULL);
		return 2;
	}
	argv += 2;
	argc -= 2;
	if (cmd->own_options)
		return cmd->run(argc + 1, argv - 1);
	for (int i = 0; i < argc; i++) {
		if (is_help(argv[i])) {
			usage(stdout, cmd);
			return 0;
		}
		if (strcmp(argv[i], "--") == 0) {
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof(*argv));
			argc--;
			break;
		}
		if (argv[i][0] == '-' && argv[i][1] != '\0') {
			warnx("%s: unknown option '%s'", cmd->name, argv[i]);
			usage(stderr, cmd);
			return 2;
		}
	}
	nargs = argc;
	if (nargs < cmd->min_args || (cmd->max_args >= 0 && nargs > cmd->max_args)) {
		warnx("%s: %s", cmd->name, nargs < cmd->min_args ? "FILE missing" :
		    "too many arguments");
		usage(stderr, cmd);
		return 2;
	}
	return cmd->run(argc, argv);
}
