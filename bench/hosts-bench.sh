#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# hosts-bench.sh -- a farm over two VMM hosts, side by side: delivery into a
# clone on this machine against delivery into one on another host over its
# VXLAN tunnel, and what placement costs beyond the remote command.  Run as
# root from the source tree after `make`:
#
#	bench/hosts-bench.sh [-p PAIRS] [-t SECONDS] [-n PLACEMENTS] [-o FILE]
#
# The farm of lib/farmnet.sh under bench/bench.policy, its clone command
# potemkin-place with two hosts: "gw", this machine, and "b", a network
# namespace at the other end of a datacenter link (a veth pair, MTU 9000;
# no bridge, whose netfilter hooks a real link does not have) reached with
# nsenter as its
# command prefix (the data path is the tunnel's, whatever the prefix); what
# b receives is processed on the sender's CPU, not the gateway's, as on a
# machine of its own.
# Two addresses are bound, one on each host.  pkt-blast sends flow-cache
# hits from the Internet namespace, pinned to the first CPU, the gateway is
# pinned to the last; packets are counted where they arrive, by a counting
# DROP rule in raw PREROUTING of each clone's namespace.  Each round
# delivers SECONDS to the local clone, then SECONDS to the remote one.
#
# Placement: PLACEMENTS times each, in turns, `potemkin-place` on host b
# and the command it runs there (potemkin-clone --tunnel through the same
# prefix), each clone torn down after; placement's cost is the difference
# of the medians (the choice under its lock, the tunnel's end here, the
# record and the placement's files).
#
# "run ..." and "result name=hosts-..." lines go to stdout (and FILE) for
# bench/bench-report.sh.
set -u
PAIRS=5 SECONDS_RUN=5 PLACEMENTS=30 OUT=
usage() {
	echo "usage: hosts-bench.sh [-p PAIRS] [-t SECONDS] [-n PLACEMENTS] [-o FILE]" >&2
	exit 2
}
while getopts p:t:n:o:h opt; do
	case $opt in
	p) PAIRS=$OPTARG ;;
	t) SECONDS_RUN=$OPTARG ;;
	n) PLACEMENTS=$OPTARG ;;
	o) OUT=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 0 ] || usage
case "$PAIRS$PLACEMENTS" in *[!0-9]*) usage ;; esac
[ "$PAIRS" -ge 1 ] && [ "$PLACEMENTS" -ge 1 ] || usage

SRC_ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$SRC_ROOT/bin
BLAST=$SRC_ROOT/bench/pkt-blast
PROG=hosts-bench.sh
[ "$(id -u)" = 0 ] || { echo "$PROG: must run as root" >&2; exit 1; }
CPU_TX=0 CPU_RX=$(($(nproc) - 1))
for f in "$BLAST" "$BIN/potemkin-gateway" "$BIN/potemkin-place"; do
	[ -x "$f" ] || { echo "$PROG: $f is missing: run make first" >&2; exit 1; }
done

if [ -z "${HOSTS_BENCH_ISOLATED:-}" ]; then
	"$BIN/potemkin-mkimage" --rootfs -q "$SRC_ROOT/build/rootfs" || exit 1
	HOSTS_BENCH_ISOLATED=1 exec unshare --mount --net --propagation private \
		-- bash "$0" -p "$PAIRS" -t "$SECONDS_RUN" -n "$PLACEMENTS" ${OUT:+-o "$OUT"}
fi
. "$SRC_ROOT/lib/private-ns.sh"
private_ns_setup || exit 1

FARM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/hosts-bench.XXXXXX") || exit 1
FARM_POLICY=$SRC_ROOT/bench/bench.policy
FARM_ROOTFS=$SRC_ROOT/build/rootfs
. "$SRC_ROOT/lib/farmnet.sh"
HB=$FARM_DIR/b

