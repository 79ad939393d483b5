/* SPDX-License-Identifier: ISC */
/*
 * The xen backend, through the xl tools as an operator would use them:
 *
 *	snapshot  xl create -p REF.cfg; xl unpause; ready string in the
 *	          console log; xl save -p; xl destroy
 *	clone     xl restore -p CLONE.cfg STATE (name pk<ID>, vifname=pk<ID>,
 *	          script=potemkin-xen-vif); host side of pk<ID>; xl unpause
 *	teardown  xl destroy
 *	freeze    xl save -p into the evidence folder (else xl pause and
 *	          xl dump-core)
 *
 * Stock Xen has no copy-on-write fork of a domain (xl fork-vm never landed
 * upstream): xl restore copies the whole memory image, so a xen clone costs
 * its full memory and restores in time proportional to it.  Proven on Xen
 * 4.17 nested under QEMU by t/t9000-xen-nested.t.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/addr.h"
#include "evidence.h"
#include "lib/monotime.h"
#include "nl.h"
#include "vmm.h"

#define XL_TIMEOUT_MS 120000

static int
xen_check(const struct vmm_conf *conf, const struct vmm_type *t)
{
	if (t->kernel == NULL || t->initrd == NULL) {
		warnx("%s: type %s: kernel and initrd are required for xen "
		    "(potemkin-mkimage builds them)", conf->path, t->name);
		return -1;
	}
	if (strstr(t->console_log, "%s") == NULL ||
	    strchr(strchr(t->console_log, '%') + 1, '%') != NULL ||
	    strchr(t->console_log, '%')[1] != 's') {
		warnx("%s: type %s: console_log must contain one %%s (the "
		    "domain name) and no other %%", conf->path, t->name);
		return -1;
	}
	return 0;
}

/* Cleanup after a failure: xl's complaints about what is not there would
 * only hide the message that matters. */
static bool xen_quiet;

/*
 * Run `xl ARGS...`; stdout into out (if given).  xl's own messages go to
 * our stderr, where the user sees why a step failed.
 */
static int
xen_xl(const struct vmm_type *t, char *out, size_t size, ...)
{
	char *argv[12];
	int pipefd[2] = { -1, -1 }, status, rc = -1;
	size_t n = 0, got = 0;
	const char *arg;
	va_list ap;
	pid_t pid;

	argv[n++] = (char *)(uintptr_t)t->xl;
	va_start(ap, size);
	while ((arg = va_arg(ap, const char *)) != NULL && n < 11)
		argv[n++] = (char *)(uintptr_t)arg;
	va_end(ap);
	argv[n] = NULL;
	if (out && pipe2(pipefd, O_CLOEXEC) == -1) {
		warn("pipe");
		return -1;
	}
	if (xen_quiet) {
		int saved = dup(2), null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null != -1)
			dup2(null, 2);
		pid = vmm_spawn(argv, out ? pipefd[1] : -1, NULL, 0);
		if (saved != -1) {
			dup2(saved, 2);
			close(saved);
		}
		if (null != -1)
			close(null);
	} else {
		pid = vmm_spawn(argv, out ? pipefd[1] : -1, NULL, 0);
	}
	if (pid == -1)
		goto out;
	if (out) {
		ssize_t r;

		close(pipefd[1]);
		pipefd[1] = -1;
		while (got < size - 1 &&
		    (r = read(pipefd[0], out + got, size - 1 - got)) > 0)
			got += (size_t)r;
		out[got] = '\0';
	}
	if (vmm_wait(pid, XL_TIMEOUT_MS, &status) == -1) {
		warnx("%s %s: no answer within %d s", t->xl, argv[1],
		    XL_TIMEOUT_MS / 1000);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		goto out;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		rc = 0;
	else if (!xen_quiet)
		warnx("%s %s %s: failed (%s %d)", t->xl, argv[1],
		    argv[2] ? argv[2] : "", WIFEXITED(status) ? "exit status" :
		    "signal", WIFEXITED(status) ? WEXITSTATUS(status) :
		    WTERMSIG(status));
out:
	if (pipefd[0] != -1)
		close(pipefd[0]);
	if (pipefd[1] != -1)
		close(pipefd[1]);
	return rc;
}

