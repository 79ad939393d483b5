/*
 * Freezing a netns clone's processes: the cgroup freezer when a hierarchy
 * is there (v1 "freezer.state", v2 "cgroup.freeze"), SIGSTOP otherwise.  The
 * processes are stopped by signal first so none forks while they move into
 * the cgroup; once frozen they are continued, and stay frozen.
 */
#include "freezer.h"

#include <err.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monotime.h"

static bool
fz_exists(const char *dir, const char *file)
{
	char path[VMM_PATH_MAX + 32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return stat(path, &st) == 0;
}

/* Which hierarchy to use: 2 (v2), 1 (v1 freezer), 0 (signals). */
static int
fz_kind(const char *root)
{
	if (fz_exists(root, "cgroup.controllers"))
		return 2;
	if (fz_exists(root, "tasks") && !fz_exists(root, "cgroup.controllers"))
		return 1;
	return 0;
}

int
freezer_root(const struct vmm_conf *conf, char *buf, size_t size)
{
	static const char *const candidates[] = {
		"/sys/fs/cgroup/freezer", "/sys/fs/cgroup/unified", "/sys/fs/cgroup",
	};

	if (strcmp(conf->freezer, "none") == 0)
		return 0;
	if (strcmp(conf->freezer, "auto") != 0) {
		snprintf(buf, size, "%s", conf->freezer);
		return fz_kind(buf);
	}
	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		int k = fz_kind(candidates[i]);

		if (k) {
			snprintf(buf, size, "%s", candidates[i]);
			return k;
		}
	}
	return 0;
}

static int
fz_write(const char *dir, const char *file, const char *val)
{
	char path[VMM_PATH_MAX];

	if (vmm_path(path, sizeof(path), "%s/%s", dir, file) == -1)
		return -1;
	return vmm_write_file(path, val, strlen(val), 0644);
}

static int
fz_wait(const char *dir, int kind)
{
	char path[VMM_PATH_MAX], buf[512];
	uint64_t deadline = mono_ms() + 2000;

	if (vmm_path(path, sizeof(path), "%s/%s", dir,
		kind == 2 ? "cgroup.events" : "freezer.state") == -1)
		return -1;
	while (mono_ms() < deadline) {
		if (vmm_read_file(path, buf, sizeof(buf), NULL) == -1)
			break;
		if (kind == 2 ? strstr(buf, "frozen 1") != NULL
		    : strncmp(buf, "FROZEN", 6) == 0)
			return 0;
		usleep(1000);
	}
	warnx("%s: the cgroup did not freeze within 2 s", dir);
	return -1;
}

/*
 * Freeze every process of t (already SIGSTOPped by the caller).  Writes
 * the method used ("cgroup DIR" or "signal") into method.  The cgroup, if
 * any, is named in cgfile so that teardown can thaw and remove it.
 */
int
freezer_freeze(const struct vmm_conf *conf, const struct vmm_vm *vm,
    const struct proctree *t, char *method, size_t msize)
{
	char root[VMM_PATH_MAX], dir[VMM_PATH_MAX], pid[16], cgfile[VMM_PATH_MAX];
	int kind = freezer_root(conf, root, sizeof(root));

	snprintf(method, msize, "signal");
	if (kind == 0)
		return 0;
	if (vmm_path(dir, sizeof(dir), "%s/potemkin-pk%u", root, vm->id) == -1 ||
	    vmm_path(cgfile, sizeof(cgfile), "%s/cgroup", vm->dir) == -1)
		return -1;
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		warn("creating cgroup %s; freezing by signal", dir);
		return 0;
	}
	if (vmm_write_file(cgfile, dir, strlen(dir), 0640) == -1)
		goto fail;
	for (size_t i = 0; i < t->n; i++) {
		snprintf(pid, sizeof(pid), "%d", (int)t->pid[i]);
		if (fz_write(dir, "cgroup.procs", pid) == -1 && errno != ESRCH)
			goto fail;
	}
	if (fz_write(dir, kind == 2 ? "cgroup.freeze" : "freezer.state",
		kind == 2 ? "1" : "FROZEN") == -1 || fz_wait(dir, kind) == -1)
		goto fail;
	for (size_t i = 0; i < t->n; i++)
		kill(t->pid[i], SIGCONT);
	snprintf(method, msize, "cgroup %s", dir);
	return 0;
fail:
	freezer_release(vm);
	return -1;
}

/* Thaw and remove the clone's cgroup, if it has one; processes die first. */
int
freezer_release(const struct vmm_vm *vm)
{
	char cgfile[VMM_PATH_MAX], dir[VMM_PATH_MAX];
	uint64_t deadline;
	size_t len;

	if (vmm_path(cgfile, sizeof(cgfile), "%s/cgroup", vm->dir) == -1)
		return -1;
	if (vmm_read_file(cgfile, dir, sizeof(dir), &len) == -1)
		return 0;
	/* SIGKILL reaches frozen tasks only once they thaw (v1). */
	if (fz_exists(dir, "cgroup.freeze"))
		fz_write(dir, "cgroup.freeze", "0");
	else
		fz_write(dir, "freezer.state", "THAWED");
	deadline = mono_ms() + 2000;
	while (rmdir(dir) == -1 && errno == EBUSY && mono_ms() < deadline)
		usleep(1000);
	if (access(dir, F_OK) == 0) {
		warn("removing cgroup %s", dir);
		return -1;
	}
	unlink(cgfile);
	return 0;
}
