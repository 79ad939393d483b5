#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The reply scope end to end.  Under "reply conversation within", a clone
# the attacker reached on port 80 answers on port 80 and cannot open a
# connection of its own back to the attacker; under the wide "reply
# within" it can, which the sniffer in the Internet namespace sees.
test_description='reply conversation within: the peer'"'"'s conversation only'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

# The example's clones go idle after 3s: each step binds its clone anew.
clone_now() {
	farm_in curl -sS -m 30 --interface 203.0.113.10 http://198.51.100.7/ >page &&
	grep -q . page &&
	vm=$(e2e_vm_of 198.51.100.7) && test -n "$vm"
}

# The clone connects back to the attacker's port 2222 (a listener there).
connect_back() {
	{ ip netns exec "pk$vm" busybox timeout 2 busybox nc 203.0.113.10 2222 \
		</dev/null >/dev/null 2>&1 || :; }
}

back_seen() {
	test_wait_for "$1" "tcpdump -n -r $FARM_DIR/sniff.pcap \"src net 198.51.100.0/24 and dst host 203.0.113.10 and dst port 2222\" 2>/dev/null | grep -q ."
}

test_expect_success 'a farm answering only conversations, and a sniffer' '
	e2e_up &&
	sed -i "s/^outbound pass reply within 10m\$/outbound pass reply conversation within 10m/" \
		"$FARM_POLICY" &&
	grep -x "outbound pass reply conversation within 10m" "$FARM_POLICY" &&
	kill -HUP "$FARM_GATEWAY_PID" &&
	farm_wait_event 10 reload &&
	farm_sniff_start
'

test_expect_success 'the attacker gets its page: the conversation is answered' '
	clone_now &&
	grep -q "potemkin honeypot" page
'

test_expect_success 'the clone cannot connect back to the attacker' '
	clone_now &&
	connect_back &&
	test_must_fail back_seen 3
'

test_expect_success 'control: under "reply within" it can' '
	sed -i "s/^outbound pass reply conversation within 10m\$/outbound pass reply within 10m/" \
		"$FARM_POLICY" &&
	kill -HUP "$FARM_GATEWAY_PID" &&
	test_wait_for 10 "test \$(farm_events reload) -ge 2" &&
	clone_now &&
	connect_back &&
	back_seen 10
'

test_expect_success 'stopping the gateway leaves nothing behind' '
	farm_sniff_stop &&
	farm_gateway_stop && test_wait_for 10 e2e_nothing_left
'

test_done
