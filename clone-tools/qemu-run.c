/* SPDX-License-Identifier: ISC */
/*
 * A QEMU process in its cage (cage.c): the type's first id with no
 * capability, PID 1 of its own PID namespace, in network and IPC
 * namespaces with nothing in them (a QEMU taken over by its guest has no
 * network of the host's to use: the TAP is handed in as a descriptor), its
 * cgroup's limits, and a root holding nothing but QEMU's program and
 * libraries, its kernel and its memory file, read-only.  What it needs
 * beyond that comes as descriptors: the TAP, the QMP socket (listening
 * already, at DIR/qmp.sock), its console, and, later, over QMP, the files
 * of a snapshot or of the evidence.  On top of the cage's system call
 * filter QEMU installs its own (-sandbox).
 *
 * A clone maps the snapshot's memory file read-only into a private,
 * writable mapping (memory-backend-file readonly=on,rom=off,share=off,
 * QEMU 8.2 or later): a QEMU taken over by its guest cannot write the
 * memory every other clone of the type starts from.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/addr.h"
#include "cage.h"
#include "lib/monotime.h"
#include "qemu.h"
#include "qmp.h"

#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67	/* Linux 6.4 */
#endif

#define QEMU_ARGS_MAX 64
#define QEMU_START_MS 20000	/* QEMU's own start, before any guest runs */
/*
 * The reference's TCG translated-code buffer, in MB: a boot runs much code
 * once, and a full buffer is flushed and translated again (a Debian boot
 * took seven times longer with 8 MB): QEMU_REFERENCE_TB_MB, qemu.h.
 * Clones have the type's tcg_buffer.
 */
/* Inside the cage. */
#define QEMU_KERNEL "/kernel"
#define QEMU_INITRD "/initrd"
#define QEMU_MEMORY "/memory"
#define QEMU_BASE "/base.qcow2"
#define QEMU_SNAPDISK "/snap.qcow2"
#define QEMU_DISK "/disk.qcow2"

/* An argv under construction; strings are copied into its arena. */
struct qargs {
	char *argv[QEMU_ARGS_MAX];
	size_t n;
	char arena[8192];
	size_t used;
	bool overflow;
};

PK_PRINTF(2, 3) static void
qa_add(struct qargs *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->n + 1 >= QEMU_ARGS_MAX || a->used >= sizeof(a->arena)) {
		a->overflow = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(a->arena + a->used, sizeof(a->arena) - a->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(a->arena) - a->used) {
		a->overflow = true;
		return;
	}
	a->argv[a->n++] = a->arena + a->used;
	a->argv[a->n] = NULL;
	a->used += (size_t)n + 1;
}

/*
 * A disk type's chain as -blockdev nodes, the backing of each named: the
 * image, the snapshot's delta (written by the reference only) and, for a
 * clone, its own delta.  The top node is "vda" on both sides of the
 * migration, a virtio disk that the guest knows as /dev/vda.
 */
static void
qemu_disk_argv(struct qargs *a, const struct qemu_run *r)
{
	const char *ro = r->reference ? "off" : "on";

	qa_add(a, "-blockdev");
	qa_add(a, "driver=file,node-name=base-file,filename=" QEMU_BASE
	    ",read-only=on");
	qa_add(a, "-blockdev");
	qa_add(a, "driver=qcow2,node-name=base,file=base-file,read-only=on");
	qa_add(a, "-blockdev");
	qa_add(a, "driver=file,node-name=snap-file,filename=" QEMU_SNAPDISK
	    ",read-only=%s", ro);
	qa_add(a, "-blockdev");
	qa_add(a, "driver=qcow2,node-name=%s,file=snap-file,backing=base,"
	    "read-only=%s", r->reference ? "vda" : "snap", ro);
	if (!r->reference) {
		qa_add(a, "-blockdev");
		qa_add(a, "driver=file,node-name=disk-file,filename=" QEMU_DISK);
		qa_add(a, "-blockdev");
		qa_add(a, "driver=qcow2,node-name=vda,file=disk-file,backing=snap");
	}
	qa_add(a, "-device");
	qa_add(a, "virtio-blk-pci,drive=vda,id=vda");
}

