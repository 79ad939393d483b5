#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# What a honeypot clone costs when a container runtime builds its sandbox,
# against the bare network + service with no sandbox at all.  As root, from
# the top of the tree:
#
#	bench/sandbox-runtimes.sh [-v] [-n N] [none] [crun] [runc] [bwrap] [nspawn]
#
# (no method named: all five).  For each method N clones (default 30) are
# made one after the other and kept alive; then, all idle, the private memory
# of each is read; then each is torn down.  One table row per method:
#
#   prep ms       per-clone set-up done by this script before the runtime
#                 starts (netns + veth + addresses, overlay mount, sysfs,
#                 cgroup, config.json): the same work whatever the method
#   SYN p50/p90/min  ms from starting the runtime's command to the first TCP
#                 handshake on port 80 completed from this namespace through
#                 pkN (a connect() retried every 0.5 ms; a refused one
#                 returns at once, so the resolution is ~0.5 ms)
#   priv kB       Private_Clean + Private_Dirty + Private_Hugetlb of
#                 /proc/PID/smaps_rollup summed over every process of the
#                 clone (its cgroup, the process tree under the command
#                 started, and any runtime process left resident), p50.
#                 With N clones alive, pages of a binary or library all of
#                 them map are shared, so not counted: with -n 1 the busybox
#                 and nspawn text count as private (~1.5 MB, ~7 MB)
#   pss kB        the same processes' Pss (shared pages divided among the
#                 processes mapping them, host processes included), p50
#   down p50      ms to kill everything of one clone and remove its cgroup,
#                 mounts, files and netns (the kernel frees the netns and
#                 with it both ends of the veth afterwards, asynchronously:
#                 "ip link del" would wait 15-25 ms for that here)
#   processes     the processes counted for clone 1
#
# -v adds, for clone 1 of each method, what it got: uid map, namespaces,
# hostname, who is pid 1, NoNewPrivs/seccomp/capabilities of the service,
# its cgroup limits, mounts, /sys/class/net, /dev, and what a CGI script
# run by its httpd (same uid, capabilities and filter) can do.
#
# One clone is, as far as each runtime allows, the same thing:
#   user namespace 0..65535 -> 1000000..1065535 (none: no user namespace);
#   new mount, PID, UTS ("web"), IPC, cgroup and network namespaces;
#   root: a shared read-only busybox tree under an overlay whose upper/work
#     are on tmpfs (the overlay is mounted by this script, as podman does for
#     crun/runc: none of the Debian 12 runtimes mounts an overlay root itself
#     except nspawn's --volatile=overlay/--overlay, not used so that all
#     sandboxes get the same root);
#   own /proc, minimal /dev, a sysfs of the clone's netns: crun, runc and
#     bwrap get one mounted by this script from inside /run/netns/pkN and
#     bind it read-only (the clone cannot mount sysfs itself: that needs
#     CAP_SYS_ADMIN over the netns's owner, see below; bwrap has no sysfs
#     option at all); nspawn mounts its own;
#   cgroup (v1 here) memory 64 MB, pids 128, CPU 0.5 (50000/100000 us):
#     crun and runc make it from config.json; bwrap and nspawn cannot (nspawn
#     only through systemd), so the command joins one made by this script;
#   no_new_privs, a bounding set of Docker's 14 default capabilities, a
#     seccomp deny list (DENY below, the same for crun, runc and bwrap;
#     nspawn keeps its own built-in allow list);
#   network: veth pkN here (10.0.2.2/32, a route to the clone) and eth0 in
#     the clone (198.51.100.N/24, default via 10.0.2.2).  For none, crun,
#     runc and bwrap the netns /run/netns/pkN is made by this script first
#     (ip netns add + veth) and joined by the runtime.  That netns belongs
#     to the initial user namespace, so root in the clone has no
#     CAP_NET_BIND_SERVICE, CAP_NET_ADMIN or CAP_NET_RAW there: port 80
#     needs net.ipv4.ip_unprivileged_port_start=0, set in each netns here.
#     nspawn cannot join it (see there) and makes its own, owned by the
#     clone's user namespace;
#   service: busybox httpd -f -p 80 -h /srv/www, as uid 0 of the clone.
#
# Everything runs in a mount and network namespace of its own (the host's
# network is never touched; addresses 10.0.2.2 and 198.51.100.0/24 only),
# on a tmpfs of its own; cgroups are made under rt-bench-PID in each
# hierarchy and removed, also on failure or Ctrl-C.  Needs: crun, runc,
# bubblewrap, systemd-container, busybox-static, iproute2, cc.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
n=30 verbose=
while getopts n:v o; do
	case $o in
	n) n=$OPTARG ;;
	v) verbose=-v ;;
	*) echo "usage: $0 [-v] [-n N] [none crun runc bwrap nspawn]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- none crun runc bwrap nspawn
