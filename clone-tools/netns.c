/* SPDX-License-Identifier: ISC */
/*
 * The netns backend: a clone is a container, a cage (cage.c) whose
 * services run on the type's read-only root file system with a writable
 * layer of its own, joined to the host by a veth pair (pk<ID> outside, eth0
 * inside) in its network namespace, which the host pins at
 * NETNS_DIR/pk<ID> as `ip netns add` would.  It shares the host kernel:
 * cheap and fast, medium interaction.
 *
 * Cost matters here (a clone in a few milliseconds, a thousand alive):
 * namespaces by one clone3, mounts by the new mount API, the network by
 * two rtnetlink batches, readiness through sock_diag; no `ip` process is
 * ever run.  The services start while the network is built around them.
 * Their first process, the leader, is PID 1 of the clone: when it dies,
 * the kernel kills every process of the clone.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/addr.h"
#include "cage.h"
#include "cgroup.h"
#include "evidence.h"
#include "layer.h"
#include "lib/monotime.h"
#include "nl.h"
#include "pool.h"
#include "proctree.h"
#include "vmm.h"

#define NETNS_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int
netns_check(const struct vmm_conf *conf, const struct vmm_type *t)
{
	(void)conf;
	if (t->root == NULL) {
		warnx("%s: type %s: root: missing (the clones' root file system; "
		    "potemkin-mkimage --rootfs DIR builds one)", conf->path,
		    t->name);
		return -1;
	}
	if (t->root[0] != '/' || strcmp(t->root, "/") == 0 ||
	    strstr(t->root, "/..") != NULL) {
		warnx("%s: type %s: root: '%s' is not an absolute path below / "
		    "(the host's own root is never a clone's)", conf->path,
		    t->name, t->root);
		return -1;
	}
	if (t->home[0] != '/') {
		warnx("type %s: home: '%s' is not an absolute path", t->name,
		    t->home);
		return -1;
	}
	return 0;
}

static size_t netns_split(char *cmd, char **argv, size_t max);

/*
 * Where program is inside root, as the clone's execvp would find it (a
 * path, or a name looked up in NETNS_PATH): into where, the path inside.
 * Looked up from the host, where root's directories are in the cache,
 * not from the clone's fresh overlay, where each miss costs.
 */
static bool
netns_which(const char *root, const char *program, char *where, size_t size)
{
	char buf[VMM_PATH_MAX];

	if (strchr(program, '/'))
		return snprintf(buf, sizeof(buf), "%s/%s", root, program) <
		    (int)sizeof(buf) && access(buf, X_OK) == 0 &&
		    snprintf(where, size, "%s", program) < (int)size;
	for (const char *p = NETNS_PATH; *p; ) {
		size_t n = strcspn(p, ":");

		if (snprintf(buf, sizeof(buf), "%s/%.*s/%s", root, (int)n, p,
			program) < (int)sizeof(buf) && access(buf, X_OK) == 0)
			return snprintf(where, size, "%.*s/%s", (int)n, p,
			    program) < (int)size;
		p += n;
		if (*p == ':')
			p++;
	}
	return false;
}

/*
 * The root must be a directory root can read; an absolute link inside it
 * would be resolved on the host by this check, so programs are looked up
 * as the clone will, relative to root, and links are the clone's business.
 */
static int
netns_root_ok(const struct vmm_type *t)
{
	struct stat st;

	if (stat(t->root, &st) == 0 && !S_ISDIR(st.st_mode))
		errno = ENOTDIR;
	else if (stat(t->root, &st) == 0)
		return 0;
	warn("type %s: root %s", t->name, t->root);
	return -1;
}

/*
 * Nothing to boot or save: netns clones start their services afresh.  The
 * snapshot checks that the root is there, that every service's program is
 * in it, and that the type's ids are no host user's; it records that the
 * type was prepared.
 */
