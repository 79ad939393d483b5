/* SPDX-License-Identifier: ISC */
/*
 * The capture files on disk, the privileged parent's side: the worker
 * holds only descriptors, so every name is made, moved and removed here.
 *
 *	DIR/ID/clone.pcap, clone.pcap.1 ...	a live clone's views, newest first
 *	DIR/.freeze-ID/				while potemkin-freeze runs
 *	DIR/ID-YYYYmmddTHHMMSSZ/		kept after teardown (pcap.keep),
 *						or a freeze that failed
 *
 * A frozen clone's files move into its evidence folder, beside what
 * potemkin-freeze put there: the clone tools know nothing of captures.
 */
#include "capture.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

static const char *const view_name[CAP_VIEWS] = { "clone.pcap", "outside.pcap" };

/* Remove every file of dir, then dir; quiet when it does not exist. */
static void
remove_dir(const char *dir)
{
	char path[4600];
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL) {
		if (errno != ENOENT)
			log_warn("pcap: %s", dir);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) < 0)
			log_warn("pcap: %s", path);
	}
	closedir(d);
	if (rmdir(dir) < 0)
		log_warn("pcap: %s", dir);
}

static int
open_view(const char *dir, int view)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, view_name[view]);
	/* Non-blocking: a capture must never hold up the packets it records. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
	    0640);
	if (fd < 0)
		log_warn("pcap: %s", path);
	return fd;
}

int
capdir_open(const struct gw_pcap_config *p, int vm, int fds[CAP_VIEWS])
{
	char dir[4096];

	fds[0] = fds[1] = -1;
	if (mkdir(p->directory, 0750) < 0 && errno != EEXIST) {
		log_warn("pcap: %s", p->directory);
		return -1;
	}
	snprintf(dir, sizeof(dir), "%s/%d", p->directory, vm);
	/* A clone that had this id before and was never torn down (a crash). */
	remove_dir(dir);
	if (mkdir(dir, 0750) < 0) {
		log_warn("pcap: %s", dir);
		return -1;
	}
	for (int v = 0; v < CAP_VIEWS; v++) {
		if ((fds[v] = open_view(dir, v)) < 0) {
			if (v == 1)
				close(fds[0]);
			fds[0] = -1;
			return -1;
		}
	}
	return 0;
}

int
capdir_rotate(const struct gw_pcap_config *p, int vm, int view)
{
	char dir[4096], from[4200], to[4200];

	snprintf(dir, sizeof(dir), "%s/%d", p->directory, vm);
	snprintf(to, sizeof(to), "%s/%s.%u", dir, view_name[view], p->files - 1);
	if (p->files == 1)
		snprintf(to, sizeof(to), "%s/%s", dir, view_name[view]);
	if (unlink(to) < 0 && errno != ENOENT)
		log_warn("pcap: %s", to);
	for (unsigned i = p->files - 1; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s/%s", dir, view_name[view]);
		else
			snprintf(from, sizeof(from), "%s/%s.%u", dir, view_name[view], i - 1);
		snprintf(to, sizeof(to), "%s/%s.%u", dir, view_name[view], i);
		if (rename(from, to) < 0 && errno != ENOENT)
			log_warn("pcap: %s", from);
	}
	return open_view(dir, view);
}

/* DIR/ID-YYYYmmddTHHMMSSZ, a second later if that is taken. */
static void
keep_dir(const struct gw_pcap_config *p, const char *dir, int vm)
{
	char kept[4200], stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	for (int i = 0; i < 10; i++, now++) {
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
		snprintf(kept, sizeof(kept), "%s/%d-%s", p->directory, vm, stamp);
		if (access(kept, F_OK) == 0)
			continue;
		if (rename(dir, kept) == 0)
			log_info("pcap: clone %d's capture kept in %s", vm, kept);
		else if (errno != ENOENT)
			log_warn("pcap: keeping %s", dir);
		return;
	}
}

void
capdir_teardown(const struct gw_pcap_config *p, int vm)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s/%d", p->directory, vm);
	if (p->keep)
		keep_dir(p, dir, vm);
	else
		remove_dir(dir);
}

void
capdir_freeze_begin(const struct gw_pcap_config *p, int vm)
{
	char dir[4096], frz[4200];

	snprintf(dir, sizeof(dir), "%s/%d", p->directory, vm);
	snprintf(frz, sizeof(frz), "%s/.freeze-%d", p->directory, vm);
	remove_dir(frz);
	if (rename(dir, frz) < 0 && errno != ENOENT)
		log_warn("pcap: %s", dir);
}

void
capdir_freeze_end(const struct gw_pcap_config *p, int vm, const char *evdir)
{
	char frz[4096], from[4400], to[4400];
	struct dirent *de;
	struct stat st;
	FILE *f;
	DIR *d;

	snprintf(frz, sizeof(frz), "%s/.freeze-%d", p->directory, vm);
	if ((d = opendir(frz)) == NULL)
		return;		/* this clone was not captured */
	if (evdir == NULL || evdir[0] != '/' || stat(evdir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		/* Failed, or its evidence is on another host: keep it here. */
		closedir(d);
		keep_dir(p, frz, vm);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(from, sizeof(from), "%s/%s", frz, de->d_name);
		snprintf(to, sizeof(to), "%s/%s", evdir, de->d_name);
		if (rename(from, to) < 0)
			log_warn("pcap: moving %s to %s", from, evdir);
	}
	closedir(d);
	if (rmdir(frz) < 0) {
		keep_dir(p, frz, vm);	/* what could not move stays together */
		return;
	}
	snprintf(to, sizeof(to), "%s/MANIFEST", evdir);
	if ((f = fopen(to, "a")) != NULL) {
		fprintf(f, "clone.pcap, outside.pcap: the clone's traffic as it saw it and "
		    "as the outside saw it (potemkin-gateway, gateway.conf(5) pcap)\n");
		fclose(f);
	}
}
