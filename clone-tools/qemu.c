/* SPDX-License-Identifier: ISC */
/*
 * The qemu backend: real guest kernels, cloned from a snapshot whose memory
 * is shared copy-on-write.
 *
 * Snapshot: the reference boots with its RAM in a file on tmpfs mapped
 * share=on; once its console shows the ready string, QMP stops it, sets
 * x-ignore-shared (RAM in a shared file is not copied into the stream) and
 * migrates to a file: a few hundred kilobytes of device state.  The
 * reference then quits; its memory file is never written again.
 *
 * Clone: QEMU with the same machine, the same memory file mapped share=off
 * (MAP_PRIVATE: pages are shared with every other clone until written),
 * -incoming defer and its own TAP pk<ID>; QMP migrate-incoming reads the
 * state, cont runs it.  All clones of a snapshot have the snapshot's guest
 * address and MAC; the gateway rewrites addresses.
 *
 * The TAP is opened here and handed to QEMU as a descriptor, not made
 * persistent: when QEMU dies, for whatever reason, pk<ID> dies with it.
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/addr.h"
#include "cgroup.h"
#include "evidence.h"
#include "layer.h"
#include "lib/monotime.h"
#include "nl.h"
#include "pool.h"
#include "qemu.h"
#include "qmp.h"
#include "vmm.h"

#define QEMU_KVM_TRY_MS 20000	/* accel "auto": how long KVM may take */
#define QEMU_WARM_MS 10000	/* a pooled clone's warming, at most */
#define QEMU_SETTLE_MS 2000	/* and its settling after, at most */
#define QEMU_QUIET_WINDOW_MS 20	/* settled: under a tenth of a CPU over it */
/*
 * Migrations read and write files through QEMU's fd set 2 (set 1 is the
 * console's): "file:/dev/fdset/2".  The freeze's one is the only writer
 * there, once the clone's snapshot is loaded.
 */
#define QEMU_FDSET_STATE 2
#define QEMU_FDSET_STATE_STR "2"

static int
qemu_check(const struct vmm_conf *conf, const struct vmm_type *t)
{
	if (t->kernel == NULL || t->initrd == NULL) {
		warnx("%s: type %s: kernel and initrd are required for qemu "
		    "(potemkin-mkimage builds them)", conf->path, t->name);
		return -1;
	}
	return 0;
}

static int
qemu_memfile(const struct vmm_conf *conf, const struct vmm_type *t,
    const char *suffix, char *buf, size_t size)
{
	return vmm_path(buf, size, "%s/%s.ram%s", conf->memdir, t->name, suffix);
}

/* A TAP named name ("" lets the kernel choose), not persistent. */
static int
qemu_tap(const char *name)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd == -1) {
		warn("/dev/net/tun");
		return -1;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1) {
		warn("creating TAP %s", *name ? name : "for the reference");
		close(fd);
		return -1;
	}
	return fd;
}

/* What a reference's or a clone's start held: its descriptors, and QEMU
 * itself if it died meanwhile (reaped, not waited for). */
static void
qemu_run_done(struct qemu_run *r)
{
	if (r->pid > 0)
		waitpid(r->pid, NULL, WNOHANG);
	if (r->tapfd != -1)
		close(r->tapfd);
	if (r->console != -1)
		close(r->console);
	if (r->log != -1)
		close(r->log);
}

/* The pid of a clone's QEMU, as we wrote it (not QEMU: it is not root). */
static long
qemu_read_pid(const char *dir)
{
	char path[VMM_PATH_MAX], buf[32];

	if (vmm_path(path, sizeof(path), "%s/qemu.pid", dir) == -1 ||
	    vmm_read_file(path, buf, sizeof(buf), NULL) == -1)
		return -1;
	return strtol(buf, NULL, 10);
}

/*
 * Kill every process of a QEMU's cgroup (QEMU is PID 1 of its namespace:
 * nothing of it outlives it) and remove the group.  A clone has nothing
 * to save; the kernel frees its memory on its own time, and the TAP goes
 * when QEMU's descriptors close.
 */
static int
qemu_kill(const struct vmm_conf *conf, const char *group)
{
	struct cgroup cg;

	return cgroup_locate(conf, NULL, group, &cg) == -1 ? -1 :
	    cgroup_remove(&cg);
}

static int
qemu_snapshot_files(const struct vmm_conf *conf, const struct vmm_type *t,
    char *dir, char *state, char *memfile, size_t size)
{
	return vmm_snapshot_dir(conf, t->name, dir, size) ||
	    vmm_path(state, size, "%s/state", dir) ||
	    qemu_memfile(conf, t, "", memfile, size) ? -1 : 0;
}

/*
 * QEMU 8.2 or later: a clone's memory-backend-file opens the snapshot's
 * memory read-only (readonly=on,rom=off,share=off); 7.2 has no rom and
 * would map it read-only into the guest.
 */
