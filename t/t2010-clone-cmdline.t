#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The clone tools' command lines: usage, exit statuses, and every bad input
# (missing or broken vmm.conf, unknown type, missing snapshot, unknown clone)
# with its message, and nothing left behind.  No root needed.
test_description='clone tools: usage and errors'
. "$(dirname "$0")/lib/test-lib.sh"

cat >vmm.conf <<CONF
statedir = "$TRASH/state";
memdir = "$TRASH/mem";
types = {
  linux = {
    backend = "qemu";
    kernel = "$TRASH/vmlinuz";
    initrd = "$TRASH/initrd.img";
  };
};
CONF
export POTEMKIN_VMM_CONF=$TRASH/vmm.conf
SQ="'"
tools="potemkin-snapshot potemkin-clone potemkin-teardown potemkin-freeze potemkin-ls"

test_expect_success '-h prints the usage of the man page on stdout, status 0' '
	for t in $tools; do
		$t -h >out 2>err && ! test -s err &&
		grep -q "^usage: $t " out &&
		syn=$(sed -n "/^\.Sh SYNOPSIS/,/^\.Sh/p" \
			"$SRC_ROOT/clone-tools/$t.8" | grep -c "^\.Nm") &&
		test "$syn" -ge 1 || return 1
	done &&
	potemkin-clone --help | grep -q -- "-t TYPE \[-i ADDR\] \[-u UNIVERSE\]"
'

test_expect_success 'the usage lines name the options the man pages document' '
	for t in $tools; do
		for o in $($t -h | grep -o "[[ ]-[a-z]" | tr -d "[ " | sort -u); do
			grep -q "^\.Fl ${o#-}\$\|^\.Op Fl ${o#-}\|Fl ${o#-} " \
				"$SRC_ROOT/clone-tools/$t.8" ||
				{ echo "$t: $o not in its man page"; return 1; }
		done
	done
'

test_expect_success 'a wrong option is a usage error: status 2' '
	for t in $tools; do
		test_expect_code 2 $t --no-such-option >out 2>err &&
		! test -s out &&
		grep -q "^usage: $t " err || return 1
	done
'

test_expect_success 'missing operands are usage errors' '
	test_expect_code 2 potemkin-clone 2>err &&
	grep -q "^potemkin-clone: --type is required\$" err &&
	test_expect_code 2 potemkin-snapshot 2>err &&
	grep -q "^potemkin-snapshot: a TYPE is required\$" err &&
	test_expect_code 2 potemkin-teardown 2>err &&
	grep -q "^potemkin-teardown: a VM is required\$" err &&
	test_expect_code 2 potemkin-freeze 2>err &&
	test_expect_code 2 potemkin-teardown -s 3 2>err &&
	test_expect_code 2 potemkin-ls extra 2>err
'

test_expect_success 'bad --ip and --universe values are usage errors' '
	test_expect_code 2 potemkin-clone -t linux --ip 300.1.2.3 2>err &&
	grep -q "^potemkin-clone: --ip 300.1.2.3: not an IPv4 address\$" err &&
	test_expect_code 2 potemkin-clone -t linux -u -1 2>err &&
	grep -q "^potemkin-clone: --universe -1: not a number" err &&
	test_expect_code 2 potemkin-clone -t linux -u 4294967296 2>err
'

test_expect_success 'bad --host and --tunnel values are usage errors' '
	test_expect_code 2 potemkin-clone -t linux --host "a b" 2>err &&
	grep -q "^potemkin-clone: --host a b: not a name of" err &&
	for t in 10.99.0.1 10.99.0.1:0 10.99.0.1:16777216 10.99.0.1:7:0 \
		10.99.0.1:7:65536 nohost:7 10.99.0.1:7:80:1; do
		test_expect_code 2 potemkin-clone -t linux --tunnel $t 2>err &&
		grep -q "^potemkin-clone: --tunnel $t: not ADDRESS:VNI\[:PORT\]" err ||
			return 1
	done &&
	test_expect_code 2 potemkin-clone --types --host a 2>err
'

test_expect_success 'a missing vmm.conf: its path and why' '
	test_expect_code 1 potemkin-ls -c "$TRASH/none.conf" 2>err &&
	echo "potemkin-ls: $TRASH/none.conf: No such file or directory" >want &&
	test_cmp want err
