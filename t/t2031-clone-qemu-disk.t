#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The qemu backend with a disk, under TCG: a Debian guest built by
# potemkin-mkimage --disk, its snapshot (memory, and the disk delta the
# reference wrote), three clones each writing to a disk of its own over
# SSH, a freeze that keeps what one wrote, teardown that removes the rest,
# and an image changed under its snapshot.
test_description='clone tools: qemu backend, a Debian guest on a disk'
. "$(dirname "$0")/lib/test-lib.sh"
test_require ROOT NETNS QEMU TUN CURL SOCAT
. "$TEST_DIRECTORY/lib/disk.sh"
. "$TEST_DIRECTORY/lib/cage.sh"
disk_image
test_isolate
cage_setup

cat >vmm.conf <<CONF
statedir = "$TRASH/state";
memdir = "$TRASH/mem";
cgroup = "$CAGE_CGROUP";
types = {
  deb = {
    backend = "qemu";
    kernel = "$DISK_IMAGE/vmlinuz";
    initrd = "$DISK_IMAGE/initrd.img";
    disk = "$TRASH/image/disk.qcow2";
    memory = 256;
    tcg_buffer = 32;
    accel = "tcg";
    ready_timeout = "300s";
    hostname = "files-2";
  };
};
CONF
export POTEMKIN_VMM_CONF=$TRASH/vmm.conf
# Run CMD on clone $1 over SSH through its pk<ID>: every clone has the
# same address, so the connection is bound to the interface (ssh's own
# BindInterface binds to the interface's address only).
on_clone() {
	local id=$1
	shift
	disk_ssh -o "ProxyCommand=socat - TCP:10.0.2.15:22,so-bindtodevice=pk$id" \
		10.0.2.15 "$@"
}
test_atexit 'potemkin-teardown -a; kill -KILL $(cage_procs) 2>/dev/null'

# The image under test is a copy, so that changing it below leaves the
# cached one alone; cp keeps it sparse.
test_expect_success 'potemkin-mkimage --disk built the guest; a rerun reuses it' '
	test -s "$DISK_IMAGE/vmlinuz" && test -s "$DISK_IMAGE/initrd.img" &&
	qemu-img info "$DISK_IMAGE/disk.qcow2" >info &&
	grep -q "^file format: qcow2" info &&
	potemkin-mkimage --disk -l "$DISK_USER:$DISK_PASSWORD" "$DISK_IMAGE" 2>again &&
	grep -q "^potemkin-mkimage: up to date: $DISK_IMAGE/disk.qcow2" again &&
	mkdir image && cp --sparse=always "$DISK_IMAGE/disk.qcow2" image/
'

test_expect_success 'potemkin-snapshot boots Debian and saves memory and disk' '
	potemkin-snapshot deb 2>progress &&
	grep -q "snapshot saved in $TRASH/state/snapshots/deb" progress &&
	qemu-img info state/snapshots/deb/disk.qcow2 >snapinfo &&
	grep -q "^backing file: $TRASH/image/disk.qcow2" snapinfo &&
	qemu-img info state/snapshots/deb/clone.qcow2 >blankinfo &&
	grep -q "^backing file: $TRASH/state/snapshots/deb/disk.qcow2" blankinfo &&
	test "$(stat -c "%U %a" state/snapshots/deb/disk.qcow2)" = "root 640" &&
	! test -e state/snapshots/deb/reference &&
	test "$(cage_qemus)" = 0
'

# Its first connection too: a snapshot taken before the web server
# listened would make clones that refuse it.
test_expect_success 'three clones, each with its own overlay over the snapshot' '
	for i in 1 2 3; do
		potemkin-clone -t deb >c$i &&
		curl -sS --max-time 30 --interface pk$(cage_field id <c$i) \
			-o /dev/null http://10.0.2.15/ || return 1
	done &&
	for i in 1 2 3; do
		id=$(cage_field id <c$i) &&
		qemu-img info -U state/vms/$id/disk.qcow2 >i$i &&
		grep -q "^backing file: $TRASH/state/snapshots/deb/disk.qcow2" i$i &&
		test "$(stat -c %u state/vms/$id/disk.qcow2)" = "$CAGE_IDS" || return 1
	done
'