static int
netns_snapshot(const struct vmm_conf *conf, const struct vmm_type *t,
    bool force)
{
	char dir[VMM_PATH_MAX], path[VMM_PATH_MAX], line[128];

	(void)force;
	if (netns_root_ok(t) == -1)
		return -1;
	for (size_t i = 0; i < t->nservices; i++) {
		char cmd[1024], *argv[64];

		snprintf(cmd, sizeof(cmd), "%s", t->services[i]);
		if (netns_split(cmd, argv, 64) > 0 &&
		    !netns_which(t->root, argv[0], path, sizeof(path))) {
			warnx("type %s: service '%s': %s: not found or not "
			    "executable in %s", t->name, t->services[i], argv[0],
			    t->root);
			return -1;
		}
	}
	if (vmm_ids_free(conf, t) == -1 ||
	    vmm_snapshot_dir(conf, t->name, dir, sizeof(dir)) == -1)
		return -1;
	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		warn("creating %s", dir);
		return -1;
	}
	snprintf(line, sizeof(line), "backend=netns created=%llu\n",
	    (unsigned long long)wall_ms());
	if (vmm_path(path, sizeof(path), "%s/snapshot", dir) == -1 ||
	    vmm_write_file(path, line, strlen(line), 0640) == -1)
		return -1;
	fprintf(stderr, "%s: type %s: netns clones start their services "
	    "afresh; nothing to save\n", vmm_progname(), t->name);
	/* Clones waiting in the pool were made from the type as it was. */
	if (t->pool && (pool_drain(conf, t) == -1 || pool_fill(conf, t, true) == -1))
		return -1;
	return 0;
}

/* /run/netns as `ip netns` keeps it: a shared mount point. */
static int
netns_dir_ready(const char *dir)
{
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		warn("creating %s", dir);
		return -1;
	}
	if (mount("", dir, "none", MS_SHARED, NULL) == 0)
		return 0;
	if (errno != EINVAL ||
	    mount(dir, dir, "none", MS_BIND | MS_REC, NULL) == -1 ||
	    mount("", dir, "none", MS_SHARED, NULL) == -1) {
		warn("making %s a shared mount", dir);
		return -1;
	}
	return 0;
}

/* Split a service command at blanks into argv (modified in place). */
static size_t
netns_split(char *cmd, char **argv, size_t max)
{
	size_t n = 0;

	for (char *save = NULL, *w = strtok_r(cmd, " \t", &save);
	    w != NULL && n < max - 1; w = strtok_r(NULL, " \t", &save))
		argv[n++] = w;
	argv[n] = NULL;
	return n;
}

/* What the clone's build (in its mount namespace) and leader need. */
struct netns_job {
	const struct vmm_conf *conf;
	const struct vmm_type *t;
	struct vmm_vm *vm;
	char lower[VMM_PATH_MAX];	/* where the id-mapped root is bound */
	char prog[VMM_MAX_SERVICES][VMM_PATH_MAX];	/* each service's, inside */
	int console;
};

/*
 * The root: the type's root id-mapped and read-only under an overlay
 * whose upper layer is the clone's; then /dev, and the type's binds.
 */
static int
netns_build(const struct cage *c, void *arg)
{
	struct netns_job *j = arg;
	const struct vmm_type *t = j->t;
	char opts[4 * VMM_PATH_MAX], up[VMM_PATH_MAX], work[VMM_PATH_MAX];
	char dst[VMM_PATH_MAX];

	if (cage_bind(c, t->root, j->lower, CAGE_MAPPED) == -1 ||
	    layer_path(j->conf, j->vm->id, "upper", up, sizeof(up)) == -1 ||
	    layer_path(j->conf, j->vm->id, "work", work, sizeof(work)) == -1)
		return -1;
	/* Every copy-up whole (metacopy=off), renamed directories copied
	 * (redirect_dir=off): the upper layer alone tells what changed. */
	if (vmm_path(opts, sizeof(opts), "lowerdir=%s,upperdir=%s,workdir=%s,"
	    "metacopy=off,redirect_dir=off", j->lower, up, work) == -1)
		return -1;
	if (mount("overlay", c->stage, "overlay", MS_NOSUID | MS_NODEV,
		opts) == -1) {
		warn("clone %u: mounting its root (overlay on %s)", c->id, t->root);
		return -1;
	}
	if (vmm_path(dst, sizeof(dst), "%s/dev", c->stage) == -1 ||
	    cage_mkpoint(c, dst, false) == -1 || cage_dev(c, dst) == -1)
		return -1;
	for (const char *const *p = (const char *const[]){ "/proc", "/sys",
	    "/tmp", NULL }; *p; p++)
		if (vmm_path(dst, sizeof(dst), "%s%s", c->stage, *p) == -1 ||
		    cage_mkpoint(c, dst, false) == -1)
			return -1;
	for (size_t i = 0; i < t->nbinds; i++) {
		const struct vmm_bind *b = &t->binds[i];
		char src[VMM_PATH_MAX];
		struct stat st;

		snprintf(src, sizeof(src), "%.*s", (int)strcspn(b->src, ":"),
		    b->src);
		if (stat(src, &st) == -1) {
			warn("type %s: binds: %s", t->name, src);
			return -1;
		}
		if (vmm_path(dst, sizeof(dst), "%s%s", c->stage, b->dst) == -1 ||
		    cage_mkpoint(c, dst, !S_ISDIR(st.st_mode)) == -1 ||
		    cage_bind(c, src, dst, b->rw ? CAGE_RW : 0) == -1)
			return -1;
	}
	return 0;
}

