/* SPDX-License-Identifier: ISC */
/*
 * A pool of clones made ahead of demand, for any backend that can make one
 * to wait (vmm_backend.pool_make) and hand it out (pool_take): a type with
 * "pool = N" keeps N of them.  potemkin-clone then only takes one (qemu:
 * resumes it; netns: gives it its address) and starts a detached refill.
 *
 * A pooled clone is an ordinary clone directory STATEDIR/vms/ID (pk<ID>
 * already made and configured) with a VMM_POOLED marker and no record, and
 * an empty file STATEDIR/pool/TYPE/ID.  Claiming is unlink(2) of that file:
 * of any number of concurrent potemkin-clones exactly one succeeds.  The
 * filler makes the pool file only after the clone is complete, and holds
 * the clone's lock meanwhile; one filler per type at a time (flock on
 * STATEDIR/pool/TYPE/.fill).
 */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/monotime.h"
#include "pool.h"

static int
pool_dir(const struct vmm_conf *conf, const char *type, char *buf,
    size_t size)
{
	char top[VMM_PATH_MAX];

	if (vmm_path(top, sizeof(top), "%s/pool", conf->statedir) == -1 ||
	    vmm_path(buf, size, "%s/%s", top, type) == -1)
		return -1;
	if ((mkdir(top, 0750) == -1 && errno != EEXIST) ||
	    (mkdir(buf, 0750) == -1 && errno != EEXIST)) {
		warn("creating %s", buf);
		return -1;
	}
	return 0;
}

/* The ids waiting in the pool, at most max of them. */
static size_t
pool_list(const char *dir, unsigned *ids, size_t max)
{
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while (n < max && (de = readdir(d)) != NULL) {
		char *end;
		unsigned long id = strtoul(de->d_name, &end, 10);

		if (de->d_name[0] >= '1' && de->d_name[0] <= '9' && *end == '\0' &&
		    id <= VMM_ID_MAX)
			ids[n++] = (unsigned)id;
	}
	closedir(d);
	return n;
}

static void
pool_discard(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm)
{
	t->backend->teardown(conf, vm);
	vmm_vm_remove(vm);
}

int
pool_claim(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm, uint32_t ip, bool has_ip)
{
	unsigned ids[VMM_POOL_MAX];
	char dir[VMM_PATH_MAX], entry[VMM_PATH_MAX + 16], idstr[16];
	size_t n;
	int r;

	if (t->pool == 0 || t->backend->pool_take == NULL ||
	    pool_dir(conf, t->name, dir, sizeof(dir)) == -1)
		return 0;
	n = pool_list(dir, ids, VMM_POOL_MAX);
	for (size_t i = 0; i < n; i++) {
		char marker[VMM_PATH_MAX];

		snprintf(entry, sizeof(entry), "%s/%u", dir, ids[i]);
		if (unlink(entry) == -1)
			continue;	/* another potemkin-clone was faster */
		snprintf(idstr, sizeof(idstr), "%u", ids[i]);
		if ((r = vmm_vm_open(conf, idstr, vm, VMM_LOCK_WAIT)) != 1) {
			if (r == 0)	/* has a record: handed out already */
				vmm_vm_close(vm);
			continue;
		}
		vm->type = t;
		vm->rec.ip = ip;
		vm->rec.has_ip = has_ip;
		vm->rec.created = wall_ms();
		if (vmm_path(marker, sizeof(marker), "%s/" VMM_POOLED,
			vm->dir) == -1 || t->backend->pool_take(conf, t, vm) == -1) {
			warnx("clone %u: discarded from the pool of %s", vm->id,
			    t->name);
			pool_discard(conf, t, vm);
			continue;
		}
		unlink(marker);
		pool_kick(conf, t);
		return 1;
	}
	return 0;
}

/* One clone into the pool; 0, or -1 when no more should be tried. */
static int
pool_add(const struct vmm_conf *conf, const struct vmm_type *t,
    const char *dir)
{
	char path[VMM_PATH_MAX + 16];
	struct vmm_vm vm;
	int fd;

	if (vmm_vm_alloc(conf, &vm) == -1)
		return -1;
	vm.type = t;
	vm.rec.created = wall_ms();
	if (vmm_path(path, sizeof(path), "%s/backend", vm.dir) == -1 ||
	    vmm_write_file(path, t->backend->name, strlen(t->backend->name),
		0640) == -1 ||
	    vmm_path(path, sizeof(path), "%s/" VMM_POOLED, vm.dir) == -1 ||
	    vmm_write_file(path, t->name, strlen(t->name), 0640) == -1 ||
	    t->backend->pool_make(conf, t, &vm) == -1) {
		vmm_vm_remove(&vm);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%u", dir, vm.id);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640)) == -1) {
		warn("%s", path);
		pool_discard(conf, t, &vm);
		return -1;
	}
	close(fd);
	vmm_vm_close(&vm);
	return 0;
}

