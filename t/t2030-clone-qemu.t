#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The qemu backend for real, under TCG: a guest built by potemkin-mkimage,
# its snapshot, clones answering HTTP through pk<ID>, concurrency, teardown,
# freeze, and the failures (QEMU missing, a guest never ready, a damaged
# snapshot) with nothing left behind.
test_description='clone tools: qemu backend'
. "$(dirname "$0")/lib/test-lib.sh"
test_require ROOT NETNS QEMU TUN CURL

# The guest image is built once and cached beside the build; a rerun with the
# same Debian package versions reuses it.  Built before test_isolate, which
# leaves no network to download the packages with.
image=${POTEMKIN_GUEST_DIR:-$SRC_ROOT/build/guest}
if [ -z "${POTEMKIN_ISOLATED:-}" ]; then
	potemkin-mkimage -q "$image" >&2 ||
		echo "t2030: potemkin-mkimage $image failed" >&2
fi
. "$TEST_DIRECTORY/lib/cage.sh"
test_isolate
cage_setup

cat >vmm.conf <<CONF
statedir = "$TRASH/state";
memdir = "$TRASH/mem";
cgroup = "$CAGE_CGROUP";
types = {
  linux = {
    backend = "qemu";
    kernel = "$image/vmlinuz";
    initrd = "$image/initrd.img";
    memory = 128;
    accel = "tcg";
    ready_timeout = "120s";
    hostname = "nas-7";
  };
  never = {
    backend = "qemu";
    kernel = "$image/vmlinuz";
    initrd = "$image/initrd.img";
    accel = "tcg";
    ready = "NEVER-PRINTED";
    ready_timeout = "3s";
    # The kernel echoes its command line; the guest's init takes the last
    # potemkin.ready and prints that one, so however fast it boots, the
    # ready string never shows.
    append = "loglevel=6 potemkin.ready=SOMETHING-ELSE";
  };
  pooled = {
    backend = "qemu";
    kernel = "$image/vmlinuz";
    initrd = "$image/initrd.img";
    accel = "tcg";
    pool = 2;
    ready_tcp = [ 80, 23 ];
  };
  noqemu = {
    backend = "qemu";
    qemu = "/nonexistent/qemu-system-x86_64";
    kernel = "$image/vmlinuz";
    initrd = "$image/initrd.img";
    accel = "tcg";
  };
  coldpool = {
    backend = "qemu";
    kernel = "$image/vmlinuz";
    initrd = "$image/initrd.img";
    accel = "tcg";
    pool = 1;
    ready_tcp = [ 9 ];			# the guest serves no such port
  };
  kvm = {
    backend = "qemu";
    kernel = "$image/vmlinuz";
    initrd = "$image/initrd.img";
    accel = "kvm";
    ready_timeout = "3s";
  };
  merged = {
    backend = "qemu";
    kernel = "$image/vmlinuz";
    initrd = "$image/initrd.img";
    accel = "tcg";
    merge = true;
  };
};
CONF
export POTEMKIN_VMM_CONF=$TRASH/vmm.conf
no_leftovers() {
	[ "$(cage_qemus)" = 0 ] && cage_no_leftovers
}
# QMP query-status of the clone in directory $1, by socat.
query_status() {
	printf "%s\n" "{\"execute\":\"qmp_capabilities\"}" "{\"execute\":\"query-status\"}" |
		socat -t 2 - "UNIX-CONNECT:$1/qmp.sock" 2>/dev/null
}
pooled_count() { potemkin-ls | awk '$2 == "pooled" && $11 == "pooled"' | wc -l; }
test_atexit 'potemkin-teardown -a; kill -KILL $(cage_procs) 2>/dev/null'

test_expect_success 'potemkin-mkimage builds (or reuses) the guest' '
	potemkin-mkimage "$image" 2>progress &&
	test -s "$image/vmlinuz" && test -s "$image/initrd.img" &&
	grep -q "^potemkin-mkimage: \[1/6\] resolving packages" progress &&
	potemkin-mkimage "$image" 2>again &&
	grep -q "^potemkin-mkimage: up to date: " again
'

