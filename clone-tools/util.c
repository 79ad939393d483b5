/* SPDX-License-Identifier: ISC */
/*
 * Files and processes: the few helpers every backend needs.  Child processes
 * never inherit a descriptor they were not given (a gateway reading our
 * stdout until EOF must not wait for a clone's QEMU), and every wait has a
 * deadline.
 */
#include "vmm.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/monotime.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC 0x01021994
#endif

volatile sig_atomic_t vmm_stop;

/* Our command line, for vmm_retitle; glibc hands it to constructors. */
static char *util_args;
static size_t util_args_len;

__attribute__((constructor)) static void
util_save_args(int argc, char **argv)
{
	if (argc > 0 && argv != NULL && argv[0] != NULL) {
		util_args = argv[0];
		util_args_len = (size_t)(argv[argc - 1] - argv[0]) +
		    strlen(argv[argc - 1]) + 1;
	}
}

/*
 * Show title as our command line (/proc/PID/cmdline, ps) and name: what a
 * clone's leader, which never executes a program, shows the clone instead
 * of the clone command's arguments.
 */
void
vmm_retitle(const char *title)
{
	const char *base = strrchr(title, '/');

	if (util_args != NULL) {
		memset(util_args, 0, util_args_len);
		memcpy(util_args, title, strnlen(title, util_args_len - 1));
	}
	prctl(PR_SET_NAME, base ? base + 1 : title);
}

static void
util_on_signal(int sig)
{
	vmm_stop = sig;
}

/* No SA_RESTART: a blocking wait returns EINTR and sees vmm_stop. */
void
vmm_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = util_on_signal };
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

const char *
vmm_progname(void)
{
	return program_invocation_short_name;
}

int
vmm_write_file(const char *path, const char *data, size_t len, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	if (fd == -1) {
		warn("creating %s", path);
		return -1;
	}
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			warn("writing %s", path);
			close(fd);
			unlink(path);
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	if (close(fd) == -1) {
		warn("writing %s", path);
		unlink(path);
		return -1;
	}
	return 0;
}

/* Reads at most size-1 bytes and NUL-terminates; errno set on failure. */
int
vmm_read_file(const char *path, char *buf, size_t size, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd == -1)
		return -1;
	while (got < size - 1) {
		ssize_t n = read(fd, buf + got, size - 1 - got);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	if (len)
		*len = got;
	return 0;
}

int
vmm_copy_file(const char *from, const char *to)
{
	int in = -1, out = -1, rc = -1;
	char buf[65536];
	ssize_t n;

	if ((in = open(from, O_RDONLY | O_CLOEXEC)) == -1) {
		warn("reading %s", from);
		goto fail;
	}
	/* Never through a link a copy has made: what is copied is often a
	 * clone's, and its links are the attacker's. */
	if ((out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0640)) == -1) {
		warn("creating %s", to);
		goto fail;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			warn("writing %s", to);
			goto fail;
		}
	if (n == -1) {
		warn("reading %s", from);
		goto fail;
	}
	rc = 0;
fail:
	if (in != -1)
		close(in);
	if (out != -1 && close(out) == -1 && rc == 0) {
		warn("writing %s", to);
		rc = -1;
	}
	return rc;
}

/* nftw has no user pointer: the copy's state lives here for its duration. */
static const char *copy_from, *copy_to;
static size_t copy_from_len;
static bool copy_exact;
static int copy_rc;

static void
copy_fail(const char *what, const char *path)
{
	warn("%s %s", what, path);
	copy_rc = -1;
}

/*
 * Exact: the owner, mode and times of path's entry st onto dst, but never
 * set-user or set-group-ID: a clone's file must not become, on the host, a
 * program that runs as the ids of every clone of its type.
 */
