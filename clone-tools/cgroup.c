/* SPDX-License-Identifier: ISC */
/*
 * Control groups of clones.  Each clone gets PARENT/pk<ID> (PARENT is
 * vmm.conf's cgroup) before its first process runs, so nothing it starts
 * escapes the limits; potemkin-teardown kills what is in the group and
 * removes it.
 *
 * Which hierarchy: cgroup v2 when one is mounted with the memory, pids and
 * cpu controllers (a Debian host by default), else the v1 hierarchies of
 * those controllers and the freezer (hybrid hosts, where v2 is mounted
 * without controllers).  Both are found in /proc/self/mountinfo.
 */
#include "cgroup.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "lib/monotime.h"

/* How long the processes of a killed group may take to be gone; a farm
 * flooded on two CPUs has been seen to need more than 2 s. */
#define CG_WAIT_MS 10000

#define CG_USUAL "/sys/fs/cgroup"

static int cg_write(const char *dir, const char *file, const char *val);
static bool cg_file_exists(const char *dir, const char *file);

static const char *const cg_ctl_names[CG_NCTL] = {
	"memory", "pids", "cpu", "freezer",
};

/* Does the comma-separated list opts hold word? */
static bool
cg_has_word(const char *opts, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = opts; (p = strstr(p, word)) != NULL; p += n)
		if ((p == opts || p[-1] == ',' || p[-1] == ' ') &&
		    (p[n] == '\0' || p[n] == ',' || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

/* A v2 mount whose cgroup.controllers offers memory, pids and cpu. */
static bool
cg_v2_usable(const char *mnt)
{
	char path[VMM_PATH_MAX], buf[512];

	if (vmm_path(path, sizeof(path), "%s/cgroup.controllers", mnt) == -1 ||
	    vmm_read_file(path, buf, sizeof(buf), NULL) == -1)
		return false;
	return cg_has_word(buf, "memory") && cg_has_word(buf, "pids") &&
	    cg_has_word(buf, "cpu");
}

/* Is dir the root of a cgroup file system of that version? */
static bool
cg_is_root(const char *dir, int version)
{
	struct statfs sf;

	if (statfs(dir, &sf) == -1 || sf.f_type != (version == 2 ?
	    CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC))
		return false;
	return cg_file_exists(dir, "cgroup.procs");
}

/*
 * Where systemd and Debian mount them: /sys/fs/cgroup (v2), or
 * /sys/fs/cgroup/CONTROLLER (v1), each checked by its file system type
 * and a file only its controller has.  Reading mountinfo instead costs a
 * line per mount of the host, among them every clone's pinned namespace.
 */
static bool
cg_usual_mounts(char *v2, char v1[CG_NCTL][VMM_PATH_MAX])
{
	static const char *const own[CG_NCTL] = {
		"memory.limit_in_bytes", "pids.max", "cpu.cfs_quota_us",
		"freezer.state",
	};

	if (cg_is_root(CG_USUAL, 2) && cg_v2_usable(CG_USUAL)) {
		snprintf(v2, VMM_PATH_MAX, "%s", CG_USUAL);
		return true;
	}
	for (int i = 0; i < CG_NCTL; i++) {
		snprintf(v1[i], VMM_PATH_MAX, "%s/%s", CG_USUAL, cg_ctl_names[i]);
		if (!cg_is_root(v1[i], 1) || !cg_file_exists(v1[i], own[i]))
			return false;
	}
	return true;
}

/*
 * The mount points: v2 (usable, as above) into v2, or each v1 controller's
 * into v1[]: where they usually are, else found by one pass over
 * mountinfo: "ID PARENT M:N ROOT POINT OPTS ... - TYPE SOURCE SUPEROPTS".  Bind mounts of a subtree (ROOT not "/") are
 * not hierarchies' roots and are skipped.
 */
static int
cg_mounts(char *v2, char v1[CG_NCTL][VMM_PATH_MAX])
{
	char line[4096];
	FILE *f;

	if (cg_usual_mounts(v2, v1))
		return 0;
	*v2 = '\0';
	for (int i = 0; i < CG_NCTL; i++)
		v1[i][0] = '\0';
	if ((f = fopen("/proc/self/mountinfo", "re")) == NULL) {
		warn("/proc/self/mountinfo");
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char root[VMM_PATH_MAX], point[VMM_PATH_MAX], type[32];
		char super[512] = "";
		const char *dash = strstr(line, " - ");

		if (dash == NULL ||
		    sscanf(line, "%*s %*s %*s %511s %511s", root, point) != 2 ||
		    sscanf(dash + 3, "%31s %*s %511s", type, super) < 1 ||
		    strcmp(root, "/") != 0)
			continue;
		if (strcmp(type, "cgroup2") == 0 && *v2 == '\0' &&
		    cg_v2_usable(point))
			snprintf(v2, VMM_PATH_MAX, "%s", point);
		else if (strcmp(type, "cgroup") == 0 &&
		    cg_file_exists(point, "cgroup.procs"))
			for (int i = 0; i < CG_NCTL; i++)
				if (v1[i][0] == '\0' && cg_has_word(super, cg_ctl_names[i]))
					snprintf(v1[i], VMM_PATH_MAX, "%s", point);
	}
	fclose(f);
	return 0;
}

int
cgroup_locate(const struct vmm_conf *conf, const struct vmm_type *t,
    const char *name, struct cgroup *cg)
{
	char v2[VMM_PATH_MAX], v1[CG_NCTL][VMM_PATH_MAX];

	memset(cg, 0, sizeof(*cg));
	cg->parent = conf->cgroup;
	if (cg_mounts(v2, v1) == -1)
		return -1;
	if (*v2) {
		cg->version = 2;
		cg->ndirs = 1;
		snprintf(cg->mnt[0], VMM_PATH_MAX, "%s", v2);
		return vmm_path(cg->dir[0], VMM_PATH_MAX, "%s/%s/%s", v2,
		    cg->parent, name);
	}
	for (int i = 0; i < CG_NCTL; i++) {
		if (v1[i][0] == '\0') {
			warnx("%s%s%slimits: no cgroup hierarchy offers the %s "
			    "controller (neither cgroup v2 with memory, pids and cpu "
			    "nor a v1 %s hierarchy is mounted)", t ? "type " : "",
			    t ? t->name : "", t ? ": " : "", cg_ctl_names[i],
			    cg_ctl_names[i]);
			return -1;
		}
		memcpy(cg->mnt[i], v1[i], VMM_PATH_MAX);
		if (vmm_path(cg->dir[i], VMM_PATH_MAX, "%s/%s/%s", v1[i],
			cg->parent, name) == -1)
			return -1;
	}
	cg->version = 1;
	cg->ndirs = CG_NCTL;
	return 0;
}

int
cgroup_of(const struct vmm_conf *conf, const struct vmm_type *t, unsigned id,
    struct cgroup *cg)
{
	char name[16];

	snprintf(name, sizeof(name), "pk%u", id);
	return cgroup_locate(conf, t, name, cg);
}

/*
 * Is pid in cg: its line for the pids hierarchy (v1) or for v2 in
 * /proc/PID/cgroup ends with cg's path below its hierarchy's root.
 */
bool
cgroup_has(const struct cgroup *cg, pid_t pid)
{
	size_t i = cg->version == 2 ? 0 : CG_PIDS;
	const char *want = cg->dir[i] + strlen(cg->mnt[i]);
	char path[64], line[VMM_PATH_MAX + 64], ctl[128], grp[VMM_PATH_MAX];
	bool has = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	if ((f = fopen(path, "re")) == NULL)
		return false;
	while (!has && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*d:%127[^:]:%511s", ctl, grp) == 2 &&
		    (cg->version == 2 ? ctl[0] == '\0' :
		    cg_has_word(ctl, cg_ctl_names[i])))
			has = strcmp(grp, want) == 0;
	fclose(f);
	return has;
}

static int
cg_write(const char *dir, const char *file, const char *val)
{
	char path[VMM_PATH_MAX];
	size_t len = strlen(val);
	int fd, rc = 0;

	if (vmm_path(path, sizeof(path), "%s/%s", dir, file) == -1)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	if (write(fd, val, len) != (ssize_t)len)
		rc = -1;
	if (close(fd) == -1)
		rc = -1;
	return rc;
}

static bool
cg_file_exists(const char *dir, const char *file)
{
	char path[VMM_PATH_MAX];

	return vmm_path(path, sizeof(path), "%s/%s", dir, file) == 0 &&
	    access(path, F_OK) == 0;
}

static int
cg_enable(const char *dir)
{
	if (cg_write(dir, "cgroup.subtree_control", "+memory +pids +cpu") == 0)
		return 0;
	warn("cgroup %s: enabling the memory, pids and cpu controllers", dir);
	return -1;
}

/*
 * mkdir -p of the parent group below hierarchy i's root and (v2) the three
 * controllers enabled at every level down to it.  Once made, a look at
 * the parent is all it costs.
 */
static int
cg_parent(const struct cgroup *cg, size_t i)
{
	char path[VMM_PATH_MAX], buf[256];
	size_t len;

	if (vmm_path(path, sizeof(path), "%s/%s/cgroup.subtree_control",
		cg->mnt[i], cg->parent) == -1)
		return -1;
	if (vmm_read_file(path, buf, sizeof(buf), NULL) == 0 &&
	    (cg->version == 1 || (cg_has_word(buf, "memory") &&
	    cg_has_word(buf, "pids") && cg_has_word(buf, "cpu"))))
		return 0;
	if (cg->version == 1 && vmm_path(path, sizeof(path), "%s/%s",
		cg->mnt[i], cg->parent) == 0 && access(path, F_OK) == 0)
		return 0;
	snprintf(path, sizeof(path), "%s", cg->mnt[i]);
	for (const char *c = cg->parent; *c; c += len + (c[len] == '/')) {
		len = strcspn(c, "/");
		if (cg->version == 2 && cg_enable(path) == -1)
			return -1;
		if (vmm_path(path + strlen(path), sizeof(path) - strlen(path),
			"/%.*s", (int)len, c) == -1)
			return -1;
		if (mkdir(path, 0755) == -1 && errno != EEXIST) {
			warn("creating cgroup %s", path);
			return -1;
		}
	}
	return cg->version == 2 ? cg_enable(path) : 0;
}

/* Limits, each written where its controller is. */
static int
cg_limits(const struct vmm_type *t, const struct cgroup *cg)
{
	const struct vmm_limits *l = &t->limits;
	char mem[32], pids[32], cpu[48];
	const char *mdir = cg->dir[cg->version == 2 ? 0 : CG_MEMORY];
	const char *pdir = cg->dir[cg->version == 2 ? 0 : CG_PIDS];
	const char *cdir = cg->dir[cg->version == 2 ? 0 : CG_CPU];
	const char *what;

	snprintf(mem, sizeof(mem), "%llu", (unsigned long long)l->memory);
	snprintf(pids, sizeof(pids), "%u", l->pids);
	if (cg->version == 2) {
		snprintf(cpu, sizeof(cpu), "%u 100000", l->cpu_milli * 100);
		if (cg_write(mdir, what = "memory.max", mem) == -1 ||
		    (cg_file_exists(mdir, "memory.swap.max") &&
		    cg_write(mdir, what = "memory.swap.max", "0") == -1) ||
		    cg_write(pdir, what = "pids.max", pids) == -1 ||
		    cg_write(cdir, what = "cpu.max", cpu) == -1)
			goto fail;
		return 0;
	}
	snprintf(cpu, sizeof(cpu), "%u", l->cpu_milli * 100);
	/* memsw (memory and swap) may not be below the memory limit. */
	if (cg_write(mdir, what = "memory.limit_in_bytes", mem) == -1 ||
	    (cg_file_exists(mdir, "memory.memsw.limit_in_bytes") &&
	    cg_write(mdir, what = "memory.memsw.limit_in_bytes", mem) == -1) ||
	    cg_write(pdir, what = "pids.max", pids) == -1 ||
	    cg_write(cdir, what = "cpu.cfs_period_us", "100000") == -1 ||
	    cg_write(cdir, what = "cpu.cfs_quota_us", cpu) == -1)
		goto fail;
	return 0;
fail:
	warn("type %s: limits: setting %s of cgroup %s", t->name, what,
	    strrchr(cg->dir[0], '/') + 1);
	return -1;
}

int
cgroup_create(const struct vmm_type *t, const struct cgroup *cg)
{
	size_t made = 0;

	for (size_t i = 0; i < cg->ndirs; i++) {
		if (cg_parent(cg, i) == -1)
			goto fail;
		/* Left by a clone that died with its maker: empty, so gone. */
		if (mkdir(cg->dir[i], 0755) == -1 &&
		    (errno != EEXIST || rmdir(cg->dir[i]) == -1 ||
		    mkdir(cg->dir[i], 0755) == -1)) {
			warn("creating cgroup %s", cg->dir[i]);
			goto fail;
		}
		made++;
	}
	if (cg_limits(t, cg) == 0)
		return 0;
fail:
	while (made > 0)
		rmdir(cg->dir[--made]);
	return -1;
}

/* Our own group in v1 hierarchy i, from /proc/self/cgroup. */
static int
cg_self(const struct cgroup *cg, size_t i, char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[VMM_PATH_MAX + 64], ctl[128], path[VMM_PATH_MAX];
	int rc = -1;

	if (f == NULL)
		return -1;
	while (rc == -1 && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%*d:%127[^:]:%511s", ctl, path) == 2 &&
		    cg_has_word(ctl, cg_ctl_names[i]))
			rc = vmm_path(buf, size, "%s%s", cg->mnt[i],
			    strcmp(path, "/") ? path : "");
	fclose(f);
	return rc;
}

int
cgroup_spawn_begin(const struct cgroup *cg, struct cgroup_spawn *s)
{
	s->fd = -1;
	s->nback = 0;
	if (cg->version == 2) {
		if ((s->fd = open(cg->dir[0], O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1) {
			warn("cgroup %s", cg->dir[0]);
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < cg->ndirs; i++) {
		if (cg_self(cg, i, s->back[i], VMM_PATH_MAX) == -1) {
			warnx("cgroups: our own %s group is not in /proc/self/cgroup",
			    cg_ctl_names[i]);
			break;
		}
		if (cg_write(cg->dir[i], "tasks", "0") == -1) {
			warn("entering cgroup %s", cg->dir[i]);
			break;
		}
		s->nback++;
	}
	if (s->nback == cg->ndirs)
		return 0;
	cgroup_spawn_end(s);
	return -1;
}

void
cgroup_spawn_end(struct cgroup_spawn *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	for (size_t i = 0; i < s->nback; i++)
		if (cg_write(s->back[i], "tasks", "0") == -1)
			warn("returning to cgroup %s", s->back[i]);
	s->nback = 0;
}

bool
cgroup_exists(const struct cgroup *cg)
{
	for (size_t i = 0; i < cg->ndirs; i++)
		if (access(cg->dir[i], F_OK) == 0)
			return true;
	return false;
}

static const char *
cg_freezer_dir(const struct cgroup *cg)
{
	return cg->dir[cg->version == 2 ? 0 : CG_FREEZER];
}

static bool
cgroup_frozen(const struct cgroup *cg)
{
	char path[VMM_PATH_MAX], buf[256];

	if (vmm_path(path, sizeof(path), "%s/%s", cg_freezer_dir(cg),
		cg->version == 2 ? "cgroup.events" : "freezer.state") == -1 ||
	    vmm_read_file(path, buf, sizeof(buf), NULL) == -1)
		return false;
	return cg->version == 2 ? strstr(buf, "frozen 1") != NULL :
	    strncmp(buf, "FROZEN", 6) == 0;
}

/* A freeze completes once every task has stopped: wait for it. */
int
cgroup_freeze(const struct cgroup *cg)
{
	uint64_t deadline = mono_ms() + CG_WAIT_MS;
	const char *dir = cg_freezer_dir(cg);

	if (cg_write(dir, cg->version == 2 ? "cgroup.freeze" : "freezer.state",
		cg->version == 2 ? "1" : "FROZEN") == -1) {
		warn("freezing cgroup %s", dir);
		return -1;
	}
	while (!cgroup_frozen(cg)) {
		if (mono_ms() >= deadline) {
			warnx("cgroup %s did not freeze within %d ms", dir,
			    CG_WAIT_MS);
			return -1;
		}
		usleep(500);
	}
	return 0;
}

/* The group's processes (v2, or v1's pids hierarchy), at most max. */
static size_t
cgroup_pids(const struct cgroup *cg, pid_t *pids, size_t max)
{
	char path[VMM_PATH_MAX];
	size_t n = 0;
	FILE *f;
	int pid;

	if (vmm_path(path, sizeof(path), "%s/cgroup.procs",
		cg->dir[cg->version == 2 ? 0 : CG_PIDS]) == -1 ||
	    (f = fopen(path, "re")) == NULL)
		return 0;
	while (n < max && fscanf(f, "%d", &pid) == 1)
		pids[n++] = pid;
	fclose(f);
	return n;
}

/*
 * Kill: cgroup.kill where the kernel has it (v2, Linux 5.14; frozen tasks
 * too); else SIGKILL to each process listed, then a thaw, since a task
 * frozen by v1's freezer dies only once thawed.  A clone's first process
 * is PID 1 of its namespace: once it is dead its namespace forks no more.
 */
static void
cg_kill(const struct cgroup *cg)
{
	pid_t pids[1024];
	size_t n;

	if (cg->version == 2 && cg_write(cg->dir[0], "cgroup.kill", "1") == 0)
		return;
	n = cgroup_pids(cg, pids, sizeof(pids) / sizeof(pids[0]));
	for (size_t i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	cg_write(cg_freezer_dir(cg), cg->version == 2 ? "cgroup.freeze" :
	    "freezer.state", cg->version == 2 ? "0" : "THAWED");
}

/*
 * A group whose tasks are still exiting is busy: kill again (a task may
 * have been forked meanwhile, by a parent not yet killed) and retry.
 * Exited tasks not yet reaped (zombies) do not keep a group busy.
 */
int
cgroup_remove(const struct cgroup *cg)
{
	uint64_t deadline = mono_ms() + CG_WAIT_MS;
	int rc = 0;

	if (!cgroup_exists(cg))
		return 0;
	for (size_t i = 0; i < cg->ndirs; i++) {
		while (rmdir(cg->dir[i]) == -1 && errno == EBUSY &&
		    mono_ms() < deadline) {
			cg_kill(cg);
			usleep(500);
		}
		if (access(cg->dir[i], F_OK) == 0) {
			warn("removing cgroup %s", cg->dir[i]);
			rc = -1;
		}
	}
	return rc;
}
