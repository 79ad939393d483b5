#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Clone-tools benchmarks, netns and qemu, in a private network and mount
# namespace (nothing of the host is touched).  As root, from the top of the
# tree after `make`:
#
#	bench/clone-bench.sh [netns|qemu|live-netns|live-qemu ...]
#
# netns, qemu    clone-latency over CLONES clones (default 100 / 50): clone to
#                record, clone to the service's SYN-ACK through pk<ID>,
#                teardown; first one at a time (-s: no other clone alive),
#                then all kept alive (the load of a farm filling up), with
#                private memory per idle clone.
# qemu-pool      the same with "pool = POOL" (default 4): clones loaded
#                ahead of demand, refilled in the background
# live-netns     LIVE_NETNS clones (default 1000) alive at once; all answer?
# live-qemu      LIVE_QEMU clones (default 100) alive at once; all answer?
# many           MANY_CLONES qemu clones (default 300) alive at once: each
#                answers a real HTTP request through pk<ID>; their memory,
#                the host's, its load, their idle CPU, the time to make them
# gw-syn         through the real gateway (lib/farmnet.sh): an attacker's
#                first SYN to a new address until its SYN-ACK, GW_SYN times
#                (default 20) each, in turns: a cold qemu clone, and one
#                taken from a pool of GW_POOL (default 8) warmed before the
#                gateway's rules were up.  Where the time goes: GW_SYN_PCAP=
#                FILE keeps every TCP packet the gateway's side saw (tcpdump
#                -i any), GW_SYN_EVENTS=FILE the gateway's events (bind
#                times)
# merge          MERGE_CLONES qemu clones (default 30) alive at once, without
#                and with vmm.conf "merge = true", in turns, KSM running for
#                the part (/sys/kernel/mm/ksm: run 1, pages_to_scan
#                MERGE_PAGES, default 1000, every 20 ms; every value put back
#                afterwards): private memory per clone (p50) once ksmd has
#                made three full scans over them (MERGE_WAIT s at most,
#                default 600), MemAvailable per clone, ksmd's CPU, and
#                whether every clone still answers HTTP; MERGE_NOASLR=1 adds a
#                turn merging QEMUs whose addresses are not randomized
#                (setarch -R; measured, not a setting)
# disk           the Debian guest on a disk (potemkin-mkimage --disk) against
#                the initramfs guest, side by side: DISK_CLONES (default 10)
#                of each, one at a time then all alive (first SYN-ACK on
#                port 80, private memory), and what their disks take
#
# The qemu guest comes from potemkin-mkimage (cached in build/guest), the
# Debian one from potemkin-mkimage --disk (build/guest-disk).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${POTEMKIN_BENCH_ISOLATED:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "clone-bench: needs root" >&2; exit 1; }
	# The netns clones' root file system, fetched while there is a network.
	"$top/bin/potemkin-mkimage" --rootfs -q "$top/build/rootfs" || exit 1
	case " $* " in
	*" disk "*)
		"$top/bin/potemkin-mkimage" -q "$top/build/guest" || exit 1
		"$top/bin/potemkin-mkimage" --disk -q -l admin:admin123 \
			"$top/build/guest-disk" || exit 1 ;;
	esac
	POTEMKIN_BENCH_ISOLATED=1 exec unshare --mount --net --propagation private \
		-- bash ${BENCH_TRACE:+-x} "$top/bench/clone-bench.sh" "$@"
fi
. "$top/lib/private-ns.sh"
private_ns_setup || exit 1
export PATH="$top/bin:$top/bench:$PATH"

