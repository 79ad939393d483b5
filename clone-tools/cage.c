/* SPDX-License-Identifier: ISC */
/*
 * The cage: namespaces, ids, cgroup, root file system, capabilities, no new
 * privileges and a system call filter, by direct system calls (doc/cage.md
 * says why not a container runtime, and what each piece guarantees).
 *
 * The order matters for what can be trusted:
 * 1. clone3 makes the caged process (PID 1 of its namespace) in its
 *    namespaces at once, born in its cgroup.  With a user namespace, its
 *    owner is the type's first id, not root: the kernel charges what the
 *    clone's namespaces count (inotify instances, processes, signals) to
 *    that user, never to the host's root (shared, though, by the clones of
 *    a type).  The process then makes its network namespace itself, so
 *    that its user namespace owns it.
 * 2. Meanwhile the caller, still root, writes the id maps and builds the
 *    root file system in the process's mount namespace (setns there and
 *    back): the mounts that need the host's privilege (an overlay with
 *    trusted xattrs on tmpfs, id-mapped binds, a /dev whose nodes open)
 *    are made by the host's root.  They are not locked against a remount
 *    from inside: what keeps them as they are is that the process never
 *    again holds CAP_SYS_ADMIN over them, and that the filter refuses
 *    every mount call.
 * 3. Released, the process mounts what is its own (proc for its PID
 *    namespace, sysfs for its network namespace, devpts), pivots into the
 *    root and detaches the host's tree, then gives up every capability it
 *    will not need, sets no_new_privs and loads the filter, and only then
 *    runs anything of the clone's.
 */
#include "cage.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* cage_filter: the system call filter, built by cage-filter-gen. */
#include "cage-filter.inc"

#define CAGE_NS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC)

/*
 * What root inside a user namespace cage keeps, in its own namespaces only
 * (outside them a clone's process has no capability at all): a container
 * runtime's usual default set.  Not kept: CAP_SYS_ADMIN (mounts, namespaces),
 * CAP_NET_ADMIN (the clone's own network stays as the clone tools made it),
 * CAP_SYS_PTRACE, CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_SYS_BOOT, CAP_SYS_TIME,
 * CAP_SYS_RESOURCE, CAP_IPC_LOCK, CAP_BPF, CAP_PERFMON and the rest.
 */
static const int cage_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID, CAP_KILL,
	CAP_SETGID, CAP_SETUID, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_NET_RAW,
	CAP_SYS_CHROOT, CAP_MKNOD, CAP_AUDIT_WRITE, CAP_SETFCAP,
};

/* /proc entries that tell of the host: hidden, or read-only. */
static const char *const cage_proc_hidden[] = {
	"/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/kallsyms",
	"/proc/sched_debug", "/proc/latency_stats",
};
static const char *const cage_proc_readonly[] = {
	"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs",
};

/* ---- the caged process ------------------------------------------------- */

PK_PRINTF(2, 3) static _Noreturn void
cage_die(const struct cage *c, const char *fmt, ...)
{
	char msg[512];
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->id)
		dprintf(c->errfd, "%s: clone %u: %s: %s\n", vmm_progname(), c->id,
		    msg, strerror(e));
	else
		dprintf(c->errfd, "%s: type %s: the reference: %s: %s\n",
		    vmm_progname(), c->type->name, msg, strerror(e));
	_exit(1);
}

/* dst relative to the root being built, our working directory. */
static void
cage_mount(const struct cage *c, const char *src, const char *dst,
    const char *type, unsigned long flags, const char *opts)
{
	if (mount(src, dst, type, flags, opts) == -1)
		cage_die(c, "mounting %s on /%s", type, dst);
}

/* Mounts the cage's own namespaces give it, before the pivot. */
static void
cage_own_mounts(const struct cage *c)
{
	const unsigned long hard = MS_NOSUID | MS_NODEV | MS_NOEXEC;

	cage_mount(c, "proc", "proc", "proc", hard, NULL);
	cage_mount(c, "sysfs", "sys", "sysfs", hard | MS_RDONLY, NULL);
	cage_mount(c, "devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
	    "newinstance,ptmxmode=0666,mode=0620,gid=5");
	cage_mount(c, "shm", "dev/shm", "tmpfs", hard, "mode=1777");
}

