#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# gw-bench.sh -- the gateway against the bare NFQUEUE consumer, side by side,
# through real NFQUEUE in network namespaces.  Run as root from the source
# tree after `make`:
#
#	bench/gw-bench.sh [-R] [-C] [-F] [-p PAIRS] [-t SECONDS] [-k CLONES] [-f FLOWS]
#	    [-o FILE]
#
# The farm of lib/farmnet.sh under bench/bench.policy: an "inet" namespace
# whose eth0 faces the gateway host's ext0, the rules of potemkin-gateway -P,
# the gateway with netns clones, and a receiver namespace "rcv" behind a veth
# for the ceiling path.  pkt-blast sends from inet, pinned to the first CPU;
# the consumer (the gateway's processes, or bench/nfq-ceiling) is pinned to
# the last.  Packets are counted where they arrive: a counting DROP rule in raw
# PREROUTING of each clone's namespace (gateway) or of rcv (ceiling).
#
# Each round runs, one after the other for SECONDS each:
#   ceiling-hits  nfq-ceiling accepts everything on queue 2 (a rule put ahead
#                 of the gateway's), the kernel routes it to rcv;
#   gateway-hits  the gateway on queue 0: FLOWS flows to CLONES bound clones,
#                 every packet a flow-cache hit, delivered by AF_PACKET;
#   ceiling-random, gateway-random  every packet from a new source in
#                 10.0.0.0/8 to one of the bound clones: at the gateway a new
#                 history entry, a new scan-filter source, a policy decision
#                 (the scanner rule's state question asked), and eviction of
#                 the oldest in both tables (a peer's first packet to an
#                 address leaves no flow in the cache).
# With -R each round also runs
#   norp-hits     gateway-hits with the reverse path check (rpfilter) taken
#                 out of the gateway's chain for the run: its cost, side by
#                 side, as gw-rpfilter-ratio (hits with it / hits without).
# With -C each round also runs
#   pcap-hits     gateway-hits to as many other clones, of a type whose
#                 traffic the gateway captures (gateway.conf pcap, both
#                 views, 64M files): the capture's cost on the hit path, as
#                 gw-pcap-ratio (pcap-hits / gateway-hits) and, by the
#                 consumer's cycles or CPU time, gw-pcap-cost-ratio.
# With -F each round also runs
#   forward-hits  the same hits with no queue at all: a rule just ahead of
#                 the gateway's NFQUEUE rule (after its reverse path check)
#                 takes them past the queue, and a route and a
#                 permanent neighbour entry per bound address send them out
#                 of the clone's pk<ID>, so the kernel forwards them to where
#                 the clones count (the physical limit of this topology);
#   fast-hits     the same hits with the gateway restarted with its kernel
#                 fast path on (`fastpath = true;` in gateway.conf): only a
#                 flow's first packets reach the queue, the rest are carried
#                 by the kernel.  The gateway's fast-path counters (ctl stats
#                 --json) and the queue's own packet count are read before
#                 and after, so the run shows that the fast path, not the
#                 queue, carried what the clones counted.
#                 Ratios per round: gw-ratio-fast-ceiling (fast-hits /
#                 ceiling-hits, target >= 2), gw-ratio-fast-forward
#                 (fast-hits / forward-hits, target >= 0.8); and the check
#                 gw-fastpath-check.  The fast path's gateway and the slow
#                 one take turns: a round starts with whichever runs, so the
#                 gateway is restarted (its clones made anew) once a round.
#                 A gateway that refuses `fastpath` runs forward-hits alone.
#                 Mind the CPUs: with no queue, the kernel's receive work
#                 (forwarding, or the fast path's program and redirect) runs
#                 in the sender's softirq on the sender's CPU, so both kinds
#                 share that CPU with pkt-blast and the consumer's CPU idles;
#                 their rate is the sender's (sender_pps) when nothing is
#                 lost.  So every run also records that CPU's busy time per
#                 packet counted (tx_cpu_ns_per_packet: the sender's work
#                 and, without a queue, the whole path), and -F gives
#                 gw-tx-cost-ratio-fast-forward (forwarding's / the fast
#                 path's).  (Steering ext0's receive work to the consumer's CPU
#                 by RPS starves the queue's consumer instead: the queued
#                 kinds then fall to a few thousand packets a second.)
# Rate = packets counted at the receivers / the sender's time.  Each run
# also records the queue's drops (the consumer was the bottleneck when the
# kernel dropped for it), what the sender sent, and (with perf) the cycles
# the consumer's processes ran per packet counted, or where the CPU does not
# count cycles for perf the CPU time they ran (task-clock): a cost that,
# unlike the rate, does not depend on how much of its CPU other jobs took.  Results go to stdout as
# "run ..." lines and "result name=gw-..." lines for bench/bench-report.sh,
# and to FILE if given.  Every run line has queued=, the packets the kernel
# put in the run's queue; fast-hits runs have fastpath_packets=.  With
# GW_BENCH_PERF=DIR, round 1 of each kind is profiled on the consumer's CPU
# with perf into DIR/KIND-WORKLOAD.data.
set -u

