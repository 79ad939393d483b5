/* SPDX-License-Identifier: ISC */
/*
 * The state directory:
 *
 *	STATEDIR/snapshots/TYPE/	a type's snapshot (backend files)
 *	STATEDIR/vms/ID/		a clone: record, backend files, logs
 *	STATEDIR/evidence/ID-TIME/	what potemkin-freeze preserved
 *
 * Clone ids are allocated by mkdir(2), which is atomic: two clones started
 * at the same instant can never get the same id.  A hint file makes the
 * search start near the last id handed out, so allocation stays a couple of
 * system calls with a thousand clones alive.  Whoever works on a clone holds
 * flock(2) on its directory, so a teardown never races a clone or a freeze.
 */
#include "vmm.h"
#include "lib/number.h"

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/monotime.h"

int
vmm_path(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		warnx("path too long: %.60s...", buf);
		return -1;
	}
	return 0;
}

static int
state_mkdir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == -1 && errno != EEXIST) {
		warn("creating %s", path);
		return -1;
	}
	return 0;
}

/* mkdir -p for the state directory itself, which an operator may nest. */
static int
state_mkdirs(const char *path)
{
	char buf[VMM_PATH_MAX];

	if (vmm_path(buf, sizeof(buf), "%s", path) == -1)
		return -1;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (state_mkdir(buf, 0755) == -1)
			return -1;
		*p = '/';
	}
	return state_mkdir(buf, 0755);
}

int
vmm_state_init(const struct vmm_conf *conf)
{
	static const char *const subdirs[] = { "snapshots", "vms", "evidence" };
	char path[VMM_PATH_MAX];
	struct stat st;

	/* The common case costs one stat: everything is there already. */
	if (vmm_path(path, sizeof(path), "%s/vms", conf->statedir) == -1)
		return -1;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (state_mkdirs(conf->statedir) == -1)
		return -1;
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++)
		if (vmm_path(path, sizeof(path), "%s/%s", conf->statedir,
			subdirs[i]) == -1 || state_mkdir(path, 0750) == -1)
			return -1;
	return 0;
}

int
vmm_snapshot_dir(const struct vmm_conf *conf, const char *type, char *buf,
    size_t size)
{
	return vmm_path(buf, size, "%s/snapshots/%s", conf->statedir, type);
}

static unsigned
state_hint(const char *path)
{
	char buf[16];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	return (unsigned)strtoul(buf, NULL, 10);
}

/* Racing writers may leave either value: it is only where to start. */
static void
state_set_hint(const char *path, unsigned next)
{
	char buf[16];
	int fd, n;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) == -1)
		return;
	n = snprintf(buf, sizeof(buf), "%-10u\n", next);
	if (pwrite(fd, buf, (size_t)n, 0) != n)
		warn("%s", path);
	close(fd);
}

