/* SPDX-License-Identifier: ISC */
/*
 * worker-filter-gen: the system calls the gateway's worker may make, as an
 * allow list compiled by libseccomp into classic BPF at build time and
 * written as C for privsep.c to load once the worker has dropped root.
 * Anything else, and every call of another architecture's table, fails
 * with EPERM: a worker an attacker took over through a parsing bug can
 * still only read and write the descriptors it holds.  (Not killed: a
 * syslog socket that must reconnect loses a message, not the gateway.  The
 * test suite ran under a killing filter to find every call the worker
 * makes.)
 *
 * The list is what the event loop does: queues, AF_PACKET and raw sends,
 * the DNS sockets, the control socket, the timer and signals, memory for
 * malloc, the CSPRNG, the interface lookups of a new clone (one kind of
 * socket, two ioctls), and the fast path's map and links (five bpf
 * commands).  The clones' captures need nothing more: libpcap writes
 * through stdio on descriptors the parent opened (fcntl and fstat when a
 * stream is made, write, close); the worker never opens a file.  What it
 * cannot stop: the worker's own netlink socket to NFQUEUE, with
 * CAP_NET_ADMIN, also reaches nfnetlink's other subsystems.
 */
#include <err.h>
#include <errno.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>

#include "lib/bpfgen.h"

static const char *const worker_allowed[] = {
	/* The descriptors it holds. */
	"read", "write", "writev", "pread64", "lseek", "close", "fcntl",
	"recvfrom", "recvmsg", "recvmmsg", "sendto", "sendmsg", "sendmmsg",
	"accept4", "getsockopt", "getsockname", "shutdown",
	"epoll_wait", "epoll_pwait", "epoll_ctl", "poll", "ppoll",
	"timerfd_settime", "timerfd_gettime",
	/* Memory, time, randomness, signals, the end. */
	"brk", "mmap", "munmap", "mremap", "madvise", "mprotect",
	"clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday", "getrandom",
	"rt_sigreturn", "rt_sigprocmask", "rt_sigaction", "restart_syscall",
	"getpid", "gettid", "getppid", "futex", "sched_yield",
	"fstat", "newfstatat", "exit", "exit_group",
};

int
main(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));

	if (ctx == NULL)
		errx(1, "seccomp_init failed");
	/* A binary tree of the allowed calls: checked on every call the worker makes. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
		errx(1, "libseccomp cannot build a binary tree");
	for (size_t i = 0; i < sizeof(worker_allowed) / sizeof(worker_allowed[0]); i++)
		if (bpfgen_rule(ctx, SCMP_ACT_ALLOW, worker_allowed[i], 0, NULL) == -1)
			return 1;
	/*
	 * A new clone's interface, its index and MAC: one UDP socket and two
	 * read-only ioctls.  No other socket (no netlink to reconfigure the
	 * host with), no other ioctl (the request compared on its 32 bits).
	 */
	{
		struct scmp_arg_cmp sock[2] = {
			SCMP_A0(SCMP_CMP_EQ, AF_INET),
			SCMP_A1(SCMP_CMP_EQ, SOCK_DGRAM | SOCK_CLOEXEC),
		};
		struct scmp_arg_cmp idx = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, SIOCGIFINDEX);
		struct scmp_arg_cmp hw = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, SIOCGIFHWADDR);

		if (bpfgen_rule(ctx, SCMP_ACT_ALLOW, "socket", 2, sock) == -1 ||
		    bpfgen_rule(ctx, SCMP_ACT_ALLOW, "ioctl", 1, &idx) == -1 ||
		    bpfgen_rule(ctx, SCMP_ACT_ALLOW, "ioctl", 1, &hw) == -1)
			return 1;
	}
	/*
	 * Socket options at the socket level only (buffer sizes, a control
	 * client's send timeout): every other option is set before the filter.
	 * At the IP and IPv6 levels the kernel takes whole legacy iptables,
	 * ebtables and IPVS tables from a process with CAP_NET_ADMIN; the
	 * packet level holds ring code with a history of kernel exploits; the
	 * netlink level would subscribe the worker to conntrack and nftables
	 * events.
	 */
	{
		struct scmp_arg_cmp lvl = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu,
		    (scmp_datum_t)SOL_SOCKET);

		if (bpfgen_rule(ctx, SCMP_ACT_ALLOW, "setsockopt", 1, &lvl) == -1)
			return 1;
	}
	/*
	 * The kernel fast path (fastpath.c): its flow map read, written and
	 * walked through the descriptor the parent made, and a tcx link made
	 * for each new clone.  No program loaded, no map made, no descriptor
	 * got by id or by path: the cmd is compared on its 32 bits.
	 */
	{
		static const int cmds[] = {
			BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM,
			BPF_MAP_LOOKUP_BATCH, BPF_LINK_CREATE,
		};

		for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
			struct scmp_arg_cmp cmd = SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu,
			    (scmp_datum_t)cmds[i]);

			if (bpfgen_rule(ctx, SCMP_ACT_ALLOW, "bpf", 1, &cmd) == -1)
				return 1;
		}
	}
	if (bpfgen_print(ctx, "worker_filter", "worker-filter-gen (nfq-gateway/worker-seccomp.c)") == -1)
		return 1;
	seccomp_release(ctx);
	return 0;
}