PAIRS=5 SECONDS_RUN=5 CLONES=4 FLOWS=64 OUT= RPF_COST= PCAP_COST= FAST=
usage() {
	echo "usage: gw-bench.sh [-R] [-C] [-F] [-p PAIRS] [-t SECONDS] [-k CLONES] [-f FLOWS] [-o FILE]" >&2
	exit 2
}
while getopts RCFp:t:k:f:o:h opt; do
	case $opt in
	R) RPF_COST=1 ;;
	C) PCAP_COST=1 ;;
	F) FAST=1 ;;
	p) PAIRS=$OPTARG ;;
	t) SECONDS_RUN=$OPTARG ;;
	k) CLONES=$OPTARG ;;
	f) FLOWS=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 0 ] || usage
case "$PAIRS$CLONES$FLOWS" in *[!0-9]*) usage ;; esac
[ "$PAIRS" -ge 1 ] && [ "$CLONES" -ge 1 ] && [ "$CLONES" -le 100 ] || usage

SRC_ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$SRC_ROOT/bin
BLAST=$SRC_ROOT/bench/pkt-blast
CEIL=$SRC_ROOT/bench/nfq-ceiling
PROG=gw-bench.sh
[ "$(id -u)" = 0 ] || { echo "$PROG: must run as root" >&2; exit 1; }
# The sender on the first CPU, the consumer on the last (one CPU: both there).
CPU_TX=0 CPU_RX=$(($(nproc) - 1))
for f in "$BLAST" "$CEIL" "$BIN/potemkin-gateway" "$BIN/potemkin-clone"; do
	[ -x "$f" ] || { echo "$PROG: $f is missing: run make first" >&2; exit 1; }
done

# Everything happens in a network and mount namespace of our own: nothing
# of it is seen by, or left to, the host.
if [ -z "${GW_BENCH_ISOLATED:-}" ]; then
	# The clones' root file system, fetched while there is a network.
	"$BIN/potemkin-mkimage" --rootfs -q "$SRC_ROOT/build/rootfs" || exit 1
	GW_BENCH_ISOLATED=1 exec unshare --mount --net --propagation private \
		-- bash "$0" -p "$PAIRS" -t "$SECONDS_RUN" -k "$CLONES" -f "$FLOWS" \
		${OUT:+-o "$OUT"} ${RPF_COST:+-R} ${PCAP_COST:+-C} ${FAST:+-F}
fi
. "$SRC_ROOT/lib/private-ns.sh"
private_ns_setup || exit 1

FARM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/gw-bench.XXXXXX") || exit 1
FARM_POLICY=$SRC_ROOT/bench/bench.policy
FARM_ROOTFS=$SRC_ROOT/build/rootfs
. "$SRC_ROOT/lib/farmnet.sh"