static void
xen_destroy_quietly(const struct vmm_type *t, const char *name)
{
	xen_quiet = true;
	xen_xl(t, NULL, 0, "destroy", name, NULL);
	xen_quiet = false;
}

/*
 * The vif hotplug script: vmm.conf's vif_script, else potemkin-xen-vif
 * beside this program (bin/ in the tree, BINDIR once installed).  xl's own
 * default, vif-bridge, fails where there is no bridge and would otherwise
 * put pk<ID> on one, where neither the host's gw_ip nor the gateway's
 * rules would see the clone's packets.
 */
static const char *
xen_vif_script(const struct vmm_type *t)
{
	static char path[VMM_PATH_MAX];
	char self[VMM_PATH_MAX], *slash;
	ssize_t n;

	if (t->vif_script)
		return t->vif_script;
	if (path[0] != '\0')
		return path;
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) <= 0) {
		warn("/proc/self/exe");
		return NULL;
	}
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) != NULL)
		*slash = '\0';
	if (vmm_path(path, sizeof(path), "%s/potemkin-xen-vif", self) == -1)
		return NULL;
	if (access(path, X_OK) == -1) {
		warn("%s (install it, or name another with vif_script in vmm.conf)", path);
		path[0] = '\0';
		return NULL;
	}
	return path;
}

/* A domain config; vifname NULL lets xl name the reference's vif. */
static int
xen_config(const struct vmm_type *t, const char *path, const char *name,
    const char *vifname)
{
	char guest[ADDR_STRLEN], gw[ADDR_STRLEN], vif[VMM_PATH_MAX + 64];
	char buf[4096];
	const char *script = xen_vif_script(t);
	int n;

	if (script == NULL)
		return -1;
	n = snprintf(vif, sizeof(vif), "%s%s,script=%s",
	    vifname ? ",vifname=" : "", vifname ? vifname : "", script);
	if (n < 0 || (size_t)n >= sizeof(vif)) {
		warnx("type %s: vif_script too long", t->name);
		return -1;
	}
	n = snprintf(buf, sizeof(buf),
	    "# written by %s\n"
	    "name = \"%s\"\n"
	    "type = \"%s\"\n"
	    "kernel = \"%s\"\n"
	    "ramdisk = \"%s\"\n"
	    "memory = %u\n"
	    "vcpus = %u\n"
	    "extra = \"console=hvc0 quiet panic=-1 potemkin.ip=%s/%u "
	    "potemkin.gw=%s potemkin.ready=%s potemkin.hostname=%s %s\"\n"
	    "vif = [ \"mac=%s%s\" ]\n"
	    "on_crash = \"destroy\"\n",
	    vmm_progname(), name, t->domain_type, t->kernel, t->initrd,
	    t->memory_mb, t->cpus,
	    addr_fmt(t->guest_ip, guest), t->prefix, addr_fmt(t->gw_ip, gw),
	    t->ready, t->hostname, t->append, t->mac, vif);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		warnx("type %s: domain config too long", t->name);
		return -1;
	}
	return vmm_write_file(path, buf, (size_t)n, 0640);
}

static int
xen_console_log(const struct vmm_type *t, const char *name, char *buf,
    size_t size)
{
	/* xen_check made sure the pattern has exactly one %s. */
	const char *at = strstr(t->console_log, "%s");

	return vmm_path(buf, size, "%.*s%s%s", (int)(at - t->console_log),
	    t->console_log, name, at + 2);
}