/* After the pivot: what of /proc tells of the host, hidden or read-only. */
static void
cage_proc(const struct cage *c)
{
	for (size_t i = 0; i < sizeof(cage_proc_hidden) / sizeof(*cage_proc_hidden);
	    i++)
		if (mount("/dev/null", cage_proc_hidden[i], NULL, MS_BIND, NULL) ==
		    -1 && errno != ENOENT)
			cage_die(c, "hiding %s", cage_proc_hidden[i]);
	for (size_t i = 0;
	    i < sizeof(cage_proc_readonly) / sizeof(*cage_proc_readonly); i++) {
		const char *p = cage_proc_readonly[i];

		if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) == -1) {
			if (errno == ENOENT)
				continue;
			cage_die(c, "binding %s", p);
		}
		if (mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY |
			MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == -1)
			cage_die(c, "making %s read-only", p);
	}
}

static void
cage_pivot(const struct cage *c)
{
	if (syscall(SYS_pivot_root, ".", ".") == -1)
		cage_die(c, "pivoting into its root%s", errno != EINVAL ? "" :
		    " (the kernel will not leave a root that is the initramfs "
		    "itself: run on a host booted into a root of its own)");
	if (umount2(".", MNT_DETACH) == -1 || chdir("/") == -1)
		cage_die(c, "detaching the host's root");
}

/*
 * Wait for the caller's go, which carries the root it built: a descriptor,
 * since the path to it runs through the host's directories, which the
 * caged root may not search.
 */
static int
cage_wait_go(int gofd)
{
	char b, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &b, 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int fd;

	if (recvmsg(gofd, &m, MSG_CMSG_CLOEXEC) != 1 ||
	    (cm = CMSG_FIRSTHDR(&m)) == NULL || cm->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	return fd;
}

static int
cage_capset(uint64_t keep)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct d[2] = {
		{ (uint32_t)keep, (uint32_t)keep, 0 },
		{ (uint32_t)(keep >> 32), (uint32_t)(keep >> 32), 0 },
	};

	return (int)syscall(SYS_capset, &h, d);
}

/*
 * Inside a user namespace: the bounding set and this process's own
 * capabilities cut to cage_caps.  Without: nothing at all, as the type's
 * first id.
 */
static void
cage_drop(const struct cage *c)
{
	uint64_t keep = 0;

	if (c->userns)
		for (size_t i = 0; i < sizeof(cage_caps) / sizeof(*cage_caps); i++)
			keep |= 1ULL << cage_caps[i];
	for (int cap = 0; cap < 64; cap++) {
		if (keep & (1ULL << cap))
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == -1) {
			if (errno == EINVAL)
				break;	/* past the kernel's last capability */
			cage_die(c, "dropping capability %d", cap);
		}
	}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == -1)
		cage_die(c, "clearing ambient capabilities");
	if (c->userns) {
		if (cage_capset(keep) == -1)
			cage_die(c, "setting capabilities");
		return;
	}
	gid_t id = (gid_t)c->type->ids;

	if (setgroups(c->extra_gid != (gid_t)-1, &c->extra_gid) == -1 ||
	    setresgid(id, id, id) == -1 || setresuid(id, id, id) == -1)
		cage_die(c, "becoming id %u", c->type->ids);
}

/* Every descriptor above 2 but errfd and keep[] closed, gap by gap. */
static void
cage_close_fds(const struct cage *c)
{
	unsigned keep[5], n = 0, from = 3;

	if (c->errfd > 2)
		keep[n++] = (unsigned)c->errfd;
	for (size_t i = 0; i < c->nkeep && n < 5; i++)
		if (c->keep[i] > 2)
			keep[n++] = (unsigned)c->keep[i];
	for (unsigned i = 1; i < n; i++)	/* a handful: insertion sort */
		for (unsigned j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
			unsigned x = keep[j];

			keep[j] = keep[j - 1];
			keep[j - 1] = x;
		}
	for (unsigned i = 0; i < n; i++) {
		if (keep[i] > from)
			close_range(from, keep[i] - 1, 0);
		from = keep[i] + 1;
	}
	close_range(from, UINT_MAX, 0);
}

static const struct sock_fprog cage_prog = {
	.len = sizeof(cage_filter) / sizeof(cage_filter[0]),
	.filter = cage_filter,
};

