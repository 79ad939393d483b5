/* SPDX-License-Identifier: ISC */
/*
 * The qemu backend's disks: a type with a disk (vmm.conf "disk", a qcow2
 * image built by potemkin-mkimage --disk) runs every guest on a chain of
 * qcow2 files, each written by one QEMU only:
 *
 *   the type's image          read-only, shared by the snapshot and every clone
 *   <- SNAPDIR/disk.qcow2     what the reference wrote while it booted: the
 *                             disk as its saved memory knows it; sealed at
 *                             the snapshot, read-only to every clone
 *   <- vms/ID/disk.qcow2      the clone's own writes: made at the clone,
 *                             copied into the evidence by a freeze, removed
 *                             with the clone's directory at teardown
 *
 * A clone's overlay is a copy of SNAPDIR/clone.qcow2, an empty overlay made
 * once by qemu-img at the snapshot, so that no clone runs a program.  QEMU
 * opens the chain as given on its command line (-blockdev ... backing=),
 * never by the paths written in the files, which name host paths it cannot
 * see from its cage.
 *
 * The snapshot's delta is valid only over the image it was written on: the
 * snapshot records the image's identity (SNAPDIR/disk.base) and a clone
 * refuses to start over an image that has changed since.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qemu.h"
#include "vmm.h"

#define QEMU_IMG "qemu-img"
#define QEMU_IMG_MS 60000

/* The image's identity: device, inode, size and change time. */
static int
disk_identity(const char *path, char *buf, size_t size)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		warn("%s", path);
		return -1;
	}
	snprintf(buf, size, "%llu %llu %lld %lld.%09ld\n",
	    (unsigned long long)st.st_dev, (unsigned long long)st.st_ino,
	    (long long)st.st_size, (long long)st.st_ctim.tv_sec,
	    st.st_ctim.tv_nsec);
	return 0;
}

int
qemu_disk_paths(const char *snapdir, struct qemu_disk *d)
{
	return vmm_path(d->snap, sizeof(d->snap), "%s/disk.qcow2", snapdir) ||
	    vmm_path(d->blank, sizeof(d->blank), "%s/clone.qcow2", snapdir) ||
	    vmm_path(d->stamp, sizeof(d->stamp), "%s/disk.base", snapdir) ? -1 : 0;
}

/* Run qemu-img with args; 0 if it succeeded. */
static int
disk_img(char *const args[], size_t nargs)
{
	char prog[] = QEMU_IMG, q[] = "-q";
	char *argv[12] = { prog, args[0], q };

	if (nargs + 3 > sizeof(argv) / sizeof(*argv))
		return -1;
	for (size_t i = 1; i < nargs; i++)
		argv[i + 2] = args[i];
	argv[nargs + 2] = NULL;
	return vmm_run(argv, -1, QEMU_IMG_MS);
}

/*
 * An empty qcow2 overlay at path over backing; its header names named (the
 * path backing will have once installed), or backing itself if NULL.
 */
static int
disk_overlay(const char *backing, const char *named, const char *path)
{
	char create[] = "create", rebase[] = "rebase", u[] = "-u", f[] = "-f",
	    fmt[] = "qcow2", b[] = "-b", bf[] = "-F";
	char bpath[VMM_PATH_MAX], npath[VMM_PATH_MAX], opath[VMM_PATH_MAX];
	char *mk[] = { create, f, fmt, b, bpath, bf, fmt, opath };
	char *rename_to[] = { rebase, u, b, npath, bf, fmt, opath };

	snprintf(bpath, sizeof(bpath), "%s", backing);
	snprintf(npath, sizeof(npath), "%s", named ? named : backing);
	snprintf(opath, sizeof(opath), "%s", path);
	unlink(path);
	if (disk_img(mk, sizeof(mk) / sizeof(*mk)) == -1 ||
	    (named && disk_img(rename_to, sizeof(rename_to) /
	    sizeof(*rename_to)) == -1)) {
		warnx("%s: cannot make an overlay over %s", path, backing);
		unlink(path);
		return -1;
	}
	return 0;
}

