#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# 30 seconds of SYN flood from random (spoofed) sources at random farm
# addresses: the gateway keeps running and answering potemkin-ctl, counts
# what it cannot take, and its memory stays within what its tables may hold.
test_description='30s SYN flood at the farm prefix'
E2E_REQUIRE=HPING3
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

FARM_POLICY=$TRASH/flood.policy
cat >"$FARM_POLICY" <<\POLICY
farm 198.51.100.0/24
type web tcp { 23 80 }
hosts 198.51.100.0/24 web
universe per-source
idle 2s
limit vms 40
limit clones 4
inbound drop proto tcp flags !S/SA unbound
inbound drop scanner over 8 addresses in 60s unbound
inbound reject closed
inbound bind
outbound pass reply within 1m
outbound drop
POLICY

worker_rss_kb() {
	local w
	w=$(pgrep -P "$FARM_GATEWAY_PID" -f potemkin-gateway | head -n 1)
	awk '/^VmRSS/ {print $2}' "/proc/$w/status"
}

# Like a real gateway host, this one routes everything else out of its
# external interface: random sources pass the kernel's reverse path check
# and reach the gateway, which refuses the special-purpose ones itself.
test_expect_success 'a farm and its gateway come up' '
	e2e_up &&
	ip route add default via "$FARM_INET_EXT" &&
	rss0=$(worker_rss_kb) && test -n "$rss0"
'

test_expect_success 'flood for 30 seconds; the gateway answers all along' '
	{ farm_in timeout 30 hping3 --flood -q -S -p 80 --rand-source \
		--rand-dest -I eth0 198.51.100.x >/dev/null 2>&1 & } &&
	flood=$! &&
	test_atexit "kill $flood 2>/dev/null" &&
	for t in 1 2 3 4 5; do
		sleep 5 &&
		timeout 5 "$BIN/potemkin-ctl" -s "$FARM_CTL_SOCKET" status >status.$t ||
			return 1
	done &&
	{ wait "$flood" || :; } &&
	kill -0 "$FARM_GATEWAY_PID"
'

test_expect_success 'it took the flood in' '
	test "$(e2e_stat in_packets)" -gt 20000
'

test_expect_success 'what it could not take was dropped and counted' '
	lost=$(( $(e2e_stat over_clones) + $(e2e_stat over_vms) + $(e2e_stat park_dropped) +
		$(e2e_stat queue_in_enobufs) + $(e2e_stat martian) +
		$(e2e_stat special_source) + $(e2e_stat farm_source) )) &&
	test "$lost" -gt 0 &&
	test "$(e2e_stat vms)" -le 40
'

test_expect_success 'memory stayed within what the tables may hold' '
	rss=$(worker_rss_kb) &&
	tables=$(( $(e2e_stat table_bytes) / 1024 )) &&
	echo "worker RSS ${rss0}kB -> ${rss}kB, tables ${tables}kB" &&
	test "$rss" -le $(( tables + 65536 ))
'

test_expect_success 'after the flood it still binds' '
	farm_in curl -sS -m 20 --interface 203.0.113.25 http://198.51.100.99/ | grep potemkin
'

# The netns backend lets the kernel delete a clone's interfaces with its
# namespace, in batches; after some two thousand clones that takes a while.
test_expect_success 'stopping the gateway leaves nothing behind' '
	farm_gateway_stop &&
	start=$(date +%s) &&
	{ test_wait_for 120 e2e_nothing_left || { e2e_nothing_left; false; }; } &&
	echo "the kernel finished in $(( $(date +%s) - start ))s"
'

test_done
