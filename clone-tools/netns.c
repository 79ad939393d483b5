/*
 * The netns backend: a clone is a named network namespace pk<ID> joined to
 * the host by a veth pair (pk<ID> outside, eth0 inside) with the type's
 * service commands running in it.  It shares the host kernel: cheap and
 * fast, medium interaction only.
 *
 * Cost matters here (a clone in a few milliseconds, a thousand alive): the
 * namespace is made by unshare(2) and a bind mount, the network by two
 * rtnetlink batches, readiness is seen through sock_diag; no `ip` process is
 * ever run.  The services hang under a small leader process that is their
 * session, process group and child subreaper, so every descendant, even one
 * that made a session of its own, is found from the leader.
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

#include "addr.h"
#include "evidence.h"
#include "freezer.h"
#include "monotime.h"
#include "nl.h"
#include "proctree.h"
#include "vmm.h"

static int
netns_check(const struct vmm_conf *conf, const struct vmm_type *t)
{
	(void)conf;
	if (t->home[0] != '/') {
		warnx("type %s: home: '%s' is not an absolute path", t->name,
		    t->home);
		return -1;
	}
	return 0;
}

static size_t netns_split(char *cmd, char **argv, size_t max);

/* Is program (a path, or a name to look up in PATH) executable? */
static bool
netns_found(const char *program)
{
	const char *path = getenv("PATH");
	char buf[VMM_PATH_MAX];

	if (strchr(program, '/'))
		return access(program, X_OK) == 0;
	for (const char *p = path ? path : "/usr/bin:/bin"; *p; ) {
		size_t n = strcspn(p, ":");

		if (snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, program) <
		    (int)sizeof(buf) && access(buf, X_OK) == 0)
			return true;
		p += n;
		if (*p == ':')
			p++;
	}
	return false;
}

/*
 * Nothing to boot or save: netns clones start their services afresh.  The
 * snapshot checks that every service's program can be found, and records
 * that the type was prepared.
 */
