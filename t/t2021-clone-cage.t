#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The netns clone as a cage, tried as an attacker would: logged in through
# the clone's telnet service (reached through pk<ID>, as the gateway would
# deliver it), each way out is tried and must fail, and the limits of its
# cgroup hold against a fork bomb and a memory bomb while the other clones
# go on answering.  The gateway's side of containment is t4011's.
test_description='clone tools: a captured netns clone owns nothing'
. "$(dirname "$0")/lib/test-lib.sh"
test_require ROOT NETNS BUSYBOX CURL
. "$TEST_DIRECTORY/lib/cage.sh"
cage_rootfs
test_isolate
cage_setup

mkdir -p www tools state
echo "hello" >www/index.html
# What the attacker must never read: the gateway's configuration.
echo "control_socket = \"/run/potemkin/secret\";" >gateway.conf
cp "$SRC_ROOT/t/helpers/cage-probe" tools/
cat >vmm.conf <<CONF
statedir = "$TRASH/state";
memdir = "$TRASH/mem";
cgroup = "$CAGE_CGROUP";
types = {
  web = {
    backend = "netns";
    root = "$CAGE_ROOTFS";
    hostname = "www3";
    binds = ( "$TRASH/www:/srv/www", "$TRASH/tools:/opt/tools" );
    services = ( "busybox httpd -f -p 80 -h /srv/www",
                 "busybox telnetd -F -p 23 -l /bin/sh" );
    ready_tcp = [ 80, 23 ];
    limits = { memory = "32M"; pids = 48; cpu = 0.2; };
    evidence_paths = [ "/root", "/root/up" ];
  };
};
CONF
export POTEMKIN_VMM_CONF=$TRASH/vmm.conf
# In clone A's shell, as the attacker.
a_sh() { cage_sh pk$a 198.51.100.10 "$1"; }
b_answers() {
	curl -sS --max-time 5 --interface pk$b http://198.51.100.11/ | grep -q hello
}
# A host process with a name of its own, for the clone not to see.
sleep 3600 &
host_pid=$!
test_atexit "kill $host_pid"

test_expect_success 'two clones of the type come up' '
	potemkin-clone -t web --ip 198.51.100.10 >ra &&
	potemkin-clone -t web --ip 198.51.100.11 >rb &&
	a=$(cage_field id <ra) && b=$(cage_field id <rb) &&
	b_answers
'

test_expect_success 'root inside is the type'"'"'s first id outside, and unprivileged' '
	pid=$(cage_field pid <ra) &&
	grep -q "^ *0 *$CAGE_IDS *65536\$" /proc/$pid/uid_map &&
	grep -q "^ *0 *$CAGE_IDS *65536\$" /proc/$pid/gid_map &&
	for p in $(cage_procs); do
		grep -q "^Uid:	$CAGE_IDS	" /proc/$p/status &&
		grep -q "^NoNewPrivs:	1\$" /proc/$p/status &&
		grep -q "^Seccomp:	2\$" /proc/$p/status &&
		grep -q "^CapBnd:	00000000a80425fb\$" /proc/$p/status || return 1
	done &&
	for ns in user mnt pid net uts ipc cgroup; do
		test "$(readlink /proc/$pid/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" ||
			return 1
	done
'

test_expect_success 'the attacker has a root shell in the clone, named as its type' '
	a_sh "id; hostname" >out &&
	grep -q "^uid=0(root) gid=0(root)" out &&
	grep -qx "www3" out
'

test_expect_success 'no host file: not the gateway'"'"'s configuration, not /etc/shadow' '
	a_sh "cat $TRASH/gateway.conf; echo rc=\$?; md5sum /etc/shadow" >out &&
	grep -q "^cat: can.t open .$TRASH/gateway.conf.: No such file or directory" out &&
	grep -qx "rc=1" out &&
	! grep -q secret out &&
	grep -qx "$(md5sum <"$CAGE_ROOTFS/etc/shadow" | cut -d" " -f1)  /etc/shadow" out
'

test_expect_success 'no host process: its /proc has its own and no more' '
	a_sh "ps -o pid,args; ls /proc | grep -c \"^[0-9]\"" >out &&
	! grep -q "sleep 3600" out &&
	grep -q "^ *1 /sbin/init" out &&
	grep -q "^ *[0-9]* busybox httpd -f -p 80" out &&
	test "$(grep -x "[0-9]*" out | tail -n 1)" -lt 10
'

test_expect_success 'nothing in its processes names the host, the farm or its type' '
	a_sh "cat /proc/[0-9]*/cmdline /proc/[0-9]*/comm; env" >out &&
	! grep -i -e potemkin -e "web" -e "$TRASH" out &&
	grep -q "^PATH=" out
'

test_expect_success 'nsenter and unshare fail: no other namespace' '
	a_sh "nsenter -t 1 -n true; echo nsenter=\$?; unshare -n true; echo unshare-n=\$?; unshare -U true; echo unshare-U=\$?" >out &&
	grep -qx "nsenter=1" out && grep -qx "unshare-n=1" out &&
	grep -qx "unshare-U=1" out &&
	grep -q "Operation not permitted" out
'

