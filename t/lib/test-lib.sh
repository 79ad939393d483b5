# SPDX-License-Identifier: ISC
# Potemkin shell test library, after git's t/test-lib.sh.
#
#	test_description='what this script tests'
#	. "$(dirname "$0")/lib/test-lib.sh"
#	test_require ROOT NETNS            # whole script, or:
#	test_expect_success [PREREQ,...] 'what' '
#		command && command
#	'
#	test_done
#
# A missing prerequisite skips ("ok N # skip ... (missing X)"); with
# POTEMKIN_REQUIRE=all, or a comma list naming it, it fails instead.
# Test bodies run in the script's shell with their output captured, shown
# only on failure (or always with POTEMKIN_VERBOSE=1).  Each script works in
# its own scratch directory, $TRASH, removed at exit.  A body whose commands
# are not all chained with && fails before it runs (see test_chain_lint_;
# POTEMKIN_CHAIN_LINT=0 turns the check off).

export LANG=C LC_ALL=C TZ=UTC
unset CDPATH

TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
# Absolute, for test_isolate's re-exec after we left the starting directory.
TEST_SCRIPT="$TEST_DIRECTORY/$(basename "$0")"
while [ ! -f "$TEST_DIRECTORY/lib/test-lib.sh" ] && [ "$TEST_DIRECTORY" != / ]; do
	TEST_DIRECTORY=$(dirname "$TEST_DIRECTORY")
done
SRC_ROOT=$(dirname "$TEST_DIRECTORY")
BIN="$SRC_ROOT/bin"
PATH="$BIN:$PATH:/usr/sbin:/sbin"
export SRC_ROOT BIN PATH TEST_DIRECTORY
TEST_NAME=$(basename "$0" .t)
# $0 may be relative (prove passes t/NAME.t); test_isolate re-runs it from /.
TEST_SCRIPT="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"

test_count=0
test_failed=0
test_skipped=0
test_cleanups=
test_exit_cleanups=

# ---- prerequisites ---------------------------------------------------------

# Each prerequisite is a function prereq_NAME that succeeds when it holds.
prereq_ROOT() { [ "$(id -u)" = 0 ]; }
prereq_NETNS() {
	prereq_ROOT && command -v ip >/dev/null &&
		unshare --net true 2>/dev/null
}
prereq_IPTABLES() { prereq_ROOT && command -v iptables >/dev/null; }
prereq_NFQUEUE() {
	prereq_NETNS && prereq_IPTABLES &&
		unshare --net sh -c \
			'iptables -t raw -A PREROUTING -j NFQUEUE --queue-num 0' \
			>/dev/null 2>&1
}
prereq_QEMU() { command -v qemu-system-x86_64 >/dev/null; }
prereq_KVM() { [ -w /dev/kvm ]; }
prereq_TUN() { [ -c /dev/net/tun ]; }
prereq_XEN() { command -v xl >/dev/null && [ -d /proc/xen ]; }
prereq_NMAP() { command -v nmap >/dev/null; }
prereq_HPING3() { command -v hping3 >/dev/null; }
prereq_TCPREPLAY() { command -v tcpreplay >/dev/null; }
prereq_TCPDUMP() { command -v tcpdump >/dev/null; }
prereq_CURL() { command -v curl >/dev/null; }
prereq_BUSYBOX() { command -v busybox >/dev/null; }
prereq_JQ() { command -v jq >/dev/null; }
# Debian's python3-jsonschema: root's PATH may find a python without it.
prereq_JSONSCHEMA() { /usr/bin/python3 -c "import jsonschema" 2>/dev/null; }
prereq_SOCAT() { command -v socat >/dev/null; }
prereq_TMUX() { command -v tmux >/dev/null; }
# Debian's Prometheus parser, for the exposition format (not pyenv's python).
prereq_PROMPARSE() { /usr/bin/python3 -c 'import prometheus_client.parser' 2>/dev/null; }
prereq_GNUPLOT() { command -v gnuplot >/dev/null; }
prereq_CLANG() { command -v clang >/dev/null; }
prereq_ETHTOOL() { command -v ethtool >/dev/null; }
# The kernel attaches programs at tcx (Linux 6.6): the fast path can run.
prereq_TCX() { prereq_ROOT && "$SRC_ROOT/t/helpers/gw-tcx-show" lo >/dev/null 2>&1; }
# The kernel tells of prctl(PR_SET_MEMORY_MERGE) (Linux 6.4): a process's
# memory may be offered to KSM whole, and whether it is can be read back.
prereq_KSM_MERGE_ANY() { grep -q "^ksm_merge_any:" /proc/self/ksm_stat 2>/dev/null; }
prereq_SSH() { command -v ssh >/dev/null; }
prereq_QEMU_IMG() { command -v qemu-img >/dev/null; }
prereq_MMDEBSTRAP() { command -v mmdebstrap >/dev/null && command -v mke2fs >/dev/null; }
prereq_TRACES() { test_traces_dir >/dev/null 2>&1; }