cleanup() {
	farm_gateway_stop
	"$BIN/potemkin-teardown" -c "$FARM_DIR/vmm.conf" -a >/dev/null 2>&1
	on_b "$BIN/potemkin-teardown" -c "$HB/vmm.conf" -a >/dev/null 2>&1
	farm_down >/dev/null 2>&1
	for g in $(FARM_CGROUP=$FARM_CGROUP-b farm_cgroups); do rmdir "$g"/pk* "$g" 2>/dev/null; done
	umount "$HB/mem" "$HB/netns" 2>/dev/null
	ip netns del hb 2>/dev/null
	rm -rf "$FARM_DIR"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
die() { echo "$PROG: $*" >&2; exit 1; }
on_b() { nsenter --net=/run/netns/hb "$@"; }

farm_net_up || die "cannot build the namespaces"
farm_write_configs netns || die "cannot write the configuration or take the snapshot"

# Host b on the datacenter bridge, with a vmm.conf of its own.
ip netns add hb &&
	ip link add dc0 mtu 9000 type veth peer name eth0 mtu 9000 netns hb &&
	ip addr add 10.99.0.1/24 dev dc0 && ip link set dc0 up &&
	ip -n hb addr add 10.99.0.12/24 dev eth0 && ip -n hb link set eth0 up &&
	ip -n hb link set lo up && mkdir -p "$HB/mem" "$HB/netns" &&
	mount -t tmpfs -o mode=755 potemkin-mem "$HB/mem" ||
	die "cannot build host b"
# Host b is another machine: what it receives is processed on a CPU other
# than the gateway's (RPS on its end of the datacenter link), as its own
# CPUs would.  On this machine that is the sender's CPU.
[ -n "${NO_RPS:-}" ] || ip netns exec hb sh -c "printf %x $((1 << CPU_TX)) >/sys/class/net/eth0/queues/rx-0/rps_cpus" ||
	die "cannot steer host b's receive work"
FARM_VMM_DIR=$HB FARM_NETNS_DIR=$HB/netns FARM_CGROUP=$FARM_CGROUP-b farm_netns_conf &&
	"$BIN/potemkin-snapshot" -c "$HB/vmm.conf" web >/dev/null || die "no snapshot on host b"
cat >"$FARM_DIR/hosts.conf" <<CONF
tunnel = "10.99.0.1";
hosts = (
  { name = "gw"; capacity = { web = 1; }; },
  { name = "b"; run = [ "nsenter", "--net=/run/netns/hb" ]; tools = "$BIN";
    vmm = "$HB/vmm.conf"; tunnel = "10.99.0.12"; capacity = { web = 1000; }; }
);
CONF
place=(\"$BIN/potemkin-place\", \"-c\", \"$FARM_DIR/vmm.conf\", \"-H\", \"$FARM_DIR/hosts.conf\")
sed -i "s|^  command = .*|  command = [ ${place[*]} ];|" "$FARM_DIR/gateway.conf"
farm_rules_up || die "cannot load the gateway's rules"
farm_gateway_start || die "the gateway did not start"
for p in $FARM_GATEWAY_PID $(pgrep -P "$FARM_GATEWAY_PID"); do
	taskset -a -p -c "$CPU_RX" "$p" >/dev/null || die "cannot pin the gateway"
done

# One after the other: the first placed goes to gw (first in hosts.conf),
# the second, gw being full, to b.
bind_ready() {
	farm_ctl bind "$1" >/dev/null || die "potemkin-ctl bind $1 failed"
	for i in $(seq 1 500); do
		[ "$(farm_ctl --json vms | grep -o '"state":"ready"' | wc -l)" = "$2" ] && return
		sleep 0.02
	done
	die "the clone of $1 did not become ready"
}
bind_ready 198.51.100.10 1
bind_ready 198.51.100.11 2
vms=$(farm_ctl --json vms)
host_of() { echo "$vms" | jq -r ".vms[] | select(.addr == \"$1\") | .host"; }
[ "$(host_of 198.51.100.10)" = gw ] && [ "$(host_of 198.51.100.11)" = b ] ||
	die "the clones are not where they should be: $vms"
LOCAL_NS=/run/netns/$(ls /run/netns | grep '^pk[0-9]*$' | head -n 1)
REMOTE_NS=$HB/netns/$(ls "$HB/netns" | head -n 1)
for ns in "$LOCAL_NS" "$REMOTE_NS"; do
	nsenter --net="$ns" iptables -t raw -A PREROUTING -p udp --dport 9 -j DROP ||
		die "cannot count in $ns"
done
EXT_MAC=$(cat /sys/class/net/ext0/address)

counted() {
	nsenter --net="$1" iptables -t raw -nvxL PREROUTING |
		awk 'NR > 2 { s += $1 } END { print s + 0 }'
}

# Busy time of CPU $1 so far, in USER_HZ ticks: all but idle and iowait.
busy() {
	awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# deliver KIND NS ADDR SECS PAIR: hits to ADDR, counted in NS, and the
# gateway's CPU's busy time per packet counted (its share of the path).
deliver() {
	local c0 c1 c out b0 b1
	c0=$(counted "$2") b0=$(busy "$CPU_RX")
	out=$(ip netns exec "$FARM_INET" "$BLAST" -c "$CPU_TX" -t "$4" ${RATE:+-R "$RATE"} -m hits -f 64 eth0 \
		"$EXT_MAC" 203.0.113.64/26 "$3") || die "pkt-blast failed"
	c1=$(counted "$2")
	for i in $(seq 1 50); do
		sleep 0.1
		c=$(counted "$2")
		[ "$c" = "$c1" ] && break
		c1=$c
	done
	b1=$(busy "$CPU_RX")
	echo "$out" | awk -v k="$1" -v p="$5" -v n=$((c1 - c0)) -v b=$((b1 - b0)) \
		-v hz="$(getconf CLK_TCK)" '{
		for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		printf "run pair=%s kind=%s received=%d pps=%.0f sent=%s sender_pps=%s " \
		    "seconds=%s gw_cpu_ns_per_packet=%.0f\n", p, k, n, n / v["seconds"],
		    v["sent"], v["pps"], v["seconds"], n ? b / hz * 1e9 / n : 0
	}'
}

RUNS=$FARM_DIR/runs
say() { echo "$*" | tee -a "$RUNS"; }
say "# hosts-bench: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg);" \
	"${SECONDS_RUN}s a run, $PAIRS rounds, $PLACEMENTS placements"
deliver local "$LOCAL_NS" 198.51.100.10 1 warmup >/dev/null
deliver remote "$REMOTE_NS" 198.51.100.11 1 warmup >/dev/null
for pair in $(seq 1 "$PAIRS"); do
	say "$(deliver local "$LOCAL_NS" 198.51.100.10 "$SECONDS_RUN" "$pair")"
	say "$(deliver remote "$REMOTE_NS" 198.51.100.11 "$SECONDS_RUN" "$pair")"
done

# Placement against the remote command alone, in turns; ms with 3 decimals.
ms_of() {
	local t0 t1
	t0=$(date +%s%N)
	"$@" >"$FARM_DIR/rec" || die "$* failed"
	t1=$(date +%s%N)
	awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f", d / 1e6 }'
}
for i in $(seq 1 "$PLACEMENTS"); do
	t=$(ms_of "$BIN/potemkin-place" -c "$FARM_DIR/vmm.conf" -H "$FARM_DIR/hosts.conf" \
		--type web --ip 198.51.100.200 --universe 9)
	id=$(tr ' ' '\n' <"$FARM_DIR/rec" | sed -n 's/^id=//p')
	"$BIN/potemkin-teardown" -c "$FARM_DIR/vmm.conf" "$id" || die "teardown $id failed"
	say "run kind=place ms=$t"
	t=$(ms_of on_b "$BIN/potemkin-clone" -c "$HB/vmm.conf" --type web --ip 198.51.100.200 \
		--universe 9 --host b --tunnel 10.99.0.1:99999:4789)
	id=$(tr ' ' '\n' <"$FARM_DIR/rec" | sed -n 's/^id=//p')
	on_b "$BIN/potemkin-teardown" -c "$HB/vmm.conf" "$id" || die "teardown $id on b failed"
	say "run kind=remote-command ms=$t"
done
say "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"

awk '
	function med(s,   a, n, i, j, t) {
		n = split(s, a, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function lo(s,   a, n, i, m) { n = split(s, a, " "); m = a[1]
		for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i]; return m }
	function hi(s,   a, n, i, m) { n = split(s, a, " "); m = a[1]
		for (i = 2; i <= n; i++) if (a[i] + 0 > m + 0) m = a[i]; return m }
	/^run pair=[0-9]/ {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		pps[v["kind"]] = pps[v["kind"]] " " v["pps"]
		by[v["kind"], v["pair"]] = v["pps"]; pairs[v["pair"]] = 1
		cpu[v["kind"]] = cpu[v["kind"]] " " v["gw_cpu_ns_per_packet"]
		cby[v["kind"], v["pair"]] = v["gw_cpu_ns_per_packet"]
	}
	/^run kind=(place|remote-command) / {
		split($3, kv, "="); ms[substr($2, 6)] = ms[substr($2, 6)] " " kv[2]
	}
	END {
		for (k in pps)
			printf "result name=hosts-deliver-%s median=%.0f min=%.0f max=%.0f " \
			    "gw_cpu_ns_per_packet=%.0f\n", k, med(pps[k]), lo(pps[k]),
			    hi(pps[k]), med(cpu[k])
		for (p in pairs) {
			r = r " " by["remote", p] / by["local", p]
			if (cby["remote", p] > 0)
				cr = cr " " cby["local", p] / cby["remote", p]
		}
		printf "result name=hosts-deliver-ratio median=%.3f min=%.3f max=%.3f\n",
		    med(r), lo(r), hi(r)
		printf "result name=hosts-deliver-cpu-ratio median=%.3f min=%.3f max=%.3f\n",
		    med(cr), lo(cr), hi(cr)
		for (k in ms)
			printf "result name=hosts-%s median=%.3f min=%.3f max=%.3f\n",
			    k, med(ms[k]), lo(ms[k]), hi(ms[k])
		printf "result name=hosts-place-cost median=%.3f\n",
		    med(ms["place"]) - med(ms["remote-command"])
	}' "$RUNS" | tee -a "$RUNS"
[ -z "$OUT" ] || cp "$RUNS" "$OUT"