static _Noreturn void
cage_child(struct cage *c, int gofd)
{
	int root;

	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	/*
	 * Its network namespace, made here so that its user namespace owns
	 * it (its root may then bind low ports and use raw sockets there, and
	 * nowhere else), and made while the caller builds the root: it is
	 * half of what the kernel takes to make all the namespaces.
	 */
	if (c->userns) {
		if (unshare(CLONE_NEWNET) == -1)
			cage_die(c, "a network namespace");
		if (send(gofd, "n", 1, MSG_NOSIGNAL) != 1)
			_exit(1);	/* the caller gave up */
	}
	if ((root = cage_wait_go(gofd)) == -1)
		_exit(1);	/* the caller gave up; it reports why */
	if (fchdir(root) == -1)
		cage_die(c, "entering its root");
	cage_close_fds(c);
	if (c->userns && (setresgid(0, 0, 0) == -1 || setgroups(0, NULL) == -1 ||
	    setresuid(0, 0, 0) == -1))
		cage_die(c, "becoming root of its user namespace");
	if (c->userns)
		cage_own_mounts(c);
	cage_pivot(c);
	if (c->userns)
		cage_proc(c);
	if (sethostname(c->type->hostname, strlen(c->type->hostname)) == -1)
		cage_die(c, "setting its host name");
	/* Its cgroup, where the caller put it, is the root of its view. */
	if (unshare(CLONE_NEWCGROUP) == -1)
		cage_die(c, "a cgroup namespace");
	cage_drop(c);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		cage_die(c, "setting no_new_privs");
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &cage_prog) == -1)
		cage_die(c, "loading its system call filter");
	c->run(c, c->arg);
}

/* ---- the caller -------------------------------------------------------- */

static int
cage_write(const char *path, const char *data)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), rc = 0;

	if (fd == -1)
		return -1;
	if (write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		rc = -1;
	close(fd);
	return rc;
}

/* Root inside is ids outside; 65536 ids, for uids and gids alike. */
static int
cage_map(const struct cage *c)
{
	char path[64], map[64];

	snprintf(map, sizeof(map), "0 %u %u\n", c->type->ids, VMM_IDS_COUNT);
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)c->pid);
	if (cage_write(path, map) == -1) {
		warn("clone %u: writing its uid map", c->id);
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)c->pid);
	if (cage_write(path, map) == -1) {
		warn("clone %u: writing its gid map", c->id);
		return -1;
	}
	return 0;
}

static void
cage_clone_failed(const struct cage *c)
{
	int e = errno;

	if (!c->userns || (e != EPERM && e != ENOSPC && e != EINVAL &&
	    e != EUSERS)) {
		warn("clone %u: creating its namespaces", c->id);
		return;
	}
	warnx("type %s: clone %u: the kernel gives no user namespace (%s): "
	    "it needs CONFIG_USER_NS, user.max_user_namespaces above 0 and, "
	    "on kernels that have it, kernel.unprivileged_userns_clone = 1",
	    c->type->name, c->id, strerror(e));
}

/*
 * clone3, born in its cgroup.  With a user namespace, as the type's first
 * id, so that it owns the namespace (the file system id stays root's, for
 * the permission to create a process in the cgroup); a kernel that gives
 * unprivileged users no user namespace (Debian's
 * kernel.unprivileged_userns_clone = 0) gets it asked by root, who then
 * owns it.  Back to root at once.
 */
static pid_t
cage_clone_as(const struct cage *c, struct clone_args *a, uid_t id)
{
	pid_t pid;
	int e;

	if (setresgid((gid_t)-1, id, (gid_t)-1) == -1 ||
	    setresuid((uid_t)-1, id, (uid_t)-1) == -1) {
		warn("clone %u: becoming id %u", c->id, id);
		pid = -1;
	} else {
		setfsuid(0);
		if ((pid = (pid_t)syscall(SYS_clone3, a, sizeof(*a))) == 0)
			return 0;
	}
	e = errno;
	if (setresuid((uid_t)-1, 0, (uid_t)-1) == -1 ||
	    setresgid((gid_t)-1, 0, (gid_t)-1) == -1)
		err(1, "becoming root again");	/* cannot happen: saved id 0 */
	errno = e;
	return pid;
}

static pid_t
cage_clone(const struct cage *c, const struct cgroup *cg)
{
	struct clone_args a = {
		.flags = CAGE_NS | (c->userns ? CLONE_NEWUSER : CLONE_NEWNET),
		.exit_signal = SIGCHLD,
	};
	struct cgroup_spawn s;
	pid_t pid;
	int e;

	if (cgroup_spawn_begin(cg, &s) == -1)
		return -1;
	if (s.fd != -1) {
		a.flags |= CLONE_INTO_CGROUP;
		a.cgroup = (uint64_t)s.fd;
	}
	pid = c->userns ? cage_clone_as(c, &a, c->type->ids) : -1;
	if (pid == 0)
		return 0;
	if (!c->userns || (pid == -1 && errno == EPERM))
		pid = (pid_t)syscall(SYS_clone3, &a, sizeof(a));
	if (pid == 0)
		return 0;
	e = errno;
	cgroup_spawn_end(&s);
	errno = e;
	return pid;
}

