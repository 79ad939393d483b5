#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The layers of doc/ARCHITECTURE.md section 1, from the includes: every
# include across folders names its folder, so a dependency against the
# direction lib <- policy-dsl <- engine <- {nfq-gateway, replay} (and
# clone-tools -> lib) shows here, and so does a private header used abroad.
test_description='layers: dependencies run one way'
. "$(dirname "$0")/lib/test-lib.sh"

# includes DIR: "FILE TARGET" for each include naming another folder.
includes() {
	(cd "$SRC_ROOT" &&
	grep -o '^#include "[^"]*/[^"]*"' "$1"/*.[ch] |
		sed 's/:#include "\(.*\)"$/ \1/')
}

# allowed DIR PATTERN: every cross-folder include of DIR matches PATTERN.
allowed() {
	includes "$1" >inc &&
	if grep -Ev " ($2)\$" inc >wrong; then
		echo "$1 reaches beyond its layer:" && cat wrong && return 1
	fi
}

test_expect_success 'lib/ depends on nothing of the project' '
	includes lib >inc &&
	test_must_fail test -s inc
'

test_expect_success 'policy-dsl/ on lib/ alone' '
	allowed policy-dsl "lib/[a-z]*\.h"
'

test_expect_success 'engine/ on lib/ and the policy'"'"'s public header' '
	allowed engine "lib/[a-z]*\.h|policy-dsl/policy\.h"
'

test_expect_success 'nfq-gateway/ and replay/ on the engine'"'"'s public headers' '
	allowed nfq-gateway "lib/[a-z]*\.h|policy-dsl/policy\.h|engine/(engine|packet)\.h" &&
	allowed replay "lib/[a-z]*\.h|policy-dsl/policy\.h|engine/(engine|packet)\.h"
'

test_expect_success 'clone-tools/ on lib/ alone' '
	allowed clone-tools "lib/[a-z]*\.h"
'

test_expect_success 'private headers stay home (white-box unit tests aside)' '
	(cd "$SRC_ROOT" &&
	grep -l "pol_int\.h\|eng_int\.h" $(git ls-files "*.c" "*.h" 2>/dev/null ||
		find . -name "*.[ch]" -not -path "./build/*")) >users &&
	{ grep -Ev "^(\./)?(policy-dsl|engine)/|^(\./)?t/unit/" users >abroad || :; } &&
	test_must_fail test -s abroad
'

test_expect_success 'the build names one include path, the top' '
	grep -h "^CPPFLAGS" "$SRC_ROOT"/GNUmakefile "$SRC_ROOT"/*/module.mk >flags &&
	grep -- "-I\." flags &&
	test_must_fail grep -E -- "-I(lib|t/lib|engine|policy-dsl|nfq-gateway|replay|clone-tools)\b" flags
'

test_done