[ "$n" -ge 1 ] && [ "$n" -le 250 ] || { echo "sandbox-runtimes: -n 1..250" >&2; exit 2; }

if [ -z "${RT_BENCH_ISOLATED:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "sandbox-runtimes: needs root" >&2; exit 1; }
	RT_BENCH_ISOLATED=1 exec unshare --mount --net --propagation private \
		-- bash "$top/bench/sandbox-runtimes.sh" $verbose -n "$n" "$@"
fi

# ---- the private namespace ---------------------------------------------------
for m in "$@"; do	# what is missing
	case $m in
	none) ;;
	crun | runc | bwrap) command -v "$m" >/dev/null || missing+=" $m" ;;
	nspawn) command -v systemd-nspawn >/dev/null || missing+=" systemd-nspawn" ;;
	*) echo "sandbox-runtimes: unknown method $m" >&2; exit 2 ;;
	esac
done
for t in cc ip nsenter busybox; do command -v "$t" >/dev/null || missing+=" $t"; done
[ -z "${missing:-}" ] || { echo "sandbox-runtimes: not installed:$missing" >&2; exit 1; }

cg=rt-bench-$$				# parent group in every hierarchy
ctrls="memory pids cpu freezer"		# the ones this script writes
# and systemd's named hierarchy: nspawn --keep-unit makes "supervisor" and
# "payload" below the group it finds itself in there (at the root if left)
[ ! -d /sys/fs/cgroup/systemd ] || ctrls+=" systemd"
declare -A bgpid=()			# clone -> pid of the command started
covered_v2=

cleanup() {
	set +e
	trap - EXIT INT TERM
	exec 3>&2 2>/dev/null	# no "Killed" job notices
	local i d p
	[ -z "$covered_v2" ] || umount /sys/fs/cgroup/unified
	[ -n "${work:-}" ] || return 0
	for i in "${!bgpid[@]}"; do kill -KILL "${bgpid[$i]}" 2>/dev/null; done
	for r in crun runc; do
		[ -d "$work/$r" ] || continue
		for d in "$work/$r"/*/; do
			[ -d "$d" ] && $r --root "$work/$r" delete -f "$(basename "$d")" >/dev/null 2>&1
		done
	done
	# whatever is left in our cgroups
	for d in /sys/fs/cgroup/*/"$cg"; do
		[ -d "$d" ] || continue
		for p in $(cat $(find "$d" -name cgroup.procs) 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	done
	wait 2>/dev/null
	sleep 0.2
	for d in /sys/fs/cgroup/*/"$cg"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	for d in /sys/fs/cgroup/*/"$cg"; do
		[ -d "$d" ] && echo "sandbox-runtimes: could not remove cgroup $d" >&3
	done
	for i in $(ip -o link show 2>/dev/null | sed -n 's/^[0-9]*: \(pk[0-9]*\)@.*/\1/p'); do
		ip link del "$i" 2>/dev/null
	done
	for i in $(ip netns list 2>/dev/null | cut -d' ' -f1); do ip netns del "$i" 2>/dev/null; done
	# mounts go with this mount namespace; the directory under /dev/shm not
	umount -R "$work" 2>/dev/null || umount -l "$work" 2>/dev/null
	rmdir "$work" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A /run of its own: ip netns, nspawn (/run/systemd/nspawn) and libmount
# leave files there, and here /run is the host's disk.
mount -t tmpfs -o mode=755 rt-bench-run /run
mkdir /run/netns /run/lock
work=$(mktemp -d /dev/shm/rt-bench.XXXXXX)
mount -t tmpfs -o mode=755 rt-bench "$work"
log=$work/log
: >"$log"
# The OCI runtimes' detached stdio: runc and crun hand the stdio of `run -d`
# to the container's root (chown), so it must be a file of ours, never the
# host's /dev/null.
: >"$work/stdin"
# A sysfs of this netns on /sys (runtimes read /sys/class/net), with the
# cgroup hierarchies moved back on top of it.  Read-only: systemd-nspawn
# then takes it that no udev runs (otherwise it waits for udev to have
# "initialized" the interface it is to move in).
mkdir "$work/cg"
mount --rbind /sys/fs/cgroup "$work/cg"
mount -t sysfs -o ro sysfs /sys
mount --move "$work/cg" /sys/fs/cgroup
# crun 1.8.1 refuses the hybrid layout when the v2 mount has any controller
# ("cgroups in hybrid mode not supported, drop all controllers from
# cgroupv2"): hugetlb, bound to no v1 hierarchy here, is on it.  Cover
# that mount in this namespace only, so every runtime sees plain cgroup v1,
# with a tmpfs of ours: crun then makes directories and a plain file
# "cgroup.procs" there (it would in the host's /sys/fs/cgroup tmpfs under
# the hidden mount point if the mount were only taken away).
if [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]; then
	mount -t tmpfs -o mode=755 rt-bench-no-v2 /sys/fs/cgroup/unified
	covered_v2=1
fi
ip link set lo up

# ---- tools ------------------------------------------------------------------
# Capabilities kept (Docker's default set) and the seccomp deny list.
CAPS="CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE"
DENY="acct add_key bpf clock_adjtime clock_settime delete_module finit_module fsconfig fsmount fsopen fspick init_module ioperm iopl kcmp kexec_file_load kexec_load keyctl lookup_dcookie mount mount_setattr move_mount name_to_handle_at open_by_handle_at open_tree perf_event_open pivot_root process_vm_readv process_vm_writev ptrace quotactl reboot request_key setns settimeofday swapoff swapon syslog umount2 unshare uselib userfaultfd ustat vhangup"
# clone() with any of these flags is refused (CLONE_NEWNS, NEWCGROUP, NEWUTS,
# NEWIPC, NEWUSER, NEWPID, NEWNET); clone3 answers ENOSYS so libc uses clone.
NSFLAGS="131072 33554432 67108864 134217728 268435456 536870912 1073741824"

case $(uname -m) in
x86_64) scmp_arch=SCMP_ARCH_X86_64 ;;
aarch64) scmp_arch=SCMP_ARCH_AARCH64 ;;
*) echo "sandbox-runtimes: no seccomp arch for $(uname -m)" >&2; exit 1 ;;
esac