test_expect_success 'mount and module loading fail' '
	a_sh "mount -t tmpfs none /mnt; echo mount=\$?; echo x >/tmp/x.ko; insmod /tmp/x.ko; echo insmod=\$?" >out &&
	grep -q "^mount: permission denied" out && grep -qx "mount=1" out &&
	grep -q "^insmod: can.t insert ./tmp/x.ko.: Operation not permitted" out &&
	! grep -q " /mnt tmpfs" /proc/$(cage_field pid <ra)/mounts
'

test_expect_success 'every system call the cage refuses, refused' '
	a_sh "/opt/tools/cage-probe $host_pid 203.0.113.50" >probe &&
	grep -qx "getpid: ok" probe &&
	grep -qx "raw socket in its own network: ok" probe &&
	for call in "setns into its own network namespace" \
	    "unshare user namespace" "unshare network namespace" \
	    "unshare mount namespace" "unshare user namespace, i386 call" \
	    "mount tmpfs" "umount /proc" "pivot_root" "init_module" \
	    "finit_module" "kexec_load" "bpf" "perf_event_open" "keyctl" \
	    "add_key" "userfaultfd" "io_uring_setup" "open_by_handle_at" \
	    "swapon" "reboot" "settimeofday" "ioctl TIOCSTI" \
	    "ioctl TIOCSTI, high bits set"; do
		grep -qx "$call: denied (EPERM)" probe || {
			grep "^$call:" probe; return 1; }
	done &&
	grep -qx "clone3 user namespace: denied (ENOSYS)" probe &&
	grep -qx "ptrace a host process: denied (ESRCH)" probe &&
	grep -qx "signal a host process: denied (ESRCH)" probe &&
	! grep ALLOWED probe
'

test_expect_success 'writes land in its own layer; bound host paths are read-only' '
	a_sh "echo owned >/etc/motd; echo motd=\$?; echo x >/srv/www/x; echo www=\$?; echo x >/opt/tools/x; echo tools=\$?" >out &&
	grep -qx "motd=0" out && grep -qx "www=1" out && grep -qx "tools=1" out &&
	! test -e "$CAGE_ROOTFS/etc/motd" &&
	! test -e www/x && ! test -e tools/x &&
	echo owned >want &&
	test_cmp want mem/layers/$a/upper/etc/motd &&
	test "$(stat -c %u mem/layers/$a/upper/etc/motd)" = $CAGE_IDS &&
	a_sh "cat /etc/motd" | grep -qx owned &&
	cage_sh pk$b 198.51.100.11 "cat /etc/motd; echo rc=\$?" | grep -qx "rc=1"
'

# Evidence is copied by the host's root from what the attacker made: a link
# planted to point at a host directory, and a set-user-ID program.
test_expect_success 'freeze: nothing the attacker planted reaches the host' '
	mkdir victim &&
	a_sh "mkdir -p $TRASH/victim && echo planted >$TRASH/victim/cron &&
	      ln -s $TRASH/victim /root/up && cp /bin/busybox /root/suid &&
	      chmod 4755 /root/suid && echo planted=\$?" | grep -qx "planted=0" &&
	test "$(stat -c %a mem/layers/$a/upper/root/suid)" = 4755 &&
	potemkin-freeze $a >freeze.out 2>freeze.err &&
	grep -q "files/root/up: Not a directory\$" freeze.err &&
	! test -e victim/cron &&
	ev=$(cat freeze.out) &&
	grep -q "^files/root/up: not copied whole" $ev/MANIFEST &&
	test -L $ev/files/root/up &&
	test "$(stat -c %a $ev/layer/root/suid)" = 755 &&
	test "$(stat -c %a $ev/files/root/suid)" = 640 &&
	potemkin-clone -t web --ip 198.51.100.10 >ra &&
	a=$(cage_field id <ra)
'

test_expect_success 'a fork bomb meets its pids limit; the other clone answers' '
	cage_limits pk$a | grep -qx "pids 48" &&
	a_sh "setsid sh -c \"b() { b | b & }; b\" </dev/null >/dev/null 2>&1 & echo bombed" |
		grep -qx bombed &&
	test_wait_for 10 "test \$(cage_pids_max_hit pk$a) -gt 0" &&
	b_answers &&
	test "$(cage_pids_current pk$b)" -lt 10 &&
	potemkin-teardown $a &&
	test_wait_for 5 "test -z \"\$(ls -d $TRASH/mem/layers/$a 2>/dev/null)\""
'

# What it writes to its layer is memory, charged to it: a disk bomb is a
# memory bomb, and the kernel kills in the clone what would pass its limit.
test_expect_success 'a memory and disk bomb meets its memory limit' '
	potemkin-clone -t web --ip 198.51.100.10 >ra &&
	a=$(cage_field id <ra) &&
	a_sh "head -c 100m /dev/zero >/tmp/big; echo rc=\$?; head -c 100m /dev/zero | tail" >out &&
	size=$(stat -c %s mem/layers/$a/upper/tmp/big) &&
	test $size -lt $((32 * 1048576)) &&
	test "$(cage_oom_kills pk$a)" -gt 0 &&
	b_answers &&
	potemkin-teardown $a
'

test_expect_success 'teardown leaves no mount, cgroup, process, namespace or link' '
	potemkin-teardown $b &&
	test_wait_for 5 cage_no_leftovers &&
	kill -0 $host_pid
'

test_done