static int
qemu_version_ok(const struct vmm_type *t)
{
	char prog[VMM_PATH_MAX], opt[] = "--version", buf[256];
	char *argv[] = { prog, opt, NULL };
	unsigned major = 0, minor = 0;
	int fd = memfd_create("qemu-version", MFD_CLOEXEC);
	ssize_t n;

	snprintf(prog, sizeof(prog), "%s", t->qemu);
	if (fd == -1 || vmm_run(argv, fd, 10000) == -1 ||
	    (n = pread(fd, buf, sizeof(buf) - 1, 0)) <= 0) {
		if (fd != -1)
			close(fd);
		warnx("type %s: cannot tell the version of %s", t->name, t->qemu);
		return -1;
	}
	close(fd);
	buf[n] = '\0';
	if (sscanf(buf, "QEMU emulator version %u.%u", &major, &minor) != 2 ||
	    major < 8 || (major == 8 && minor < 2)) {
		warnx("type %s: %s is version %u.%u: its clones need QEMU 8.2 or "
		    "later, to map the snapshot's memory file read-only (Debian 12: "
		    "apt-get install -t bookworm-backports qemu-system-x86)",
		    t->name, t->qemu, major, minor);
		return -1;
	}
	return 0;
}

/* The reference's memory file, made by us and writable by it alone. */
static int
qemu_new_memfile(const struct vmm_type *t, const char *path)
{
	int fd;

	unlink(path);
	if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1 ||
	    ftruncate(fd, (off_t)t->memory_mb << 20) == -1 ||
	    fchown(fd, t->ids, t->ids) == -1) {
		warn("%s", path);
		if (fd != -1)
			close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

/* A file of ours for QEMU to append to; -1 reported. */
static int
qemu_logfile(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);

	if (fd == -1)
		warn("%s", path);
	return fd;
}

/* Boot the reference; 0 once its console shows the ready string. */
static int
qemu_boot(const struct vmm_conf *conf, const struct vmm_type *t,
    const char *refdir, const char *memfile, const char *newdelta, bool kvm,
    uint64_t timeout_ms, const struct cgroup *cg)
{
	char log[VMM_PATH_MAX], qlog[VMM_PATH_MAX], name[VMM_NAME_MAX + 32];
	struct qemu_run r = {
		.t = t, .name = name, .dir = refdir, .kernel = t->kernel,
		.memfile = memfile, .machine = QEMU_MACHINE, .reference = true,
		.kvm = kvm, .base = t->disk, .snapdisk = newdelta,
		.tapfd = -1, .console = -1, .log = -1,
	};
	struct vmm_type big = *t;
	int rc = -1;

	snprintf(name, sizeof(name), "potemkin-reference-%s", t->name);
	if (vmm_path(log, sizeof(log), "%s/console.log", refdir) == -1 ||
	    vmm_path(qlog, sizeof(qlog), "%s/qemu.log", refdir) == -1)
		return -1;
	unlink(log);
	/* Its translated code may grow beyond a clone's. */
	big.limits.memory += (uint64_t)QEMU_REFERENCE_TB_MB << 20;
	if ((r.tapfd = qemu_tap("")) == -1 || qemu_new_memfile(t, memfile) == -1 ||
	    (t->disk && qemu_disk_begin(t, newdelta) == -1) ||
	    (r.console = qemu_logfile(log)) == -1 ||
	    (r.log = qemu_logfile(qlog)) == -1 || cgroup_create(&big, cg) == -1)
		goto out;
	fprintf(stderr, "%s: type %s: booting the reference (%s)\n",
	    vmm_progname(), t->name, kvm ? "kvm" : "tcg");
	if (qemu_run(&r, cg) == -1)
		goto out;
	if (vmm_wait_string(log, 0, t->ready, timeout_ms, r.pid) == 0)
		rc = 0;
	else if (errno == ESRCH)
		warnx("type %s: the reference exited before it was ready (see "
		    "%s/console.log)", t->name, refdir);
	else if (errno == ETIMEDOUT)
		warnx("type %s: no '%s' on the console within %llu ms (see "
		    "%s/console.log)", t->name, t->ready,
		    (unsigned long long)timeout_ms, refdir);
	else
		warnx("type %s: interrupted", t->name);
	(void)conf;
out:
	if (r.pid > 0 && rc == -1)
		cgroup_remove(cg);
	qemu_run_done(&r);
	return rc;
}

/*
 * A clone never boots, yet QEMU wants the reference's -kernel to build the
 * same machine (the linuxboot option ROM is a RAM block that migration
 * expects), and keeps the whole kernel file in its memory for fw_cfg: some
 * 14 MB private to every clone.  Only the bzImage's setup header matters
 * to QEMU, so clones get the setup sectors and a page of padding, and no
 * initrd.  A kernel that is not a bzImage gets no stub: clones use it whole.
 */
