#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The kernel fast path's life in the gateway: with `fastpath = true` the
# worker attaches its program to the external interface and to each ready
# clone's interface, under its system call filter; a kernel that refuses
# the attachment leaves the gateway working on the queues, said in one log
# line; and after kill -9 of the gateway no program stays attached.  (What
# the fast path carries, packet by packet, is the engine side's test.)
test_description='fast path: attached by the worker, gone with it, off when the kernel refuses'
E2E_REQUIRE=TCX
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

TCX="$SRC_ROOT/t/helpers/gw-tcx-show"
FARM_GATEWAY_EXTRA='fastpath = true;'

attached() {
	"$TCX" "$1"
}

test_expect_success 'a kernel that refuses tcx: one line, and the gateway works' '
	farm_net_up && farm_write_configs && farm_rules_up && farm_resolver_start &&
	POTEMKIN_TEST_TCX_ATTACH_TYPE=255 farm_gateway_start &&
	grep "fast path off: attaching to ext0: Invalid argument" "$FARM_DIR/gateway.log" &&
	test "$(grep -c "fast path" "$FARM_DIR/gateway.log")" = 1 &&
	test -z "$(attached ext0)" &&
	test "$(e2e_stat fastpath_on)" = 0 &&
	farm_in curl -sS -m 20 --interface 203.0.113.12 http://198.51.100.20/ | grep potemkin &&
	vm=$(e2e_vm_of 198.51.100.20) && test -n "$vm" &&
	test -z "$(attached pk$vm)" &&
	farm_gateway_stop && test_wait_for 10 e2e_nothing_left
'

test_expect_success 'on: the worker attaches to the external interface' '
	: >"$FARM_DIR/gateway.log" &&
	farm_gateway_start &&
	grep "fast path on: ext0" "$FARM_DIR/gateway.log" &&
	test "$(attached ext0)" = fp_inbound &&
	test "$(e2e_stat fastpath_on)" = 1 &&
	farm_ctl stats | grep "^fastpath_flows *0$"
'

test_expect_success 'and, under its filter, to a new clone interface' '
	farm_in curl -sS -m 20 --interface 203.0.113.13 http://198.51.100.21/ | grep potemkin &&
	vm=$(e2e_vm_of 198.51.100.21) && test -n "$vm" &&
	test "$(attached pk$vm)" = fp_outbound &&
	! grep "fast path: attaching" "$FARM_DIR/gateway.log"
'

test_expect_success 'stats --prometheus has the fast path' '
	farm_ctl stats --prometheus >prom &&
	grep "^potemkin_fastpath_on 1$" prom &&
	grep "^potemkin_fastpath_flows 0$" prom &&
	grep "^potemkin_fastpath_packets_total 0$" prom
'

test_expect_success 'kill -9 of the gateway: no program stays attached' '
	kill -KILL "$FARM_GATEWAY_PID" &&
	{ wait "$FARM_GATEWAY_PID" 2>/dev/null; FARM_GATEWAY_PID=; } &&
	test_wait_for 5 "test -z \"\$(attached ext0)\"" &&
	test_wait_for 5 "test -z \"\$(attached pk$vm)\""
'

test_expect_success 'the orphaned clone goes' '
	"$BIN/potemkin-teardown" -c "$FARM_DIR/vmm.conf" "$vm" &&
	test_wait_for 10 e2e_nothing_left
'

test_done
