/* SPDX-License-Identifier: ISC */
/*
 * potemkin-place: the gateway's clone command when its farm spans several
 * VMM hosts (potemkin-place(8)).  It chooses a host with room for the
 * type, makes the clone there with that host's potemkin-clone (through the
 * host's command prefix, ssh for one), ties a remote clone to this machine
 * by a VXLAN link of its own that appears here as pk<ID>, and prints the
 * record as potemkin-clone would, with host=.  `check` asks every host
 * whether it is up, for the gateway's clone.hosts; `rules HOST` prints the
 * firewall rules a VMM host needs.
 *
 * Placement is a command, not part of the gateway: the gateway's packet
 * path and its privileged parent stay as they are, the choice is made
 * under a lock in the state directory (where an operator can read it), and
 * teardown, freeze and potemkin-ls reach placed clones through the
 * "remote" backend (placed.c) without this command.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <libgen.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd.h"
#include "hosts.h"
#include "lib/addr.h"
#include "lib/monotime.h"
#include "lib/number.h"
#include "nl.h"
#include "placed.h"
#include "tunnel.h"
#include "lib/prog.h"

#define PLACE_OUT_MAX 8192
#define PLACE_ARGV_MAX (HOST_RUN_MAX + 24)
/* A clone's own command has no deadline here: the gateway's clone.timeout
 * ends the whole process group. */
#define PLACE_CLONE_MS (24ULL * 3600 * 1000)

struct request {
	const char *type;
	uint32_t ip;
	bool has_ip;
	uint32_t universe;
};

/* The argv of an argv: words added in order, NULL-terminated. */
struct words {
	char *w[PLACE_ARGV_MAX + 1];
	size_t n;
	char prog[PATH_MAX];
};

static void
words_add(struct words *a, const char *w)
{
	if (a->n < PLACE_ARGV_MAX)
		a->w[a->n++] = (char *)(uintptr_t)w;
	a->w[a->n] = NULL;
}

/* The host's command prefix, then one of the clone tools, on that host. */
static void
host_cmd(struct words *a, const struct place_host *h, const struct vmm_conf *conf,
    const char *prog)
{
	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < h->nrun; i++)
		words_add(a, h->run[i]);
	snprintf(a->prog, sizeof(a->prog), "%s/%s", h->tools, prog);
	words_add(a, a->prog);
	words_add(a, "-c");
	words_add(a, h->vmm ? h->vmm : host_is_local(h) ? conf->path :
	    VMM_DEFAULT_CONF);
}

/* ---- running a command and reading what it prints ---------------------- */

struct child {
	pid_t pid;
	int fd;
	char out[PLACE_OUT_MAX];
	size_t len;
	int status;
	bool done, timed_out;
};

/*
 * argv with standard input from /dev/null, standard output into a pipe we
 * read, standard error ours, no other descriptor, default signals; in our
 * process group, so that the gateway's timeout ends it with us.
 * posix_spawn, not fork: placement is on the path of a clone's first
 * packet, and a fork of this process costs a good part of a millisecond.
 */
static int
child_start(struct child *c, char *const argv[])
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t all, none;
	int p[2], rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if (pipe2(p, O_CLOEXEC) == -1) {
		warn("pipe");
		return -1;
	}
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	rc = posix_spawnp(&c->pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		errno = rc;
		warn("%s", argv[0]);
		/* As a shell says a command it cannot run: status 127. */
		c->pid = -1;
		c->status = 127 << 8;
		c->done = true;
		return -1;
	}
	c->fd = p[0];
	return 0;
}