static int
qemu_write_stub(const struct vmm_type *t, const char *path)
{
	char buf[32 * 1024 + 4096];
	size_t len, setup;
	int fd;
	ssize_t n;

	unlink(path);
	if ((fd = open(t->kernel, O_RDONLY | O_CLOEXEC)) == -1) {
		warn("%s", t->kernel);
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 4096);
	close(fd);
	if (n < 0x210 || memcmp(buf + 0x202, "HdrS", 4) != 0)
		return 0;
	setup = ((size_t)(uint8_t)buf[0x1f1] + 1) * 512;
	if (buf[0x1f1] == 0)
		setup = 5 * 512;
	if (setup > (size_t)n)
		return 0;
	memset(buf + setup, 0, 4096);
	len = setup + 4096;
	return vmm_write_file(path, buf, len, 0644);
}

/*
 * Stop the ready reference and save its device state to state, through a
 * descriptor (QEMU cannot see our files, nor run a program to write one).
 */
static int
qemu_save(const char *refdir, const char *state)
{
	char sock[VMM_PATH_MAX];
	struct qmp q;
	int fd, rc = -1;

	if (vmm_path(sock, sizeof(sock), "%s/qmp.sock", refdir) == -1)
		return -1;
	if ((fd = open(state, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) ==
	    -1) {
		warn("%s", state);
		return -1;
	}
	if (qmp_open(&q, sock, 5000) == -1) {
		close(fd);
		return -1;
	}
	if (qmp_cmd(&q, "stopping the reference", "{\"execute\":\"stop\"}",
		NULL, 0, 5000) == 0 &&
	    qmp_cmd(&q, "setting x-ignore-shared",
		"{\"execute\":\"migrate-set-capabilities\",\"arguments\":"
		"{\"capabilities\":[{\"capability\":\"x-ignore-shared\","
		"\"state\":true}]}}", NULL, 0, 5000) == 0 &&
	    qmp_add_fd(&q, "passing the snapshot file", QEMU_FDSET_STATE, fd,
		5000) == 0 &&
	    qmp_cmd(&q, "saving the reference", "{\"execute\":\"migrate\","
		"\"arguments\":{\"uri\":\"file:/dev/fdset/"
		QEMU_FDSET_STATE_STR "\"}}", NULL, 0, 5000) == 0 &&
	    qmp_wait_migration(&q, "saving the reference", 60000) == 0)
		rc = 0;
	close(fd);
	qmp_close(&q);
	return rc;
}

/* The machine the snapshot was taken on, for its clones. */
static int
qemu_write_machine(const char *dir)
{
	char path[VMM_PATH_MAX];

	return vmm_path(path, sizeof(path), "%s/machine", dir) ||
	    vmm_write_file(path, QEMU_MACHINE "\n", strlen(QEMU_MACHINE) + 1,
		0640) ? -1 : 0;
}

/*
 * The machine a clone of the snapshot in dir must have, into buf: what the
 * snapshot recorded, or the one of snapshots that record none.
 */
static int
qemu_read_machine(const char *dir, char *buf, size_t size)
{
	char path[VMM_PATH_MAX];
	size_t len;

	if (vmm_path(path, sizeof(path), "%s/machine", dir) == -1)
		return -1;
	if (vmm_read_file(path, buf, size, &len) == -1) {
		if (errno != ENOENT) {
			warn("%s", path);
			return -1;
		}
		snprintf(buf, size, "%s", QEMU_MACHINE_OLD);
		return 0;
	}
	buf[strcspn(buf, "\n")] = '\0';
	if (*buf == '\0' || buf[strspn(buf, "abcdefghijklmnopqrstuvwxyz"
	    "0123456789=,-_.")] != '\0') {
		warnx("%s: not a QEMU machine", path);
		return -1;
	}
	return 0;
}

/* The saved memory, now the clones': root's, readable by their QEMU only. */
static int
qemu_seal_memfile(const struct vmm_type *t, const char *path)
{
	if (chown(path, 0, t->ids) == 0 && chmod(path, 0640) == 0)
		return 0;
	warn("%s", path);
	return -1;
}

static int
qemu_snapshot(const struct vmm_conf *conf, const struct vmm_type *t,
    bool force)
{
	char dir[VMM_PATH_MAX], state[VMM_PATH_MAX], memfile[VMM_PATH_MAX];
	char refdir[VMM_PATH_MAX], newmem[VMM_PATH_MAX], newstate[VMM_PATH_MAX];
	char accel[VMM_PATH_MAX], cmdline[VMM_PATH_MAX], newdelta[VMM_PATH_MAX];
	char group[VMM_NAME_MAX + 16];
	struct qemu_disk disk;
	bool kvm = t->accel == VMM_ACCEL_KVM || t->accel == VMM_ACCEL_AUTO;
	struct cgroup cg;
	struct stat st;
	int rc = -1, booted;
	uint64_t t0 = mono_ms();

	snprintf(group, sizeof(group), "snapshot-%s", t->name);
	if (qemu_snapshot_files(conf, t, dir, state, memfile, sizeof(dir)) == -1 ||
	    vmm_path(refdir, sizeof(refdir), "%s/reference", dir) == -1 ||
	    qemu_memfile(conf, t, ".new", newmem, sizeof(newmem)) == -1 ||
	    vmm_path(newstate, sizeof(newstate), "%s.new", state) == -1 ||
	    vmm_path(accel, sizeof(accel), "%s/accel", dir) == -1 ||
	    qemu_disk_paths(dir, &disk) == -1 ||
	    vmm_path(newdelta, sizeof(newdelta), "%s.new", disk.snap) == -1 ||
	    cgroup_locate(conf, t, group, &cg) == -1)
		return -1;
	if (!force && stat(state, &st) == 0 && stat(memfile, &st) == 0 &&
	    (t->disk == NULL || stat(disk.blank, &st) == 0)) {
		fprintf(stderr, "%s: type %s: snapshot exists in %s (-f makes a "
		    "new one)\n", vmm_progname(), t->name, dir);
		return t->pool ? pool_fill(conf, t, true) : 0;
	}
	if (t->disk && access(t->disk, R_OK) == -1) {
		warn("type %s: disk %s (potemkin-mkimage --disk builds it)",
		    t->name, t->disk);
		return -1;
	}
	if (qemu_version_ok(t) == -1 || vmm_ids_free(conf, t) == -1 ||
	    vmm_secure_dir("memdir", conf->memdir, 0755, true) == -1)
		return -1;
	/* Clones waiting in the pool were made from the snapshot replaced. */
	if (t->pool && pool_drain(conf, t) == -1)
		return -1;
	if ((mkdir(dir, 0750) == -1 && errno != EEXIST) ||
	    (mkdir(refdir, 0750) == -1 && errno != EEXIST)) {
		warn("creating %s", refdir);
		return -1;
	}
	unlink(newstate);
	/*
	 * Under "auto", KVM gets at most QEMU_KVM_TRY_MS: a guest that boots
	 * in seconds under TCG boots far faster under a KVM that works, and
	 * one that does not work (nested, no 64-bit guests) should not cost
	 * the whole ready_timeout before TCG is tried.
	 */
	booted = qemu_boot(conf, t, refdir, newmem, newdelta, kvm,
	    t->accel == VMM_ACCEL_AUTO && t->ready_timeout_ms > QEMU_KVM_TRY_MS ?
	    QEMU_KVM_TRY_MS : t->ready_timeout_ms, &cg);
	if (booted == -1 && kvm && t->accel == VMM_ACCEL_AUTO && !vmm_stop) {
		cgroup_remove(&cg);
		fprintf(stderr, "%s: type %s: kvm did not reach ready; trying "
		    "tcg\n", vmm_progname(), t->name);
		kvm = false;
		booted = qemu_boot(conf, t, refdir, newmem, newdelta, kvm,
		    t->ready_timeout_ms, &cg);
	}
	if (booted == -1)
		goto out;
	fprintf(stderr, "%s: type %s: ready after %llu ms; saving\n",
	    vmm_progname(), t->name, (unsigned long long)(mono_ms() - t0));
	if (qemu_save(refdir, newstate) == -1)
		goto out;
	/* The reference is done with its memory before anyone maps it. */
	cgroup_remove(&cg);
	/* Clones still running keep the old memory file's inode (and the
	 * old disk delta's: their cage holds it).  Everything that can fail
	 * is done before the first rename. */
	if (qemu_seal_memfile(t, newmem) == -1 ||
	    (t->disk && qemu_disk_seal(t, newdelta, &disk) == -1))
		goto out;
	if (rename(newmem, memfile) == -1 || rename(newstate, state) == -1) {
		warn("installing the snapshot in %s", dir);
		goto out;
	}
	if (t->disk && qemu_disk_install(newdelta, &disk) == -1)
		goto out;
	snprintf(cmdline, sizeof(cmdline), "%s\n", kvm ? "kvm" : "tcg");
	if (vmm_write_file(accel, cmdline, strlen(cmdline), 0640) == -1 ||
	    qemu_write_machine(dir) == -1 ||
	    vmm_path(cmdline, sizeof(cmdline), "%s/kernel.stub", dir) == -1 ||
	    qemu_write_stub(t, cmdline) == -1)
		goto out;
	fprintf(stderr, "%s: type %s: snapshot saved in %s (%llu ms)\n",
	    vmm_progname(), t->name, dir, (unsigned long long)(mono_ms() - t0));
	rc = 0;
	if (t->pool && pool_fill(conf, t, true) == -1)
		rc = -1;
out:
	cgroup_remove(&cg);
	unlink(newmem);
	unlink(newstate);
	qemu_disk_discard(newdelta, &disk);
	/* The reference's console stays, for a failure above all. */
	if (vmm_path(cmdline, sizeof(cmdline), "%s/console.log", dir) == 0) {
		char log[VMM_PATH_MAX];

		if (vmm_path(log, sizeof(log), "%s/console.log", refdir) == 0)
			rename(log, cmdline);
	}
	vmm_rm_tree(refdir);
	return rc;
}

/*
 * Migrate the snapshot's state in and run.  The state file goes to QEMU as
 * a descriptor ("fd:" URI): QEMU cannot see it, nor run a program.
 */
static int
qemu_resume(const char *dir, const char *state, uint64_t timeout_ms, bool run)
{
	char sock[VMM_PATH_MAX];
	struct qmp q;
	int fd, rc = -1;

	if (vmm_path(sock, sizeof(sock), "%s/qmp.sock", dir) == -1)
		return -1;
	if ((fd = open(state, O_RDONLY | O_CLOEXEC)) == -1) {
		warn("%s", state);
		return -1;
	}
	if (qmp_open(&q, sock, timeout_ms) == -1) {
		close(fd);
		return -1;
	}
	if (qmp_cmd(&q, "setting x-ignore-shared",
		"{\"execute\":\"migrate-set-capabilities\",\"arguments\":"
		"{\"capabilities\":[{\"capability\":\"x-ignore-shared\","
		"\"state\":true}]}}", NULL, 0, timeout_ms) == 0 &&
	    qmp_add_fd(&q, "passing the snapshot", QEMU_FDSET_STATE, fd,
		timeout_ms) == 0 &&
	    qmp_cmd(&q, "loading the snapshot", "{\"execute\":"
		"\"migrate-incoming\",\"arguments\":{\"uri\":"
		"\"file:/dev/fdset/" QEMU_FDSET_STATE_STR "\"}}",
		NULL, 0, timeout_ms) == 0 &&
	    qmp_wait_migration(&q, "loading the snapshot", timeout_ms) == 0 &&
	    (!run || qmp_cmd(&q, "resuming the clone", "{\"execute\":\"cont\"}",
		NULL, 0, timeout_ms) == 0))
		rc = 0;
	close(fd);
	qmp_close(&q);
	return rc;
}

/* QEMU's pid where teardown and a pool's claim find it before a record. */
static int
qemu_write_pid(const struct vmm_vm *vm, pid_t pid)
{
	char path[VMM_PATH_MAX], buf[16];

	snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	return vmm_path(path, sizeof(path), "%s/qemu.pid", vm->dir) ||
	    vmm_write_file(path, buf, strlen(buf), 0640) ? -1 : 0;
}

/*
 * A clone: its cgroup, layer (console and QEMU's messages) and TAP, its
 * QEMU in its cage, the snapshot loaded; running if run, else left paused
 * for the pool (pool.c).
 */
static int
qemu_prepare(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm, bool run)
{
	char dir[VMM_PATH_MAX], state[VMM_PATH_MAX], memfile[VMM_PATH_MAX];
	char accelf[VMM_PATH_MAX], accel[16] = "", name[32], stub[VMM_PATH_MAX];
	char qlog[VMM_PATH_MAX], vmdisk[VMM_PATH_MAX], machine[128];
	struct qemu_disk disk;
	struct qemu_run r = {
		.t = t, .id = vm->id, .name = name, .dir = vm->dir,
		.memfile = memfile, .machine = machine, .incoming = true,
		.tapfd = -1, .console = -1, .log = -1,
	};
	struct cgroup cg;
	struct stat st;
	int rc = -1;
	bool made = false;

	snprintf(vm->rec.ifname, sizeof(vm->rec.ifname), "pk%u", vm->id);
	snprintf(vm->rec.mac, sizeof(vm->rec.mac), "%s", t->mac);
	vm->rec.guest_ip = t->guest_ip;
	vm->rec.gw_ip = t->gw_ip;
	if (qemu_snapshot_files(conf, t, dir, state, memfile, sizeof(dir)) == -1 ||
	    vmm_path(accelf, sizeof(accelf), "%s/accel", dir) == -1 ||
	    vmm_path(stub, sizeof(stub), "%s/kernel.stub", dir) == -1 ||
	    layer_path(conf, vm->id, "qemu.log", qlog, sizeof(qlog)) == -1 ||
	    qemu_disk_paths(dir, &disk) == -1 ||
	    vmm_path(vmdisk, sizeof(vmdisk), "%s/disk.qcow2", vm->dir) == -1 ||
	    cgroup_of(conf, t, vm->id, &cg) == -1)
		return -1;
	if (stat(state, &st) == -1 || stat(memfile, &st) == -1) {
		warnx("type %s: no snapshot in %s (run potemkin-snapshot %s)",
		    t->name, dir, t->name);
		return -1;
	}
	if (qemu_read_machine(dir, machine, sizeof(machine)) == -1)
		return -1;
	if (t->disk) {
		if (qemu_disk_clone(t, &disk, vmdisk) == -1)
			return -1;
		r.base = t->disk;
		r.snapdisk = disk.snap;
		r.disk = vmdisk;
	}
	vmm_read_file(accelf, accel, sizeof(accel), NULL);
	r.kvm = strncmp(accel, "kvm", 3) == 0;
	r.kernel = access(stub, R_OK) == 0 ? stub : t->kernel;
	snprintf(name, sizeof(name), "potemkin-pk%u", vm->id);
	if (cgroup_create(t, &cg) == -1)
		return -1;
	made = true;
	if ((r.console = layer_create(conf, t, vm, false)) == -1 ||
	    (r.log = qemu_logfile(qlog)) == -1 ||
	    (r.tapfd = qemu_tap(vm->rec.ifname)) == -1 ||
	    nl_host_side(vm->rec.ifname, t->gw_ip) == -1 ||
	    qemu_run(&r, &cg) == -1 ||
	    qemu_write_pid(vm, r.pid) == -1 ||
	    qemu_resume(vm->dir, state, t->ready_timeout_ms, run) == -1)
		goto out;
	vm->rec.pid = r.pid;
	rc = 0;
out:
	if (rc == -1 && made) {
		cgroup_remove(&cg);
		layer_remove(conf, vm->id);
	}
	qemu_run_done(&r);
	return rc;
}

/* Resume a clone left paused by qemu_prepare. */
static int
qemu_cont(struct vmm_vm *vm, uint64_t timeout_ms)
{
	char sock[VMM_PATH_MAX];
	struct qmp q;
	int rc;

	if (vmm_path(sock, sizeof(sock), "%s/qmp.sock", vm->dir) == -1 ||
	    qmp_open(&q, sock, timeout_ms) == -1)
		return -1;
	rc = qmp_cmd(&q, "resuming the clone", "{\"execute\":\"cont\"}", NULL,
	    0, timeout_ms);
	qmp_close(&q);
	return rc;
}

static int qemu_handshake(const char *ifname, uint32_t addr, uint16_t port);
static void qemu_settle(long pid, uint64_t deadline);

/*
 * Warm a pooled clone: let it run and answer one TCP handshake on each of
 * the type's ready_tcp ports through its pk<ID>, then pause it again.  TCG
 * translates guest code on first use, and a clone fresh from its snapshot
 * has translated nothing: its first SYN-ACK took ~70 ms more than the next.
 * Then it is left to finish what the handshakes set going (qemu_settle)
 * before it is paused.  The guest keeps a closed connection from gw_ip in
 * TIME_WAIT; nothing else.
 *
 * Best effort, at most QEMU_WARM_MS: on a gateway host the rules drop
 * whatever a clone sends the host itself (no handshake completes there),
 * and a clone not warmed is still a clone, paused in the pool all the same.
 */
static int
qemu_warm(const struct vmm_type *t, struct vmm_vm *vm)
{
	uint64_t limit = t->ready_timeout_ms < QEMU_WARM_MS ?
	    t->ready_timeout_ms : QEMU_WARM_MS;
	uint64_t deadline = mono_ms() + limit;
	char sock[VMM_PATH_MAX];
	struct qmp q;
	int rc = 0, warm = 0;

	if (t->nready_tcp == 0)
		return 0;
	if (qemu_cont(vm, t->ready_timeout_ms) == -1)
		return -1;
	for (size_t i = 0; i < t->nready_tcp && warm == 0; i++)
		while ((warm = qemu_handshake(vm->rec.ifname, t->guest_ip,
		    t->ready_tcp[i])) == -1 && mono_ms() < deadline && !vmm_stop)
			usleep(10000);
	if (warm == -1)
		warnx("clone %u: no answer on its ready_tcp ports within %llu ms: "
		    "pooled unwarmed", vm->id, (unsigned long long)limit);
	if (warm == 0)
		qemu_settle(qemu_read_pid(vm->dir), mono_ms() + QEMU_SETTLE_MS);
	if (vmm_path(sock, sizeof(sock), "%s/qmp.sock", vm->dir) == -1 ||
	    qmp_open(&q, sock, 5000) == -1)
		return -1;
	if (qmp_cmd(&q, "pausing the warmed clone", "{\"execute\":\"stop\"}",
		NULL, 0, 5000) == -1)
		rc = -1;
	qmp_close(&q);
	return rc;
}

/* The CPU time of all of pid's threads so far, in ns; 0 if unknown. */
static uint64_t
qemu_cpu_ns(long pid)
{
	char path[64], buf[128];
	uint64_t sum = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%ld/task", pid);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/task/%.16s/schedstat", pid,
		    e->d_name);
		if (vmm_read_file(path, buf, sizeof(buf), NULL) == 0)
			sum += strtoull(buf, NULL, 10);
	}
	closedir(d);
	return sum;
}

