#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The xen backend against a recording double of xl (t/xl-double/xl): Xen
# cannot run in this suite, so the exact xl command lines are checked, and
# the failure of each xl step must leave nothing behind.  The double makes
# a clone's vif as a TAP named by vifname=, so the host side of pk<ID> is
# configured for real.
test_description='clone tools: xen backend (xl double)'
. "$(dirname "$0")/lib/test-lib.sh"
test_require ROOT NETNS
test_isolate

export XL_DOUBLE_DIR=$TRASH/xl
export XL_DOUBLE_CONSOLE=$TRASH/console-%s.log
mkdir -p "$XL_DOUBLE_DIR"
touch vmlinuz initrd.img
cat >vmm.conf <<CONF
statedir = "$TRASH/state";
types = {
  hvm = {
    backend = "xen";
    xl = "$SRC_ROOT/t/xl-double/xl";
    kernel = "$TRASH/vmlinuz";
    initrd = "$TRASH/initrd.img";
    memory = 96;
    console_log = "$TRASH/console-%s.log";
    ready_timeout = "2s";
  };
};
CONF
export POTEMKIN_VMM_CONF=$TRASH/vmm.conf
field() { tr " " "\n" | sed -n "s/^$1=//p"; }
xl=$SRC_ROOT/t/xl-double/xl
no_leftovers() {
	! ip -o link show | grep -q ' pk[0-9]' &&
	[ -z "$(ls "$XL_DOUBLE_DIR/domains")" ] &&
	[ -z "$(ls state/vms 2>/dev/null)" ] &&
	! ls console-pk* 2>/dev/null
}
vif_script=$SRC_ROOT/bin/potemkin-xen-vif
test_atexit 'potemkin-teardown -a'

test_expect_success 'snapshot: create -p, unpause, ready, save -p, destroy' '
	potemkin-snapshot hvm 2>progress &&
	cat >want <<-EOF &&
	xl create -p $TRASH/state/snapshots/hvm/reference.cfg.new
	xl unpause potemkin-ref-hvm
	xl save -p potemkin-ref-hvm $TRASH/state/snapshots/hvm/state.new
	xl destroy potemkin-ref-hvm
	EOF
	sed "s|^$xl|xl|" xl/log >got &&
	test_cmp want got &&
	test -s state/snapshots/hvm/state &&
	grep -q "^name = \"potemkin-ref-hvm\"\$" state/snapshots/hvm/reference.cfg &&
	! test -e state/snapshots/hvm/reference.cfg.new &&
	grep -q "^type = \"pv\"\$" state/snapshots/hvm/reference.cfg &&
	grep -q "^memory = 96\$" state/snapshots/hvm/reference.cfg &&
	grep -q "^vif = \[ \"mac=52:54:00:12:34:56,script=$vif_script\" \]\$" state/snapshots/hvm/reference.cfg &&
	grep -q "potemkin.ready=POTEMKIN-READY" state/snapshots/hvm/reference.cfg &&
	no_leftovers
'

test_expect_success 'clone: restore -p with its own config, domid, unpause' '
	: >xl/log &&
	potemkin-clone -t hvm --ip 198.51.100.5 >rec &&
	id=$(field id <rec) &&
	cat >want <<-EOF &&
	xl restore -p $TRASH/state/vms/$id/xl.cfg $TRASH/state/snapshots/hvm/state
	xl domid pk$id
	xl unpause pk$id
	EOF
	sed "s|^$xl|xl|" xl/log >got &&
	test_cmp want got &&
	grep -q "^name = \"pk$id\"\$" state/vms/$id/xl.cfg &&
	grep -q "^vif = \[ \"mac=52:54:00:12:34:56,vifname=pk$id,script=$vif_script\" \]\$" state/vms/$id/xl.cfg &&
	grep -Eq "^id=$id type=hvm backend=xen ifname=pk$id mac=52:54:00:12:34:56 guest_ip=10.0.2.15 gw_ip=10.0.2.2 ip=198.51.100.5 universe=0 pid=[0-9]+ created=" rec &&
	test "$(field pid <rec)" = "$(sed -n "s/^domid=//p" xl/domains/pk$id)" &&
	ip -o -4 addr show dev pk$id | grep -q "inet 10.0.2.2/32" &&
	test "$(cat /proc/sys/net/ipv4/conf/pk$id/rp_filter)" = 0