CEIL_PID=
cleanup() {
	[ -n "$CEIL_PID" ] && kill "$CEIL_PID" 2>/dev/null && wait "$CEIL_PID" 2>/dev/null
	farm_down >/dev/null 2>&1
	ip netns del rcv 2>/dev/null
	rm -rf "$FARM_DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
die() { echo "$PROG: $*" >&2; exit 1; }

farm_net_up || die "cannot build the namespaces"
# Sources from 10.0.0.0/8 must be forwarded on the ceiling path.
for c in all default ext0; do sysctl -qw net.ipv4.conf.$c.rp_filter=0; done
ip netns add rcv &&
	ip link add rcv0 type veth peer name eth0 netns rcv &&
	ip addr add 10.255.0.1/30 dev rcv0 && ip link set rcv0 up &&
	ip -n rcv link set lo up && ip -n rcv addr add 10.255.0.2/30 dev eth0 &&
	ip -n rcv link set eth0 up &&
	ip netns exec rcv iptables -t raw -A PREROUTING -p udp --dport 9 -j DROP ||
	die "cannot build the receiver namespace"
# The host answers for the receiver's neighbour at once.
ip neigh replace 10.255.0.2 lladdr "$(ip netns exec rcv cat /sys/class/net/eth0/address)" \
	dev rcv0 nud permanent

# The random workload's sources are private: the gateway takes them as the
# Internet, and the host routes them back out of ext0 (reverse path check).
FARM_GATEWAY_EXTRA='sources_allowed = [ "10.0.0.0/8" ];'
ip route add 10.0.0.0/8 via "$FARM_INET_EXT" || die "cannot route 10.0.0.0/8"
farm_write_configs netns || die "cannot write the configuration or take the snapshot"
# -C: the upper half of the farm is webcap, the same clones as web, captured.
if [ -n "$PCAP_COST" ]; then
	sed -e 's|^type web \(.*\)|&\ntype webcap \1|' \
	    -e 's|^hosts 198.51.100.0/24 web$|hosts 198.51.100.0/25 web\nhosts 198.51.100.128/25 webcap|' \
	    "$FARM_POLICY" >"$FARM_DIR/pcap.policy" &&
	grep -q "^hosts 198.51.100.128/25 webcap$" "$FARM_DIR/pcap.policy" &&
	sed -i "s|^policy = .*|policy = \"$FARM_DIR/pcap.policy\";|" "$FARM_DIR/gateway.conf" &&
	awk '/^  web = \{$/ { copy = 1 } copy { block = block $0 "\n" }
	    /^  \};$/ && copy { copy = 0; print; sub(/^  web/, "  webcap", block);
	    printf "%s", block; next } { print }' "$FARM_DIR/vmm.conf" >"$FARM_DIR/vmm.new" &&
	mv "$FARM_DIR/vmm.new" "$FARM_DIR/vmm.conf" &&
	"$BIN/potemkin-snapshot" -c "$FARM_DIR/vmm.conf" webcap >/dev/null &&
	printf 'pcap = { types = [ "webcap" ]; directory = "%s/pcap"; max_size = "64M"; files = 2; };\n' \
	    "$FARM_DIR" >>"$FARM_DIR/gateway.conf" ||
	die "cannot make the captured type"
fi
farm_rules_up || die "cannot load the gateway's rules"

TARGETS= PCAP_TARGETS=
for i in $(seq 1 "$CLONES"); do
	TARGETS=${TARGETS:+$TARGETS,}198.51.100.$((9 + i))
	[ -n "$PCAP_COST" ] || continue
	PCAP_TARGETS=${PCAP_TARGETS:+$PCAP_TARGETS,}198.51.100.$((137 + i))