/*
 * The leader, PID 1 of the clone: session leader and reaper of its
 * services, which it starts with a clean environment (nothing of the
 * host's, nothing that names Potemkin).  It exits when the last of them
 * has; an exec failure is told on errfd, the clone command's stderr, closed
 * by every successful exec.
 */
static _Noreturn void
netns_leader(const struct cage *c, void *arg)
{
	struct netns_job *j = arg;
	const struct vmm_type *t = j->t;
	int fd;

	setsid();
	/* Not to be traced or read through /proc by what it starts, and
	 * nothing of the clone command's to show it: PID 1 is init. */
	prctl(PR_SET_DUMPABLE, 0);
	vmm_retitle("/sbin/init");
	if (dup2(j->console, 1) == -1 || dup2(j->console, 2) == -1 ||
	    chdir(t->home) == -1) {
		dprintf(c->errfd, "%s: clone %u: starting services in %s: %s\n",
		    vmm_progname(), c->id, t->home, strerror(errno));
		_exit(1);
	}
	if ((fd = open("/dev/null", O_RDONLY)) != -1 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	/* Not one descriptor of the clone command may live on in the clone. */
	if (c->errfd > 3)
		close_range(3, (unsigned)c->errfd - 1, 0);
	close_range((unsigned)c->errfd + 1, UINT_MAX, 0);
	clearenv();
	setenv("PATH", NETNS_PATH, 1);
	setenv("HOME", "/root", 1);
	for (size_t i = 0; i < t->nservices; i++) {
		char cmd[1024], *argv[64];

		snprintf(cmd, sizeof(cmd), "%s", t->services[i]);
		if (netns_split(cmd, argv, 64) == 0)
			continue;
		if (fork() == 0) {
			prctl(PR_SET_DUMPABLE, 1);
			if (j->prog[i][0])
				execv(j->prog[i], argv);
			else
				execvp(argv[0], argv);
			dprintf(c->errfd, "%s: clone %u: service '%s': %s\n",
			    vmm_progname(), c->id, t->services[i],
			    strerror(errno));
			_exit(127);
		}
	}
	close(c->errfd);
	while (wait(NULL) != -1 || errno == EINTR)
		;
	_exit(0);
}

/* pk<ID>'s own MAC, known in advance for the clone's ARP entry. */
static void
netns_host_mac(unsigned id, uint8_t mac[6])
{
	uint8_t m[6] = { 0x02, 0x50, 0x4c, (uint8_t)(id >> 16), (uint8_t)(id >> 8),
	    (uint8_t)id };

	memcpy(mac, m, sizeof(m));
}

/*
 * Host side, through a netlink socket opened in the host's namespace (a
 * socket keeps its namespace whatever its process does later): the veth
 * into the clone's namespace, then pk<ID> gets gw/32 and rp_filter off.
 */
static int
netns_host_net(const struct vmm_type *t, struct vmm_vm *vm,
    struct mnl_socket *host, int nsfd, bool *made)
{
	char what[4][64];
	struct nl_batch b;
	uint8_t mac[6], hmac[6];
	int ifindex;

	mac_parse(vm->rec.mac, strlen(vm->rec.mac), mac);
	netns_host_mac(vm->id, hmac);
	snprintf(what[3], sizeof(what[3]), "setting %s up", vm->rec.ifname);
	snprintf(what[0], sizeof(what[0]), "creating veth %s", vm->rec.ifname);
	snprintf(what[1], sizeof(what[1]), "turning rp_filter off on %s",
	    vm->rec.ifname);
	snprintf(what[2], sizeof(what[2]), "adding gw_ip/32 to %s",
	    vm->rec.ifname);
	nl_begin(&b, host);
	if (nl_add_veth(&b, vm->rec.ifname, hmac, "eth0", nsfd, mac,
		what[0]) == -1 ||
	    nl_commit(&b) == -1)
		return -1;
	*made = true;
	if ((ifindex = nl_ifindex(host, vm->rec.ifname)) == -1)
		return -1;
	nl_begin(&b, host);
	if (nl_rp_filter_off(&b, (unsigned)ifindex, what[1]) == -1 ||
	    nl_link_up(&b, (unsigned)ifindex, what[3]) == -1 ||
	    nl_add_addr(&b, (unsigned)ifindex, t->gw_ip, 32, what[2]) == -1)
		return -1;
	return nl_commit(&b);
}

/*
 * Inside: lo and eth0 up, the address on eth0, default route via gw_ip, and
 * a permanent ARP entry for gw_ip: no ARP exchange before a clone's first
 * answer, and no learned entry counted against the host's neighbour table.
 */
static int
netns_guest_net(const struct vmm_type *t, struct vmm_vm *vm,
    struct mnl_socket *sock)
{
	int eth0 = nl_ifindex(sock, "eth0");
	struct nl_batch b;
	uint8_t hmac[6];

	if (eth0 == -1)
		return -1;
	netns_host_mac(vm->id, hmac);
	nl_begin(&b, sock);
	/* A clone made for the pool gets its address when taken. */
	if (nl_link_up(&b, 1, "setting lo up") == -1 ||
	    nl_link_up(&b, (unsigned)eth0, "setting eth0 up") == -1 ||
	    (vm->rec.guest_ip != 0 &&
	    nl_add_addr(&b, (unsigned)eth0, vm->rec.guest_ip, t->prefix,
		"adding the guest address to eth0") == -1) ||
	    nl_add_default(&b, (unsigned)eth0, t->gw_ip,
		"adding the default route via gw_ip") == -1 ||
	    nl_add_neigh(&b, (unsigned)eth0, t->gw_ip, hmac,
		"adding the ARP entry of gw_ip") == -1)
		return -1;
	return nl_commit(&b);
}

/*
 * Wait until every ready_tcp port listens and both ends of the veth are
 * operationally up, until the services die, or time out.  A veth end
 * brought up before its peer starts with its queueing discipline inactive
 * until the kernel's link watch gets to it; a packet sent before then is
 * dropped, and the first SYN to a clone would wait for a retransmission.
 */
static int
netns_wait_ready(const struct vmm_type *t, struct vmm_vm *vm,
    struct mnl_socket *diag, struct mnl_socket *host, struct mnl_socket *ns,
    pid_t leader)
{
	uint64_t deadline = mono_ms() + t->ready_timeout_ms;
	int hostidx = nl_ifindex(host, vm->rec.ifname);
	int eth0 = nl_ifindex(ns, "eth0");
	useconds_t pause = 100;
	bool links = false;
	int status;

	if (hostidx == -1 || eth0 == -1)
		return -1;
	for (;;) {
		int n = nl_tcp_listening(diag, t->ready_tcp, t->nready_tcp);

		if (n == -1)
			return -1;
		if (!links) {
			int h = nl_oper_up(host, (unsigned)hostidx);
			int g = nl_oper_up(ns, (unsigned)eth0);

			if (h == -1 || g == -1)
				return -1;
			links = h && g;
		}
		if ((size_t)n == t->nready_tcp && links)
			return 0;
		if (waitpid(leader, &status, WNOHANG) == leader) {
			warnx("clone %u: type %s: every service exited before "
			    "listening (see the errors above)", vm->id, t->name);
			return -1;
		}
		if (vmm_stop) {
			warnx("clone %u: interrupted", vm->id);
			return -1;
		}
		if (mono_ms() >= deadline) {
			warnx("clone %u: type %s: %s within %llu ms", vm->id,
			    t->name, links ? "services not listening on every "
			    "ready_tcp port" : "its veth did not come up",
			    (unsigned long long)t->ready_timeout_ms);
			return -1;
		}
		usleep(pause);
		if (pause < 800)
			pause *= 2;
	}
}

static int
netns_nspath(const struct vmm_conf *conf, unsigned id, char *buf, size_t size)
{
	return vmm_path(buf, size, "%s/pk%u", conf->netns_dir, id);
}

/*
 * No IPv6 in a clone: the gateway drops it anyway (doc/ARCHITECTURE.md
 * section 10), eth0 then sends no router or multicast listener solicitations, and
 * bringing it up skips IPv6's address configuration, which is a good part
 * of what a clone's network costs.  Services binding to :: still take IPv4
 * connections.  Set before eth0 exists, in the clone's namespace (where
 * /proc/sys/net now points).
 */
static void
netns_no_ipv6(void)
{
	static const char *const files[] = {
		"/proc/sys/net/ipv6/conf/default/disable_ipv6",
		"/proc/sys/net/ipv6/conf/all/disable_ipv6",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		int fd = open(files[i], O_WRONLY | O_CLOEXEC);

		if (fd == -1)
			continue;	/* a kernel without IPv6 */
		if (write(fd, "1", 1) != 1)
			warn("%s", files[i]);
		close(fd);
	}
}

/*
 * In the clone's network namespace: IPv6 off, and the netlink sockets
 * that configure and watch it from there; then back to the host's.
 */
static int
netns_inside(struct vmm_vm *vm, int nsfd, struct mnl_socket **nssock,
    struct mnl_socket **diag)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC), rc = -1;

	if (self == -1 || setns(nsfd, CLONE_NEWNET) == -1) {
		warn("clone %u: entering its network namespace", vm->id);
		goto out;
	}
	netns_no_ipv6();
	if ((*nssock = nl_open(NETLINK_ROUTE)) != NULL &&
	    (*diag = nl_open(NETLINK_SOCK_DIAG)) != NULL)
		rc = 0;
	if (setns(self, CLONE_NEWNET) == -1)
		err(1, "returning to the host's network namespace");