'

test_expect_success 'potemkin-ls says xen restore copied the memory' '
	potemkin-ls | grep -q "^$id  *hvm  *-  *xen  *pk$id .* copy  *running "
'

test_expect_success 'freeze: save -p into the evidence folder, destroy' '
	echo "guest console" >"$TRASH/console-pk$id.log" &&
	: >xl/log &&
	dir=$(potemkin-freeze $id) &&
	cat >want <<-EOF &&
	xl domid pk$id
	xl save -p pk$id $dir/domain.save
	xl domid pk$id
	xl destroy pk$id
	EOF
	sed "s|^$xl|xl|" xl/log >got &&
	test_cmp want got &&
	test -s "$dir/domain.save" && test_cmp rec "$dir/record" &&
	! test -e "$dir/memory.core" &&
	grep -q "guest console" "$dir/console.log" &&
	grep -q "^domain.save: " "$dir/MANIFEST" &&
	no_leftovers
'

test_expect_success 'freeze -k: the domain stays, paused by save -p' '
	potemkin-clone -t hvm >rec &&
	id=$(field id <rec) &&
	dir=$(potemkin-freeze -k $id) &&
	test -s "$dir/domain.save" &&
	grep -q "^state=paused\$" xl/domains/pk$id &&
	potemkin-ls | grep -q "^$id .* frozen " &&
	potemkin-teardown $id &&
	no_leftovers
'

test_expect_success 'freeze: a guest that does not suspend is paused and its memory dumped' '
	potemkin-clone -t hvm >rec &&
	id=$(field id <rec) &&
	: >xl/log &&
	dir=$(XL_DOUBLE_FAIL=save potemkin-freeze $id 2>err) &&
	cat >want <<-EOF &&
	xl domid pk$id
	xl save -p pk$id $dir/domain.save
	xl pause pk$id
	xl dump-core pk$id $dir/memory.core
	xl domid pk$id
	xl destroy pk$id
	EOF
	sed "s|^$xl|xl|" xl/log >got &&
	test_cmp want got &&
	grep -q "^potemkin-freeze: clone $id: no checkpoint; pausing it and dumping its memory instead\$" err &&
	test -s "$dir/memory.core" && ! test -e "$dir/domain.save" &&
	grep -q "^memory.core: .*no domain.save" "$dir/MANIFEST" &&
	no_leftovers
'

test_expect_success 'teardown: destroy' '
	potemkin-clone -t hvm >rec &&
	id=$(field id <rec) &&
	: >xl/log &&
	potemkin-teardown $id &&
	printf "xl domid pk$id\nxl destroy pk$id\n" >want &&
	sed "s|^$xl|xl|" xl/log >got &&
	test_cmp want got &&
	no_leftovers
'

for step in restore domid unpause; do
	test_expect_success "clone: a failed xl $step leaves nothing" '
		test_expect_code 1 env XL_DOUBLE_FAIL='$step' \
			potemkin-clone -t hvm >out 2>err &&
		! test -s out &&
		grep -q "^potemkin-clone: .*/xl '$step' .*failed (exit status 1)" err &&
		no_leftovers
	'
done

test_expect_success 'clone: a host side that cannot be set up leaves nothing' '
	mv xl/log xl/log.keep &&
	touch xl/log &&
	cat >"$TRASH/xl-novif" <<-EOF &&
	#!/bin/sh
	# the double, but its restore makes no vif
	if [ "\$1" = restore ]; then
		XL_DOUBLE_FAIL=none "$xl" "\$@" || exit
		ip link del "pk\$(sed -n "s/^name = \"pk\\(.*\\)\"/\\1/p" "\$3")"
		exit 0
	fi
	exec "$xl" "\$@"
	EOF
	chmod +x "$TRASH/xl-novif" &&
	sed "s|xl = \".*\"|xl = \"$TRASH/xl-novif\"|" vmm.conf >novif.conf &&
	test_expect_code 1 potemkin-clone -c novif.conf -t hvm 2>err &&
	grep -q "^potemkin-clone: pk[0-9]*: No such device\$" err &&
	no_leftovers
