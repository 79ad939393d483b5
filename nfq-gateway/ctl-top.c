/* SPDX-License-Identifier: ISC */
/*
 * potemkin-ctl top: the farm at a glance, refreshed in place.  Each frame
 * asks the gateway for its stats, clones and universes; rates are the
 * differences from the frame before, over the time between them (the
 * monotonic clock's, not the wall's).  The terminal is put in
 * noncanonical mode without echo to read q at once, and is always given
 * back: on q, on Ctrl-C, on SIGTERM or SIGHUP, and on an error's exit.
 */
#include "ctl.h"

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "lib/monotime.h"

#define TOP_CLONES_MAX 4096

struct clone_row {
	unsigned long long serial, vm, universe, pin, pout;
	char addr[16], type[24], state[12];
	bool infected;
	double rate;		/* packets/s both ways, -1 before a second frame */
};

struct univ_row {
	unsigned long long id, vms;
	char mode[12], src[16];
	double rate;
};

struct sample {
	uint64_t ms;
	unsigned long long in, out, delivered, flow_misses, started, infected;
	unsigned long long vms, pending, universes, flows;
	struct clone_row *c;
	size_t nc;
	struct univ_row *u;
	size_t nu;
};

static volatile sig_atomic_t top_stop;
static struct termios saved_tty;
static bool tty_saved, screen_used;

static void
on_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

/* Give the terminal back as it was: at every exit, errors' included. */
static void
restore_terminal(void)
{
	if (screen_used)
		fputs("\033[?25h\n", stdout);
	fflush(stdout);
	if (tty_saved)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
	tty_saved = false;
	screen_used = false;
}

static void
setup_terminal(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct termios t;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	atexit(restore_terminal);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved_tty) == 0) {
		t = saved_tty;
		t.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
		t.c_cc[VMIN] = 0;
		t.c_cc[VTIME] = 0;
		if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
			tty_saved = true;
	}
	screen_used = true;
	fputs("\033[?25l", stdout);	/* no cursor blinking over the table */
}

static void
take_clones(struct sample *s, const char *reply)
{
	struct jspan arr, o;

	if (!jarray(jspan_of(reply), "vms", &arr))
		errx(1, "vms: an answer without its list");
	while (s->nc < TOP_CLONES_MAX && jarray_next(&arr, &o)) {
		struct clone_row *c = &s->c[s->nc++];

		memset(c, 0, sizeof(*c));
		jget_num(o, "binding", &c->serial);
		if (!jget_num(o, "vm", &c->vm))
			c->vm = ~0ull;	/* -1: still being made */
		jget_num(o, "universe", &c->universe);
		jget_num(o, "packets_in", &c->pin);
		jget_num(o, "packets_out", &c->pout);
		jget_str(o, "addr", c->addr, sizeof(c->addr));
		jget_str(o, "type", c->type, sizeof(c->type));
		jget_str(o, "state", c->state, sizeof(c->state));
		c->infected = jget_bool(o, "infected");
		c->rate = -1;
	}
}

static void
take_universes(struct sample *s, const char *reply)
{
	struct jspan arr, o;

	if (!jarray(jspan_of(reply), "universes", &arr))
		errx(1, "universes: an answer without its list");
	while (s->nu < TOP_CLONES_MAX && jarray_next(&arr, &o)) {
		struct univ_row *u = &s->u[s->nu++];

		memset(u, 0, sizeof(*u));
		jget_num(o, "universe", &u->id);
		jget_num(o, "vms", &u->vms);
		jget_str(o, "mode", u->mode, sizeof(u->mode));
		jget_str(o, "src", u->src, sizeof(u->src));
		u->rate = -1;
	}
}