static int
xen_snapshot(const struct vmm_conf *conf, const struct vmm_type *t,
    bool force)
{
	char dir[VMM_PATH_MAX], cfg[VMM_PATH_MAX], state[VMM_PATH_MAX];
	char tmp[VMM_PATH_MAX], log[VMM_PATH_MAX], name[VMM_NAME_MAX + 16];
	char cfgtmp[VMM_PATH_MAX];
	bool created = false;
	struct stat st;
	off_t logoff;
	int rc = -1;
	uint64_t t0 = mono_ms();

	snprintf(name, sizeof(name), "potemkin-ref-%s", t->name);
	if (vmm_snapshot_dir(conf, t->name, dir, sizeof(dir)) == -1 ||
	    vmm_path(cfg, sizeof(cfg), "%s/reference.cfg", dir) == -1 ||
	    vmm_path(cfgtmp, sizeof(cfgtmp), "%s/reference.cfg.new", dir) == -1 ||
	    vmm_path(state, sizeof(state), "%s/state", dir) == -1 ||
	    vmm_path(tmp, sizeof(tmp), "%s/state.new", dir) == -1 ||
	    xen_console_log(t, name, log, sizeof(log)) == -1)
		return -1;
	if (!force && stat(state, &st) == 0) {
		fprintf(stderr, "%s: type %s: snapshot exists in %s (-f makes a "
		    "new one)\n", vmm_progname(), t->name, dir);
		return 0;
	}
	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		warn("creating %s", dir);
		return -1;
	}
	unlink(tmp);
	/* xenconsoled appends: only what this boot writes counts. */
	logoff = stat(log, &st) == 0 ? st.st_size : 0;
	/* The config describes the state beside it (clones check its
	 * memory): both are installed together, and a failed snapshot leaves
	 * the last good pair as it was. */
	if (xen_config(t, cfgtmp, name, NULL) == -1)
		goto out;
	fprintf(stderr, "%s: type %s: creating the reference domain %s\n",
	    vmm_progname(), t->name, name);
	if (xen_xl(t, NULL, 0, "create", "-p", cfgtmp, NULL) == -1)
		goto out;
	created = true;
	if (xen_xl(t, NULL, 0, "unpause", name, NULL) == -1)
		goto out;
	if (vmm_wait_string(log, logoff, t->ready, t->ready_timeout_ms, 0) == -1) {
		warnx("type %s: no '%s' in %s within %llu ms", t->name, t->ready,
		    log, (unsigned long long)t->ready_timeout_ms);
		goto out;
	}
	fprintf(stderr, "%s: type %s: ready after %llu ms; saving\n",
	    vmm_progname(), t->name, (unsigned long long)(mono_ms() - t0));
	if (xen_xl(t, NULL, 0, "save", "-p", name, tmp, NULL) == -1)
		goto out;
	if (rename(tmp, state) == -1) {
		warn("installing %s", state);	/* the last good pair stays */
		goto out;
	}
	if (rename(cfgtmp, cfg) == -1) {
		warn("installing %s", cfg);
		unlink(state);		/* a new state with the old config: no pair */
		goto out;
	}
	fprintf(stderr, "%s: type %s: snapshot saved in %s\n", vmm_progname(),
	    t->name, dir);
	rc = 0;
out:
	if (created)
		xen_destroy_quietly(t, name);
	unlink(tmp);
	unlink(cfgtmp);
	return rc;
}

static int
xen_domid(const struct vmm_type *t, const char *name, long *domid)
{
	char out[64];

	if (xen_xl(t, out, sizeof(out), "domid", name, NULL) == -1)
		return -1;
	*domid = strtol(out, NULL, 10);
	return 0;
}

/*
 * xl restore fails deep in libxc ("Failed to populate physmap") when the
 * config asks for less memory than the saved domain has, or another
 * domain type: say plainly that the snapshot no longer matches vmm.conf.
 */
