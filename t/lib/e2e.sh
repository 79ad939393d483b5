# SPDX-License-Identifier: ISC
# End-to-end tests: source after test-lib.sh.  The script runs in a network
# and mount namespace of its own (the gateway host), builds the Internet
# namespace beside it with lib/farmnet.sh, and takes it all down at exit.
#
#	. "$(dirname "$0")/lib/test-lib.sh"
#	. "$TEST_DIRECTORY/lib/e2e.sh"
#	E2E_REQUIRE="NMAP"             # before sourcing: more prerequisites
#	E2E_GUEST=1                    # and the qemu guest image
#	E2E_DISK=1                     # or the Debian one on a disk (disk.sh)
#	test_expect_success 'setup' 'e2e_up'

test_require ROOT NETNS NFQUEUE IPTABLES BUSYBOX CURL TCPDUMP JQ ${E2E_REQUIRE:-}

# The qemu backend's guest image, built (or reused) before isolation, which
# leaves no network to fetch Debian packages with.
FARM_GUEST_DIR=${POTEMKIN_GUEST_DIR:-$SRC_ROOT/build/guest}
FARM_ROOTFS=${POTEMKIN_ROOTFS:-$SRC_ROOT/build/rootfs}
if [ -z "${POTEMKIN_ISOLATED:-}" ]; then
	if [ -n "${E2E_GUEST:-}" ]; then
		potemkin-mkimage -q "$FARM_GUEST_DIR" >&2 ||
			echo "$TEST_NAME: potemkin-mkimage $FARM_GUEST_DIR failed" >&2
	fi
	potemkin-mkimage --rootfs -q "$FARM_ROOTFS" >&2 ||
		echo "$TEST_NAME: potemkin-mkimage --rootfs $FARM_ROOTFS failed" >&2
fi
# The Debian guest on a disk, likewise (E2E_DISK=1).
if [ -n "${E2E_DISK:-}" ]; then
	. "$TEST_DIRECTORY/lib/disk.sh"
	disk_image
	FARM_DISK_DIR=$DISK_IMAGE
fi
test_isolate

FARM_DIR=$TRASH
. "$SRC_ROOT/lib/farmnet.sh"
test_atexit farm_down

e2e_up() {
	farm_net_up &&
	farm_write_configs "$@" &&
	farm_rules_up &&
	farm_resolver_start &&
	farm_gateway_start
}

# Every event the test's gateway wrote, of whatever kind, must be one the
# schema describes: the last test of every end-to-end script, run by its
# test_done (one python for all the files).
e2e_events_valid() {
	set -- "$FARM_DIR"/events*.jsonl
	[ -e "$1" ] || return 0
	/usr/bin/python3 "$TEST_DIRECTORY/lib/events-validate.py" \
		"$SRC_ROOT/nfq-gateway/events.schema.json" "$@"
}
eval "e2e_test_done_() $(declare -f test_done | tail -n +2)"
test_done() {
	test_expect_success JSONSCHEMA 'every event written matches events.schema.json' \
		'e2e_events_valid'
	e2e_test_done_
}

# Nothing of the farm's clones may remain: interfaces, namespaces, processes,
# state.  The Internet namespace and ext0 are the test's own.  The netns
# backend leaves the deletion of a clone's interfaces to the kernel, which
# does it moments after teardown: callers wait for this with a deadline.
e2e_nothing_left() {
	local left
	left=$(ip -o link show | awk -F': ' '$2 ~ /^pk[0-9]/ {print $2}')
	[ -z "$left" ] || { echo "left behind: links $left"; return 1; }
	left=$(ip netns list | awk '$1 ~ /^pk[0-9]/ {print $1}')
	[ -z "$left" ] || { echo "left behind: namespaces $left"; return 1; }
	left=$(farm_clone_procs; pgrep -f "$FARM_DIR/(www|state)")
	[ -z "$left" ] || { echo "left behind: processes" $left; return 1; }
	left=$(for g in $(farm_cgroups); do ls -d "$g"/pk* 2>/dev/null; done)
	[ -z "$left" ] || { echo "left behind: cgroups" $left; return 1; }
	left=$(ls "$FARM_DIR/state/vms" 2>/dev/null)
	[ -z "$left" ] || { echo "left behind: clone state $left"; return 1; }
}

# The clone id bound to a farm address, from potemkin-ctl.
e2e_vm_of() {
	farm_ctl --json vms | grep -o "{\"vm\":[0-9]*,[^}]*\"addr\":\"$1\"" |
		sed 's/^{"vm":\([0-9]*\),.*/\1/' | head -n 1
}

e2e_stat() {
	farm_ctl --json stats | grep -o "\"$1\":[0-9]*" | cut -d: -f2
}

# A file of clone $1's cgroup, from whichever hierarchy has it.
e2e_cgroup_file() {
	local g
	for g in $(farm_cgroups); do
		[ -f "$g/pk$1/$2" ] && cat "$g/pk$1/$2"
	done
	return 0
}
