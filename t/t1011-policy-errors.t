#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Failing policies: t/policy/failNNN.in gives exactly the messages of
# failNNN.ok (file:line:col, every error of the file), exit status 1, and
# nothing on stdout.
test_description='potemkin-policy check of the failing inputs'
. "$(dirname "$0")/lib/test-lib.sh"

GOLDEN="$SRC_ROOT/t/policy"

test_expect_success 'there are at least 25 failing inputs' '
	test "$(ls "$GOLDEN"/fail*.in | wc -l)" -ge 25
'

for in in "$GOLDEN"/fail*.in; do
	n=$(basename "$in" .in)
	test_expect_success "$n: exact messages, exit 1" '
		(cd "$GOLDEN" && test_expect_code 1 potemkin-policy check $n.in) >out 2>err &&
		test_cmp "$GOLDEN/$n.ok" err &&
		test_must_fail test -s out
	'
	test_expect_success "$n: dump fails the same way" '
		(cd "$GOLDEN" && test_expect_code 1 potemkin-policy dump $n.in) >out 2>err &&
		test_cmp "$GOLDEN/$n.ok" err &&
		test_must_fail test -s out
	'
done

test_expect_success 'three errors on three lines: three located messages' '
	cat >three.policy <<-\EOF &&
	farm 198.51.100.0/24
	inbound drop proto tcp flags !S/SA unbund
	inbound bind
	outbound bind
	idle 500 ms
	EOF
	test_expect_code 1 potemkin-policy check three.policy 2>err &&
	grep -c "^three.policy:[0-9]*:[0-9]*: " err >count &&
	echo 3 >expect &&
	test_cmp expect count &&
	grep "^three.policy:2:36: " err &&
	grep "^three.policy:4:10: " err &&
	grep "^three.policy:5:6: " err &&
	tail -n 1 err | grep "^potemkin-policy: three.policy: 3 errors$"
'

test_expect_success 'every message of every failing input is located in its file' '
	for f in "$GOLDEN"/fail*.ok; do
		lines=$(wc -l <"${f%.ok}.in") &&
		sed "\$d" "$f" | while IFS=: read -r file line col rest; do
			test "$file" = "$(basename "${f%.ok}.in")" &&
			test "$line" -ge 1 && test "$line" -le $((lines + 1)) &&
			test "$col" -ge 1 || { echo "bad location in $f: $file:$line:$col"; exit 1; }
		done || return 1
	done
'

test_done