/*
 * Wait, until deadline at most, for a warmed clone's QEMU to go quiet.
 * The warming handshake sets the guest to work (its web server forks a
 * child for the connection, the connection's end is handled): paused in
 * the middle of it, the clone did that work first once handed out, and
 * its first SYN-ACK through the gateway came 70-140 ms after the SYN
 * instead of 5-31 ms.
 */
static void
qemu_settle(long pid, uint64_t deadline)
{
	uint64_t before = qemu_cpu_ns(pid), now;

	if (pid <= 0 || before == 0)
		return;
	while (mono_ms() < deadline && !vmm_stop) {
		usleep(QEMU_QUIET_WINDOW_MS * 1000);
		now = qemu_cpu_ns(pid);
		/*
		 * 0 or less than before: gone, or not the same process; its
		 * difference would wrap and keep us waiting to the deadline.
		 */
		if (now == 0 || now < before ||
		    now - before < QEMU_QUIET_WINDOW_MS * 1000000ULL / 10)
			return;
		before = now;
	}
}

/* One handshake with addr:port through ifname, at most a second. */
static int
qemu_handshake(const char *ifname, uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(port),
		.sin_addr.s_addr = htonl(addr),
	};
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct pollfd p = { .fd = s, .events = POLLOUT };
	int e = -1, rc = -1;
	socklen_t elen = sizeof(e);

	if (s == -1)
		return -1;
	if (setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, ifname,
	    (socklen_t)strlen(ifname)) == 0 &&
	    (connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 ||
	    (errno == EINPROGRESS && poll(&p, 1, 1000) == 1 &&
	    getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &elen) == 0 && e == 0)))
		rc = 0;
	close(s);
	return rc;
}