static int
xen_check_snapshot(const struct vmm_type *t, const char *dir)
{
	char path[VMM_PATH_MAX], buf[4096], type[8];
	const char *line;
	unsigned mb;

	if (vmm_path(path, sizeof(path), "%s/reference.cfg", dir) == -1)
		return -1;
	if (vmm_read_file(path, buf, sizeof(buf), NULL) == -1) {
		warn("%s (potemkin-snapshot -f %s makes a new one)", path,
		    t->name);
		return -1;
	}
	if ((line = strstr(buf, "\nmemory = ")) == NULL ||
	    sscanf(line, "\nmemory = %u", &mb) != 1) {
		warnx("%s: no memory setting", path);
		return -1;
	}
	if (mb != t->memory_mb) {
		warnx("type %s: the snapshot has %u MB of memory, vmm.conf says "
		    "%u (potemkin-snapshot -f %s makes a new one)", t->name, mb,
		    t->memory_mb, t->name);
		return -1;
	}
	if ((line = strstr(buf, "\ntype = \"")) == NULL ||
	    sscanf(line, "\ntype = \"%7[a-z]\"", type) != 1) {
		warnx("%s: no type setting", path);
		return -1;
	}
	if (strcmp(type, t->domain_type) != 0) {
		warnx("type %s: the snapshot is a %s domain, vmm.conf says %s "
		    "(potemkin-snapshot -f %s makes a new one)", t->name, type,
		    t->domain_type, t->name);
		return -1;
	}
	return 0;
}

static int
xen_clone(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm)
{
	char dir[VMM_PATH_MAX], state[VMM_PATH_MAX], cfg[VMM_PATH_MAX];
	char log[VMM_PATH_MAX];
	const char *name = vm->rec.ifname;
	bool restored = false;
	struct stat st;
	int rc = -1;

	snprintf(vm->rec.ifname, sizeof(vm->rec.ifname), "pk%u", vm->id);
	snprintf(vm->rec.mac, sizeof(vm->rec.mac), "%s", t->mac);
	vm->rec.guest_ip = t->guest_ip;
	vm->rec.gw_ip = t->gw_ip;
	if (vmm_snapshot_dir(conf, t->name, dir, sizeof(dir)) == -1 ||
	    vmm_path(state, sizeof(state), "%s/state", dir) == -1 ||
	    vmm_path(cfg, sizeof(cfg), "%s/xl.cfg", vm->dir) == -1 ||
	    xen_console_log(t, name, log, sizeof(log)) == -1)
		return -1;
	if (stat(state, &st) == -1) {
		warnx("type %s: no snapshot in %s (run potemkin-snapshot %s)",
		    t->name, dir, t->name);
		return -1;
	}
	if (xen_check_snapshot(t, dir) == -1 ||
	    xen_config(t, cfg, name, name) == -1)
		return -1;
	/* Ids are reused; xenconsoled appends to the log of the name. */
	unlink(log);
	restored = true;	/* a failed restore may still leave a domain */
	if (xen_xl(t, NULL, 0, "restore", "-p", cfg, state, NULL) == -1 ||
	    xen_domid(t, name, &vm->rec.pid) == -1 ||
	    nl_host_side(name, t->gw_ip) == -1 ||
	    xen_xl(t, NULL, 0, "unpause", name, NULL) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1 && restored) {
		xen_destroy_quietly(t, name);
		unlink(log);	/* xenconsoled opened it for the domain */
	}
	return rc;
}

/* A record without its type in vmm.conf still needs an xl to run. */
static const struct vmm_type *
xen_type_of(const struct vmm_vm *vm)
{
	static struct vmm_type fallback = { .xl = "xl" };

	return vm->type ? vm->type : &fallback;
}