work=$(mktemp -d /tmp/potemkin-bench.XXXXXX)
image=$top/build/guest
rootfs=$top/build/rootfs
mkdir -p "$work/www"
echo "bench" >"$work/www/index.html"
cat >"$work/vmm.conf" <<CONF
statedir = "$work/state";
memdir = "/dev/shm/potemkin-bench-$$";
cgroup = "potemkin-bench-$$";
types = {
  web = {
    backend = "netns";
    root = "$rootfs";
    binds = ( "$work/www:/srv/www" );
    services = ( "busybox httpd -f -p 80 -h /srv/www",
                 "busybox telnetd -F -p 23 -l /bin/sh" );
    ready_tcp = [ 80, 23 ];
  };
  linux = {
    backend = "qemu";
    kernel = "$image/vmlinuz";
    initrd = "$image/initrd.img";
    memory = 128;
    accel = "tcg";
    ready_timeout = "120s";
  };
  debian = {
    backend = "qemu";
    kernel = "$top/build/guest-disk/vmlinuz";
    initrd = "$top/build/guest-disk/initrd.img";
    disk = "$top/build/guest-disk/disk.qcow2";
    memory = 256;
    tcg_buffer = 32;
    accel = "tcg";
    ready_timeout = "300s";
  };
  linux-pool = {
    backend = "qemu";
    kernel = "$image/vmlinuz";
    initrd = "$image/initrd.img";
    memory = 128;
    accel = "tcg";
    ready_timeout = "120s";
    pool = ${POOL:-4};
    ready_tcp = [ 80 ];
  };
  linux-merge = {
    backend = "qemu";
    kernel = "$image/vmlinuz";
    initrd = "$image/initrd.img";
    memory = 128;
    accel = "tcg";
    ready_timeout = "120s";
    merge = true;
  };
};
CONF
cgroups_rm() {
	local g
	for g in $(sed -n "s|^[^ ]* [^ ]* [^ ]* / \([^ ]*\) .* - cgroup2\{0,1\} .*|\1/potemkin-bench-$$|p" \
	    /proc/self/mountinfo | sort -u); do
		[ -d "$g" ] || continue
		find "$g" -depth -type d -exec rmdir {} + 2>/dev/null || :
	done
}
# KSM is the host's: what the merge part changed goes back, whatever happens.
ksm=/sys/kernel/mm/ksm
ksm_saved=
ksm_restore() {
	local kv
	for kv in $ksm_saved; do
		echo "${kv#*=}" >"$ksm/${kv%%=*}" || :
	done
	ksm_saved=
}
trap 'ksm_restore; potemkin-teardown -c "$work/vmm.conf" -a >/dev/null 2>&1; cgroups_rm; rm -rf "$work" /dev/shm/potemkin-bench-$$' EXIT
trap 'exit 130' INT TERM HUP

machine() {
	echo "machine: $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), $(free -g | awk '/^Mem:/ {print $2}') GB, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
}

qemu_ready() {
	potemkin-mkimage -q "$image"
	potemkin-snapshot -c "$work/vmm.conf" linux 2>&1 | sed 's/^/  /'
}

# The Debian guest against the initramfs one, in turns, the same count.
disk_vs_initramfs() {
	local n=${DISK_CLONES:-10} t
	qemu_ready
	potemkin-snapshot -c "$work/vmm.conf" debian 2>&1 | sed 's/^/  /'
	for t in linux debian; do
		echo "qemu (tcg) $t, one at a time: clone-latency -s -n $n -t $t"
		clone-latency -s -n "$n" -c "$work/vmm.conf" -t $t | sed 's/^/  /'
	done
	for t in linux debian; do
		echo "qemu (tcg) $t, all alive: clone-latency -k -n $n -t $t"
		clone-latency -k -n "$n" -c "$work/vmm.conf" -t $t | sed 's/^/  /'
		if [ $t = debian ]; then
			echo "  disk: image $(du -m "$top/build/guest-disk/disk.qcow2" | cut -f1) MB" \
				"(once), snapshot delta $(du -k "$work/state/snapshots/debian/disk.qcow2" | cut -f1) kB" \
				"(once), clone overlays $(du -ck "$work"/state/vms/*/disk.qcow2 | tail -n 1 | cut -f1) kB" \
				"for $n clones"
		fi
		potemkin-teardown -c "$work/vmm.conf" -a
	done
}

