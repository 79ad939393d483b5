#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# bench-report.sh -- the table at the top of bench/RESULTS.md, from what the
# benchmarks printed (bench/bench-all.sh keeps it in bench/out/PART.txt).
#
#	bench/bench-report.sh OUTDIR RESULTS.md
#
# The table lies between the lines "<!-- bench-table: begin -->" and
# "<!-- bench-table: end -->".  A row is known by its first cell: rows this
# script makes replace the old ones.  The run is the newest "# run:" of the
# outputs (bench/bench-all.sh names each of its runs): rows made from the
# output of a part of another run, and old rows no output makes any more,
# are kept but marked "not re-measured in this run", beside the machine
# and date they were measured on, after the rows of this run.  A line
# above the table names the run, its machine and its parts.  Everything
# outside the markers is left alone.
set -u
[ $# = 2 ] || { echo "usage: bench-report.sh OUTDIR RESULTS.md" >&2; exit 2; }
dir=$1 results=$2
[ -f "$results" ] || { echo "bench-report.sh: $results: no such file" >&2; exit 1; }
grep -q '^<!-- bench-table: begin -->$' "$results" ||
	{ echo "bench-report.sh: $results has no table markers" >&2; exit 1; }

# val FILE NAME KEY: KEY= of the "result name=NAME" line.
val() {
	sed -n "s/^result name=$2 .*\<$3=\([^ ]*\).*/\1/p" "$1" 2>/dev/null | head -n 1
}
# hdr FILE WHAT: the text after "# WHAT: ".
hdr() { sed -n "s/^# $2: //p" "$1" 2>/dev/null | head -n 1; }
kilo() { awk -v v="$1" 'BEGIN { printf "%.0f k", v / 1000 }'; }
mega() { awk -v v="$1" 'BEGIN { printf "%.2f M", v / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ok() {	# ok VALUE OP BOUND -> "met" or "**not met**"
	awk -v v="$1" -v b="$3" -v op="$2" 'BEGIN {
		m = op == ">=" ? v >= b : v <= b; print m ? "met" : "**not met**" }'
}
# The machine and how busy it was, for one part's output.
machine() {
	local f=$1 before after noisy=""
	before=$(hdr "$f" "load before") after=$(hdr "$f" "load after")
	if awk -v l="${before%% *}" 'BEGIN { exit !(l > 1.0) }'; then
		noisy="; **noisy**: other jobs shared the CPUs"
	fi
	echo "$(hdr "$f" machine | sed 's/ (\(.*\)), \([0-9]*\) GB,/ \1, \2 GB,/');" \
		"load ${before%% *} before, ${after%% *} after$noisy; $(date -r "$f" +%Y-%m-%d)"
}