static int
xen_teardown(const struct vmm_conf *conf, struct vmm_vm *vm)
{
	const struct vmm_type *t = xen_type_of(vm);
	char name[VMM_IFNAMSIZ], cfg[VMM_PATH_MAX], log[VMM_PATH_MAX];
	long domid;

	(void)conf;
	snprintf(name, sizeof(name), "pk%u", vm->id);
	/* Never restored: nothing to destroy, no xl to ask. */
	if (vmm_path(cfg, sizeof(cfg), "%s/xl.cfg", vm->dir) == 0 &&
	    access(cfg, F_OK) == -1)
		return 0;
	/* Gone already (xl said so on stderr), or destroyed now. */
	if (xen_domid(t, name, &domid) == 0 &&
	    xen_xl(t, NULL, 0, "destroy", name, NULL) == -1)
		return -1;
	/* The console log is the clone's file too (freeze copied it). */
	if (vm->type && xen_console_log(t, name, log, sizeof(log)) == 0 &&
	    unlink(log) == -1 && errno != ENOENT)
		warn("%s", log);
	return 0;
}

static bool
xen_alive(const struct vmm_conf *conf, const struct vmm_vm *vm)
{
	const struct vmm_type *t = xen_type_of(vm);
	char out[64];
	bool alive;

	(void)conf;
	/* A stale clone is what we ask about, not an error. */
	xen_quiet = true;
	alive = xen_xl(t, out, sizeof(out), "domid", vm->rec.ifname, NULL) == 0;
	xen_quiet = false;
	return alive;
}

/*
 * Freeze: xl save -p writes the domain's memory and vCPU state into
 * domain.save (xl restore loads it) and leaves it paused.  A PV guest
 * takes part in its own suspend, so it runs on for that moment: paused
 * first, it could not answer, and xl save waits out libxl's minute and
 * fails.  A guest that never suspends (a kernel an intruder owns) is paused
 * and its memory dumped with xl dump-core, which needs nothing from it.
 */
static int
xen_freeze(const struct vmm_conf *conf, struct vmm_vm *vm, const char *evdir)
{
	const struct vmm_type *t = xen_type_of(vm);
	const char *name = vm->rec.ifname;
	char save[VMM_PATH_MAX], core[VMM_PATH_MAX], log[VMM_PATH_MAX];
	char to[VMM_PATH_MAX];

	(void)conf;
	if (vmm_path(save, sizeof(save), "%s/domain.save", evdir) == -1 ||
	    vmm_path(core, sizeof(core), "%s/memory.core", evdir) == -1 ||
	    vmm_path(to, sizeof(to), "%s/console.log", evdir) == -1)
		return -1;
	if (xen_xl(t, NULL, 0, "save", "-p", name, save, NULL) == 0) {
		if (evidence_note(evdir, "domain.save: the paused domain (xl "
		    "save -p: memory and vCPU state; xl restore loads it)") == -1) {
			/* A failed freeze leaves the clone as it was: running. */
			xen_xl(t, NULL, 0, "unpause", name, NULL);
			return -1;
		}
	} else {
		unlink(save);
		warnx("clone %u: no checkpoint; pausing it and dumping its "
		    "memory instead", vm->id);
		if (xen_xl(t, NULL, 0, "pause", name, NULL) == -1)
			return -1;
		if (xen_xl(t, NULL, 0, "dump-core", name, core, NULL) == -1) {
			/* A failed freeze leaves the clone as it was: running. */
			unlink(core);
			xen_xl(t, NULL, 0, "unpause", name, NULL);
			return -1;
		}
		if (evidence_note(evdir, "memory.core: the paused domain's "
		    "memory (xl dump-core, ELF); no domain.save: xl save "
		    "failed (a guest that does not suspend)") == -1)
			return -1;
	}
	if (vm->type && xen_console_log(t, name, log, sizeof(log)) == 0 &&
	    access(log, R_OK) == 0)
		vmm_copy_file(log, to);
	return evidence_note(evdir, "disk: none (the guest runs from its "
	    "initramfs)");
}

const struct vmm_backend vmm_xen_backend = {
	.name = "xen",
	.memory = "copy",
	.check = xen_check,
	.snapshot = xen_snapshot,
	.clone = xen_clone,
	.teardown = xen_teardown,
	.freeze = xen_freeze,
	.alive = xen_alive,
};