test_expect_success 'its QEMU can write its own overlay and nothing under it; tcg_buffer' '
	pid=$(cage_field pid <c1) &&
	printf "%s\n" base.qcow2 bin dev disk.qcow2 etc kernel lib lib32 lib64 \
		memory sbin snap.qcow2 usr >want &&
	ls -A /proc/$pid/root >root &&
	test_cmp want root &&
	! touch /proc/$pid/root/base.qcow2 2>/dev/null &&
	! touch /proc/$pid/root/snap.qcow2 2>/dev/null &&
	tr "\0" " " </proc/$pid/cmdline >args &&
	grep -q " root=/dev/vda rw " args &&
	grep -q " -accel tcg,tb-size=32 " args &&
	cage_limits pk$(cage_field id <c1) >limits &&
	grep -qx "memory $(( (256 + 56 + 32) * 1048576 ))" limits
'

test_expect_success 'an attacker logs in over SSH: Debian, the type'"'"'s host name' '
	on_clone $(cage_field id <c1) "uname -sr; hostname; cat /etc/debian_version" >who &&
	grep -q "^Linux 6\." who &&
	grep -qx "files-2" who &&
	grep -Eq "^12\.[0-9]+" who &&
	curl -sS --max-time 30 --interface pk$(cage_field id <c1) http://10.0.2.15/ >page &&
	grep -qi "lighttpd" page
'

# What the farm's policy opens for the type: each port answers a handshake.
test_expect_success 'it serves SSH, telnet, HTTP and SMB' '
	for p in 22 23 80 139 445; do
		socat -T 5 - TCP:10.0.2.15:$p,so-bindtodevice=pk$(cage_field id <c1),connect-timeout=10 \
			</dev/null >/dev/null || { echo "port $p: no answer"; return 1; }
	done
'

test_expect_success 'each clone writes a file; each sees only its own' '
	for i in 1 2 3; do
		on_clone $(cage_field id <c$i) "echo written-by-clone-$i >note-$i; sync" ||
			return 1
	done &&
	for i in 1 2 3; do
		on_clone $(cage_field id <c$i) "cat note-*" >saw$i &&
		echo written-by-clone-$i >want$i &&
		test_cmp want$i saw$i || return 1
	done
'

test_expect_success 'the writes are in the clones'"'"' overlays, not below' '
	for i in 1 2 3; do
		grep -qa written-by-clone-$i state/vms/$(cage_field id <c$i)/disk.qcow2 ||
			return 1
	done &&
	! grep -qa written-by-clone- state/snapshots/deb/disk.qcow2 &&
	! grep -qa written-by-clone- image/disk.qcow2
'

test_expect_success 'freeze keeps the clone'"'"'s writes as a qcow2 overlay' '
	id=$(cage_field id <c2) &&
	potemkin-freeze $id >evpath &&
	ev=$(cat evpath) &&
	qemu-img info "$ev/disk.qcow2" >evinfo &&
	grep -q "^file format: qcow2" evinfo &&
	grep -q "^backing file: $TRASH/state/snapshots/deb/disk.qcow2" evinfo &&
	grep -qa written-by-clone-2 "$ev/disk.qcow2" &&
	! grep -qa written-by-clone-1 "$ev/disk.qcow2" &&
	grep -q "^disk.qcow2: what the clone wrote" "$ev/MANIFEST" &&
	! test -e state/vms/$id
'

test_expect_success 'teardown removes the overlays; the snapshot stays' '
	potemkin-teardown $(cage_field id <c1) $(cage_field id <c3) &&
	! test -e state/vms/$(cage_field id <c1) &&
	! test -e state/vms/$(cage_field id <c3) &&
	test_wait_for 10 "test \"\$(cage_qemus)\" = 0" &&
	test -s state/snapshots/deb/disk.qcow2 &&
	cage_no_leftovers
'

test_expect_success 'an image changed under its snapshot: no clone, nothing left' '
	touch image/disk.qcow2 &&
	test_must_fail potemkin-clone -t deb >rec 2>err &&
	grep -q "changed since the snapshot was made on it (run potemkin-snapshot -f deb)" err &&
	test_must_fail test -s rec &&
	test -z "$(ls state/vms)" &&
	cage_no_leftovers
'

test_expect_success 'a missing image: the snapshot says so and keeps the old one' '
	mv image/disk.qcow2 image/moved.qcow2 &&
	test_must_fail potemkin-snapshot -f deb 2>err &&
	grep -q "disk $TRASH/image/disk.qcow2 (potemkin-mkimage --disk builds it)" err &&
	test -s state/snapshots/deb/disk.qcow2 &&
	! test -e state/snapshots/deb/disk.qcow2.new &&
	test "$(cage_qemus)" = 0 &&
	cage_no_leftovers
'

test_done
