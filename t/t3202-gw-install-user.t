#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# make install creates the worker's own system user, once, on a real
# install: run for real in a mount namespace whose /etc is a copy (useradd
# renames its files into place), so the host's stays as it is.
test_description='make install: the gateway worker'"'"'s user'
. "$(dirname "$0")/lib/test-lib.sh"

test_require ROOT

prereq_USERADD() { command -v useradd >/dev/null && command -v unshare >/dev/null; }
test_require USERADD

# install_in NAME: `make install` into $TRASH/NAME with the copies mounted.
install_in() {
	unshare --mount sh -ec '
		mount --make-rprivate /
		cp -a /etc "$1/etc-copy"
		mount --bind "$1/etc-copy" /etc
		make -C "$2" -s install PREFIX="$1/prefix" SYSCONFDIR="$1/etc" \
			GATEWAY_USER=potemkin-t3202
		getent passwd potemkin-t3202 >"$1/entry"
		make -C "$2" -s install PREFIX="$1/prefix" SYSCONFDIR="$1/etc" \
			GATEWAY_USER=potemkin-t3202 >"$1/again" 2>&1
	' sh "$TRASH/$1" "$SRC_ROOT"
}

test_expect_success 'a real install creates the user, a system one that cannot log in' '
	mkdir -p one && install_in one >out 2>&1 &&
	grep "creating the system user potemkin-t3202" out &&
	IFS=: read -r name pw uid gid gecos home shell <one/entry &&
	test "$name" = potemkin-t3202 && test "$uid" -lt 1000 &&
	test "$shell" = /usr/sbin/nologin && test "$home" = /nonexistent &&
	test -x one/prefix/sbin/potemkin-gateway
'

test_expect_success 'installing again keeps the user it has' '
	test_must_fail grep "creating the system user" one/again
'

test_expect_success 'the host'"'"'s own files never saw it' '
	test_must_fail getent passwd potemkin-t3202
'

test_expect_success 'a DESTDIR install creates no user' '
	make -C "$SRC_ROOT" -s install DESTDIR="$TRASH/stage" PREFIX=/usr >out 2>&1 &&
	test_must_fail grep "creating the system user" out &&
	test -x stage/usr/sbin/potemkin-gateway
'

test_done