# N clones kept alive, then: do all answer, what do they cost together?
live() {	# type count [ip base]
	local t=$1 n=$2 base=${3:-} before after start end
	before=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
	start=$(date +%s%N)
	clone-latency -k -n "$n" ${base:+-i $base} -c "$work/vmm.conf" -t "$t" |
		sed 's/^/  /'
	end=$(date +%s%N)
	after=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
	echo "  $(potemkin-ls -c "$work/vmm.conf" | grep -c ' running ') running," \
		"$(((end - start) / 1000000)) ms to start them all," \
		"MemAvailable down $(((before - after) / 1024)) MB" \
		"($(((before - after) / n)) kB per clone)"
	# every clone still answers
	local bad=0
	while read -r id ifname ip; do
		curl -s --max-time 5 --interface "$ifname" "http://$ip/" >/dev/null ||
			bad=$((bad + 1))
	done < <(potemkin-ls -c "$work/vmm.conf" -j |
		sed -n 's/.*"id":\([0-9]*\),.*"ifname":"\([^"]*\)",.*"guest_ip":"\([^"]*\)".*/\1 \2 \3/p')
	echo "  answering HTTP afterwards: $((n - bad)) of $n"
	[ "$t" = linux ] && idle_cpu
	echo "  host: load $(cut -d' ' -f1-3 /proc/loadavg)," \
		"MemAvailable $(($(awk '/^MemAvailable:/ {print $2}' /proc/meminfo) / 1024)) MB"
	start=$(date +%s%N)
	potemkin-teardown -c "$work/vmm.conf" -a
	end=$(date +%s%N)
	echo "  teardown -a of all: $(((end - start) / 1000000)) ms"
}

# The live clones' QEMUs, from smaps_rollup: "p50 min max" in MB of their
# private memory (Private_Clean + Private_Dirty), then the p50 of their
# proportional share (Pss: a merged page counts 1/N in each of its N).
rollup_mb() {
	local p l
	l=$(for p in $(potemkin-ls -c "$work/vmm.conf" -j | sed -n 's/.*"pid":\([0-9]*\).*/\1/p'); do
		awk '/^Private_(Clean|Dirty):/ {kb += $2} /^Pss:/ {pss = $2}
			END {print kb, pss}' /proc/$p/smaps_rollup
	done)
	echo "$(echo "$l" | cut -d' ' -f1 | sort -n | awk '{v[NR] = $1} END {
		printf "%.1f %.1f %.1f", v[int((NR + 1) / 2)] / 1024, v[1] / 1024, v[NR] / 1024 }')" \
		"$(echo "$l" | cut -d' ' -f2 | sort -n | awk '{v[NR] = $1} END {
		printf "%.1f", v[int((NR + 1) / 2)] / 1024 }')"
}

ksmd_ticks() {
	local p
	p=$(ps -eo pid=,comm= | awk '$2 == "ksmd" {print $1}')
	[ -n "$p" ] && cut -d' ' -f14,15 /proc/$p/stat | awk '{print $1 + $2}' || echo 0
}

cpu_pct() {	# ticks ms
	awk -v d="$1" -v hz="$(getconf CLK_TCK)" -v ms="$2" \
		'BEGIN { printf "%.1f %% of one CPU", 100 * d / hz / (ms / 1000) }'
}