test_expect_success 'potemkin-snapshot boots the reference and saves it' '
	potemkin-snapshot linux 2>progress &&
	grep -q "booting the reference (tcg)" progress &&
	grep -q "snapshot saved in $TRASH/state/snapshots/linux" progress &&
	test -s state/snapshots/linux/state &&
	test $(stat -c %s state/snapshots/linux/state) -lt 4000000 &&
	test $(stat -c %s mem/linux.ram) = 134217728 &&
	grep -q POTEMKIN-READY state/snapshots/linux/console.log &&
	test $(stat -c %s state/snapshots/linux/kernel.stub) -lt 65536 &&
	test "$(cat state/snapshots/linux/machine)" = pc,memory-backend=ram,hpet=off &&
	! test -e state/snapshots/linux/reference &&
	test "$(cage_qemus)" = 0
'

test_expect_success 'a second snapshot without -f keeps the first' '
	cp state/snapshots/linux/state before &&
	potemkin-snapshot linux 2>msg &&
	grep -q "snapshot exists in $TRASH/state/snapshots/linux (-f makes a new one)" msg &&
	cmp before state/snapshots/linux/state
'

test_expect_success 'a clone answers HTTP through pk<ID>' '
	potemkin-clone -t linux --ip 198.51.100.7 -u 2 >rec &&
	id=$(cage_field id <rec) &&
	grep -Eq "^id=$id type=linux backend=qemu ifname=pk$id mac=52:54:00:12:34:56 guest_ip=10.0.2.15 gw_ip=10.0.2.2 ip=198.51.100.7 universe=2 pid=[0-9]+ created=[0-9]{13}\$" rec &&
	curl -sS --max-time 10 --interface pk$id http://10.0.2.15/ >got &&
	grep -q "It works!" got &&
	ip -o -4 addr show dev pk$id | grep -q "inet 10.0.2.2/32" &&
	test "$(cat /proc/sys/net/ipv4/conf/pk$id/rp_filter)" = 0
'

test_expect_success 'its host name is the type'"'"'s, and it serves no bait' '
	tr "\0" " " </proc/$(cage_field pid <rec)/cmdline >args &&
	grep -q " potemkin.hostname=nas-7 " args &&
	! grep -q "potemkin.bait" args &&
	code=$(curl -s -o /dev/null -w "%{http_code}" --max-time 10 --interface pk$id \
		http://10.0.2.15/cgi-bin/spread) &&
	test "$code" = 404
'

# An idle TCG clone is kept near 0 % of a CPU by what is not there: no
# HPET, no guest watchdogs; and its translated code has 4 MB by default.
test_expect_success 'its machine has no HPET, its guest no watchdogs, 4 MB of TCG code' '
	tr "\0" " " </proc/$(cage_field pid <rec)/cmdline >args &&
	grep -q " -machine pc,memory-backend=ram,hpet=off " args &&
	grep -q " -accel tcg,tb-size=4 " args &&
	grep -q " tsc=reliable nowatchdog nmi_watchdog=0 " args &&
	curl -sS --max-time 10 --interface pk$id http://10.0.2.15/ | grep -q "It works!"
'

test_expect_success 'the clone maps the snapshot memory privately' '
	pid=$(cage_field pid <rec) &&
	grep " /memory\$" /proc/$pid/maps | grep -q " rw-p " &&
	potemkin-ls | grep -q "^$id  *linux  *-  *qemu  *pk$id .* cow  *running "
'

# merge off (the default): not one page of the clone is offered to KSM, not
# even its guest's memory, which QEMU would offer by itself.
test_expect_success KSM_MERGE_ANY 'merge off: none of its QEMU'"'"'s memory offered to KSM' '
	pid=$(cage_field pid <rec) &&
	tr "\0" " " </proc/$pid/cmdline >args &&
	grep -q " -machine mem-merge=off " args &&
	grep -qx "ksm_merge_any: no" /proc/$pid/ksm_stat &&
	grep -qx "ksm_mergeable: no" /proc/$pid/ksm_stat
'

# What a guest that took its QEMU over would have: seen from outside.
test_expect_success 'its QEMU is caged: no privilege, two filters, its own namespaces' '
	pid=$(cage_field pid <rec) &&
	grep -q "^Uid:	$CAGE_IDS	$CAGE_IDS	$CAGE_IDS	$CAGE_IDS\$" /proc/$pid/status &&
	grep -q "^Gid:	$CAGE_IDS	$CAGE_IDS	$CAGE_IDS	$CAGE_IDS\$" /proc/$pid/status &&
	grep -q "^Groups:[[:space:]]*\$" /proc/$pid/status &&
	grep -q "^CapPrm:	0000000000000000\$" /proc/$pid/status &&
	grep -q "^CapEff:	0000000000000000\$" /proc/$pid/status &&
	grep -q "^CapBnd:	0000000000000000\$" /proc/$pid/status &&
	grep -q "^NoNewPrivs:	1\$" /proc/$pid/status &&
	grep -q "^Seccomp:	2\$" /proc/$pid/status &&
	grep -q "^Seccomp_filters:	2\$" /proc/$pid/status &&
	tr "\0" " " </proc/$pid/cmdline | grep -q " -sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny " &&
	for ns in mnt pid net ipc uts cgroup; do
		test "$(readlink /proc/$pid/ns/$ns)" != "$(readlink /proc/self/ns/$ns)" || return 1
	done &&
	test "$(readlink /proc/$pid/ns/user)" = "$(readlink /proc/self/ns/user)" &&
	test "$(nsenter -t $pid -n ip -o link show | wc -l)" = 1 &&
	nsenter -t $pid -n ip -o link show | grep -q ": lo: .* state DOWN"
'

test_expect_success 'its QEMU sees no host file beyond what it runs from' '
	pid=$(cage_field pid <rec) &&
	ls -A /proc/$pid/root >root &&
	printf "%s\n" bin dev etc kernel lib lib32 lib64 memory sbin usr >want &&
	{ grep -vx -f want root || :; } >extra &&
	test_must_fail test -s extra &&
	test "$(ls -A /proc/$pid/root/etc)" = ld.so.cache &&
	! test -e /proc/$pid/root/etc/shadow &&
	! test -e /proc/$pid/root/proc/1 &&
	! test -e /proc/$pid/root/tmp &&
	test -z "$(ls -A /proc/$pid/root/dev/shm)" &&
	! ls /proc/$pid/root/$TRASH >/dev/null 2>&1 &&
	! touch /proc/$pid/root/usr/bin/x 2>/dev/null &&
	! touch /proc/$pid/root/memory 2>/dev/null
'

test_expect_success 'its memory file is open read-only, its limits set' '
	pid=$(cage_field pid <rec) &&
	for fd in /proc/$pid/fd/*; do
		test "$(readlink $fd)" != /memory || echo ${fd##*/}
	done >memfd &&
	test $(wc -l <memfd) = 1 &&
	grep -q "^flags:	0*[0-7]*0\$" /proc/$pid/fdinfo/$(cat memfd) &&
	test "$(stat -c "%U %a" mem/linux.ram)" = "root 640" &&
	cage_limits pk$id >limits &&
	grep -qx "memory $(( (128 + 56 + 4) * 1048576 ))" limits &&
	grep -qx "pids 64" limits &&
	grep -qx "cpu 200000/100000" limits