out:
	if (self != -1)
		close(self);
	return rc;
}

/* Bind the clone's network namespace to nspath, as `ip netns add` does. */
static int
netns_pin(pid_t pid, const char *nspath)
{
	char ns[64];
	int fd = open(nspath, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);

	if (fd == -1) {
		warn("creating %s", nspath);
		return -1;
	}
	close(fd);
	snprintf(ns, sizeof(ns), "/proc/%d/ns/net", (int)pid);
	if (mount(ns, nspath, "none", MS_BIND, NULL) == -1) {
		warn("mounting namespace on %s", nspath);
		unlink(nspath);
		return -1;
	}
	return 0;
}

static void
netns_unpin(const char *nspath)
{
	if (umount2(nspath, MNT_DETACH) == -1 && errno != EINVAL &&
	    errno != ENOENT)
		warn("unmounting %s", nspath);
	if (unlink(nspath) == -1 && errno != ENOENT)
		warn("removing %s", nspath);
}

/*
 * The clone's mount points, in its layer's directory (on the memory
 * directory's tmpfs, where making them costs no journal): its root, and
 * the type's root id-mapped beneath it.
 */
static int
netns_stage(const struct vmm_conf *conf, struct vmm_vm *vm,
    struct netns_job *j, char *stage, size_t size)
{
	if (layer_path(conf, vm->id, "root", stage, size) == -1 ||
	    layer_path(conf, vm->id, "lower", j->lower, sizeof(j->lower)) == -1)
		return -1;
	if (mkdir(stage, 0700) == -1 || mkdir(j->lower, 0700) == -1) {
		warn("clone %u: creating its mount points", vm->id);
		return -1;
	}
	return 0;
}