# MERGE_CLONES idle clones with merge = true, then without; KSM on for both.
# MERGE_NOASLR=1 adds a third turn, merging with QEMU's address space not
# randomized (setarch -R): what ASLR keeps from merging (measured only).
merge_vs_not() {
	local n=${MERGE_CLONES:-30} turn t pre before after w0 ms k0 s0 s1 dl bad r
	local waited=0 idle=${IDLE_S:-10}
	qemu_ready
	mkdir -p "$work/state/snapshots/linux-merge"
	cp "$work/state/snapshots/linux/"* "$work/state/snapshots/linux-merge/"
	cp "/dev/shm/potemkin-bench-$$/linux.ram" "/dev/shm/potemkin-bench-$$/linux-merge.ram"
	chgrp $(( (1 << 30) + 4 * 65536 )) "/dev/shm/potemkin-bench-$$/linux-merge.ram"
	ksm_saved="run=$(cat $ksm/run) pages_to_scan=$(cat $ksm/pages_to_scan) sleep_millisecs=$(cat $ksm/sleep_millisecs)"
	echo "  KSM before: $ksm_saved; for the part: run=1 sleep_millisecs=20," \
		"pages_to_scan ${MERGE_PAGES:-1000} while merging, 100 idle"
	echo 20 >$ksm/sleep_millisecs
	echo 1 >$ksm/run
	# Merging first: the clones without then wait as long (ksmd counts
	# no full scan while nothing of theirs is offered to it).
	for turn in on off ${MERGE_NOASLR:+on-noaslr}; do
		t=linux-merge pre=
		[ $turn = off ] && t=linux
		[ $turn = on-noaslr ] && pre="setarch -R"
		echo "qemu (tcg) merge $turn: $n clones alive, KSM running"
		echo "${MERGE_PAGES:-1000}" >$ksm/pages_to_scan
		before=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
		$pre clone-latency -k -n "$n" -c "$work/vmm.conf" -t $t |
			grep 'private' | sed 's/^/  at start: /'
		# Two full scans to merge (the first only finds candidates), a
		# third to settle.
		s0=$(cat $ksm/full_scans)
		w0=$(date +%s%N)
		k0=$(ksmd_ticks)
		if [ $turn = off ]; then
			sleep "$(awk -v ms=$waited 'BEGIN { printf "%.3f", ms / 1000 }')"
		else
			dl=$(( $(date +%s) + ${MERGE_WAIT:-600} ))
			while [ $(( $(cat $ksm/full_scans) - s0 )) -lt 3 ] &&
			    [ $(date +%s) -lt $dl ]; do
				sleep 0.5
			done
			waited=$((($(date +%s%N) - w0) / 1000000))
		fi
		s1=$(cat $ksm/full_scans)
		ms=$((($(date +%s%N) - w0) / 1000000))
		after=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
		r=$(rollup_mb)
		set -- $r
		echo "  merged: private memory per clone p50 $1 MB (min $2, max $3), Pss p50 $4 MB," \
			"after $((s1 - s0)) full scans, $ms ms after the last clone$(
			[ $turn != off ] && [ $((s1 - s0)) -lt 3 ] && echo ' (deadline reached)')"
		echo "  ksmd while merging: $(cpu_pct $(($(ksmd_ticks) - k0)) $ms);" \
			"pages_shared $(cat $ksm/pages_shared) pages_sharing $(cat $ksm/pages_sharing)" \
			"general_profit $(($(cat $ksm/general_profit) / 1048576)) MB (host-wide)"
		echo "  MemAvailable down $(((before - after) / 1024)) MB ($(((before - after) / n)) kB per clone)"
		bad=0
		while read -r ifname ip; do
			curl -s --max-time 5 --interface "$ifname" "http://$ip/" >/dev/null ||
				bad=$((bad + 1))
		done < <(potemkin-ls -c "$work/vmm.conf" -j |
			sed -n 's/.*"ifname":"\([^"]*\)",.*"guest_ip":"\([^"]*\)".*/\1 \2/p')
		echo "  answering HTTP afterwards: $((n - bad)) of $n"
		echo 100 >$ksm/pages_to_scan
		k0=$(ksmd_ticks)
		sleep "$idle"
		r=$(rollup_mb)
		set -- $r
		echo "  idle: ksmd $(cpu_pct $(($(ksmd_ticks) - k0)) $((idle * 1000))) over $idle s" \
			"(pages_to_scan 100); private memory per clone p50 $1 MB after it"
		potemkin-teardown -c "$work/vmm.conf" -a
	done
	ksm_restore
	echo "  KSM put back: run=$(cat $ksm/run) pages_to_scan=$(cat $ksm/pages_to_scan) sleep_millisecs=$(cat $ksm/sleep_millisecs)"
}

# What the live qemu clones take of the CPUs while idle, over IDLE_S
# seconds (default 10): their QEMUs' user + system time.
idle_cpu() {
	local s=${IDLE_S:-10} pids t0 t1 n
	pids=$(potemkin-ls -c "$work/vmm.conf" -j | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
	n=$(echo $pids | wc -w)
	ticks() { for p in $pids; do cut -d' ' -f14,15 /proc/$p/stat 2>/dev/null; done |
		awk '{t += $1 + $2} END {print t + 0}'; }
	t0=$(ticks)
	sleep "$s"
	t1=$(ticks)
	awk -v d=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v s="$s" -v n="$n" 'BEGIN {
		printf "  idle CPU: %.1f %% of one CPU for %d clones (%.3f %% each), over %d s\n",
			100 * d / hz / s, n, 100 * d / hz / s / n, s }'
}

