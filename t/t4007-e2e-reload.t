#!/usr/bin/env bash
# Reload with a broken policy: the errors are reported with their places, the
# running policy stays in force, and live clones are untouched.  A good
# policy then replaces it.
test_description='reload with a broken policy keeps the old one'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

test_expect_success 'a farm and a clone' '
	e2e_up &&
	farm_in curl -sS -m 20 --interface 203.0.113.19 http://198.51.100.70/ | grep potemkin &&
	vm=$(e2e_vm_of 198.51.100.70) && test -n "$vm"
'

test_expect_success 'a broken policy is refused, with its located errors' '
	cp "$FARM_POLICY" good.policy &&
	printf "farm 198.51.100.0/24\ninbound bnid\nidle soon\n" >"$FARM_POLICY" &&
	farm_ctl reload | grep "reload requested" &&
	test_wait_for 10 "grep -q \"has errors; the running policy stays\" gateway.log" &&
	grep "farm.policy:2:9: " gateway.log &&
	grep "farm.policy:3:6: " gateway.log &&
	farm_ctl --json stats | grep "\"reload_failures\":1"
'

test_expect_success 'the old policy is still in force, the clone untouched' '
	test "$(farm_events reload)" = 0 &&
	test "$(e2e_vm_of 198.51.100.70)" = "$vm" &&
	farm_in curl -sS -m 10 --interface 203.0.113.19 http://198.51.100.70/ | grep potemkin &&
	farm_in curl -sS -m 20 --interface 203.0.113.19 http://198.51.100.71/ | grep potemkin &&
	test "$(farm_events bind)" = 2
'

test_expect_success 'a good policy is then swapped in, the clone still there' '
	sed "s/^idle 3s/idle 1m/" good.policy >"$FARM_POLICY" &&
	kill -HUP "$FARM_GATEWAY_PID" &&
	farm_wait_event 10 reload &&
	test "$(e2e_vm_of 198.51.100.70)" = "$vm" &&
	farm_in curl -sS -m 10 --interface 203.0.113.19 http://198.51.100.70/ | grep potemkin
'

test_expect_success 'stopping the gateway leaves nothing behind' '
	farm_gateway_stop && test_wait_for 5 e2e_nothing_left
'

test_done