static int
qemu_clone(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm)
{
	if (qemu_prepare(conf, t, vm, true) == -1)
		return -1;
	if (t->pool)
		pool_kick(conf, t);	/* the pool ran dry: refill */
	return 0;
}

/* For the pool: loaded, warmed, paused. */
static int
qemu_pool_make(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm)
{
	if (qemu_prepare(conf, t, vm, false) == -1)
		return -1;
	return qemu_warm(t, vm);
}

/* Out of the pool: resumed, with the record of a clone of the type. */
static int
qemu_pool_take(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm)
{
	(void)conf;
	snprintf(vm->rec.ifname, sizeof(vm->rec.ifname), "pk%u", vm->id);
	snprintf(vm->rec.mac, sizeof(vm->rec.mac), "%s", t->mac);
	vm->rec.guest_ip = t->guest_ip;
	vm->rec.gw_ip = t->gw_ip;
	if (qemu_cont(vm, t->ready_timeout_ms) == -1)
		return -1;
	vm->rec.pid = qemu_read_pid(vm->dir);
	return 0;
}

/*
 * The record's pid (or, for a clone still in a pool, the one we wrote) is
 * our QEMU only if it is in the clone's cgroup.
 */
static bool
qemu_is_ours(const struct vmm_conf *conf, const struct vmm_vm *vm)
{
	long pid = vm->rec.pid > 0 ? vm->rec.pid : qemu_read_pid(vm->dir);
	struct cgroup cg;

	return pid > 0 && vmm_pid_alive(pid) &&
	    cgroup_of(conf, vm->type, vm->id, &cg) == 0 &&
	    cgroup_has(&cg, (pid_t)pid);
}