STALE_MARK="**not re-measured in this run**"
# The run of an output ("# run:" of bench-all.sh; older outputs have none).
run_of() { hdr "$1" run; }
# This run: the newest of the outputs.
RUN=$(for f in "$dir"/*.txt; do run_of "$f"; done 2>/dev/null | sort | tail -n 1)
rows=$(mktemp) stale=$(mktemp)
trap 'rm -f "$rows" "$stale" "$results.new"' EXIT
# row CELLS...: a row made from the output $f; marked when $f is not of
# this run.
row() {
	if [ -z "$RUN" ] || [ "$(run_of "$f")" != "$RUN" ]; then
		printf '| %s | %s | %s | %s: %s | %s | %s | %s |\n' "$1" "$2" "$3" "$STALE_MARK" \
			"${@:4}" >>"$stale"
	else
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$@" >>"$rows"
	fi
}

# ---- the gateway's fast path (gw-bench -F), called with the gateway's f, m, cmd,
# ch (the ceiling's median), setup and n ------------------------------------
fastpath_rows() {
	local fw fa r1 r2 tc chk ok1 ok2 what note
	fw=$(val "$f" gw-forward-hits median) fa=$(val "$f" gw-fast-hits median)
	what="UDP, 46-byte packets, $setup, every packet of a flow after its first"
	if [ -z "$fa" ]; then
		note=$(sed -n 's/^# fast path: not measured: //p' "$f" | head -n 1)
		row "gateway, fast path against the NFQUEUE ceiling" \
			"—" "≥ 2 × bare NFQUEUE consumer, same run" \
			"**not measured**: ${note:-no fast-path run}; the bare consumer $(kilo "$ch")pps on the same hits" \
			"—" "$m" "$cmd"
		row "gateway, fast path against kernel forwarding" \
			"—" "≥ 0.8 × plain kernel forwarding, same run" \
			"**not measured** (above); the kernel forwarding the same hits with no queue $(kilo "$fw")pps ($(kilo "$(val "$f" gw-forward-hits min)")–$(kilo "$(val "$f" gw-forward-hits max)")), sender $(kilo "$(val "$f" gw-forward-hits sender_median)")pps" \
			"forwarding/consumer $(val "$f" gw-ratio-forward-ceiling median)" "$m" "$cmd"
		return
	fi
	r1=$(val "$f" gw-ratio-fast-ceiling median) r2=$(val "$f" gw-ratio-fast-forward median)
	tc=$(val "$f" gw-tx-cost-ratio-fast-forward median)
	# Whether the fast path, not the queue, carried what the clones counted.
	if [ "$(val "$f" gw-fastpath-check ok)" = 1 ]; then
		chk="; the fast path's own counters: $(awk -v c="$(val "$f" gw-fastpath-check carried)" 'BEGIN { printf "%.1f", 100 * c }')% of the packets the clones counted; the queue saw $(val "$f" gw-fastpath-check queued) of $(val "$f" gw-fastpath-check received) (the flows' first packets after each restart)"
		ok1=$(ok "$r1" ">=" 2) ok2=$(ok "$r2" ">=" 0.8)
	elif [ "$(val "$f" gw-fastpath-check fastpath_packets)" = -1 ]; then
		chk="; **unverified**: the gateway reported no fast-path counters, and the queue saw $(val "$f" gw-fastpath-check queued) of the $(val "$f" gw-fastpath-check received) packets counted"
		ok1="**unverified**" ok2=$ok1
	else
		chk="; **the fast path did not carry them**: its counters $(val "$f" gw-fastpath-check fastpath_packets), the queue $(val "$f" gw-fastpath-check queued), of $(val "$f" gw-fastpath-check received) packets counted at the clones"
		ok1="**not met**: not carried by the fast path" ok2=$ok1
	fi
	row "gateway, fast path against the NFQUEUE ceiling" \
		"—" "≥ 2 × bare NFQUEUE consumer, same run" \
		"**$(kilo "$fa")pps** median ($what) ($(kilo "$(val "$f" gw-fast-hits min)")–$(kilo "$(val "$f" gw-fast-hits max)")) over $n rounds; bare consumer $(kilo "$ch")pps in the same rounds$chk" \
		"fast/consumer **$r1** (rounds $(val "$f" gw-ratio-fast-ceiling min)–$(val "$f" gw-ratio-fast-ceiling max)): $ok1" \
		"$m" "$cmd"
	row "gateway, fast path against kernel forwarding" \
		"—" "≥ 0.8 × plain kernel forwarding, same run" \
		"**$(kilo "$fa")pps** against $(kilo "$fw")pps ($(kilo "$(val "$f" gw-forward-hits min)")–$(kilo "$(val "$f" gw-forward-hits max)")) forwarded by the kernel to the same clones with no queue; both run in the sender's softirq on its CPU, the sender managing $(kilo "$(val "$f" gw-fast-hits sender_median)")pps and $(kilo "$(val "$f" gw-forward-hits sender_median)")pps; that CPU busy $(val "$f" gw-fast-hits tx_cpu_ns_per_packet) ns and $(val "$f" gw-forward-hits tx_cpu_ns_per_packet) ns per packet, the sender's own work included" \
		"fast/forwarding **$r2** (rounds $(val "$f" gw-ratio-fast-forward min)–$(val "$f" gw-ratio-fast-forward max)): $ok2${tc:+; by the time per packet of that CPU $tc (rounds $(val "$f" gw-tx-cost-ratio-fast-forward min)–$(val "$f" gw-tx-cost-ratio-fast-forward max))}" \
		"$m" "$cmd"
}

# ---- the gateway through NFQUEUE ------------------------------------------------
f=$dir/gateway.txt
if grep -q '^result name=gw-ratio-hits ' "$f" 2>/dev/null; then
	m=$(machine "$f") cmd="\`$(hdr "$f" command)\`"
	gh=$(val "$f" gw-gateway-hits median) ch=$(val "$f" gw-ceiling-hits median)
	gr=$(val "$f" gw-gateway-random median) cr=$(val "$f" gw-ceiling-random median)
	rh=$(val "$f" gw-ratio-hits median) rr=$(val "$f" gw-ratio-random median)
	rrc=$(val "$f" gw-ratio-random-ceiling median)
	n=$(grep -c '^run pair=[0-9]* kind=gateway workload=hits' "$f")
	setup=$(grep -o '[0-9]* clones, [0-9]* flows' "$f" | head -n 1)
	# The consumer's cycles per packet, where perf could count them, or
	# else the CPU time it ran per packet (task-clock).
	cost() {	# cost WORKLOAD
		local g c
		g=$(val "$f" "gw-gateway-$1" cycles_per_packet) c=$(val "$f" "gw-ceiling-$1" cycles_per_packet)
		if [ -n "$g" ] && [ "$g" != 0 ]; then
			echo "; consumer cycles per packet: gateway $g, bare consumer $c"
			return
		fi
		g=$(val "$f" "gw-gateway-$1" cpu_ns_per_packet) c=$(val "$f" "gw-ceiling-$1" cpu_ns_per_packet)
		[ -n "$g" ] && [ "$g" != 0 ] || return 0
		echo "; consumer CPU time per packet: gateway $g ns, bare consumer $c ns"
	}
	costratio() {	# costratio WORKLOAD TARGET
		local m name=gw-cost-ratio-$1 by="cycles"
		m=$(val "$f" "$name" median)
		if [ -z "$m" ]; then
			name=gw-cpu-ratio-$1 by="CPU time"
			m=$(val "$f" "$name" median)
		fi
		[ -n "$m" ] || return 0
		echo "; by the consumers' $by per packet **$m** (rounds $(val "$f" "$name" min)–$(val "$f" "$name" max)): $(ok "$m" ">=" "$2")"
	}
	# A run whose queue never overflowed was limited by the sender.
	drops() {	# drops KIND-WORKLOAD
		awk -v k="$1" '$1 == "run" && $2 != "pair=warmup" && index($0, "kind=" k) {
			for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
			r += v["received"]; d += v["queue_drops"]; if (v["queue_drops"] == 0) z++
		} END {
			printf "; the queue dropped %.0f%% of what was sent", r + d ? 100 * d / (r + d) : 0
			if (z) printf " (%d rounds without a drop: sender-bound, a lower bound)", z
		}' FS=' ' "$f"
	}
	h_kind() { sed 's/-/ workload=/' <<<"$1"; }
	row "gateway, flow-cache hits" \
		"160k pps" "≥ 0.9 × bare NFQUEUE consumer, same run" \
		"**$(kilo "$gh")pps** median (UDP, 46-byte packets, $setup) ($(kilo "$(val "$f" gw-gateway-hits min)")–$(kilo "$(val "$f" gw-gateway-hits max)")) over $n rounds; bare consumer $(kilo "$ch")pps ($(kilo "$(val "$f" gw-ceiling-hits min)")–$(kilo "$(val "$f" gw-ceiling-hits max)"))$(drops "$(h_kind gateway-hits)")$(cost hits)" \
		"gateway/consumer **$rh** (rounds $(val "$f" gw-ratio-hits min)–$(val "$f" gw-ratio-hits max)): $(ok "$rh" ">=" 0.9)$(costratio hits 0.9); ours/Potemkin $(ratio "$gh" 160000)" \
		"$m" "$cmd"
	row "gateway, random traffic" \
		"28k pps" "≥ 0.8 × the cache-hit rate" \
		"**$(kilo "$gr")pps** median (every packet a new source: new history entry and scan-filter source, a policy decision, eviction in both; a first packet leaves no flow) ($(kilo "$(val "$f" gw-gateway-random min)")–$(kilo "$(val "$f" gw-gateway-random max)")); bare consumer on the same traffic $(kilo "$cr")pps, gateway/consumer $rrc$(drops "$(h_kind gateway-random)")$(cost random)" \
		"random/hits **$rr** (rounds $(val "$f" gw-ratio-random min)–$(val "$f" gw-ratio-random max)): $(ok "$rr" ">=" 0.8)$(costratio random 0.8); ours/Potemkin $(ratio "$gr" 28000)" \
		"$m" "$cmd"
	# gw-bench -C: the same hits to clones whose traffic is captured.
	if grep -q '^result name=gw-pcap-ratio ' "$f"; then
		ph=$(val "$f" gw-pcap-hits median) pr=$(val "$f" gw-pcap-ratio median)
		pc=$(val "$f" gw-pcap-cost-ratio median)
		row "gateway, flow-cache hits, captured (pcap)" \
			"—" "the capture's cost, measured" \
			"**$(kilo "$ph")pps** median ($(kilo "$(val "$f" gw-pcap-hits min)")–$(kilo "$(val "$f" gw-pcap-hits max)")), every packet written to both views of its clone's capture (gateway.conf pcap, 64M files), against $(kilo "$gh")pps uncaptured in the same rounds$(drops "$(h_kind pcap-hits)")" \
			"captured/uncaptured rate **$pr** (rounds $(val "$f" gw-pcap-ratio min)–$(val "$f" gw-pcap-ratio max))${pc:+; consumer cost per packet captured/uncaptured **$pc** (rounds $(val "$f" gw-pcap-cost-ratio min)–$(val "$f" gw-pcap-cost-ratio max))}" \
			"$m" "$cmd"
	fi
	# gw-bench -F: the fast path against the ceiling and plain forwarding.
	if grep -q '^result name=gw-forward-hits ' "$f"; then
		fastpath_rows
	fi
fi

# ---- the engine alone --------------------------------------------------------------
f=$dir/engine.txt
if grep -q '^result name=engine-hits ' "$f" 2>/dev/null; then
	m=$(machine "$f") cmd="\`$(hdr "$f" command | sed 's| [^ ]*\.pcap[ng]*||g') ../shared/traces/*\`"
	for w in hits random; do
		v=$(val "$f" engine-$w median)
		case $w in
		hits) what="decision engine alone, flow-cache hits" ;;
		random) what="decision engine alone, random traffic" ;;
		esac
		row "$what" "—" "≥ 5 M decisions/s per core" \
			"**$(mega "$v")/s** median per CPU-second of the engine's thread ($([ $w = hits ] && echo "4096 flows to 4 clones" || echo "a new source every packet, history and scan filter full and evicting, no flow cached"); $(mega "$(val "$f" engine-$w min)")–$(mega "$(val "$f" engine-$w max)")) over $(val "$f" engine-$w runs) runs; by the wall clock $(mega "$(val "$f" engine-$w wall_median)")/s" \
			"$(ratio "$v" 5000000) of target: $(ok "$v" ">=" 5000000)" "$m" "$cmd"
	done
	if grep -q '^result name=engine-traces ' "$f"; then
		lo=$(val "$f" engine-traces slowest) hi=$(val "$f" engine-traces fastest)
		per=$(sed -n 's/^result name=engine-trace trace=\([^ ]*\) median=\([0-9]*\).*/\1 \2/p' "$f" |
			awk '{ printf "%s%s %.2f M", (NR > 1 ? ", " : ""), $1, $2 / 1e6 }')
		row "decision engine alone, the shared captures" \
			"—" "≥ 5 M decisions/s per core" \
			"**$(mega "$lo")/s** slowest capture, $(mega "$hi")/s fastest, per CPU-second (etc/potemkin/farm.policy; every pass from new sources; medians: $per)" \
			"$(ratio "$lo" 5000000)–$(ratio "$hi" 5000000) of target: $(ok "$lo" ">=" 5000000)" "$m" "$cmd"
	fi
	if grep -q '^result name=engine-memory ' "$f"; then
		r=$(val "$f" engine-memory rss_per_flow) t=$(val "$f" engine-memory table_per_flow)
		row "memory per flow at 1M flows" "256 B" "≤ 64 B" \
			"**$r B** resident-set delta per flow over $(val "$f" engine-memory flows) flows; $t B the flow table's own accounting (at its bound of $(val "$f" engine-memory flows_max))" \
			"$(ok "$r" "<=" 64); Potemkin/ours $(ratio 256 "$r")" "$m" "$cmd"
	fi