# rtb-helper: the handshake timer, and the same deny list as classic BPF
# for bwrap --seccomp (bwrap has no filter of its own).
{
	cat <<'EOF'
#include <arpa/inet.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);	/* bash's $EPOCHREALTIME */
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/*
 * Retry a handshake with ip:port until one completes: print when.  A
 * refused one (not listening yet) returns at once; one not answered in
 * 20 ms is retried (on a veth the answer takes microseconds).
 */
static int syn(const char *ip, int port, int timeout_ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	long long deadline = now_us() + timeout_ms * 1000LL;

	if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1)
		return 2;
	while (now_us() < deadline) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), e = 0;
		socklen_t el = sizeof e;
		struct pollfd p = { .fd = s, .events = POLLOUT };
		int ok = connect(s, (struct sockaddr *)&sin, sizeof sin) == 0 ||
		    (errno == EINPROGRESS && poll(&p, 1, 20) == 1 &&
		    getsockopt(s, SOL_SOCKET, SO_ERROR, &e, &el) == 0 && e == 0);
		close(s);
		if (ok) {
			printf("%lld\n", now_us());
			return 0;
		}
		usleep(500);
	}
	return 1;
}

#if defined(__x86_64__)
#define ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ARCH AUDIT_ARCH_AARCH64
#endif
#define DENY_NR(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM)
static struct sock_filter prog[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH, 1, 0),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#if defined(__x86_64__)			/* x32: killed, as libseccomp does */
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
#endif
#include "deny.h"
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone3, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
	BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, NSFLAGS, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "syn") == 0)
		return syn(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 2 && strcmp(argv[1], "bpf") == 0)
		return fwrite(prog, sizeof prog, 1, stdout) == 1 ? 0 : 1;
	fprintf(stderr, "usage: rtb-helper syn IP PORT TIMEOUT_MS | bpf\n");
	return 2;
}
EOF
} >"$work/rtb-helper.c"
mask=0
for f in $NSFLAGS; do mask=$((mask | f)); done
for s in $DENY; do printf '#ifdef SYS_%s\nDENY_NR(SYS_%s),\n#endif\n' "$s" "$s"; done >"$work/deny.h"
cc -O2 -DNSFLAGS=$mask -I"$work" -o "$work/rtb-helper" "$work/rtb-helper.c"
helper=$work/rtb-helper
"$helper" bpf >"$work/seccomp.bpf"

# The shared root: static busybox, owned by the clone's root (1000000) so
# that root in the clone owns / and can write through the overlay.
rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,srv/www,root}
cp /bin/busybox "$rootfs/bin/busybox"
chroot "$rootfs" /bin/busybox --install -s ||
	{ echo "sandbox-runtimes: /bin/busybox must be static (busybox-static)" >&2; exit 1; }
echo "root:x:0:0:root:/root:/bin/sh" >"$rootfs/etc/passwd"
echo "root:x:0:" >"$rootfs/etc/group"
printf 'ID=busybox\nNAME=busybox\n' >"$rootfs/etc/os-release"	# nspawn wants one
echo "hello from the clone" >"$rootfs/srv/www/index.html"
# for -v: what the service itself may do (a CGI child of httpd inherits its
# uid, capabilities, no_new_privs and seccomp filter)
mkdir "$rootfs/srv/www/cgi-bin"
cat >"$rootfs/srv/www/cgi-bin/probe" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\n'
try() { if "$@" >/dev/null 2>&1; then echo -n "$1:yes "; else echo -n "$1:no "; fi; }
echo -n "uid=$(id -u) host=$(hostname) "
try unshare -U true
try mount -t tmpfs none /mnt
try ip addr add 198.51.100.254/32 dev eth0
try ping -c 1 -W 1 10.0.2.2
w() { if echo x 2>/dev/null >"$1"; then echo -n "write-$1:yes "; else echo -n "write-$1:no "; fi; }
w /probe; w /tmp/probe; w /sys/probe; w /proc/sys/net/ipv4/ip_forward
echo
EOF
chmod 755 "$rootfs/srv/www/cgi-bin/probe"
chmod 1777 "$rootfs/tmp"
chown -R 1000000:1000000 "$rootfs"

