/* SPDX-License-Identifier: ISC */
/*
 * cage-probe: run inside a clone (statically linked, so that it runs on any
 * root file system), it tries what a captured honeypot's attacker would to
 * get out of its cage, one line per attempt:
 *
 *	NAME: denied (ERRNO)     the kernel refused it
 *	NAME: ALLOWED            it worked: a hole, unless the line is a control
 *	NAME: ok                 a control that must work
 *
 * The tests (t2021, t4011) read the lines; nothing here judges.  Arguments:
 * a host pid to ptrace and signal (one the clone cannot see), an outside
 * IPv4 address and TCP port to send a raw SYN to.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

static void
say(const char *name, long rc, const char *control)
{
	if (rc >= 0)
		printf("%s: %s\n", name, control ? "ok" : "ALLOWED");
	else
		printf("%s: denied (%s)\n", name, strerrorname_np(errno));
	fflush(stdout);
}

/* A raw TCP SYN to addr:port, from whatever address the clone has. */
static long
raw_syn(const char *addr, int port)
{
	struct {
		struct iphdr ip;
		struct tcphdr tcp;
	} p = {
		.ip = { .version = 4, .ihl = 5, .ttl = 64,
		    .protocol = IPPROTO_TCP, .tot_len = htons(sizeof(p)) },
		.tcp = { .source = htons(40000), .dest = htons((uint16_t)port),
		    .doff = 5, .syn = 1, .window = htons(1024) },
	};
	struct sockaddr_in to = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);

	if (s == -1)
		return -1;
	inet_pton(AF_INET, addr, &to.sin_addr);
	p.ip.daddr = to.sin_addr.s_addr;
	long rc = sendto(s, &p, sizeof(p), 0, (struct sockaddr *)&to, sizeof(to));
	close(s);
	return rc;
}

/* unshare(CLONE_NEWUSER) through the i386 system call table. */
static long
unshare_i386(void)
{
	long rc;

	__asm__ volatile ("int $0x80" : "=a"(rc) : "0"(310L), "b"(CLONE_NEWUSER)
	    : "memory");
	if (rc < 0) {
		errno = (int)-rc;
		return -1;
	}
	return rc;
}

int
main(int argc, char **argv)
{
	pid_t host = argc > 1 ? atoi(argv[1]) : 1;
	const char *outside = argc > 2 ? argv[2] : "203.0.113.50";
	int port = argc > 3 ? atoi(argv[3]) : 445;
	struct perf_event_attr pe = { .size = sizeof(pe), .type = PERF_TYPE_SOFTWARE };
	union bpf_attr ba = { .map_type = BPF_MAP_TYPE_ARRAY, .key_size = 4,
	    .value_size = 4, .max_entries = 1 };
	struct clone_args ca = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };
	char handle[128] = { 0 };
	struct timeval now;
	int fd = open("/proc/self/ns/net", O_RDONLY);

	say("getpid", getpid(), "control");
	say("raw socket in its own network", raw_syn(outside, port), "control");
	say("setns into its own network namespace", fd < 0 ? -1 :
	    syscall(SYS_setns, fd, CLONE_NEWNET), NULL);
	say("unshare user namespace", unshare(CLONE_NEWUSER), NULL);
	say("unshare network namespace", unshare(CLONE_NEWNET), NULL);
	say("unshare mount namespace", unshare(CLONE_NEWNS), NULL);
	say("unshare user namespace, i386 call", unshare_i386(), NULL);
	say("clone3 user namespace", syscall(SYS_clone3, &ca, sizeof(ca)), NULL);
	say("mount tmpfs", mount("none", "/mnt", "tmpfs", 0, NULL), NULL);
	say("umount /proc", umount2("/proc", MNT_DETACH), NULL);
	say("pivot_root", syscall(SYS_pivot_root, "/tmp", "/tmp"), NULL);
	say("init_module", syscall(SYS_init_module, "", 0, ""), NULL);
	say("finit_module", syscall(SYS_finit_module, 0, "", 0), NULL);
	say("kexec_load", syscall(SYS_kexec_load, 0, 0, NULL, 0), NULL);
	say("bpf", syscall(SYS_bpf, BPF_MAP_CREATE, &ba, sizeof(ba)), NULL);
	say("perf_event_open", syscall(SYS_perf_event_open, &pe, 0, -1, -1, 0),
	    NULL);
	say("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0),
	    NULL);
	say("add_key", syscall(SYS_add_key, "user", "probe", "x", 1, -3), NULL);
	say("userfaultfd", syscall(SYS_userfaultfd, 0), NULL);
	/* On stdin, the telnet session's terminal: the kernel reads the
	 * request as 32 bits, so high bits must not get TIOCSTI past. */
	say("ioctl TIOCSTI", syscall(SYS_ioctl, 0, TIOCSTI, "x"), NULL);
	say("ioctl TIOCSTI, high bits set", syscall(SYS_ioctl, 0,
	    (1UL << 32) | TIOCSTI, "x"), NULL);
	say("io_uring_setup", syscall(SYS_io_uring_setup, 1, handle), NULL);
	say("open_by_handle_at", syscall(SYS_open_by_handle_at, AT_FDCWD,
	    handle, O_RDONLY), NULL);
	say("ptrace a host process", ptrace(PTRACE_ATTACH, host, 0, 0), NULL);
	say("signal a host process", kill(host, 0), NULL);
	say("swapon", syscall(SYS_swapon, "/tmp/x", 0), NULL);
	/* Harmless if they ever got through: ctrl-alt-del off, the time as
	 * it is. */
	say("reboot", syscall(SYS_reboot, 0xfee1dead, 672274793, 0, NULL), NULL);
	gettimeofday(&now, NULL);
	say("settimeofday", settimeofday(&now, NULL), NULL);
	return 0;
}