/* The reference's delta, writable by its QEMU alone. */
int
qemu_disk_begin(const struct vmm_type *t, const char *path)
{
	if (disk_overlay(t->disk, NULL, path) == -1)
		return -1;
	if (chown(path, t->ids, t->ids) == -1 || chmod(path, 0600) == -1) {
		warn("%s", path);
		unlink(path);
		return -1;
	}
	return 0;
}

/*
 * The reference is gone: its delta is made the snapshot's (root's,
 * readable by the type's QEMUs only), the clones' blank overlay is made
 * over it and the image's identity taken, all beside the files they
 * replace (.new); qemu_disk_install puts them in place.
 */
int
qemu_disk_seal(const struct vmm_type *t, const char *newdelta,
    const struct qemu_disk *d)
{
	char id[128], blank[VMM_PATH_MAX], stamp[VMM_PATH_MAX];

	if (chown(newdelta, 0, t->ids) == -1 || chmod(newdelta, 0640) == -1) {
		warn("%s", newdelta);
		return -1;
	}
	if (vmm_path(blank, sizeof(blank), "%s.new", d->blank) == -1 ||
	    vmm_path(stamp, sizeof(stamp), "%s.new", d->stamp) == -1 ||
	    disk_overlay(newdelta, d->snap, blank) == -1)
		return -1;
	if (chmod(blank, 0640) == -1) {
		warn("%s", blank);
		return -1;
	}
	return disk_identity(t->disk, id, sizeof(id)) ||
	    vmm_write_file(stamp, id, strlen(id), 0640) ? -1 : 0;
}

/* The sealed files in place, with the snapshot's state and memory. */
int
qemu_disk_install(const char *newdelta, const struct qemu_disk *d)
{
	char blank[VMM_PATH_MAX], stamp[VMM_PATH_MAX];

	if (vmm_path(blank, sizeof(blank), "%s.new", d->blank) == -1 ||
	    vmm_path(stamp, sizeof(stamp), "%s.new", d->stamp) == -1)
		return -1;
	if (rename(newdelta, d->snap) == -1 || rename(blank, d->blank) == -1 ||
	    rename(stamp, d->stamp) == -1) {
		warn("installing the disk in %s", d->snap);
		return -1;
	}
	return 0;
}

/* What a failed snapshot leaves of the disk's new files. */
void
qemu_disk_discard(const char *newdelta, const struct qemu_disk *d)
{
	char path[VMM_PATH_MAX];

	unlink(newdelta);
	if (vmm_path(path, sizeof(path), "%s.new", d->blank) == 0)
		unlink(path);
	if (vmm_path(path, sizeof(path), "%s.new", d->stamp) == 0)
		unlink(path);
}

/* A clone's overlay at path, from the blank; the image must be the one
 * the snapshot was written on. */
int
qemu_disk_clone(const struct vmm_type *t, const struct qemu_disk *d,
    const char *path)
{
	char now[128], then[128];

	if (disk_identity(t->disk, now, sizeof(now)) == -1)
		return -1;
	if (vmm_read_file(d->stamp, then, sizeof(then), NULL) == -1 ||
	    access(d->snap, R_OK) == -1 || access(d->blank, R_OK) == -1) {
		warnx("type %s: the snapshot has no disk (run potemkin-snapshot "
		    "-f %s)", t->name, t->name);
		return -1;
	}
	if (strcmp(now, then) != 0) {
		warnx("type %s: %s changed since the snapshot was made on it "
		    "(run potemkin-snapshot -f %s)", t->name, t->disk, t->name);
		return -1;
	}
	if (vmm_copy_file(d->blank, path) == -1 ||
	    chown(path, t->ids, t->ids) == -1 || chmod(path, 0600) == -1) {
		warn("%s", path);
		unlink(path);
		return -1;
	}
	return 0;
}

/* The stopped clone's writes, into the evidence folder: 1 copied, 0 the
 * clone has no disk, -1 failed. */
int
qemu_disk_freeze(const struct vmm_vm *vm, const char *evdir)
{
	char from[VMM_PATH_MAX], to[VMM_PATH_MAX];

	if (vmm_path(from, sizeof(from), "%s/disk.qcow2", vm->dir) == -1 ||
	    vmm_path(to, sizeof(to), "%s/disk.qcow2", evdir) == -1)
		return -1;
	if (access(from, F_OK) == -1)
		return 0;
	return vmm_copy_file(from, to) == -1 ? -1 : 1;
}