for c in $ctrls; do mkdir "/sys/fs/cgroup/$c/$cg"; done

# ---- per clone: the common set-up -------------------------------------------
# netns pkN with eth0 198.51.100.N/24, default route via 10.0.2.2; pkN here
# with 10.0.2.2/32 and a route to the clone; a permanent ARP entry so the
# first SYN does not wait for ARP.
host_link() {	# N PEER-PLACEMENT: the veth and this end of it
	local i=$1 mac
	mac=$(printf '02:00:c6:33:64:%02x' "$i")
	ip -b - <<EOF
$3
link add pk$i type veth peer name $2 address $mac
addr add 10.0.2.2/32 dev pk$i
link set pk$i up
route add 198.51.100.$i/32 dev pk$i src 10.0.2.2
neigh replace 198.51.100.$i lladdr $mac dev pk$i nud permanent
EOF
}
clone_net() {	# N IFNAME: the commands for ip -b inside the clone
	cat <<EOF
link set lo up
link set $2 name eth0
addr add 198.51.100.$1/24 dev eth0
link set eth0 up
route add 10.0.2.2/32 dev eth0
route add default via 10.0.2.2 dev eth0
EOF
}
net_up() {	# N: the netns made here, /run/netns/pkN
	host_link "$1" "eth0 netns pk$1" "netns add pk$1"
	clone_net "$1" eth0 | ip -n "pk$1" -b -
	# root of the clone's userns has no CAP_NET_BIND_SERVICE in this netns
	nsenter --net="/run/netns/pk$1" sh -c 'echo 0 >/proc/sys/net/ipv4/ip_unprivileged_port_start'
}

root_up() {	# N: the overlay root
	local d=$work/c$1
	mkdir -p "$d"/{upper,work,root,sys}
	chown 1000000:1000000 "$d/upper"
	mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$d/upper,workdir=$d/work" "$d/root"
}

sys_up() {	# N: a sysfs showing the clone's netns, for a read-only bind
	nsenter --net="/run/netns/pk$1" mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$work/c$1/sys"
}

cg_up() {	# N: cgroup rt-bench-PID/cN with the limits
	local c d
	for c in $ctrls; do mkdir "/sys/fs/cgroup/$c/$cg/c$1"; done
	d=/sys/fs/cgroup
	echo 67108864 >"$d/memory/$cg/c$1/memory.limit_in_bytes"
	echo 128 >"$d/pids/$cg/c$1/pids.max"
	echo 100000 >"$d/cpu/$cg/c$1/cpu.cfs_period_us"
	echo 50000 >"$d/cpu/$cg/c$1/cpu.cfs_quota_us"
}

cg_join() {	# N: move the calling (sub)shell into the clone's cgroup
	local c
	for c in $ctrls; do echo "$BASHPID" >"/sys/fs/cgroup/$c/$cg/c$1/cgroup.procs"; done
}

cg_kill() {	# N: SIGKILL everything in the clone's cgroup, until empty
	local f=/sys/fs/cgroup/pids/$cg/c$1/cgroup.procs p left k
	for k in $(seq 1 2000); do
		left=
		for p in $(cat "$f"); do left=1; kill -KILL "$p" 2>/dev/null || :; done
		[ -n "$left" ] || return 0
		sleep 0.001
	done
	echo "sandbox-runtimes: clone $1: processes survive SIGKILL" >&2
}

cg_down() {	# N
	local c
	for c in $ctrls; do find "/sys/fs/cgroup/$c/$cg/c$1" -depth -type d -exec rmdir {} +; done
}

common_down() {	# N: mounts, netns (and with it both ends of the veth), files
	local d=$work/c$1
	! mountpoint -q "$d/sys" || umount "$d/sys"
	umount "$d/root"
	rm -rf "$d"
	[ ! -e "/run/netns/pk$1" ] || ip netns del "pk$1"
}

# ---- the methods --------------------------------------------------------------
# Each has prep_M N (the untimed set-up), start_M N (run in the background:
# the timed command), after_M N (timed too, in the foreground, while it
# starts), resident_M N (pids of the clone), stop_M N (timed teardown).

