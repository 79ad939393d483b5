#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Each captured clone's traffic in pcap files: both views of an HTTP fetch,
# read back by tcpdump from the evidence folder after a freeze; rotation
# within max_size and files; teardown removing a capture, or keeping it;
# a capture directory others could write refused.
test_description='pcap per clone: views, freeze, rotation, teardown, keep'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

FARM_IDLE=60s
PCAP=$TRASH/pcap
FARM_GATEWAY_EXTRA="pcap = { types = [ \"web\" ]; directory = \"$PCAP\";
	max_size = \"16K\"; files = 3; };"

# Files of view $2 ("clone" or "outside") in directory $1, one a line.
views() {
	ls "$1" | grep "^$2\.pcap"
}

# Every file in $1 within $2 bytes, and at most $3 of each view.
within_bounds() {
	local f v
	for f in "$1"/*; do
		test "$(stat -c %s "$f")" -le "$2" || { echo "$f: over $2 bytes"; return 1; }
	done
	for v in clone outside; do
		test "$(views "$1" $v | wc -l)" -le "$3" || { echo "$1: too many $v files"; return 1; }
	done
}

test_expect_success 'a farm that captures its web clones' '
	e2e_up &&
	head -c 300000 /dev/urandom >www/big.bin
'

test_expect_success 'an attacker fetches a page: the clone has both views open' '
	farm_in curl -sS -m 20 --interface 203.0.113.11 http://198.51.100.91/ | grep potemkin &&
	vm=$(e2e_vm_of 198.51.100.91) && test -n "$vm" &&
	test -f "pcap/$vm/clone.pcap" &&
	test -f "pcap/$vm/outside.pcap"
'

test_expect_success 'freeze moves both views into the evidence folder; tcpdump reads them' '
	farm_ctl freeze "$vm" | grep freezing &&
	test_wait_for 20 "grep -q \"freeze: evidence in\" gateway.log" &&
	ev=$(ls -d state/evidence/$vm-*) &&
	test_must_fail test -e "pcap/$vm" &&
	test_must_fail test -e "pcap/.freeze-$vm" &&
	grep "clone.pcap, outside.pcap" "$ev/MANIFEST" &&
	tcpdump -n -r "$ev/clone.pcap" >clone.txt &&
	grep "IP 203\.0\.113\.11\.[0-9]* > 198\.51\.100\.91\.80: Flags \[S\]" clone.txt &&
	grep "IP 198\.51\.100\.91\.80 > 203\.0\.113\.11\.[0-9]*: Flags \[S\.\]" clone.txt &&
	tcpdump -n -A -r "$ev/clone.pcap" | grep "GET / HTTP/1.1" &&
	tcpdump -n -A -r "$ev/outside.pcap" >outside.txt &&
	grep "IP 203\.0\.113\.11\.[0-9]* > 198\.51\.100\.91\.80: Flags \[S\]" outside.txt &&
	grep "IP 198\.51\.100\.91\.80 > 203\.0\.113\.11\.[0-9]*: Flags \[P\.\]" outside.txt &&
	grep "GET / HTTP/1.1" outside.txt &&
	grep "potemkin honeypot" outside.txt
'

test_expect_success 'a capture past max_size rotates: at most files files, each within it' '
	farm_in curl -sS -m 20 --interface 203.0.113.12 -o big.out http://198.51.100.92/big.bin &&
	cmp big.out www/big.bin &&
	vm2=$(e2e_vm_of 198.51.100.92) && test -n "$vm2" &&
	views "pcap/$vm2" clone >files &&
	grep -x "clone.pcap.2" files &&
	within_bounds "pcap/$vm2" 16384 3 &&
	tcpdump -n -r "pcap/$vm2/clone.pcap.2" >rotated.txt &&
	test "$(wc -l <rotated.txt)" -gt 5 &&
	tcpdump -n -r "pcap/$vm2/outside.pcap.1" | grep "198\.51\.100\.92\.80 > 203\.0\.113\.12"
'

test_expect_success 'teardown removes the capture of a clone not frozen' '
	farm_ctl teardown "$vm2" | grep "tearing down" &&
	test_wait_for 10 "! test -e pcap/$vm2"
'

test_expect_success 'with keep, teardown keeps it as ID-TIME' '
	farm_gateway_stop &&
	sed -i "s/files = 3;/files = 3; keep = true;/" gateway.conf &&
	grep "keep = true" gateway.conf &&
	farm_gateway_start &&
	farm_in curl -sS -m 20 --interface 203.0.113.13 http://198.51.100.93/ | grep potemkin &&
	vm3=$(e2e_vm_of 198.51.100.93) && test -n "$vm3" &&
	farm_ctl teardown "$vm3" | grep "tearing down" &&
	test_wait_for 10 "ls -d pcap/$vm3-* >/dev/null 2>&1" &&
	kept=$(ls -d pcap/$vm3-*) &&
	tcpdump -n -r "$kept/clone.pcap" | grep "203\.0\.113\.13\.[0-9]* > 198\.51\.100\.93\.80: Flags \[S\]" &&
	test "$(e2e_stat pcap_errors)" = 0
'

test_expect_success 'stopping the gateway leaves only the kept capture' '
	farm_gateway_stop &&
	test_wait_for 10 e2e_nothing_left &&
	ls pcap >left &&
	echo "$(basename "$kept")" >expect &&
	test_cmp expect left
'

test_expect_success 'a capture directory others can write is refused at start' '
	chmod 777 pcap &&
	test_must_fail timeout 10 "$BIN/potemkin-gateway" -d -c gateway.conf 2>start.err &&
	grep "pcap: directory $PCAP is writable by group or others" start.err &&
	chmod 700 pcap
'

test_done
