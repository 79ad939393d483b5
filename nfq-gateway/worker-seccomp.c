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
 * malloc, the CSPRNG, and the interface lookups of a new clone.
 */
#include <err.h>
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "lib/bpfgen.h"

static const char *const worker_allowed[] = {
	/* The descriptors it holds. */
	"read", "write", "writev", "pread64", "lseek", "close", "fcntl",
	"recvfrom", "recvmsg", "recvmmsg", "sendto", "sendmsg", "sendmmsg",
	"accept4", "setsockopt", "getsockopt", "getsockname", "shutdown",
	"epoll_wait", "epoll_pwait", "epoll_ctl", "poll", "ppoll",
	"timerfd_settime", "timerfd_gettime",
	/* A new clone's interface: its index and MAC, by ioctl on a socket. */
	"socket", "ioctl",
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
	if (bpfgen_print(ctx, "worker_filter", "worker-filter-gen (nfq-gateway/worker-seccomp.c)") == -1)
		return 1;
	seccomp_release(ctx);
	return 0;
}
