#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# What the cage costs: clones made by today's tools beside the same clones
# made by the tools before the cage (commit $CAGE_BENCH_BASE, built once in
# build/base), in one run, one after the other, on the same machine.
#
#	bench/cage-bench.sh [-n N] [-l LIVE] [netns] [pool] [qemu] [live]
#
# netns  potemkin-clone to the first answered SYN (N clones of each tree one
#        at a time, in blocks of 5 taken in turn), then N alive at once for
#        the private memory of an idle clone;
# pool   the old tools' netns clones beside the new ones taken from a pool
#        of 8 (pool = 8 in vmm.conf), in blocks of 5 taken in turn;
# qemu   the same as netns for qemu clones (TCG), N/5 of them;
# live   LIVE caged netns clones alive at once (default 1000): do all of them
#        answer, and how fast is one more clone then?
#
# As root, from anywhere; everything happens in namespaces of its own.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
base_rev=${CAGE_BENCH_BASE:-071f8fd}
base=$top/build/base
N=50 LIVE=1000
usage() {
	echo "usage: cage-bench.sh [-n N] [-l LIVE] [netns] [pool] [qemu] [live]" >&2
	exit 2
}
while getopts n:l:h o; do
	case $o in
	n) N=$OPTARG ;;
	l) LIVE=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
case "$N$LIVE" in '' | *[!0-9]*) usage ;; esac
[ "$N" -ge 1 ] && [ "$LIVE" -ge 1 ] || usage
for w in "$@"; do case $w in netns | pool | qemu | live) ;; *) usage ;; esac; done
what=${*:-netns pool qemu live}

if [ -z "${CAGE_BENCH_ISOLATED:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "cage-bench: needs root" >&2; exit 1; }
	# Both trees built, the rootfs and the guest made while there is a
	# network.
	if [ ! -x "$base/bench/clone-latency" ]; then
		echo "cage-bench: building the tools before the cage ($base_rev) in $base"
		[ -d "$base" ] || git -C "$top" worktree add -q --detach "$base" "$base_rev"
		make -s -C "$base" -j"$(nproc)" >/dev/null
	fi
	make -s -C "$top" -j"$(nproc)" >/dev/null
	"$top/bin/potemkin-mkimage" --rootfs -q "$top/build/rootfs"
	case $what in *qemu*) "$top/bin/potemkin-mkimage" -q "$top/build/guest" ;; esac
	CAGE_BENCH_ISOLATED=1 exec unshare --mount --net --propagation private \
		-- bash "$0" -n "$N" -l "$LIVE" $what
fi
. "$top/lib/private-ns.sh"
private_ns_setup
work=$(mktemp -d /tmp/cage-bench.XXXXXX)
mem=/dev/shm/cage-bench-$$
cg=cage-bench-$$
mkdir -p "$work/www" "$mem" "$work/new/vms" "$work/new/snapshots" "$work/new/evidence"
# Ids (and so interface names) of their own for the new tools: a netns
# clone's veth goes with its namespace, after teardown has returned, and
# would still hold pk<ID> for the other tree's clone of the same id.
echo 50000 >"$work/new/vms/.next"
mount -t tmpfs -o mode=755 cage-bench "$mem"
echo bench >"$work/www/index.html"
guest=$top/build/guest

