#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Universes: under per-source, two sources reaching one address get a clone
# each, and each sees only its own; after a reload to shared, two sources
# reaching a new address share one clone.
test_description='per-source and shared universes'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

test_expect_success 'a farm and its gateway come up' 'e2e_up'

test_expect_success 'per-source: two sources, one address, two clones' '
	farm_in curl -sS -m 20 --interface 203.0.113.12 http://198.51.100.20/ | grep potemkin &&
	farm_in curl -sS -m 20 --interface 203.0.113.13 http://198.51.100.20/ | grep potemkin &&
	test "$(farm_events bind ".potemkin.addr == \"198.51.100.20\"")" = 2 &&
	test "$(farm_ctl --json universes | grep -o "\"universe\":" | wc -l)" = 2
'

test_expect_success 'each source keeps reaching its own clone' '
	farm_in curl -sS -m 10 --interface 203.0.113.12 http://198.51.100.20/ | grep potemkin &&
	farm_in curl -sS -m 10 --interface 203.0.113.13 http://198.51.100.20/ | grep potemkin &&
	test "$(farm_events bind)" = 2
'

test_expect_success 'reload to a shared universe' '
	sed -i "s/^universe per-source/universe shared/" "$FARM_POLICY" &&
	kill -HUP "$FARM_GATEWAY_PID" &&
	farm_wait_event 10 reload &&
	farm_ctl status | grep "universe mode *shared"
'

test_expect_success 'shared: two sources, one address, one clone' '
	farm_in curl -sS -m 20 --interface 203.0.113.12 http://198.51.100.21/ | grep potemkin &&
	farm_in curl -sS -m 20 --interface 203.0.113.13 http://198.51.100.21/ | grep potemkin &&
	test "$(farm_events bind ".potemkin.addr == \"198.51.100.21\"")" = 1
'

test_expect_success 'stopping the gateway leaves nothing behind' '
	farm_gateway_stop && test_wait_for 10 e2e_nothing_left
'

test_done
