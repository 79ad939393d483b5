/* SPDX-License-Identifier: ISC */
/*
 * The capture files on disk, the privileged parent's side: the worker
 * holds only descriptors, so every name is made, moved and removed here.
 *
 *	DIR/ID/clone.pcap, clone.pcap.1 ...	a live clone's views, newest first
 *	DIR/.freeze-ID/				while potemkin-freeze runs
 *	DIR/ID-YYYYmmddTHHMMSS.mmmZ[-N]/	kept: after teardown (pcap.keep),
 *						a freeze that failed, an id reused
 *
 * A frozen clone's files move into its evidence folder, beside what
 * potemkin-freeze put there: the clone tools know nothing of captures.
 *
 * Root works here, so nothing is reached by a path that could hold a link:
 * DIR is opened once per operation without following one, and every name
 * below it is handled relative to that (openat, unlinkat, renameat).
 * capdir_check makes sure nobody else can write DIR in the first place.
 */
#include "capture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

static const char *const view_name[CAP_VIEWS] = { "clone.pcap", "outside.pcap" };

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

int
capdir_check(const struct gw_pcap_config *p, char *why, size_t len)
{
	struct stat st;

	if (mkdir(p->directory, 0700) < 0 && errno != EEXIST) {
		snprintf(why, len, "pcap: directory %s: %s", p->directory, strerror(errno));
		return -1;
	}
	if (lstat(p->directory, &st) < 0) {
		snprintf(why, len, "pcap: directory %s: %s", p->directory, strerror(errno));
		return -1;
	}
	/* Root renames and removes in it: like sshd's StrictModes. */
	if (!S_ISDIR(st.st_mode))
		snprintf(why, len, "pcap: directory %s is not a directory (a link is refused)",
		    p->directory);
	else if (st.st_uid != 0 && st.st_uid != geteuid())
		snprintf(why, len, "pcap: directory %s is owned by uid %u, not root",
		    p->directory, (unsigned)st.st_uid);
	else if (st.st_mode & (S_IWGRP | S_IWOTH))
		snprintf(why, len, "pcap: directory %s is writable by group or others "
		    "(mode %03o); chmod go-w it", p->directory, (unsigned)(st.st_mode & 0777));
	else
		return 0;
	return -1;
}

/* DIR itself, never through a link; -1 logged. */
static int
open_top(const struct gw_pcap_config *p)
{
	int fd;

	if (mkdir(p->directory, 0700) < 0 && errno != EEXIST)
		log_warn("pcap: %s", p->directory);
	if ((fd = open(p->directory, DIR_FLAGS)) < 0)
		log_warn("pcap: %s", p->directory);
	return fd;
}

/* Remove every file of DIR/name, then it; a link in its place is only unlinked. */
static void
remove_dir(const struct gw_pcap_config *p, int top, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = openat(top, name, DIR_FLAGS)) < 0) {
		if (errno == ENOENT)
			return;
		if ((errno == ELOOP || errno == ENOTDIR) && unlinkat(top, name, 0) == 0) {
			log_warnx("pcap: %s/%s was not a directory; removed, not followed",
			    p->directory, name);
			return;
		}
		log_warn("pcap: %s/%s", p->directory, name);
		return;
	}
	if ((d = fdopendir(fd)) == NULL) {
		log_warn("pcap: %s/%s", p->directory, name);
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, de->d_name, 0) < 0)
			log_warn("pcap: %s/%s/%s", p->directory, name, de->d_name);
	}
	closedir(d);
	if (unlinkat(top, name, AT_REMOVEDIR) < 0)
		log_warn("pcap: %s/%s", p->directory, name);
}