/* flock the clone's directory: at once, or retrying for up to 10 s. */
static int
state_lock(struct vmm_vm *vm, enum vmm_lock mode)
{
	uint64_t deadline = mono_ms() + 10000;

	vm->lockfd = open(vm->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (vm->lockfd == -1 || mode == VMM_LOCK_NONE)
		return vm->lockfd == -1 ? -1 : 0;
	while (flock(vm->lockfd, LOCK_EX | LOCK_NB) == -1) {
		int e = errno;

		if (e != EWOULDBLOCK || mode == VMM_LOCK_TRY ||
		    mono_ms() >= deadline || vmm_stop) {
			close(vm->lockfd);
			vm->lockfd = -1;
			errno = e;
			return -1;
		}
		usleep(5000);
	}
	return 0;
}

int
vmm_vm_alloc(const struct vmm_conf *conf, struct vmm_vm *vm)
{
	char hint[VMM_PATH_MAX];
	unsigned id;

	memset(vm, 0, sizeof(*vm));
	vm->lockfd = -1;
	if (vmm_path(hint, sizeof(hint), "%s/vms/.next", conf->statedir) == -1)
		return -1;
	id = state_hint(hint);
	for (unsigned tries = 0; tries < VMM_ID_MAX; tries++, id++) {
		if (id < 1 || id > VMM_ID_MAX)
			id = 1;
		if (vmm_path(vm->dir, sizeof(vm->dir), "%s/vms/%u",
			conf->statedir, id) == -1)
			return -1;
		if (mkdir(vm->dir, 0750) == 0) {
			vm->id = id;
			state_set_hint(hint, id + 1);
			/* A --stale sweep may have taken it meanwhile: next. */
			if (state_lock(vm, VMM_LOCK_TRY) == -1)
				continue;
			return 0;
		}
		if (errno != EEXIST) {
			warn("creating %s", vm->dir);
			return -1;
		}
	}
	warnx("no free clone id in %s/vms (all %d taken)", conf->statedir,
	    VMM_ID_MAX);
	return -1;
}

static int
state_parse_id(const char *s, unsigned *id)
{
	unsigned long long v;

	if (num_parse(s, 1, VMM_ID_MAX, &v) < 0)
		return -1;
	*id = (unsigned)v;
	return 0;
}

static int
state_read_record(struct vmm_vm *vm)
{
	char path[VMM_PATH_MAX], buf[RECORD_LINE_MAX], why[80];
	size_t len;

	if (vmm_path(path, sizeof(path), "%s/record", vm->dir) == -1)
		return -1;
	if (vmm_read_file(path, buf, sizeof(buf), &len) == -1) {
		if (errno == ENOENT)
			return 1;
		warn("reading %s", path);
		return -1;
	}
	if (record_parse(buf, &vm->rec, why, sizeof(why)) == -1) {
		warnx("%s: %s", path, why);
		return -1;
	}
	return 0;
}

/*
 * Open clone idstr ("17" or "pk17"), lock it and read its record.  Returns
 * 0 with a record, 1 for a clone still being made or half torn down (no
 * record), -1 on error (reported).
 */
int
vmm_vm_open(const struct vmm_conf *conf, const char *idstr, struct vmm_vm *vm,
    enum vmm_lock mode)
{
	int rc;

	memset(vm, 0, sizeof(*vm));
	vm->lockfd = -1;
	if (strncmp(idstr, "pk", 2) == 0)
		idstr += 2;
	if (state_parse_id(idstr, &vm->id) == -1) {
		warnx("%s: not a clone id", idstr);
		return -1;
	}
	if (vmm_path(vm->dir, sizeof(vm->dir), "%s/vms/%u", conf->statedir,
		vm->id) == -1)
		return -1;
	if (state_lock(vm, mode) == -1) {
		if (errno == ENOENT)
			warnx("clone %u: no such clone in %s/vms", vm->id,
			    conf->statedir);
		else if (errno == EWOULDBLOCK)
			warnx("clone %u: busy (another command works on it)",
			    vm->id);
		else
			warn("clone %u: %s", vm->id, vm->dir);
		return -1;
	}
	if ((rc = state_read_record(vm)) != 0) {
		if (rc == -1)
			vmm_vm_close(vm);
		return rc;
	}
	if (vm->rec.id != vm->id) {
		warnx("clone %u: its record says id=%u", vm->id, vm->rec.id);
		vmm_vm_close(vm);
		return -1;
	}
	vm->type = vmm_conf_type(conf, vm->rec.type);
	return 0;
}

/* Readers never see half a record: write aside, then rename. */
int
vmm_vm_write_record(struct vmm_vm *vm)
{
	char line[RECORD_LINE_MAX], tmp[VMM_PATH_MAX], path[VMM_PATH_MAX];
	size_t len;

	if (record_fmt(&vm->rec, line, sizeof(line) - 1) == -1) {
		warnx("clone %u: record too long", vm->id);
		return -1;
	}
	len = strlen(line);
	line[len++] = '\n';
	if (vmm_path(tmp, sizeof(tmp), "%s/record.tmp", vm->dir) == -1 ||
	    vmm_path(path, sizeof(path), "%s/record", vm->dir) == -1 ||
	    vmm_write_file(tmp, line, len, 0640) == -1)
		return -1;
	if (rename(tmp, path) == -1) {
		warn("renaming %s", tmp);
		unlink(tmp);
		return -1;
	}
	return 0;
}

int
vmm_vm_remove(struct vmm_vm *vm)
{
	int rc = vmm_rm_tree(vm->dir);

	vmm_vm_close(vm);
	return rc;
}

void
vmm_vm_close(struct vmm_vm *vm)
{
	if (vm->lockfd != -1)
		close(vm->lockfd);
	vm->lockfd = -1;
}

static int
state_cmp(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return x < y ? -1 : x > y;
}

int
vmm_vm_list(const struct vmm_conf *conf, unsigned **ids, size_t *n)
{
	char path[VMM_PATH_MAX];
	struct dirent *de;
	size_t cap = 0;
	unsigned id;
	DIR *d;

	*ids = NULL;
	*n = 0;
	if (vmm_path(path, sizeof(path), "%s/vms", conf->statedir) == -1)
		return -1;
	if ((d = opendir(path)) == NULL) {
		if (errno == ENOENT)
			return 0;
		warn("%s", path);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (state_parse_id(de->d_name, &id) == -1)
			continue;
		if (*n == cap) {
			unsigned *p;

			cap = cap ? cap * 2 : 64;
			if ((p = realloc(*ids, cap * sizeof(*p))) == NULL) {
				warn("listing %s", path);
				closedir(d);
				free(*ids);
				*ids = NULL;
				return -1;
			}
			*ids = p;
		}
		(*ids)[(*n)++] = id;
	}
	closedir(d);
	if (*n > 0)
		qsort(*ids, *n, sizeof(**ids), state_cmp);
	return 0;
}

/* STATEDIR/evidence/ID-YYYYmmddTHHMMSS.mmmZ, created here. */
int
vmm_evidence_dir(const struct vmm_conf *conf, const struct vmm_vm *vm,
    char *buf, size_t size)
{
	uint64_t now = wall_ms();
	time_t secs = (time_t)(now / 1000);
	char stamp[32];
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	for (int i = 0; i < 100; i++) {
		char suffix[8] = "";

		if (i > 0)
			snprintf(suffix, sizeof(suffix), "-%d", i);
		if (vmm_path(buf, size, "%s/evidence/%u-%s.%03uZ%s",
			conf->statedir, vm->id, stamp, (unsigned)(now % 1000),
			suffix) == -1)
			return -1;
		if (mkdir(buf, 0750) == 0)
			return 0;
		if (errno != EEXIST) {
			warn("creating %s", buf);
			return -1;
		}
	}
	warnx("creating evidence folder for clone %u: too many at once", vm->id);
	return -1;
}
