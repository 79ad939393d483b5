/* SPDX-License-Identifier: ISC */
/*
 * The replay on one core: packets per second through the replay and the
 * gateway's engine, on the shared captures (../shared/traces), read into
 * memory once and replayed again and again in this process.
 *
 * Each capture is replayed as the tests and the man page replay it (its map
 * into the farm, --from-clone for the infected host) with the example
 * policy: one replay per capture, fed the capture REPEAT times end to end,
 * timed from its first packet to replay_end in the thread's CPU time
 * (setting a replay up, which allocates the engine's tables, is timed
 * apart).  Three figures a run:
 *
 *   as captured, one idle timeout: the captures as they are, repeated;
 *   as captured, two idle timeouts: every packet through two engines;
 *   new sources, one idle timeout: each repetition with its outside
 *     addresses changed (octets 2 and 3), as traffic from a longer capture
 *     would be, so that per-source state is made, and evicted, afresh.
 *
 *	replay-bench [-1v] [-o NAME] [-r RUNS] [-n REPEAT] [-t TRACES] [POLICY]
 *
 * -v prints each capture's own rate too; -o replays only the captures whose
 * file name holds NAME and -1 measures the first figure only (for profiling).
 */
#include "lib/monotime.h"
#include "lib/number.h"
#include "replay/replay.h"

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct frame {
	uint64_t ts;
	enum replay_l3 l3;
	uint32_t len, wire;
	const uint8_t *ip;
};

struct trace {
	const char *file;
	const char *map;	/* FROM/LEN=TO/LEN */
	const char *from_clone;	/* the infected host, or NULL */
	struct frame *f;
	size_t n;
	uint8_t *bytes;
};

static struct trace traces[] = {
	{ "probing_masscan_5k.pcapng", "200.0.0.0/8=198.51.100.0/24", NULL, NULL, 0, NULL },
	{ "probing_zmap_tcp_5k.pcapng", "0.0.0.0/0=198.51.100.0/24", NULL, NULL, 0, NULL },
	{ "stopddos_synflood_spoofed.pcap", "10.10.10.10/32=198.51.100.80/32", NULL, NULL,
	    0, NULL },
	{ "slips_test7-malicious.pcap", "192.168.2.16/32=198.51.100.16/32", "192.168.2.16",
	    NULL, 0, NULL },
	{ "sgr_tcp_synPingSweepRand.pcapng", "10.0.0.0/24=198.51.100.0/24", NULL, NULL, 0,
	    NULL },
	{ "sgr_icmpScan.pcapng", "10.0.0.0/24=198.51.100.0/24", NULL, NULL, 0, NULL },
};
#define NTRACES (sizeof(traces) / sizeof(traces[0]))

static void
load(struct trace *t, const char *dir)
{
	char path[4096];
	struct capture c;
	size_t cap = 0, bcap = 0, bused = 0;
	uint64_t ts;
	enum replay_l3 l3;
	const uint8_t *ip;
	size_t len, wire;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, t->file);
	if (capture_open(&c, path) < 0)
		exit(1);
	while ((rc = capture_next(&c, &ts, &l3, &ip, &len, &wire)) == 1) {
		if (grow_array(&t->f, &cap, t->n + 1, sizeof(*t->f)) < 0 ||
		    grow_array(&t->bytes, &bcap, bused + len + 1, 1) < 0)
			errx(1, "out of memory");
		memcpy(t->bytes + bused, ip, len);
		t->f[t->n++] = (struct frame){ ts, l3, (uint32_t)len, (uint32_t)wire,
		    (const uint8_t *)(uintptr_t)bused };
		bused += len;
	}
	if (rc < 0) {
		capture_warn(&c);
		exit(1);
	}
	for (size_t i = 0; i < t->n; i++)
		t->f[i].ip = t->bytes + (uintptr_t)t->f[i].ip;
	capture_close(&c);
}

static void
options(const struct trace *t, struct replay_opts *o, size_t nidle)
{
	const char *eq = strchr(t->map, '=');

	memset(o, 0, sizeof(*o));
	o->clone_ms = 50;
	if (prefix_parse(t->map, (size_t)(eq - t->map), &o->map[0].from) != ADDR_OK ||
	    prefix_parse(eq + 1, strlen(eq + 1), &o->map[0].to) != ADDR_OK)
		errx(1, "bad map %s", t->map);
	o->nmap = 1;
	o->idle_ms[0] = 500;
	o->idle_ms[1] = 300000;
	o->nidle = nidle;
	if (t->from_clone) {
		o->from_clone = true;
		if (addr_parse(t->from_clone, strlen(t->from_clone), &o->host) != ADDR_OK)
			errx(1, "bad address %s", t->from_clone);
	}
}

/*
 * Each repetition is new traffic: the outside addresses (sources, or the
 * infected host's peers) get octets 2 and 3 changed, so per-source state,
 * universes and flows are made afresh, as in a longer capture, rather than
 * found where the previous repetition left them.
 */
static uint32_t
salted(uint32_t a, uint32_t salt)
{
	return a ^ salt;
}

