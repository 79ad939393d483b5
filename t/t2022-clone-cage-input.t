#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Bad input to the cage: a root file system missing or not a directory, id
# ranges that overlap each other or the host's users, limits that no cgroup
# hierarchy can give, a kernel that gives no user namespace, a memory
# directory someone else made or not on tmpfs.  Each: a message naming the
# type and the setting, exit 1, nothing left behind.
test_description='clone tools: bad input to the cage'
. "$(dirname "$0")/lib/test-lib.sh"
test_require ROOT NETNS BUSYBOX
. "$TEST_DIRECTORY/lib/cage.sh"
cage_rootfs
test_isolate
cage_setup

mkdir -p state
# conf [SETTINGS-OF-TYPE web...]: vmm.conf with one netns type web.
conf() {
	cat <<-CONF
	statedir = "$TRASH/state";
	memdir = "${MEMDIR:-$TRASH/mem}";
	cgroup = "$CAGE_CGROUP";
	types = {
	  web = {
	    backend = "netns";
	    root = "${ROOT:-$CAGE_ROOTFS}";
	    services = ( "busybox httpd -f -p 80 -h /srv/www" );
	    ready_tcp = [ 80 ];
	    $*
	  };
	};
	CONF
}
export POTEMKIN_VMM_CONF=$TRASH/vmm.conf

test_expect_success 'a good type clones (the control)' '
	conf >vmm.conf &&
	potemkin-clone -t web >rec &&
	potemkin-teardown -a &&
	test_wait_for 5 cage_no_leftovers
'

test_expect_success 'a root that does not exist' '
	ROOT=$TRASH/nope conf >vmm.conf &&
	test_expect_code 1 potemkin-clone -t web >out 2>err &&
	! test -s out &&
	grep -qx "potemkin-clone: type web: root $TRASH/nope: No such file or directory" err &&
	test_expect_code 1 potemkin-snapshot web 2>err &&
	grep -qx "potemkin-snapshot: type web: root $TRASH/nope: No such file or directory" err &&
	test_wait_for 5 cage_no_leftovers
'

test_expect_success 'a root that is not a directory' '
	echo x >notadir &&
	ROOT=$TRASH/notadir conf >vmm.conf &&
	test_expect_code 1 potemkin-clone -t web 2>err &&
	grep -qx "potemkin-clone: type web: root $TRASH/notadir: Not a directory" err &&
	test_wait_for 5 cage_no_leftovers
'

test_expect_success 'the host'"'"'s own root, or none at all' '
	ROOT=/ conf >vmm.conf &&
	test_expect_code 1 potemkin-ls 2>err &&
	grep -qx "potemkin-ls: $TRASH/vmm.conf: type web: root: ./. is not an absolute path below / (the host.s own root is never a clone.s)" err &&
	conf | grep -v "root = " >vmm.conf &&
	test_expect_code 1 potemkin-clone -t web 2>err &&
	grep -q "type web: root: missing (the clones. root file system; potemkin-mkimage --rootfs DIR builds one)" err
'

test_expect_success 'id ranges that overlap' '
	conf "ids = 2000000;" | sed "s/^  };\$/  };\n  db = { backend = \"netns\"; root = \"\/srv\"; ids = 2050000; };/" >vmm.conf &&
	test_expect_code 1 potemkin-ls 2>err &&
	grep -q "^potemkin-ls: $TRASH/vmm.conf:[0-9]*: type db: ids 2050000..2115535 overlap those of type web (2000000..2065535)\$" err &&
	conf "ids = 1000;" >vmm.conf &&
	test_expect_code 1 potemkin-ls 2>err &&
	grep -q "type web: ids: 1000 is not within 65536..4294836223" err
'

test_expect_success 'ids that a host user or another user'"'"'s containers have' '
	cp /etc/passwd passwd && echo "mallory:x:3000005:3000005::/:/bin/sh" >>passwd &&
	mount --bind passwd /etc/passwd &&
	test_when_finished "umount /etc/passwd" &&
	conf "ids = 3000000;" >vmm.conf &&
	test_expect_code 1 potemkin-snapshot web 2>err &&
	grep -q "type web: ids 3000000..3065535 include host user mallory (uid 3000005)\$" err &&
	if test -f /etc/subuid; then
		echo "alice:3040000:65536" >subuid &&
		mount --bind subuid /etc/subuid &&
		test_when_finished "umount /etc/subuid" &&
		conf "ids = 3200000;" >vmm.conf &&
		potemkin-snapshot web 2>/dev/null &&
		conf "ids = 3020000;" >vmm.conf &&
		test_expect_code 1 potemkin-snapshot web 2>err &&
		grep -q "type web: ids 3020000..3085535 overlap /etc/subuid.s range for alice (3040000..3105535)\$" err
	else
		echo "no /etc/subuid on this host: its check not tried"
	fi