/*
 * The machine, identical for the reference and its clones (migration needs
 * the same devices and RAM blocks), with the cage's paths and the
 * descriptors it is handed.
 */
static int
qemu_argv(struct qargs *a, const struct qemu_run *r)
{
	const struct vmm_type *t = r->t;
	char guest[ADDR_STRLEN], gw[ADDR_STRLEN];

	qa_add(a, "%s", t->qemu);
	qa_add(a, "-name");
	qa_add(a, "%s", r->name);
	qa_add(a, "-accel");
	if (r->kvm)
		qa_add(a, "kvm");
	else
		qa_add(a, "tcg,tb-size=%u", r->reference ? QEMU_REFERENCE_TB_MB :
		    t->tcg_buffer_mb);
	qa_add(a, "-machine");
	qa_add(a, "%s", r->machine);
	/* QEMU offers a guest's memory to the kernel's same-page merging by
	 * default: a clone's is offered with the rest of its QEMU's pages
	 * when its type merges (qemu_exec), else none of it.  Not part of
	 * the machine a snapshot records: its own -machine. */
	if (!r->reference) {
		qa_add(a, "-machine");
		qa_add(a, "mem-merge=%s", t->merge ? "on" : "off");
	}
	qa_add(a, "-smp");
	qa_add(a, "%u", t->cpus);
	qa_add(a, "-m");
	qa_add(a, "%uM", t->memory_mb);
	qa_add(a, "-object");
	qa_add(a, "memory-backend-file,id=ram,size=%uM,mem-path=" QEMU_MEMORY
	    ",%s", t->memory_mb, r->reference ? "share=on" :
	    "share=off,readonly=on,rom=off");
	qa_add(a, "-nodefaults");
	qa_add(a, "-no-user-config");
	qa_add(a, "-display");
	qa_add(a, "none");
	qa_add(a, "-no-reboot");
	qa_add(a, "-kernel");
	qa_add(a, QEMU_KERNEL);
	if (r->reference) {
		qa_add(a, "-initrd");
		qa_add(a, QEMU_INITRD);
	}
	qa_add(a, "-append");
	qa_add(a, "console=ttyS0 quiet panic=-1 " QEMU_IDLE_APPEND " %s"
	    "potemkin.ip=%s/%u potemkin.gw=%s potemkin.ready=%s "
	    "potemkin.hostname=%s %s", r->base ? "root=/dev/vda rw " : "",
	    addr_fmt(t->guest_ip, guest), t->prefix, addr_fmt(t->gw_ip, gw), t->ready,
	    t->hostname, t->append);
	if (r->base)
		qemu_disk_argv(a, r);
	qa_add(a, "-add-fd");
	qa_add(a, "fd=%d,set=1", r->console);
	qa_add(a, "-chardev");
	qa_add(a, "file,id=console,path=/dev/fdset/1,append=on");
	qa_add(a, "-serial");
	qa_add(a, "chardev:console");
	qa_add(a, "-netdev");
	qa_add(a, "tap,id=net0,fd=%d,vhost=off", r->tapfd);
	qa_add(a, "-device");
	qa_add(a, "virtio-net-pci,netdev=net0,mac=%s,romfile=", t->mac);
	qa_add(a, "-chardev");
	qa_add(a, "socket,id=qmp,fd=%d,server=on,wait=off", r->qmpfd);
	qa_add(a, "-mon");
	qa_add(a, "chardev=qmp,mode=control");
	qa_add(a, "-sandbox");
	qa_add(a, "on,obsolete=deny,elevateprivileges=deny,spawn=deny,"
	    "resourcecontrol=deny");
	if (r->incoming) {
		qa_add(a, "-incoming");
		qa_add(a, "defer");
		qa_add(a, "-S");
	}
	if (a->overflow) {
		warnx("type %s: QEMU command line too long", t->name);
		return -1;
	}
	return 0;
}

