/* SPDX-License-Identifier: ISC */
/*
 * Clones' layers in MEMDIR/layers/: a directory per clone, readable by root
 * only; the upper directory belongs to the clone's root (the type's first
 * id), so that what the clone makes there is its own.
 */
#include "layer.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int
layer_path(const struct vmm_conf *conf, unsigned id, const char *file,
    char *buf, size_t size)
{
	return vmm_path(buf, size, "%s/layers/%u%s%s", conf->memdir, id,
	    *file ? "/" : "", file);
}

static int
layer_mkdir(const char *path, uid_t owner)
{
	if (mkdir(path, 0755) == -1 || chown(path, owner, owner) == -1) {
		warn("creating %s", path);
		return -1;
	}
	return 0;
}

int
layer_create(const struct vmm_conf *conf, const struct vmm_type *t,
    const struct vmm_vm *vm, bool overlay)
{
	char top[VMM_PATH_MAX], dir[VMM_PATH_MAX], path[VMM_PATH_MAX];
	int fd;

	if (vmm_secure_dir("memdir", conf->memdir, 0755, true) == -1 ||
	    vmm_path(top, sizeof(top), "%s/layers", conf->memdir) == -1 ||
	    vmm_secure_dir("memdir", top, 0700, true) == -1 ||
	    layer_path(conf, vm->id, "", dir, sizeof(dir)) == -1)
		return -1;
	/* Left by a clone whose maker died: its id is ours now. */
	if (access(dir, F_OK) == 0 && vmm_rm_tree(dir) == -1)
		return -1;
	if (mkdir(dir, 0700) == -1) {
		warn("creating %s", dir);
		return -1;
	}
	if (overlay &&
	    (layer_path(conf, vm->id, "upper", path, sizeof(path)) == -1 ||
	    layer_mkdir(path, t->ids) == -1 ||
	    layer_path(conf, vm->id, "work", path, sizeof(path)) == -1 ||
	    layer_mkdir(path, 0) == -1))
		goto fail;
	if (layer_path(conf, vm->id, "console.log", path, sizeof(path)) == -1)
		goto fail;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0640)) == -1) {
		warn("creating %s", path);
		goto fail;
	}
	if (vmm_path(dir, sizeof(dir), "%s/console.log", vm->dir) == -1 ||
	    ((unlink(dir) == -1 && errno != ENOENT) || symlink(path, dir) == -1)) {
		warn("linking %s", dir);
		close(fd);
		goto fail;
	}
	return fd;
fail:
	layer_remove(conf, vm->id);
	return -1;
}

int
layer_remove(const struct vmm_conf *conf, unsigned id)
{
	char dir[VMM_PATH_MAX];

	if (layer_path(conf, id, "", dir, sizeof(dir)) == -1)
		return -1;
	return vmm_rm_tree(dir);
}