static int
qemu_teardown(const struct vmm_conf *conf, struct vmm_vm *vm)
{
	char group[16];
	int rc;

	pool_forget(conf, vm);
	snprintf(group, sizeof(group), "pk%u", vm->id);
	rc = qemu_kill(conf, group);
	if (rc == 0 && layer_remove(conf, vm->id) == -1)
		rc = -1;
	return rc;
}

static bool
qemu_alive(const struct vmm_conf *conf, const struct vmm_vm *vm)
{
	return qemu_is_ours(conf, vm);
}

/* A file of the evidence folder, handed to QEMU under name, or into its
 * state fd set for a migration (name NULL). */
static int
qemu_give_file(struct qmp *q, const char *evdir, const char *file,
    const char *name)
{
	char path[VMM_PATH_MAX];
	int fd, rc;

	if (vmm_path(path, sizeof(path), "%s/%s", evdir, file) == -1)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) ==
	    -1) {
		warn("%s", path);
		return -1;
	}
	rc = name ? qmp_getfd(q, "passing an evidence file", name, fd, 5000) :
	    qmp_add_fd(q, "passing an evidence file", QEMU_FDSET_STATE, fd, 5000);
	close(fd);
	return rc;
}

/*
 * The -machine a clone's QEMU runs with, from its command line: the
 * machine its state loads into (the snapshot's may have been replaced
 * since the clone began).
 */
