#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The gateway with the qemu backend: real guest kernels under QEMU (TCG),
# cloned copy-on-write from one snapshot.  Every clone has the same guest
# address, 10.0.2.15, so the gateway rewrites addresses both ways.  Two farm
# addresses get two clones, both answer, and idle reclaim stops their QEMUs.
test_description='late binding with real QEMU guests'
E2E_REQUIRE="QEMU TUN"
E2E_GUEST=1
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

# Captured, and kept at teardown: the two views differ by the guest address.
FARM_GATEWAY_EXTRA="pcap = { types = [ \"*\" ]; directory = \"$TRASH/pcap\"; keep = true; };"

test_expect_success 'a farm with a qemu host type: reference booted, snapshot saved' '
	test -f "$FARM_GUEST_DIR/vmlinuz" &&
	e2e_up qemu &&
	ls state/snapshots/web/
'

test_expect_success 'curl to an unbound address is answered by a new guest' '
	farm_in curl -sS -m 60 --interface 203.0.113.22 http://198.51.100.7/ >page &&
	grep "It works!" page &&
	farm_wait_event 5 bind ".potemkin.addr == \"198.51.100.7\""
'

test_expect_success 'the guest holds 10.0.2.15: the gateway rewrote both ways' '
	vm=$(e2e_vm_of 198.51.100.7) && test -n "$vm" &&
	grep "guest_ip=10.0.2.15 gw_ip=10.0.2.2 ip=198.51.100.7 " "state/vms/$vm/record" &&
	farm_ctl --json vms | grep "\"guest_ip\":\"10.0.2.15\"" &&
	pgrep -f "potemkin-pk$vm" >/dev/null
'

test_expect_success 'a second address, a second guest; both answer' '
	farm_in curl -sS -m 60 --interface 203.0.113.22 http://198.51.100.8/ | grep "It works!" &&
	vm2=$(e2e_vm_of 198.51.100.8) && test -n "$vm2" && test "$vm2" != "$vm" &&
	farm_in curl -sS -m 10 --interface 203.0.113.22 http://198.51.100.7/ | grep "It works!" &&
	test "$(farm_events bind)" = 2
'

# Containment with real guests: the image's bait (potemkin-mkimage(8)) makes
# a guest look a name up and connect to two outside addresses on TCP 445.
test_expect_success 'a guest poked to spread: SMB reflected into new guests' '
	farm_sniff_start &&
	farm_in curl -sS -m 60 --interface 203.0.113.23 \
		"http://198.51.100.30/cgi-bin/spread?dns=192.0.2.1&203.0.113.101&203.0.113.102" >out &&
	grep spreading out &&
	w=$(e2e_vm_of 198.51.100.30) && test -n "$w" &&
	for a in 203.0.113.101 203.0.113.102; do
		farm_wait_event 60 reflect ".potemkin.addr == \"$a\"" &&
		farm_wait_event 60 bind ".potemkin.addr == \"$a\"" || return 1
	done &&
	farm_wait_event 10 infected ".potemkin.vm == $w"
'

test_expect_success 'its lookup went through the proxy; nothing escaped' '
	farm_wait_event 20 dns ".dns.question.name == \"update.example\"" &&
	farm_sniff_stop &&
	test "$(farm_sniffed "src host 192.0.2.1 and dst host 192.0.2.53 and udp port 53")" -gt 0 &&
	farm_escaped >escaped &&
	test_must_fail test -s escaped &&
	test "$(farm_sniffed "dst net 203.0.113.96/28")" = 0
'

test_expect_success 'idle guests are reclaimed and their QEMUs stop' '
	farm_wait_event 30 reclaim ".potemkin.addr == \"198.51.100.8\"" &&
	test_wait_for 10 "! pgrep -f \"potemkin-pk$vm \" && ! pgrep -f \"potemkin-pk$vm2 \""
'

test_expect_success 'its kept capture: 10.0.2.15 as the guest saw it, the farm address outside' '
	test_wait_for 10 "ls -d pcap/$vm-* >/dev/null 2>&1" &&
	c=$(ls -d pcap/$vm-*) &&
	tcpdump -n -r "$c/clone.pcap" >clone.txt &&
	grep "IP 203\.0\.113\.22\.[0-9]* > 10\.0\.2\.15\.80: Flags \[S\]" clone.txt &&
	grep "IP 10\.0\.2\.15\.80 > 203\.0\.113\.22\.[0-9]*: Flags \[S\.\]" clone.txt &&
	test_must_fail grep "198\.51\.100\.7\." clone.txt &&
	tcpdump -n -r "$c/outside.pcap" >outside.txt &&
	grep "IP 203\.0\.113\.22\.[0-9]* > 198\.51\.100\.7\.80: Flags \[S\]" outside.txt &&
	grep "IP 198\.51\.100\.7\.80 > 203\.0\.113\.22\.[0-9]*: Flags \[S\.\]" outside.txt &&
	test_must_fail grep "10\.0\.2\.15" outside.txt
'

test_expect_success 'stopping the gateway leaves nothing behind' '
	farm_gateway_stop && test_wait_for 10 e2e_nothing_left
'

test_done