done
# The namespaces of the clones of addresses $1 (a comma list).
clone_ns() {
	local a
	for a in ${1//,/ }; do
		farm_ctl --json vms | grep -o "{\"vm\":[0-9]*,[^}]*\"addr\":\"$a\"" |
			sed 's/^{"vm":\([0-9]*\),.*/pk\1/'
	done
}
# The gateway, pinned, with its clones bound, ready and counting.
gateway_up() {
	local a i p ns ready= want=$((CLONES * (${PCAP_COST:-0} + 1)))
	farm_gateway_start || die "the gateway did not start"
	for p in $FARM_GATEWAY_PID $(pgrep -P "$FARM_GATEWAY_PID"); do
		taskset -a -p -c "$CPU_RX" "$p" >/dev/null || die "cannot pin the gateway"
	done
	for a in ${TARGETS//,/ } ${PCAP_TARGETS//,/ }; do
		farm_ctl bind "$a" >/dev/null || die "potemkin-ctl bind $a failed"
	done
	for i in $(seq 1 500); do
		ready=$(farm_ctl --json vms | grep -o '"state":"ready"' | wc -l)
		[ "$ready" = "$want" ] && break
		sleep 0.02
	done
	[ "$ready" = "$want" ] || die "only $ready of $want clones became ready"
	CLONE_NS=$(clone_ns "$TARGETS")
	PCAP_NS=$(clone_ns "$PCAP_TARGETS")
	for ns in $CLONE_NS $PCAP_NS; do
		ip netns exec "$ns" iptables -t raw -A PREROUTING -p udp --dport 9 -j DROP ||
			die "cannot count in $ns"
	done
}
# -F: the same gateway with its fast path on, in a configuration of its own
# (GW_BENCH_FASTPATH: the settings that turn it on, `fastpath = true;`);
# gateway_mode slow|fast restarts the gateway when it runs the other one.
FAST_SETTINGS=${GW_BENCH_FASTPATH:-fastpath = true;}
cp "$FARM_DIR/gateway.conf" "$FARM_DIR/gateway-slow.conf"
GW_MODE=slow FAST_OK= FAST_NOTE=
if [ -n "$FAST" ]; then
	{ cat "$FARM_DIR/gateway-slow.conf"; echo "$FAST_SETTINGS"; } >"$FARM_DIR/gateway-fast.conf"
	if "$BIN/potemkin-gateway" -n -c "$FARM_DIR/gateway-fast.conf" >/dev/null \
		2>"$FARM_DIR/fast.err"; then
		FAST_OK=1
	else
		FAST_NOTE="# fast path: not measured: potemkin-gateway -n refuses its configuration: $(head -n 1 "$FARM_DIR/fast.err")"
	fi
fi
gateway_mode() {
	[ "$1" != "$GW_MODE" ] || return 0
	farm_gateway_stop || die "the gateway did not stop cleanly"
	cp "$FARM_DIR/gateway-$1.conf" "$FARM_DIR/gateway.conf"
	GW_MODE=$1
	gateway_up
}
gateway_up
EXT_MAC=$(cat /sys/class/net/ext0/address)
# The consumer's cost: cycles where the CPU counts them for perf, else the
# CPU time it ran (task-clock, a software event every kernel has).
PERF_EVENTS=
if perf stat -x, -e cycles true 2>&1 >/dev/null | grep -q '^[0-9]'; then
	PERF_EVENTS=cycles,cycles:u
elif perf stat -x, -e task-clock true 2>&1 >/dev/null | grep -q '^[0-9]'; then
	PERF_EVENTS=task-clock
fi

# Packets counted by the DROP rules of the given namespaces.
counted() {
	local ns sum=0 n
	for ns in "$@"; do
		n=$(ip netns exec "$ns" iptables -t raw -nvxL PREROUTING |
			awk 'NR > 2 { s += $1 } END { print s + 0 }')
		sum=$((sum + n))
	done
	echo "$sum"
}
# Packets the kernel dropped on a full queue or a failed delivery to us.
queue_drops() {
	awk -v q="$1" '$1 == q { print $6 + $7; f = 1 } END { if (!f) print 0 }' \
		/proc/net/netfilter/nfnetlink_queue
}
# Packets the kernel has put in the queue since it was bound (the id of
# the last one): what reached user space, whatever became of it.
queued() {
	awk -v q="$1" '$1 == q { print $8; f = 1 } END { if (!f) print 0 }' \
		/proc/net/netfilter/nfnetlink_queue
}
# Packets the gateway's kernel fast path carried, as its worker has read
# them back from the kernel: fastpath_packets of `potemkin-ctl --json
# stats` (-1 when there is none: a gateway without a fast path).
fp_packets() {
	local v
	v=$(farm_ctl --json stats 2>/dev/null | jq '.fastpath_packets // -1' 2>/dev/null)
	case $v in '' | *[!0-9-]*) v=-1 ;; esac
	echo "$v"
}

# The sender's CPU's busy time so far, in ns (user, nice, system, irq and
# softirq of /proc/stat): with no queue, the kernel's whole receive path
# runs there too.
HZ=$(getconf CLK_TCK)
tx_busy_ns() {
	awk -v c="cpu$CPU_TX" -v hz="$HZ" '$1 == c { printf "%.0f\n", ($2 + $3 + $4 + $7 + $8) * 1e9 / hz }' \
		/proc/stat
}

# -F forward: the kernel forwards the hits to the clones, no queue on the
# way.  A rule put just ahead of the gateway's NFQUEUE rule in its chain
# takes them past it (the reverse path check before it still runs, as the
# fast path runs its own); a /32 route and a permanent neighbour entry per
# bound address, more specific than the farm's blackhole, send each out of
# its clone's pk<ID> to its MAC.
FWD_RULE="-i ext0 -d 198.51.100.0/24 -j ACCEPT"
forward_on() {
	local a ns at
	set -- $CLONE_NS
	for a in ${TARGETS//,/ }; do
		ns=$1
		shift
		ip route replace "$a/32" dev "$ns" &&
		ip neigh replace "$a" dev "$ns" nud permanent \
			lladdr "$(ip netns exec "$ns" cat /sys/class/net/eth0/address)" || return 1
	done
	at=$(iptables -t raw -nL POTEMKIN-PREROUTING --line-numbers |
		awk '$2 == "NFQUEUE" && / NFQUEUE num 0$/ { print $1; exit }')
	[ -n "$at" ] && iptables -t raw -I POTEMKIN-PREROUTING "$at" $FWD_RULE
}
forward_off() {
	local a ns
	iptables -t raw -D POTEMKIN-PREROUTING $FWD_RULE || return 1
	set -- $CLONE_NS
	for a in ${TARGETS//,/ }; do
		ns=$1
		shift
		ip neigh del "$a" dev "$ns" && ip route del "$a/32" dev "$ns" || return 1
	done
}

ceiling_on() {
	ip route replace 198.51.100.0/24 via 10.255.0.2 &&
	iptables -t raw -I PREROUTING 1 -i ext0 -d 198.51.100.0/24 -j NFQUEUE --queue-num 2 &&
	rm -f "$FARM_DIR/ceil.ready" &&
	{ taskset -c "$CPU_RX" "$CEIL" -q 2 -l 4096 -r 8388608 -c 65531 -R "$FARM_DIR/ceil.ready" \
		>"$FARM_DIR/ceil.out" 2>"$FARM_DIR/ceil.err" & CEIL_PID=$!; } &&
	for i in $(seq 1 250); do
		[ -f "$FARM_DIR/ceil.ready" ] && return 0
		sleep 0.02
	done
	cat "$FARM_DIR/ceil.err" >&2
	return 1
}
ceiling_off() {
	kill "$CEIL_PID" && wait "$CEIL_PID"
	CEIL_PID=
	iptables -t raw -D PREROUTING -i ext0 -d 198.51.100.0/24 -j NFQUEUE --queue-num 2 &&
	ip route replace blackhole 198.51.100.0/24
}

# The reverse path check of the gateway's chain, out and back (norp runs).
RPF_RULE="-i ext0 -d 198.51.100.0/24 -m rpfilter --invert -j DROP"
rpfilter_off() { iptables -t raw -D POTEMKIN-PREROUTING $RPF_RULE; }
rpfilter_on() { iptables -t raw -I POTEMKIN-PREROUTING 1 $RPF_RULE; }

# run KIND WORKLOAD SECONDS [PAIR]: one measurement; prints a "run" line.
run() {
	local kind=$1 wl=$2 secs=$3 pair=${4:-warmup} q ns c0 c1 c d0 d1 out
	local args="-m hits -f $FLOWS"
	local src=203.0.113.64/26
	if [ "$wl" = random ]; then args="-m random"; src=10.0.0.0/8; fi
	local targets=$TARGETS k0 k1 fp0=-1 fp1=-1
	if [ "$kind" = ceiling ]; then
		ceiling_on || die "nfq-ceiling did not start"
		q=2 ns=rcv
	elif [ "$kind" = pcap ]; then
		q=0 ns=$PCAP_NS targets=$PCAP_TARGETS
	else
		q=0 ns=$CLONE_NS
	fi
	if [ "$kind" = norp ]; then
		rpfilter_off || die "cannot take the reverse path check out"
	fi
	if [ "$kind" = forward ]; then
		forward_on || die "cannot route the farm's addresses to the clones"
	fi
	[ "$kind" = fast ] && fp0=$(fp_packets)
	c0=$(counted $ns) d0=$(queue_drops $q) k0=$(queued $q)
	# The consumer's own cycles (its syscalls and the softirq work done in
	# them included): a cost per packet that does not depend on how much
	# of the CPU other jobs left it.
	local pids stat_pid=
	# No consumer on the forwarding path: the kernel's softirq work is all.
	if [ -n "$PERF_EVENTS" ] && [ "$kind" != forward ]; then
		if [ "$kind" = ceiling ]; then pids=$CEIL_PID
		else pids=$(echo $FARM_GATEWAY_PID $(pgrep -P "$FARM_GATEWAY_PID") | tr ' ' ,)
		fi
		perf stat -x, -e "$PERF_EVENTS" -p "$pids" -o "$FARM_DIR/cycles" -- sleep "$secs" \
			2>/dev/null &
		stat_pid=$!
	fi
	# GW_BENCH_PERF=DIR: a profile of the consumer's CPU during round 1.
	if [ -n "${GW_BENCH_PERF:-}" ] && [ "$pair" = 1 ]; then
		perf record -q -g -C "$CPU_RX" -o "$GW_BENCH_PERF/$kind-$wl.data" \
			-- sleep "$secs" 2>/dev/null &
	fi
	local b0 b1
	b0=$(tx_busy_ns)
	out=$(ip netns exec "$FARM_INET" "$BLAST" -c "$CPU_TX" -t "$secs" $args eth0 "$EXT_MAC" \
		"$src" "$targets") || die "pkt-blast failed"
	b1=$(tx_busy_ns)
	# The queue drains within moments: wait until the count stands still.
	c1=$(counted $ns)
	for i in $(seq 1 50); do
		sleep 0.1
		c=$(counted $ns)
		[ "$c" = "$c1" ] && break
		c1=$c
	done
	d1=$(queue_drops $q) k1=$(queued $q)
	# The fast path's counters reach the gateway's stats when it reads
	# them back from the kernel: wait until they account for what the
	# clones counted (less what the queue took), or stand still.
	if [ "$kind" = fast ]; then
		fp1=$(fp_packets)
		for i in $(seq 1 50); do
			[ "$fp1" -ge 0 ] && [ $((fp1 - fp0 + k1 - k0)) -lt $((c1 - c0)) ] || break
			sleep 0.1
			c=$(fp_packets)
			[ "$c" = "$fp1" ] && [ "$i" -gt 20 ] && break
			fp1=$c
		done
	fi
	local cycles=0 ucycles=0 cpu_ns=0
	if [ -n "$stat_pid" ]; then
		wait "$stat_pid"
		cycles=$(awk -F, '$3 == "cycles" { print $1 + 0 }' "$FARM_DIR/cycles")
		ucycles=$(awk -F, '$3 == "cycles:u" { print $1 + 0 }' "$FARM_DIR/cycles")
		cpu_ns=$(awk -F, '$3 == "task-clock" { printf "%.0f", $1 * 1e6 }' "$FARM_DIR/cycles")
	fi
	if [ "$kind" = ceiling ]; then
		ceiling_off || die "cannot take the ceiling's path down"
	fi
	if [ "$kind" = norp ]; then
		rpfilter_on || die "cannot put the reverse path check back"
	fi
	if [ "$kind" = forward ]; then
		forward_off || die "cannot take the forwarding routes down"
	fi
	# fastpath_packets: what the fast path counted in the run (fast-hits
	# only; -1: the gateway has no such counter).
	echo "$out" | awk -v k="$kind" -v w="$wl" -v p="$pair" -v n=$((c1 - c0)) \
		-v d=$((d1 - d0)) -v cy="${cycles:-0}" -v ucy="${ucycles:-0}" -v ns="${cpu_ns:-0}" \
		-v qd=$((k1 - k0)) -v fp=$([ "$fp1" -ge 0 ] && echo $((fp1 - fp0)) || echo -1) \
		-v txb=$((b1 - b0)) '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "run pair=%s kind=%s workload=%s received=%d pps=%.0f sent=%s " \
		    "sender_pps=%s queue_drops=%d seconds=%s cycles_per_packet=%.0f " \
		    "user_cycles_per_packet=%.0f cpu_ns_per_packet=%.0f queued=%d " \
		    "tx_cpu_ns_per_packet=%.0f",
		    p, k, w, n, n / v["seconds"], v["sent"], v["pps"], d, v["seconds"],
		    n ? cy / n : 0, n ? ucy / n : 0, n ? ns / n : 0, qd, n ? txb / n : 0
		if (k == "fast")
			printf " fastpath_packets=%d", fp
		printf "\n"
	}'
}

RUNS=$FARM_DIR/runs
say() { echo "$*" | tee -a "$RUNS"; }
# run in this shell, not in $(...): a die in it must find CEIL_PID here,
# where cleanup looks for the ceiling to stop.
measure() {
	run "$@" >"$FARM_DIR/line" || exit 1
	say "$(cat "$FARM_DIR/line")"
}

say "# gw-bench: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg);" \
	"$CLONES clones, $FLOWS flows, ${SECONDS_RUN}s a run, $PAIRS rounds"
[ -n "$FAST_NOTE" ] && say "$FAST_NOTE"
# The runs that need the gateway without its fast path: with it on, its
# program on ext0 would carry the ceiling's and the forwarding's packets.
slow_runs() {	# slow_runs SECONDS PAIR
	gateway_mode slow
	measure ceiling hits "$@"
	measure gateway hits "$@"
	[ -n "$RPF_COST" ] && measure norp hits "$@"
	[ -n "$PCAP_COST" ] && measure pcap hits "$@"
	measure ceiling random "$@"
	measure gateway random "$@"
	[ -n "$FAST" ] && measure forward hits "$@"
	return 0
}
fast_runs() {	# fast_runs SECONDS PAIR
	[ -n "$FAST_OK" ] || return 0
	gateway_mode fast
	measure fast hits "$@"
}
# Every path once, shortly: it must deliver, and it warms up.
slow_runs 1
fast_runs 1
# The gateway running first keeps running: one restart a round.
for pair in $(seq 1 "$PAIRS"); do
	if [ "$GW_MODE" = fast ]; then
		fast_runs "$SECONDS_RUN" "$pair"
		slow_runs "$SECONDS_RUN" "$pair"
	else
		slow_runs "$SECONDS_RUN" "$pair"
		fast_runs "$SECONDS_RUN" "$pair"
	fi
done
say "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
say "# gateway stats: $(farm_ctl --json stats)"

awk '
	/^run / && $2 != "pair=warmup" {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		key = v["kind"] "-" v["workload"]
		pps[key, v["pair"]] = v["pps"]; pairs[v["pair"]] = 1
		all[key] = all[key] " " v["pps"]
		snd[key] = snd[key] " " v["sender_pps"]
		txc[key] = txc[key] " " v["tx_cpu_ns_per_packet"]
		tpp[key, v["pair"]] = v["tx_cpu_ns_per_packet"]
		drops[key] += v["queue_drops"]
		cyc[key] = cyc[key] " " v["cycles_per_packet"]
		ucyc[key] = ucyc[key] " " v["user_cycles_per_packet"]
		cpp[key, v["pair"]] = v["cycles_per_packet"]
		ns[key] = ns[key] " " v["cpu_ns_per_packet"]
		npp[key, v["pair"]] = v["cpu_ns_per_packet"]
		if (key == "fast-hits") {
			fruns++; frecv += v["received"]; fqueued += v["queued"]
			if (v["fastpath_packets"] < 0) fnone = 1
			else fcarried += v["fastpath_packets"]
		}
	}
	/^run / && $2 == "pair=warmup" && / received=0 / {
		print "# a path delivered nothing: " $0; bad = 1
	}
	function med(list,   a, n, i, j, t) {
		n = split(list, a, " ")
		for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
		lo = a[1]; hi = a[n]
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	# A ratio result line: the median of the rounds and their spread.
	function ratio(name, list,   m) {
		if (list == "")
			return
		m = med(list)
		printf "result name=gw-%s median=%.3f min=%.3f max=%.3f\n", name, m, lo, hi
	}
	END {
		nk = split("ceiling-hits gateway-hits ceiling-random gateway-random norp-hits " \
		    "pcap-hits forward-hits fast-hits", keys, " ")
		for (k = 1; k <= nk; k++) {
			if (all[keys[k]] == "")
				continue
			m = med(all[keys[k]])
			printf "result name=gw-%s median=%.0f min=%.0f max=%.0f queue_drops=%d",
			    keys[k], m, lo, hi, drops[keys[k]]
			m = med(cyc[keys[k]])
			printf " cycles_per_packet=%.0f", m
			m = med(ucyc[keys[k]])
			printf " user_cycles_per_packet=%.0f", m
			m = med(ns[keys[k]])
			printf " cpu_ns_per_packet=%.0f", m
			m = med(snd[keys[k]])
			printf " sender_median=%.0f", m
			m = med(txc[keys[k]])
			printf " tx_cpu_ns_per_packet=%.0f\n", m
		}
		# The same ratios from the consumer cycles per packet (cost, inverted).
		for (p in pairs) if (cpp["gateway-hits", p] > 0 && cpp["gateway-random", p] > 0) {
			c1 = c1 " " cpp["ceiling-hits", p] / cpp["gateway-hits", p]
			c2 = c2 " " cpp["gateway-hits", p] / cpp["gateway-random", p]
		}
		if (c1 != "") {
			ratio("cost-ratio-hits", c1)
			ratio("cost-ratio-random", c2)
		}
		# And from the CPU time, where cycles are not counted.
		for (p in pairs) if (npp["gateway-hits", p] > 0 && npp["gateway-random", p] > 0) {
			t1 = t1 " " npp["ceiling-hits", p] / npp["gateway-hits", p]
			t2 = t2 " " npp["gateway-hits", p] / npp["gateway-random", p]
		}
		if (c1 == "" && t1 != "") {
			ratio("cpu-ratio-hits", t1)
			ratio("cpu-ratio-random", t2)
		}
		# Ratios within each round, then their median.
		for (p in pairs) {
			r1 = r1 " " pps["gateway-hits", p] / pps["ceiling-hits", p]
			r2 = r2 " " pps["gateway-random", p] / pps["gateway-hits", p]
			r3 = r3 " " pps["gateway-random", p] / pps["ceiling-random", p]
		}
		ratio("ratio-hits", r1)
		ratio("ratio-random", r2)
		ratio("ratio-random-ceiling", r3)
		for (p in pairs) if (pps["norp-hits", p] > 0)
			r4 = r4 " " pps["gateway-hits", p] / pps["norp-hits", p]
		ratio("rpfilter-ratio", r4)
		# The capture: rates, then cost per packet (cycles, else CPU time), each round.
		for (p in pairs) if (pps["pcap-hits", p] > 0) {
			r5 = r5 " " pps["pcap-hits", p] / pps["gateway-hits", p]
			if (cpp["pcap-hits", p] > 0)
				r6 = r6 " " cpp["pcap-hits", p] / cpp["gateway-hits", p]
			else if (npp["pcap-hits", p] > 0)
				r6 = r6 " " npp["pcap-hits", p] / npp["gateway-hits", p]
		}
		ratio("pcap-ratio", r5)
		ratio("pcap-cost-ratio", r6)
		# -F: the fast path against the ceiling and against forwarding,
		# round by round, and whether it carried the packets itself.
		for (p in pairs) if (pps["fast-hits", p] > 0) {
			if (pps["ceiling-hits", p] > 0)
				f1 = f1 " " pps["fast-hits", p] / pps["ceiling-hits", p]
			if (pps["forward-hits", p] > 0)
				f2 = f2 " " pps["fast-hits", p] / pps["forward-hits", p]
		}
		for (p in pairs) if (pps["forward-hits", p] > 0 && pps["ceiling-hits", p] > 0)
			f3 = f3 " " pps["forward-hits", p] / pps["ceiling-hits", p]
		ratio("ratio-fast-ceiling", f1)
		ratio("ratio-fast-forward", f2)
		# By the sender CPU busy time per packet (sender included), inverted.
		for (p in pairs) if (tpp["fast-hits", p] > 0 && tpp["forward-hits", p] > 0)
			f4 = f4 " " tpp["forward-hits", p] / tpp["fast-hits", p]
		ratio("tx-cost-ratio-fast-forward", f4)
		ratio("ratio-forward-ceiling", f3)
		# Carried: what the fast path counted over what the clones counted;
		# the queue should have seen little more than the first packet of
		# each flow after each restart.  ok=1 when both hold to 1 %.
		if (fruns) {
			c = fnone ? -1 : (frecv ? fcarried / frecv : 0)
			qs = frecv ? fqueued / frecv : 0
			printf "result name=gw-fastpath-check runs=%d received=%d fastpath_packets=%s " \
			    "carried=%.4f queued=%d queued_share=%.4f ok=%d\n", fruns, frecv,
			    (fnone ? -1 : fcarried), c, fqueued, qs,
			    (!fnone && c >= 0.99 && qs <= 0.01 && fcarried + fqueued <= 1.01 * frecv)
		}
		exit bad
	}' "$RUNS" | tee -a "$RUNS"
status=${PIPESTATUS[0]}
[ -n "$OUT" ] && cp "$RUNS" "$OUT"
exit "$status"