'

test_expect_success 'a broken vmm.conf: libconfig says where' '
	printf "statedir = \"/tmp\";\ntypes = {\n  web = { backend = \"netns\" }\n" >broken.conf &&
	test_expect_code 1 potemkin-clone -c broken.conf -t web >out 2>err &&
	! test -s out &&
	grep -q "^potemkin-clone: broken.conf:[34]: syntax error\$" err
'

test_expect_success 'meaning errors name the file, the line and the setting' '
	cat >bad.conf <<-CONF &&
	statedir = "$TRASH/state";
	types = {
	  web = {
	    backend = "netns";
	    guest_ip = "10.0.2.300";
	  };
	};
	CONF
	test_expect_code 1 potemkin-ls -c bad.conf 2>err &&
	echo "potemkin-ls: bad.conf:5: type web: guest_ip: ${SQ}10.0.2.300${SQ} is not an IPv4 address" >want &&
	test_cmp want err &&
	sed "s/guest_ip = .*/backend2 = 1;/" bad.conf >bad1.conf &&
	test_expect_code 1 potemkin-ls -c bad1.conf 2>err &&
	echo "potemkin-ls: bad1.conf:5: type web: unknown setting ${SQ}backend2${SQ} (did you mean ${SQ}backend${SQ}?)" >want &&
	test_cmp want err &&
	printf "statdir = \"/tmp\";\ntypes = { web = { backend = \"netns\"; }; };\n" >bad1t.conf &&
	test_expect_code 1 potemkin-ls -c bad1t.conf 2>err &&
	echo "potemkin-ls: bad1t.conf:1: unknown setting ${SQ}statdir${SQ} (did you mean ${SQ}statedir${SQ}?)" >want &&
	test_cmp want err &&
	sed "s/guest_ip = .*/mac = \"01:00:00:00:00:01\";/" bad.conf >bad2.conf &&
	test_expect_code 1 potemkin-ls -c bad2.conf 2>err &&
	grep -q "^potemkin-ls: bad2.conf:5: type web: mac: .01:00:00:00:00:01. is not a unicast MAC address\$" err &&
	sed "s/backend = \"netns\"/backend = \"vmware\"/" bad.conf >bad3.conf &&
	test_expect_code 1 potemkin-ls -c bad3.conf 2>err &&
	grep -q "^potemkin-ls: bad3.conf:4: type web: backend: .vmware. is not netns, qemu or xen\$" err &&
	sed "s/backend = \"netns\"/backend = \"remote\"/" bad.conf >bad3r.conf &&
	test_expect_code 1 potemkin-ls -c bad3r.conf 2>err &&
	grep -q "^potemkin-ls: bad3r.conf:4: type web: backend: .remote. is not netns, qemu or xen\$" err &&
	printf "types = { web = { backend = \"qemu\"; }; };\n" >bad4.conf &&
	test_expect_code 1 potemkin-ls -c bad4.conf 2>err &&
	grep -q "type web: kernel and initrd are required for qemu" err &&
	printf "statedir = \"relative\";\ntypes = {};\n" >bad5.conf &&
	test_expect_code 1 potemkin-ls -c bad5.conf 2>err &&
	grep -q "must be absolute paths" err &&
	printf "types = { web = { backend = \"netns\"; ready_timeout = \"5 parsecs\"; }; };\n" >bad6.conf &&
	test_expect_code 1 potemkin-ls -c bad6.conf 2>err &&
	grep -q "type web: ready_timeout: .5 parsecs.:" err &&
	printf "types = { x = { backend = \"xen\"; kernel = \"/k\"; initrd = \"/i\";\n  domain_type = \"hvm\"; }; };\n" >bad7.conf &&
	test_expect_code 1 potemkin-ls -c bad7.conf 2>err &&
	grep -q "^potemkin-ls: bad7.conf:2: type x: domain_type: .hvm. is not pv or pvh\$" err &&
	printf "types = { x = { backend = \"xen\"; kernel = \"/k\"; initrd = \"/i\";\n  pool = 2; }; };\n" >bad8.conf &&
	test_expect_code 1 potemkin-ls -c bad8.conf 2>err &&
	grep -q "^potemkin-ls: bad8.conf:2: type x: pool: the xen backend keeps no pool\$" err &&
	printf "types = { x = { backend = \"netns\";\n  disk = \"/d.qcow2\"; }; };\n" >bad9.conf &&
	test_expect_code 1 potemkin-ls -c bad9.conf 2>err &&
	grep -q "^potemkin-ls: bad9.conf:2: type x: disk: only the qemu backend clones a disk\$" err &&
	printf "types = { x = { backend = \"netns\";\n  merge = true; }; };\n" >bad9m.conf &&
	test_expect_code 1 potemkin-ls -c bad9m.conf 2>err &&
	grep -q "^potemkin-ls: bad9m.conf:2: type x: merge: only the qemu backend merges a clone${SQ}s pages\$" err &&
	printf "types = { x = { backend = \"qemu\"; kernel = \"/k\"; initrd = \"/i\";\n  merge = 1; }; };\n" >bad9n.conf &&
	test_expect_code 1 potemkin-ls -c bad9n.conf 2>err &&
	grep -q "^potemkin-ls: bad9n.conf:2: type x: merge: true or false is expected\$" err &&
	printf "types = { x = { backend = \"qemu\"; kernel = \"/k\"; initrd = \"/i\";\n  disk = \"d.qcow2\"; }; };\n" >bad10.conf &&
	test_expect_code 1 potemkin-ls -c bad10.conf 2>err &&
	grep -q "^potemkin-ls: bad10.conf:2: type x: disk: .d.qcow2. is not an absolute path\$" err &&
	printf "types = { x = { backend = \"qemu\"; kernel = \"/k\"; initrd = \"/i\";\n  tcg_buffer = 0; }; };\n" >bad11.conf &&
	test_expect_code 1 potemkin-ls -c bad11.conf 2>err &&
	grep -q "^potemkin-ls: bad11.conf:2: type x: tcg_buffer" err
