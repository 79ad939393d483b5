/*
 * potemkin-policy: the policy language offline -- check a file, print it
 * normalized, decide packets described on stdin, replay captures through
 * the gateway's engine (replay-cmd.c).
 *
 * Subcommands live in one table with their usage strings; adding one is a
 * row and a function.
 */
#include "pktline.h"
#include "pol_int.h"
#include "duration.h"
#include "tool.h"

#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

/* The whole file, at most one byte past the library's limit. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *buf;

	if (f == NULL) {
		warn("cannot open %s", path);
		return NULL;
	}
	if ((buf = malloc(POL_MAX_FILE + 1)) == NULL) {
		warn("cannot read %s", path);
		goto fail;
	}
	*len = fread(buf, 1, POL_MAX_FILE + 1, f);
	if (ferror(f)) {
		warn("cannot read %s", path);
		free(buf);
		buf = NULL;
	}
fail:
	if (f != stdin)
		fclose(f);
	return buf;
}

/* Load path; the library prints every message, we add the count. */
struct pol_program *
tool_load(const char *path)
{
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	struct pol_program *prog = NULL;
	size_t len = 0;
	char *buf;
	int nerr;

	if ((buf = slurp(path, &len)) == NULL)
		return NULL;
	nerr = pol_load_buf(name, buf, len, stderr, &prog);
	free(buf);
	if (nerr > 0) {
		warnx("%s: %d error%s", name, nerr, nerr == 1 ? "" : "s");
		return NULL;
	}
	return prog;
}

static int
cmd_check(int argc, char **argv)
{
	int rc = 0;

	for (int i = 0; i < argc; i++) {
		struct pol_program *prog = tool_load(argv[i]);

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
	struct pol_program *prog = tool_load(argv[0]);
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
	if ((prog = tool_load(argv[0])) == NULL)
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
