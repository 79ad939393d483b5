/* SPDX-License-Identifier: ISC */
/*
 * clone-latency: how fast the clone tools make and unmake clones, and what
 * an idle clone costs.
 *
 *	clone-latency [-n N] [-p PORT] [-i BASE] [-k | -s] -c vmm.conf -t TYPE
 *
 * For each of N clones: the time from starting potemkin-clone to its record
 * on stdout ("record"), and to the clone's service completing a TCP
 * handshake from the host side through pk<ID> ("SYN"): a connect() bound to
 * the interface, retried until it succeeds.  With all N alive: private
 * memory per clone (Private_Clean + Private_Dirty of smaps_rollup, summed
 * over the clone's process tree).  Then the time of potemkin-teardown per
 * clone, unless -k keeps them (for counting live clones).  With -s each
 * clone is measured and torn down before the next starts: latency without
 * the load of the clones made before (no memory figure then).  -i BASE gives
 * clone k the address BASE+k (netns clones carry their own address).
 *
 * Before its first connect the host gets a permanent ARP entry for the
 * clone (the gateway needs none: it sends by AF_PACKET), so that a thousand
 * clones do not overflow the neighbour table, whose limits are global.
 *
 * Prints one line per measure: median, p90, p99, min, max.
 */
#include <arpa/inet.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "lib/addr.h"
#include "lib/monotime.h"
#include "clone-tools/nl.h"

#define MAX_CLONES 4096

struct clone {
	char mac[18];
	char id[16];
	char ifname[16];
	char guest_ip[16];
	long pid;
	double record_ms, syn_ms, teardown_ms;
	double private_kb;
};

static const char *conf, *type;

static const char *
field(const char *line, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = line; p && *p; p = strchr(p, ' ')) {
		if (*p == ' ')
			p++;
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " \n");

			if (n >= size)
				n = size - 1;
			memcpy(out, p + klen + 1, n);
			out[n] = '\0';
			return out;
		}
	}
	return NULL;
}

/* potemkin-clone; returns after its record line, the clone running. */
static int
start_clone(struct clone *c, const char *ip, uint64_t t0)
{
	char line[512] = "", pid[24];
	int fd[2], status;
	ssize_t n, got = 0;
	pid_t p;

	if (pipe(fd) == -1)
		err(1, "pipe");
	if ((p = fork()) == 0) {
		dup2(fd[1], 1);
		close(fd[0]);
		close(fd[1]);
		if (ip)
			execlp("potemkin-clone", "potemkin-clone", "-c", conf, "-t",
			    type, "--ip", ip, (char *)NULL);
		else
			execlp("potemkin-clone", "potemkin-clone", "-c", conf, "-t",
			    type, (char *)NULL);
		err(127, "potemkin-clone");
	}
	close(fd[1]);
	while ((n = read(fd[0], line + got, sizeof(line) - 1 - (size_t)got)) > 0)
		got += n;
	line[got] = '\0';
	close(fd[0]);
	waitpid(p, &status, 0);
	c->record_ms = (double)(mono_ns() - t0) / 1e6;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    !field(line, "id", c->id, sizeof(c->id)) ||
	    !field(line, "ifname", c->ifname, sizeof(c->ifname)) ||
	    !field(line, "guest_ip", c->guest_ip, sizeof(c->guest_ip)) ||
	    !field(line, "mac", c->mac, sizeof(c->mac)) ||
	    !field(line, "pid", pid, sizeof(pid))) {
		warnx("potemkin-clone failed: %s", line);
		return -1;
	}
	c->pid = strtol(pid, NULL, 10);
	return 0;
}

/*
 * One handshake attempt through ifname, at most 3 s: long enough that a
 * slow first answer is measured as it is, not cut into retries; a refused
 * connection (service not listening yet) returns at once.
 */
static int
try_syn(const struct clone *c, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct pollfd pfd = { .fd = s, .events = POLLOUT };
	int e = 0, rc = -1;
	socklen_t elen = sizeof(e);

	inet_pton(AF_INET, c->guest_ip, &sin.sin_addr);
	if (setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, c->ifname,
	    (socklen_t)strlen(c->ifname)) == -1)
		err(1, "SO_BINDTODEVICE %s", c->ifname);
	if (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0)
		rc = 0;
	else if (errno == EINPROGRESS && poll(&pfd, 1, 3000) == 1 &&
	    getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &elen) == 0 && e == 0)
		rc = 0;
	close(s);
	return rc;
}

/* The host's permanent ARP entry for the clone. */
static void
host_neigh(const struct clone *c)
{
	static struct mnl_socket *sock;
	struct nl_batch b;
	uint32_t addr;
	uint8_t mac[6];
	int ifindex;

	if (sock == NULL && (sock = nl_open(NETLINK_ROUTE)) == NULL)
		exit(1);
	if ((ifindex = nl_ifindex(sock, c->ifname)) == -1 ||
	    addr_parse(c->guest_ip, strlen(c->guest_ip), &addr) != ADDR_OK ||
	    mac_parse(c->mac, strlen(c->mac), mac) == -1)
		errx(1, "clone %s: bad record", c->id);
	nl_begin(&b, sock);
	if (nl_add_neigh(&b, (unsigned)ifindex, addr, mac, "host ARP entry") ||
	    nl_commit(&b))
		exit(1);
}

