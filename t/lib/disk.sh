# SPDX-License-Identifier: ISC
# disk.sh -- what the tests of the Debian guest on a disk share.  Source it
# after test-lib.sh:
#
#	disk_image            before test_isolate (it downloads Debian): build
#	                      or reuse the guest in $DISK_IMAGE
#	disk_ssh SSH-ARGS... HOST CMD
#	                      log in as an attacker would, with the image's
#	                      login and password, and run CMD; its output on
#	                      stdout

DISK_IMAGE=${POTEMKIN_DISK_DIR:-$SRC_ROOT/build/guest-disk}
DISK_USER=admin
DISK_PASSWORD=admin123

test_require MMDEBSTRAP QEMU_IMG SSH

disk_image() {
	if [ -z "${POTEMKIN_ISOLATED:-}" ]; then
		potemkin-mkimage --disk -q -l "$DISK_USER:$DISK_PASSWORD" \
			"$DISK_IMAGE" >&2 ||
			echo "$TEST_NAME: potemkin-mkimage --disk $DISK_IMAGE failed" >&2
	fi
}

# ssh answers its password prompt through SSH_ASKPASS, forced: no terminal
# and no sshpass needed.
disk_ssh() {
	local askpass="$TRASH/.askpass"
	[ -x "$askpass" ] || {
		printf '#!/bin/sh\necho %s\n' "$DISK_PASSWORD" >"$askpass" &&
		chmod 700 "$askpass"
	} || return 1
	SSH_ASKPASS=$askpass SSH_ASKPASS_REQUIRE=force \
	ssh -F /dev/null -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-o ConnectTimeout=60 -o ServerAliveInterval=10 \
		-o PreferredAuthentications=password -o PubkeyAuthentication=no \
		-o NumberOfPasswordPrompts=1 -l "$DISK_USER" "$@" </dev/null
}
