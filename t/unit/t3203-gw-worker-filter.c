/* SPDX-License-Identifier: ISC */
/*
 * The worker's system call filter, loaded in a child just as the worker
 * loads it: what the worker does once confined still works, and what a
 * taken-over worker would reconfigure the host with fails with EPERM:
 * legacy iptables through setsockopt at the IP level, new sockets of any
 * other kind (netlink, raw, packet), files, programs, BPF, interface ioctls.
 * Each refused call is also made unconfined, where the kernel must not
 * refuse it with EPERM itself: the refusal is the filter's.  Calls on
 * descriptor -1 show what the filter allows without changing anything:
 * allowed, they fail with EBADF.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nfq-gateway/privsep.h"
#include "t/lib/tap.h"

/*
 * Run probe in a child, confined or not: 0 if it worked, else the errno it
 * met (255: the filter could not be loaded).
 */
static int
in_child(int (*probe)(void), bool confine)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		bail_out("fork");
	if (pid == 0) {
		if (confine && ps_confine_worker() < 0)
			_exit(255);
		errno = 0;
		_exit(probe() < 0 ? (errno ? errno : 254) : 0);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		bail_out("the probe's child died");
	return WEXITSTATUS(status);
}

static int
udp(void)
{
	return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static int
probe_udp(void)
{
	return udp();
}

static int
probe_sol_socket(void)
{
	int v = 1 << 16, fd = udp();

	return fd < 0 ? -1 : setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

static int
probe_ifindex(void)
{
	struct ifreq ifr = { 0 };
	int fd = udp();

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	return fd < 0 ? -1 : ioctl(fd, SIOCGIFINDEX, &ifr);
}

static int
probe_sndtimeo(void)
{
	struct timeval tv = { 1, 0 };
	int fd = udp();

	/* What the control socket sets on each client it accepts. */
	return fd < 0 ? -1 : setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static int
setsockopt_at(int level)
{
	int v = 1;

	return setsockopt(-1, level, 1, &v, sizeof(v));
}

static int
probe_sol_ip(void)
{
	/* IPT_SO_SET_REPLACE, ebtables and IPVS all live at this level. */
	return setsockopt_at(IPPROTO_IP);
}

static int
probe_sol_ipv6(void)
{
	return setsockopt_at(IPPROTO_IPV6);
}

static int
probe_sol_packet(void)
{
	return setsockopt_at(SOL_PACKET);
}

static int
probe_sol_netlink(void)
{
	return setsockopt_at(SOL_NETLINK);
}

static int
probe_rtnetlink(void)
{
	return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
}

static int
probe_nfnetlink(void)
{
	return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
}

static int
probe_raw(void)
{
	return socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
}

static int
probe_packet(void)
{
	return socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
}

static int
probe_open(void)
{
	return open("/dev/null", O_RDONLY);
}

static int
probe_exec(void)
{
	char *const argv[] = { "true", NULL };

	return execve("/bin/true", argv, argv + 1);
}

static int
probe_bpf(void)
{
	return (int)syscall(SYS_bpf, -1, NULL, 0);	/* EINVAL when allowed */
}

/* bpf(2) command cmd with an all-zero attribute: EINVAL, EBADF... when allowed. */
static int
bpf_cmd(int cmd)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	return (int)syscall(SYS_bpf, cmd, &attr, sizeof(attr));
}

static int probe_bpf_prog_load(void) { return bpf_cmd(BPF_PROG_LOAD); }
static int probe_bpf_map_create(void) { return bpf_cmd(BPF_MAP_CREATE); }
static int probe_bpf_by_id(void) { return bpf_cmd(BPF_MAP_GET_FD_BY_ID); }
static int probe_bpf_obj_get(void) { return bpf_cmd(BPF_OBJ_GET); }

/* The fast path's own commands reach the kernel: anything but EPERM. */
static int
probe_bpf_fastpath(void)
{
	static const int cmds[] = {
		BPF_MAP_LOOKUP_ELEM, BPF_MAP_UPDATE_ELEM, BPF_MAP_DELETE_ELEM,
		BPF_MAP_LOOKUP_BATCH, BPF_LINK_CREATE,
	};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (bpf_cmd(cmds[i]) < 0 && errno == EPERM)
			return -1;
	return 0;
}

static int
probe_setflags(void)
{
	struct ifreq ifr = { 0 };

	return ioctl(-1, SIOCSIFFLAGS, &ifr);
}

int
main(void)
{
	static const struct {
		int (*probe)(void);
		int want;
		const char *what;
	} probes[] = {
		{ probe_udp, 0, "a UDP socket, for a new clone's interface" },
		{ probe_sol_socket, 0, "socket-level options" },
		{ probe_sndtimeo, 0, "a send timeout" },
		{ probe_ifindex, 0, "an interface's index" },
		{ probe_sol_ip, EPERM, "no IP-level options: legacy iptables is out of reach" },
		{ probe_sol_ipv6, EPERM, "no IPv6-level options: nor ip6tables" },
		{ probe_sol_packet, EPERM, "no packet-level options: no rings, no fanout" },
		{ probe_sol_netlink, EPERM, "no netlink-level options: no event groups" },
		{ probe_rtnetlink, EPERM, "no routing netlink socket" },
		{ probe_nfnetlink, EPERM, "no new netfilter netlink socket" },
		{ probe_raw, EPERM, "no raw socket" },
		{ probe_packet, EPERM, "no packet socket" },
		{ probe_open, EPERM, "no file opened" },
		{ probe_exec, EPERM, "no program run" },
		{ probe_bpf, EPERM, "no BPF" },
		{ probe_bpf_prog_load, EPERM, "no BPF program loaded" },
		{ probe_bpf_map_create, EPERM, "no BPF map made" },
		{ probe_bpf_by_id, EPERM, "no BPF object by id" },
		{ probe_bpf_obj_get, EPERM, "no BPF object by path" },
		{ probe_bpf_fastpath, 0, "the fast path's map and link commands" },
		{ probe_setflags, EPERM, "no interface changed" },
	};

#if defined(__SANITIZE_ADDRESS__)
	/* privsep.c says why: ASan's exit needs what the list refuses. */
	is(in_child(probe_open, true), 0, "sanitized build: the worker runs unfiltered");
	return done_testing();
#endif
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		int plain = probes[i].want ? in_child(probes[i].probe, false) : 0;

		if (plain == EPERM) {
			skip(1, "%s: refused without the filter too (not root?)", probes[i].what);
			continue;
		}
		is(in_child(probes[i].probe, true), probes[i].want, "%s", probes[i].what);
	}
	return done_testing();
}
