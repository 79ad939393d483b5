/* SPDX-License-Identifier: ISC */
/*
 * The figure: live clones over time, one line per idle timeout, as in the
 * Potemkin paper's figure of the VMs a /16 needs.  gnuplot (Debian's
 * gnuplot-nox) draws it; this file writes the script, with the series inline
 * as a datablock, to gnuplot's standard input.
 *
 * gnuplot draws into a temporary file beside the figure, created before the
 * replay starts (so an unwritable place fails at once), and the figure
 * takes its name only when gnuplot succeeded: a failed run leaves nothing.
 */
#include "replay.h"
#include "lib/duration.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

struct replay_plot {
	enum replay_plot_format format;
	char *path;
	char *tmp;		/* PATH.XXXXXX, the name gnuplot draws into */
	bool tmp_made;		/* and the file exists (ours to remove) */
};

/*
 * Make the temporary file the figure is drawn into, beside PATH so that
 * rename puts it in place.  mkstemp makes it 0600; a figure is as readable
 * as any new file.
 */
static int
plot_tmp_make(struct replay_plot *pl)
{
	size_t n = strlen(pl->tmp);
	mode_t mask;
	int fd;

	memcpy(pl->tmp + n - 6, "XXXXXX", 6);
	if ((fd = mkstemp(pl->tmp)) < 0) {
		warn("cannot write %s", pl->path);
		return -1;
	}
	pl->tmp_made = true;
	mask = umask(0);
	umask(mask);
	(void)fchmod(fd, 0666 & ~mask);
	close(fd);
	return 0;
}

