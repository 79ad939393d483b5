#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# A real infected host's outbound scan, replayed from inside a honeypot: the
# 632 SYNs that 192.168.2.16 sent to 136 Internet addresses in
# slips_test7-malicious.pcap, their source rewritten to the clone and their
# destinations moved into 10.0.0.0/8 (routed towards the Internet namespace,
# so that anything let out would be seen there).  Nothing may escape.
test_description='slips_test7 outbound SYNs from a clone: zero escape'
E2E_REQUIRE="TCPREPLAY TRACES"
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

traces=$(test_traces_dir)

test_expect_success 'a farm, its gateway and a sniffer come up' '
	e2e_up &&
	ip route add 10.0.0.0/8 via "$FARM_INET_EXT" &&
	farm_sniff_start
'

test_expect_success 'a clone for the replay' '
	farm_in curl -sS -m 20 --interface 203.0.113.16 http://198.51.100.40/ | grep potemkin &&
	vm=$(e2e_vm_of 198.51.100.40) && test -n "$vm"
'

test_expect_success 'the capture: its outbound SYNs, rewritten to come from the clone' '
	tcpdump -r "$traces/slips_test7-malicious.pcap" -w syns.pcap \
		"src host 192.168.2.16 and tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0" &&
	test "$(tcpdump -n -r syns.pcap 2>/dev/null | wc -l)" = 632 &&
	vmac=$(ip netns exec "pk$vm" cat /sys/class/net/eth0/address) &&
	hmac=$(cat /sys/class/net/pk$vm/address) &&
	tcprewrite --infile=syns.pcap --outfile=replay.pcap \
		--srcipmap=192.168.2.16/32:198.51.100.40/32 \
		--dstipmap=0.0.0.0/0:10.0.0.0/8 \
		--enet-smac="$vmac" --enet-dmac="$hmac" --fixcsum &&
	test "$(tcpdump -n -r replay.pcap src host 198.51.100.40 2>/dev/null | wc -l)" = 632
'

test_expect_success 'replayed out of the clone, every SYN reaches the gateway' '
	before=$(e2e_stat out_packets) &&
	passed_before=$(e2e_stat passed) &&
	ip netns exec "pk$vm" tcpreplay -q -i eth0 --mbps=20 replay.pcap &&
	test_wait_for 20 "test \$(( \$(e2e_stat out_packets) - $before )) -ge 632"
'

test_expect_success 'none was passed' '
	test "$(e2e_stat passed)" = "$passed_before"
'

test_expect_success 'telnet ones were reflected, the rest dropped and reported' '
	test "$(e2e_stat reflected)" -gt 0 &&
	test "$(e2e_stat dropped)" -gt 0 &&
	farm_wait_event 10 contain ".potemkin.vm == $vm"
'

test_expect_success 'the sniffer saw nothing from the farm but replies' '
	farm_sniff_stop &&
	test "$(farm_sniffed "dst net 10.0.0.0/8")" = 0 &&
	farm_escaped >escaped &&
	test_must_fail test -s escaped
'

test_expect_success 'stopping the gateway leaves nothing behind' '
	farm_gateway_stop && test_wait_for 5 e2e_nothing_left
'

test_done
