/* SPDX-License-Identifier: ISC */
/*
 * cage-filter-gen: the system calls a caged clone is refused, compiled by
 * libseccomp into classic BPF at build time and written as C for cage.c
 * to load (building the filter at run time cost 0.9 ms per clone, a fifth
 * of a netns clone's budget).
 *
 * A deny list, so that whatever
 * an attacker brings (a shell, a compiler's output, a static i386 bot) runs
 * as on a real machine, except what would reach past the cage or widen the
 * kernel's attack surface for no honeypot's sake.  Every entry is here, in
 * one table, to be audited; potemkin-clone(8) lists them.
 *
 * The filter covers the x86_64, i386 and x32 system call tables (an i386
 * binary's int 0x80 has other numbers).  A refused call fails with EPERM,
 * as it would for an unprivileged user; clone3, whose flags the filter
 * cannot read, fails with ENOSYS so that the C library falls back to
 * clone, whose flags it can.
 */
#include <err.h>
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/bpfgen.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const char *const cage_denied[] = {
	/* Kernel code and the kernel's own state. */
	"init_module", "finit_module", "delete_module", "kexec_load",
	"kexec_file_load", "bpf", "perf_event_open", "iopl", "ioperm",
	"syslog", "acct", "swapon", "swapoff", "reboot", "lookup_dcookie",
	"quotactl", "quotactl_fd", "uselib", "vhangup",
	/* Keys: the kernel's keyrings are not namespaced. */
	"keyctl", "add_key", "request_key",
	/* Other namespaces, and mounts of any kind. */
	"setns", "mount", "umount", "umount2", "pivot_root",
	"move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
	"mount_setattr",
	/* Files by handle: a way around the mount namespace. */
	"open_by_handle_at", "name_to_handle_at",
	/* Frequent sources of kernel exploits, needed by no honeypot service. */
	"userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
};

/* No new namespace of any kind, by unshare or clone. */
static const unsigned long cage_ns_flags[] = {
	CLONE_NEWUSER, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUTS,
	CLONE_NEWIPC, CLONE_NEWCGROUP, CLONE_NEWTIME,
};

static int
cage_rules(scmp_filter_ctx ctx)
{
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);

	for (size_t i = 0; i < sizeof(cage_denied) / sizeof(cage_denied[0]); i++)
		if (bpfgen_rule(ctx, eperm, cage_denied[i], 0, NULL) == -1)
			return -1;
	for (size_t i = 0; i < sizeof(cage_ns_flags) / sizeof(cage_ns_flags[0]);
	    i++) {
		struct scmp_arg_cmp a = SCMP_A0(SCMP_CMP_MASKED_EQ,
		    cage_ns_flags[i], cage_ns_flags[i]);

		if (bpfgen_rule(ctx, eperm, "unshare", 1, &a) == -1 ||
		    bpfgen_rule(ctx, eperm, "clone", 1, &a) == -1)
			return -1;
	}
	/* Typing into a terminal the clone does not own.  The kernel reads
	 * the request as 32 bits: compare those only, or TIOCSTI with high
	 * bits set would pass. */
	struct scmp_arg_cmp sti = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
	    TIOCSTI);

	if (bpfgen_rule(ctx, eperm, "ioctl", 1, &sti) == -1 ||
	    bpfgen_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL) == -1)
		return -1;
	return 0;
}

int
main(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int e;

	if (ctx == NULL)
		errx(1, "seccomp_init failed");
	if ((e = seccomp_arch_add(ctx, SCMP_ARCH_X86)) < 0 && e != -EEXIST)
		errx(1, "adding the i386 system call table: %s", strerror(-e));
	if ((e = seccomp_arch_add(ctx, SCMP_ARCH_X32)) < 0 && e != -EEXIST)
		errx(1, "adding the x32 system call table: %s", strerror(-e));
	if (cage_rules(ctx) == -1 || bpfgen_print(ctx, "cage_filter", "cage-filter-gen (clone-tools/cage-seccomp.c)") == -1)
		return 1;
	seccomp_release(ctx);
	return 0;
}