# Where the shared real captures are: $POTEMKIN_TRACES, else ../shared/traces
# beside the checkout (lib/traces-dir.sh, which the benchmarks use too).
test_traces_dir() {
	sh "$SRC_ROOT/lib/traces-dir.sh"
}

test_prereq_required() {
	case ",${POTEMKIN_REQUIRE:-}," in
	*,all,*|*,"$1",*) return 0 ;;
	esac
	return 1
}

# test_have_prereq A,B,...: all hold? Results are cached per script.
test_have_prereq() {
	local p var
	for p in $(printf '%s' "$1" | tr ',' ' '); do
		var="test_prereq_cache_$p"
		if [ -z "${!var:-}" ]; then
			if ! command -v "prereq_$p" >/dev/null; then
				echo "test-lib: unknown prerequisite $p" >&2
				eval "$var=no"
			elif "prereq_$p"; then
				eval "$var=yes"
			else
				eval "$var=no"
			fi
		fi
		if [ "${!var}" != yes ]; then
			test_missing_prereq=$p
			return 1
		fi
	done
	return 0
}

# The whole script needs these; skip it (or fail under POTEMKIN_REQUIRE).
test_require() {
	local p
	for p in "$@"; do
		test_have_prereq "$p" && continue
		if test_prereq_required "$p"; then
			echo "1..1"
			echo "not ok 1 - prerequisite $p is missing (required by POTEMKIN_REQUIRE)"
			exit 1
		fi
		echo "1..0 # SKIP missing $p"
		exit 0
	done
}

# Run the rest of the script in a network and mount namespace of its own, with
# a private /run/netns: named namespaces, pk* interfaces and firewall rules of
# one test never meet another's, and whatever a failed test leaves behind dies
# with its namespace.  Call it right after test_require ROOT NETNS.
test_isolate() {
	if [ -z "${POTEMKIN_ISOLATED:-}" ]; then
		trap - EXIT
		cd / && rm -rf "$TRASH" "$test_log"
		POTEMKIN_ISOLATED=1 exec unshare --mount --net --propagation private \
			-- bash "$TEST_SCRIPT" "$@"
	fi
	. "$SRC_ROOT/lib/private-ns.sh"
	private_ns_setup || exit 1
}

# ---- running tests ---------------------------------------------------------

test_log="${TMPDIR:-/tmp}/potemkin-$TEST_NAME.$$.log"

test_ok_() {
	test_count=$((test_count + 1))
	echo "ok $test_count - $1"
}

# test_failure_ TITLE BODY [WHY]
test_failure_() {
	test_count=$((test_count + 1))
	test_failed=$((test_failed + 1))
	echo "not ok $test_count - $1"
	{
		echo "  ${3:-Failed test '$1'} in $0"
		printf '%s\n' "$2" | sed 's/^/  | /'
		if [ -s "$test_log" ]; then
			echo "  output:"
			tail -n 60 "$test_log" | sed 's/^/  > /'
		fi
	} | sed 's/^/# /' >&2
}

test_skip_() {
	test_count=$((test_count + 1))
	test_skipped=$((test_skipped + 1))
	echo "ok $test_count # skip $1 (missing $2)"
}

# The body, in a function of its own: its "return 1" ends the body, not
# test_run_ before the test's cleanups.
test_eval_() {
	eval "$1"
}

test_run_() {
	local body=$1 rc
	: >"$test_log"
	if [ -n "${POTEMKIN_VERBOSE:-}" ]; then
		test_eval_ "$body" 3>&1 4>&2 2>&1 | tee -a "$test_log" >&2
		rc=${PIPESTATUS[0]}
	else
		test_eval_ "$body" 3>&1 4>&2 >>"$test_log" 2>&1
		rc=$?
	fi
	test_run_cleanups_
	return $rc
}