static void
feed(struct replay *r, const struct trace *t, uint32_t host, int k, bool fresh,
    uint8_t *buf)
{
	uint32_t salt = fresh ? ((uint32_t)k * 2654435761u) & 0x00ffff00u : 0;

	replay_capture_begins(r);
	for (size_t j = 0; j < t->n; j++) {
		const struct frame *f = &t->f[j];
		uint32_t src, dst;
		int at;

		/* Longer than buf: never in a sane capture; replayed as it is. */
		if (f->l3 != REPLAY_IPV4 || f->len < 20 || f->len > 65536 || salt == 0) {
			replay_frame(r, f->ts, f->l3, f->ip, f->len, f->wire);
			continue;
		}
		memcpy(buf, f->ip, f->len);
		src = (uint32_t)buf[12] << 24 | buf[13] << 16 | buf[14] << 8 | buf[15];
		dst = (uint32_t)buf[16] << 24 | buf[17] << 16 | buf[18] << 8 | buf[19];
		at = host && src == host ? 16 : 12;
		src = salted(at == 12 ? src : dst, salt);
		buf[at] = (uint8_t)(src >> 24);
		buf[at + 1] = (uint8_t)(src >> 16);
		buf[at + 2] = (uint8_t)(src >> 8);
		buf[at + 3] = (uint8_t)src;
		replay_frame(r, f->ts, f->l3, buf, f->len, f->wire);
	}
}


static bool verbose;
static const char *only;	/* -o: the captures whose name holds this */

/*
 * One run: every capture -o names, `repeat` times in one replay; seconds
 * replaying and, per capture, setting up, in the thread's CPU time.
 */
static uint64_t
run(const struct pol_program *prog, size_t nidle, bool fresh, int repeat,
    double *replay_s, double *setup_s)
{
	uint64_t packets = 0, replay_ns = 0, setup_ns = 0, ncaps = 0;
	static uint8_t buf[65536];
	char err[256];

	for (size_t i = 0; i < NTRACES; i++) {
		const struct trace *t = &traces[i];
		struct replay_opts o;
		struct replay *r;
		uint64_t t0, t1, t2;

		if (only && strstr(t->file, only) == NULL)
			continue;
		options(t, &o, nidle);
		t0 = thread_cpu_ns();
		if (replay_new(&r, prog, &o, err, sizeof(err)) < 0)
			errx(1, "%s: %s", t->file, err);
		t1 = thread_cpu_ns();
		for (int k = 0; k < repeat; k++)
			feed(r, t, o.from_clone ? o.host : 0, k, fresh, buf);
		if (replay_end(r) < 0)
			errx(1, "out of memory");
		t2 = thread_cpu_ns();
		replay_free(r);
		packets += t->n * (uint64_t)repeat;
		if (verbose)
			printf("  %-34s %8.2f M/s\n", t->file,
			    (double)(t->n * (uint64_t)repeat) / ((double)(t2 - t1) / 1e9) / 1e6);
		setup_ns += t1 - t0;
		replay_ns += t2 - t1;
		ncaps++;
	}
	if (ncaps == 0)
		errx(2, "-o %s: no capture's name holds it", only);
	*replay_s = (double)replay_ns / 1e9;
	*setup_s = (double)setup_ns / 1e9 / (double)ncaps;
	return packets;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	printf("%-34s median %6.2f M/s  min %6.2f  max %6.2f  spread %4.1f %%\n", what,
	    v[n / 2] / 1e6, v[0] / 1e6, v[n - 1] / 1e6,
	    v[n / 2] > 0 ? 100.0 * (v[n - 1] - v[0]) / v[n / 2] : 0.0);
}

/* A count of 1..max, or a usage error. */
static int
count(const char *s, long max)
{
	unsigned long long v;

	if (num_parse(s, 1, (unsigned long long)max, &v) == -1)
		errx(2, "%s: not a count of 1 to %ld", s, max);
	return (int)v;
}

int
main(int argc, char **argv)
{
	const char *dir = "../shared/traces", *policy = "etc/potemkin/farm.policy";
	struct pol_program *prog;
	int runs = 7, repeat = 20, c;
	size_t total = 0;
	double one[64], two[64], fresh[64], setup[64], secs, s;
	bool first_only = false;

	while ((c = getopt(argc, argv, "1o:r:n:t:v")) != -1) {
		switch (c) {
		case '1': first_only = true; break;
		case 'v': verbose = true; break;
		case 'o': only = optarg; break;
		case 'r': runs = count(optarg, 64); break;
		case 'n': repeat = count(optarg, 1000000); break;
		case 't': dir = optarg; break;
		default:
			fprintf(stderr, "usage: replay-bench [-1v] [-o NAME] [-r RUNS] "
			    "[-n REPEAT] [-t TRACES] [POLICY]\n");
			return 2;
		}
	}
	if (optind < argc)
		policy = argv[optind];
	if (pol_load_file(policy, stderr, &prog) != 0)
		errx(1, "%s does not load", policy);
	for (size_t i = 0; i < NTRACES; i++) {
		load(&traces[i], dir);
		total += traces[i].n;
	}
	printf("%zu frames in %zu captures, each replayed %d times a run, %d runs\n", total,
	    NTRACES, repeat, runs);
	run(prog, 1, false, 1, &secs, &s);	/* warm-up */
	for (int i = 0; i < runs; i++) {
		uint64_t n = run(prog, 1, false, repeat, &secs, &s);

		one[i] = (double)n / secs;
		setup[i] = s * 1e3;
		if (first_only)
			continue;
		n = run(prog, 2, false, repeat, &secs, &s);
		two[i] = (double)n / secs;
		n = run(prog, 1, true, repeat, &secs, &s);
		fresh[i] = (double)n / secs;
	}
	report("as captured, one idle timeout", one, runs);
	if (!first_only) {
		report("as captured, two idle timeouts", two, runs);
		report("new sources, one idle timeout", fresh, runs);
	}
	qsort(setup, (size_t)runs, sizeof(*setup), cmp_double);
	printf("%-34s median %6.2f ms (one engine and its tables)\n", "setting up a replay",
	    setup[runs / 2]);
	for (size_t i = 0; i < NTRACES; i++)
		free(traces[i].f), free(traces[i].bytes);
	pol_free(prog);
	return 0;
}
