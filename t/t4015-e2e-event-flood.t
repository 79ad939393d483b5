#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# 50 000 spoofed packets under a rule that logs each one: the events file
# stays within the bound the operator set (events_rate), the rest are
# counted, and the control socket answers all along.
test_description='a logged flood: bounded events, a responsive gateway'
E2E_REQUIRE=HPING3
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

RATE=16384
FARM_POLICY=$TRASH/log.policy
cat >"$FARM_POLICY" <<\POLICY
farm 198.51.100.0/24
type web tcp 80
hosts 198.51.100.0/24 web
inbound drop proto udp log
inbound bind
outbound drop
POLICY
FARM_GATEWAY_EXTRA="events_rate = $RATE;"

# A real gateway host routes everything else out of ext0: the random
# sources pass the reverse path check and reach the gateway.
test_expect_success 'a farm whose events are bounded comes up' '
	e2e_up &&
	ip route add default via "$FARM_INET_EXT"
'

test_expect_success '50 000 spoofed UDP packets in a few seconds; ctl answers' '
	start=$(date +%s) &&
	{ farm_in hping3 --udp -p 9 --rand-source -c 50000 -i u50 198.51.100.7 \
		>/dev/null 2>&1 & } &&
	flood=$! &&
	test_atexit "kill $flood 2>/dev/null" &&
	for t in 1 2 3; do
		sleep 1 &&
		timeout 5 "$BIN/potemkin-ctl" -s "$FARM_CTL_SOCKET" status >status.$t ||
			return 1
	done &&
	{ wait "$flood" || :; } &&
	secs=$(( $(date +%s) - start + 1 )) &&
	test "$(e2e_stat in_packets)" -gt 20000
'

test_expect_success 'the events file stayed within its bound; the rest were counted' '
	size=$(stat -c %s "$FARM_DIR/events.jsonl") &&
	test "$size" -le $(( RATE * (secs + 1) )) &&
	test "$(( $(e2e_stat events_folded) + $(e2e_stat events_over_rate) ))" -gt 10000
'

test_expect_success 'stopping the gateway leaves nothing behind' '
	farm_gateway_stop && test_wait_for 10 e2e_nothing_left
'

test_done
