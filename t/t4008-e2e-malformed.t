#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Malformed packets on both queues: truncated and contradictory transport
# headers, fragments of every shape, ICMP errors quoting garbage, IP options,
# sent from the Internet to the farm and from inside a clone outward.  The
# gateway survives (CI reruns this against the sanitized build), counts
# them, and lets nothing out.
test_description='malformed packets on both queues'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

inject="$SRC_ROOT/t/helpers/gw-inject"

test_expect_success 'a farm, its gateway, a clone and a sniffer' '
	e2e_up &&
	farm_in curl -sS -m 20 --interface 203.0.113.20 http://198.51.100.80/ | grep potemkin &&
	vm=$(e2e_vm_of 198.51.100.80) && test -n "$vm" &&
	farm_sniff_start
'

test_expect_success 'inbound: odd packets to a bound and an unbound address' '
	gwmac=$(cat /sys/class/net/ext0/address) &&
	farm_in "$inject" -n 3000 -S 1 eth0 "$gwmac" 203.0.113.20 198.51.100.80 &&
	farm_in "$inject" -n 3000 -S 2 eth0 "$gwmac" 203.0.113.21 198.51.100.81
'

test_expect_success 'outbound: odd packets from inside the clone' '
	hmac=$(cat /sys/class/net/pk$vm/address) &&
	ip netns exec "pk$vm" "$inject" -n 3000 -S 3 eth0 "$hmac" 198.51.100.80 203.0.113.20 &&
	ip netns exec "pk$vm" "$inject" -n 3000 -S 4 eth0 "$hmac" 198.51.100.80 203.0.113.222
'

test_expect_success 'the gateway is alive, answering, and counted them' '
	farm_ctl status >/dev/null &&
	kill -0 "$FARM_GATEWAY_PID" &&
	test_wait_for 10 "test \$(( \$(e2e_stat malformed) + \$(e2e_stat fragments_dropped) )) -gt 100"
'

test_expect_success 'the clone still works' '
	farm_in curl -sS -m 10 --interface 203.0.113.20 http://198.51.100.80/ | grep potemkin
'

test_expect_success 'nothing reached the Internet but replies to the attacker' '
	farm_sniff_stop &&
	test "$(farm_sniffed "dst host 203.0.113.222")" = 0 &&
	farm_escaped >escaped &&
	test_must_fail test -s escaped
'

test_expect_success 'stopping the gateway leaves nothing behind' '
	farm_gateway_stop && test_wait_for 5 e2e_nothing_left
'

test_done
