#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Smoke test of the benchmark suite (make bench): every program and script
# of bench/ runs for about a second with tiny sizes, and the report writes
# its table rows into a copy of RESULTS.md without touching anything else.
# No figure is judged here: benchmarks are never timed tests.
test_description='the benchmark suite runs, and its report writes the table'
. "$(dirname "$0")/lib/test-lib.sh"

test_require ROOT NETNS NFQUEUE IPTABLES BUSYBOX TRACES TCX
test_isolate

ENGINE="$SRC_ROOT/bench/engine-bench"
POLICIES="-P $SRC_ROOT/bench/bench.policy -T $SRC_ROOT/etc/potemkin/farm.policy"
BLAST="$SRC_ROOT/bench/pkt-blast"
REPORT="$SRC_ROOT/bench/bench-report.sh"
TRACES=$(test_traces_dir)

outside_markers() {
	sed '/^<!-- bench-table: begin -->$/,/^<!-- bench-table: end -->$/d' "$1"
}

test_expect_success 'engine-bench: every workload, tiny sizes' '
	"$ENGINE" $POLICIES -r 1 -n 20000 -p 1 -F 20000 "$TRACES"/sgr_icmpScan.pcapng \
		"$TRACES"/probing_masscan_5k.pcapng >engine.out &&
	cat engine.out &&
	for r in engine-hits engine-random engine-memory engine-traces; do
		grep "^result name=$r " engine.out || return 1
	done &&
	test $(grep -c "^result name=engine-trace " engine.out) = 2 &&
	grep "^result name=engine-memory flows=20000 .* table_per_flow=40.0 " engine.out
'

test_expect_success 'engine-bench -x: without the next-packet hint' '
	"$ENGINE" $POLICIES -x -r 1 -n 20000 -w hits,random >engine-x.out &&
	grep "^result name=engine-hits " engine-x.out &&
	grep "^result name=engine-random " engine-x.out
'

test_expect_success 'engine-bench: bad use' '
	test_expect_code 2 "$ENGINE" -r 0 2>err && grep "^usage: engine-bench" err &&
	test_expect_code 2 "$ENGINE" -z 2>err && grep "^usage: engine-bench" err &&
	test_expect_code 2 "$ENGINE" -w hit 2>err &&
	grep "^engine-bench: -w hit: workloads are hits, random, memory and traces$" err &&
	test_expect_code 2 "$ENGINE" -n 4e6 2>err &&
	grep "^engine-bench: 4e6: not a number of 0 to " err &&
	test_expect_code 2 "$ENGINE" $POLICIES -w traces 2>err && grep "no capture named" err &&
	test_expect_code 1 "$ENGINE" -P "$TRASH/nonexistent.policy" 2>err &&
	grep "nonexistent.policy" err &&
	test_expect_code 1 "$ENGINE" $POLICIES -w traces "$TRASH/none.pcap" 2>err &&
	grep "no capture could be read" err
'

test_expect_success 'pkt-blast: bad use' '
	test_expect_code 2 "$BLAST" 2>err && grep "^usage: pkt-blast" err &&
	test_expect_code 2 "$BLAST" -m sometimes lo 00:00:00:00:00:00 10.0.0.0/8 \
		198.51.100.1 2>err && grep "^usage: pkt-blast" err &&
	test_expect_code 1 "$BLAST" nosuchif0 00:00:00:00:00:00 10.0.0.0/8 \
		198.51.100.1 2>err && grep "^pkt-blast: nosuchif0" err &&
	test_expect_code 2 "$BLAST" lo 00:00:00:00:00:00 10.0.0.0/33 198.51.100.1 2>err &&
	grep "not a prefix" err &&
	test_expect_code 2 "$BLAST" -n abc lo 00:00:00:00:00:00 10.0.0.0/8 198.51.100.1 2>err &&
	grep "^pkt-blast: abc: not a number of 0 to " err &&
	test_expect_code 2 "$BLAST" -t soon lo 00:00:00:00:00:00 10.0.0.0/8 198.51.100.1 2>err &&
	grep "^pkt-blast: soon: not a decimal number" err
'

test_expect_success 'replay-bench: bad use' '
	test_expect_code 2 "$SRC_ROOT/bench/out/replay-bench" -r 4e6 2>err &&
	grep "^replay-bench: 4e6: not a count of 1 to 64$" err &&
	test_expect_code 2 "$SRC_ROOT/bench/out/replay-bench" -1 -r 1 -n 1 -o nosuch \
		-t "$TRACES" "$SRC_ROOT/etc/potemkin/farm.policy" >rb.out 2>err &&
	grep "^replay-bench: -o nosuch: no capture.s name holds it$" err
'

test_expect_success 'cage-bench.sh: bad use' '
	test_expect_code 2 "$SRC_ROOT/bench/cage-bench.sh" -n x 2>err &&
	grep "^usage: cage-bench.sh" err &&
	test_expect_code 2 "$SRC_ROOT/bench/cage-bench.sh" nosuch 2>err &&
	grep "^usage: cage-bench.sh" err
'