/* One file into QEMU's root at path. */
static int
qemu_bind_file(const struct cage *c, const char *src, const char *path,
    bool rw)
{
	char dst[VMM_PATH_MAX];

	return vmm_path(dst, sizeof(dst), "%s%s", c->stage, path) ||
	    cage_mkpoint(c, dst, true) ||
	    cage_bind(c, src, dst, rw ? CAGE_RW : 0) ? -1 : 0;
}

/* A disk type's chain: only the top is writable. */
static int
qemu_bind_disks(const struct cage *c, const struct qemu_run *r)
{
	return qemu_bind_file(c, r->base, QEMU_BASE, false) ||
	    qemu_bind_file(c, r->snapdisk, QEMU_SNAPDISK, r->reference) ||
	    (!r->reference &&
	    qemu_bind_file(c, r->disk, QEMU_DISK, true)) ? -1 : 0;
}

/*
 * QEMU's root: a read-only tmpfs with /usr (the program, its libraries and
 * firmware) and the host's merged-/usr links or directories, the dynamic
 * linker's cache, a few devices, and the kernel and memory file.
 */
static int
qemu_build(const struct cage *c, void *arg)
{
	static const char *const top[] = { "lib", "lib32", "lib64", "bin", "sbin" };
	const struct qemu_run *r = arg;
	char dst[VMM_PATH_MAX], src[VMM_PATH_MAX], link[VMM_PATH_MAX];
	struct stat st;

	if (cage_tmpfs(c->stage, "mode=755,size=1m") == -1 ||
	    vmm_path(dst, sizeof(dst), "%s/usr", c->stage) == -1 ||
	    cage_mkpoint(c, dst, false) == -1 || cage_bind(c, "/usr", dst, 0) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(top) / sizeof(*top); i++) {
		ssize_t n;

		snprintf(src, sizeof(src), "/%s", top[i]);
		if (lstat(src, &st) == -1 ||
		    vmm_path(dst, sizeof(dst), "%s/%s", c->stage, top[i]) == -1)
			continue;
		if (S_ISLNK(st.st_mode) &&
		    (n = readlink(src, link, sizeof(link) - 1)) > 0) {
			link[n] = '\0';
			if (symlink(link, dst) == -1)
				return -1;
		} else if (S_ISDIR(st.st_mode) && (cage_mkpoint(c, dst, false) ==
		    -1 || cage_bind(c, src, dst, 0) == -1)) {
			return -1;
		}
	}
	if (access("/etc/ld.so.cache", F_OK) == 0 &&
	    (vmm_path(dst, sizeof(dst), "%s/etc/ld.so.cache", c->stage) == -1 ||
	    cage_mkpoint(c, dst, true) == -1 ||
	    cage_bind(c, "/etc/ld.so.cache", dst, 0) == -1))
		return -1;
	if (vmm_path(dst, sizeof(dst), "%s/dev", c->stage) == -1 ||
	    cage_mkpoint(c, dst, false) == -1 || cage_dev(c, dst) == -1)
		return -1;
	if (vmm_path(dst, sizeof(dst), "%s" QEMU_KERNEL, c->stage) == -1 ||
	    cage_mkpoint(c, dst, true) == -1 ||
	    cage_bind(c, r->kernel, dst, 0) == -1 ||
	    vmm_path(dst, sizeof(dst), "%s" QEMU_MEMORY, c->stage) == -1 ||
	    cage_mkpoint(c, dst, true) == -1 ||
	    cage_bind(c, r->memfile, dst, r->reference ? CAGE_RW : 0) == -1)
		return -1;
	if (r->base && qemu_bind_disks(c, r) == -1)
		return -1;
	if (r->reference &&
	    (vmm_path(dst, sizeof(dst), "%s" QEMU_INITRD, c->stage) == -1 ||
	    cage_mkpoint(c, dst, true) == -1 ||
	    cage_bind(c, r->t->initrd, dst, 0) == -1))
		return -1;
	if (mount(NULL, c->stage, NULL, MS_REMOUNT | MS_NOSUID | MS_NODEV |
	    MS_RDONLY, "mode=755,size=1m") == -1) {
		warn("clone %u: making QEMU's root read-only", c->id);
		return -1;
	}
	return 0;
}

