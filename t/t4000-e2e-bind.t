#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Late binding end to end: curl from the Internet namespace to an unbound
# farm address makes a clone that answers; a second request reaches the same
# clone; after the idle timeout it is reclaimed, an event says so, and
# nothing of it is left.
test_description='curl makes a clone, reuses it, and idle reclaims it'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

test_expect_success 'a farm and its gateway come up' 'e2e_up'

test_expect_success 'curl to an unbound address gets an answer from a new clone' '
	farm_in curl -sS -m 20 --interface 203.0.113.10 http://198.51.100.7/ >page &&
	grep "potemkin honeypot" page &&
	farm_wait_event 5 bind ".potemkin.addr == \"198.51.100.7\"" &&
	test "$(farm_events bind)" = 1
'

test_expect_success 'the clone is a namespace pk<ID> holding the address, behind pk<ID>' '
	vm=$(e2e_vm_of 198.51.100.7) &&
	test -n "$vm" &&
	ip link show "pk$vm" &&
	ip netns exec "pk$vm" ip -o addr show dev eth0 | grep "inet 198.51.100.7/" &&
	ip netns exec "pk$vm" curl -sS -m 5 http://198.51.100.7/ | grep "potemkin honeypot"
'

test_expect_success 'the host itself cannot reach the clone (INPUT and queue 1 drop)' '
	test_must_fail curl -sS -m 2 --interface "pk$vm" http://198.51.100.7/
'

test_expect_success 'a second request reaches the same clone' '
	farm_in curl -sS -m 10 --interface 203.0.113.10 http://198.51.100.7/ | grep potemkin &&
	test "$(farm_events bind)" = 1 &&
	test "$(e2e_vm_of 198.51.100.7)" = "$vm"
'

test_expect_success 'potemkin-ctl shows it, in text and JSON' '
	farm_ctl vms >vms &&
	grep -E "^$vm +198\.51\.100\.7 +web .* ready +pk$vm" vms &&
	farm_ctl --json vms | grep "\"addr\":\"198.51.100.7\"" &&
	farm_ctl status | grep "clones *1 ready"
'

test_expect_success 'after the idle timeout the clone is reclaimed' '
	farm_wait_event 15 reclaim ".event.reason == \"idle\"" &&
	test_wait_for 10 "! ip link show pk$vm" &&
	test_wait_for 10 "test -z \"\$(ls $FARM_DIR/state/vms)\""
'

test_expect_success 'the address binds afresh afterwards' '
	farm_in curl -sS -m 20 --interface 203.0.113.10 http://198.51.100.7/ | grep potemkin &&
	test "$(farm_events bind)" = 2
'

test_expect_success 'stopping the gateway tears every clone down' '
	farm_gateway_stop &&
	test_wait_for 10 e2e_nothing_left &&
	! test -e "$FARM_CTL_SOCKET"
'

test_done
