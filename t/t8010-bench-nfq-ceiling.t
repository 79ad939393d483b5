#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Smoke test of bench/nfq-ceiling, the accept-all NFQUEUE consumer the
# gateway's throughput is measured against: it must really pass every
# packet, in batches, and stop by itself.  No timing here (see bench/).
test_description='bench/nfq-ceiling passes everything, in batches'
. "$(dirname "$0")/lib/test-lib.sh"

test_require ROOT NETNS NFQUEUE
test_isolate

CEIL="$SRC_ROOT/bench/nfq-ceiling"
TX="$SRC_ROOT/t/helpers/gw-tx"
all_pids=
test_atexit 'kill $all_pids 2>/dev/null'

count() {
	iptables-save -c -t filter |
		sed -n "s/^\[\([0-9]*\):[0-9]*\] .*--comment $1 .*/\1/p"
}
val() { sed -n "s/.*\<$1=\([0-9]*\).*/\1/p" ceil.out; }

start_ceiling() {
	rm -f ready
	"$CEIL" -R ready "$@" >ceil.out 2>ceil.err 3>&- 4>&- &
	ceil_pid=$!
	all_pids="$all_pids $!"
	test_wait_for 5 "test -f ready" || { cat ceil.err; return 1; }
}

test_expect_success 'a sender namespace behind a queued veth' '
	ip netns add snd &&
	ip link add vs type veth peer name vc netns snd &&
	ip addr add 10.8.0.2/24 dev vs && ip link set vs up &&
	ip -n snd addr add 10.8.0.1/24 dev vc && ip -n snd link set vc up &&
	mac=$(cat /sys/class/net/vs/address) &&
	iptables -t raw -A PREROUTING -i vs -j NFQUEUE --queue-num 0 &&
	iptables -A INPUT -p udp --dport 9 -m comment --comment got -j ACCEPT
'

test_expect_success 'batch mode: every packet passes, verdicts are batched' '
	start_ceiling -n 2000 &&
	ip netns exec snd "$TX" -n 2000 vc $mac 10.8.0.1:5000 10.8.0.2:9 >tx.out &&
	wait $ceil_pid && cat ceil.out &&
	test "$(val packets)" = 2000 && test "$(val enobufs)" = 0 &&
	test "$(val verdict_msgs)" -lt 2000 &&
	test_wait_for 5 "test \$(count got) = 2000"
'

test_expect_success 'each mode: one verdict per packet' '
	start_ceiling -m each -n 500 &&
	ip netns exec snd "$TX" -n 500 vc $mac 10.8.0.1:5000 10.8.0.2:9 >tx.out &&
	wait $ceil_pid && cat ceil.out &&
	test "$(val packets)" = 500 && test "$(val verdict_msgs)" = 500 &&
	test_wait_for 5 "test \$(count got) = 2500"
'

test_expect_success 'bad options are usage errors' '
	test_expect_code 2 "$CEIL" -m sometimes 2>err &&
	grep "^usage: nfq-ceiling" err &&
	test_expect_code 2 "$CEIL" -b 0 2>err
'

test_done