/* Everything of a clone but its directory; absent parts are no error. */
static int
netns_release(const struct vmm_conf *conf, struct vmm_vm *vm)
{
	char nspath[VMM_PATH_MAX];
	struct cgroup cg;
	int rc = 0;

	if (cgroup_of(conf, vm->type, vm->id, &cg) == -1 || cgroup_remove(&cg) == -1)
		rc = -1;
	if (netns_nspath(conf, vm->id, nspath, sizeof(nspath)) == -1)
		return -1;
	netns_unpin(nspath);
	/* The layer only once nothing of the clone runs: its upper directory
	 * is the clone's to change while root walks it. */
	if (rc == 0 && layer_remove(conf, vm->id) == -1)
		rc = -1;
	return rc;
}

/*
 * The clone's network, by a child of ours: IPv6 off in the namespace,
 * the veth, the addresses and routes on both ends.  A child, not a thread,
 * because building the root enters the clone's mount namespace, which a
 * process sharing its file system information with a thread may not.  It
 * exits 0 when done, 2 when it failed after making the veth, else 1.
 */
static pid_t
netns_net_start(const struct vmm_type *t, struct vmm_vm *vm, int nsfd)
{
	struct mnl_socket *host, *ns = NULL, *diag = NULL;
	bool link = false;
	pid_t pid = fork();

	if (pid == -1)
		warn("clone %u: making its network", vm->id);
	if (pid != 0)
		return pid;
	if ((host = nl_open(NETLINK_ROUTE)) == NULL ||
	    netns_inside(vm, nsfd, &ns, &diag) == -1 ||
	    netns_host_net(t, vm, host, nsfd, &link) == -1 ||
	    netns_guest_net(t, vm, ns) == -1)
		_exit(link ? 2 : 1);
	_exit(0);
}

