#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Fail-closed: a clone floods outward; the gateway is killed with SIGKILL;
# with nobody listening on queue 1 nothing the clone sends gets out.  A new
# gateway starts over the stale control socket and works again, and the
# orphaned clone it knows nothing of stays contained.
test_description='kill -9 the gateway: zero escape, then a restart works'
E2E_REQUIRE=HPING3
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

test_expect_success 'a farm, its gateway and a sniffer come up' '
	e2e_up && farm_sniff_start
'

test_expect_success 'a clone starts flooding outward' '
	farm_in curl -sS -m 20 --interface 203.0.113.17 http://198.51.100.60/ | grep potemkin &&
	vm=$(e2e_vm_of 198.51.100.60) && test -n "$vm" &&
	{ ip netns exec "pk$vm" hping3 --flood -q -S -p 25 203.0.113.200 >/dev/null 2>&1 & } &&
	flood=$! &&
	test_atexit "kill $flood 2>/dev/null" &&
	test_wait_for 10 "test \$(e2e_stat out_packets) -gt 1000"
'

# hping3 exits 1 when nothing answers, which is the point here: what it sent
# is counted by a rule of our own on the clone's interface instead.
sent_by_clone() {
	iptables-save -c -t raw | grep -- "-i pk$vm -p tcp" | sed "s/^\[\([0-9]*\):.*/\1/"
}

test_expect_success 'kill -9 the gateway in the middle of it' '
	iptables -t raw -I PREROUTING 1 -i "pk$vm" -p tcp --dport 25 &&
	kill -KILL "$FARM_GATEWAY_PID" &&
	{ wait "$FARM_GATEWAY_PID" 2>/dev/null; FARM_GATEWAY_PID=; } &&
	test_wait_for 5 "! pgrep -f \"potemkin-gateway -d -c $FARM_DIR\"" &&
	before=$(sent_by_clone) &&
	{ ip netns exec "pk$vm" hping3 -q -S -p 25 -c 2000 -i u200 203.0.113.200 >/dev/null 2>&1; true; } &&
	test $(( $(sent_by_clone) - before )) -ge 2000
'

test_expect_success 'nothing the clone sent got out' '
	test "$(farm_sniffed "dst host 203.0.113.200")" = 0 &&
	farm_escaped >escaped &&
	test_must_fail test -s escaped
'

test_expect_success 'a new gateway starts over the stale socket and binds again' '
	test -S "$FARM_CTL_SOCKET" &&
	farm_gateway_start &&
	farm_in curl -sS -m 20 --interface 203.0.113.18 http://198.51.100.61/ | grep potemkin
'

test_expect_success 'the orphaned clone is still contained, and counted' '
	{ ip netns exec "pk$vm" hping3 -q -S -p 25 -c 500 -i u500 203.0.113.200 >/dev/null 2>&1; true; } &&
	test_wait_for 5 "test \$(e2e_stat unknown_clone) -ge 500" &&
	kill "$flood" &&
	farm_sniff_stop &&
	test "$(farm_sniffed "dst host 203.0.113.200")" = 0
'

test_expect_success 'after the gateway and a sweep of its clones, nothing is left' '
	farm_gateway_stop &&
	potemkin-teardown -c "$FARM_DIR/vmm.conf" --all &&
	test_wait_for 5 e2e_nothing_left
'

test_done