static void
copy_meta(const char *dst, const struct stat *st)
{
	const struct timespec times[2] = { st->st_atim, st->st_mtim };

	if (lchown(dst, st->st_uid, st->st_gid) == -1 ||
	    (!S_ISLNK(st->st_mode) && chmod(dst, st->st_mode & 01777) == -1) ||
	    utimensat(AT_FDCWD, dst, times, AT_SYMLINK_NOFOLLOW) == -1)
		copy_fail("setting owner, mode and times of", dst);
}

static int
copy_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char dst[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	(void)ftw;
	if (snprintf(dst, sizeof(dst), "%s%s", copy_to, path + copy_from_len) >=
	    (int)sizeof(dst)) {
		warnx("path too long: %s", path);
		copy_rc = -1;
		return 0;
	}
	if (flag == FTW_D) {
		struct stat there;

		/* One there already must be a directory, not a link; else the
		 * walk stops: its content would go where the link points. */
		if (mkdir(dst, 0750) == -1 && (errno != EEXIST ||
		    lstat(dst, &there) == -1 || !S_ISDIR(there.st_mode))) {
			errno = errno == EEXIST ? ENOTDIR : errno;
			copy_fail("creating", dst);
			return 1;
		}
		return 0;	/* its metadata once its content is in */
	} else if (flag == FTW_SL) {
		if ((n = readlink(path, link, sizeof(link) - 1)) >= 0) {
			link[n] = '\0';
			if (symlink(link, dst) == -1)
				copy_fail("creating", dst);
		}
	} else if (flag == FTW_F && S_ISREG(st->st_mode)) {
		if (vmm_copy_file(path, dst) == -1)
			copy_rc = -1;
	} else if (flag == FTW_F && copy_exact && (S_ISFIFO(st->st_mode) ||
	    (S_ISCHR(st->st_mode) && st->st_rdev == 0))) {
		/* Fifos, and an overlay's whiteouts (0:0 devices); no other
		 * device a clone could have made is made again here. */
		if (mknod(dst, st->st_mode & ~(mode_t)06000, st->st_rdev) == -1)
			copy_fail("creating", dst);
	} else {
		return 0;
	}
	if (copy_exact)
		copy_meta(dst, st);
	return 0;
}

/* The directories' metadata, children first (their times move otherwise). */
static int
copy_dir_meta(const char *path, const struct stat *st, int flag,
    struct FTW *ftw)
{
	char dst[PATH_MAX];

	(void)ftw;
	if (flag == FTW_DP && snprintf(dst, sizeof(dst), "%s%s", copy_to,
	    path + copy_from_len) < (int)sizeof(dst))
		copy_meta(dst, st);
	return 0;
}

/*
 * cp -R without following links; special files are left out.  Exact (for
 * evidence of what a clone wrote): owners, modes, times, devices and fifos
 * too, as cp -a would.
 */
int
vmm_copy_tree(const char *from, const char *to, bool exact)
{
	copy_from = from;
	copy_from_len = strlen(from);
	copy_to = to;
	copy_exact = exact;
	copy_rc = 0;
	int rc = nftw(from, copy_one, 16, FTW_PHYS);

	if (rc == -1) {
		warn("copying %s", from);
		return -1;
	}
	if (rc != 0 || copy_rc == -1)
		return -1;	/* told; no metadata onto a copy cut short */
	if (exact && nftw(from, copy_dir_meta, 16, FTW_PHYS | FTW_DEPTH) == -1) {
		warn("copying %s", from);
		return -1;
	}
	return copy_rc;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) == -1 &&
	    errno != ENOENT) {
		warn("removing %s", path);
		return -1;
	}
	return 0;
}

int
vmm_rm_tree(const char *path)
{
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1 &&
	    errno != ENOENT) {
		warn("removing %s", path);
		return -1;
	}
	return 0;
}

/*
 * fork + exec with stdin from /dev/null, stdout to outfd (or /dev/null),
 * stderr shared, and no descriptor but those in keep[].  If exec fails the
 * child says why on stderr and exits 127.
 */