'

test_expect_success 'ten concurrent clones of one snapshot each answer' '
	for i in 0 1 2 3 4 5 6 7 8 9; do
		potemkin-clone -t linux >c$i 2>e$i &
	done &&
	wait &&
	cat c? >all &&
	test $(wc -l <all) = 10 &&
	test $(cage_field id <all | sort -u | wc -l) = 10 &&
	test $(cage_field pid <all | sort -u | wc -l) = 10 &&
	for i in 0 1 2 3 4 5 6 7 8 9; do
		curl -sS --max-time 10 --interface pk$(cage_field id <c$i) \
			http://10.0.2.15/ | grep -q "It works!" || return 1
	done
'

test_expect_success 'tearing one down leaves the others answering' '
	victim=$(cage_field id <c3) &&
	potemkin-teardown $victim &&
	test_wait_for 5 "! ip link show pk$victim" &&
	for i in 0 1 2 4 5 6 7 8 9; do
		curl -sS --max-time 10 --interface pk$(cage_field id <c$i) \
			http://10.0.2.15/ | grep -q "It works!" || return 1
	done
'

test_expect_success 'teardown leaves no pk* link, QEMU or file' '
	potemkin-teardown $id $(cage_field id <all | grep -vx $victim) &&
	test_wait_for 10 no_leftovers
'

