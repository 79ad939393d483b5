#!/bin/sh
# SPDX-License-Identifier: ISC
# make deps, second step: qemu clones open the snapshot's memory read-only and
# copy-on-write (memory-backend-file readonly=on,rom=off), which needs QEMU 8.2
# or later.  Debian 12 ships 7.2; its backports carry a current one, so on
# bookworm this enables bookworm-backports and installs QEMU from there.  Later
# releases ship a new enough QEMU and need nothing.
set -eu
want_major=8 want_minor=2

qemu_ok() {
	v=$(qemu-system-x86_64 --version 2>/dev/null |
		sed -n 's/^QEMU emulator version \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
	[ -n "$v" ] || return 1
	set -- $v
	[ "$1" -gt $want_major ] || { [ "$1" -eq $want_major ] && [ "$2" -ge $want_minor ]; }
}

if qemu_ok; then
	echo "deps: $(qemu-system-x86_64 --version | head -n 1)"
	exit 0
fi
. /etc/os-release
if [ "${VERSION_CODENAME:-}" != bookworm ]; then
	echo "deps: QEMU $want_major.$want_minor or later is needed and this system" \
		"(${PRETTY_NAME:-unknown}) does not offer it: install it by hand" >&2
	exit 1
fi
src=/etc/apt/sources.list.d/potemkin-backports.sources
if ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d; then
	echo "deps: enabling bookworm-backports for QEMU $want_major.$want_minor+ ($src)"
	cat >"$src" <<-SOURCES
	Types: deb
	URIs: http://deb.debian.org/debian
	Suites: bookworm-backports
	Components: main
	Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	SOURCES
fi
apt-get -o DPkg::Lock::Timeout=600 update -q
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
	--no-install-recommends -t bookworm-backports qemu-system-x86
qemu_ok || { echo "deps: QEMU is still older than $want_major.$want_minor" >&2; exit 1; }
echo "deps: $(qemu-system-x86_64 --version | head -n 1)"
