#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# bench-all.sh -- what `make bench` runs: the policy evaluator, the engine
# alone, the replay, the gateway against the bare NFQUEUE consumer (and its
# fast path against that consumer and against plain kernel forwarding), the
# clone tools, a farm over two hosts; then bench/bench-report.sh writes the
# table of bench/RESULTS.md from what they printed.  As root, from the top
# of the tree, after `make`.  Each part's output (with its exact command,
# the run it belongs to, and the machine's load before and after) is kept
# in bench/out/PART.txt.
#
#	bench/bench-all.sh [PART...]   parts: policy engine replay gateway
#	                               clones hosts (default all)
#
# One invocation is one run: its parts share the run's name (the time it
# started, or BENCH_RUN), and the report tells the rows of this run from
# rows whose part did not run in it.
# BENCH_TRACES names the folder of captures (default: the shared captures
# that lib/traces-dir.sh finds, $POTEMKIN_TRACES or else ../shared/traces),
# BENCH_OUT the folder for the outputs (bench/out), BENCH_RESULTS the file
# whose table is rewritten (bench/RESULTS.md).  BENCH_QUICK=1 runs every
# part for about a second with tiny sizes and no qemu: the smoke test's
# way to keep the suite from rotting, never a measurement.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=${BENCH_OUT:-bench/out}
results=${BENCH_RESULTS:-bench/RESULTS.md}
run=${BENCH_RUN:-$(date -u +%Y-%m-%dT%H:%MZ)}
if [ -n "${BENCH_QUICK:-}" ]; then
	policy_args="-r 1 -n 1000 -d 200000"
	engine_args="-r 1 -n 20000 -p 1 -F 20000"
	replay_args="-r 1 -n 1"
	gateway_args="-p 1 -t 1 -F"
	clones_env="CLONES=2" clones_what=netns
	hosts_args="-p 1 -t 1 -n 2"
else
	policy_args="-r 7"
	engine_args="-r 7 -n 4000000 -p 20"
	replay_args="-r 7 -n 20"
	gateway_args="-p 7 -t 5 -C -F"
	clones_env="CLONES=50 MANY_CLONES=300 MERGE_CLONES=30 MERGE_NOASLR=1" clones_what="netns qemu many merge gw-syn"
	hosts_args="-p 7 -t 5 -n 30"
fi
[ "$(id -u)" = 0 ] || { echo "bench-all.sh: must run as root" >&2; exit 1; }
mkdir -p "$out"
# An interrupted part keeps the output of its last complete run.
trap 'rm -f "$out"/*.txt.new' EXIT
trap 'exit 130' INT TERM

load() { cut -d' ' -f1-3 /proc/loadavg; }

# The folder of captures, from $BENCH_TRACES or lib/traces-dir.sh.
traces() {
	local traces=${BENCH_TRACES:-}
	[ -n "$traces" ] || traces=$(sh lib/traces-dir.sh) || return 1
	echo "$traces"
}
# The captures of the engine part.
captures() {
	local traces
	traces=$(traces) || return 0
	ls "$traces"/*.pcap "$traces"/*.pcapng 2>/dev/null
}

# part NAME COMMAND...: run it, keep its output in $out/NAME.txt.
part() {
	local name=$1 rc
	shift
	echo "== $name: $*"
	{
		echo "# command: $*"
		echo "# run: $run"
		echo "# machine: $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo |
			head -n 1)), $(free -g | awk '/^Mem:/ {print $2}') GB," \
			"Linux $(uname -r), $(cc --version | head -n 1)"
		echo "# load before: $(load)"
		"$@" 2>&1
		rc=$?
		echo "# load after: $(load)"
		echo "# exit: $rc"
	} | tee "$out/$name.txt.new"
	mv "$out/$name.txt.new" "$out/$name.txt"
}

failed=0
for p in "${@:-policy engine replay gateway clones hosts}"; do
	for q in $p; do
		case $q in
		policy)
			part policy bench/out/policy-bench $policy_args bench/policy50.policy ;;
		engine)
			part engine bench/engine-bench -c $(($(nproc) - 1)) $engine_args \
				$(captures) ;;
		replay)
			# Without the captures there is nothing to replay: the
			# table then marks the replay's row as not re-measured.
			if ! traces >/dev/null; then
				echo "== replay: skipped: no shared captures" >&2
				continue
			fi
			part replay bench/out/replay-bench $replay_args -t "$(traces)" \
				etc/potemkin/farm.policy ;;
		gateway)
			part gateway bench/gw-bench.sh $gateway_args ;;
		clones)
			part clones env $clones_env bench/clone-bench.sh $clones_what ;;
		hosts)
			part hosts bench/hosts-bench.sh $hosts_args ;;
		*)
			echo "bench-all.sh: unknown part $q" >&2
			exit 2 ;;
		esac
		grep -q '^# exit: 0$' "$out/$q.txt" || failed=1
	done
done
bench/bench-report.sh "$out" "$results" || failed=1
exit $failed