# none: ip netns exec-like, no sandbox.
prep_none() { net_up "$1"; }
after_none() { :; }
start_none() { exec nsenter --net="/run/netns/pk$1" /bin/busybox httpd -f -p 80 -h "$rootfs/srv/www"; }
resident_none() { tree "${bgpid[$1]}"; }
stop_none() {
	kill -KILL "${bgpid[$1]}"
	wait "${bgpid[$1]}" 2>/dev/null || :
	common_down_net "$1"
}
common_down_net() { ip netns del "pk$1"; }

# crun and runc: an OCI bundle; cgroups made by the runtime.
oci_caps=$(for c in $CAPS; do printf '"CAP_%s",' "$c"; done)
oci_caps=[${oci_caps%,}]
oci_deny=$(for s in $DENY; do printf '"%s",' "$s"; done)
oci_clone=$(for f in $NSFLAGS; do
	printf '{"names":["clone"],"action":"SCMP_ACT_ERRNO","errnoRet":1,"args":[{"index":0,"value":%s,"valueTwo":%s,"op":"SCMP_CMP_MASKED_EQ"}]},' "$f" "$f"
done)
oci_template='{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": [ "/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/srv/www" ],
    "env": [ "PATH=/usr/sbin:/usr/bin:/sbin:/bin" ],
    "cwd": "/",
    "capabilities": { "bounding": @CAPS@, "effective": @CAPS@, "permitted": @CAPS@ },
    "rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
    "noNewPrivileges": true
  },
  "root": { "path": "@ROOT@", "readonly": false },
  "hostname": "web",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc", "options": [ "nosuid", "noexec", "nodev" ] },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620" ] },
    { "destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
    { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": [ "nosuid", "noexec", "nodev" ] },
    { "destination": "/sys", "type": "bind", "source": "@SYS@", "options": [ "rbind", "ro", "nosuid", "noexec", "nodev" ] }
  ],
  "linux": {
    "uidMappings": [ { "containerID": 0, "hostID": 1000000, "size": 65536 } ],
    "gidMappings": [ { "containerID": 0, "hostID": 1000000, "size": 65536 } ],
    "namespaces": [ { "type": "pid" }, { "type": "network", "path": "@NETNS@" }, { "type": "ipc" },
      { "type": "uts" }, { "type": "mount" }, { "type": "cgroup" }, { "type": "user" } ],
    "cgroupsPath": "@CGROUP@",
    "resources": {
      "devices": [ { "allow": false, "access": "rwm" } ],
      "memory": { "limit": 67108864 },
      "pids": { "limit": 128 },
      "cpu": { "quota": 50000, "period": 100000 }
    },
    "seccomp": {
      "defaultAction": "SCMP_ACT_ALLOW",
      "architectures": [ "@ARCH@" ],
      "syscalls": [
        { "names": [ @DENY@ ], "action": "SCMP_ACT_ERRNO", "errnoRet": 1 },
        @CLONE@
        { "names": [ "clone3" ], "action": "SCMP_ACT_ERRNO", "errnoRet": 38 }
      ]
    },
    "maskedPaths": [ "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
      "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware" ],
    "readonlyPaths": [ "/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" ]
  }
}'
oci_template=${oci_template//@CAPS@/$oci_caps}
oci_template=${oci_template//@DENY@/${oci_deny%,}}
oci_template=${oci_template//@CLONE@/$oci_clone}
oci_template=${oci_template//@ARCH@/$scmp_arch}

prep_oci() {	# N
	local d=$work/c$1 j=$oci_template
	net_up "$1"
	root_up "$1"
	sys_up "$1"
	j=${j//@ROOT@/$d/root}
	j=${j//@SYS@/$d/sys}
	j=${j//@NETNS@//run/netns/pk$1}
	j=${j//@CGROUP@//$cg/c$1}
	mkdir -p "$d/bundle"
	printf '%s\n' "$j" >"$d/bundle/config.json"
}
oci_pid() { $1 --root "$work/$1" state "c$2" | sed -n 's/^ *"pid": \([0-9]*\),.*/\1/p'; }
oci_resident() {	# runtime N
	{ tree "$(oci_pid "$1" "$2")"; cg_procs "$2"; } | sort -un
}
oci_stop() {	# runtime N
	$1 --root "$work/$1" delete -f "c$2"
	wait "${bgpid[$2]}" 2>/dev/null || :
	common_down "$2"
}
prep_crun() { prep_oci "$1"; }
after_crun() { :; }
after_runc() { :; }
start_crun() { exec crun --root "$work/crun" run -d --bundle "$work/c$1/bundle" "c$1" <"$work/stdin" >>"$log" 2>&1; }
resident_crun() { oci_resident crun "$1"; }
stop_crun() { oci_stop crun "$1"; }
prep_runc() { prep_oci "$1"; }
start_runc() { exec runc --root "$work/runc" run -d --bundle "$work/c$1/bundle" "c$1" <"$work/stdin" >>"$log" 2>&1; }
resident_runc() { oci_resident runc "$1"; }
stop_runc() { oci_stop runc "$1"; }

# bwrap 0.8: no overlay, no cgroups, no sysfs, no mapping of a uid range of
# its own: it makes the user namespace and waits (--userns-block-fd) while
# this script writes the 65536-id map into it; the cgroup is joined before.
# It runs as host uid 1000000 (no capability outside): started as root it
# would keep kuid 0, which that map leaves unmapped (mkdir: EOVERFLOW).
bwrap_args=()
for c in $CAPS; do bwrap_args+=(--cap-add "CAP_$c"); done
prep_bwrap() { net_up "$1"; root_up "$1"; sys_up "$1"; cg_up "$1"; mkfifo "$work/c$1/info" "$work/c$1/block"; }
start_bwrap() {
	cg_join "$1"
	exec nsenter --net="/run/netns/pk$1" -S 1000000 -G 1000000 bwrap --unshare-user --unshare-pid --unshare-ipc \
		--unshare-uts --unshare-cgroup --hostname web --die-with-parent --new-session \
		--uid 0 --gid 0 --userns-block-fd 5 --info-fd 6 \
		--bind "$work/c$1/root" / --proc /proc --dev /dev --ro-bind "$work/c$1/sys" /sys \
		--cap-drop ALL "${bwrap_args[@]}" --seccomp 7 --chdir / \
		-- /bin/busybox httpd -f -p 80 -h /srv/www \
		5<"$work/c$1/block" 6>"$work/c$1/info" 7<"$work/seccomp.bpf" </dev/null >>"$log" 2>&1
}
# After start_bwrap, in the foreground: write the maps, then let it go on.
after_bwrap() {
	local info blk line pid=
	exec {info}<>"$work/c$1/info" {blk}<>"$work/c$1/block"	# never blocks
	# all of its JSON (up to "}"): closing the fifo before bwrap has
	# written the rest kills it by SIGPIPE
	while read -r -t 5 -u "$info" line; do
		case $line in
		*'"child-pid"'*) pid=${line//[^0-9]/} ;;
		'}') break ;;
		esac
	done
	if [ -n "$pid" ]; then
		echo "0 1000000 65536" >"/proc/$pid/uid_map"
		echo "0 1000000 65536" >"/proc/$pid/gid_map"
	fi
	echo x >&"$blk"
	exec {info}<&- {blk}>&-
}
resident_bwrap() { { tree "${bgpid[$1]}"; cg_procs "$1"; } | sort -un; }
stop_bwrap() {
	cg_kill "$1"
	wait "${bgpid[$1]}" 2>/dev/null || :
	cg_down "$1"
	common_down "$1"
}

# systemd-nspawn without systemd as PID 1: --register=no --keep-unit, the
# cgroup joined before; the rest of its options as close as it allows.
# With --private-users it joins a netns (--network-namespace-path) from
# inside its new user namespace, which fails for /run/netns/pkN ("Failed to
# join network namespace: Operation not permitted"), so it makes its own
# (owned by the clone's userns: its own sysfs works, port 80 needs no
# sysctl) and --network-interface moves the veth's peer vpN in; this script
# then finds the clone's pid and configures eth0 with nsenter, timed.
nspawn_drop=CAP_AUDIT_CONTROL,CAP_DAC_READ_SEARCH,CAP_IPC_OWNER,CAP_LEASE,CAP_LINUX_IMMUTABLE,CAP_NET_BROADCAST,CAP_SYS_ADMIN,CAP_SYS_BOOT,CAP_SYS_NICE,CAP_SYS_PTRACE,CAP_SYS_RESOURCE,CAP_SYS_TTY_CONFIG
prep_nspawn() { host_link "$1" "vp$1" ""; root_up "$1"; cg_up "$1"; }
start_nspawn() {
	cg_join "$1"
	SYSTEMD_LOG_LEVEL=warning exec systemd-nspawn --quiet --register=no --keep-unit \
		--directory="$work/c$1/root" --private-users=1000000:65536 \
		--private-users-ownership=off --network-interface="vp$1" \
		--hostname=web --no-new-privileges=yes --drop-capability="$nspawn_drop" \
		--resolv-conf=off --timezone=off --link-journal=no --console=pipe \
		-- /bin/busybox httpd -f -p 80 -h /srv/www </dev/null >>"$log" 2>&1
}
after_nspawn() {	# N: wait for vpN to leave, find the clone, set eth0 up
	local p procs end=$((${EPOCHREALTIME/./} + 10000000))
	while [ -e "/sys/class/net/vp$1" ]; do
		nap "${bgpid[$1]}" "$end" || return 0
	done
	while :; do
		mapfile -t procs <"/sys/fs/cgroup/pids/$cg/c$1/cgroup.procs"
		for p in "${procs[@]}"; do
			if ! [ "/proc/$p/ns/net" -ef /proc/self/ns/net ]; then
				clone_net "$1" "vp$1" | nsenter -t "$p" --net ip -b -
				return 0
			fi
		done
		nap "${bgpid[$1]}" "$end" || return 0
	done
}
resident_nspawn() { { tree "${bgpid[$1]}"; cg_procs "$1"; } | sort -un; }
stop_nspawn() {
	kill -TERM "${bgpid[$1]}"
	wait "${bgpid[$1]}" 2>/dev/null || :
	cg_kill "$1"
	cg_down "$1"
	common_down "$1"
}

# ---- what one clone got (-v) -----------------------------------------------------
# Read from outside, off the service's process (and, for the writable root,
# a shell entering its user and mount namespaces as its uid 0).
check() {	# M N
	local m=$1 i=$2 p q pids t ns="" st cgp one="" mi
	pids=$("resident_$m" "$i")
	for q in $pids; do
		grep -q httpd "/proc/$q/cmdline" 2>/dev/null && p=$q
	done
	[ -n "${p:-}" ] || { echo "$m: no httpd found"; return; }
	for t in user mnt pid uts ipc cgroup net; do
		[ "/proc/$p/ns/$t" -ef "/proc/$$/ns/$t" ] || ns+=" $t"
	done
	for q in $pids; do	# who is pid 1 of its pid namespace
		[ "/proc/$q/ns/pid" -ef "/proc/$p/ns/pid" ] &&
			[ "$(awk '/^NSpid:/ {print $NF}' "/proc/$q/status")" = 1 ] &&
			one=$(cat "/proc/$q/comm")
	done
	st=$(awk '/^(NoNewPrivs|Seccomp|Seccomp_filters|CapBnd|CapEff):/ {printf "%s%s ", $1, $2}' "/proc/$p/status")
	cgp=$(sed -n 's/^[0-9]*:memory://p' "/proc/$p/cgroup")
	[ "$m" != none ] || { printf '%s: uid_map "%s"; new ns:%s\n' "$m" "$(awk '{print $1, $2, $3}' "/proc/$p/uid_map")" "$ns"; return; }
	mi=/proc/$p/mountinfo
	printf '%s: uid_map "%s"; new ns:%s; hostname %s; pid 1: %s (service is %s)\n' "$m" \
		"$(awk '{print $1, $2, $3}' "/proc/$p/uid_map" | paste -sd,)" "$ns" \
		"$(nsenter -t "$p" --uts hostname)" "${one:-outside}" \
		"pid $(awk '/^NSpid:/ {print $NF}' "/proc/$p/status") there"
	printf '  %s\n' "$st"
	printf '  cgroup %s: memory %s, pids %s, cpu %s/%s\n' "$cgp" \
		"$(cat "/sys/fs/cgroup/memory$cgp/memory.limit_in_bytes")" \
		"$(cat "/sys/fs/cgroup/pids$(sed -n 's/^[0-9]*:pids://p' "/proc/$p/cgroup")/pids.max")" \
		"$(cat "/sys/fs/cgroup/cpu$(sed -n 's/^[0-9]*:\(cpu\|cpu,cpuacct\)://p' "/proc/$p/cgroup")/cpu.cfs_quota_us")" \
		"$(cat "/sys/fs/cgroup/cpu$(sed -n 's/^[0-9]*:\(cpu\|cpu,cpuacct\)://p' "/proc/$p/cgroup")/cpu.cfs_period_us")"
	printf '  mounts: %s\n' "$(awk '$5 == "/" || $5 == "/proc" || $5 == "/sys" || $5 == "/dev" {
		for (i = 7; $i != "-"; i++); printf "%s %s %s; ", $5, $(i + 1), $6 }' "$mi")"
	printf '  /sys/class/net: %s; /dev: %s\n' "$(ls "/proc/$p/root/sys/class/net" 2>/dev/null | paste -sd' ')" \
		"$(ls "/proc/$p/root/dev" 2>/dev/null | paste -sd' ')"
	# (not for none: its / is the host's)
	[ "$m" = none ] || printf '  its CGI, did it work?: %s\n' \
		"$(timeout 5 busybox wget -q -O - "http://198.51.100.$i/cgi-bin/probe" 2>&1 | tr -d '\r')"
}

# ---- measuring ----------------------------------------------------------------
# 0.5 ms without a fork (read -t on a fifo nobody writes); false once PID
# is gone or the time (us) has passed
mkfifo "$work/nap"
exec {napfd}<>"$work/nap"
nap() {	# PID END_US
	read -r -t 0.0005 -u "$napfd" _ || :
	kill -0 "$1" 2>/dev/null && [ "${EPOCHREALTIME/./}" -lt "$2" ]
}

tree() {	# PID: it and all its descendants
	[ -n "$1" ] || return 0
	ps -e -o pid=,ppid= | awk -v root="$1" '
		{ kid[$2] = kid[$2] " " $1 }
		END { q[0] = root; n = 1
		      for (i = 0; i < n; i++) { print q[i]; m = split(kid[q[i]], k, " ")
		                               for (j = 1; j <= m; j++) q[n++] = k[j] } }'
}
cg_procs() {	# N: every process in the clone's cgroups, nested ones too
	local d
	for d in /sys/fs/cgroup/*/"$cg/c$1" /sys/fs/cgroup/*/"$cg/c$1"/*/; do
		[ -f "$d/cgroup.procs" ] && cat "$d/cgroup.procs"
	done 2>/dev/null | sort -un
}
mem_kb() {	# PIDS...: "private pss" in kB
	local p
	for p in "$@"; do cat "/proc/$p/smaps_rollup" 2>/dev/null; done |
		awk '/^Private_/ { kb += $2 } /^Pss:/ { pss += $2 } END { print kb + 0, pss + 0 }'
}
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) * 1000 }'; }
# p50, p90, min of a list of numbers
stats() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
	END { if (!NR) { print "- - -"; exit }
	      printf "%.2f %.2f %.2f\n", v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.999)], v[1] }'; }

run_method() {	# M
	local m=$1 i k p t0 t1 tp syn=() prep=() mem=() pss=() down=() pids names="" ok=0
	for i in $(seq 1 "$n"); do
		tp=$EPOCHREALTIME
		"prep_$m" "$i"
		t0=$EPOCHREALTIME
		"start_$m" "$i" &
		bgpid[$i]=$!
		"after_$m" "$i"
		if t1=$("$helper" syn "198.51.100.$i" 80 10000); then
			syn+=("$(ms "$t0" "${t1:0:-6}.${t1: -6}")")
			ok=$((ok + 1))
		else
			echo "sandbox-runtimes: $m clone $i: no SYN-ACK within 10 s (log: $(tail -n 3 "$log" | tr '\n' ' '))" >&2
			[ -z "$verbose" ] || for p in $("resident_$m" "$i"); do
				echo "  $p: $(tr '\0' ' ' <"/proc/$p/cmdline" | cut -c1-60) $(grep -E '^(State|NSpid)' "/proc/$p/status" | tr '\n\t' '  ') wchan $(cat "/proc/$p/wchan")" >&2
			done
		fi
		prep+=("$(ms "$tp" "$t0")")
	done
	sleep 1		# idle
	for i in $(seq 1 "$n"); do
		pids=$("resident_$m" "$i")
		# shellcheck disable=SC2086
		read -r k p <<<"$(mem_kb $pids)"
		mem+=("$k")
		pss+=("$p")
		[ "$i" != 1 ] || names=$(for p in $pids; do cat "/proc/$p/comm" 2>/dev/null; done | paste -sd+)
	done
	[ -z "$verbose" ] || checks+=("$(check "$m" 1)")
	if [ -n "${RT_BENCH_HOLD:-}" ]; then	# debugging: look at them
		echo "holding $m for $RT_BENCH_HOLD s; private kB: ${mem[*]}" >&2
		sleep "$RT_BENCH_HOLD"
	fi
	for i in $(seq 1 "$n"); do
		t0=$EPOCHREALTIME
		"stop_$m" "$i" >>"$log" 2>&1 || echo "sandbox-runtimes: $m clone $i: teardown failed" >&2
		t1=$EPOCHREALTIME
		unset "bgpid[$i]"
		down+=("$(ms "$t0" "$t1")")
	done
	read -r s50 s90 smin <<<"$(stats "${syn[@]}")"
	read -r p50 _ _ <<<"$(stats "${prep[@]}")"
	read -r k50 _ _ <<<"$(stats "${mem[@]}")"
	read -r pss50 _ _ <<<"$(stats "${pss[@]}")"
	read -r d50 _ _ <<<"$(stats "${down[@]}")"
	printf '%-7s %5s %8s %8s %8s %8s %8s %8s %9s  %s\n' "$m" "$ok/$n" "$p50" "$s50" "$s90" "$smin" \
		"${k50%.00}" "${pss50%.00}" "$d50" "$names"
}

echo "machine: $(nproc) CPUs, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg);" \
	"crun $(crun --version 2>/dev/null | sed -n 's/^crun version //p'), runc $(runc --version 2>/dev/null | sed -n 's/^runc version //p')," \
	"bwrap $(bwrap --version 2>/dev/null | cut -d' ' -f2), nspawn $(systemd-nspawn --version 2>/dev/null | sed -n '1s/^systemd \([0-9]*\).*/\1/p')"
printf '%-7s %5s %8s %8s %8s %8s %8s %8s %9s  %s\n' method up prep_ms syn_p50 syn_p90 syn_min priv_kB pss_kB down_p50 "processes of one clone"
checks=()
for m in "$@"; do
	# the host ends of the last method's veths go with their netns, later
	for i in $(seq 1 500); do
		ip -o link show | grep -q ' pk[0-9]*@' || break
		sleep 0.01
	done
	run_method "$m"
done
[ -z "$verbose" ] || printf '%s\n' "${checks[@]}"