/*
 * In the cage: QEMU's messages to its log, no more file than a bound
 * allows (the evidence files it writes at a freeze, through descriptors),
 * then QEMU itself.
 */
static _Noreturn void
qemu_exec(const struct cage *c, void *arg)
{
	struct qemu_run *r = arg;
	uint64_t fsize = ((uint64_t)r->t->memory_mb * 2 + 256) << 20;
	struct rlimit rl = { fsize, fsize };
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null == -1 || dup2(null, 0) == -1 || dup2(r->log, 1) == -1 ||
	    dup2(r->log, 2) == -1 || setrlimit(RLIMIT_FSIZE, &rl) == -1) {
		dprintf(c->errfd, "%s: clone %u: starting QEMU: %s\n",
		    vmm_progname(), c->id, strerror(errno));
		_exit(1);
	}
	/* Every anonymous page of the QEMU to come, its heap, relocations
	 * and code buffer with its guest's memory, offered to KSM: the
	 * setting is the process's and outlives the exec. */
	if (!r->reference && r->t->merge &&
	    prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0) == -1) {
		dprintf(c->errfd, "%s: clone %u: merge: offering QEMU's memory "
		    "to KSM (Linux 6.4 or later): %s\n", vmm_progname(), c->id,
		    strerror(errno));
		_exit(1);
	}
	/* The log's descriptor is now 1 and 2; the rest are QEMU's. */
	for (size_t i = 0; i < c->nkeep; i++)
		fcntl(c->keep[i], F_SETFD, 0);
	execvp(r->args->argv[0], r->args->argv);
	if (c->id)
		dprintf(c->errfd, "%s: clone %u: executing %s: %s\n",
		    vmm_progname(), c->id, r->args->argv[0], strerror(errno));
	else
		dprintf(c->errfd, "%s: type %s: the reference: executing %s: %s\n",
		    vmm_progname(), r->t->name, r->args->argv[0], strerror(errno));
	_exit(127);
}