# The attacker's side: connect from src to dst:80, the time from the SYN
# sent to the SYN-ACK received (the connect completing), in ms.
syn_time() {	# src dst
	farm_in python3 -c '
import socket, sys, time
s = socket.socket()
s.bind((sys.argv[1], 0))
s.settimeout(10)
t = time.monotonic()
try:
    s.connect((sys.argv[2], 80))
    print("%.2f" % ((time.monotonic() - t) * 1000))
except OSError as e:
    print("fail")
' "$1" "$2"
}

# Median, p90, min, max of numbers on stdin ("fail" counted apart).
stats() {
	sort -n | awk '/fail/ {f++; next} {v[n++] = $1}
	END { if (!n) { print "no answer"; exit }
		printf "n=%d median %.2f ms  p90 %.2f  min %.2f  max %.2f  failed %d\n",
			n, v[int(n / 2)], v[int(n * 9 / 10)], v[0], v[n - 1], f }'
}

# A farm behind the real gateway, two qemu types of the same guest, one
# with a pool: the first SYN-ACK a new address gives an attacker.
gw_syn() {
	local n=${GW_SYN:-20} pool=${GW_POOL:-8} i src sniffer=
	FARM_DIR=$work/farm BIN=$top/bin FARM_GUEST_DIR=$image FARM_ROOTFS=$rootfs
	FARM_CGROUP=potemkin-bench-$$-farm
	mkdir -p "$FARM_DIR"
	. "$top/lib/farmnet.sh"
	FARM_POLICY=$FARM_DIR/farm.policy
	cat >"$FARM_POLICY" <<-POLICY
	farm 198.51.100.0/24
	type web tcp { 80 }
	type webpool tcp { 80 }
	hosts 198.51.100.0/25 web
	hosts 198.51.100.128/25 webpool
	universe per-source
	idle 2s
	limit clones 2
	inbound drop proto tcp flags !S/SA unbound
	inbound reject closed
	inbound bind
	outbound pass reply within 10m
	outbound drop
	POLICY
	local common="backend = \"qemu\"; kernel = \"$image/vmlinuz\";
	    initrd = \"$image/initrd.img\"; memory = 128; accel = \"tcg\";
	    ready_timeout = \"120s\";"
	cat >"$FARM_DIR/vmm.conf" <<-CONF
	statedir = "$FARM_DIR/state";
	memdir = "$FARM_DIR/mem";
	cgroup = "$FARM_CGROUP";
	types = {
	  web = { $common };
	  webpool = { $common pool = $pool; ready_tcp = [ 80 ]; };
	};
	CONF
	trap 'ksm_restore; farm_down >/dev/null 2>&1 || :; potemkin-teardown -c "$work/vmm.conf" -a >/dev/null 2>&1; cgroups_rm; rm -rf "$work" /dev/shm/potemkin-bench-$$' EXIT
	mkdir -p "$FARM_DIR/state" "$FARM_DIR/mem" &&
		mount -t tmpfs -o mode=755 potemkin-mem "$FARM_DIR/mem" &&
		farm_net_up && farm_policy_and_gateway_conf &&
		potemkin-snapshot -c "$FARM_DIR/vmm.conf" web 2>&1 | sed 's/^/  /' &&
		potemkin-snapshot -c "$FARM_DIR/vmm.conf" webpool 2>&1 | sed 's/^/  /' &&
		farm_rules_up >/dev/null && farm_gateway_start || { echo "gw-syn: no farm" >&2; return 1; }
	# Cold and pooled in turns, each from a source and to an address of its
	# own (per-source universes: every SYN here makes a clone); between
	# two, time for the clone made to idle out (idle 2s) and for a pool's
	# refill to be past QEMU's start (its warming fails under the rules).
	: >"$FARM_DIR/cold" && : >"$FARM_DIR/pooled"
	if [ -n "${GW_SYN_PCAP:-}" ]; then
		tcpdump -i any -n -U -w "$GW_SYN_PCAP" tcp 2>/dev/null &
		sniffer=$!
		sleep 1
	fi
	for i in $(seq 0 $((n - 1))); do
		src=203.0.113.$((10 + i % 20))
		syn_time "$src" "198.51.100.$((1 + i))" >>"$FARM_DIR/cold"
		sleep 3
		if [ "$i" -lt "$pool" ]; then
			syn_time "$src" "198.51.100.$((129 + i))" >>"$FARM_DIR/pooled"
			sleep 3
		fi
	done
	[ -z "$sniffer" ] || kill -INT "$sniffer"
	[ -z "${GW_SYN_EVENTS:-}" ] || cp "$FARM_DIR/events.jsonl" "$GW_SYN_EVENTS"
	echo "  cold (no pool), first SYN to SYN-ACK at the attacker: $(stats <"$FARM_DIR/cold")"
	echo "  pooled (warmed, pool of $pool), first SYN to SYN-ACK: $(stats <"$FARM_DIR/pooled")"
	echo "  each, in turns: cold $(tr '\n' ' ' <"$FARM_DIR/cold"); pooled $(tr '\n' ' ' <"$FARM_DIR/pooled")"
	farm_gateway_stop
}