test_expect_success 'freeze writes a complete evidence folder' '
	potemkin-clone -t linux >rec &&
	id=$(cage_field id <rec) &&
	curl -sS --max-time 10 --interface pk$id http://10.0.2.15/ >/dev/null &&
	dir=$(potemkin-freeze $id) &&
	test_cmp rec "$dir/record" &&
	test "$(head -c 4 "$dir/memory.elf" | od -An -c | tr -d " ")" = "177ELF" &&
	test $(stat -c %s "$dir/memory.elf") -gt 134217728 &&
	test $(stat -c %s "$dir/machine-state") -gt 1000000 &&
	test -f "$dir/console.log" &&
	grep -q "^memory.elf: " "$dir/MANIFEST" &&
	grep -q "^machine-state: .* -machine pc,memory-backend=ram,hpet=off)\$" "$dir/MANIFEST" &&
	test_wait_for 10 no_leftovers
'

test_expect_success 'freeze --keep leaves the guest stopped, not answering' '
	potemkin-clone -t linux >rec &&
	id=$(cage_field id <rec) &&
	dir=$(potemkin-freeze -k $id) &&
	test -s "$dir/machine-state" &&
	potemkin-ls | grep -q "^$id .* frozen " &&
	! curl -s --max-time 2 --interface pk$id http://10.0.2.15/ &&
	potemkin-teardown $id &&
	test_wait_for 10 no_leftovers
'

# Another type's snapshot, as its own: its memory readable by its ids.
# Whether or not it succeeds (KVM may or may not run this guest here).
snapshot_either_way() { potemkin-snapshot "$@" || :; }

snapshot_copy() {
	mkdir -p state/snapshots/$1 &&
	cp state/snapshots/linux/state state/snapshots/linux/accel \
		state/snapshots/linux/kernel.stub state/snapshots/$1/ &&
	cp mem/linux.ram mem/$1.ram &&
	chgrp $2 mem/$1.ram
}

test_expect_success KSM_MERGE_ANY 'merge on: all its QEMU'"'"'s memory offered to KSM, and it answers' '
	snapshot_copy merged $((CAGE_IDS + 6 * 65536)) &&
	cp state/snapshots/linux/machine state/snapshots/merged/ &&
	potemkin-clone -t merged >mrec 2>merr &&
	mpid=$(cage_field pid <mrec) &&
	grep -qx "ksm_merge_any: yes" /proc/$mpid/ksm_stat &&
	grep -qx "ksm_mergeable: yes" /proc/$mpid/ksm_stat &&
	tr "\0" " " </proc/$mpid/cmdline | grep -q " -machine mem-merge=on " &&
	curl -sS --max-time 10 --interface pk$(cage_field id <mrec) \
		http://10.0.2.15/ | grep -q "It works!" &&
	if test "$(cat /sys/kernel/mm/ksm/run)" = 1
	then ! grep -q "KSM is not running" merr
	else grep -q "^potemkin-clone: type merged: merge: KSM is not running on this host" merr
	fi &&
	potemkin-teardown $(cage_field id <mrec)
'

