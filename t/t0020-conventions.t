#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# What every command shares: --version from the one VERSION file, messages
# that begin with the bare program name (never its path), and on a stderr
# that is systemd's journal, each log line's syslog priority; and the
# licence: the ISC text, and its SPDX line in every source file.
test_description='conventions of every command'
. "$(dirname "$0")/lib/test-lib.sh"

VERSION=$(cat "$SRC_ROOT/VERSION")

# Every program and script the build installs (the module.mk lists), and
# the demo, which is run from the tree.
commands() {
	printf 'print-commands:\n\t@echo $(PROGS) $(SBIN_PROGS) $(SCRIPTS)\n' |
		make -s --no-print-directory -C "$SRC_ROOT" -f GNUmakefile -f - print-commands
	echo potemkin-demo
}

test_expect_success 'the build lists the commands, and each is in bin/' '
	commands | tr " " "\n" | sed "/^$/d" >cmds &&
	test $(wc -l <cmds) -ge 14 &&
	grep -qx potemkin-gateway cmds &&
	grep -qx potemkin-wire cmds &&
	while read -r c; do
		test -x "$BIN/$c" || { echo "$c is not built"; return 1; }
	done <cmds
'

# Called by its path, as a user might: the path must not show.
test_expect_success '--version: "NAME VERSION" on stdout, nothing else, exit 0' '
	while read -r c; do
		"$BIN/$c" --version >out 2>err </dev/null || { echo "$c: exit $?"; return 1; }
		echo "$c $VERSION" >expect &&
		test_cmp expect out &&
		test_must_fail test -s err || return 1
	done <cmds
'

test_expect_success 'a bad option: a message that begins "NAME: ", a non-zero exit' '
	while read -r c; do
		test_must_fail "$BIN/$c" -Z >out 2>err </dev/null &&
		head -n 1 err >first &&
		grep -q "^$c: " first || { echo "$c said: $(cat first)"; return 1; }
		test_must_fail grep -q "$BIN" err || return 1
	done <cmds
'

test_expect_success 'an installed script carries the version without the tree' '
	make -s --no-print-directory -C "$SRC_ROOT" install DESTDIR="$PWD/stage" \
		PREFIX=/usr >/dev/null &&
	for s in potemkin-wire potemkin-mkimage potemkin-xen-vif; do
		cp stage/usr/bin/$s alone-$s &&
		./alone-$s --version >out &&
		echo "$s $VERSION" >expect &&
		test_cmp expect out || return 1
	done
'

cat >gw.conf <<\CONF
policy = "broken.policy";
CONF
echo "farm 198.51.100.0/24 frob" >broken.policy

# run_gateway ENV...: potemkin-gateway -n with stderr in the file err.
run_gateway() {
	env "$@" potemkin-gateway -n -c gw.conf 2>err
}

test_expect_success 'stderr that is the journal: each log line begins with its priority' '
	: >err &&
	test_expect_code 1 run_gateway JOURNAL_STREAM="$(stat -c %d:%i err)" &&
	grep -q "^<3>potemkin-gateway: broken.policy: 1 error$" err
'

# A line break in a message (here in the policy's name) must not start a
# journal line whose priority the text chose.
printf 'policy = "two\\n<0>lines.policy";\n' >gw-nl.conf
cp broken.policy "$(printf 'two\n<0>lines.policy')"

test_expect_success 'the journal: a line break in a message cannot forge a priority' '
	: >err &&
	test_expect_code 1 env JOURNAL_STREAM="$(stat -c %d:%i err)" \
		potemkin-gateway -n -c gw-nl.conf 2>err &&
	grep -q "^<3>potemkin-gateway: two?<0>lines.policy: 1 error$" err &&
	test_must_fail grep -q "^<0>" err
'

test_expect_success 'stderr that is not the journal: no priorities' '
	test_expect_code 1 run_gateway -u JOURNAL_STREAM &&
	grep -q "^potemkin-gateway: broken.policy: 1 error$" err &&
	: >other &&
	test_expect_code 1 run_gateway JOURNAL_STREAM="$(stat -c %d:%i other)" &&
	grep -q "^potemkin-gateway: broken.policy: 1 error$" err &&
	test_must_fail grep -q "^<" err
'

# The sources: code, scripts, makefiles, man pages, units and examples.
# Test inputs (t/policy, t/replay, golden files) are data, left as they are.
sources() {
	(cd "$SRC_ROOT" && find . -path ./build -prune -o -path ./t/policy -prune -o \
		-path ./t/replay -prune -o -path ./.git -prune -o -path './t/unit/*.t' -prune -o -type f \( \
		-name '*.[ch]' -o -name '*.sh' -o -name '*.t' -o -name '*.mk' -o \
		-name '*.[58]' -o -name '*.py' -o -name '*.service.in' -o \
		-name '*.policy' -o -name '*.conf' -o -name GNUmakefile -o \
		-path './bin/potemkin-*' -o -path ./etc/logrotate.d/potemkin \) -print |
		sed 's|^\./||' | grep -v '^bin/potemkin-[a-z-]*$' ; \
	 cd "$SRC_ROOT" && for s in bin/potemkin-*; do
		head -c2 "$s" | grep -q "#!" && echo "$s"
	 done) | sort -u
}

test_expect_success 'ISC licence, and an SPDX line near the top of every source file' '
	grep -q "^Copyright (c) 2026 The Potemkin authors$" "$SRC_ROOT/LICENSE" &&
	grep -q "^Permission to use, copy, modify, and distribute this software for any" "$SRC_ROOT/LICENSE" &&
	sources >files &&
	test $(wc -l <files) -gt 250 &&
	while read -r f; do
		head -n 3 "$SRC_ROOT/$f" | grep -q "SPDX-License-Identifier: ISC" ||
		{ echo "no SPDX line: $f"; return 1; }
	done <files
'

test_done