'

test_expect_success 'potemkin-clone --types lists the types, making nothing' '
	cat >types.conf <<-EOF &&
	statedir = "$TRASH/tstate";
	memdir = "$TRASH/tmem";
	types = {
	  web = { backend = "netns"; root = "/nonexistent"; services = ( "true" );
	          ready_tcp = [ 80, 8080 ]; };
	  linux = { backend = "qemu"; kernel = "$TRASH/vmlinuz"; initrd = "$TRASH/initrd.img"; };
	};
	EOF
	potemkin-clone -c types.conf --types >out 2>err &&
	cat >expect <<-\EOF &&
	type=web backend=netns tcp=80,8080
	type=linux backend=qemu
	EOF
	test_cmp expect out &&
	test_must_fail test -s err &&
	test_must_fail test -e "$TRASH/tstate"
'

test_expect_success 'potemkin-clone --types takes no type, address or operand' '
	test_expect_code 2 potemkin-clone --types -t linux 2>err &&
	grep "^potemkin-clone: --types takes no other argument but -c$" err &&
	test_expect_code 2 potemkin-clone --types -u 3 2>err &&
	grep "^potemkin-clone: --types takes no other argument but -c$" err &&
	test_expect_code 2 potemkin-clone --types stray 2>err &&
	grep "^usage: potemkin-clone" err
'

test_expect_success 'an unknown type' '
	test_expect_code 1 potemkin-clone -t nosuch >out 2>err &&
	! test -s out &&
	echo "potemkin-clone: type nosuch: no such type in $TRASH/vmm.conf" >want &&
	test_cmp want err &&
	test_expect_code 1 potemkin-snapshot nosuch 2>err &&
	grep -q "^potemkin-snapshot: type nosuch: no such type" err
'

test_expect_success 'a clone of a type without a snapshot fails and leaves nothing' '
	test_expect_code 1 potemkin-clone -t linux >out 2>err &&
	! test -s out &&
	echo "potemkin-clone: type linux: no snapshot in $TRASH/state/snapshots/linux (run potemkin-snapshot linux)" >want &&
	test_cmp want err &&
	test -z "$(ls state/vms)"
'

test_expect_success 'teardown and freeze of an unknown clone' '
	test_expect_code 1 potemkin-teardown 17 2>err &&
	echo "potemkin-teardown: clone 17: no such clone in $TRASH/state/vms" >want &&
	test_cmp want err &&
	test_expect_code 1 potemkin-teardown pk17 2>err &&
	test_cmp want err &&
	test_expect_code 1 potemkin-teardown banana 2>err &&
	grep -q "^potemkin-teardown: banana: not a clone id\$" err &&
	test_expect_code 1 potemkin-freeze 17 >out 2>err &&
	! test -s out &&
	grep -q "^potemkin-freeze: clone 17: no such clone" err