machine
for what in "${@:-netns qemu}"; do
	for w in $what; do
		case $w in
		netns)
			echo "netns, one at a time: clone-latency -s -n ${CLONES:-100} -i 198.51.100.1 -t web"
			clone-latency -s -n "${CLONES:-100}" -i 198.51.100.1 \
				-c "$work/vmm.conf" -t web | sed 's/^/  /'
			echo "netns, all alive: clone-latency -n ${CLONES:-100} -i 198.51.100.1 -t web"
			clone-latency -n "${CLONES:-100}" -i 198.51.100.1 \
				-c "$work/vmm.conf" -t web | sed 's/^/  /' ;;
		qemu)
			qemu_ready
			echo "qemu (tcg), one at a time: clone-latency -s -n ${CLONES:-50} -t linux"
			clone-latency -s -n "${CLONES:-50}" -c "$work/vmm.conf" -t linux |
				sed 's/^/  /'
			echo "qemu (tcg), all alive: clone-latency -n ${CLONES:-50} -t linux"
			clone-latency -n "${CLONES:-50}" -c "$work/vmm.conf" -t linux |
				sed 's/^/  /' ;;
		qemu-pool)
			qemu_ready
			mkdir -p "$work/state/snapshots/linux-pool"
			cp "$work/state/snapshots/linux/"* "$work/state/snapshots/linux-pool/"
			# Its own ids (vmm.conf(5)): its QEMU reads the memory as theirs.
			cp "/dev/shm/potemkin-bench-$$/linux.ram" "/dev/shm/potemkin-bench-$$/linux-pool.ram"
			chgrp $(( (1 << 30) + 2 * 65536 )) "/dev/shm/potemkin-bench-$$/linux-pool.ram"
			potemkin-snapshot -c "$work/vmm.conf" linux-pool 2>&1 | sed 's/^/  /'
			echo "qemu (tcg), pool of ${POOL:-4}, one at a time: clone-latency -s -n ${CLONES:-50} -t linux-pool"
			clone-latency -s -n "${CLONES:-50}" -c "$work/vmm.conf" -t linux-pool |
				sed 's/^/  /' ;;
		live-netns)
			echo "netns: ${LIVE_NETNS:-1000} clones alive at once"
			live web "${LIVE_NETNS:-1000}" 10.64.0.1 ;;
		disk) disk_vs_initramfs ;;
		merge) merge_vs_not ;;
		gw-syn)
			echo "qemu (tcg) through the gateway: first SYN to SYN-ACK, GW_SYN=${GW_SYN:-20}, GW_POOL=${GW_POOL:-8}"
			gw_syn ;;
		live-qemu)
			qemu_ready
			echo "qemu (tcg): ${LIVE_QEMU:-100} clones alive at once"
			live linux "${LIVE_QEMU:-100}" ;;
		many)
			qemu_ready
			echo "qemu (tcg) many: ${MANY_CLONES:-300} clones alive at once"
			live linux "${MANY_CLONES:-300}" ;;
		*) echo "clone-bench: unknown benchmark $w" >&2; exit 2 ;;
		esac
	done
done