/*
 * Wait for the network's maker, which has told what went wrong; *link:
 * did it make the veth (and must it go)?
 */
static int
netns_net_end(const struct vmm_vm *vm, pid_t pid, bool *link)
{
	int status;

	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			warn("clone %u: waiting for its network", vm->id);
			return -1;
		}
	*link = !WIFEXITED(status) || WEXITSTATUS(status) != 1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		warnx("clone %u: making its network: killed by signal %d",
		    vm->id, WTERMSIG(status));
	return -1;
}

/* A pooled clone's leader, where teardown and pool_take find it before a
 * record. */
static int
netns_write_leader(const struct vmm_vm *vm)
{
	char path[VMM_PATH_MAX], buf[16];

	snprintf(buf, sizeof(buf), "%ld\n", vm->rec.pid);
	return vmm_path(path, sizeof(path), "%s/leader.pid", vm->dir) ||
	    vmm_write_file(path, buf, strlen(buf), 0640) ? -1 : 0;
}

static long
netns_read_leader(const struct vmm_vm *vm)
{
	char path[VMM_PATH_MAX], buf[16];

	if (vmm_path(path, sizeof(path), "%s/leader.pid", vm->dir) == -1 ||
	    vmm_read_file(path, buf, sizeof(buf), NULL) == -1)
		return -1;
	return strtol(buf, NULL, 10);
}

/*
 * A clone: for the caller (its address in the record), or for the pool
 * (no address yet: pool_take gives it the one asked for).
 */