/* t's filler lock, held: an open descriptor, or -1 (busy, if !wait). */
static int
pool_hold(const struct vmm_conf *conf, const struct vmm_type *t, bool wait)
{
	char dir[VMM_PATH_MAX], lock[VMM_PATH_MAX + 8];
	int fd;

	if (pool_dir(conf, t->name, dir, sizeof(dir)) == -1)
		return -1;
	snprintf(lock, sizeof(lock), "%s/.fill", dir);
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0640)) == -1) {
		warn("%s", lock);
		return -1;
	}
	if (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* When refills were last called off (pool_cancel), or 0. */
static uint64_t
pool_cancelled_ns(const char *dir)
{
	char path[VMM_PATH_MAX + 16];
	struct stat st;

	snprintf(path, sizeof(path), "%s/.cancel", dir);
	if (stat(path, &st) == -1)
		return 0;
	return (uint64_t)st.st_mtim.tv_sec * 1000000000u +
	    (uint64_t)st.st_mtim.tv_nsec;
}

static uint64_t
wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* pool_fill; a refill asked for at *kicked_ns does nothing once refills
 * have been called off since (none is, if kicked_ns is NULL). */
static int
pool_fill_since(const struct vmm_conf *conf, const struct vmm_type *t,
    bool wait, const uint64_t *kicked_ns)
{
	unsigned ids[VMM_POOL_MAX];
	char dir[VMM_PATH_MAX];
	int fd, rc = 0;

	if (pool_dir(conf, t->name, dir, sizeof(dir)) == -1 ||
	    (fd = pool_hold(conf, t, wait)) == -1)
		return wait ? -1 : 0;
	if (kicked_ns && pool_cancelled_ns(dir) >= *kicked_ns) {
		close(fd);
		return 0;
	}
	while (pool_list(dir, ids, VMM_POOL_MAX) < t->pool && !vmm_stop)
		if ((rc = pool_add(conf, t, dir)) == -1)
			break;
	if (wait && rc == 0)
		fprintf(stderr, "%s: type %s: %zu clones waiting in the pool\n",
		    vmm_progname(), t->name, pool_list(dir, ids, VMM_POOL_MAX));
	close(fd);
	return rc;
}

/*
 * Top the pool up to t->pool clones.  With wait false another filler at
 * work is enough; with wait true (potemkin-snapshot) we wait for it and
 * check.
 */
int
pool_fill(const struct vmm_conf *conf, const struct vmm_type *t,
    bool wait)
{
	return pool_fill_since(conf, t, wait, NULL);
}

/*
 * Refill in the background, detached (its own session, no descriptor of
 * ours: a gateway reading our stdout to EOF must not wait for it), its
 * messages in STATEDIR/pool/TYPE/fill.log.
 */
void
pool_kick(const struct vmm_conf *conf, const struct vmm_type *t)
{
	char dir[VMM_PATH_MAX], log[VMM_PATH_MAX + 16];
	uint64_t kicked = wall_ns();
	pid_t pid;
	int fd;

	if (pool_dir(conf, t->name, dir, sizeof(dir)) == -1)
		return;
	snprintf(log, sizeof(log), "%s/fill.log", dir);
	if ((pid = fork()) == -1) {
		warn("starting the pool refill");
		return;
	}
	if (pid > 0) {
		waitpid(pid, NULL, 0);
		return;
	}
	setsid();
	if (fork() != 0)
		_exit(0);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	close_range(0, UINT_MAX, 0);
	open("/dev/null", O_RDWR);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0640);
	dup2(fd == -1 ? 0 : fd, 1);
	dup2(fd == -1 ? 0 : fd, 2);
	_exit(pool_fill_since(conf, t, false, &kicked) == -1 ? 1 : 0);
}

/*
 * Call off t's refills: wait for one at work (it finishes its clone), and
 * make those asked for until now do nothing.  The lock stays held while the
 * returned descriptor is open; -1 on failure.
 */
int
pool_cancel(const struct vmm_conf *conf, const struct vmm_type *t)
{
	char dir[VMM_PATH_MAX], path[VMM_PATH_MAX + 16];
	struct timespec now[2];
	int fd, mark;

	if (pool_dir(conf, t->name, dir, sizeof(dir)) == -1 ||
	    (fd = pool_hold(conf, t, true)) == -1)
		return -1;
	/* The time given, not the file system's own: it is coarse, and may
	 * be older than a kick made a moment ago. */
	clock_gettime(CLOCK_REALTIME, &now[0]);
	now[1] = now[0];
	snprintf(path, sizeof(path), "%s/.cancel", dir);
	if ((mark = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0640)) == -1 ||
	    futimens(mark, now) == -1) {
		warn("%s", path);
		if (mark != -1)
			close(mark);
		close(fd);
		return -1;
	}
	close(mark);
	return fd;
}

/* Tear down every clone waiting in the pool (a new snapshot). */
int
pool_drain(const struct vmm_conf *conf, const struct vmm_type *t)
{
	unsigned ids[VMM_POOL_MAX];
	char dir[VMM_PATH_MAX], entry[VMM_PATH_MAX + 16], idstr[16];
	size_t n;
	int rc = 0;

	if (pool_dir(conf, t->name, dir, sizeof(dir)) == -1)
		return -1;
	n = pool_list(dir, ids, VMM_POOL_MAX);
	for (size_t i = 0; i < n; i++) {
		struct vmm_vm vm;

		snprintf(entry, sizeof(entry), "%s/%u", dir, ids[i]);
		if (unlink(entry) == -1)
			continue;
		snprintf(idstr, sizeof(idstr), "%u", ids[i]);
		if (vmm_vm_open(conf, idstr, &vm, VMM_LOCK_WAIT) == -1) {
			rc = -1;
			continue;
		}
		pool_discard(conf, t, &vm);
	}
	return rc;
}

/* A pooled clone torn down by other means leaves no pool entry. */
void
pool_forget(const struct vmm_conf *conf, const struct vmm_vm *vm)
{
	char marker[VMM_PATH_MAX], type[VMM_NAME_MAX], entry[VMM_PATH_MAX + 48];

	if (vmm_path(marker, sizeof(marker), "%s/" VMM_POOLED, vm->dir) == -1 ||
	    vmm_read_file(marker, type, sizeof(type), NULL) == -1 || !*type)
		return;
	snprintf(entry, sizeof(entry), "%s/pool/%s/%u", conf->statedir, type,
	    vm->id);
	unlink(entry);
}
