/* SPDX-License-Identifier: ISC */
/*
 * The evidence folder: what potemkin-freeze keeps of a clone for analysis.
 * Every backend gets the record, the console log and a MANIFEST saying what
 * is there; each backend adds its own (memory image, device state,
 * processes and sockets).
 */
#include "evidence.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int
evidence_common(const struct vmm_vm *vm, const char *evdir)
{
	static const char *const files[] = { "record", "console.log" };
	char from[VMM_PATH_MAX], to[VMM_PATH_MAX];
	int rc = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (vmm_path(from, sizeof(from), "%s/%s", vm->dir, files[i]) == -1 ||
		    vmm_path(to, sizeof(to), "%s/%s", evdir, files[i]) == -1)
			return -1;
		if (access(from, F_OK) == -1) {
			if (i == 0) {
				warnx("clone %u: no record to preserve", vm->id);
				rc = -1;
			}
			continue;
		}
		if (vmm_copy_file(from, to) == -1)
			rc = -1;
	}
	return rc;
}

int
evidence_note(const char *evdir, const char *fmt, ...)
{
	char path[VMM_PATH_MAX], line[1024];
	va_list ap;
	int fd, n;

	if (vmm_path(path, sizeof(path), "%s/MANIFEST", evdir) == -1)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640)) == -1) {
		warn("%s", path);
		return -1;
	}
	if (write(fd, line, (size_t)n) != n) {
		warn("%s", path);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* evdir/files/PATH's parents, made one by one, into dst. */
static int
ev_files_dst(const char *evdir, const char *path, char *dst, size_t size)
{
	char files[VMM_PATH_MAX];

	if (vmm_path(files, sizeof(files), "%s/files", evdir) == -1)
		return -1;
	if (mkdir(files, 0750) == -1 && errno != EEXIST) {
		warn("creating %s", files);
		return -1;
	}
	/* "/srv/www" -> files/srv/www */
	if (vmm_path(dst, size, "%s%s", files, path) == -1)
		return -1;
	/* Each parent a directory of ours: a link an earlier evidence path
	 * copied from the clone must not lead this copy out of evdir. */
	for (char *p = dst + strlen(files) + 1; (p = strchr(p, '/')); p++) {
		struct stat st;

		*p = '\0';
		if ((mkdir(dst, 0750) == -1 && errno != EEXIST) ||
		    lstat(dst, &st) == -1 || !S_ISDIR(st.st_mode)) {
			warnx("evidence path %s: %s is not a directory the copy "
			    "made", path, dst);
			return -1;
		}
		*p = '/';
	}
	return 0;
}

/*
 * A file or tree of the clone (a service's files) under evdir/files/, as
 * the clone sees it: resolved inside its root, so that no link the clone
 * made can point the copy at a host file, then copied without following
 * links.
 */
int
evidence_path(const char *evdir, pid_t leader, const char *path)
{
	struct open_how how = {
		.flags = O_PATH | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	char root[64], dst[VMM_PATH_MAX], src[64];
	struct stat st;
	int rootfd, fd, rc;

	if (ev_files_dst(evdir, path, dst, sizeof(dst)) == -1)
		return -1;
	snprintf(root, sizeof(root), "/proc/%d/root", (int)leader);
	if ((rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1) {
		warn("evidence path %s: the clone's root", path);
		return -1;
	}
	fd = (int)syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
	close(rootfd);
	if (fd == -1 || fstat(fd, &st) == -1) {
		warn("evidence path %s", path);
		if (fd != -1)
			close(fd);
		return evidence_note(evdir, "files%s: missing", path);
	}
	/* "/." makes nftw start inside the directory, not at the link. */
	snprintf(src, sizeof(src), "/proc/self/fd/%d%s", fd,
	    S_ISDIR(st.st_mode) ? "/." : "");
	if (S_ISDIR(st.st_mode))
		rc = vmm_copy_tree(src, dst, false);
	else if (S_ISREG(st.st_mode))
		rc = vmm_copy_file(src, dst);
	else
		rc = 0;
	close(fd);
	if (rc == -1)
		return -1;
	return evidence_note(evdir, "files%s: copy of %s in the clone", path,
	    path);
}

/*
 * The writable layer, exactly as the overlay keeps it: what the clone
 * wrote or changed, and a 0:0 character device (a whiteout) for each file
 * it deleted.
 */
int
evidence_layer(const char *evdir, const char *upper, uint32_t ids)
{
	char dst[VMM_PATH_MAX];

	if (vmm_path(dst, sizeof(dst), "%s/layer", evdir) == -1)
		return -1;
	if (vmm_copy_tree(upper, dst, true) == -1)
		return -1;
	return evidence_note(evdir, "layer/: the clone's writable layer (its "
	    "disk delta) with owners, modes and times; 0:0 character devices "
	    "are files it deleted; owners are host ids, %u being its root",
	    ids);
}

/* /proc/PID/FILE into evdir/NAME, quietly skipped if unreadable. */
static void
ev_proc_copy(pid_t pid, const char *file, const char *evdir, const char *name)
{
	char from[128], to[VMM_PATH_MAX];

	snprintf(from, sizeof(from), "/proc/%d/%s", (int)pid, file);
	if (vmm_path(to, sizeof(to), "%s/%s", evdir, name) == 0 &&
	    access(from, R_OK) == 0)
		vmm_copy_file(from, to);
}

static void
ev_fds(pid_t pid, FILE *out)
{
	char dir[64], link[300], target[512];

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	for (int fd = 0; fd < 1024; fd++) {
		ssize_t n;

		snprintf(link, sizeof(link), "%s/%d", dir, fd);
		if ((n = readlink(link, target, sizeof(target) - 1)) < 0)
			continue;
		target[n] = '\0';
		fprintf(out, "  fd %d -> %s\n", fd, target);
	}
}

/* One line per process: pid, state, command line; open files below it. */
static int
ev_processes(const struct proctree *t, const char *evdir)
{
	char path[VMM_PATH_MAX];
	FILE *out;

	if (vmm_path(path, sizeof(path), "%s/processes.txt", evdir) == -1)
		return -1;
	if ((out = fopen(path, "we")) == NULL) {
		warn("%s", path);
		return -1;
	}
	fprintf(out, "# pid ppid pgid sid state command\n");
	for (size_t i = 0; i < t->n; i++) {
		char f[64], stat[1024], cmd[1024], comm[64] = "?", st = '?';
		int pid = 0, ppid = 0, pgid = 0, sid = 0;
		size_t len = 0;

		snprintf(f, sizeof(f), "/proc/%d/stat", (int)t->pid[i]);
		if (vmm_read_file(f, stat, sizeof(stat), NULL) == 0) {
			char *rp = strrchr(stat, ')');

			sscanf(stat, "%d (%63[^)]", &pid, comm);
			if (rp)
				sscanf(rp + 2, "%c %d %d %d", &st, &ppid, &pgid, &sid);
		}
		snprintf(f, sizeof(f), "/proc/%d/cmdline", (int)t->pid[i]);
		if (vmm_read_file(f, cmd, sizeof(cmd), &len) == -1)
			len = 0;
		for (size_t j = 0; j + 1 < len; j++)
			if (cmd[j] == '\0')
				cmd[j] = ' ';
		fprintf(out, "%d %d %d %d %c %s\n", (int)t->pid[i], ppid, pgid, sid,
		    st, len ? cmd : comm);
		ev_fds(t->pid[i], out);
	}
	if (fclose(out) == EOF) {
		warn("%s", path);
		return -1;
	}
	return 0;
}

int
evidence_netns(const struct vmm_vm *vm, const struct proctree *t,
    const char *evdir, const char *method)
{
	static const char *const netfiles[] = {
		"tcp", "tcp6", "udp", "udp6", "raw", "unix", "dev", "route", "arp",
	};
	char name[VMM_PATH_MAX], sub[VMM_PATH_MAX];

	if (t->n == 0) {
		warnx("clone %u: no processes to preserve", vm->id);
		return -1;
	}
	if (ev_processes(t, evdir) == -1)
		return -1;
	/* The leader's /proc/PID/net is the clone's network namespace. */
	if (vmm_path(sub, sizeof(sub), "%s/net", evdir) == -1 ||
	    (mkdir(sub, 0750) == -1 && errno != EEXIST))
		return -1;
	for (size_t i = 0; i < sizeof(netfiles) / sizeof(netfiles[0]); i++) {
		snprintf(name, sizeof(name), "net/%s", netfiles[i]);
		snprintf(sub, sizeof(sub), "net/%s", netfiles[i]);
		ev_proc_copy(t->pid[0], sub, evdir, name);
	}
	for (size_t i = 0; i < t->n; i++) {
		static const char *const pfiles[] = {
			"status", "maps", "environ", "cmdline",
		};

		if (vmm_path(sub, sizeof(sub), "%s/proc/%d", evdir,
			(int)t->pid[i]) == -1)
			return -1;
		if (i == 0) {
			char proc[VMM_PATH_MAX];

			snprintf(proc, sizeof(proc), "%s/proc", evdir);
			mkdir(proc, 0750);
		}
		mkdir(sub, 0750);
		for (size_t j = 0; j < sizeof(pfiles) / sizeof(pfiles[0]); j++) {
			snprintf(name, sizeof(name), "proc/%d/%s", (int)t->pid[i],
			    pfiles[j]);
			ev_proc_copy(t->pid[i], pfiles[j], evdir, name);
		}
	}
	return evidence_note(evdir, "frozen: %s", method) ||
	    evidence_note(evdir, "processes.txt: %zu processes with their open "
		"files", t->n) ||
	    evidence_note(evdir, "net/: the clone's sockets, interfaces, routes, "
		"ARP table") ||
	    evidence_note(evdir, "proc/PID/: status, maps, environment, command "
		"line of each process") ? -1 : 0;
}