static int
netns_make(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm, bool pooled)
{
	struct mnl_socket *host = NULL, *nssock = NULL, *diag = NULL;
	struct netns_job job = { .conf = conf, .t = t, .vm = vm, .console = -1 };
	char nspath[VMM_PATH_MAX], stage[VMM_PATH_MAX], nsproc[64];
	struct cage c = {
		.type = t, .id = vm->id, .userns = true, .stage = stage,
		.build = netns_build, .run = netns_leader, .arg = &job,
		.errfd = -1, .pid = -1, .gofd = -1, .rootfd = -1,
		.extra_gid = (gid_t)-1,
	};
	struct cgroup cg;
	int nsfd = -1, rc = -1;
	pid_t net = -1;
	bool link = false, made = false;

	snprintf(vm->rec.ifname, sizeof(vm->rec.ifname), "pk%u", vm->id);
	vmm_mac_for_id(vm->id, vm->rec.mac);
	vm->rec.guest_ip = pooled ? 0 : vm->rec.has_ip ? vm->rec.ip : t->guest_ip;
	vm->rec.gw_ip = t->gw_ip;
	for (size_t i = 0; i < t->nservices; i++) {
		char cmd[1024], *argv[64];

		snprintf(cmd, sizeof(cmd), "%s", t->services[i]);
		if (netns_split(cmd, argv, 64) == 0 ||
		    !netns_which(t->root, argv[0], job.prog[i], sizeof(job.prog[i])))
			job.prog[i][0] = '\0';
	}
	if (netns_root_ok(t) == -1 ||
	    netns_nspath(conf, vm->id, nspath, sizeof(nspath)) == -1 ||
	    netns_dir_ready(conf->netns_dir) == -1 ||
	    cgroup_of(conf, t, vm->id, &cg) == -1)
		return -1;
	if (cgroup_create(t, &cg) == -1)
		return -1;
	made = true;
	if ((job.console = layer_create(conf, t, vm, true)) == -1 ||
	    netns_stage(conf, vm, &job, stage, sizeof(stage)) == -1 ||
	    (c.errfd = fcntl(2, F_DUPFD_CLOEXEC, 3)) == -1 ||
	    (host = nl_open(NETLINK_ROUTE)) == NULL)
		goto out;
	c.keep[c.nkeep++] = job.console;
	/* Its root is built while it makes its network namespace. */
	if (cage_spawn(&c, &cg) == -1 || cage_build(&c) == -1 ||
	    cage_net(&c) == -1)
		goto out;
	if (cage_go(&c) == -1)
		goto out;
	/* The leader has what it needs; the command keeps nothing of it. */
	close(job.console);
	job.console = -1;
	close(c.errfd);
	c.errfd = -1;
	if (netns_pin(c.pid, nspath) == -1)
		goto out;
	snprintf(nsproc, sizeof(nsproc), "/proc/%d/ns/net", (int)c.pid);
	if ((nsfd = open(nsproc, O_RDONLY | O_CLOEXEC)) == -1) {
		warn("clone %u: its network namespace", vm->id);
		goto out;
	}
	/* The network is made while the services start; it is ready by the
	 * time they listen. */
	if ((net = netns_net_start(t, vm, nsfd)) == -1)
		goto out;
	rc = netns_net_end(vm, net, &link);
	net = -1;
	if (rc == -1 || netns_inside(vm, nsfd, &nssock, &diag) == -1 ||
	    netns_wait_ready(t, vm, diag, host, nssock, c.pid) == -1) {
		rc = -1;
		goto out;
	}
	vm->rec.pid = c.pid;
	if (pooled && netns_write_leader(vm) == -1)
		rc = -1;
out:
	if (rc == -1) {
		if (net > 0)
			netns_net_end(vm, net, &link);
		cage_kill(&c);
		if (link)
			nl_delete_on(host, vm->rec.ifname);
		if (made)
			netns_release(conf, vm);
	}
	if (job.console != -1)
		close(job.console);
	if (c.errfd != -1)
		close(c.errfd);
	nl_close(host);
	nl_close(nssock);
	nl_close(diag);
	if (nsfd != -1)
		close(nsfd);
	return rc;
}

static int
netns_clone(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm)
{
	if (netns_make(conf, t, vm, false) == -1)
		return -1;
	if (t->pool)
		pool_kick(conf, t);	/* the pool ran dry: refill */
	return 0;
}

/* The record's pid (or, in the pool, the one we wrote) is ours only if
 * it still lives in our namespace. */
static pid_t
netns_leader_of(const struct vmm_conf *conf, const struct vmm_vm *vm)
{
	char nspath[VMM_PATH_MAX];
	long pid = vm->rec.pid > 0 ? vm->rec.pid : netns_read_leader(vm);

	if (pid <= 0 ||
	    netns_nspath(conf, vm->id, nspath, sizeof(nspath)) == -1)
		return -1;
	if (!vmm_pid_alive(pid) || !proctree_in_netns((pid_t)pid, nspath))
		return -1;
	return (pid_t)pid;
}

static int
netns_pool_make(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm)
{
	return netns_make(conf, t, vm, true);
}

