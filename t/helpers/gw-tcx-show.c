/* SPDX-License-Identifier: ISC */
/*
 * gw-tcx-show IFNAME: the names of the programs attached at IFNAME's tcx
 * ingress in this network namespace, one a line (nothing: none).  Debian
 * 12's bpftool predates tcx; the tests ask the kernel directly.  Exit 1
 * when the kernel cannot say (no such interface, no tcx).
 */
#include <err.h>
#include <errno.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>

#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46	/* include/uapi/linux/bpf.h since 6.6 */
#endif

#define PROGS_MAX 64

int
main(int argc, char **argv)
{
	uint32_t ids[PROGS_MAX];
	union bpf_attr attr;
	unsigned ifindex;

	if (argc != 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		fprintf(argc == 2 ? stdout : stderr, "usage: gw-tcx-show IFNAME\n");
		return argc == 2 ? 0 : 2;
	}
	if ((ifindex = if_nametoindex(argv[1])) == 0)
		err(1, "%s", argv[1]);
	memset(&attr, 0, sizeof(attr));
	attr.query.target_fd = ifindex;	/* target_ifindex, where tcx is known */
	attr.query.attach_type = BPF_TCX_INGRESS;
	attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
	attr.query.prog_cnt = PROGS_MAX;
	if (syscall(SYS_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)) < 0)
		err(1, "querying %s's tcx ingress", argv[1]);
	for (uint32_t i = 0; i < attr.query.prog_cnt && i < PROGS_MAX; i++) {
		struct bpf_prog_info info;
		uint32_t len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		memset(&info, 0, sizeof(info));
		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
			err(1, "program %u", ids[i]);
		printf("%s\n", info.name);
		close(fd);
	}
	return 0;
}