pid_t
vmm_spawn(char *const argv[], int outfd, const int *keep, size_t nkeep)
{
	pid_t pid = fork();

	if (pid == -1) {
		warn("fork for %s", argv[0]);
		return -1;
	}
	if (pid > 0)
		return pid;
	int null = open("/dev/null", O_RDWR);

	if (null == -1 || dup2(null, 0) == -1 ||
	    dup2(outfd >= 0 ? outfd : null, 1) == -1)
		_exit(127);
	close_range(3, UINT_MAX, CLOSE_RANGE_CLOEXEC);
	for (size_t i = 0; i < nkeep; i++)
		fcntl(keep[i], F_SETFD, 0);
	signal(SIGPIPE, SIG_DFL);
	execvp(argv[0], argv);
	warn("executing %s", argv[0]);
	_exit(127);
}

static int
util_pidfd(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/*
 * Wait for our child pid, at most timeout_ms.  Returns 0 with its status,
 * or -1 with errno ETIMEDOUT (the child still runs).
 */
int
vmm_wait(pid_t pid, uint64_t timeout_ms, int *status)
{
	uint64_t deadline = mono_ms() + timeout_ms;
	int pfd = util_pidfd(pid), rc;

	for (;;) {
		rc = (int)waitpid(pid, status, WNOHANG);
		if (rc == pid)
			break;
		if (rc == -1 && errno != EINTR) {
			rc = -1;
			break;
		}
		uint64_t now = mono_ms();

		if (now >= deadline) {
			errno = ETIMEDOUT;
			rc = -1;
			break;
		}
		if (pfd >= 0) {
			struct pollfd p = { .fd = pfd, .events = POLLIN };

			poll(&p, 1, (int)(deadline - now));
		} else {
			usleep(1000);
		}
	}
	if (pfd >= 0)
		close(pfd);
	return rc == -1 ? -1 : 0;
}

/* Run argv to completion; 0 only if it exited 0 within the deadline. */
int
vmm_run(char *const argv[], int outfd, uint64_t timeout_ms)
{
	pid_t pid = vmm_spawn(argv, outfd, NULL, 0);
	int status;

	if (pid == -1)
		return -1;
	if (vmm_wait(pid, timeout_ms, &status) == -1) {
		warnx("%s: no answer within %llu ms", argv[0],
		    (unsigned long long)timeout_ms);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	if (WIFSIGNALED(status)) {
		warnx("%s %s: killed by signal %d", argv[0], argv[1] ? argv[1] : "",
		    WTERMSIG(status));
		return -1;
	}
	if (WEXITSTATUS(status) != 0) {
		warnx("%s %s: exit status %d", argv[0], argv[1] ? argv[1] : "",
		    WEXITSTATUS(status));
		return -1;
	}
	return 0;
}

/* Alive and not a zombie waiting for its parent. */
bool
vmm_pid_alive(long pid)
{
	char path[64], buf[256], *p;
	size_t len;

	if (pid <= 0 || (kill((pid_t)pid, 0) == -1 && errno != EPERM))
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (vmm_read_file(path, buf, sizeof(buf), &len) == -1)
		return false;
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return true;
	return p[2] != 'Z' && p[2] != 'X';
}

/* One line of a console: true if it ends with needle as a word of its own
 * (a login prompt may come first; the kernel's echo of its command line
 * has "potemkin.ready=" before it and more after). */
static bool
line_ends_with(const char *line, size_t len, const char *needle, size_t nlen)
{
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len < nlen || memcmp(line + len - nlen, needle, nlen) != 0)
		return false;
	return len == nlen || line[len - nlen - 1] == ' ' ||
	    line[len - nlen - 1] == '\r';
}

/*
 * Wait until the file at path has a line that ends with needle, after
 * offset off (a console log filling up, maybe appended to since earlier
 * boots), at most timeout_ms; fail early if process watch (when > 0) dies.
 * Not anywhere in a line: the kernel echoes its command line, ready string
 * included, on a console that is not quiet.  Returns 0 found, -1 with
 * errno ETIMEDOUT or ESRCH.
 */
int
vmm_wait_string(const char *path, off_t off, const char *needle,
    uint64_t timeout_ms, pid_t watch)
{
	uint64_t deadline = mono_ms() + timeout_ms;
	size_t nlen = strlen(needle), have = 0;
	char buf[8192], line[320];
	bool whole = true;	/* line[] holds the line from its start */
	int fd = -1;

	if (nlen == 0 || nlen > 256) {
		errno = EINVAL;
		return -1;
	}
	for (;;) {
		if (fd == -1)
			fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd != -1) {
			ssize_t n;

			while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
				off += n;
				for (ssize_t i = 0; i < n; i++) {
					if (buf[i] != '\n') {
						if (have < sizeof(line))
							line[have++] = buf[i];
						else
							whole = false;
						continue;
					}
					if (whole &&
					    line_ends_with(line, have, needle, nlen)) {
						close(fd);
						return 0;
					}
					have = 0;
					whole = true;
				}
			}
		}
		if (vmm_stop) {
			errno = EINTR;
			break;
		}
		if (watch > 0 && !vmm_pid_alive(watch)) {
			errno = ESRCH;
			break;
		}
		if (mono_ms() >= deadline) {
			errno = ETIMEDOUT;
			break;
		}
		usleep(5000);
	}
	if (fd != -1)
		close(fd);
	return -1;
}