test_expect_success 'pkt-blast sends what it says, counted by the receiver' '
	test_when_finished "ip netns del blast" &&
	ip netns add blast &&
	ip link add bl0 type veth peer name bl1 netns blast &&
	ip link set bl0 up && ip -n blast link set bl1 up &&
	ip -n blast addr add 198.51.100.1/24 dev bl1 &&
	ip netns exec blast iptables -t raw -A PREROUTING -p udp --dport 9 -j DROP &&
	"$BLAST" -n 3000 -m random bl0 $(ip netns exec blast cat /sys/class/net/bl1/address) \
		10.0.0.0/8 198.51.100.1 >blast.out &&
	grep "^sent=3000 errors=0 " blast.out &&
	test_wait_for 5 "ip netns exec blast iptables -t raw -nvxL PREROUTING |
		awk \"NR == 3 { exit \\\$1 != 3000 }\""
'

test_expect_success 'the whole suite in quick mode writes every row' '
	cp "$SRC_ROOT/bench/RESULTS.md" R.md && mkdir tmp &&
	if ! TMPDIR="$TRASH/tmp" BENCH_QUICK=1 BENCH_OUT="$TRASH/out" BENCH_RESULTS="$TRASH/R.md" \
		BENCH_TRACES="$TRACES" BENCH_RUN=quick-run "$SRC_ROOT/bench/bench-all.sh" \
		policy engine replay gateway clones hosts >all.out 2>&1; then
		cat all.out; return 1
	fi &&
	for p in policy engine replay gateway clones hosts; do
		grep "^# exit: 0$" out/$p.txt && grep "^# run: quick-run$" out/$p.txt || return 1
	done &&
	for row in "gateway, flow-cache hits" "gateway, random traffic" \
	    "gateway, fast path against the NFQUEUE ceiling" \
	    "gateway, fast path against kernel forwarding" \
	    "decision engine alone, flow-cache hits" "decision engine alone, random traffic" \
	    "decision engine alone, the shared captures" "memory per flow at 1M flows" \
	    "policy evaluator alone" "replay, the shared captures through \`farm.policy\`, one core" \
	    "clone, netns" "teardown" "private memory per idle clone" \
	    "delivery to a clone on another host" "placement, beyond the remote command"; do
		test $(grep -c "^| $row |" R.md) = 1 || { echo "row $row"; return 1; }
		! grep "^| $row | .*not re-measured in this run" R.md || return 1
	done &&
	grep "^The run of quick-run (.*its parts: clones, engine, gateway, hosts, policy, replay\." R.md &&
	grep "^run pair=1 kind=gateway workload=hits received=[1-9]" out/gateway.txt &&
	grep "^run pair=1 kind=ceiling workload=random received=[1-9]" out/gateway.txt &&
	grep "^run pair=1 kind=forward workload=hits received=[1-9].* queued=0 " out/gateway.txt &&
	grep "^result name=gw-ratio-forward-ceiling " out/gateway.txt &&
	grep "^run pair=1 kind=fast workload=hits received=[1-9].* fastpath_packets=[1-9]" \
		out/gateway.txt &&
	grep "^result name=gw-ratio-fast-ceiling " out/gateway.txt &&
	grep "^result name=gw-fastpath-check runs=1 .* ok=1\$" out/gateway.txt &&
	grep "^run pair=1 kind=remote received=[1-9]" out/hosts.txt &&
	outside_markers "$SRC_ROOT/bench/RESULTS.md" >expect &&
	outside_markers R.md >actual &&
	test_cmp expect actual
'

test_expect_success 'the suite left nothing behind' '
	test -z "$(ip netns list)" &&
	test -z "$(ls tmp)" &&
	! pgrep -a --ns $$ --nslist net -f "[p]kt-blast|[n]fq-ceiling|[p]otemkin-gateway|[b]usybox" &&
	test -z "$(ip -o link show | grep -E ": (pk[0-9]|ext0|rcv0)")"
'

test_expect_success 'a part that did not run keeps its rows, marked as not re-measured' '
	mkdir partial && cp out/engine.txt out/policy.txt partial/ &&
	sed -i "s/^# run: quick-run$/# run: older-run/" partial/policy.txt &&
	sed "s/^| gateway, flow-cache hits |.*/| gateway, flow-cache hits | k | t | old figure | r | m | c |/" \
		R.md >R2.md &&
	"$REPORT" partial R2.md &&
	grep "^| gateway, flow-cache hits | k | t | \*\*not re-measured in this run\*\*: old figure | r |" R2.md &&
	grep "^| policy evaluator alone | .* | \*\*not re-measured in this run\*\*: \*\*[0-9.]* M decisions" R2.md &&
	test $(grep -c "^| decision engine alone, flow-cache hits |" R2.md) = 1 &&
	! grep "^| decision engine alone, flow-cache hits |.*not re-measured" R2.md &&
	grep "^The run of quick-run (.*its parts: engine\. Rows marked" R2.md &&
	test $(grep -c "^| " R2.md) = $(grep -c "^| " R.md) &&
	"$REPORT" partial R2.md &&
	test $(grep -c "not re-measured in this run\*\*: \*\*not re-measured" R2.md) = 0
'

test_expect_success 'bench-report.sh: bad use' '
	test_expect_code 2 "$REPORT" 2>err && grep "^usage: bench-report.sh" err &&
	test_expect_code 1 "$REPORT" out nosuch.md 2>err &&
	grep "^bench-report.sh: nosuch.md: no such file" err &&
	echo "no table here" >plain.md &&
	test_expect_code 1 "$REPORT" out plain.md 2>err &&
	grep "has no table markers" err && test "$(cat plain.md)" = "no table here"
'

test_done
