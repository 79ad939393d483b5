/* SPDX-License-Identifier: ISC */
/*
 * What the clone tools know of potemkin-place's clones (placed.h).
 */
#include "placed.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/monotime.h"
#include "nl.h"
#include "tunnel.h"

#define PLACED_ARGV_MAX 48

int
placed_write_argv(const char *path, char *const argv[])
{
	char buf[4096];
	size_t len = 0;

	for (size_t i = 0; argv[i]; i++) {
		size_t n = strlen(argv[i]) + 1;

		if (len + n > sizeof(buf)) {
			warnx("%s: command too long", path);
			return -1;
		}
		memcpy(buf + len, argv[i], n);
		len += n;
	}
	return vmm_write_file(path, buf, len, 0640);
}

/* The words written by placed_write_argv, into buf; argv points into it. */
static int
placed_read_argv(const char *path, char *buf, size_t size, char **argv)
{
	size_t len, n = 0;

	if (vmm_read_file(path, buf, size, &len) == -1)
		return -1;
	for (size_t i = 0; i < len && n < PLACED_ARGV_MAX - 1; i += strlen(buf + i) + 1)
		argv[n++] = buf + i;
	argv[n] = NULL;
	if (n == 0 || buf[len - 1] != '\0') {
		warnx("%s: not a command", path);
		return -1;
	}
	return 0;
}

int
placed_mark_path(const struct vmm_conf *conf, const char *host,
    const char *type, const char *name, char *buf, size_t size)
{
	return vmm_path(buf, size, "%s/hosts/%s/%s/%s", conf->statedir, host, type,
	    name);
}

bool
placed_host_down(const struct vmm_conf *conf, const char *host)
{
	char path[VMM_PATH_MAX];

	return vmm_path(path, sizeof(path), "%s/hosts/%s/down", conf->statedir,
	    host) == 0 && access(path, F_OK) == 0;
}

int
placed_mkdirs(const struct vmm_conf *conf, const char *host, const char *type)
{
	char path[VMM_PATH_MAX];

	if (vmm_path(path, sizeof(path), "%s/hosts", conf->statedir) == -1 ||
	    (mkdir(path, 0750) == -1 && errno != EEXIST) ||
	    vmm_path(path, sizeof(path), "%s/hosts/%s", conf->statedir, host) == -1 ||
	    (mkdir(path, 0750) == -1 && errno != EEXIST) ||
	    (type && (vmm_path(path, sizeof(path), "%s/hosts/%s/%s", conf->statedir,
		host, type) == -1 || (mkdir(path, 0750) == -1 && errno != EEXIST)))) {
		warn("%s", path);
		return -1;
	}
	return 0;
}

int
placed_mark_down(const struct vmm_conf *conf, const char *host, const char *why)
{
	char path[VMM_PATH_MAX], line[512];
	int n;

	n = snprintf(line, sizeof(line), "%llu %s\n", (unsigned long long)wall_ms(), why);
	if (placed_mkdirs(conf, host, NULL) == -1 ||
	    vmm_path(path, sizeof(path), "%s/hosts/%s/down", conf->statedir, host) == -1)
		return -1;
	return vmm_write_file(path, line, (size_t)n < sizeof(line) ? (size_t)n :
	    sizeof(line) - 1, 0640);
}

/* Run the command of file name in vm's directory; its output to outfd. */
static int
placed_run(const struct vmm_vm *vm, const char *name, int outfd)
{
	char path[VMM_PATH_MAX], buf[4096], *argv[PLACED_ARGV_MAX];

	if (vmm_path(path, sizeof(path), "%s/%s", vm->dir, name) == -1 ||
	    placed_read_argv(path, buf, sizeof(buf), argv) == -1)
		return -1;
	return vmm_run(argv, outfd, PLACED_REMOTE_MS);
}

static int
remote_teardown(const struct vmm_conf *conf, struct vmm_vm *vm)
{
	struct mnl_socket *sock;
	int rc = 0;

	/*
	 * A host marked down is not asked: its clones are swept when it is
	 * back (potemkin-place check), and the tunnel's end here goes now.
	 */
	if (placed_host_down(conf, vm->rec.host))
		warnx("clone %u: host %s is down; its clone there goes when the "
		    "host is back", vm->id, vm->rec.host);
	else if (placed_run(vm, PLACED_TEARDOWN, -1) == -1) {
		/*
		 * Left running there, it must not outlive its id here: the
		 * host is down until a check sweeps it, so no clone there
		 * gets this id's tunnel meanwhile.
		 */
		warnx("clone %u: not torn down on host %s, which is marked down; "
		    "it goes when a check sweeps the host", vm->id, vm->rec.host);
		placed_mark_down(conf, vm->rec.host, "a teardown there failed");
	}
	if (if_nametoindex(vm->rec.ifname) == 0)
		return 0;
	if ((sock = nl_open(NETLINK_ROUTE)) == NULL)
		return -1;
	rc = nl_delete_on(sock, vm->rec.ifname);
	nl_close(sock);
	return rc;
}

/* A clone on a host marked down is stale: teardown -s removes its end here. */
static bool
remote_alive(const struct vmm_conf *conf, const struct vmm_vm *vm)
{
	return if_nametoindex(vm->rec.ifname) != 0 &&
	    !placed_host_down(conf, vm->rec.host);
}

/* Frozen there and kept; the evidence stays on that host, named here. */
static int
remote_freeze(const struct vmm_conf *conf, struct vmm_vm *vm, const char *evdir)
{
	char path[VMM_PATH_MAX], out[VMM_PATH_MAX + 64];
	int fd, rc;
	ssize_t n;

	if (placed_host_down(conf, vm->rec.host)) {
		warnx("clone %u: host %s is down: nothing to freeze there", vm->id,
		    vm->rec.host);
		return -1;
	}
	if (vmm_path(path, sizeof(path), "%s/remote", evdir) == -1 ||
	    (fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) == -1)
		return -1;
	n = snprintf(out, sizeof(out), "%s:", vm->rec.host);
	rc = write(fd, out, (size_t)n) == n ? placed_run(vm, PLACED_FREEZE, fd) : -1;
	close(fd);
	if (rc == -1) {
		warnx("clone %u: not frozen on host %s, which is marked down", vm->id,
		    vm->rec.host);
		placed_mark_down(conf, vm->rec.host, "a freeze there failed");
	}
	return rc;
}

const struct vmm_backend vmm_remote_backend = {
	.name = "remote",
	.memory = "remote",
	.teardown = remote_teardown,
	.freeze = remote_freeze,
	.alive = remote_alive,
};

int
vmm_vm_destroy(const struct vmm_conf *conf, struct vmm_vm *vm,
    const struct vmm_backend *be)
{
	char mark[VMM_PATH_MAX], id[16];

	if ((be && be->teardown(conf, vm) == -1) || tunnel_detach(vm->id) == -1) {
		vmm_vm_close(vm);
		return -1;
	}
	snprintf(id, sizeof(id), "%u", vm->id);
	if (vm->rec.host[0] && placed_mark_path(conf, vm->rec.host, vm->rec.type,
		id, mark, sizeof(mark)) == 0 && unlink(mark) == -1 && errno != ENOENT)
		warn("%s", mark);
	return vmm_vm_remove(vm);
}