fi

# ---- the policy evaluator (make bench-policy) ---------------------------------
f=$dir/policy.txt
if grep -q '^compiled ' "$f" 2>/dev/null; then
	read -r med lo hi < <(sed -n 's/^compiled *median \([0-9.]*\) M.*min \([0-9.]*\), max \([0-9.]*\).*/\1 \2 \3/p' "$f")
	ref=$(sed -n 's/^reference *median \([0-9.]*\) M.*/\1/p' "$f")
	row "policy evaluator alone" "—" "≥ 5 M decisions/s per core" \
		"**$med M decisions/s** median ($lo–$hi; 50-rule policy, one core); the reference evaluator $ref M/s in the same runs" \
		"$(ratio "$med" 5) of target: $(ok "$med" ">=" 5)" "$(machine "$f")" \
		"\`$(hdr "$f" command)\`"
fi

# ---- the replay (make bench-replay) -----------------------------------------------
f=$dir/replay.txt
if grep -q '^as captured, one idle timeout ' "$f" 2>/dev/null; then
	# rep WHAT FIELD: "median", "min" or "max" of replay-bench's line WHAT.
	rep() {
		sed -n "s/^$1 *median *\([0-9.]*\) M\/s *min *\([0-9.]*\) *max *\([0-9.]*\).*/\1 \2 \3/p" \
			"$f" | head -n 1 | cut -d' ' -f"$2"
	}
	med=$(rep "as captured, one idle timeout" 1)
	row "replay, the shared captures through \`farm.policy\`, one core" \
		"—" "≥ 1 M packets/s per core" \
		"**$med M packets/s** median ($(rep "as captured, one idle timeout" 2)–$(rep "as captured, one idle timeout" 3)) over the runs, thread CPU time; two engines (\`--idle 500ms,5m\`) $(rep "as captured, two idle timeouts" 1) M/s; new sources every repetition $(rep "new sources, one idle timeout" 1) M/s" \
		"$(ratio "$med" 1) of target: $(ok "$med" ">=" 1)" "$(machine "$f")" \
		"\`$(hdr "$f" command | sed 's| -t [^ ]*| -t ../shared/traces|')\`"