static int
netns_snapshot(const struct vmm_conf *conf, const struct vmm_type *t,
    bool force)
{
	char dir[VMM_PATH_MAX], path[VMM_PATH_MAX], line[128];

	(void)force;
	for (size_t i = 0; i < t->nservices; i++) {
		char cmd[1024], *argv[64];

		snprintf(cmd, sizeof(cmd), "%s", t->services[i]);
		if (netns_split(cmd, argv, 64) > 0 && !netns_found(argv[0])) {
			warnx("type %s: service '%s': %s: not found or not "
			    "executable", t->name, t->services[i], argv[0]);
			return -1;
		}
	}
	if (vmm_snapshot_dir(conf, t->name, dir, sizeof(dir)) == -1)
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
	if (mount("", dir, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL ||
	    mount(dir, dir, "none", MS_BIND | MS_REC, NULL) == -1 ||
	    mount("", dir, "none", MS_SHARED | MS_REC, NULL) == -1) {
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

static void
netns_env(const struct vmm_type *t, const struct vmm_vm *vm)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%u", vm->id);
	setenv("POTEMKIN_ID", buf, 1);
	setenv("POTEMKIN_TYPE", t->name, 1);
	setenv("POTEMKIN_IP", addr_fmt(vm->rec.guest_ip, buf), 1);
	setenv("POTEMKIN_DIR", vm->dir, 1);
}

/*
 * The leader: session and group leader, child subreaper, reaper of its
 * services.  It exits when the last of them has; an exec failure is told on
 * errfd, the clone command's stderr, closed by every successful exec.
 */
static _Noreturn void
netns_leader(const struct vmm_type *t, const struct vmm_vm *vm, int errfd)
{
	char log[VMM_PATH_MAX + 16];
	int fd;

	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	setsid();
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	snprintf(log, sizeof(log), "%s/console.log", vm->dir);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0640);
	if (fd == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1 ||
	    chdir(t->home) == -1) {
		dprintf(errfd, "%s: clone %u: starting services in %s: %s\n",
		    vmm_progname(), vm->id, t->home, strerror(errno));
		_exit(1);
	}
	close(0);
	open("/dev/null", O_RDONLY);
	/* Not one descriptor of the clone command, above all not the lock on
	 * the clone's directory, may live on in the leader. */
	if (errfd > 3)
		close_range(3, (unsigned)errfd - 1, 0);
	close_range((unsigned)errfd + 1, UINT_MAX, 0);
	netns_env(t, vm);
	for (size_t i = 0; i < t->nservices; i++) {
		char cmd[1024], *argv[64];
		pid_t pid;

		snprintf(cmd, sizeof(cmd), "%s", t->services[i]);
		if (netns_split(cmd, argv, 64) == 0)
			continue;
		if ((pid = fork()) == 0) {
			execvp(argv[0], argv);
			dprintf(errfd, "%s: clone %u: service '%s': %s\n",
			    vmm_progname(), vm->id, t->services[i],
			    strerror(errno));
			_exit(127);
		}
	}
	close(errfd);
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

	nl_parse_mac(vm->rec.mac, mac);
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
	unsigned eth0 = if_nametoindex("eth0");
	struct nl_batch b;
	uint8_t hmac[6];

	if (eth0 == 0) {
		warn("clone %u: eth0", vm->id);
		return -1;
	}
	netns_host_mac(vm->id, hmac);
	nl_begin(&b, sock);
	if (nl_link_up(&b, 1, "setting lo up") == -1 ||
	    nl_link_up(&b, eth0, "setting eth0 up") == -1 ||
	    nl_add_addr(&b, eth0, vm->rec.guest_ip, t->prefix,
		"adding the guest address to eth0") == -1 ||
	    nl_add_default(&b, eth0, t->gw_ip,
		"adding the default route via gw_ip") == -1 ||
	    nl_add_neigh(&b, eth0, t->gw_ip, hmac,
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
 * No IPv6 in a clone: the gateway drops it anyway (DESIGN.md section 10),
 * eth0 then sends no router or multicast listener solicitations, and
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

/* Bind the namespace we are in to nspath, as `ip netns add` does. */
static int
netns_pin(const char *nspath)
{
	int fd = open(nspath, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);

	if (fd == -1) {
		warn("creating %s", nspath);
		return -1;
	}
	close(fd);
	if (mount("/proc/self/ns/net", nspath, "none", MS_BIND, NULL) == -1) {
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
 * The order is for speed on few CPUs: the services are started as soon as
 * the namespace exists (they bind to wildcard addresses, which needs no
 * interface), and start up while the network is built around them.
 */
static int
netns_clone(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm)
{
	struct mnl_socket *host = NULL, *nssock = NULL, *diag = NULL;
	int nsfd = -1, errfd = -1, rc = -1;
	char nspath[VMM_PATH_MAX];
	bool pinned = false, link = false;
	pid_t leader = -1;

	snprintf(vm->rec.ifname, sizeof(vm->rec.ifname), "pk%u", vm->id);
	vmm_mac_for_id(vm->id, vm->rec.mac);
	vm->rec.guest_ip = vm->rec.has_ip ? vm->rec.ip : t->guest_ip;
	vm->rec.gw_ip = t->gw_ip;
	if (netns_nspath(conf, vm->id, nspath, sizeof(nspath)) == -1 ||
	    netns_dir_ready(conf->netns_dir) == -1 ||
	    (host = nl_open(NETLINK_ROUTE)) == NULL)
		return -1;
	if (unshare(CLONE_NEWNET) == -1) {
		warn("creating a network namespace");
		goto out;
	}
	if ((nsfd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) == -1) {
		warn("opening the new network namespace");
		goto out;
	}
	if (netns_pin(nspath) == -1)
		goto out;
	pinned = true;
	netns_no_ipv6();
	if ((errfd = fcntl(2, F_DUPFD_CLOEXEC, 3)) == -1) {
		warn("dup");
		goto out;
	}
	if ((leader = fork()) == -1) {
		warn("fork");
		goto out;
	}
	if (leader == 0)
		netns_leader(t, vm, errfd);
	close(errfd);
	errfd = -1;
	if ((nssock = nl_open(NETLINK_ROUTE)) == NULL ||
	    (diag = nl_open(NETLINK_SOCK_DIAG)) == NULL ||
	    netns_host_net(t, vm, host, nsfd, &link) == -1 ||
	    netns_guest_net(t, vm, nssock) == -1 ||
	    netns_wait_ready(t, vm, diag, host, nssock, leader) == -1)
		goto out;
	vm->rec.pid = leader;
	rc = 0;
out:
	if (rc == -1) {
		if (leader > 0) {
			proctree_kill(leader);
			waitpid(leader, NULL, 0);
		}
		if (link)
			nl_delete_on(host, vm->rec.ifname);
		if (pinned)
			netns_unpin(nspath);
	}
	nl_close(host);
	nl_close(nssock);
	nl_close(diag);
	if (nsfd != -1)
		close(nsfd);
	if (errfd != -1)
		close(errfd);
	return rc;
}

/* The record's pid is ours only if it still lives in our namespace. */
static pid_t
netns_leader_of(const struct vmm_conf *conf, const struct vmm_vm *vm)
{
	char nspath[VMM_PATH_MAX];

	if (vm->rec.pid <= 0 ||
	    netns_nspath(conf, vm->id, nspath, sizeof(nspath)) == -1)
		return -1;
	if (!vmm_pid_alive(vm->rec.pid) ||
	    !proctree_in_netns((pid_t)vm->rec.pid, nspath))
		return -1;
	return (pid_t)vm->rec.pid;
}

/*
 * Kill the tree and unpin the namespace.  The veth goes with the namespace
 * once its last process is gone: the kernel then deletes both ends in its
 * cleanup work, batched with other namespaces, instead of making teardown
 * wait for an RCU grace period per deleted link as RTM_DELLINK would.
 */
static int
netns_teardown(const struct vmm_conf *conf, struct vmm_vm *vm)
{
	pid_t leader = netns_leader_of(conf, vm);
	char nspath[VMM_PATH_MAX];
	int rc = 0;

	if (netns_nspath(conf, vm->id, nspath, sizeof(nspath)) == -1)
		return -1;
	if (leader > 0)
		proctree_kill(leader);
	else
		proctree_kill_netns(nspath);	/* orphans of a dead leader */
	if (freezer_release(vm) == -1)
		rc = -1;
	netns_unpin(nspath);
	return rc;
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
	struct proctree *t;
	char method[VMM_PATH_MAX + 8];
	int rc = -1;

	if (leader <= 0) {
		warnx("clone %u: its processes are gone", vm->id);
		return -1;
	}
	if ((t = malloc(sizeof(*t))) == NULL) {
		warn("freezing clone %u", vm->id);
		return -1;
	}
	proctree_stop(leader, t);
	if (freezer_freeze(conf, vm, t, method, sizeof(method)) == -1)
		goto out;
	rc = evidence_netns(vm, t, evdir, method);
	if (vm->type)
		for (size_t i = 0; i < vm->type->nevidence_paths; i++)
			if (evidence_path(evdir, vm->type->evidence_paths[i]) == -1)
				rc = -1;
out:
	free(t);
	return rc;
}

const struct vmm_backend vmm_netns_backend = {
	.name = "netns",
	.memory = "host",
	.check = netns_check,
	.snapshot = netns_snapshot,
	.clone = netns_clone,
	.teardown = netns_teardown,
	.freeze = netns_freeze,
	.alive = netns_alive,
};
