#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The test library itself: the checks the rest of the suite leans on.
test_description='test-lib.sh basics'
. "$(dirname "$0")/lib/test-lib.sh"

test_expect_success 'a passing body passes' 'true && true'

test_expect_success 'we work in a scratch directory' '
	case "$PWD" in "${TMPDIR:-/tmp}"/potemkin-*) ;; *) false ;; esac
'

test_expect_success 'test_must_fail accepts an ordinary failure' '
	test_must_fail sh -c "exit 3"
'

test_expect_success 'test_must_fail rejects success, signals and missing commands' '
	! test_must_fail true &&
	! test_must_fail sh -c "kill -TERM \$\$" &&
	! test_must_fail no-such-command-here
'

test_expect_success 'test_expect_code checks the exact status' '
	test_expect_code 2 sh -c "exit 2" &&
	! test_expect_code 2 sh -c "exit 1"
'

test_expect_success 'test_wait_for waits for a condition, with a deadline' '
	{ (sleep 0.2 && touch later) & } &&
	test_wait_for 5 "test -f later" &&
	! test_wait_for 1 "test -f never"
'

test_expect_success 'test_when_finished runs after the test' '
	test_when_finished "rm -f marker" &&
	touch marker
'

test_expect_success 'the cleanup ran' '! test -f marker'

test_expect_success 'an unknown prerequisite never holds' '
	! test_have_prereq NO_SUCH_THING 2>/dev/null
'

test_expect_success 'a failing body is reported as not ok, with its output' '
	cat >inner.t <<-\INNER &&
	. "$TEST_DIRECTORY/lib/test-lib.sh"
	test_expect_success "fails" "echo visible-output && false"
	test_done
	INNER
	test_must_fail bash inner.t >out 2>err &&
	grep "^not ok 1 - fails" out &&
	grep "visible-output" err
'

test_expect_success 'a broken &&-chain fails its test, whatever the body ends with' '
	cat >chain.t <<-\INNER &&
	. "$TEST_DIRECTORY/lib/test-lib.sh"
	test_expect_success "a missing &&" "
		true
		true
	"
	test_expect_success "a ; for a &&" "false; true"
	test_expect_success "a stray &" "true & true"
	test_expect_success "a here-doc without its end" "
		cat >doc <<-EOF && true
		text
	"
	test_expect_success "cmd || { show; false; } in the chain" "
		true || { echo oops; false; } && true
	"
	test_done
	INNER
	test_must_fail env -u POTEMKIN_VERBOSE -u POTEMKIN_CHAIN_LINT bash chain.t >out 2>err &&
	test $(grep -c "^not ok " out) = 5 &&
	! grep "^ok " out &&
	grep "broken &&-chain in test .a missing &&. in chain.t" err &&
	grep "broken &&-chain in test .a ; for a &&." err &&
	grep "broken &&-chain in test .a stray &." err &&
	grep "broken &&-chain in test .a here-doc without its end." err &&
	grep "broken &&-chain in test .cmd || { show; false; } in the chain." err &&
	env -u POTEMKIN_VERBOSE POTEMKIN_CHAIN_LINT=0 bash chain.t >out 2>err &&
	test $(grep -c "^ok " out) = 5
'

test_expect_success 'the &&-chain lint passes loops, if, case, functions, here-docs, || return 1' '
	cat >fine.t <<-\INNER &&
	. "$TEST_DIRECTORY/lib/test-lib.sh"
	test_expect_success "all chained" "
		# a comment first
		for i in 1 2 3; do
			echo \$i >>list || return 1
		done &&
		while read -r l; do
			test -n \"\$l\" || return 1
		done <list &&
		if test -s list; then
			echo yes >x
		else
			echo no >x
		fi &&
		case \$(cat x) in yes) ;; *) false ;; esac &&
		f() {
			echo in-f
			echo two
		} &&
		test \"\$(f | wc -l)\" = 2 &&
		cat >doc <<-EOF &&
		line \$i
		EOF
		test \"\$(cat doc)\" = \"line 3\" &&
		(cd . && true) &&
		{ sleep 0 & } &&
		wait \$! &&
		echo a | grep a >/dev/null &&
		! false
	"
	test_expect_success "|| return 1 in a loop still fails the test" "
		for i in 1 2; do
			test \$i = 1 || return 1
		done
	"
	test_expect_success "and its test_when_finished still runs" "
		test_when_finished \"touch cleaned\" &&
		for i in 1; do false || return 1; done
	"
	test_expect_success "the cleanup ran" "test -f cleaned"
	test_done
	INNER
	test_must_fail env -u POTEMKIN_VERBOSE bash fine.t >out 2>err &&
	grep "^ok 1 - all chained" out &&
	grep "^not ok 2 - || return 1 in a loop still fails the test" out &&
	grep "^not ok 3 - and its test_when_finished still runs" out &&
	grep "^ok 4 - the cleanup ran" out &&
	! grep "broken &&-chain" err
'

test_expect_success 'POTEMKIN_REQUIRE turns a skip into a failure' '
	cat >req.t <<-\INNER &&
	. "$TEST_DIRECTORY/lib/test-lib.sh"
	prereq_NEVER() { false; }
	test_require NEVER
	test_done
	INNER
	env -u POTEMKIN_REQUIRE bash req.t >out &&
	grep "^1..0 # SKIP missing NEVER" out &&
	test_must_fail env POTEMKIN_REQUIRE=all bash req.t >out &&
	grep "^not ok 1 - prerequisite NEVER" out &&
	test_must_fail env POTEMKIN_REQUIRE=X,NEVER bash req.t
'

test_done
