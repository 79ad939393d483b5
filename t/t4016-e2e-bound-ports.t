#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# An exploit that opens a bind shell: once an address is bound, its clone
# receives what its universe sends it on every port, as the host it plays
# would, while `inbound reject closed` still answers for unbound addresses
# and for the same address in another universe.
test_description='a bound address has no closed port; unbound ones do'
. "$(dirname "$0")/lib/test-lib.sh"
E2E_REQUIRE=SOCAT
# Long enough that the clone outlives the test's pauses: every step below
# must meet the clone the first one made.
FARM_IDLE=5m
. "$TEST_DIRECTORY/lib/e2e.sh"

rejected() { farm_ctl --json stats | grep -o '"rejected":[0-9]*' | cut -d: -f2; }

# The bind shell an exploit would open in clone $1, on port 4444.
start_shell() {
	ip netns exec "pk$1" socat TCP-LISTEN:4444,reuseaddr,fork SYSTEM:"echo bound-shell" \
		</dev/null >/dev/null 2>shell.err 3>&- 4>&- &
	echo $! >shell.pid
}

test_expect_success 'a farm and its gateway come up' 'e2e_up'

test_expect_success 'the attacker reaches the web service: a clone holds the address' '
	farm_in curl -sS -m 20 --interface 203.0.113.10 http://198.51.100.7/ | grep potemkin &&
	vm=$(e2e_vm_of 198.51.100.7) &&
	test -n "$vm"
'

test_expect_success 'the exploit opens a shell on a port the type does not serve' '
	start_shell "$vm" &&
	test_wait_for 10 "ip netns exec pk$vm ss -ltn | grep -q :4444"
'

test_expect_success 'the attacker connects to it through the gateway' '
	before=$(rejected) &&
	farm_in socat -T 5 - TCP:198.51.100.7:4444,bind=203.0.113.10,connect-timeout=10 \
		</dev/null >shell &&
	grep -x bound-shell shell &&
	test "$(rejected)" = "$before"
'

test_expect_success 'an unbound address still gets the gateway RST, and no clone' '
	before=$(rejected) &&
	test_must_fail farm_in socat -T 5 - TCP:198.51.100.8:4444,bind=203.0.113.10,connect-timeout=5 \
		</dev/null 2>err &&
	grep -i "refused" err &&
	test "$(rejected)" -gt "$before" &&
	test -z "$(e2e_vm_of 198.51.100.8)"
'

test_expect_success 'so does the bound address for a source of another universe' '
	test "$(e2e_vm_of 198.51.100.7)" = "$vm" &&
	before=$(rejected) &&
	test_must_fail farm_in socat -T 5 - TCP:198.51.100.7:4444,bind=203.0.113.11,connect-timeout=5 \
		</dev/null 2>err &&
	grep -i "refused" err &&
	test "$(rejected)" -gt "$before"
'

test_expect_success 'stopping the gateway leaves nothing behind' '
	{ kill "$(cat shell.pid)" 2>/dev/null || :; } &&
	farm_gateway_stop &&
	test_wait_for 10 e2e_nothing_left
'

test_done