test_expect_success 'a pool: the snapshot leaves clones loaded and paused' '
	snapshot_copy pooled $((CAGE_IDS + 2 * 65536)) &&
	potemkin-snapshot pooled 2>msg &&
	grep -q "type pooled: 2 clones waiting in the pool" msg &&
	test $(pooled_count) = 2 &&
	test "$(cage_qemus)" = 2 &&
	for v in state/vms/*; do
		query_status "$v" | grep -q "\"status\": \"paused\"" || return 1
	done &&
	test $(ls state/pool/pooled | wc -l) = 2
'

test_expect_success 'a pooled clone is handed out running; the pool refills' '
	potemkin-clone -t pooled >rec &&
	id=$(cage_field id <rec) &&
	grep -Eq "^id=$id type=pooled backend=qemu ifname=pk$id .* pid=[0-9]+ created=" rec &&
	curl -sS --max-time 10 --interface pk$id http://10.0.2.15/ | grep -q "It works!" &&
	potemkin-ls | grep -q "^$id  *pooled  *-  *qemu .* running " &&
	! test -e state/vms/$id/pooled &&
	test_wait_for 30 "test \$(pooled_count) = 2"
'

test_expect_success 'teardown -s keeps the pool; teardown -a empties it' '
	potemkin-teardown -s >swept &&
	! test -s swept &&
	test $(pooled_count) = 2 &&
	potemkin-teardown -a &&
	test -z "$(ls state/pool/pooled | grep -vx fill.log)" &&
	test_wait_for 10 no_leftovers
'

# A clone taken while the pool is empty starts a refill; teardown -a right
# after waits for it and leaves nothing it could add.
test_expect_success 'teardown -a leaves no refill behind it' '
	potemkin-clone -t pooled >rec &&
	potemkin-teardown -a &&
	flock -n state/pool/pooled/.fill true &&
	test -z "$(ls state/vms)" &&
	test_wait_for 10 no_leftovers
'

# A clone that answers no ready_tcp port is pooled unwarmed within ten
# seconds, not held for its ready_timeout and then thrown away.
test_expect_success 'warming is best effort: an unwarmed clone still joins the pool' '
	snapshot_copy coldpool $((CAGE_IDS + 4 * 65536)) &&
	potemkin-snapshot coldpool 2>msg &&
	grep -q "no answer on its ready_tcp ports within 10000 ms: pooled unwarmed" msg &&
	grep -q "type coldpool: 1 clones waiting in the pool" msg &&
	potemkin-teardown -a &&
	test_wait_for 10 no_leftovers
'

# The cage'"'"'s /dev is read-only: the node is made with the others.
test_expect_success KVM 'accel kvm: QEMU starts with the host'"'"'s /dev/kvm in its cage' '
	snapshot_either_way kvm 2>err &&
	grep -q "booting the reference (kvm)" err &&
	! grep -q "mounting /dev/kvm" err &&
	test_wait_for 10 no_leftovers
'

test_expect_success 'QEMU missing: snapshot fails, says why, leaves nothing' '
	test_expect_code 1 potemkin-snapshot noqemu 2>err &&
	grep -q "^potemkin-snapshot: executing /nonexistent/qemu-system-x86_64: No such file or directory\$" err &&
	grep -q "^potemkin-snapshot: type noqemu: cannot tell the version of /nonexistent/qemu-system-x86_64\$" err &&
	! test -e mem/noqemu.ram.new && ! test -e state/snapshots/noqemu/state &&
	! test -e state/snapshots/noqemu/reference &&
	test_wait_for 10 no_leftovers
'

test_expect_success 'QEMU missing: a clone fails and leaves nothing' '
	snapshot_copy noqemu $((CAGE_IDS + 3 * 65536)) &&
	test_expect_code 1 potemkin-clone -t noqemu >out 2>err &&
	! test -s out &&
	grep -q "^potemkin-clone: clone [0-9]*: executing /nonexistent/qemu-system-x86_64: No such file or directory\$" err &&
	grep -q "^potemkin-clone: /nonexistent/qemu-system-x86_64: failed to start; it said:\$" err &&
	test_wait_for 10 no_leftovers
'

test_expect_success 'a guest that never becomes ready: timeout, clean failure' '
	test_expect_code 1 potemkin-snapshot never 2>err &&
	grep -q "^potemkin-snapshot: type never: no .NEVER-PRINTED. on the console within 3000 ms" err &&
	grep -q "potemkin.ready=NEVER-PRINTED" state/snapshots/never/console.log &&
	! test -e state/snapshots/never/state && ! test -e mem/never.ram.new &&
	test -f state/snapshots/never/console.log &&
	test_wait_for 10 no_leftovers
'

test_expect_success 'a snapshot naming a machine that is not one: refused, nothing left' '
	cp state/snapshots/linux/machine machine.saved &&
	echo "pc,x=\$(reboot)" >state/snapshots/linux/machine &&
	test_expect_code 1 potemkin-clone -t linux >out 2>err &&
	cp machine.saved state/snapshots/linux/machine &&
	! test -s out &&
	grep -q "state/snapshots/linux/machine: not a QEMU machine" err &&
	test_wait_for 10 no_leftovers
'

test_expect_success 'a damaged snapshot: the clone fails and leaves nothing' '
	rm -f state/snapshots/noqemu/state mem/noqemu.ram mem/pooled.ram &&
	snapshot_copy bad $((CAGE_IDS + 65536)) &&
	head -c 5000 state/snapshots/linux/state >state/snapshots/bad/state &&
	sed "s/^  never = {/  bad = { backend = \"qemu\"; kernel = \"$(echo $image | sed "s/[\/&]/\\\\&/g")\/vmlinuz\"; initrd = \"$(echo $image | sed "s/[\/&]/\\\\&/g")\/initrd.img\"; accel = \"tcg\"; ready_timeout = \"10s\"; };\n  never = {/" vmm.conf >bad.conf &&
	test_expect_code 1 potemkin-clone -c bad.conf -t bad >out 2>err &&
	! test -s out &&
	grep -q "^potemkin-clone: loading the snapshot: " err &&
	test_wait_for 10 no_leftovers
'

test_done