'

for step in create unpause save; do
	test_expect_success "snapshot: a failed xl $step leaves nothing" '
		test_expect_code 1 env XL_DOUBLE_FAIL='$step' \
			potemkin-snapshot -f hvm 2>err &&
		grep -q "xl '$step' .*failed (exit status 1)" err &&
		! test -e state/snapshots/hvm/state.new &&
		no_leftovers
	'
done

test_expect_success 'snapshot: a reference never ready times out, leaves nothing' '
	test_expect_code 1 env XL_DOUBLE_NEVER_READY=1 \
		potemkin-snapshot -f hvm 2>err &&
	grep -q "^potemkin-snapshot: type hvm: no .POTEMKIN-READY. in $TRASH/console-potemkin-ref-hvm.log within 2000 ms" err &&
	no_leftovers
'

for step in pause dump-core; do
	test_expect_success "freeze: a failed save, then xl $step: the clone runs on, no evidence" '
		potemkin-clone -t hvm >rec &&
		id=$(field id <rec) &&
		ls state/evidence >before &&
		test_expect_code 1 env XL_DOUBLE_FAIL=save,'$step' potemkin-freeze $id >out 2>err &&
		grep -q "xl '$step' .*failed (exit status 1)" err &&
		! test -s out &&
		ls state/evidence >after &&
		test_cmp before after &&
		potemkin-ls | grep -q "^$id .* running " &&
		grep -q "^state=running\$" xl/domains/pk$id &&
		potemkin-teardown $id &&
		no_leftovers
	'
done

test_expect_success 'clone: a snapshot of another memory size is refused' '
	sed "s/memory = 96;/memory = 256;/" vmm.conf >bigger.conf &&
	: >xl/log &&
	test_expect_code 1 potemkin-clone -c bigger.conf -t hvm >out 2>err &&
	! test -s out && ! test -s xl/log &&
	grep -q "^potemkin-clone: type hvm: the snapshot has 96 MB of memory, vmm.conf says 256 (potemkin-snapshot -f hvm makes a new one)\$" err &&
	no_leftovers
'

test_expect_success 'clone: a snapshot of another domain type is refused' '
	sed "s/memory = 96;/&\n    domain_type = \"pvh\";/" vmm.conf >pvh.conf &&
	: >xl/log &&
	test_expect_code 1 potemkin-clone -c pvh.conf -t hvm >out 2>err &&
	! test -s out && ! test -s xl/log &&
	grep -q "^potemkin-clone: type hvm: the snapshot is a pv domain, vmm.conf says pvh (potemkin-snapshot -f hvm makes a new one)\$" err &&
	no_leftovers
'

test_expect_success 'clone: a snapshot without its reference.cfg is refused' '
	mv state/snapshots/hvm/reference.cfg saved.cfg &&
	test_when_finished "mv saved.cfg state/snapshots/hvm/reference.cfg" &&
	test_expect_code 1 potemkin-clone -t hvm >out 2>err &&
	! test -s out &&
	grep -q "^potemkin-clone: $TRASH/state/snapshots/hvm/reference.cfg (potemkin-snapshot -f hvm makes a new one): No such file or directory\$" err &&
	no_leftovers
'

test_expect_success 'snapshot: a failed create keeps the last good snapshot' '
	cp state/snapshots/hvm/state good.state &&
	cp state/snapshots/hvm/reference.cfg good.cfg &&
	test_expect_code 1 env XL_DOUBLE_FAIL=create \
		potemkin-snapshot -c bigger.conf -f hvm 2>err &&
	cmp good.state state/snapshots/hvm/state &&
	cmp good.cfg state/snapshots/hvm/reference.cfg &&
	! test -e state/snapshots/hvm/reference.cfg.new &&
	no_leftovers
