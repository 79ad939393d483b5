#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The operator's side of a running gateway: potemkin-ctl's commands and
# their errors, JSON for every listing, the control socket's mode, events to
# a FIFO, and SIGUSR1 reopening it.
test_description='potemkin-ctl, events FIFO and SIGUSR1'
E2E_REQUIRE=JQ
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

FARM_EVENTS=$TRASH/events.fifo

# Has process $1 the FIFO open yet?
has_open() {
	ls -l "/proc/$1/fd" 2>/dev/null | grep -q "$TRASH/events.fifo"
}

test_expect_success 'a farm whose gateway writes events to a FIFO' '
	mkfifo events.fifo &&
	{ cat <>events.fifo >>events.jsonl & } &&
	test_atexit "kill $! 2>/dev/null" &&
	test_wait_for 5 "has_open $!" &&
	e2e_up &&
	farm_wait_event 5 start
'

test_expect_success 'the control socket is mode 0600' '
	test "$(stat -c %a "$FARM_CTL_SOCKET")" = 600
'

test_expect_success 'the worker gave up root, keeping only CAP_NET_ADMIN, in an empty root, filtered' '
	worker=$(pgrep -P "$FARM_GATEWAY_PID" -f potemkin-gateway) &&
	grep -E "^Uid:\s+$(id -u nobody)\s" "/proc/$worker/status" &&
	grep -E "^CapEff:\s+0000000000001000$" "/proc/$worker/status" &&
	grep -E "^CapPrm:\s+0000000000001000$" "/proc/$worker/status" &&
	grep -E "^NoNewPrivs:\s+1$" "/proc/$worker/status" &&
	test_must_fail ls -d /tmp/potemkin-root.* &&
	if ! grep -q "sanitized build: the worker runs without" "$FARM_DIR/gateway.log"; then
		ls -A "/proc/$worker/root/" >root-files &&
		test_must_fail test -s root-files &&
		readlink "/proc/$worker/root" | grep -q "^/tmp/potemkin-root\..* (deleted)$" &&
		grep -E "^Seccomp:\s+2$" "/proc/$worker/status"
	fi &&
	grep -E "^Uid:\s+0\s" "/proc/$FARM_GATEWAY_PID/status"
'

test_expect_success 'bind ADDRESS makes a clone now, in a universe of its own' '
	farm_ctl bind 198.51.100.90 | grep "clone requested" &&
	farm_wait_event 20 bind ".potemkin.addr == \"198.51.100.90\"" &&
	farm_ctl universes | grep -E " operator +- +- +1 " &&
	op=$(e2e_vm_of 198.51.100.90) && test -n "$op"
'

test_expect_success 'flows shows the cached flow of a conversation' '
	farm_in curl -sS -m 20 --interface 203.0.113.23 http://198.51.100.91/ | grep potemkin &&
	farm_ctl flows 10 | grep -E "^in +6 +203\.0\.113\.23:[0-9]+ +198\.51\.100\.91:80 +deliver"
'

test_expect_success 'pcap is off by default: a conversation later, nothing captured' '
	test "$(e2e_stat pcap_written)" = 0 &&
	test "$(e2e_stat pcap_dropped)" = 0
'

test_expect_success 'every listing is one line of valid JSON' '
	for c in status stats vms universes "flows 5"; do
		farm_ctl --json $c >reply &&
		test "$(wc -l <reply)" = 1 &&
		jq -e ".ok == true" reply >/dev/null || return 1
	done &&
	farm_ctl --json stats | jq -e ".queue_in_full_dropped >= 0 and .table_bytes > 0"
'

test_expect_success 'infected VM REASON marks it, with the reason' '
	vm=$(e2e_vm_of 198.51.100.91) &&
	farm_ctl infected "$vm" caught in the act | grep "marked infected" &&
	farm_wait_event 5 infected ".potemkin.vm == $vm and .event.reason == \"caught in the act\""
'

test_expect_success 'freeze VM preserves it as evidence and reclaims it' '
	farm_ctl freeze "$vm" | grep freezing &&
	farm_wait_event 5 freeze ".potemkin.vm == $vm" &&
	test_wait_for 20 "ls -d state/evidence/$vm-* >/dev/null 2>&1" &&
	test_wait_for 20 "grep -q \"freeze: evidence in\" gateway.log" &&
	test_wait_for 10 "! test -d state/vms/$vm"
'

test_expect_success 'teardown VM reclaims it at once' '
	farm_ctl bind 198.51.100.93 | grep "clone requested" &&
	farm_wait_event 20 bind ".potemkin.addr == \"198.51.100.93\"" &&
	op=$(e2e_vm_of 198.51.100.93) && test -n "$op" &&
	farm_ctl teardown "$op" | grep "tearing down" &&
	farm_wait_event 5 reclaim ".potemkin.vm == $op and .event.reason == \"operator\"" &&
	test_wait_for 10 "! test -d state/vms/$op"
'

test_expect_success 'refusals: their reason and exit 1' '
	test_expect_code 1 farm_ctl teardown 9999 2>err &&
	grep "no such clone" err &&
	test_expect_code 1 farm_ctl bind 192.0.2.1 2>err &&
	grep "outside the farm" err &&
	test_expect_code 1 farm_ctl bind not-an-address 2>err &&
	grep "usage: bind" err &&
	test_expect_code 1 farm_ctl frobnicate 2>err &&
	grep "unknown command" err &&
	test_expect_code 1 farm_ctl --json teardown 9999 >reply &&
	jq -e ".ok == false and (.error | test(\"no such clone\"))" reply
'

# The readers open their FIFO read-write: it then has a reader at once, and
# the gateway's non-blocking open for writing never finds it without one.
test_expect_success 'SIGUSR1 reopens the events FIFO' '
	mv events.fifo events.old && mkfifo events.fifo &&
	{ cat <>events.fifo >events2.jsonl & } &&
	test_atexit "kill $! 2>/dev/null" &&
	test_wait_for 5 "has_open $!" &&
	kill -USR1 "$FARM_GATEWAY_PID" &&
	test_wait_for 10 "farm_ctl reload >/dev/null && grep -q reload events2.jsonl"
'

test_expect_success 'stopping the gateway leaves nothing behind' '
	farm_gateway_stop && test_wait_for 10 e2e_nothing_left
'

test_done