static long
private_kb_of(long pid)
{
	char path[64], buf[4096], *p;
	long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(buf, sizeof(buf), f))
		if ((p = strstr(buf, "Private_Clean:")) == buf ||
		    (p = strstr(buf, "Private_Dirty:")) == buf)
			kb += strtol(buf + 14, NULL, 10);
	fclose(f);
	return kb;
}

/* The clone's process tree: the pid and, recursively, its children. */
static long
tree_private_kb(long pid, int depth)
{
	char path[96], buf[4096], *p, *end;
	long kb = private_kb_of(pid);
	FILE *f;

	if (depth > 8)
		return kb;
	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", pid, pid);
	if ((f = fopen(path, "r")) == NULL)
		return kb;
	if (fgets(buf, sizeof(buf), f))
		for (p = buf; (void)(end = p), *p; p = end) {
			long c = strtol(p, &end, 10);

			if (end == p)
				break;
			kb += tree_private_kb(c, depth + 1);
		}
	fclose(f);
	return kb;
}

static int
teardown(struct clone *c)
{
	uint64_t t0 = mono_ns();
	int status;
	pid_t p = fork();

	if (p == 0) {
		execlp("potemkin-teardown", "potemkin-teardown", "-c", conf, c->id,
		    (char *)NULL);
		err(127, "potemkin-teardown");
	}
	waitpid(p, &status, 0);
	c->teardown_ms = (double)(mono_ns() - t0) / 1e6;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *what, const char *unit, double *v, size_t n)
{
	if (n == 0)
		return;
	qsort(v, n, sizeof(*v), cmp_double);
	printf("%-22s n=%-5zu median %8.2f %s  p90 %8.2f  p99 %8.2f  min %8.2f  "
	    "max %8.2f\n", what, n, v[n / 2], unit, v[n * 90 / 100],
	    v[n * 99 / 100], v[0], v[n - 1]);
}

int
main(int argc, char **argv)
{
	static struct clone cl[MAX_CLONES];
	static double v[MAX_CLONES];
	const char *ipbase = NULL;
	int n = 50, port = 80, c, failed = 0;
	bool keep = false, single = false;
	uint32_t base = 0;

	while ((c = getopt(argc, argv, "c:t:n:p:i:ks")) != -1) {
		switch (c) {
		case 'c': conf = optarg; break;
		case 't': type = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 'i': ipbase = optarg; break;
		case 'k': keep = true; break;
		case 's': single = true; break;
		default:
			fprintf(stderr, "usage: clone-latency [-n N] [-p PORT] "
			    "[-i BASE] [-k | -s] -c vmm.conf -t TYPE\n");
			return 2;
		}
	}
	if (!conf || !type || n < 1 || n > MAX_CLONES ||
	    (ipbase && addr_parse(ipbase, strlen(ipbase), &base) != ADDR_OK))
		errx(2, "bad arguments (see the comment at the top)");
	for (int i = 0; i < n; i++) {
		char ip[ADDR_STRLEN];
		uint64_t t0 = mono_ns(), deadline;

		if (start_clone(&cl[i], ipbase ? addr_fmt(base + (uint32_t)i, ip) :
		    NULL, t0) == -1) {
			n = i;
			failed = 1;
			break;
		}
		host_neigh(&cl[i]);
		deadline = mono_ms() + 10000;
		while (try_syn(&cl[i], port) == -1)
			if (mono_ms() > deadline)
				errx(1, "clone %s: no answer on port %d", cl[i].id,
				    port);
		cl[i].syn_ms = (double)(mono_ns() - t0) / 1e6;
		if (single && teardown(&cl[i]) == -1)
			failed = 1;
	}
	for (int i = 0; i < n; i++)
		v[i] = cl[i].record_ms;
	report("clone to record", "ms", v, (size_t)n);
	for (int i = 0; i < n; i++)
		v[i] = cl[i].syn_ms;
	report("clone to SYN-ACK", "ms", v, (size_t)n);
	if (single) {
		for (int i = 0; i < n; i++)
			v[i] = cl[i].teardown_ms;
		report("teardown", "ms", v, (size_t)n);
		return failed;
	}
	for (int i = 0; i < n; i++)
		v[i] = (double)tree_private_kb(cl[i].pid, 0);
	report("private memory/clone", "kB", v, (size_t)n);
	if (keep) {
		printf("kept %d clones alive\n", n);
		return failed;
	}
	for (int i = 0; i < n; i++)
		if (teardown(&cl[i]) == -1)
			failed = 1;
	for (int i = 0; i < n; i++)
		v[i] = cl[i].teardown_ms;
	report("teardown", "ms", v, (size_t)n);
	return failed;
}