static void
qemu_running_machine(const struct vmm_vm *vm, char *buf, size_t size)
{
	char path[64], args[8192];
	long pid = vm->rec.pid > 0 ? vm->rec.pid : qemu_read_pid(vm->dir);
	size_t len;

	snprintf(buf, size, "(unknown)");
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	if (pid <= 0 || vmm_read_file(path, args, sizeof(args), &len) == -1)
		return;
	for (size_t i = 0; i < len; i += strlen(args + i) + 1)
		if (strcmp(args + i, "-machine") == 0 && i + 9 < len) {
			snprintf(buf, size, "%s", args + i + 9);
			return;
		}
}

/* Stopped guest: its memory as an ELF core, then its whole machine state
 * (RAM included: nothing is shared in a clone's stream) as a migration
 * stream that a QEMU started with -incoming can load. */
static int
qemu_freeze(const struct vmm_conf *conf, struct vmm_vm *vm, const char *evdir)
{
	char sock[VMM_PATH_MAX], qlog[VMM_PATH_MAX], to[VMM_PATH_MAX];
	char machine[128];
	struct qmp q;
	int rc = -1, disk;

	qemu_running_machine(vm, machine, sizeof(machine));
	if (vmm_path(sock, sizeof(sock), "%s/qmp.sock", vm->dir) == -1 ||
	    qmp_open(&q, sock, 5000) == -1)
		return -1;
	if (qmp_cmd(&q, "stopping the clone", "{\"execute\":\"stop\"}", NULL, 0,
		5000) == -1 ||
	    qemu_give_file(&q, evdir, "memory.elf", "dump") == -1 ||
	    qmp_cmd(&q, "dumping guest memory", "{\"execute\":"
		"\"dump-guest-memory\",\"arguments\":{\"paging\":false,"
		"\"protocol\":\"fd:dump\"}}", NULL, 0, 120000) == -1 ||
	    qmp_cmd(&q, "clearing x-ignore-shared",
		"{\"execute\":\"migrate-set-capabilities\",\"arguments\":"
		"{\"capabilities\":[{\"capability\":\"x-ignore-shared\","
		"\"state\":false}]}}", NULL, 0, 5000) == -1 ||
	    qemu_give_file(&q, evdir, "machine-state", NULL) == -1 ||
	    qmp_cmd(&q, "saving the machine state", "{\"execute\":\"migrate\","
		"\"arguments\":{\"uri\":\"file:/dev/fdset/"
		QEMU_FDSET_STATE_STR "\"}}", NULL, 0, 5000) == -1 ||
	    qmp_wait_migration(&q, "saving the machine state", 120000) == -1)
		goto out;
	/* QEMU's own messages, and what it said on the way. */
	if (layer_path(conf, vm->id, "qemu.log", qlog, sizeof(qlog)) == 0 &&
	    vmm_path(to, sizeof(to), "%s/qemu.log", evdir) == 0 &&
	    access(qlog, F_OK) == 0)
		vmm_copy_file(qlog, to);
	/* Migrated, the clone's disk is flushed and no longer written. */
	if ((disk = qemu_disk_freeze(vm, evdir)) == -1)
		goto out;
	rc = evidence_note(evdir, "memory.elf: guest memory (ELF core, "
	    "dump-guest-memory)") ||
	    evidence_note(evdir, "machine-state: device state and RAM (QEMU "
		"migration stream; load with -incoming, -machine %s)", machine) ||
	    evidence_note(evdir, "qemu.log: QEMU's own messages") ||
	    evidence_note(evdir, disk ? "disk.qcow2: what the clone "
		"wrote to its disk (a qcow2 overlay; qemu-img info names the "
		"snapshot's disk it lies on)" : "disk: none (the guest runs "
		"from its initramfs)") ? -1 : 0;
out:
	qmp_close(&q);
	return rc;
}

const struct vmm_backend vmm_qemu_backend = {
	.name = "qemu",
	.memory = "cow",
	.sandboxed = true,
	.check = qemu_check,
	.snapshot = qemu_snapshot,
	.clone = qemu_clone,
	.teardown = qemu_teardown,
	.freeze = qemu_freeze,
	.alive = qemu_alive,
	.pool_make = qemu_pool_make,
	.pool_take = qemu_pool_take,
};
