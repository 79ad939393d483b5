/* SPDX-License-Identifier: ISC */
/*
 * potemkin-replay (also `potemkin-policy replay`): the command line.
 * Options, the policy, every capture opened (and its link type checked) and
 * the figure's place made before the first packet is replayed, so bad input
 * fails at once; then the captures, a progress bar when stderr is a terminal,
 * and the report.
 *
 * Exit 0, 1 on bad input (policy, capture, a map that does not fit, the
 * figure), 2 on a usage error.  A failed run writes no report and leaves no
 * file behind.
 */
#include "replay.h"
#include "lib/duration.h"
#include "lib/monotime.h"
#include "lib/number.h"
#include "policy-dsl/policy.h"

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/prog.h"

#define PROG "potemkin-replay"
#define STATE_MAX_LIMIT (1u << 24)

enum { O_MAP = 256, O_MAP_SRC, O_CLONE_MS, O_IDLE, O_NO_SCAN, O_FROM_CLONE,
	O_STATE_MAX, O_JSON, O_CSV, O_PLOT, O_ALLOW, O_HOST_CAP };

static const struct option longopts[] = {
	{ "map", required_argument, NULL, O_MAP },
	{ "map-src", no_argument, NULL, O_MAP_SRC },
	{ "allow-source", required_argument, NULL, O_ALLOW },
	{ "clone-ms", required_argument, NULL, O_CLONE_MS },
	{ "idle", required_argument, NULL, O_IDLE },
	{ "no-scan-filter", no_argument, NULL, O_NO_SCAN },
	{ "from-clone", required_argument, NULL, O_FROM_CLONE },
	{ "state-max", required_argument, NULL, O_STATE_MAX },
	{ "host-capacity", required_argument, NULL, O_HOST_CAP },
	{ "json", no_argument, NULL, O_JSON },
	{ "csv", no_argument, NULL, O_CSV },
	{ "plot", required_argument, NULL, O_PLOT },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct args {
	struct replay_opts o;
	bool json, csv, quiet;
	const char *plot;
	const char *policy;
	char **caps;
	size_t ncaps;
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: %s [--map FROM/LEN=TO/LEN]... [--map-src] [--allow-source PREFIX]...\n"
	    "           [--clone-ms MS] [--idle LIST] [--no-scan-filter] [--from-clone ADDR]\n"
	    "           [--state-max N] [--host-capacity N] [--json | --csv] [--plot FILE.png|.svg]\n"
	    "           [-q] FILE CAPTURE...\n",
	    PROG);
}

static void
help(void)
{
	usage(stdout);
	fputs("\n"
	    "  --map FROM/LEN=TO/LEN  move destinations in FROM into TO (a farm prefix),\n"
	    "                         keeping the low bits; may be repeated\n"
	    "  --map-src              move sources too\n"
	    "  --allow-source PREFIX  take these special-purpose sources (private, ...) as\n"
	    "                         outside peers, as gateway.conf's sources_allowed; may\n"
	    "                         be repeated\n"
	    "  --clone-ms MS          a clone is ready MS ms after the request (50)\n"
	    "  --idle LIST            idle timeouts to compare, e.g. 500ms,5s,5m\n"
	    "  --no-scan-filter       no scanner condition ever holds\n"
	    "  --from-clone ADDR      ADDR's packets are an infected clone's outbound traffic\n"
	    "  --state-max N          per-source tables of N entries (history, scan, universes)\n"
	    "  --host-capacity N      VMM hosts of N clones each the peak would have needed\n"
	    "  --json, --csv          the report as JSON, or the live-clone series as CSV\n"
	    "  --plot FILE.png|.svg   draw live clones over time with gnuplot, PNG or SVG\n"
	    "  -q, --quiet            no progress bar\n", stdout);
}

/* "WHAT 'ARG': WHY" (or less), the usage, and 2. */
static int
usage_error(const char *what, const char *arg, const char *why)
{
	if (arg && why)
		warnx("%s '%s': %s", what, arg, why);
	else if (arg)
		warnx("%s '%s'", what, arg);
	else
		warnx("%s", what);
	usage(stderr);
	return 2;
}

static int
parse_prefix(const char *s, size_t len, struct prefix *p, const char **why)
{
	enum addr_err e = prefix_parse(s, len, p);

	*why = addr_strerror(e);
	return e == ADDR_OK ? 0 : -1;
}

static int
opt_allow(struct args *a, const char *arg)
{
	const char *why;

	if (a->o.nallow == ENG_SOURCES_ALLOWED_MAX)
		return usage_error("--allow-source", arg, "too many prefixes (16 at most)");
	if (parse_prefix(arg, strlen(arg), &a->o.allow[a->o.nallow], &why) < 0)
		return usage_error("--allow-source", arg, why);
	a->o.nallow++;
	return 0;
}