static void
take_sample(const char *path, struct sample *s)
{
	char *reply;
	struct jspan o;

	s->nc = s->nu = 0;
	reply = ctl_ask(path, "stats");
	o = jspan_of(reply);
	s->ms = mono_ms();
	jget_num(o, "in_packets", &s->in);
	jget_num(o, "out_packets", &s->out);
	jget_num(o, "delivered", &s->delivered);
	jget_num(o, "flow_misses", &s->flow_misses);
	jget_num(o, "clones_started", &s->started);
	jget_num(o, "infected", &s->infected);
	jget_num(o, "vms", &s->vms);
	jget_num(o, "pending", &s->pending);
	jget_num(o, "universes", &s->universes);
	jget_num(o, "flows", &s->flows);
	free(reply);
	reply = ctl_ask(path, "vms");
	take_clones(s, reply);
	free(reply);
	reply = ctl_ask(path, "universes");
	take_universes(s, reply);
	free(reply);
}

/* Rates of s against the sample before it, when there is one. */
static void
rates(struct sample *s, const struct sample *prev)
{
	for (size_t i = 0; prev && i < s->nc; i++)
		for (size_t j = 0; j < prev->nc; j++)
			if (prev->c[j].serial == s->c[i].serial) {
				double dt = (double)(s->ms - prev->ms) / 1000.0;

				s->c[i].rate = dt > 0 ? (double)(s->c[i].pin + s->c[i].pout -
				    prev->c[j].pin - prev->c[j].pout) / dt : 0;
				break;
			}
	for (size_t i = 0; prev && i < s->nu; i++) {
		s->u[i].rate = 0;
		for (size_t j = 0; j < s->nc; j++)
			if (s->c[j].universe == s->u[i].id && s->c[j].rate > 0)
				s->u[i].rate += s->c[j].rate;
	}
}

static int
by_clone_rate(const void *a, const void *b)
{
	const struct clone_row *x = a, *y = b;

	return x->rate < y->rate ? 1 : x->rate > y->rate ? -1 :
	    (x->serial > y->serial) - (x->serial < y->serial);
}

static int
by_univ_rate(const void *a, const void *b)
{
	const struct univ_row *x = a, *y = b;

	return x->rate < y->rate ? 1 : x->rate > y->rate ? -1 :
	    (x->id > y->id) - (x->id < y->id);
}

/* A rate as text, "-" while there is nothing to compare with. */
static const char *
fmt_rate(double r, char *buf, size_t cap, bool known)
{
	if (!known || r < 0)
		snprintf(buf, cap, "-");
	else
		snprintf(buf, cap, "%.1f", r);
	return buf;
}

static void
draw(FILE *f, const struct sample *s, const struct sample *prev, double interval,
    int rows, bool screen)
{
	const char *eol = screen ? "\033[K\n" : "\n";
	double dt = prev ? (double)(s->ms - prev->ms) / 1000.0 : 0;
	bool known = prev && dt > 0;
	char b1[24], b2[24], b3[24], b4[24], b5[24], now[16];
	time_t t = time(NULL);
	int room;

	strftime(now, sizeof(now), "%H:%M:%S", localtime(&t));
	if (screen)
		fputs("\033[H", f);
	fprintf(f, "potemkin-ctl top   every %.1fs%s%*s%s", interval,
	    screen ? ", q quits" : "", screen ? 33 : 43, now, eol);
	fprintf(f, "clones %llu ready, %llu being made   universes %llu   flows %llu   "
	    "infected %llu%s", s->vms, s->pending, s->universes, s->flows, s->infected, eol);
	fprintf(f, "packets/s in %s  out %s  delivered %s   new flows/s %s   clones/s %s%s",
	    fmt_rate(known ? (double)(s->in - prev->in) / dt : 0, b1, sizeof(b1), known),
	    fmt_rate(known ? (double)(s->out - prev->out) / dt : 0, b2, sizeof(b2), known),
	    fmt_rate(known ? (double)(s->delivered - prev->delivered) / dt : 0, b3,
		sizeof(b3), known),
	    fmt_rate(known ? (double)(s->flow_misses - prev->flow_misses) / dt : 0, b4,
		sizeof(b4), known),
	    fmt_rate(known ? (double)(s->started - prev->started) / dt : 0, b5, sizeof(b5),
		known), eol);
	/* The rest of the screen, shared by the two tables. */
	room = rows - 8;
	fprintf(f, "%s%-6s %-15s %-14s %8s %9s %-8s%s", eol, "VM", "ADDRESS", "TYPE",
	    "UNIVERSE", "PKTS/s", "STATE", eol);
	for (size_t i = 0; i < s->nc && (int)i < (room + 1) / 2; i++) {
		const struct clone_row *c = &s->c[i];

		if (c->vm == ~0ull)
			snprintf(b2, sizeof(b2), "-");
		else
			snprintf(b2, sizeof(b2), "%llu", c->vm);
		fprintf(f, "%-6s %-15s %-14s %8llu %9s %-8s%s%s", b2, c->addr, c->type,
		    c->universe, fmt_rate(c->rate, b1, sizeof(b1), known), c->state,
		    c->infected ? " infected" : "", eol);
	}
	fprintf(f, "%s%8s %-10s %-15s %6s %9s%s", eol, "UNIVERSE", "MODE", "SOURCE", "CLONES",
	    "PKTS/s", eol);
	for (size_t i = 0; i < s->nu && (int)i < room / 2; i++) {
		const struct univ_row *u = &s->u[i];

		fprintf(f, "%8llu %-10s %-15s %6llu %9s%s", u->id, u->mode, u->src, u->vms,
		    fmt_rate(u->rate, b1, sizeof(b1), known), eol);
	}
	if (screen)
		fputs("\033[J", f);
	fflush(f);
}