/* The QMP socket, bound and listening before QEMU runs. */
static int
qemu_qmp_socket(const char *dir)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/qmp.sock", dir) >=
	    (int)sizeof(sun.sun_path)) {
		warnx("%s/qmp.sock: path too long for a socket", dir);
		return -1;
	}
	unlink(sun.sun_path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(sun.sun_path, 0600) == -1 || listen(fd, 4) == -1) {
		warn("%s", sun.sun_path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * A merging type's QEMU, started: the kernel says whether its pages are
 * offered (an older kernel forgot the setting at exec) and whether KSM
 * runs at all (host-wide: the operator's, never switched on here).  Each
 * said once per process.
 */
static void
qemu_merge_check(const struct qemu_run *r)
{
	static bool told_exec, told_run;
	char path[64], buf[512] = "", run[8] = "";

	if (r->reference || !r->t->merge)
		return;
	snprintf(path, sizeof(path), "/proc/%ld/ksm_stat", (long)r->pid);
	if (!told_exec && (vmm_read_file(path, buf, sizeof(buf), NULL) == -1 ||
	    strstr(buf, "ksm_merge_any: yes") == NULL)) {
		warnx("type %s: merge: this kernel did not keep QEMU's pages "
		    "offered to KSM across its start", r->t->name);
		told_exec = true;
	}
	if (!told_run &&
	    (vmm_read_file("/sys/kernel/mm/ksm/run", run, sizeof(run), NULL) == -1 ||
	    run[0] != '1')) {
		warnx("type %s: merge: KSM is not running on this host "
		    "(/sys/kernel/mm/ksm/run is not 1): nothing is merged",
		    r->t->name);
		told_run = true;
	}
}

/* QEMU's own messages, on our stderr: why it did not start. */
static void
qemu_tell_log(const char *logpath)
{
	char buf[4096];
	size_t len;

	if (vmm_read_file(logpath, buf, sizeof(buf), &len) == 0 && len > 0)
		fprintf(stderr, "%s", buf);
}

/*
 * Start QEMU in its cage and wait until its monitor answers; returns 0
 * with r->pid set.  Its cgroup exists; on failure nothing of the QEMU
 * remains (the cgroup is the caller's).
 */
int
qemu_run(struct qemu_run *r, const struct cgroup *cg)
{
	char stage[VMM_PATH_MAX] = "", sock[VMM_PATH_MAX] = "";
	char logpath[VMM_PATH_MAX];
	struct cage c = {
		.type = r->t, .id = r->id, .userns = false, .stage = stage,
		.extra_gid = (gid_t)-1, .build = qemu_build, .run = qemu_exec,
		.arg = r, .errfd = -1, .pid = -1, .gofd = -1, .rootfd = -1,
	};
	struct qargs *a = calloc(1, sizeof(*a));
	struct stat st;
	struct qmp q;
	int rc = -1;

	r->pid = -1;
	r->qmpfd = -1;
	r->args = a;
	if (a == NULL) {
		warn("clone %u", r->id);
		return -1;
	}
	/*
	 * The cage's /dev is read-only once made: /dev/kvm is made in it, its
	 * group and mode the host's.  QEMU joins that group, never root's: a
	 * host whose /dev/kvm is root's alone gives clones no KVM.
	 */
	if (r->kvm && stat("/dev/kvm", &st) == 0 && S_ISCHR(st.st_mode)) {
		c.kvm = st.st_rdev;
		c.kvm_gid = st.st_gid;
		c.kvm_mode = st.st_mode & 0777;
		if (st.st_gid != 0)
			c.extra_gid = st.st_gid;
	}
	if (vmm_path(stage, sizeof(stage), "%s/root", r->dir) == -1 ||
	    vmm_path(sock, sizeof(sock), "%s/qmp.sock", r->dir) == -1 ||
	    vmm_path(logpath, sizeof(logpath), "/proc/self/fd/%d", r->log) == -1 ||
	    (mkdir(stage, 0700) == -1 && errno != EEXIST) ||
	    (r->qmpfd = qemu_qmp_socket(r->dir)) == -1 ||
	    qemu_argv(a, r) == -1 ||
	    (c.errfd = fcntl(2, F_DUPFD_CLOEXEC, 3)) == -1)
		goto out;
	c.keep[c.nkeep++] = r->tapfd;
	c.keep[c.nkeep++] = r->qmpfd;
	c.keep[c.nkeep++] = r->console;
	c.keep[c.nkeep++] = r->log;
	if (cage_spawn(&c, cg) == -1 || cage_go(&c) == -1)
		goto out;
	/* Its monitor answers once it is set up, unless it died first. */
	if (qmp_open_watching(&q, sock, QEMU_START_MS, c.pid) == -1) {
		if (errno == ESRCH) {
			warnx("%s: failed to start; it said:", r->t->qemu);
			qemu_tell_log(logpath);
		}
		goto out;
	}
	qmp_close(&q);
	r->pid = c.pid;
	c.pid = -1;
	qemu_merge_check(r);
	rc = 0;
out:
	cage_kill(&c);
	if (rc == -1 && *sock)	/* its socket and mount point: nothing left */
		unlink(sock);
	if (rc == -1 && *stage)
		rmdir(stage);
	if (c.errfd != -1)
		close(c.errfd);
	if (r->qmpfd != -1)
		close(r->qmpfd);
	r->qmpfd = -1;
	free(a);
	r->args = NULL;
	return rc;
}