# The &&-chain lint, after git's: evaluated once as "(exit 117) && BODY",
# the way test_run_ evaluates it but in a subshell, a body whose commands are
# all chained with && runs nothing and ends with status 117.  Any other status
# means a command whose failure the test would miss: a missing &&, or a ; or
# & in its place.  The line after the body must run too, or a here-doc
# without its end marker swallowed the rest.  Loops, if, case, functions,
# here-docs and "|| return 1" in a loop are all fine; a command to run in the
# background is written "{ cmd & } &&", and "cmd || { show; false; }" in the
# chain (which runs in the check) "if ! cmd; then show; false; fi &&".
# POTEMKIN_CHAIN_LINT=0: no check.
test_chain_lint_() {
	[ "${POTEMKIN_CHAIN_LINT:-1}" != 0 ] || return 0
	(
		test_chain_lint_status_=
		test_eval_ "(exit 117) && $1

test_chain_lint_status_=\$?"
		[ "$test_chain_lint_status_" = 117 ]
	) 3>&1 4>&2 >>"$test_log" 2>&1
}

test_run_cleanups_() {
	local c=$test_cleanups
	test_cleanups=
	if [ -n "$c" ]; then
		eval "$c" >>"$test_log" 2>&1 || true
	fi
}

# test_expect_success [PREREQ] 'description' 'body'
test_expect_success() {
	local prereq=
	if [ $# = 3 ]; then prereq=$1; shift; fi
	if [ -n "$prereq" ] && ! test_have_prereq "$prereq"; then
		if test_prereq_required "$test_missing_prereq"; then
			test_failure_ "$1" "prerequisite $test_missing_prereq missing"
		else
			test_skip_ "$1" "$test_missing_prereq"
		fi
		return 0
	fi
	: >"$test_log"
	if ! test_chain_lint_ "$2"; then
		test_failure_ "$1" "$2" "broken &&-chain in test '$1'"
	elif test_run_ "$2"; then
		test_ok_ "$1"
	else
		test_failure_ "$1" "$2"
	fi
}

# Run cmd after the current test, whether it passed or not.
test_when_finished() {
	test_cleanups="$1; $test_cleanups"
}

# Run cmd when the script exits, also on failure or a signal.
test_atexit() {
	test_exit_cleanups="$1; $test_exit_cleanups"
}

# The command must fail with a status from 1 to 125 — not succeed, not be
# missing (126/127), not die of a signal.
test_must_fail() {
	"$@"
	local rc=$?
	if [ $rc = 0 ]; then
		echo "test_must_fail: '$*' succeeded" >&2
		return 1
	elif [ $rc -gt 128 ]; then
		echo "test_must_fail: '$*' died of signal $((rc - 128))" >&2
		return 1
	elif [ $rc = 126 ] || [ $rc = 127 ]; then
		echo "test_must_fail: '$*' could not run ($rc)" >&2
		return 1
	fi
	return 0
}

# test_expect_code N cmd...: exactly status N.
test_expect_code() {
	local want=$1 rc
	shift
	"$@"
	rc=$?
	if [ "$rc" != "$want" ]; then
		echo "test_expect_code: '$*' exited $rc, wanted $want" >&2
		return 1
	fi
}

test_cmp() {
	diff -u "$1" "$2"
}

# test_wait_for SECONDS 'condition': poll until it holds or the deadline
# passes; no sleeping and hoping.
test_wait_for() {
	local limit=$1 cond=$2 start now
	start=$(date +%s%N)
	while ! eval "$cond" >/dev/null 2>&1; do
		now=$(date +%s%N)
		if [ $(((now - start) / 1000000)) -ge $((limit * 1000)) ]; then
			echo "test_wait_for: '$cond' still false after ${limit}s" >&2
			return 1
		fi
		sleep 0.02
	done
}

test_done() {
	echo "1..$test_count"
	if [ $test_failed -gt 0 ]; then
		echo "# failed $test_failed of $test_count" >&2
		exit 1
	fi
	exit 0
}

test_exit_() {
	local rc=$?
	if [ -n "$test_exit_cleanups" ]; then
		eval "$test_exit_cleanups" >/dev/null 2>&1 || true
	fi
	rm -f "$test_log"
	cd /
	if [ -n "${TRASH:-}" ] && [ -z "${POTEMKIN_KEEP_TRASH:-}" ]; then
		rm -rf "$TRASH"
	fi
	exit $rc
}

trap test_exit_ EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

TRASH=$(mktemp -d "${TMPDIR:-/tmp}/potemkin-$TEST_NAME.XXXXXX")
export TRASH
cd "$TRASH" || exit 1
