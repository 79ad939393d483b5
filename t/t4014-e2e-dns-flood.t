#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The DNS proxy under a flood.  One clone fires questions as fast as it
# can; the proxy asks the resolver at the clone's rate and counts the rest,
# and another clone's lookup is still answered.  The questions that reach
# the resolver leave from the gateway's own random ports, never the clone's.
test_description='DNS proxy: a flooding clone stays at its rate'
E2E_REQUIRE="HPING3"
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

# A question for flood.example, type A: the payload hping3 sends.
question() {
	printf '\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05flood\x07example\x00\x00\x01\x00\x01'
}

test_expect_success 'a farm with two clones and a sniffer' '
	e2e_up && farm_sniff_start &&
	farm_in curl -sS -m 30 --interface 203.0.113.10 http://198.51.100.7/ >/dev/null &&
	farm_in curl -sS -m 30 --interface 203.0.113.11 http://198.51.100.8/ >/dev/null &&
	vm1=$(e2e_vm_of 198.51.100.7) && test -n "$vm1" &&
	vm2=$(e2e_vm_of 198.51.100.8) && test -n "$vm2"
'

test_expect_success 'one clone floods the proxy for two seconds' '
	question >q.bin &&
	{ ip netns exec "pk$vm1" timeout 2 hping3 --udp -p 53 -s 40000 -k --faster \
		-E q.bin -d "$(wc -c <q.bin)" 192.0.2.1 >/dev/null 2>&1 || :; } &&
	test "$(e2e_stat dns_limited)" -gt 100 &&
	asked=$(e2e_stat dns_questions) &&
	test "$asked" -ge 20 && test "$asked" -le 80
'

test_expect_success 'the other clone is still answered' '
	ip netns exec "pk$vm2" busybox nslookup -type=a evil.example 192.0.2.1 >dns 2>&1 &&
	grep "192.0.2.66" dns
'

test_expect_success 'the questions left from the gateway, none with the clone'"'"'s port' '
	farm_sniff_stop &&
	test "$(farm_sniffed "src host $FARM_GW_EXT and dst host $FARM_RESOLVER and udp dst port 53")" -gt 0 &&
	test "$(farm_sniffed "udp src port 40000")" = 0 &&
	farm_escaped >escaped &&
	test_must_fail test -s escaped
'

test_expect_success 'stopping the gateway leaves nothing behind' '
	farm_gateway_stop && test_wait_for 10 e2e_nothing_left
'

test_done
