/* SPDX-License-Identifier: ISC */
/*
 * Loading the fast path's object (fastpath.bpf.c, compiled by clang and
 * built into the gateway as fp_bpf_obj) with libbpf, and its tcx links with
 * the raw bpf(2) call: Debian 12's libbpf 1.1 and uapi headers predate tcx
 * (Linux 6.6), whose attach type is defined here.
 */
#include "fastpath-load.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "lib/log.h"

/* include/uapi/linux/bpf.h since 6.6: after BPF_NETFILTER (45). */
#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46
#endif

extern const unsigned char fp_bpf_obj[];
extern const size_t fp_bpf_obj_len;

/* libbpf's last warning, for the one line that says why the fast path is off. */
static char fpk_libbpf_said[256];

static int
fpk_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[sizeof(fpk_libbpf_said)];
	size_t n;

	if (level == LIBBPF_DEBUG)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0)
		memcpy(fpk_libbpf_said, line, n + 1);
	log_debug("libbpf: %s", line);
	return 0;
}

static int
fpk_dup(int fd)
{
	return fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 3);
}

int
fpk_load(uint32_t max_flows, struct fpk *k, char *why, size_t whylen)
{
	struct bpf_object *obj;
	struct bpf_program *in, *out;
	struct bpf_map *map, *alive;
	int err;

	*k = FPK_NONE;
	fpk_libbpf_said[0] = '\0';
	libbpf_set_print(fpk_print);
	obj = bpf_object__open_mem(fp_bpf_obj, fp_bpf_obj_len, NULL);
	if (obj == NULL) {
		snprintf(why, whylen, "opening its object: %s", strerror(errno));
		return -1;
	}
	in = bpf_object__find_program_by_name(obj, "fp_inbound");
	out = bpf_object__find_program_by_name(obj, "fp_outbound");
	map = bpf_object__find_map_by_name(obj, "fp_flows");
	alive = bpf_object__find_map_by_name(obj, "fp_alive");
	if (in == NULL || out == NULL || map == NULL || alive == NULL) {
		snprintf(why, whylen, "its object lacks a program or a map");
		goto fail;
	}
	if ((err = bpf_map__set_max_entries(map, max_flows)) < 0 ||
	    (err = bpf_object__load(obj)) < 0) {
		snprintf(why, whylen, "the kernel refused its programs: %s%s%s", strerror(-err),
		    *fpk_libbpf_said ? ": " : "", fpk_libbpf_said);
		goto fail;
	}
	/* Our own copies: the object and everything it holds go now. */
	k->prog_in = fpk_dup(bpf_program__fd(in));
	k->prog_out = fpk_dup(bpf_program__fd(out));
	k->map = fpk_dup(bpf_map__fd(map));
	k->alive = fpk_dup(bpf_map__fd(alive));
	if (k->prog_in < 0 || k->prog_out < 0 || k->map < 0 || k->alive < 0) {
		snprintf(why, whylen, "its descriptors: %s", strerror(errno));
		fpk_close(k);
		goto fail;
	}
	bpf_object__close(obj);
	return 0;
fail:
	bpf_object__close(obj);
	return -1;
}

void
fpk_close(struct fpk *k)
{
	if (k->prog_in >= 0)
		close(k->prog_in);
	if (k->prog_out >= 0)
		close(k->prog_out);
	if (k->map >= 0)
		close(k->map);
	if (k->alive >= 0)
		close(k->alive);
	*k = FPK_NONE;
}

int
fpk_attach(int prog_fd, int ifindex)
{
	return fpk_attach_as(prog_fd, ifindex, BPF_TCX_INGRESS);
}

int
fpk_attach_as(int prog_fd, int ifindex, unsigned attach_type)
{
	union bpf_attr attr;

	/* Zero past the fields we set: the kernel refuses unknown bytes that are not. */
	memset(&attr, 0, sizeof(attr));
	attr.link_create.prog_fd = (uint32_t)prog_fd;
	attr.link_create.target_ifindex = (uint32_t)ifindex;
	attr.link_create.attach_type = attach_type;
	return (int)syscall(SYS_bpf, BPF_LINK_CREATE, &attr, sizeof(attr));
}