'

test_expect_success 'limits badly written' '
	conf "limits = { memory = \"64Q\"; };" >vmm.conf &&
	test_expect_code 1 potemkin-ls 2>err &&
	grep -q "type web: limits.memory: .64Q. is not a size such as \"64M\" or \"1G\"\$" err &&
	conf "limits = { cpu = 0.0; };" >vmm.conf &&
	test_expect_code 1 potemkin-ls 2>err &&
	grep -q "type web: limits.cpu: 0 is not within 0.01..1024\$" err &&
	conf "limits = { swap = 1; };" >vmm.conf &&
	test_expect_code 1 potemkin-ls 2>err &&
	grep -q "type web: limits.swap: unknown (memory, pids or cpu)\$" err
'

test_expect_success 'limits the cgroup hierarchy cannot give' '
	pids=$(sed -n "s|^[^ ]* [^ ]* [^ ]* / \([^ ]*\) .* - cgroup [^ ]* [^ ]*pids.*|\1|p" \
		/proc/self/mountinfo | sort -u) &&
	if test -n "$pids"; then
		umount "$pids" &&
		test_when_finished "mount -t cgroup -o pids none $pids"
	else
		umount /sys/fs/cgroup &&
		test_when_finished "mount -t cgroup2 none /sys/fs/cgroup"
	fi &&
	conf >vmm.conf &&
	test_expect_code 1 potemkin-clone -t web 2>err &&
	grep -Eq "^potemkin-clone: type web: limits: no cgroup hierarchy offers the (pids|memory) controller" err &&
	test_wait_for 5 cage_no_leftovers
'

# This machine'"'"'s kernel has them, and will not let user.max_user_namespaces
# be changed: t/helpers/no-userns stands in for a kernel without them.
test_expect_success 'a kernel that gives no user namespace' '
	conf >vmm.conf &&
	test_expect_code 1 "$SRC_ROOT/t/helpers/no-userns" potemkin-clone -t web >out 2>err &&
	! test -s out &&
	grep -q "^potemkin-clone: type web: clone [0-9]*: the kernel gives no user namespace (Invalid argument): it needs CONFIG_USER_NS" err &&
	test_wait_for 5 cage_no_leftovers
'

test_expect_success 'a memory directory not on tmpfs' '
	mkdir -p ondisk &&
	MEMDIR=$TRASH/ondisk conf >vmm.conf &&
	test_expect_code 1 potemkin-clone -t web 2>err &&
	grep -qx "potemkin-clone: memdir $TRASH/ondisk: not on a tmpfs" err &&
	test_wait_for 5 cage_no_leftovers
'

test_expect_success 'a memory directory someone else made, or a link' '
	mkdir -p mem/evil && chown 1000 mem/evil &&
	MEMDIR=$TRASH/mem/evil conf >vmm.conf &&
	test_expect_code 1 potemkin-clone -t web 2>err &&
	grep -q "^potemkin-clone: memdir $TRASH/mem/evil: it belongs to uid 1000 with mode 0755: it must be root.s and writable by no one else" err &&
	ln -s /tmp mem/link &&
	MEMDIR=$TRASH/mem/link conf >vmm.conf &&
	test_expect_code 1 potemkin-clone -t web 2>err &&
	grep -q "^potemkin-clone: memdir $TRASH/mem/link: link is a link or not a directory" err &&
	rm -rf mem/evil mem/link &&
	test_wait_for 5 cage_no_leftovers
'

test_expect_success 'a bind whose source is missing' '
	conf "binds = ( \"$TRASH/nope:/srv/www\" );" >vmm.conf &&
	test_expect_code 1 potemkin-clone -t web 2>err &&
	grep -qx "potemkin-clone: type web: binds: $TRASH/nope: No such file or directory" err &&
	conf "binds = ( \"relative:/srv\" );" >vmm.conf &&
	test_expect_code 1 potemkin-ls 2>err &&
	grep -q "type web: binds: .relative:/srv.: SOURCE\[:TARGET\[:ro|rw\]\] with absolute paths is expected" err &&
	test_wait_for 5 cage_no_leftovers
'

test_done