cleanup() {
	"$base/bin/potemkin-teardown" -c "$work/old.conf" -a >/dev/null 2>&1 || :
	"$top/bin/potemkin-teardown" -c "$work/new.conf" -a >/dev/null 2>&1 || :
	for g in /sys/fs/cgroup/*/"$cg" /sys/fs/cgroup/"$cg"; do
		[ -d "$g" ] && { find "$g" -depth -type d -exec rmdir {} + 2>/dev/null || :; }
	done
	umount -l "$mem" 2>/dev/null || :
	rm -rf "$work" "$mem"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

qemu_type() {	# name
	cat <<-CONF
	  $1 = {
	    backend = "qemu";
	    kernel = "$guest/vmlinuz";
	    initrd = "$guest/initrd.img";
	    memory = 128;
	    accel = "tcg";
	    ready_timeout = "120s";
	  };
	CONF
}
caged_web_type() {	# name more-settings
	cat <<-CONF
	  $1 = {
	    backend = "netns";
	    root = "$top/build/rootfs";
	    binds = ( "$work/www:/srv/www" );
	    services = ( "busybox httpd -f -p 80 -h /srv/www",
	                 "busybox telnetd -F -p 23 -l /bin/sh" );
	    ready_tcp = [ 80, 23 ];
	    $2
	  };
	CONF
}
cat >"$work/old.conf" <<CONF
statedir = "$work/old";
memdir = "$mem/old";
freezer = "none";
types = {
  web = {
    backend = "netns";
    services = ( "busybox httpd -f -p 80 -h $work/www",
                 "busybox telnetd -F -p 23 -l /bin/sh" );
    ready_tcp = [ 80, 23 ];
  };
$(qemu_type linux)
};
CONF
cat >"$work/new.conf" <<CONF
statedir = "$work/new";
memdir = "$mem/new";
cgroup = "$cg";
types = {
$(caged_web_type web "")
$(caged_web_type webpool "pool = 8;")
$(qemu_type linux)
};
CONF

machine() {
	echo "machine: $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), $(free -g | awk '/^Mem:/ {print $2}') GB, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
}

# latency TREE CONF TYPE N [-s]: clone-latency of that tree, its lines
# prefixed by the tree's name; netns clones carry their own addresses.
latency() {
	local tree=$1 dir=$base addr=
	[ "$tree" = new ] && dir=$top
	case $3 in web*) addr="-i 198.51.100.1" ;; esac
	PATH="$dir/bin:$PATH" "$dir/bench/clone-latency" ${5:-} -n "$4" $addr \
		-c "$work/$2" -t "$3" | sed "s/^/  $tree /"
}

# summary NAME FILE: the median of the medians of "old NAME" and of
# "new NAME" lines, and their ratio
summary() {
	awk -v m="$1" '
	function median() { for (i = 1; i < NF; i++) if ($i == "median") return $(i + 1) }
	function mid(a, n,   i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	index($0, " " m " ") && $1 == "old" { o[++no] = median() }
	index($0, " " m " ") && $1 == "new" { n[++nn] = median() }
	END { if (no && nn) { a = mid(o, no); b = mid(n, nn)
	    printf "  %-22s old %8.2f  new %8.2f  new/old %.2f  (medians of %d and %d runs)\n",
	    m, a, b, b / a, no, nn } }' "$2"
}

# blocks OLDTYPE NEWTYPE COUNT OUT: COUNT clones of each one at a time, in
# blocks of 5 taken in turn, so that the machine's drift weighs on both
# alike.
blocks() {
	local b
	for b in $(seq 1 $(( ($3 + 4) / 5 ))); do
		latency old old.conf "$1" 5 -s >>"$4"
		latency new new.conf "$2" 5 -s >>"$4"
	done
}

# pair TYPE COUNT LABEL: COUNT clones of each tree one at a time, in
# blocks of 5 taken in turn (old, new, old, new...), so that the machine's
# drift weighs on both alike; then COUNT of each alive at once.
run_pair() {
	local t=$1 k=$2 out=$work/$1.out
	: >"$out"
	echo "$3, one at a time: $(( (k + 4) / 5 )) blocks of clone-latency -s -n 5 -t $t, in turn"
	blocks "$t" "$t" "$k" "$out"
	summary "clone to record" "$out"
	summary "clone to SYN-ACK" "$out"
	summary teardown "$out"
	: >"$out"
	echo "$3, $k alive at once: clone-latency -n $k -t $t"
	latency old old.conf "$t" "$k" | tee -a "$out"
	latency new new.conf "$t" "$k" | tee -a "$out"
	summary "private memory/clone" "$out"
}

machine
for w in $what; do
	case $w in
	netns) run_pair web "$N" netns ;;
	pool)
		"$top/bin/potemkin-snapshot" -c "$work/new.conf" webpool 2>&1 | sed 's/^/  new /'
		echo "netns, old cold beside new from a pool of 8: $(( (N + 4) / 5 )) blocks of 5, in turn"
		: >"$work/pool.out"
		blocks web webpool "$N" "$work/pool.out"
		summary "clone to record" "$work/pool.out"
		summary "clone to SYN-ACK" "$work/pool.out"
		"$top/bin/potemkin-teardown" -c "$work/new.conf" -a ;;
	qemu)
		"$base/bin/potemkin-snapshot" -c "$work/old.conf" linux 2>&1 | sed 's/^/  old /'
		"$top/bin/potemkin-snapshot" -c "$work/new.conf" linux 2>&1 | sed 's/^/  new /'
		run_pair linux "$(( (N + 4) / 5 ))" "qemu (tcg)" ;;
	live)
		echo "netns: $LIVE caged clones alive at once"
		before=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
		start=$(date +%s%N)
		PATH="$top/bin:$PATH" "$top/bench/clone-latency" -k -n "$LIVE" -i 10.64.0.1 \
			-c "$work/new.conf" -t web | sed 's/^/  /'
		end=$(date +%s%N)
		after=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)
		echo "  $((end / 1000000 - start / 1000000)) ms to start them all," \
			"MemAvailable down $(((before - after) / 1024)) MB" \
			"($(((before - after) / LIVE)) kB per clone)"
		bad=0
		while read -r ifname ip; do
			curl -s --max-time 5 --interface "$ifname" "http://$ip/" >/dev/null ||
				bad=$((bad + 1))
		done < <("$top/bin/potemkin-ls" -c "$work/new.conf" -j |
			sed -n 's/.*"ifname":"\([^"]*\)",.*"guest_ip":"\([^"]*\)".*/\1 \2/p')
		echo "  answering HTTP: $((LIVE - bad)) of $LIVE"
		echo "  with $LIVE alive, 10 more one at a time:"
		latency new new.conf web 10 -s
		start=$(date +%s%N)
		"$top/bin/potemkin-teardown" -c "$work/new.conf" -a
		end=$(date +%s%N)
		echo "  teardown -a of all: $((end / 1000000 - start / 1000000)) ms" ;;
	esac
done