/*
 * A directory only root can change, made if missing: every component from
 * / is opened without following a link, must belong to root and be
 * writable by no one else (or be sticky, as /tmp and /dev/shm are); the
 * last one, made with mode if missing, may not be sticky either.  So no
 * local user can have made it, or anything on the way, beforehand.  With
 * tmpfs, it must be on one.
 */
/* Is what fd names root's and writable by no one else (but sticky, if
 * it is on the way only)? */
static int
util_root_owned(int fd, const char *what, const char *path, bool last)
{
	struct stat st;

	if (fstat(fd, &st) == -1) {
		warn("%s %s", what, path);
		return -1;
	}
	if (st.st_uid == 0 &&
	    (!(st.st_mode & 022) || (!last && (st.st_mode & S_ISVTX))))
		return 0;
	warnx("%s %s: %s belongs to uid %u with mode %04o: it must be root's "
	    "and writable by no one else (made by someone else?)", what, path,
	    last ? "it" : "a directory on the way", (unsigned)st.st_uid,
	    (unsigned)(st.st_mode & 07777));
	return -1;
}

int
vmm_secure_dir(const char *what, const char *path, int mode, bool tmpfs)
{
	int fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), rc = -1;
	const char *c = path;
	struct statfs sfs;

	if (path[0] != '/') {
		warnx("%s %s: not an absolute path", what, path);
		goto out;
	}
	for (;;) {
		char name[NAME_MAX + 1];
		size_t len;
		int next;

		c += strspn(c, "/");
		if (fd == -1 || util_root_owned(fd, what, path, *c == '\0') == -1)
			goto out;
		if (*c == '\0')
			break;
		if ((len = strcspn(c, "/")) > NAME_MAX) {
			warnx("%s %s: name too long", what, path);
			goto out;
		}
		memcpy(name, c, len);
		name[len] = '\0';
		c += len;
		next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (next == -1 && errno == ENOENT &&
		    (mkdirat(fd, name, c[strspn(c, "/")] ? 0755 : (mode_t)mode) ==
		    0 || errno == EEXIST))
			next = openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);
		close(fd);
		if ((fd = next) == -1) {
			warn(errno == ENOTDIR || errno == ELOOP ? "%s %s: %s is a link or not a "
			    "directory" : "%s %s: %s", what, path, name);
			goto out;
		}
	}
	if (tmpfs && (fstatfs(fd, &sfs) == -1 || sfs.f_type != TMPFS_MAGIC)) {
		warnx("%s %s: not on a tmpfs", what, path);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	return rc;
}
