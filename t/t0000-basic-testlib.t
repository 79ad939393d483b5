#!/usr/bin/env bash
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
	(sleep 0.2 && touch later) &
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
