#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Spoofed sources end to end.  SYNs "from" private, shared and link-local
# addresses (routed back out of the external interface, so that the reverse
# path check lets them through and the gateway itself must refuse them)
# make no clone, and a bound clone under a policy that passes everything
# still sends nothing towards such addresses: a sniffer in the Internet
# namespace, which the gateway host routes them to, sees none of it.
test_description='special-purpose sources and destinations'
E2E_REQUIRE="HPING3"
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

SPOOFED="10.1.2.3 100.64.0.1 169.254.169.254"

test_expect_success 'a farm, its gateway and a sniffer come up' '
	e2e_up &&
	ip route add 10.0.0.0/8 via "$FARM_INET_EXT" &&
	ip route add 100.64.0.0/10 via "$FARM_INET_EXT" &&
	ip route add 169.254.169.254/32 via "$FARM_INET_EXT" &&
	farm_sniff_start
'

test_expect_success 'spoofed SYNs from special-purpose sources make no clone' '
	for s in $SPOOFED; do
		# hping3 exits 1 when nothing answers, which is the point here
		{ farm_in hping3 -q -S -p 80 -c 3 -i u20000 -a "$s" 198.51.100.7 \
			>/dev/null 2>&1 || :; }
	done &&
	test_wait_for 10 "test \"\$(e2e_stat special_source)\" -ge 9" &&
	test "$(farm_events bind)" = 0
'

test_expect_success 'a source the host would not route back is dropped by the kernel' '
	before=$(e2e_stat in_packets) &&
	{ farm_in hping3 -q -S -p 80 -c 3 -i u20000 -a 172.16.9.9 198.51.100.7 \
		>/dev/null 2>&1 || :; } &&
	iptables -t raw -L POTEMKIN-PREROUTING -v -x -n | awk "/rpfilter/ { n += \$1 } END { exit !(n >= 3) }" &&
	test "$(e2e_stat in_packets)" = "$before"
'

# The example's clones go idle after 3s: each step below binds its clone anew.
clone_now() {
	farm_in curl -sS -m 30 --interface 203.0.113.10 http://198.51.100.7/ >page &&
	vm=$(e2e_vm_of 198.51.100.7) && test -n "$vm"
}

test_expect_success 'under a policy passing everything, a clone reaches none of them' '
	sed -i "s/^outbound pass reply within 10m\$/outbound pass/" "$FARM_POLICY" &&
	grep -x "outbound pass" "$FARM_POLICY" &&
	kill -HUP "$FARM_GATEWAY_PID" &&
	farm_wait_event 10 reload &&
	clone_now &&
	for d in $SPOOFED; do
		{ ip netns exec "pk$vm" busybox timeout 2 busybox nc "$d" 80 </dev/null \
			>/dev/null 2>&1 || :; }
	done &&
	test_wait_for 10 "test \"\$(e2e_stat special_dest)\" -ge 3"
'

test_expect_success 'control: the same policy lets a clone reach an ordinary address' '
	clone_now &&
	{ ip netns exec "pk$vm" busybox timeout 2 busybox nc 203.0.113.20 80 </dev/null \
		>/dev/null 2>&1 || :; } &&
	test_wait_for 10 "tcpdump -n -r $FARM_DIR/sniff.pcap \"src net 198.51.100.0/24 and dst host 203.0.113.20\" 2>/dev/null | grep -q ."
'

test_expect_success 'the sniffer saw nothing towards a special-purpose address' '
	farm_sniff_stop &&
	test "$(farm_sniffed "dst net 10.0.0.0/8 or dst net 100.64.0.0/10 or dst host 169.254.169.254")" = 0
'

test_expect_success 'stopping the gateway leaves nothing behind' '
	farm_gateway_stop && test_wait_for 10 e2e_nothing_left
'

test_done