/* Read what the children print until they close it or the deadline. */
static void
children_read(struct child *c, size_t n, uint64_t deadline)
{
	for (;;) {
		struct pollfd pfd[HOSTS_MAX];
		size_t k = 0, map[HOSTS_MAX];
		uint64_t now = mono_ms();

		for (size_t i = 0; i < n; i++)
			if (c[i].fd >= 0) {
				pfd[k] = (struct pollfd){ .fd = c[i].fd, .events = POLLIN };
				map[k++] = i;
			}
		if (k == 0 || now >= deadline || vmm_stop)
			break;
		if (poll(pfd, k, deadline - now > 60000 ? 60000 : (int)(deadline - now)) <= 0)
			continue;
		for (size_t j = 0; j < k; j++) {
			struct child *ch = &c[map[j]];
			ssize_t r;

			if (!(pfd[j].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(ch->fd, ch->out + ch->len, sizeof(ch->out) - 1 - ch->len);
			if (r > 0) {
				ch->len += (size_t)r;
				if (ch->len < sizeof(ch->out) - 1)
					continue;
			}
			close(ch->fd);
			ch->fd = -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		/* Still printing at the deadline: it has had its time. */
		uint64_t left = c[i].fd == -1 && mono_ms() < deadline && !vmm_stop ?
		    deadline - mono_ms() : 0;

		c[i].out[c[i].len] = '\0';
		if (c[i].pid <= 0)
			continue;	/* never started */
		if (c[i].fd >= 0) {
			close(c[i].fd);
			c[i].fd = -1;
		}
		if (vmm_wait(c[i].pid, left, &c[i].status) == -1) {
			c[i].timed_out = true;
			kill(c[i].pid, SIGKILL);
			waitpid(c[i].pid, &c[i].status, 0);
		}
		c[i].done = true;
	}
}

static bool
child_ok(const struct child *c)
{
	return !c->timed_out && WIFEXITED(c->status) && WEXITSTATUS(c->status) == 0;
}

/* Why a child failed, for a host's down mark and the gateway's event. */
static void
child_why(const struct child *c, const char *what, char *why, size_t size)
{
	if (c->timed_out)
		snprintf(why, size, "%s: no answer in time", what);
	else if (WIFSIGNALED(c->status))
		snprintf(why, size, "%s: killed by signal %d", what, WTERMSIG(c->status));
	else if (WEXITSTATUS(c->status) == 255)
		snprintf(why, size, "%s: not reachable (exit status 255)", what);
	else
		snprintf(why, size, "%s: exit status %d", what, WEXITSTATUS(c->status));
}

static int
run_one(char *const argv[], struct child *c, uint64_t timeout_ms)
{
	if (child_start(c, argv) == -1)
		return -1;	/* c says why */
	children_read(c, 1, mono_ms() + timeout_ms);
	return child_ok(c) ? 0 : -1;
}

/* ---- the placement's state ----------------------------------------------- */

/*
 * flock on STATEDIR/hosts/NAME, held until the descriptor is closed:
 * ".lock" for the choice of a host and its mark, ".check" for a check.
 */
static int
place_lock(const struct vmm_conf *conf, const char *name)
{
	char path[VMM_PATH_MAX];
	int fd;

	if (placed_mkdirs(conf, ".", NULL) == -1 ||
	    vmm_path(path, sizeof(path), "%s/hosts/%s", conf->statedir, name) == -1)
		return -1;
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1 ||
	    flock(fd, LOCK_EX) == -1) {
		warn("%s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}
/* Clones of type on host: its marks, those of dead placers not counted. */
static unsigned
place_count(const struct vmm_conf *conf, const char *host, const char *type)
{
	char path[VMM_PATH_MAX];
	struct dirent *de;
	unsigned n = 0;
	DIR *d;

	if (vmm_path(path, sizeof(path), "%s/hosts/%s/%s", conf->statedir, host,
	    type) == -1 || (d = opendir(path)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		unsigned long long v;

		if (de->d_name[0] == '.')
			continue;
		if (de->d_name[0] == 'p' && num_parse(de->d_name + 1, 1, INT32_MAX, &v) == 0 &&
		    !vmm_pid_alive((long)v))
			continue;
		n++;
	}
	closedir(d);
	return n;
}

static unsigned
place_count_all(const struct vmm_conf *conf, const struct place_host *h)
{
	unsigned n = 0;

	for (size_t i = 0; i < h->ncap; i++)
		n += place_count(conf, h->name, h->cap[i].type);
	return n;
}

/*
 * The host with room for the type that is least loaded (its clones of the
 * type over its capacity for it), the first in hosts.conf on a tie; a mark
 * pPID is made for it under the lock.  -1 if none has room.
 */
static int
place_choose(const struct hosts_conf *hc, const struct vmm_conf *conf,
    const char *type, const bool *tried, char *mark, size_t size)
{
	int lock = place_lock(conf, ".lock"), best = -1;
	unsigned long long best_load = 0;
	char name[32];

	if (lock == -1)
		return -1;
	for (size_t i = 0; i < hc->nhosts; i++) {
		const struct place_host *h = &hc->hosts[i];
		unsigned cap = host_capacity(h, type), live;
		unsigned long long load;

		if (cap == 0 || tried[i] || placed_host_down(conf, h->name))
			continue;
		if ((live = place_count(conf, h->name, type)) >= cap)
			continue;
		load = (unsigned long long)live * 1000000 / cap;
		if (best == -1 || load < best_load) {
			best = (int)i;
			best_load = load;
		}
	}
	snprintf(name, sizeof(name), "p%d", (int)getpid());
	if (best >= 0 && (placed_mkdirs(conf, hc->hosts[best].name, type) == -1 ||
	    placed_mark_path(conf, hc->hosts[best].name, type, name, mark, size) == -1 ||
	    vmm_write_file(mark, "", 0, 0640) == -1))
		best = -1;
	close(lock);
	return best;
}

/* The mark of a placement that worked takes the clone's id. */
static void
place_keep_mark(const struct vmm_conf *conf, const char *mark, const char *host,
    const char *type, unsigned id)
{
	char path[VMM_PATH_MAX], name[16];

	snprintf(name, sizeof(name), "%u", id);
	if (placed_mark_path(conf, host, type, name, path, sizeof(path)) == 0 &&
	    rename(mark, path) == -1)
		warn("%s", path);
}

/* ---- one placement --------------------------------------------------------- */

/* A placement that failed here (-1 is the host's failure): no host is marked down. */
#define PLACE_OURS (-2)

/*
 * The gateway address a remote host names goes onto an interface here:
 * it must be one no route of this machine's depends on (private or
 * link-local, and on none of its interfaces but the clones' pk*), or a
 * host that is not ours would take it over.
 */
static bool
gw_ip_ok(uint32_t a)
{
	struct ifaddrs *ifs, *i;
	bool ok = (a >> 24) == 10 || (a >> 20) == (172u << 4 | 1) ||
	    (a >> 16) == (192u << 8 | 168) || (a >> 16) == (169u << 8 | 254);

	if (!ok || getifaddrs(&ifs) == -1)
		return false;
	for (i = ifs; i; i = i->ifa_next)
		if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET &&
		    strncmp(i->ifa_name, "pk", 2) != 0 &&
		    ntohl(((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr.s_addr) == a)
			ok = false;
	freeifaddrs(ifs);
	return ok;
}

/* The record a host printed, held to the request. */
static int
place_record(const struct place_host *h, const struct request *rq, char *out,
    struct clone_record *r, bool tunneled, char *why, size_t size)
{
	char rwhy[128];
	char *line = out + strlen(out);

	while (line > out && (line[-1] == '\n' || line[-1] == ' '))
		*--line = '\0';
	line = strrchr(out, '\n') ? strrchr(out, '\n') + 1 : out;
	if (record_parse(line, r, rwhy, sizeof(rwhy)) == -1) {
		snprintf(why, size, "host %s: malformed record (%s)", h->name, rwhy);
		return -1;
	}
	if (tunneled && !gw_ip_ok(r->gw_ip)) {
		char a[ADDR_STRLEN];

		snprintf(why, size, "host %s: its record's gw_ip %s is not a private or "
		    "link-local address this machine does not have", h->name,
		    addr_fmt(r->gw_ip, a));
		return -1;
	}
	if (strcmp(r->type, rq->type) != 0 || r->has_ip != rq->has_ip ||
	    (rq->has_ip && r->ip != rq->ip) || r->universe != rq->universe ||
	    strcmp(r->host, h->name) != 0 || (tunneled && !r->link_mac[0])) {
		snprintf(why, size, "host %s: its record is not of the clone asked for",
		    h->name);
		return -1;
	}
	return 0;
}

static void
request_args(struct words *a, const struct request *rq, char bufs[2][32],
    const char *host)
{
	words_add(a, "--type");
	words_add(a, rq->type);
	if (rq->has_ip) {
		words_add(a, "--ip");
		words_add(a, addr_fmt(rq->ip, bufs[0]));
	}
	words_add(a, "--universe");
	snprintf(bufs[1], 32, "%u", rq->universe);
	words_add(a, bufs[1]);
	words_add(a, "--host");
	words_add(a, host);
}

/* Tear down clone id of host h, made but of no use; a host's sweep takes what this cannot. */
static void
place_undo(const struct vmm_conf *conf, const struct place_host *h, unsigned id)
{
	struct words a;
	struct child c;
	char idstr[16];

	snprintf(idstr, sizeof(idstr), "%u", id);
	host_cmd(&a, h, conf, "potemkin-teardown");
	words_add(&a, idstr);
	if (run_one(a.w, &c, PLACED_REMOTE_MS) == -1)
		warnx("host %s: clone %u there not torn down", h->name, id);
}

/* This machine: potemkin-clone itself, its record passed on as it is. */
static int
place_here(const struct vmm_conf *conf,
    const struct place_host *h, const struct request *rq, const char *mark,
    char *why, size_t size)
{
	struct words a;
	struct child c;
	struct clone_record r;
	char bufs[2][32];

	host_cmd(&a, h, conf, "potemkin-clone");
	request_args(&a, rq, bufs, h->name);
	if (run_one(a.w, &c, PLACE_CLONE_MS) == -1) {
		child_why(&c, "potemkin-clone", why, size);
		return -1;
	}
	if (place_record(h, rq, c.out, &r, false, why, size) == -1) {
		if (record_id(c.out) > 0)
			place_undo(conf, h, (unsigned)record_id(c.out));
		return -1;
	}
	if (printf("%s\n", strrchr(c.out, '\n') ? strrchr(c.out, '\n') + 1 : c.out) < 0 ||
	    fflush(stdout) == EOF) {
		place_undo(conf, h, r.id);
		return PLACE_OURS;
	}
	place_keep_mark(conf, mark, h->name, rq->type, r.id);
	return 0;
}

/*
 * The gateway's end of a remote clone's tunnel, pk<N>, made while the
 * remote command runs (its VNI, N, and the host's end are known before
 * the clone is): VXLAN, rp_filter off, no IPv6, up.  Nothing reaches a
 * clone through it before the gateway has its record.
 */
static int
place_tunnel_begin(const struct hosts_conf *hc, const struct place_host *h,
    const struct vmm_vm *vm, struct mnl_socket *sock)
{
	struct nl_vxlan vx = { .name = vm->rec.ifname, .vni = vm->id,
		.remote = h->tunnel, .local = hc->tunnel_local, .port = h->port };
	struct nl_batch b;
	char what[2][64];
	unsigned ifindex;

	snprintf(what[0], sizeof(what[0]), "creating %s", vm->rec.ifname);
	nl_begin(&b, sock);
	if (nl_add_vxlan(&b, &vx, what[0]) == -1 || nl_commit(&b) == -1)
		return -1;
	if ((ifindex = if_nametoindex(vm->rec.ifname)) == 0) {
		warn("%s", vm->rec.ifname);
		return -1;
	}
	snprintf(what[0], sizeof(what[0]), "turning rp_filter off on %s", vm->rec.ifname);
	snprintf(what[1], sizeof(what[1]), "setting %s up", vm->rec.ifname);
	nl_begin(&b, sock);
	if (nl_rp_filter_off(&b, ifindex, what[0]) == -1 ||
	    nl_link_up(&b, ifindex, what[1]) == -1)
		return -1;
	return nl_commit(&b);
}

/*
 * Once the record is in: the MAC of the clone's link there (so that what
 * the clone sends its gateway is for this end) and the gateway address.
 */
static int
place_tunnel_finish(const struct vmm_vm *vm, const struct clone_record *r,
    struct mnl_socket *sock)
{
	unsigned ifindex = if_nametoindex(vm->rec.ifname);
	struct nl_batch b;
	char what[2][64];
	uint8_t mac[6];

	if (ifindex == 0 || mac_parse(r->link_mac, strlen(r->link_mac), mac) < 0)
		return -1;
	snprintf(what[0], sizeof(what[0]), "setting the MAC of %s", vm->rec.ifname);
	snprintf(what[1], sizeof(what[1]), "adding the gateway address to %s",
	    vm->rec.ifname);
	nl_begin(&b, sock);
	if (nl_set_mac(&b, ifindex, mac, what[0]) == -1 ||
	    nl_add_addr(&b, ifindex, r->gw_ip, 32, what[1]) == -1)
		return -1;
	return nl_commit(&b);
}

/* The commands that tear down and freeze the remote clone, kept with it. */
static int
place_remote_cmds(const struct vmm_conf *conf,
    const struct place_host *h, const struct vmm_vm *vm, unsigned rid)
{
	char path[VMM_PATH_MAX], id[16], note[128];
	struct words a;
	int n;

	snprintf(id, sizeof(id), "%u", rid);
	host_cmd(&a, h, conf, "potemkin-teardown");
	words_add(&a, id);
	if (vmm_path(path, sizeof(path), "%s/" PLACED_TEARDOWN, vm->dir) == -1 ||
	    placed_write_argv(path, a.w) == -1)
		return -1;
	host_cmd(&a, h, conf, "potemkin-freeze");
	words_add(&a, "--keep");
	words_add(&a, id);
	if (vmm_path(path, sizeof(path), "%s/" PLACED_FREEZE, vm->dir) == -1 ||
	    placed_write_argv(path, a.w) == -1)
		return -1;
	n = snprintf(note, sizeof(note), "host=%s id=%u\n", h->name, rid);
	return vmm_path(path, sizeof(path), "%s/remote", vm->dir) == -1 ? -1 :
	    vmm_write_file(path, note, (size_t)n, 0640);
}


static int
place_remote(const struct hosts_conf *hc, const struct vmm_conf *conf,
    const struct place_host *h, const struct request *rq, const char *mark,
    char *why, size_t size)
{
	char bufs[2][32], tun[64], a4[ADDR_STRLEN], line[RECORD_LINE_MAX];
	struct mnl_socket *sock = NULL;
	struct clone_record r;
	struct vmm_vm vm;
	struct words a;
	struct child c;
	int rc = -1;

	if (vmm_vm_alloc(conf, &vm) == -1)
		return PLACE_OURS;
	snprintf(vm.rec.ifname, sizeof(vm.rec.ifname), "pk%u", vm.id);
	snprintf(tun, sizeof(tun), "%s:%u:%u", addr_fmt(hc->tunnel_local, a4), vm.id,
	    h->port);
	host_cmd(&a, h, conf, "potemkin-clone");
	request_args(&a, rq, bufs, h->name);
	words_add(&a, "--tunnel");
	words_add(&a, tun);
	if (vmm_path(line, sizeof(line), "%s/backend", vm.dir) == -1 ||
	    vmm_write_file(line, "remote", 6, 0640) == -1 ||
	    (sock = nl_open(NETLINK_ROUTE)) == NULL) {
		rc = PLACE_OURS;
		goto out;
	}
	if (child_start(&c, a.w) == -1) {
		child_why(&c, "potemkin-clone", why, size);
		goto out;
	}
	if (place_tunnel_begin(hc, h, &vm, sock) == -1) {
		snprintf(why, size, "no tunnel end here for host %s", h->name);
		rc = PLACE_OURS;
		kill(c.pid, SIGTERM);
	}
	children_read(&c, 1, mono_ms() + PLACE_CLONE_MS);
	if (rc == PLACE_OURS || !child_ok(&c)) {
		if (!why[0])
			child_why(&c, "potemkin-clone", why, size);
		if (rc == PLACE_OURS && record_id(c.out) > 0)
			place_undo(conf, h, (unsigned)record_id(c.out));
		goto out;
	}
	if (place_record(h, rq, c.out, &r, true, why, size) == -1) {
		if (record_id(c.out) > 0)
			place_undo(conf, h, (unsigned)record_id(c.out));
		goto out;
	}
	vm.rec = r;
	vm.rec.id = vm.id;
	snprintf(vm.rec.backend, sizeof(vm.rec.backend), "remote");
	snprintf(vm.rec.ifname, sizeof(vm.rec.ifname), "pk%u", vm.id);
	vm.rec.link_mac[0] = '\0';
	if (place_tunnel_finish(&vm, &r, sock) == -1 ||
	    place_remote_cmds(conf, h, &vm, r.id) == -1) {
		snprintf(why, size, "no tunnel end here for host %s", h->name);
		place_undo(conf, h, r.id);
		rc = PLACE_OURS;
		goto out;
	}
	if (vmm_vm_write_record(&vm) == -1 || record_fmt(&vm.rec, line, sizeof(line)) == -1 ||
	    printf("%s\n", line) < 0 || fflush(stdout) == EOF) {
		nl_close(sock);
		vmm_vm_destroy(conf, &vm, &vmm_remote_backend);
		return PLACE_OURS;
	}
	place_keep_mark(conf, mark, h->name, rq->type, vm.id);
	rc = 0;
out:
	if (rc != 0 && sock && if_nametoindex(vm.rec.ifname) != 0)
		nl_delete_on(sock, vm.rec.ifname);
	if (sock)
		nl_close(sock);
	if (rc != 0)
		vmm_vm_remove(&vm);
	else
		vmm_vm_close(&vm);
	return rc;
}

/*
 * Place one clone: on the chosen host, or, when that host fails (it is
 * marked down, and the gateway's next check ends its bindings), on the
 * next one with room.
 */
static int
place(const struct hosts_conf *hc, const struct vmm_conf *conf,
    const struct request *rq)
{
	bool tried[HOSTS_MAX] = { false };
	char mark[VMM_PATH_MAX], why[256] = "";
	int i;

	while ((i = place_choose(hc, conf, rq->type, tried, mark, sizeof(mark))) >= 0) {
		const struct place_host *h = &hc->hosts[i];
		int rc;

		tried[i] = true;
		why[0] = '\0';
		rc = host_is_local(h) ? place_here(conf, h, rq, mark, why, sizeof(why)) :
		    place_remote(hc, conf, h, rq, mark, why, sizeof(why));
		if (rc == 0)
			return 0;
		unlink(mark);
		if (vmm_stop)
			return -1;
		if (rc == PLACE_OURS) {
			/* This machine's fault, not the host's; it would be the next one's too. */
			warnx("%s", why[0] ? why : "the placement failed here");
			return -1;
		}
		if (why[0] == '\0')
			snprintf(why, sizeof(why), "host %s: the clone failed", h->name);
		warnx("%s; host %s marked down", why, h->name);
		placed_mark_down(conf, h->name, why);
	}
	warnx("no host has room for a clone of type %s%s", rq->type,
	    why[0] ? " (the last one tried failed)" : "");
	return -1;
}

/* ---- check: is every host up? ---------------------------------------------- */

/* Are the host's capacity types among those its --types printed? */
static int
check_types(const struct place_host *h, const char *out, char *why, size_t size)
{
	for (size_t i = 0; i < h->ncap; i++) {
		char want[64];
		const char *p = out;
		bool found = false;

		snprintf(want, sizeof(want), "type=%s ", h->cap[i].type);
		for (; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
			if (strncmp(p, want, strlen(want)) == 0)
				found = true;
		if (!found) {
			snprintf(why, size, "type %s is not in its vmm.conf", h->cap[i].type);
			return -1;
		}
	}
	return 0;
}

/*
 * A host back up after its hold-down: nothing of before may remain there.
 * Not this machine: its state directory is the gateway's, which holds
 * every other host's clones too, and a clone here that failed was torn
 * down with its binding by the gateway.
 */
static int
check_sweep(const struct hosts_conf *hc, const struct vmm_conf *conf,
    const struct place_host *h, char *why, size_t size)
{
	struct words a;
	struct child c;

	if (host_is_local(h))
		return 0;
	host_cmd(&a, h, conf, "potemkin-teardown");
	words_add(&a, "--all");
	if (run_one(a.w, &c, hc->check_timeout_ms * 4) == -1) {
		child_why(&c, "potemkin-teardown --all", why, size);
		return -1;
	}
	return 0;
}

/* The down mark's time and text; 0 and "" if there is none. */
static uint64_t
check_down_since(const struct vmm_conf *conf, const char *host, char *why, size_t size)
{
	char path[VMM_PATH_MAX], buf[512], *sp;
	size_t len;

	why[0] = '\0';
	if (vmm_path(path, sizeof(path), "%s/hosts/%s/down", conf->statedir, host) == -1 ||
	    access(path, F_OK) == -1 || vmm_read_file(path, buf, sizeof(buf), &len) == -1)
		return 0;
	buf[strcspn(buf, "\n")] = '\0';
	if ((sp = strchr(buf, ' ')) != NULL)
		snprintf(why, size, "%s", sp + 1);
	return strtoull(buf, NULL, 10) ? strtoull(buf, NULL, 10) : 1;
}

static void
check_print(const struct vmm_conf *conf, const struct place_host *h, bool up,
    const char *why)
{
	printf("host=%s state=%s live=%u capacity=", h->name, up ? "up" : "down",
	    place_count_all(conf, h));
	for (size_t i = 0; i < h->ncap; i++)
		printf("%s%s:%u", i ? "," : "", h->cap[i].type, h->cap[i].n);
	if (h->ncap == 0)
		printf("-");
	/* Bounded, so that 64 hosts fit what the gateway takes. */
	printf(" why=%.120s\n", up ? "" : why);
}

static int
check(const struct hosts_conf *hc, const struct vmm_conf *conf)
{
	static struct child c[HOSTS_MAX];
	/* One check at a time: two would sweep a host twice, the second after a placement. */
	int lock = place_lock(conf, ".check");

	if (lock == -1)
		return -1;
	for (size_t i = 0; i < hc->nhosts; i++) {
		struct words a;

		host_cmd(&a, &hc->hosts[i], conf, "potemkin-clone");
		words_add(&a, "--types");
		(void)child_start(&c[i], a.w);	/* one that cannot start is down */
	}
	children_read(c, hc->nhosts, mono_ms() + hc->check_timeout_ms);
	if (vmm_stop) {
		/* Cut short: the hosts not heard yet are not known to be down. */
		close(lock);
		warnx("check interrupted");
		return -1;
	}
	for (size_t i = 0; i < hc->nhosts; i++) {
		const struct place_host *h = &hc->hosts[i];
		char why[256] = "", held[256];
		uint64_t since = check_down_since(conf, h->name, held, sizeof(held));
		bool up = child_ok(&c[i]), held_down = false;

		if (!up)
			child_why(&c[i], "the check", why, sizeof(why));
		else if (check_types(h, c[i].out, why, sizeof(why)) == -1)
			up = false;
		if (up && since && wall_ms() < since + hc->hold_down_ms) {
			/* The mark keeps its time: hold-down counts from the failure. */
			snprintf(why, sizeof(why), "%.200s (held down for %llus)", held,
			    (unsigned long long)(hc->hold_down_ms / 1000));
			up = false;
			held_down = true;
		} else if (up && since) {
			if (check_sweep(hc, conf, h, why, sizeof(why)) == 0 &&
			    vmm_path(held, sizeof(held), "%s/hosts/%s/down", conf->statedir,
				h->name) == 0)
				unlink(held);
			else
				up = false;
		}
		if (!up && !held_down)
			placed_mark_down(conf, h->name, why);
		check_print(conf, h, up, why);
	}
	close(lock);
	return fflush(stdout) == EOF ? -1 : 0;
}

/* ---- --types: each placed type, as a host that offers it says ------------- */

static int
types(const struct hosts_conf *hc, const struct vmm_conf *conf)
{
	const char *done[HOSTS_MAX * HOST_TYPES_MAX];
	size_t ndone = 0;
	int rc = 0;

	for (size_t i = 0; i < hc->nhosts; i++) {
		const struct place_host *h = &hc->hosts[i];
		struct words a;
		struct child c;
		char why[256];

		for (size_t k = 0; k < h->ncap; k++) {
			bool seen = false;
			char want[64];
			const char *p;

			for (size_t d = 0; d < ndone; d++)
				seen |= strcmp(done[d], h->cap[k].type) == 0;
			if (seen || h->cap[k].n == 0)
				continue;
			host_cmd(&a, h, conf, "potemkin-clone");
			words_add(&a, "--types");
			if (run_one(a.w, &c, hc->check_timeout_ms) == -1) {
				child_why(&c, "potemkin-clone --types", why, sizeof(why));
				warnx("%s:%d: host %s: %s", hc->path, h->line, h->name, why);
				rc = -1;
				break;
			}
			if (check_types(h, c.out, why, sizeof(why)) == -1) {
				warnx("%s:%d: host %s: %s", hc->path, h->line, h->name, why);
				rc = -1;
				break;
			}
			snprintf(want, sizeof(want), "type=%s ", h->cap[k].type);
			for (p = c.out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
				if (strncmp(p, want, strlen(want)) == 0)
					printf("%.*s\n", (int)strcspn(p, "\n"), p);
			done[ndone++] = h->cap[k].type;
		}
	}
	return rc == 0 && fflush(stdout) == 0 ? 0 : -1;
}

/* ---- rules: what a VMM host's firewall needs ------------------------------- */

/*
 * The gateway's machine: potemkin-gateway -P wires it; this adds that
 * tunnel traffic comes from the VMM hosts alone (a frame put into pk<ID>
 * by anyone else would be judged as the clone's), in a chain of its own
 * that the gateway's rules never flush.
 */
static int
rules_gateway(const struct hosts_conf *hc, const char *name)
{
	char a[ADDR_STRLEN];

	printf("# potemkin-place rules%s%s: for iptables-restore -n on the gateway's\n"
	    "# machine, beside what potemkin-gateway -P prints: its clones' tunnels\n"
	    "# are taken from the VMM hosts of hosts.conf alone.\n"
	    "*filter\n:POTEMKIN-TUNNEL - [0:0]\n-I INPUT 1 -j POTEMKIN-TUNNEL\n",
	    *name ? " " : "", name);
	for (size_t i = 0; i < hc->nhosts; i++)
		if (!host_is_local(&hc->hosts[i]))
			printf("-A POTEMKIN-TUNNEL -p udp --dport %u -s %s -j RETURN\n"
			    "-A POTEMKIN-TUNNEL -p udp --dport %u -j DROP\n",
			    hc->hosts[i].port, addr_fmt(hc->hosts[i].tunnel, a),
			    hc->hosts[i].port);
	printf("COMMIT\n");
	return fflush(stdout) == 0 ? 0 : -1;
}

/* The same for ip6tables-restore: nothing of a clone's, and no IPv6 tunnel. */
static void
rules_v6(const char *name)
{
	printf("# potemkin-place rules -6 %s: for ip6tables-restore -n on host %s.\n"
	    "*filter\n:POTEMKIN-INPUT - [0:0]\n:POTEMKIN-FORWARD - [0:0]\n"
	    "-I INPUT 1 -j POTEMKIN-INPUT\n-I FORWARD 1 -j POTEMKIN-FORWARD\n"
	    "-A POTEMKIN-INPUT -i pk+ -j DROP\n"
	    "-A POTEMKIN-FORWARD -i pk+ -j DROP\n-A POTEMKIN-FORWARD -o pk+ -j DROP\n"
	    "COMMIT\n", name, name);
}

static int
rules(const struct hosts_conf *hc, const char *name, bool v6)
{
	const struct place_host *h = name ? hosts_find(hc, name) : NULL;
	char gw[ADDR_STRLEN];

	if (name == NULL && v6) {
		printf("# potemkin-place rules -6: the gateway's tunnels are IPv4: nothing\n");
		return 0;
	}
	if (name == NULL)
		return rules_gateway(hc, "");
	if (h == NULL) {
		warnx("%s: no host named %s", hc->path, name);
		return -1;
	}
	if (host_is_local(h) && v6) {
		printf("# %s is the gateway's machine: potemkin-gateway -P -6 wires it\n", name);
		return 0;
	}
	if (host_is_local(h))
		return rules_gateway(hc, name);
	if (v6) {
		rules_v6(name);
		return fflush(stdout) == 0 ? 0 : -1;
	}
	printf("# potemkin-place rules %s: for iptables-restore -n on host %s.\n"
	    "# The host only carries its clones' links to the gateway: it routes\n"
	    "# nothing of theirs, answers nothing on their links, and takes\n"
	    "# tunnel traffic from the gateway alone.\n", name, name);
	printf("*filter\n:POTEMKIN-INPUT - [0:0]\n:POTEMKIN-FORWARD - [0:0]\n"
	    "-I INPUT 1 -j POTEMKIN-INPUT\n-I FORWARD 1 -j POTEMKIN-FORWARD\n"
	    "-A POTEMKIN-INPUT -i pk+ -j DROP\n"
	    "-A POTEMKIN-INPUT -p udp --dport %u ! -s %s -j DROP\n"
	    "-A POTEMKIN-FORWARD -i pk+ -j DROP\n-A POTEMKIN-FORWARD -o pk+ -j DROP\n"
	    "COMMIT\n", h->port, addr_fmt(hc->tunnel_local, gw));
	return fflush(stdout) == 0 ? 0 : -1;
}

/* ---- main -------------------------------------------------------------------- */

static _Noreturn void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: potemkin-place [-c vmm.conf] [-H hosts.conf] --type TYPE [--ip ADDR]"
	    " [--universe N]\n"
	    "       potemkin-place [-c vmm.conf] [-H hosts.conf] --types\n"
	    "       potemkin-place [-c vmm.conf] [-H hosts.conf] check\n"
	    "       potemkin-place [-6] [-H hosts.conf] rules [HOST]\n");
	exit(status);
}

/* The directory this program runs from: where the tools are, by default. */
static const char *
tools_here(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n <= 0)
		return "/usr/local/sbin";
	path[n] = '\0';
	return dirname(path);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "hosts", required_argument, NULL, 'H' },
		{ "type", required_argument, NULL, 't' },
		{ "ip", required_argument, NULL, 'i' },
		{ "universe", required_argument, NULL, 'u' },
		{ "types", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cpath = NULL, *hpath = HOSTS_DEFAULT_CONF, *verb = NULL;
	struct request rq = { 0 };
	struct hosts_conf hc;
	struct vmm_conf conf;
	bool list = false, v6 = false;
	unsigned long long v;
	int c, rc;

	prog_init(argc, argv);
	while ((c = getopt_long(argc, argv, "6c:H:t:i:u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cpath = optarg; break;
		case 'H': hpath = optarg; break;
		case 't': rq.type = optarg; break;
		case 'i':
			if (addr_parse(optarg, strlen(optarg), &rq.ip) != ADDR_OK) {
				warnx("--ip %s: not an IPv4 address", optarg);
				usage(CMD_USAGE);
			}
			rq.has_ip = true;
			break;
		case 'u':
			if (num_parse(optarg, 0, UINT32_MAX, &v) == -1) {
				warnx("--universe %s: not a number from 0 to %u", optarg,
				    UINT32_MAX);
				usage(CMD_USAGE);
			}
			rq.universe = (uint32_t)v;
			break;
		case 'T': list = true; break;
		case '6': v6 = true; break;
		case 'h': usage(CMD_OK);
		default: usage(CMD_USAGE);
		}
	}
	if (optind < argc)
		verb = argv[optind++];
	if (verb && strcmp(verb, "rules") != 0 && strcmp(verb, "check") != 0) {
		warnx("unknown command '%s' (check, rules)", verb);
		usage(CMD_USAGE);
	}
	if (verb && (rq.type || list || argc - optind > (strcmp(verb, "rules") == 0))) {
		warnx("%s takes %s", verb, strcmp(verb, "rules") == 0 ?
		    "at most one HOST and no --type" : "no argument but -c and -H");
		usage(CMD_USAGE);
	}
	if (!verb && optind != argc) {
		warnx("unexpected argument '%s'", argv[optind]);
		usage(CMD_USAGE);
	}
	if (v6 && (!verb || strcmp(verb, "rules") != 0)) {
		warnx("-6 goes with rules only");
		usage(CMD_USAGE);
	}
	if (!verb && (list ? rq.type != NULL : rq.type == NULL)) {
		warnx(list ? "--types takes no --type" : "--type is required");
		usage(CMD_USAGE);
	}
	if (rq.type && !vmm_name_ok(rq.type)) {
		warnx("--type %s: not a type name", rq.type);
		usage(CMD_USAGE);
	}
	vmm_catch_signals();
	if (hosts_conf_load(&hc, hpath, tools_here()) == -1)
		return CMD_FAIL;
	if (verb && strcmp(verb, "rules") == 0) {
		rc = rules(&hc, optind < argc ? argv[optind] : NULL, v6);
		hosts_conf_free(&hc);
		return rc == 0 ? CMD_OK : CMD_FAIL;
	}
	if ((list ? cmd_read(&conf, cpath) : cmd_load(&conf, cpath)) == -1) {
		hosts_conf_free(&hc);
		return CMD_FAIL;
	}
	rc = list ? types(&hc, &conf) : verb ? check(&hc, &conf) : place(&hc, &conf, &rq);
	vmm_conf_free(&conf);
	hosts_conf_free(&hc);
	return rc == 0 ? CMD_OK : CMD_FAIL;
}