/* Is gnuplot on the PATH?  Checked before a long replay, not after it. */
static bool
have_gnuplot(void)
{
	const char *path = getenv("PATH"), *p, *end;
	char buf[4096];

	for (p = path ? path : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		int n;

		end = strchrnul(p, ':');
		n = snprintf(buf, sizeof(buf), "%.*s/gnuplot", (int)(end - p), p);
		if (n > 0 && (size_t)n < sizeof(buf) && end > p && access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

int
replay_plot_format(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot == NULL || strchr(dot, '/') != NULL || dot == path || dot[-1] == '/')
		return -1;
	if (strcasecmp(dot, ".png") == 0)
		return PLOT_PNG;
	if (strcasecmp(dot, ".svg") == 0)
		return PLOT_SVG;
	return -1;
}

int
replay_plot_open(struct replay_plot **out, const char *path)
{
	struct replay_plot *pl;
	int format = replay_plot_format(path);

	*out = NULL;
	if (format < 0) {
		warnx("%s: a figure is FILE.png or FILE.svg", path);
		return -1;
	}
	if (!have_gnuplot()) {
		warnx("cannot run gnuplot: not found in PATH (Debian: gnuplot-nox)");
		return -1;
	}
	pl = calloc(1, sizeof(*pl));
	if (pl != NULL)
		pl->format = (enum replay_plot_format)format;
	if (pl == NULL || (pl->path = strdup(path)) == NULL ||
	    asprintf(&pl->tmp, "%s.XXXXXX", path) < 0) {
		warn("cannot write %s", path);
		if (pl)
			free(pl->path);
		free(pl);
		return -1;
	}
	/*
	 * That the figure can be written is found out now, not after a long
	 * replay; the file itself is made again only to draw, so that a
	 * replay killed on the way leaves nothing behind.
	 */
	if (plot_tmp_make(pl) < 0) {
		replay_plot_close(pl);
		return -1;
	}
	unlink(pl->tmp);
	pl->tmp_made = false;
	*out = pl;
	return 0;
}

void
replay_plot_close(struct replay_plot *pl)
{
	if (pl == NULL)
		return;
	if (pl->tmp_made)
		unlink(pl->tmp);
	free(pl->tmp);
	free(pl->path);
	free(pl);
}

/* A gnuplot double-quoted string. */
static void
gp_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20 || *p == 0x7f)
			fputc('?', f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static const char *
base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s && s[1] ? s + 1 : path;
}

static void
gp_titles(FILE *f, const struct replay_report *rep)
{
	const struct replay *r = rep->r;
	char *t = NULL, a[PREFIX_STRLEN];
	size_t n = 0;
	FILE *m = open_memstream(&t, &n);

	if (m == NULL)
		return;
	fputs("Live clones over time: ", m);
	for (size_t i = 0; i < rep->ncaps && i < 3; i++)
		fprintf(m, "%s%s", i ? ", " : "", base(rep->caps[i].path));
	if (rep->ncaps > 3)
		fprintf(m, " and %zu more", rep->ncaps - 3);
	fprintf(m, "\npolicy %s, clones ready after %u ms, scan filter %s",
	    base(rep->policy), r->o.clone_ms, r->o.no_scan_filter ? "off" : "on");
	for (size_t i = 0; i < r->o.nmap && i < 2; i++)
		fprintf(m, ", %s into %s", i ? "and" : "mapped",
		    prefix_fmt(&r->o.map[i].to, a));
	if (r->o.from_clone)
		fprintf(m, ", from clone %s", addr_fmt(r->o.host, a));
	if (fclose(m) == 0) {
		fputs("set title ", f);
		gp_string(f, t);
		fputc('\n', f);
	}
	free(t);
}

/* The whole script: settings, the series as a datablock, the plot. */
static void
gp_script(FILE *f, const struct replay_plot *pl, const struct replay_report *rep)
{
	const struct replay *r = rep->r;
	const struct replay_series *s0 = &r->run[0].live;
	double dur = (double)r->now_us / 1e6, unit = 1;
	const char *uname = "s";
	uint32_t top = 0;

	if (dur >= 36000) {
		unit = 3600;
		uname = "h";
	} else if (dur >= 600) {
		unit = 60;
		uname = "min";
	}
	for (size_t i = 0; i < r->nrun; i++)
		if (r->run[i].live.peak > top)
			top = r->run[i].live.peak;
	if (pl->format == PLOT_SVG)
		fputs("set terminal svg noenhanced size 1200,720 font \"sans,12\" background \"white\"\n", f);
	else
		fputs("set terminal pngcairo noenhanced size 1200,720 font \"sans,12\"\n", f);
	fputs("set output ", f);
	gp_string(f, pl->tmp);
	fputc('\n', f);
	gp_titles(f, rep);
	fprintf(f, "set xlabel \"time into the capture (%s)\"\n", uname);
	fputs("set ylabel \"live clones (peak in each interval)\"\n", f);
	fputs("set grid\nset key top left box opaque\nset border 3\nset tics nomirror\n", f);
	fprintf(f, "set xrange [0:%g]\n", dur > 0 ? dur / unit : 1);
	fprintf(f, "set yrange [0:%u]\n", top + top / 8 + 1);
	if (top < 10)
		fputs("set ytics 1\n", f);	/* clones come whole */
	else
		fputs("set format y \"%.0f\"\n", f);
	fputs("$live << EOD\n", f);
	for (size_t k = 0; k <= s0->nbins; k++) {
		size_t b = k < s0->nbins ? k : s0->nbins - 1;
		double t = k < s0->nbins ? (double)(k * s0->bin_ms) / 1000.0 : dur;

		fprintf(f, "%.6g", t / unit);
		for (size_t i = 0; i < r->nrun; i++)
			fprintf(f, " %u", r->run[i].live.bins[b]);
		fputc('\n', f);
	}
	fputs("EOD\nplot", f);
	for (size_t i = 0; i < r->nrun; i++) {
		const struct replay_run *run = &r->run[i];
		char b[DUR_STRLEN], title[128];

		snprintf(title, sizeof(title), "idle %s: %llu clones, peak %u, mean %.1f",
		    replay_idle_name(run, b), (unsigned long long)run->clones, run->live.peak,
		    series_mean(&run->live));
		/* Dashes tell apart the lines that coincide (the same clones). */
		fprintf(f, "%s $live using 1:%zu with steps linewidth %d dashtype %zu title ",
		    i ? "," : "", i + 2, i ? 2 : 3, i + 1);
		gp_string(f, title);
	}
	fputc('\n', f);
}

/* Run gnuplot with the script on its standard input; 0 when it succeeded. */
static int
run_gnuplot(const char *script, size_t len)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)"gnuplot", NULL };
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;
	int p[2], rc, status = 0;
	pid_t pid;
	size_t off = 0;

	if (pipe2(p, O_CLOEXEC) < 0) {
		warn("cannot run gnuplot");
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[0], 0);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);	/* stdout may hold the report */
	rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[0]);
	if (rc != 0) {
		close(p[1]);
		warnx("cannot run gnuplot: %s", strerror(rc));
		return -1;
	}
	/* gnuplot may die before it has read everything: no SIGPIPE for us. */
	sigaction(SIGPIPE, &ign, &old);
	while (off < len) {
		ssize_t n = write(p[1], script + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(p[1]);
	sigaction(SIGPIPE, &old, NULL);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			warn("cannot wait for gnuplot");
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && off == len)
		return 0;
	if (WIFSIGNALED(status))
		warnx("gnuplot failed: killed by signal %d", WTERMSIG(status));
	else
		warnx("gnuplot failed (exit %d)", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return -1;
}

int
replay_plot_draw(struct replay_plot *pl, const struct replay_report *rep)
{
	char *script = NULL;
	size_t len = 0;
	FILE *m;
	struct stat sb;
	int rc = -1;

	if (plot_tmp_make(pl) < 0)	/* its name goes into the script */
		return -1;
	if ((m = open_memstream(&script, &len)) == NULL) {
		warn("cannot draw %s", pl->path);
		return -1;
	}
	gp_script(m, pl, rep);
	if (fclose(m) != 0) {
		warn("cannot draw %s", pl->path);
		goto done;
	}
	if (run_gnuplot(script, len) < 0)
		goto done;
	if (stat(pl->tmp, &sb) < 0 || sb.st_size == 0) {
		warnx("gnuplot drew nothing into %s", pl->path);
		goto done;
	}
	if (rename(pl->tmp, pl->path) < 0) {
		warn("cannot write %s", pl->path);
		goto done;
	}
	pl->tmp_made = false;
	rc = 0;
done:
	free(script);
	return rc;
}