static int
opt_map(struct args *a, const char *arg)
{
	const char *eq = strchr(arg, '='), *why;
	struct replay_map *m;

	if (a->o.nmap == REPLAY_MAPS_MAX)
		return usage_error("--map", arg, "too many maps (16 at most)");
	if (eq == NULL || strchr(arg, '/') == NULL)
		return usage_error("--map", arg, "expected FROM/LEN=TO/LEN");
	m = &a->o.map[a->o.nmap];
	if (parse_prefix(arg, (size_t)(eq - arg), &m->from, &why) < 0 ||
	    parse_prefix(eq + 1, strlen(eq + 1), &m->to, &why) < 0)
		return usage_error("--map", arg, why);
	a->o.nmap++;
	return 0;
}

static int
opt_idle(struct args *a, const char *arg)
{
	const char *s = arg;

	a->o.nidle = 0;
	for (;;) {
		size_t len = strcspn(s, ",");
		uint64_t ms;
		enum dur_err e;

		if (a->o.nidle == REPLAY_RUNS_MAX)
			return usage_error("--idle", arg, "8 timeouts at most");
		if ((e = dur_parse(s, len, &ms)) != DUR_OK)
			return usage_error("--idle", arg, dur_strerror(e));
		if (ms == 0)
			return usage_error("--idle", arg, "a timeout of zero");
		a->o.idle_ms[a->o.nidle++] = ms;
		if (s[len] == '\0')
			return 0;
		s += len + 1;
	}
}

static int
opt_number(const char *opt, const char *arg, unsigned long min, unsigned long max,
    unsigned long *out)
{
	unsigned long long v;

	if (num_parse(arg, min, max, &v) == -1) {
		warnx("%s '%s': expected a number from %lu to %lu", opt, arg,
		    min, max);
		usage(stderr);
		return 2;
	}
	*out = v;
	return 0;
}

static int
parse_args(struct args *a, int argc, char **argv)
{
	unsigned long v;
	int c, rc = 0;

	memset(a, 0, sizeof(*a));
	a->o.clone_ms = 50;
	optind = 1;
	opterr = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, ":hq", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			help();
			return -1;
		case 'q': a->quiet = true; break;
		case O_MAP: rc = opt_map(a, optarg); break;
		case O_MAP_SRC: a->o.map_src = true; break;
		case O_ALLOW: rc = opt_allow(a, optarg); break;
		case O_IDLE: rc = opt_idle(a, optarg); break;
		case O_NO_SCAN: a->o.no_scan_filter = true; break;
		case O_JSON: a->json = true; break;
		case O_CSV: a->csv = true; break;
		case O_PLOT:
			a->plot = optarg;
			if (replay_plot_format(optarg) < 0)
				return usage_error("--plot", optarg, "FILE.png or FILE.svg expected");
			break;
		case O_CLONE_MS:
			if ((rc = opt_number("--clone-ms", optarg, 0, DUR_MAX_MS, &v)) == 0)
				a->o.clone_ms = (uint32_t)v;
			break;
		case O_STATE_MAX:
			if ((rc = opt_number("--state-max", optarg, 1, STATE_MAX_LIMIT, &v)) == 0)
				a->o.state_max = v;
			break;
		case O_HOST_CAP:
			if ((rc = opt_number("--host-capacity", optarg, 1, 1000000, &v)) == 0)
				a->o.host_capacity = (uint32_t)v;
			break;
		case O_FROM_CLONE:
			if (addr_parse(optarg, strlen(optarg), &a->o.host) != ADDR_OK)
				rc = usage_error("--from-clone", optarg,
				    "not an IPv4 address");
			a->o.from_clone = true;
			break;
		case ':':
			rc = usage_error("missing argument to", argv[optind - 1], NULL);
			break;
		default:
			if (optopt) {
				char o[3] = { '-', (char)optopt, '\0' };

				rc = usage_error("unknown option", o, NULL);
			} else {
				rc = usage_error("unknown option", argv[optind - 1], NULL);
			}
			break;
		}
	}
	if (rc)
		return rc;
	if (a->json && a->csv)
		return usage_error("--json and --csv both want stdout", NULL, NULL);
	if (optind >= argc)
		return usage_error("FILE missing", NULL, NULL);
	if (optind + 1 >= argc)
		return usage_error("CAPTURE missing", NULL, NULL);
	a->policy = argv[optind];
	for (int i = optind + 1, nstdin = 0; i < argc; i++) {
		if (strcmp(argv[i], "-") != 0)
			continue;
		if (strcmp(a->policy, "-") == 0)
			return usage_error("the policy and a capture cannot both be stdin", NULL, NULL);
		if (++nstdin > 1)
			return usage_error("stdin given as a capture twice", NULL, NULL);
	}
	a->caps = argv + optind + 1;
	a->ncaps = (size_t)(argc - optind - 1);
	return 0;
}

/* ---- the progress bar ------------------------------------------------------- */

struct progress {
	bool on;
	uint64_t total, before;	/* bytes: all captures, those already read */
	uint64_t next_ns;
	bool drawn;
};