'

test_expect_success 'a damaged record is reported, not trusted' '
	mkdir -p state/vms/5 &&
	echo "id=5 type=linux backend=qemu ifname=pk5" >state/vms/5/record &&
	test_expect_code 1 potemkin-teardown 5 2>err &&
	grep -q "^potemkin-teardown: $TRASH/state/vms/5/record: a blank is expected before .mac=.\$" err &&
	rm -r state/vms/5
'

test_expect_success 'potemkin-mkimage: usage, status 2 for bad use' '
	potemkin-mkimage -h >out &&
	grep -q "^usage: potemkin-mkimage \[-fq\] \[-k PACKAGE\] \[-m MODULE\]... OUTDIR\$" out &&
	grep -q "^\.Op Fl m Ar MODULE\$" "$SRC_ROOT/clone-tools/potemkin-mkimage.8" &&
	grep -q "^\.Op Fl fq\$" "$SRC_ROOT/clone-tools/potemkin-mkimage.8" &&
	test_expect_code 2 potemkin-mkimage 2>err &&
	grep -q "^potemkin-mkimage: one OUTDIR is required\$" err &&
	test_expect_code 2 potemkin-mkimage -z out 2>err &&
	grep -q "^usage: potemkin-mkimage" err &&
	test_expect_code 2 potemkin-mkimage a b 2>err &&
	test_expect_code 2 potemkin-mkimage -m ../evil newdir 2>err &&
	grep -q "^potemkin-mkimage: -m ../evil: not a module name\$" err &&
	! test -e newdir
'

test_expect_success 'potemkin-mkimage --rootfs: usage, status 2 for bad use' '
	potemkin-mkimage -h >out &&
	grep -q "^       potemkin-mkimage --rootfs \[-fq\] DIR\$" out &&
	grep -q "^\.Fl -rootfs\$" "$SRC_ROOT/clone-tools/potemkin-mkimage.8" &&
	test_expect_code 2 potemkin-mkimage --rootfs 2>err &&
	grep -q "^potemkin-mkimage: one DIR is required\$" err &&
	test_expect_code 2 potemkin-mkimage --rootfs -m virtio_net newdir 2>err &&
	grep -q "^potemkin-mkimage: --rootfs takes no kernel: -k and -m do not apply\$" err &&
	! test -e newdir
'

test_expect_success 'potemkin-mkimage --disk: usage, status 2 for bad use' '
	potemkin-mkimage -h >out &&
	grep -q "^       potemkin-mkimage --disk \[-fq\] \[-s SUITE\] \[-M MIRROR\] \[-l USER:PASSWORD\]... OUTDIR\$" out &&
	grep -q "^\.Fl -disk\$" "$SRC_ROOT/clone-tools/potemkin-mkimage.8" &&
	test_expect_code 2 potemkin-mkimage --disk 2>err &&
	grep -q "^potemkin-mkimage: one OUTDIR is required\$" err &&
	test_expect_code 2 potemkin-mkimage --disk --rootfs newdir 2>err &&
	grep -q "^potemkin-mkimage: --rootfs and --disk build different things: one at a time\$" err &&
	test_expect_code 2 potemkin-mkimage -l admin:x newdir 2>err &&
	grep -q "^potemkin-mkimage: -s, -M and -l are for --disk\$" err &&
	test_expect_code 2 potemkin-mkimage --disk -l nopassword newdir 2>err &&
	grep -q "^potemkin-mkimage: -l nopassword: not USER:PASSWORD\$" err &&
	test_expect_code 2 potemkin-mkimage --disk -m virtio_net newdir 2>err &&
	grep -q "^potemkin-mkimage: --disk boots Debian.s initramfs: -m does not apply\$" err &&
	! test -e newdir
'

test_expect_success 'potemkin-ls of an empty state directory: the header only' '
	potemkin-ls >out &&
	test $(wc -l <out) = 1 &&
	potemkin-ls -j >out &&
	! test -s out
'

test_done