static int
term_rows(void)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row >= 10)
		return ws.ws_row;
	return 24;
}

/* Wait up to ms for q; true when the view is to end. */
static bool
wait_key(int ms)
{
	uint64_t until = mono_ms() + (uint64_t)ms;
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };

	while (!top_stop) {
		uint64_t now = mono_ms();
		char c;
		int n;

		if (now >= until)
			return false;
		n = poll(&p, tty_saved ? 1 : 0, (int)(until - now));
		if (n < 0 && errno != EINTR)
			err(1, "poll");
		if (n > 0) {
			if (read(STDIN_FILENO, &c, 1) == 1 && (c == 'q' || c == 'Q'))
				return true;
			if (!(p.revents & POLLIN))
				p.fd = -1;	/* hung up: wait out the interval */
		}
	}
	return true;
}

static struct sample *
sample_new(void)
{
	struct sample *s = calloc(1, sizeof(*s));

	if (s == NULL || (s->c = calloc(TOP_CLONES_MAX, sizeof(*s->c))) == NULL ||
	    (s->u = calloc(TOP_CLONES_MAX, sizeof(*s->u))) == NULL)
		err(1, "calloc");
	return s;
}

static void
sample_free(struct sample *s)
{
	free(s->c);
	free(s->u);
	free(s);
}

static void
sample_sort(struct sample *s)
{
	qsort(s->c, s->nc, sizeof(*s->c), by_clone_rate);
	qsort(s->u, s->nu, sizeof(*s->u), by_univ_rate);
}

int
top_main(const char *path, double interval, bool once)
{
	struct sample *cur = sample_new(), *prev = sample_new(), *tmp;
	int ms = (int)(interval * 1000);
	bool have_prev = false;

	if (once || !isatty(STDOUT_FILENO)) {
		/* One frame, with rates: two samples one interval apart. */
		take_sample(path, prev);
		usleep((useconds_t)ms * 1000);
		take_sample(path, cur);
		rates(cur, prev);
		sample_sort(cur);
		draw(stdout, cur, prev, interval, 40, false);
		sample_free(cur);
		sample_free(prev);
		return 0;
	}
	setup_terminal();
	fputs("\033[H\033[2J", stdout);
	while (!top_stop) {
		take_sample(path, cur);
		rates(cur, have_prev ? prev : NULL);
		sample_sort(cur);
		draw(stdout, cur, have_prev ? prev : NULL, interval, term_rows(), true);
		tmp = prev;
		prev = cur;
		cur = tmp;
		have_prev = true;
		if (wait_key(ms))
			break;
	}
	restore_terminal();
	sample_free(cur);
	sample_free(prev);
	return 0;
}