/* Rename without replacing: a kept capture never takes another's place. */
static int
rename_new(int top, const char *from, const char *to)
{
	struct stat st;

	if (renameat2(top, from, top, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
	/* A file system without RENAME_NOREPLACE: only the parent renames here. */
	if (fstatat(top, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		errno = EEXIST;
		return -1;
	}
	return renameat(top, from, top, to);
}

/*
 * DIR/name becomes DIR/ID-YYYYmmddTHHMMSS.mmmZ, with -N when that is
 * taken: named as the clone tools name evidence folders.  0, or -1 logged
 * with the files left where they are.
 */
static int
keep_dir(const struct gw_pcap_config *p, int top, const char *name, int vm)
{
	char kept[96], stamp[32];
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
	for (int i = 0; i < 100; i++) {
		char suffix[8] = "";

		if (i > 0)
			snprintf(suffix, sizeof(suffix), "-%d", i);
		snprintf(kept, sizeof(kept), "%d-%s.%03uZ%s", vm, stamp,
		    (unsigned)(tv.tv_usec / 1000), suffix);
		if (rename_new(top, name, kept) == 0) {
			log_info("pcap: clone %d's capture kept in %s/%s", vm, p->directory, kept);
			return 0;
		}
		if (errno == ENOENT)
			return 0;	/* nothing to keep */
		if (errno != EEXIST && errno != ENOTEMPTY)
			break;
	}
	log_warn("pcap: clone %d's capture cannot be kept; it stays in %s/%s", vm,
	    p->directory, name);
	return -1;
}

static int
open_view(const struct gw_pcap_config *p, int dir, int vm, int view)
{
	/* Non-blocking: a capture must never hold up the packets it records. */
	int fd = openat(dir, view_name[view], O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0640);

	if (fd < 0)
		log_warn("pcap: %s/%d/%s", p->directory, vm, view_name[view]);
	return fd;
}

int
capdir_open(const struct gw_pcap_config *p, int vm, int fds[CAP_VIEWS])
{
	char name[16];
	int top, dir = -1, rc = -1;

	fds[0] = fds[1] = -1;
	if ((top = open_top(p)) < 0)
		return -1;
	snprintf(name, sizeof(name), "%d", vm);
	/* A clone that had this id before and was never torn down: a crash, or on_exit keep. */
	if (keep_dir(p, top, name, vm) < 0)
		goto out;
	if (mkdirat(top, name, 0750) < 0 || (dir = openat(top, name, DIR_FLAGS)) < 0) {
		log_warn("pcap: %s/%s", p->directory, name);
		goto out;
	}
	for (int v = 0; v < CAP_VIEWS; v++) {
		if ((fds[v] = open_view(p, dir, vm, v)) < 0) {
			if (v == 1)
				close(fds[0]);
			fds[0] = -1;
			goto out;
		}
	}
	rc = 0;
out:
	if (dir >= 0)
		close(dir);
	close(top);
	return rc;
}

int
capdir_rotate(const struct gw_pcap_config *p, int vm, int view)
{
	char name[16], from[64], to[64];
	const char *v = view_name[view];
	int top, dir, fd;

	if ((top = open_top(p)) < 0)
		return -1;
	snprintf(name, sizeof(name), "%d", vm);
	dir = openat(top, name, DIR_FLAGS);
	close(top);
	if (dir < 0) {
		log_warn("pcap: %s/%s", p->directory, name);
		return -1;
	}
	/* Short fixed names (files <= 100): nothing here can be cut. */
	if (p->files == 1)
		snprintf(to, sizeof(to), "%s", v);
	else
		snprintf(to, sizeof(to), "%s.%u", v, p->files - 1);
	if (unlinkat(dir, to, 0) < 0 && errno != ENOENT)
		log_warn("pcap: %s/%s/%s", p->directory, name, to);
	for (unsigned i = p->files - 1; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", v);
		else
			snprintf(from, sizeof(from), "%s.%u", v, i - 1);
		snprintf(to, sizeof(to), "%s.%u", v, i);
		if (renameat(dir, from, dir, to) < 0 && errno != ENOENT)
			log_warn("pcap: %s/%s/%s", p->directory, name, from);
	}
	fd = open_view(p, dir, vm, view);
	close(dir);
	return fd;
}

void
capdir_teardown(const struct gw_pcap_config *p, int vm)
{
	char name[16];
	int top;

	if ((top = open_top(p)) < 0)
		return;
	snprintf(name, sizeof(name), "%d", vm);
	if (p->keep)
		(void)keep_dir(p, top, name, vm);
	else
		remove_dir(p, top, name);
	close(top);
}

bool
capdir_freeze_begin(const struct gw_pcap_config *p, int vm)
{
	char name[16], frz[32];
	struct stat st;
	bool moved = false;
	int top;

	if ((top = open_top(p)) < 0)
		return false;
	snprintf(name, sizeof(name), "%d", vm);
	snprintf(frz, sizeof(frz), ".freeze-%d", vm);
	/* Not captured, or a freeze of it already has its files: touch nothing. */
	if (fstatat(top, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		goto out;
	/* Left by a parent that died mid-freeze: kept, never wiped. */
	if (keep_dir(p, top, frz, vm) < 0)
		goto out;
	if (renameat(top, name, top, frz) < 0)
		log_warn("pcap: %s/%s", p->directory, name);
	else
		moved = true;
out:
	close(top);
	return moved;
}

static void
note_manifest(int ev)
{
	int fd = openat(ev, "MANIFEST", O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0640);
	FILE *f;

	if (fd < 0 || (f = fdopen(fd, "a")) == NULL) {
		log_warn("pcap: the evidence's MANIFEST");
		if (fd >= 0)
			close(fd);
		return;
	}
	fprintf(f, "clone.pcap, outside.pcap: the clone's traffic as it saw it and "
	    "as the outside saw it (potemkin-gateway, gateway.conf(5) pcap)\n");
	fclose(f);
}

/* Every file of DIR/frz into ev; 0 when frz is gone after. */
static int
move_into(const struct gw_pcap_config *p, int top, const char *frz, int ev)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if ((fd = openat(top, frz, DIR_FLAGS)) < 0 || (d = fdopendir(fd)) == NULL) {
		log_warn("pcap: %s/%s", p->directory, frz);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (renameat(fd, de->d_name, ev, de->d_name) < 0)
			log_warn("pcap: moving %s/%s/%s into the evidence", p->directory,
			    frz, de->d_name);
	}
	closedir(d);
	return unlinkat(top, frz, AT_REMOVEDIR);
}

void
capdir_freeze_end(const struct gw_pcap_config *p, int vm, const char *evdir)
{
	char frz[32];
	struct stat st;
	int top, ev = -1;

	if ((top = open_top(p)) < 0)
		return;
	snprintf(frz, sizeof(frz), ".freeze-%d", vm);
	if (fstatat(top, frz, &st, AT_SYMLINK_NOFOLLOW) < 0)
		goto out;		/* this clone was not captured */
	/* Its evidence by descriptor: no path of ours to cut however long it is. */
	if (evdir != NULL && evdir[0] == '/' && (ev = open(evdir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		log_warn("pcap: clone %d's evidence folder %.200s%s", vm, evdir,
		    strlen(evdir) > 200 ? "..." : "");
	if (ev < 0 || move_into(p, top, frz, ev) < 0) {
		/* Failed, its evidence on another host, or not all moved: together here. */
		(void)keep_dir(p, top, frz, vm);
		goto out;
	}
	note_manifest(ev);
out:
	if (ev >= 0)
		close(ev);
	close(top);
}