static void
progress_draw(struct progress *p, const struct capture *c, uint64_t frames)
{
	uint64_t done = p->before + capture_offset(c), now = mono_ns();
	int pct = p->total ? (int)(done * 100 / p->total) : 0, fill;

	if (now < p->next_ns)
		return;
	p->next_ns = now + 100000000;	/* ten times a second at most */
	if (pct > 100)
		pct = 100;
	fill = pct * 30 / 100;
	fprintf(stderr, "\rreplay [%.*s%.*s] %3d%%  %llu frames  %s\033[K",
	    fill, "##############################", 30 - fill,
	    "..............................", pct, (unsigned long long)frames, c->path);
	p->drawn = true;
}

static void
progress_clear(struct progress *p)
{
	if (p->drawn)
		fputs("\r\033[K", stderr);
	p->drawn = false;
}

/* ---- the run --------------------------------------------------------------- */

static int
replay_all(struct replay *r, struct capture *caps, size_t n, struct progress *pg)
{
	uint64_t ts, frames = 0;
	enum replay_l3 l3;
	const uint8_t *ip;
	size_t len, wire;
	int rc;

	for (size_t i = 0; i < n; i++) {
		replay_capture_begins(r);
		while ((rc = capture_next(&caps[i], &ts, &l3, &ip, &len, &wire)) == 1) {
			replay_frame(r, ts, l3, ip, len, wire);
			if (pg->on && (++frames & 1023) == 0)
				progress_draw(pg, &caps[i], frames);
		}
		if (rc < 0) {
			progress_clear(pg);
			capture_warn(&caps[i]);
			if (!capture_truncated(&caps[i]))
				return -1;	/* a damaged file, a failing disk */
			/*
			 * A capture cut short (a copy interrupted, a disk full)
			 * still tells what it holds up to there: say so, go on.
			 */
			warnx("%s: the capture is cut short: only its first %llu frames are "
			    "replayed", caps[i].path, (unsigned long long)caps[i].frames);
			caps[i].cut_short = true;
		}
		pg->before += caps[i].size;
	}
	progress_clear(pg);
	if (replay_end(r) < 0) {
		warnx("out of memory");
		return -1;
	}
	return 0;
}

static int
report(const struct args *a, struct replay *r, const struct capture *caps,
    struct replay_plot *pl)
{
	struct replay_capture_info *info = calloc(a->ncaps, sizeof(*info));
	struct replay_report rep = { a->policy, info, a->ncaps, r };
	int rc = 0;

	if (info == NULL) {
		warnx("out of memory");
		return -1;
	}
	for (size_t i = 0; i < a->ncaps; i++)
		info[i] = (struct replay_capture_info){ caps[i].path, caps[i].link,
		    caps[i].frames, caps[i].first_us, caps[i].last_us, caps[i].cut_short };
	if (pl && replay_plot_draw(pl, &rep) < 0) {
		free(info);
		return -1;	/* the plot said why */
	}
	if (a->json)
		rc = replay_report_json(&rep, stdout);
	else if (a->csv)
		rc = replay_report_csv(r, stdout);
	else
		rc = replay_report_text(&rep, stdout);
	/* A write error seen part way (ferror) or only now, at the flush. */
	if (fflush(stdout) == EOF || rc < 0) {
		warn("cannot write the report");
		rc = -1;
	}
	free(info);
	return rc;
}

int
main(int argc, char **argv)
{
	struct args a;
	struct pol_program *prog = NULL;
	struct capture *caps = NULL;
	struct replay_plot *pl = NULL;
	struct replay *r = NULL;
	struct progress pg = { 0 };
	size_t opened = 0;
	char err[256];
	int rc;

	prog_init(argc, argv);
	if ((rc = parse_args(&a, argc, argv)) != 0)
		return rc < 0 ? 0 : rc;
	rc = 1;
	if ((prog = pol_load_tool(a.policy)) == NULL)
		goto done;
	if ((caps = calloc(a.ncaps, sizeof(*caps))) == NULL) {
		warnx("out of memory");
		goto done;
	}
	for (; opened < a.ncaps; opened++) {
		if (capture_open(&caps[opened], a.caps[opened]) < 0)
			goto done;
		pg.total += caps[opened].size;
	}
	if (replay_new(&r, prog, &a.o, err, sizeof(err)) < 0) {
		warnx("%s", err);
		goto done;
	}
	if (a.plot && replay_plot_open(&pl, a.plot) < 0)
		goto done;
	pg.on = !a.quiet && isatty(STDERR_FILENO);
	if (replay_all(r, caps, a.ncaps, &pg) < 0 || report(&a, r, caps, pl) < 0)
		goto done;
	rc = 0;
done:
	replay_plot_close(pl);
	replay_free(r);
	for (size_t i = 0; i < opened; i++)
		capture_close(&caps[i]);
	free(caps);
	pol_free(prog);
	return rc;
}