/* Run c->build in the cage's mount namespace, and come back. */
static int
cage_build_root(struct cage *c)
{
	char path[64];
	int self = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int ns = -1, rc = -1;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)c->pid);
	if (self == -1 || cwd == -1 ||
	    (ns = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    setns(ns, CLONE_NEWNS) == -1) {
		warn("clone %u: entering its mount namespace", c->id);
		goto out;
	}
	/* Nothing made below may show in the host's tree, nor the reverse. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		warn("clone %u: making its mounts private", c->id);
	else if ((rc = c->build(c, c->arg)) == 0 &&
	    (c->rootfd = open(c->stage, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		warn("clone %u: its root", c->id);
		rc = -1;
	}
	if (setns(self, CLONE_NEWNS) == -1 || fchdir(cwd) == -1)
		err(1, "returning to the host's mount namespace");
out:
	if (ns != -1)
		close(ns);
	if (self != -1)
		close(self);
	if (cwd != -1)
		close(cwd);
	return rc;
}

int
cage_spawn(struct cage *c, const struct cgroup *cg)
{
	int go[2];

	c->pid = -1;
	c->gofd = -1;
	c->rootfd = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, go) == -1) {
		warn("clone %u: socketpair", c->id);
		return -1;
	}
	if ((c->pid = cage_clone(c, cg)) == 0) {
		close(go[1]);
		cage_child(c, go[0]);
	}
	close(go[0]);
	c->gofd = go[1];
	if (c->pid == -1) {
		cage_clone_failed(c);
		close(c->gofd);
		return -1;
	}
	if (c->userns && cage_map(c) == -1) {
		cage_kill(c);
		return -1;
	}
	return 0;
}

int
cage_build(struct cage *c)
{
	if (cage_build_root(c) == 0)
		return 0;
	cage_kill(c);
	return -1;
}

int
cage_net(struct cage *c)
{
	char b;

	if (recv(c->gofd, &b, 1, 0) == 1 && b == 'n')
		return 0;
	/* It has said why on errfd, or was killed. */
	warnx("clone %u: it made no network namespace", c->id);
	cage_kill(c);
	return -1;
}

int
cage_go(struct cage *c)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { "g", 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
	int rc;

	if (c->rootfd == -1 && cage_build(c) == -1)
		return -1;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &c->rootfd, sizeof(int));
	rc = sendmsg(c->gofd, &m, MSG_NOSIGNAL) == 1 ? 0 : -1;
	if (rc == -1)
		warn("clone %u: releasing it", c->id);
	close(c->gofd);
	close(c->rootfd);
	c->gofd = c->rootfd = -1;
	return rc;
}

void
cage_kill(struct cage *c)
{
	if (c->gofd != -1) {
		close(c->gofd);
		c->gofd = -1;
	}
	if (c->rootfd != -1) {
		close(c->rootfd);
		c->rootfd = -1;
	}
	if (c->pid > 0) {
		/* PID 1: its whole namespace dies with it. */
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
		c->pid = -1;
	}
}

/* ---- building a root ---------------------------------------------------- */

/* mkdir that gives what it made to the cage's root, as if made inside. */
static int
cage_mkdir(const struct cage *c, const char *path)
{
	if (mkdir(path, 0755) == -1)
		return errno == EEXIST ? 0 : -1;
	if (c->userns && lchown(path, c->type->ids, c->type->ids) == -1)
		return -1;
	return 0;
}

int
cage_mkpoint(const struct cage *c, const char *dst, bool file)
{
	char path[VMM_PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s", dst);
	/* Its parent is there, as a rule: one system call. */
	if (!file && cage_mkdir(c, path) == 0)
		return 0;
	for (char *p = path + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (cage_mkdir(c, path) == -1)
			goto fail;
		*p = '/';
	}
	if (!file)
		return cage_mkdir(c, path) == -1 ? (warn("creating %s", path), -1) : 0;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) == -1)
		goto fail;
	close(fd);
	return 0;
fail:
	warn("creating %s", path);
	return -1;
}

int
cage_tmpfs(const char *dst, const char *opts)
{
	if (mount("tmpfs", dst, "tmpfs", MS_NOSUID | MS_NODEV, opts) == 0)
		return 0;
	warn("mounting a tmpfs on %s", dst);
	return -1;
}

static int
cage_attr(int fd, const struct mount_attr *a)
{
	return (int)syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH, a,
	    sizeof(*a));
}