'

test_expect_success 'teardown: a failed xl destroy is reported' '
	potemkin-clone -t hvm >rec &&
	id=$(field id <rec) &&
	test_expect_code 1 env XL_DOUBLE_FAIL=destroy potemkin-teardown $id 2>err &&
	grep -q "xl destroy pk$id: failed (exit status 1)" err &&
	test -s state/vms/$id/record &&
	potemkin-teardown $id &&
	no_leftovers
'

# potemkin-xen-vif as libxl runs it, with xenstore-read and -write doubles
# that answer from and record into files.
mkdir -p fakebin xenstore
cat >fakebin/xenstore-read <<'EOF'
#!/bin/sh
cat "$TRASH/xenstore/$(echo "$1" | tr / _)" 2>/dev/null
EOF
cat >fakebin/xenstore-write <<'EOF'
#!/bin/sh
echo "$1 $2" >>"$TRASH/xenstore/writes"
EOF
chmod +x fakebin/xenstore-read fakebin/xenstore-write
vifenv() { env PATH="$TRASH/fakebin:$PATH" vif=vif7.0 XENBUS_PATH=backend/vif/7/0 "$@"; }

test_expect_success 'potemkin-xen-vif: usage' '
	potemkin-xen-vif -h >out &&
	grep -q "^usage: potemkin-xen-vif online|offline \[type_if=vif\]\$" out &&
	test_expect_code 2 potemkin-xen-vif 2>err &&
	grep -q "^usage: " err &&
	test_expect_code 2 potemkin-xen-vif online type_if=vif 2>err &&
	grep -q "^potemkin-xen-vif: \$vif and \$XENBUS_PATH must be set (libxl sets them)\$" err &&
	vifenv potemkin-xen-vif offline type_if=vif
'

test_expect_success 'potemkin-xen-vif online: without xenstore-read it says so' '
	if command -v xenstore-read >/dev/null; then
		echo "# this machine has xenstore-read; nothing to hide it from"
	else
		test_expect_code 1 env vif=vif7.0 XENBUS_PATH=backend/vif/7/0 \
			potemkin-xen-vif online type_if=vif 2>err &&
		echo "potemkin-xen-vif: xenstore-read: not found (Debian: xenstore-utils, iproute2)" >want &&
		test_cmp want err
	fi
'

test_expect_success 'potemkin-xen-vif online: renames to vifname, sets up, reports' '
	ip tuntap add vif7.0 mode tap &&
	echo pk7 >xenstore/backend_vif_7_0_vifname &&
	vifenv potemkin-xen-vif online type_if=vif &&
	ip -o link show dev pk7 | grep -q "[<,]UP[,>]" &&
	! ip link show vif7.0 2>/dev/null &&
	echo "backend/vif/7/0/hotplug-status connected" >want &&
	test_cmp want xenstore/writes &&
	ip link del pk7
'

test_expect_success 'potemkin-xen-vif online: never takes over an existing name' '
	: >xenstore/writes &&
	ip tuntap add vif7.0 mode tap &&
	ip tuntap add pk7 mode tap &&
	test_expect_code 1 vifenv potemkin-xen-vif online type_if=vif 2>err &&
	grep -q "^potemkin-xen-vif: pk7 exists already; cannot rename vif7.0\$" err &&
	grep -q "^backend/vif/7/0/hotplug-error potemkin-xen-vif: pk7 exists already" xenstore/writes &&
	! grep -q hotplug-status xenstore/writes &&
	ip link show vif7.0 &&
	ip link del vif7.0 && ip link del pk7
'

test_expect_success 'potemkin-xen-vif online without a vifname keeps the name' '
	: >xenstore/writes &&
	rm xenstore/backend_vif_7_0_vifname &&
	ip tuntap add vif7.0 mode tap &&
	vifenv potemkin-xen-vif online type_if=vif &&
	ip -o link show dev vif7.0 | grep -q "[<,]UP[,>]" &&
	grep -q "hotplug-status connected" xenstore/writes &&
	ip link del vif7.0
'

test_done
