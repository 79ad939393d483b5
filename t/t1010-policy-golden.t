#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Golden policies: t/policy/NNN.in dumps to NNN.ok exactly, checks OK, and
# its dump dumps to itself (round trip).  t1003 checks that the round trip
# compiles to the same program.
test_description='potemkin-policy dump of the golden inputs'
. "$(dirname "$0")/lib/test-lib.sh"

GOLDEN="$SRC_ROOT/t/policy"

test_expect_success 'there are at least 25 golden inputs' '
	test "$(ls "$GOLDEN"/[0-9]*.in | wc -l)" -ge 25
'

for in in "$GOLDEN"/[0-9]*.in; do
	n=$(basename "$in" .in)
	test_expect_success "$n: dump matches $n.ok" '
		(cd "$GOLDEN" && potemkin-policy dump $n.in) >out &&
		test_cmp "$GOLDEN/$n.ok" out
	'
	test_expect_success "$n: check says OK" '
		(cd "$GOLDEN" && potemkin-policy check $n.in) >out 2>err &&
		echo "$n.in: OK" >expect &&
		test_cmp expect out
	'
	test_expect_success "$n: dump of the dump is the same text" '
		potemkin-policy dump "$GOLDEN/$n.ok" >again &&
		test_cmp "$GOLDEN/$n.ok" again
	'
done

test_expect_success 'warnings are reported, located, and do not fail the check' '
	(cd "$GOLDEN" && potemkin-policy check 027.in) >out 2>err &&
	cat >expect <<-\EXPECT &&
	027.in:5:6: warning: type '"'"'unused'"'"' is not used by any '"'"'hosts'"'"' line
	027.in:7:7: warning: hosts 198.51.100.0/24 repeats line 6
	027.in:9:1: warning: lifetime 5s is shorter than idle 10s: the idle timeout never fires
	027.in:11:1: warning: rule can never match: the rule at line 10 matches all its packets first
	027.in:13:1: warning: rule can never match: the rule at line 12 matches all its packets first
	EXPECT
	test_cmp expect err
'

test_expect_success 'an inbound closed is unbound: closed bound after it can match' '
	printf "farm 198.51.100.0/24\ntype web tcp 80\nhosts 198.51.100.0/24 web\n" >head &&
	{ cat head && printf "inbound reject closed\ninbound reject closed bound\n"; } >bound.policy &&
	potemkin-policy check bound.policy >out 2>err &&
	test_must_fail test -s err &&
	{ cat head && printf "inbound reject closed\ninbound drop closed unbound\n"; } >unbound.policy &&
	potemkin-policy check unbound.policy >out 2>err &&
	grep "^unbound.policy:5:1: warning: rule can never match: the rule at line 4" err &&
	{ cat head && printf "outbound drop closed\noutbound drop closed bound\n"; } >out.policy &&
	potemkin-policy check out.policy >out 2>err &&
	grep "^out.policy:5:1: warning: rule can never match" err
'

test_expect_success 'the example farm.policy checks OK with no warning' '
	potemkin-policy check "$SRC_ROOT/etc/potemkin/farm.policy" >out 2>err &&
	echo "$SRC_ROOT/etc/potemkin/farm.policy: OK" >expect &&
	test_cmp expect out &&
	test_must_fail test -s err
'

test_expect_success 'the example farm.policy round-trips' '
	potemkin-policy dump "$SRC_ROOT/etc/potemkin/farm.policy" >one &&
	potemkin-policy dump one >two &&
	test_cmp one two
'

test_done
