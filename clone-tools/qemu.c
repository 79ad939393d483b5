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
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr.h"
#include "evidence.h"
#include "monotime.h"
#include "nl.h"
#include "qemu.h"
#include "qmp.h"
#include "vmm.h"

#define QEMU_ARGS_MAX 64
#define QEMU_START_MS 20000	/* QEMU's own start, before any guest runs */
#define QEMU_KVM_TRY_MS 20000	/* accel "auto": how long KVM may take */
/*
 * TCG's translated-code buffer, in MB.  Its pages are private to each
 * clone; an idle honeypot needs little code, and a small buffer is only
 * flushed more often when a guest gets busy.
 */
#define QEMU_TB_MB "8"

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

/*
 * The machine, identical for the reference and its clones (migration needs
 * the same devices and RAM blocks); dir holds the QMP socket, pid file and
 * console log.
 */
static int
qemu_machine(struct qargs *a, const struct vmm_type *t, const char *name,
    const char *dir, const char *memfile, const char *kernel, bool share,
    bool kvm, int tapfd)
{
	char guest[ADDR_STRLEN], gw[ADDR_STRLEN];

	a->n = 0;
	a->used = 0;
	a->overflow = false;
	qa_add(a, "%s", t->qemu);
	qa_add(a, "-name");
	qa_add(a, "%s", name);
	qa_add(a, "-accel");
	qa_add(a, "%s", kvm ? "kvm" : "tcg,tb-size=" QEMU_TB_MB);
	qa_add(a, "-machine");
	qa_add(a, "pc,memory-backend=ram");
	qa_add(a, "-smp");
	qa_add(a, "%u", t->cpus);
	qa_add(a, "-m");
	qa_add(a, "%uM", t->memory_mb);
	qa_add(a, "-object");
	qa_add(a, "memory-backend-file,id=ram,size=%uM,mem-path=%s,share=%s",
	    t->memory_mb, memfile, share ? "on" : "off");
	qa_add(a, "-nodefaults");
	qa_add(a, "-no-user-config");
	qa_add(a, "-display");
	qa_add(a, "none");
	qa_add(a, "-no-reboot");
	qa_add(a, "-kernel");
	qa_add(a, "%s", kernel ? kernel : t->kernel);
	if (kernel == NULL) {
		qa_add(a, "-initrd");
		qa_add(a, "%s", t->initrd);
	}
	qa_add(a, "-append");
	qa_add(a, "console=ttyS0 quiet panic=-1 potemkin.ip=%s/%u "
	    "potemkin.gw=%s potemkin.ready=%s %s", addr_fmt(t->guest_ip, guest),
	    t->prefix, addr_fmt(t->gw_ip, gw), t->ready, t->append);
	qa_add(a, "-chardev");
	qa_add(a, "file,id=console,path=%s/console.log", dir);
	qa_add(a, "-serial");
	qa_add(a, "chardev:console");
	qa_add(a, "-netdev");
	qa_add(a, "tap,id=net0,fd=%d,vhost=off", tapfd);
	qa_add(a, "-device");
	qa_add(a, "virtio-net-pci,netdev=net0,mac=%s,romfile=", t->mac);
	qa_add(a, "-qmp");
	qa_add(a, "unix:%s/qmp.sock,server=on,wait=off", dir);
	qa_add(a, "-pidfile");
	qa_add(a, "%s/qemu.pid", dir);
	qa_add(a, "-daemonize");
	if (a->overflow) {
		warnx("type %s: QEMU command line too long", t->name);
		return -1;
	}
	return 0;
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
 * Start QEMU daemonized and wait until it has set itself up (the
 * foreground process exits then).  Returns the daemon's pid.
 */
static long
qemu_start(struct qargs *a, const char *dir, int tapfd)
{
	pid_t pid = vmm_spawn(a->argv, -1, &tapfd, 1);
	int status;
	long qpid;

	if (pid == -1)
		return -1;
	if (vmm_wait(pid, QEMU_START_MS, &status) == -1) {
		warnx("%s: did not start within %d ms", a->argv[0], QEMU_START_MS);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		warnx("%s: failed to start (%s %d; its messages are above)",
		    a->argv[0], WIFEXITED(status) ? "exit status" : "signal",
		    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
		return -1;
	}
	if ((qpid = qemu_read_pid(dir)) <= 0) {
		warnx("%s: no pid file in %s", a->argv[0], dir);
		return -1;
	}
	return qpid;
}

/*
 * QMP quit, then signals.  Only for a pid that runs our QEMU.
 *
 * QEMU answers quit only once it has stopped its virtual CPUs (some 20 ms
 * under TCG), and its process takes another 30 ms to die, most of it the
 * kernel unmapping memory.  A clone has nothing to save, so teardown (wait
 * false) asks QEMU to quit without waiting for the answer and follows with
 * SIGKILL, which no process survives; the kernel finishes on its own time,
 * and the TAP goes when QEMU's descriptors close.  The reference is waited
 * for.
 */
static int
qemu_stop(const char *dir, long pid, bool wait)
{
	char sock[VMM_PATH_MAX];
	struct qmp q;

	if (pid <= 0 || !vmm_pid_alive(pid))
		return 0;
	if (vmm_path(sock, sizeof(sock), "%s/qmp.sock", dir) == 0 &&
	    qmp_open(&q, sock, 500) == 0) {
		if (wait)
			qmp_cmd(&q, "quit", "{\"execute\":\"quit\"}", NULL, 0, 500);
		else
			qmp_send_only(&q, "{\"execute\":\"quit\"}");
		qmp_close(&q);
	}
	if (!wait) {
		kill((pid_t)pid, SIGKILL);
		return 0;
	}
	return vmm_kill_wait(pid, 1000);
}

static int
qemu_snapshot_files(const struct vmm_conf *conf, const struct vmm_type *t,
    char *dir, char *state, char *memfile, size_t size)
{
	return vmm_snapshot_dir(conf, t->name, dir, size) ||
	    vmm_path(state, size, "%s/state", dir) ||
	    qemu_memfile(conf, t, "", memfile, size) ? -1 : 0;
}

/* Boot the reference; 0 once its console shows the ready string. */
static int
qemu_boot(const struct vmm_type *t, const char *dir, const char *refdir,
    const char *memfile, bool kvm, uint64_t timeout_ms, long *pid)
{
	char log[VMM_PATH_MAX];
	struct qargs *a = calloc(1, sizeof(*a));
	int tapfd = -1, rc = -1;

	*pid = -1;
	if (a == NULL) {
		warn("booting %s", t->name);
		return -1;
	}
	if (vmm_path(log, sizeof(log), "%s/console.log", refdir) == -1 ||
	    (tapfd = qemu_tap("")) == -1 ||
	    qemu_machine(a, t, "potemkin-reference", refdir, memfile, NULL, true,
		kvm, tapfd) == -1)
		goto out;
	unlink(log);
	fprintf(stderr, "%s: type %s: booting the reference (%s)\n",
	    vmm_progname(), t->name, kvm ? "kvm" : "tcg");
	if ((*pid = qemu_start(a, refdir, tapfd)) == -1)
		goto out;
	if (vmm_wait_string(log, 0, t->ready, timeout_ms, (pid_t)*pid) == 0)
		rc = 0;
	else if (errno == ESRCH)
		warnx("type %s: the reference exited before it was ready (see "
		    "%s/console.log)", t->name, dir);
	else if (errno == ETIMEDOUT)
		warnx("type %s: no '%s' on the console within %llu ms (see "
		    "%s/console.log)", t->name, t->ready,
		    (unsigned long long)timeout_ms, dir);
	else
		warnx("type %s: interrupted", t->name);
out:
	if (tapfd != -1)
		close(tapfd);
	free(a);
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
	return vmm_write_file(path, buf, len, 0640);
}

/* Stop the ready reference and save its device state to state. */
static int
qemu_save(const char *refdir, const char *state)
{
	char sock[VMM_PATH_MAX], cmd[VMM_PATH_MAX + 128];
	struct qmp q;
	int rc = -1;

	if (vmm_path(sock, sizeof(sock), "%s/qmp.sock", refdir) == -1 ||
	    qmp_open(&q, sock, 5000) == -1)
		return -1;
	snprintf(cmd, sizeof(cmd), "{\"execute\":\"migrate\",\"arguments\":"
	    "{\"uri\":\"exec:cat>%s\"}}", state);
	if (qmp_cmd(&q, "stopping the reference", "{\"execute\":\"stop\"}",
		NULL, 0, 5000) == 0 &&
	    qmp_cmd(&q, "setting x-ignore-shared",
		"{\"execute\":\"migrate-set-capabilities\",\"arguments\":"
		"{\"capabilities\":[{\"capability\":\"x-ignore-shared\","
		"\"state\":true}]}}", NULL, 0, 5000) == 0 &&
	    qmp_cmd(&q, "saving the reference", cmd, NULL, 0, 5000) == 0 &&
	    qmp_wait_migration(&q, "saving the reference", 60000) == 0)
		rc = 0;
	qmp_close(&q);
	return rc;
}

static int
qemu_snapshot(const struct vmm_conf *conf, const struct vmm_type *t,
    bool force)
{
	char dir[VMM_PATH_MAX], state[VMM_PATH_MAX], memfile[VMM_PATH_MAX];
	char refdir[VMM_PATH_MAX], newmem[VMM_PATH_MAX], newstate[VMM_PATH_MAX];
	char accel[VMM_PATH_MAX], cmdline[VMM_PATH_MAX];
	bool kvm = t->accel == VMM_ACCEL_KVM || t->accel == VMM_ACCEL_AUTO;
	struct stat st;
	long pid = -1;
	int rc = -1, booted;
	uint64_t t0 = mono_ms();

	if (qemu_snapshot_files(conf, t, dir, state, memfile, sizeof(dir)) == -1 ||
	    vmm_path(refdir, sizeof(refdir), "%s/reference", dir) == -1 ||
	    qemu_memfile(conf, t, ".new", newmem, sizeof(newmem)) == -1 ||
	    vmm_path(newstate, sizeof(newstate), "%s.new", state) == -1 ||
	    vmm_path(accel, sizeof(accel), "%s/accel", dir) == -1)
		return -1;
	if (!force && stat(state, &st) == 0 && stat(memfile, &st) == 0) {
		fprintf(stderr, "%s: type %s: snapshot exists in %s (-f makes a "
		    "new one)\n", vmm_progname(), t->name, dir);
		return t->pool ? qemu_pool_fill(conf, t, true) : 0;
	}
	/* Clones waiting in the pool were made from the snapshot replaced. */
	if (t->pool && qemu_pool_drain(conf, t) == -1)
		return -1;
	if ((mkdir(dir, 0750) == -1 && errno != EEXIST) ||
	    (mkdir(refdir, 0750) == -1 && errno != EEXIST) ||
	    (mkdir(conf->memdir, 0750) == -1 && errno != EEXIST)) {
		warn("creating %s or %s", refdir, conf->memdir);
		return -1;
	}
	unlink(newmem);
	unlink(newstate);
	/*
	 * Under "auto", KVM gets at most QEMU_KVM_TRY_MS: a guest that boots
	 * in seconds under TCG boots far faster under a KVM that works, and
	 * one that does not work (nested, no 64-bit guests) should not cost
	 * the whole ready_timeout before TCG is tried.
	 */
	booted = qemu_boot(t, dir, refdir, newmem, kvm,
	    t->accel == VMM_ACCEL_AUTO && t->ready_timeout_ms > QEMU_KVM_TRY_MS ?
	    QEMU_KVM_TRY_MS : t->ready_timeout_ms, &pid);
	if (booted == -1 && kvm && t->accel == VMM_ACCEL_AUTO && !vmm_stop) {
		qemu_stop(refdir, pid, true);
		unlink(newmem);
		fprintf(stderr, "%s: type %s: kvm did not reach ready; trying "
		    "tcg\n", vmm_progname(), t->name);
		kvm = false;
		booted = qemu_boot(t, dir, refdir, newmem, kvm,
		    t->ready_timeout_ms, &pid);
	}
	if (booted == -1)
		goto out;
	fprintf(stderr, "%s: type %s: ready after %llu ms; saving\n",
	    vmm_progname(), t->name, (unsigned long long)(mono_ms() - t0));
	if (qemu_save(refdir, newstate) == -1)
		goto out;
	/* Clones still running keep the old memory file's inode. */
	if (rename(newmem, memfile) == -1 || rename(newstate, state) == -1) {
		warn("installing the snapshot in %s", dir);
		goto out;
	}
	snprintf(cmdline, sizeof(cmdline), "%s\n", kvm ? "kvm" : "tcg");
	if (vmm_write_file(accel, cmdline, strlen(cmdline), 0640) == -1 ||
	    vmm_path(cmdline, sizeof(cmdline), "%s/kernel.stub", dir) == -1 ||
	    qemu_write_stub(t, cmdline) == -1)
		goto out;
	fprintf(stderr, "%s: type %s: snapshot saved in %s (%llu ms)\n",
	    vmm_progname(), t->name, dir, (unsigned long long)(mono_ms() - t0));
	rc = 0;
	qemu_stop(refdir, pid, true);
	pid = -1;
	if (t->pool && qemu_pool_fill(conf, t, true) == -1)
		rc = -1;
out:
	qemu_stop(refdir, pid, true);
	unlink(newmem);
	unlink(newstate);
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
 * a descriptor ("fd:" URI) rather than "exec:cat FILE", which would cost a
 * shell and a cat per clone.
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
	    qmp_getfd(&q, "passing the snapshot", "state", fd, timeout_ms) == 0 &&
	    qmp_cmd(&q, "loading the snapshot", "{\"execute\":"
		"\"migrate-incoming\",\"arguments\":{\"uri\":\"fd:state\"}}",
		NULL, 0, timeout_ms) == 0 &&
	    qmp_wait_migration(&q, "loading the snapshot", timeout_ms) == 0 &&
	    (!run || qmp_cmd(&q, "resuming the clone", "{\"execute\":\"cont\"}",
		NULL, 0, timeout_ms) == 0))
		rc = 0;
	close(fd);
	qmp_close(&q);
	return rc;
}

/*
 * A clone: its TAP, its QEMU, the snapshot loaded; running if run, else
 * left paused for the pool (qemu-pool.c).
 */
int
qemu_prepare(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm, bool run)
{
	char dir[VMM_PATH_MAX], state[VMM_PATH_MAX], memfile[VMM_PATH_MAX];
	char accelf[VMM_PATH_MAX], accel[16] = "", name[32], stub[VMM_PATH_MAX];
	struct qargs *a = NULL;
	struct stat st;
	int tapfd = -1, rc = -1;
	long pid = -1;

	snprintf(vm->rec.ifname, sizeof(vm->rec.ifname), "pk%u", vm->id);
	snprintf(vm->rec.mac, sizeof(vm->rec.mac), "%s", t->mac);
	vm->rec.guest_ip = t->guest_ip;
	vm->rec.gw_ip = t->gw_ip;
	if (qemu_snapshot_files(conf, t, dir, state, memfile, sizeof(dir)) == -1 ||
	    vmm_path(accelf, sizeof(accelf), "%s/accel", dir) == -1 ||
	    vmm_path(stub, sizeof(stub), "%s/kernel.stub", dir) == -1)
		return -1;
	if (stat(state, &st) == -1 || stat(memfile, &st) == -1) {
		warnx("type %s: no snapshot in %s (run potemkin-snapshot %s)",
		    t->name, dir, t->name);
		return -1;
	}
	vmm_read_file(accelf, accel, sizeof(accel), NULL);
	snprintf(name, sizeof(name), "potemkin-pk%u", vm->id);
	if ((a = calloc(1, sizeof(*a))) == NULL) {
		warn("clone %u", vm->id);
		return -1;
	}
	if ((tapfd = qemu_tap(vm->rec.ifname)) == -1 ||
	    nl_host_side(vm->rec.ifname, t->gw_ip) == -1 ||
	    qemu_machine(a, t, name, vm->dir, memfile,
		access(stub, R_OK) == 0 ? stub : NULL, false,
		strncmp(accel, "kvm", 3) == 0, tapfd) == -1)
		goto out;
	qa_add(a, "-incoming");
	qa_add(a, "defer");
	qa_add(a, "-S");
	if ((pid = qemu_start(a, vm->dir, tapfd)) == -1)
		goto out;
	if (qemu_resume(vm->dir, state, t->ready_timeout_ms, run) == -1)
		goto out;
	vm->rec.pid = pid;
	rc = 0;
out:
	if (rc == -1 && pid > 0)
		vmm_kill_wait(pid, 0);
	if (tapfd != -1)
		close(tapfd);
	free(a);
	return rc;
}

static int
qemu_clone(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm)
{
	if (qemu_prepare(conf, t, vm, true) == -1)
		return -1;
	if (t->pool)
		qemu_pool_kick(conf, t);	/* the pool ran dry: refill */
	return 0;
}

/* Resume a clone left paused by qemu_prepare. */
int
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

/*
 * The record's pid (or, for a clone still in a pool, the pid file's) is
 * our QEMU only if its command line names our directory.
 */
static bool
qemu_is_ours(const struct vmm_vm *vm)
{
	long pid = vm->rec.pid > 0 ? vm->rec.pid : qemu_read_pid(vm->dir);
	char path[64], cmd[4096];
	size_t len;

	if (pid <= 0 || !vmm_pid_alive(pid))
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", pid);
	if (vmm_read_file(path, cmd, sizeof(cmd), &len) == -1)
		return false;
	for (size_t i = 0; i + 1 < len; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	return strstr(cmd, vm->dir) != NULL;
}

int
qemu_teardown(const struct vmm_conf *conf, struct vmm_vm *vm)
{
	qemu_pool_forget(conf, vm);
	if (vm->rec.pid <= 0)
		vm->rec.pid = qemu_read_pid(vm->dir);
	if (!qemu_is_ours(vm))
		return 0;
	return qemu_stop(vm->dir, vm->rec.pid, false);
}

static bool
qemu_alive(const struct vmm_conf *conf, const struct vmm_vm *vm)
{
	(void)conf;
	return qemu_is_ours(vm);
}

/* Stopped guest: its memory as an ELF core, then its whole machine state
 * (RAM included: nothing is shared in a clone's stream) as a migration
 * stream that a QEMU started with -incoming can load. */
static int
qemu_freeze(const struct vmm_conf *conf, struct vmm_vm *vm, const char *evdir)
{
	char sock[VMM_PATH_MAX], cmd[VMM_PATH_MAX + 160];
	struct qmp q;
	int rc = -1;

	(void)conf;
	if (vmm_path(sock, sizeof(sock), "%s/qmp.sock", vm->dir) == -1 ||
	    qmp_open(&q, sock, 5000) == -1)
		return -1;
	if (qmp_cmd(&q, "stopping the clone", "{\"execute\":\"stop\"}", NULL, 0,
		5000) == -1)
		goto out;
	snprintf(cmd, sizeof(cmd), "{\"execute\":\"dump-guest-memory\","
	    "\"arguments\":{\"paging\":false,\"protocol\":\"file:%s/memory.elf\"}}",
	    evdir);
	if (qmp_cmd(&q, "dumping guest memory", cmd, NULL, 0, 120000) == -1)
		goto out;
	snprintf(cmd, sizeof(cmd), "{\"execute\":\"migrate\",\"arguments\":"
	    "{\"uri\":\"exec:cat>%s/machine-state\"}}", evdir);
	if (qmp_cmd(&q, "clearing x-ignore-shared",
		"{\"execute\":\"migrate-set-capabilities\",\"arguments\":"
		"{\"capabilities\":[{\"capability\":\"x-ignore-shared\","
		"\"state\":false}]}}", NULL, 0, 5000) == -1 ||
	    qmp_cmd(&q, "saving the machine state", cmd, NULL, 0, 5000) == -1 ||
	    qmp_wait_migration(&q, "saving the machine state", 120000) == -1)
		goto out;
	rc = evidence_note(evdir, "memory.elf: guest memory (ELF core, "
	    "dump-guest-memory)") ||
	    evidence_note(evdir, "machine-state: device state and RAM (QEMU "
		"migration stream; load with -incoming)") ||
	    evidence_note(evdir, "disk: none (the guest runs from its "
		"initramfs)") ? -1 : 0;
out:
	qmp_close(&q);
	return rc;
}

const struct vmm_backend vmm_qemu_backend = {
	.name = "qemu",
	.memory = "cow",
	.check = qemu_check,
	.snapshot = qemu_snapshot,
	.clone = qemu_clone,
	.teardown = qemu_teardown,
	.freeze = qemu_freeze,
	.alive = qemu_alive,
	.claim = qemu_pool_claim,
};
