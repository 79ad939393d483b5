# SPDX-License-Identifier: ISC
# cage.sh -- what the tests of caged (sandboxed) clones share.  Source it
# after test-lib.sh:
#
#	cage_rootfs           before test_isolate (it may download busybox):
#	                      the netns root file system, in $CAGE_ROOTFS
#	cage_setup            after test_isolate: a tmpfs memdir ($TRASH/mem),
#	                      a cgroup parent of this script's own
#	                      ($CAGE_CGROUP), removed at exit
#	cage_no_leftovers     no clone's link, namespace, directory, layer,
#	                      cgroup, process or mount is left
#	cage_procs            the pids of processes in our clones' cgroups
#	cage_qemus            how many live (not zombie) QEMUs are among them
#	cage_field KEY        KEY's value in the record line on stdin
#	cage_frozen ID        is clone ID's cgroup frozen?
#	cage_limits GROUP     the limits of our cgroup GROUP (pk<ID>): lines
#	                      "memory BYTES", "pids N", "cpu QUOTA/PERIOD"
#	cage_pids_current GROUP   how many tasks it has
#	cage_pids_max_hit GROUP   how often it hit its pids limit
#	cage_oom_kills GROUP      how many of its tasks the OOM killer took
#	cage_sh IF ADDR CMDS  run CMDS in the shell of the telnet service at
#	                      ADDR:23 reached through interface IF, as an
#	                      attacker would; its output on stdout, telnet's
#	                      negotiation and carriage returns removed

CAGE_ROOTFS=${POTEMKIN_ROOTFS:-$SRC_ROOT/build/rootfs}
# The first type's ids when vmm.conf sets none (vmm.conf(5)).
CAGE_IDS=1073741824

cage_rootfs() {
	if [ -z "${POTEMKIN_ISOLATED:-}" ]; then
		potemkin-mkimage --rootfs -q "$CAGE_ROOTFS" >&2 ||
			echo "$TEST_NAME: potemkin-mkimage --rootfs $CAGE_ROOTFS failed" >&2
	fi
}

cage_setup() {
	CAGE_CGROUP=potemkin-$TEST_NAME-$$
	mkdir -p "$TRASH/mem" &&
	mount -t tmpfs -o mode=755 potemkin-mem "$TRASH/mem" || exit 1
	test_atexit 'cage_cleanup; umount "$TRASH/mem"'
}

# Every hierarchy's copy of our parent group, and what is left in it.
cage_groups() {
	local m
	for m in $(sed -n 's/^[^ ]* [^ ]* [^ ]* [^ ]* \([^ ]*\) .* - cgroup2\{0,1\} .*/\1/p' \
	    /proc/self/mountinfo | sort -u); do
		[ -d "$m/$CAGE_CGROUP" ] && echo "$m/$CAGE_CGROUP"
	done
}

cage_cleanup() {
	local g
	potemkin-teardown -a >/dev/null 2>&1
	for g in $(cage_groups); do
		rmdir "$g"/pk* "$g" 2>/dev/null
	done
}

cage_procs() {
	grep -l "$CAGE_CGROUP/" /proc/[0-9]*/cgroup 2>/dev/null |
		sed 's|^/proc/\([0-9]*\)/cgroup$|\1|'
}

cage_qemus() {
	local p
	for p in $(cage_procs) 0; do ps -o stat=,comm= -p $p; done |
		grep -v "^Z" | grep -c "qemu-system"
}

cage_field() { tr " " "\n" | sed -n "s/^$1=//p"; }

# Says what is left, for test_wait_for's last try to show.
cage_no_leftovers() {
	local left g
	left=$(ip -o link show | grep -o ' pk[0-9]*' | tr -d ' ')
	left="$left $(ls /run/netns) $(ls "$TRASH/state/vms")"
	left="$left $(ls "$TRASH/mem/layers" 2>/dev/null) $(cage_procs)"
	left="$left $(grep -o "$TRASH/state[^ ]*" /proc/self/mountinfo)"
	for g in $(cage_groups); do
		left="$left $(ls -d "$g"/pk* 2>/dev/null)"
	done
	left=$(echo $left)
	[ -z "$left" ] && return 0
	echo "left behind: $left" >&2
	return 1
}

cage_frozen() {
	local g
	for g in $(cage_groups); do
		if [ -f "$g/pk$1/cgroup.events" ]; then
			grep -q "^frozen 1" "$g/pk$1/cgroup.events" && return 0
		elif [ -f "$g/pk$1/freezer.state" ]; then
			grep -q "^FROZEN" "$g/pk$1/freezer.state" && return 0
		fi
	done
	return 1
}

# The shell ends the session itself (exit); telnetd would end it at once
# on an end of input from our side, before the commands ran.
cage_limits() {
	local g
	for g in $(cage_groups); do
		g=$g/$1
		[ -f "$g/memory.max" ] && echo "memory $(cat "$g/memory.max")"
		[ -f "$g/memory.limit_in_bytes" ] &&
			echo "memory $(cat "$g/memory.limit_in_bytes")"
		[ -f "$g/pids.max" ] && echo "pids $(cat "$g/pids.max")"
		[ -f "$g/cpu.max" ] && echo "cpu $(tr ' ' / <"$g/cpu.max")"
		[ -f "$g/cpu.cfs_quota_us" ] &&
			echo "cpu $(cat "$g/cpu.cfs_quota_us")/$(cat "$g/cpu.cfs_period_us")"
	done
	return 0
}

cage_pids_current() {
	local g
	for g in $(cage_groups); do
		[ -f "$g/$1/pids.current" ] && cat "$g/$1/pids.current"
	done
	return 0
}

# How often a fork of GROUP's met its pids limit; its OOM kills.
cage_pids_max_hit() {
	local g
	for g in $(cage_groups); do
		[ -f "$g/$1/pids.events" ] && sed -n "s/^max //p" "$g/$1/pids.events"
	done
	return 0
}

cage_oom_kills() {
	local g
	for g in $(cage_groups); do
		[ -f "$g/$1/memory.events" ] &&
			sed -n "s/^oom_kill //p" "$g/$1/memory.events"
		[ -f "$g/$1/memory.oom_control" ] &&
			sed -n "s/^oom_kill //p" "$g/$1/memory.oom_control"
	done
	return 0
}

cage_sh() {
	printf '\n%s\nexit\n' "$3" |
		socat -T 20 STDIO,ignoreeof \
			"TCP:$2:23,so-bindtodevice=$1,connect-timeout=5" |
		perl -pe 's/\xff\xfa.*?\xff\xf0//g; s/\xff[\xfb-\xfe].//g; s/\r//g'
}