fi

# ---- the clone tools -------------------------------------------------------------
f=$dir/clones.txt
# clone_stat SECTION-PREFIX METRIC FIELD: from bench/clone-bench.sh's output.
clone_stat() {
	awk -v sec="$1" -v what="$2" -v field="$3" '
		/^[^ #]/ { insec = index($0, sec) == 1 }
		insec && index($0, "  " what " ") == 1 {
			for (i = 1; i <= NF; i++) if ($i == field) { print $(i + 1); exit }
		}' "$f"
}
if grep -q '^netns, one at a time' "$f" 2>/dev/null; then
	m=$(machine "$f") cmd="\`$(hdr "$f" command)\`"
	s=$(clone_stat "netns, one at a time" "clone to SYN-ACK" median)
	row "clone, netns" "—" "≤ 5 ms p50" \
		"**$s ms** p50 from potemkin-clone to the first answered SYN (p90 $(clone_stat "netns, one at a time" "clone to SYN-ACK" p90), min $(clone_stat "netns, one at a time" "clone to SYN-ACK" min)); to its record $(clone_stat "netns, one at a time" "clone to record" median) ms" \
		"$(ok "$s" "<=" 5)" "$m" "$cmd"
	if grep -q '^qemu (tcg), one at a time' "$f"; then
		r=$(clone_stat "qemu (tcg), one at a time" "clone to record" median)
		s=$(clone_stat "qemu (tcg), one at a time" "clone to SYN-ACK" median)
		row "clone, qemu (TCG here)" \
			"521 ms" "≤ 50 ms p50" "**$r ms** to the record, $s ms to the SYN-ACK (p50, cold, one at a time)" \
			"$(ok "$r" "<=" 50) for the record; Potemkin/ours $(ratio 521 "$r")" "$m" "$cmd"
	fi
	t=$(clone_stat "netns, one at a time" teardown median)
	tq=$(clone_stat "qemu (tcg), one at a time" teardown median)
	row "teardown" "315 ms" "≤ 10 ms" \
		"**$t ms** netns${tq:+, **$tq ms** qemu} (p50)" \
		"$(ok "$t" "<=" 10) netns${tq:+, $(ok "$tq" "<=" 10) qemu}; Potemkin/ours $(ratio 315 "${tq:-$t}")" "$m" "$cmd"
	pn=$(clone_stat "netns, all alive" "private memory/clone" median)
	pq=$(clone_stat "qemu (tcg), all alive" "private memory/clone" median)
	# With and without KSM, side by side (clone-bench.sh merge).
	merged() {	# merged on|off: the p50 in MB once ksmd has scanned
		sed -n "/^qemu (tcg) merge $1:/,/^[^ ]/s/^  merged: private memory per clone p50 \([0-9.]*\) MB.*/\1/p" "$f" |
			head -n 1
	}
	mon=$(merged on) moff=$(merged off)
	row "private memory per idle clone" "2–10 MB" "netns ≤ 1 MB; qemu ≤ 8 MB" \
		"(smaps_rollup) **$pn kB** netns${pq:+, **$(awk -v k="$pq" 'BEGIN { printf "%.1f", k / 1024 }') MB** qemu} (p50)${mon:+; qemu with \`merge = true\` (KSM running) **$mon MB**, without $moff MB, side by side}" \
		"$(ok "$pn" "<=" 1024) netns${pq:+, $(ok "$pq" "<=" 8192) qemu}${mon:+, $(ok "$(awk -v m="$mon" 'BEGIN { print m * 1024 }')" "<=" 8192) qemu merged}" "$m" "$cmd"
fi
# KSM over qemu clones, with and without merge = true (clone-bench.sh merge).
sec="qemu (tcg) merge on:"
if grep -q "^$sec" "$f" 2>/dev/null; then
	m=$(machine "$f") cmd="\`$(hdr "$f" command)\`"
	turn() {	# turn on|off SED-EXPR
		awk -v sec="qemu (tcg) merge $1:" '/^[^ #]/ { insec = index($0, sec) == 1 } insec' "$f" |
			sed -n "$2" | head -n 1
	}
	n=$(turn on 's/^qemu (tcg) merge on: \([0-9]*\) clones.*/\1/p')
	noaslr() {	# the turn whose QEMUs were not randomized, when it ran
		local p
		p=$(turn on-noaslr 's/^  merged: //p')
		[ -n "$p" ] || return 0
		echo ". **merge on, QEMU's addresses not randomized** (\`setarch -R\`, measured only): $p; ksmd while merging $(turn on-noaslr 's/^  ksmd while merging: //p')"
	}
	mon=$(turn on 's/^  merged: private memory per clone p50 \([0-9.]*\) MB.*/\1/p')
	row "qemu clones with \`merge = true\` (KSM)" "—" "private memory per idle clone ≤ 8 MB" \
		"$n idle clones each way, KSM running for both: **merge on**: $(turn on 's/^  merged: //p'); ksmd while merging $(turn on 's/^  ksmd while merging: //p'); $(turn on 's/^  \(MemAvailable down .*\)/\1/p'); answering HTTP $(turn on 's/^  answering HTTP afterwards: //p'); $(turn on 's/^  \(idle: .*\)/\1/p'). **merge off**: $(turn off 's/^  merged: //p'); $(turn off 's/^  \(MemAvailable down .*\)/\1/p'); answering HTTP $(turn off 's/^  answering HTTP afterwards: //p')$(noaslr)" \
		"$(ok "$(awk -v m="${mon:-999}" 'BEGIN { print m * 1024 }')" "<=" 8192)" "$m" "$cmd"
fi

# Many qemu clones alive at once (clone-bench.sh many).
sec="qemu (tcg) many:"
if grep -q "^$sec" "$f" 2>/dev/null; then
	m=$(machine "$f") cmd="\`$(hdr "$f" command)\`"
	many() { awk -v sec="$sec" '/^[^ #]/ { insec = index($0, sec) == 1 } insec' "$f" | sed -n "$1"; }
	want=$(many 's/^qemu (tcg) many: \([0-9]*\) clones.*/\1/p')
	ans=$(many 's/^  answering HTTP afterwards: \([0-9]*\) of .*/\1/p')
	pm=$(clone_stat "$sec" "private memory/clone" median)
	row "qemu clones alive at once, answering HTTP" "—" "≥ 300 on this machine" \
		"**${ans:-0} of $want** answered an HTTP request through pk<ID> with all alive; $(many 's/^  \([0-9]*\) running, \([0-9]*\) ms to start them all, \(.*\)/\1 running, \2 ms to make them all, \3/p'); private memory **$(awk -v k="${pm:-0}" 'BEGIN { printf "%.1f", k / 1024 }') MB** per clone (p50); idle: $(many 's/^  idle CPU: //p'); the host after: $(many 's/^  host: //p')" \
		"$(ok "${ans:-0}" ">=" 300)" "$m" "$cmd"
fi
# The first SYN-ACK through the gateway (clone-bench.sh gw-syn).
sec="qemu (tcg) through the gateway"
if grep -q "^$sec" "$f" 2>/dev/null; then
	m=$(machine "$f") cmd="\`$(hdr "$f" command)\`"
	gw() { awk -v sec="$sec" '/^[^ #]/ { insec = index($0, sec) == 1 } insec' "$f" |
		sed -n "s/^  $1[^:]*: \(.*\)/\1/p"; }
	cold=$(gw cold) pooled=$(gw pooled)
	pm=$(echo "$pooled" | sed -n 's/.*median \([0-9.]*\) ms.*/\1/p')
	row "qemu clone, attacker's first SYN to SYN-ACK through the gateway" "—" "≤ 50 ms p50 from a pool" \
		"pooled (warmed): **${pm:-?} ms** p50 ($pooled); cold: $cold" \
		"$(ok "${pm:-1e9}" "<=" 50) pooled" "$m" "$cmd"
fi

# ---- a farm over two hosts (bench/hosts-bench.sh) ---------------------------------
f=$dir/hosts.txt
if grep -q '^result name=hosts-deliver-ratio ' "$f" 2>/dev/null; then
	m=$(machine "$f") cmd="\`$(hdr "$f" command)\`"
	n=$(grep -c '^run pair=[0-9]* kind=remote' "$f")
	r=$(val "$f" hosts-deliver-ratio median) cr=$(val "$f" hosts-deliver-cpu-ratio median)
	row "delivery to a clone on another host" "—" "≥ 0.8 × delivery to a local clone" \
		"**$(kilo "$(val "$f" hosts-deliver-remote median)")pps** over the clone's VXLAN tunnel against $(kilo "$(val "$f" hosts-deliver-local median)")pps into a local clone, at the receivers, medians of $n rounds (flow-cache hits; the VMM host's receive work steered to the sender's CPU, as on a machine of its own); the gateway's CPU per packet delivered $(val "$f" hosts-deliver-local gw_cpu_ns_per_packet) ns local, $(val "$f" hosts-deliver-remote gw_cpu_ns_per_packet) ns remote" \
		"remote/local **$r** (rounds $(val "$f" hosts-deliver-ratio min)–$(val "$f" hosts-deliver-ratio max)): $(ok "$r" ">=" 0.8); by the gateway's CPU per packet $cr" "$m" "$cmd"
	c=$(val "$f" hosts-place-cost median)
	row "placement, beyond the remote command" "—" "≤ 1 ms" \
		"**$c ms**: potemkin-place $(val "$f" hosts-place median) ms against the same potemkin-clone --tunnel through the same prefix $(val "$f" hosts-remote-command median) ms (medians, in turns); one more process start is about 1 ms here" \
		"$(ok "$c" "<=" 1)" "$m" "$cmd"
fi

# ---- the table, old rows merged -------------------------------------------------
# The line above the table: the run, its machine, its parts.
runline() {
	local f parts="" failed="" mach=""
	for f in "$dir"/*.txt; do
		[ -n "$RUN" ] && [ "$(run_of "$f")" = "$RUN" ] || continue
		parts="$parts${parts:+, }$(basename "$f" .txt)"
		[ -n "$mach" ] || mach=$(hdr "$f" machine)
		grep -q '^# exit: 0$' "$f" || failed="$failed${failed:+, }$(basename "$f" .txt)"
	done
	if [ -z "$parts" ]; then
		echo "No run of \`bench/bench-all.sh\` wrote these rows: every one is $STALE_MARK, from the machine and date in its row."
		return
	fi
	echo "The run of $RUN (\`make bench\`: \`bench/bench-all.sh\`), on $mach; its parts: $parts.${failed:+ Parts that failed (their rows may lack figures): $failed.} Rows marked $STALE_MARK are older: their part did not run in this run; each names its machine and date."
}
awk -v rowsfile="$rows" -v stalefile="$stale" -v mark="$STALE_MARK" -v runline="$(runline)" '
	function key(line,   a) { split(line, a, "|"); gsub(/^ +| +$/, "", a[2]); return a[2] }
	# The figure (fourth cell) of an old row, marked once.
	function marked(line,   a, n, i, out) {
		n = split(line, a, " [|] ")
		if (index(a[4], mark) == 1)
			return line
		a[4] = mark ": " a[4]
		out = a[1]
		for (i = 2; i <= n; i++) out = out " | " a[i]
		return out
	}
	BEGIN {
		while ((getline line < rowsfile) > 0) { n++; new[n] = line; mine[key(line)] = 1 }
		while ((getline line < stalefile) > 0) {
			if (key(line) in mine) continue
			ns++; st[ns] = line; mine[key(line)] = 1
		}
	}
	/^<!-- bench-table: begin -->$/ { print; print ""; print runline; print ""; intable = 1; next }
	/^<!-- bench-table: end -->$/ {
		print "| what | Potemkin | target | figure | ratio | machine | command |"
		print "|---|---|---|---|---|---|---|"
		# This run first, then rows of outputs of other runs, then old rows.
		for (i = 1; i <= n; i++) print new[i]
		for (i = 1; i <= ns; i++) print st[i]
		for (i = 1; i <= nold; i++) if (!(key(old[i]) in mine)) print marked(old[i])
		print; intable = 0; next
	}
	intable && /^\| / && !/^\| what \|/ && !/^\|---/ { old[++nold] = $0; next }
	intable { next }
	{ print }
' "$results" >"$results.new" && mv "$results.new" "$results"
echo "bench-report.sh: $(wc -l <"$rows") rows of this run${RUN:+ ($RUN)}, $(wc -l <"$stale") of earlier runs' outputs, written to $results"