/* Out of the pool: its address on eth0, the record of a clone. */
static int
netns_pool_take(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm)
{
	char nspath[VMM_PATH_MAX];
	struct mnl_socket *ns = NULL, *diag = NULL;
	struct nl_batch b;
	int nsfd, eth0, rc = -1;

	snprintf(vm->rec.ifname, sizeof(vm->rec.ifname), "pk%u", vm->id);
	vmm_mac_for_id(vm->id, vm->rec.mac);
	vm->rec.guest_ip = vm->rec.has_ip ? vm->rec.ip : t->guest_ip;
	vm->rec.gw_ip = t->gw_ip;
	if ((vm->rec.pid = netns_leader_of(conf, vm)) <= 0) {
		warnx("clone %u: its processes are gone", vm->id);
		return -1;
	}
	if (netns_nspath(conf, vm->id, nspath, sizeof(nspath)) == -1)
		return -1;
	if ((nsfd = open(nspath, O_RDONLY | O_CLOEXEC)) == -1) {
		warn("%s", nspath);
		return -1;
	}
	if (netns_inside(vm, nsfd, &ns, &diag) == 0 &&
	    (eth0 = nl_ifindex(ns, "eth0")) != -1) {
		nl_begin(&b, ns);
		if (nl_add_addr(&b, (unsigned)eth0, vm->rec.guest_ip, t->prefix,
			"adding the guest address to eth0") == 0 &&
		    nl_commit(&b) == 0)
			rc = 0;
	}
	nl_close(ns);
	nl_close(diag);
	close(nsfd);
	return rc;
}

/*
 * Kill the leader, PID 1 of the clone (the kernel kills the rest), empty
 * and remove its cgroup, unpin its namespace, drop its layer.  The veth
 * goes with the namespace once its last process is gone: the kernel then
 * deletes both ends in its cleanup work, batched with other namespaces,
 * instead of making teardown wait for an RCU grace period per deleted link
 * as RTM_DELLINK would.
 */
static int
netns_teardown(const struct vmm_conf *conf, struct vmm_vm *vm)
{
	pid_t leader = netns_leader_of(conf, vm);

	pool_forget(conf, vm);
	if (leader > 0)
		kill(leader, SIGKILL);
	return netns_release(conf, vm);
}

static bool
netns_alive(const struct vmm_conf *conf, const struct vmm_vm *vm)
{
	return netns_leader_of(conf, vm) > 0;
}

static int
netns_freeze(const struct vmm_conf *conf, struct vmm_vm *vm,
    const char *evdir)
{
	pid_t leader = netns_leader_of(conf, vm);
	struct proctree *tree;
	struct cgroup cg;
	char method[VMM_PATH_MAX + 8], upper[VMM_PATH_MAX];
	int rc = -1;

	if (leader <= 0) {
		warnx("clone %u: its processes are gone", vm->id);
		return -1;
	}
	if ((tree = malloc(sizeof(*tree))) == NULL) {
		warn("freezing clone %u", vm->id);
		return -1;
	}
	if (cgroup_of(conf, vm->type, vm->id, &cg) == -1 || cgroup_freeze(&cg) == -1)
		goto out;
	snprintf(method, sizeof(method), "cgroup %s",
	    cg.dir[cg.version == 2 ? 0 : CG_FREEZER]);
	proctree_walk(leader, tree);
	if (evidence_netns(vm, tree, evdir, method) == -1 ||
	    layer_path(conf, vm->id, "upper", upper, sizeof(upper)) == -1 ||
	    evidence_layer(evdir, upper, vm->type ? vm->type->ids : 0) == -1)
		goto out;
	rc = 0;
	/* What the clone made there may refuse the copy (a link where a
	 * directory was copied before): told, never the end of the evidence. */
	if (vm->type)
		for (size_t i = 0; i < vm->type->nevidence_paths; i++)
			if (evidence_path(evdir, leader,
				vm->type->evidence_paths[i]) == -1 &&
			    evidence_note(evdir, "files%s: not copied whole "
				"(see the errors of %s)",
				vm->type->evidence_paths[i], vmm_progname()) == -1)
				rc = -1;
out:
	free(tree);
	return rc;
}

const struct vmm_backend vmm_netns_backend = {
	.name = "netns",
	.memory = "host",
	.sandboxed = true,
	.check = netns_check,
	.snapshot = netns_snapshot,
	.clone = netns_clone,
	.teardown = netns_teardown,
	.freeze = netns_freeze,
	.alive = netns_alive,
	.pool_make = netns_pool_make,
	.pool_take = netns_pool_take,
};