/*
 * A bind by the new mount API: the tree is cloned detached, its flags (and
 * id mapping) set while no one can see it, then attached.  A file system
 * that cannot be id-mapped (EINVAL) is bound as it is: its files then
 * belong to nobody inside, which read-only data can live with.
 */
int
cage_bind(const struct cage *c, const char *src, const char *dst, int flags)
{
	struct mount_attr a = {
		.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
		    (flags & CAGE_RW ? 0 : MOUNT_ATTR_RDONLY),
	};
	char path[64];
	int fd, userns = -1, rc = -1;

	fd = (int)syscall(SYS_open_tree, AT_FDCWD, src,
	    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd == -1) {
		warn("type %s: %s", c->type->name, src);
		return -1;
	}
	if (c->userns) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)c->pid);
		if ((userns = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
			warn("clone %u: its user namespace", c->id);
			goto out;
		}
		a.attr_set |= MOUNT_ATTR_IDMAP;
		a.userns_fd = (uint64_t)userns;
		if (cage_attr(fd, &a) == 0)
			goto attach;
		if (errno != EINVAL || (flags & CAGE_MAPPED)) {
			warn("type %s: id-mapping %s (Linux 5.12 or later and a "
			    "file system that can: ext4, xfs, btrfs, tmpfs...)",
			    c->type->name, src);
			goto out;
		}
		a.attr_set &= ~(uint64_t)MOUNT_ATTR_IDMAP;
	}
	if (cage_attr(fd, &a) == -1) {
		warn("type %s: setting the flags of %s", c->type->name, src);
		goto out;
	}
attach:
	if (syscall(SYS_move_mount, fd, "", AT_FDCWD, dst,
		MOVE_MOUNT_F_EMPTY_PATH) == -1) {
		warn("type %s: mounting %s on %s", c->type->name, src, dst);
		goto out;
	}
	rc = 0;
out:
	if (userns != -1)
		close(userns);
	close(fd);
	return rc;
}

int
cage_dev(const struct cage *c, const char *dev)
{
	static const struct { const char *name; unsigned major, minor; } nodes[] = {
		{ "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
		{ "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
	};
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
		{ "pts/ptmx", "ptmx" },
	};
	char dst[VMM_PATH_MAX];

	/*
	 * The nodes are made here, by the host's root, on a tmpfs the host's
	 * root mounts: the only file system of the clone where devices open
	 * (every other one is nodev, or was mounted in its user namespace),
	 * read-only once made.  mknod is much cheaper than a bind per node.
	 */
	if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC,
		"mode=755,size=64k") == -1) {
		warn("clone %u: mounting a tmpfs on %s", c->id, dev);
		return -1;
	}
	for (size_t i = 0; i < sizeof(nodes) / sizeof(*nodes); i++)
		if (vmm_path(dst, sizeof(dst), "%s/%s", dev, nodes[i].name) == -1 ||
		    mknod(dst, S_IFCHR | 0666,
			makedev(nodes[i].major, nodes[i].minor)) == -1 ||
		    chmod(dst, 0666) == -1) {
			warn("clone %u: %s", c->id, dst);
			return -1;
		}
	/* KVM for a QEMU that uses it, open to whom the host's is. */
	if (c->kvm && (vmm_path(dst, sizeof(dst), "%s/kvm", dev) == -1 ||
	    mknod(dst, S_IFCHR | c->kvm_mode, c->kvm) == -1 ||
	    chown(dst, 0, c->kvm_gid) == -1 || chmod(dst, c->kvm_mode) == -1)) {
		warn("clone %u: %s", c->id, dst);
		return -1;
	}
	for (size_t i = 0; i < sizeof(links) / sizeof(*links); i++)
		if (vmm_path(dst, sizeof(dst), "%s/%s", dev, links[i][1]) == -1 ||
		    symlink(links[i][0], dst) == -1) {
			warn("clone %u: %s", c->id, dst);
			return -1;
		}
	if (vmm_path(dst, sizeof(dst), "%s/pts", dev) == -1 ||
	    cage_mkpoint(c, dst, false) == -1 ||
	    vmm_path(dst, sizeof(dst), "%s/shm", dev) == -1 ||
	    cage_mkpoint(c, dst, false) == -1)
		return -1;
	/* Nothing to add there, nor to change. */
	if (mount(NULL, dev, NULL, MS_REMOUNT | MS_NOSUID | MS_NOEXEC |
		MS_RDONLY, "mode=755,size=64k") == -1) {
		warn("clone %u: making /dev read-only", c->id);
		return -1;
	}
	return 0;
}
