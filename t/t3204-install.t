#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# make install into a staging tree, as a package build does it: every file
# where Debian's packages put theirs, units that name the installed programs
# and that systemd-analyze verifies for real, hardening at the level reached,
# a logrotate snippet logrotate reads, bash completion that completes, and
# an uninstall that takes everything back.
test_description='make install and uninstall: units, examples, logrotate, completion'
. "$(dirname "$0")/lib/test-lib.sh"

test_require ROOT

prereq_SYSTEMD_ANALYZE() { command -v systemd-analyze >/dev/null && command -v unshare >/dev/null; }
prereq_LOGROTATE() { command -v logrotate >/dev/null; }
prereq_BASH_COMPLETION() { [ -f /usr/share/bash-completion/bash_completion ]; }
test_require SYSTEMD_ANALYZE LOGROTATE BASH_COMPLETION

# The exposure levels the units reach (INSTALL, "Hardening"): a change that
# loosens either fails here.
GATEWAY_EXPOSURE=7.7
WIRING_EXPOSURE=2.5

UNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null)
UNITDIR=${UNITDIR:-/lib/systemd/system}
COMPDIR=usr/share/bash-completion/completions

stage_install() {
	make -C "$SRC_ROOT" -s install DESTDIR="$TRASH/$1" PREFIX=/usr
}

# verify_in STAGE: systemd-analyze verify on STAGE's units, in a mount
# namespace where STAGE's programs and man pages lie over the system's own
# (read-only overlays), so that it checks the ExecStart paths and the
# Documentation= pages as they would be on the installed system.
verify_in() {
	unshare --mount sh -c '
		mount --make-rprivate / || exit 1
		for d in usr/bin usr/sbin usr/share/man; do
			mount -t overlay overlay -o lowerdir="$1/$d:/$d" "/$d" || exit 1
		done
		systemd-analyze verify "$1$2"/potemkin-gateway.service \
			"$1$2"/potemkin-wiring.service
	' sh "$TRASH/$1" "$UNITDIR"
}

# exposure UNIT: the overall level systemd-analyze gives the staged unit.
exposure() {
	systemd-analyze security --offline=true "stage$UNITDIR/$1" 2>/dev/null |
		sed -n 's/^.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}

at_most() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'
}

# complete_ctl WORD...: what bash-completion offers after potemkin-ctl
# WORD... (the last word being completed), from the staged file loaded by
# bash-completion's own loader under the command's name.
complete_ctl() {
	XDG_DATA_DIRS="$TRASH/stage/usr/share" bash --norc --noprofile -c '
		. /usr/share/bash-completion/bash_completion
		__load_completion potemkin-ctl || exit 1
		complete -p potemkin-ctl >&2 || exit 1
		COMP_WORDS=(potemkin-ctl "$@")
		COMP_CWORD=$#
		COMP_LINE="${COMP_WORDS[*]}"
		COMP_POINT=${#COMP_LINE}
		_potemkin_ctl potemkin-ctl "${COMP_WORDS[COMP_CWORD]}" \
			"${COMP_WORDS[COMP_CWORD-1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' sh "$@"
}

# Our files left under a staging tree.
files_in() {
	(cd "$TRASH/$1" && find . \( -type f -o -type l \) | sort)
}

test_expect_success 'install puts every file where Debian puts its own' '
	stage_install stage &&
	test -x stage/usr/sbin/potemkin-gateway &&
	test -x stage/usr/bin/potemkin-ctl &&
	test -x stage/usr/bin/potemkin-wire &&
	test -f stage/usr/share/man/man8/potemkin-gateway.8 &&
	test -f stage/usr/share/man/man5/gateway.conf.5 &&
	cmp "$SRC_ROOT/nfq-gateway/events.schema.json" stage/usr/share/potemkin/events.schema.json &&
	test -f "stage$UNITDIR/potemkin-gateway.service" &&
	test -f "stage$UNITDIR/potemkin-wiring.service" &&
	for f in gateway.conf vmm.conf hosts.conf farm.policy; do
		cmp "$SRC_ROOT/etc/potemkin/$f" stage/etc/potemkin/$f &&
		cmp "$SRC_ROOT/etc/potemkin/$f" stage/usr/share/doc/potemkin/examples/$f ||
		return 1
	done &&
	test -f stage/etc/logrotate.d/potemkin &&
	test -f stage/$COMPDIR/potemkin &&
	for c in potemkin-ctl potemkin-policy potemkin-gateway potemkin-clone \
		potemkin-teardown potemkin-freeze potemkin-ls potemkin-place potemkin-eve; do
		test "$(readlink stage/$COMPDIR/$c)" = potemkin || return 1
	done &&
	test_must_fail ls stage/etc/potemkin/*.service
'

test_expect_success 'the units start the installed programs, not /usr/local ones' '
	u=stage$UNITDIR &&
	grep -x "ExecStart=/usr/sbin/potemkin-gateway -d -c /etc/potemkin/gateway.conf" \
		$u/potemkin-gateway.service &&
	grep -x "ExecReload=/usr/bin/potemkin-ctl reload" $u/potemkin-gateway.service &&
	grep -x "Type=notify" $u/potemkin-gateway.service &&
	grep -x "ExecStart=/usr/bin/potemkin-wire -c /etc/potemkin/gateway.conf" \
		$u/potemkin-wiring.service &&
	test_must_fail grep -e "@[A-Z]*@" -e /usr/local $u/potemkin-gateway.service \
		$u/potemkin-wiring.service
'

test_expect_success 'systemd-analyze verify finds nothing to say of the installed units' '
	verify_in stage >out 2>&1 &&
	test ! -s out
'

test_expect_success 'and would, were a program they name missing' '
	stage_install broken &&
	rm broken/usr/bin/potemkin-ctl &&
	test_must_fail verify_in broken >out 2>&1 &&
	grep "/usr/bin/potemkin-ctl is not executable" out
'

test_expect_success 'the units keep their hardening' '
	g=$(exposure potemkin-gateway.service) && w=$(exposure potemkin-wiring.service) &&
	echo "exposure: gateway $g, wiring $w" &&
	at_most "$g" $GATEWAY_EXPOSURE &&
	at_most "$w" $WIRING_EXPOSURE
'

test_expect_success 'logrotate reads the snippet' '
	logrotate -d -s "$TRASH/logrotate.state" stage/etc/logrotate.d/potemkin >out 2>&1 &&
	grep "/var/log/potemkin/\*.jsonl" out &&
	test_must_fail grep -i "error" out
'

test_expect_success 'bash completes potemkin-ctl'"'"'s commands' '
	complete_ctl rel >out 2>err &&
	grep "complete -F _potemkin_ctl potemkin-ctl" err &&
	test "$(cat out)" = reload &&
	complete_ctl "" >all &&
	potemkin-ctl -h 2>&1 | sed -n "s/^  \([a-z][a-z-]*\) .*/\1/p" >want &&
	test -s want &&
	while read -r c; do grep -qx "$c" all || return 1; done <want
'

test_expect_success 'uninstall removes it all, but a configuration changed since' '
	echo "# mine" >>stage/etc/potemkin/gateway.conf &&
	make -C "$SRC_ROOT" -s uninstall DESTDIR="$TRASH/stage" PREFIX=/usr >out 2>&1 &&
	grep "keeping .*/etc/potemkin/gateway.conf (changed)" out &&
	files_in stage >left &&
	echo ./etc/potemkin/gateway.conf >expect &&
	test_cmp expect left
'

test_done
