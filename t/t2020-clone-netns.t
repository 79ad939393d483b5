#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The netns backend for real: caged clones (t/lib/cage.sh) on the root file
# system of potemkin-mkimage --rootfs, busybox services reached from the
# host side through pk<ID>; concurrency, teardown, freeze, failures.
test_description='clone tools: netns backend'
. "$(dirname "$0")/lib/test-lib.sh"
test_require ROOT NETNS BUSYBOX CURL
. "$TEST_DIRECTORY/lib/cage.sh"
cage_rootfs
test_isolate
cage_setup

mkdir -p www state
echo "hello from a clone" >www/index.html
cat >vmm.conf <<CONF
statedir = "$TRASH/state";
memdir = "$TRASH/mem";
cgroup = "$CAGE_CGROUP";
types = {
  web = {
    backend = "netns";
    root = "$CAGE_ROOTFS";
    binds = ( "$TRASH/www:/srv/www" );
    guest_ip = "10.0.2.15";
    gw_ip = "10.0.2.2";
    services = ( "busybox httpd -f -p 80 -h /srv/www",
                 "busybox telnetd -F -p 23 -l /bin/sh -f /srv/www/issue" );
    ready_tcp = [ 80, 23 ];
    evidence_paths = [ "/srv/www", "/etc/passwd", "/nonexistent" ];
  };
  mute = {
    backend = "netns";
    root = "$CAGE_ROOTFS";
    services = ( "sleep 61" );
    ready_tcp = [ 8080 ];
    ready_timeout = "300ms";
  };
  broken = {
    backend = "netns";
    root = "$CAGE_ROOTFS";
    services = ( "/no/such/daemon -p 80" );
    ready_tcp = [ 80 ];
  };
  pooled = {
    backend = "netns";
    root = "$CAGE_ROOTFS";
    binds = ( "$TRASH/www:/srv/www" );
    services = ( "busybox httpd -f -p 80 -h /srv/www" );
    ready_tcp = [ 80 ];
    pool = 2;
  };
};
CONF
export POTEMKIN_VMM_CONF=$TRASH/vmm.conf

no_leftovers() {
	cage_no_leftovers
}
test_atexit 'potemkin-teardown -a'

test_expect_success 'a clone answers HTTP on its address through pk<ID>' '
	potemkin-clone -t web --ip 198.51.100.7 -u 3 >rec &&
	id=$(sed -n "s/^id=\([0-9]*\) .*/\1/p" rec) &&
	test -n "$id" &&
	curl -sS --max-time 5 --interface pk$id http://198.51.100.7/ >got &&
	echo "hello from a clone" >want &&
	test_cmp want got
'

test_expect_success 'the record is one line with the keys in order' '
	test $(wc -l <rec) = 1 &&
	grep -Eq "^id=$id type=web backend=netns ifname=pk$id mac=02:50:4b:[0-9a-f:]{8} guest_ip=198.51.100.7 gw_ip=10.0.2.2 ip=198.51.100.7 universe=3 pid=[0-9]+ created=[0-9]{13}\$" rec &&
	test_cmp rec state/vms/$id/record
'

test_expect_success 'host side: gw_ip/32 on pk<ID>, up, rp_filter off' '
	ip -o -4 addr show dev pk$id | grep -q "inet 10.0.2.2/32" &&
	ip -o link show dev pk$id | grep -q ",UP" &&
	test "$(cat /proc/sys/net/ipv4/conf/pk$id/rp_filter)" = 0
'

test_expect_success 'inside: the address on eth0 and a default route via gw_ip' '
	ip netns exec pk$id ip -o -4 addr show dev eth0 | grep -q "inet 198.51.100.7/24" &&
	ip netns exec pk$id ip route show default | grep -q "via 10.0.2.2 dev eth0"
'

test_expect_success 'the telnet service listens too' '
	ip netns exec pk$id ss -Htln | grep -q ":23 "
'

test_expect_success 'without --ip the type address is used and ip=-' '
	potemkin-clone -t web >rec2 &&
	grep -q " guest_ip=10.0.2.15 gw_ip=10.0.2.2 ip=- universe=0 " rec2 &&
	id2=$(cage_field id <rec2) &&
	curl -sS --max-time 5 --interface pk$id2 http://10.0.2.15/ >got &&
	test_cmp want got
'

test_expect_success 'potemkin-ls lists both clones as running' '
	potemkin-ls >ls &&
	head -n 1 ls | grep -q "^ID  *TYPE  *HOST  *BACKEND" &&
	test $(grep -c " running " ls) = 2 &&
	grep -q "^$id  *web  *-  *netns  *pk$id  *198.51.100.7 " ls &&
	potemkin-ls --json >json &&
	grep -q "^{\"id\":$id,\"type\":\"web\",\"backend\":\"netns\",.*\"ip\":\"198.51.100.7\",.*\"state\":\"running\",\"memory\":\"host\",\"host\":null}\$" json &&
	grep -q "^{\"id\":$id2,.*\"ip\":null," json
'

test_expect_success 'teardown leaves nothing behind' '
	potemkin-teardown $id pk$id2 &&
	test_wait_for 5 no_leftovers
'

test_expect_success 'ten concurrent clones, each answering on its own' '
	for i in 0 1 2 3 4 5 6 7 8 9; do
		potemkin-clone -t web --ip 198.51.100.$((20 + i)) >c$i 2>e$i &
	done &&
	wait &&
	cat c? >all &&
	test $(wc -l <all) = 10 &&
	test $(cage_field id <all | sort -u | wc -l) = 10 &&
	for i in 0 1 2 3 4 5 6 7 8 9; do
		echo "clone $i" >www/index.html &&
		curl -sS --max-time 5 --interface pk$(cage_field id <c$i) \
			http://198.51.100.$((20 + i))/ >got &&
		test_cmp www/index.html got || return 1
	done &&
	echo "hello from a clone" >www/index.html
'

test_expect_success 'tearing one down leaves the other nine answering' '
	victim=$(cage_field id <c4) &&
	potemkin-teardown $victim &&
	test_wait_for 5 "! ip link show pk$victim" &&
	for i in 0 1 2 3 5 6 7 8 9; do
		curl -sS --max-time 5 --interface pk$(cage_field id <c$i) \
			http://198.51.100.$((20 + i))/ >/dev/null || return 1
	done &&
	potemkin-teardown $(cage_field id <all | grep -vx $victim) &&
	test_wait_for 5 no_leftovers
'

test_expect_success 'freeze writes a complete evidence folder and tears down' '
	potemkin-clone -t web --ip 198.51.100.9 >rec &&
	id=$(cage_field id <rec) &&
	curl -sS --max-time 5 --interface pk$id http://198.51.100.9/ >/dev/null &&
	cage_sh pk$id 198.51.100.9 "echo dropped >/tmp/payload; chmod 750 /tmp/payload; rm /etc/shells; echo done" >out &&
	grep -q "^done" out &&
	potemkin-freeze $id >ev &&
	dir=$(cat ev) &&
	case "$dir" in "$TRASH"/state/evidence/$id-*) ;; *) false ;; esac &&
	test_cmp rec "$dir/record" &&
	grep " busybox httpd" "$dir/processes.txt" &&
	grep " busybox telnetd" "$dir/processes.txt" &&
	grep -q "socket:" "$dir/processes.txt" &&
	cat "$dir/net/tcp" "$dir/net/tcp6" | grep -q ":0050 " &&
	grep -q "eth0" "$dir/net/dev" &&
	test -s "$dir/proc/$(cage_field pid <rec)/status" &&
	test_cmp www/index.html "$dir/files/srv/www/index.html" &&
	test_cmp "$CAGE_ROOTFS/etc/passwd" "$dir/files/etc/passwd" &&
	grep -q "^files/nonexistent: missing" "$dir/MANIFEST" &&
	grep -q "^frozen: cgroup .*/$CAGE_CGROUP/pk$id\$" "$dir/MANIFEST" &&
	grep -q "^layer/: the clone.s writable layer" "$dir/MANIFEST" &&
	echo dropped >want &&
	test_cmp want "$dir/layer/tmp/payload" &&
	test "$(stat -c "%a %u" "$dir/layer/tmp/payload")" = "750 $CAGE_IDS" &&
	test "$(stat -c "%F %t:%T" "$dir/layer/etc/shells")" = "character special file 0:0" &&
	test_wait_for 5 no_leftovers
'

test_expect_success 'freeze --keep leaves the clone frozen in its cgroup' '
	potemkin-clone -t web --ip 198.51.100.9 >rec &&
	id=$(cage_field id <rec) &&
	dir=$(potemkin-freeze --keep $id) &&
	grep -q "^frozen: cgroup" "$dir/MANIFEST" &&
	cage_frozen $id &&
	potemkin-ls | grep -q "^$id .* frozen " &&
	! curl -s --max-time 1 --interface pk$id http://198.51.100.9/ &&
	potemkin-teardown $id &&
	test_wait_for 5 no_leftovers
'

test_expect_success 'a service that never listens: timeout, clean failure' '
	test_expect_code 1 potemkin-clone -t mute >out 2>err &&
	! test -s out &&
	grep -q "^potemkin-clone: clone [0-9]*: type mute: services not listening on every ready_tcp port within 300 ms\$" err &&
	test_wait_for 5 no_leftovers
'

test_expect_success 'a service that cannot start: its error, clean failure' '
	test_expect_code 1 potemkin-clone -t broken >out 2>err &&
	grep -q "service ./no/such/daemon -p 80.: No such file or directory" err &&
	test_wait_for 5 no_leftovers
'

test_expect_success 'snapshot of a netns type checks its services' '
	potemkin-snapshot web 2>msg &&
	grep -q "type web: netns clones start their services afresh" msg &&
	test_expect_code 1 potemkin-snapshot broken 2>err &&
	grep -q "^potemkin-snapshot: type broken: service ./no/such/daemon -p 80.: /no/such/daemon: not found or not executable in $CAGE_ROOTFS\$" err
'

test_expect_success 'a clone whose pk<ID> exists already fails cleanly' '
	next=$(($(cat state/vms/.next))) &&
	ip tuntap add pk$next mode tap &&
	test_expect_code 1 potemkin-clone -t web 2>err &&
	grep -q "^potemkin-clone: creating veth pk$next: File exists\$" err &&
	ip link del pk$next &&
	test_wait_for 5 no_leftovers
'

pool_count() { ls state/pool/pooled | grep -c "^[0-9]*\$"; }
test_expect_success 'a pool: made by the snapshot, taken with its address, refilled' '
	potemkin-snapshot pooled 2>err &&
	grep -q "2 clones waiting in the pool" err &&
	test "$(pool_count)" = 2 &&
	test $(potemkin-ls | grep -c " pooled ") = 2 &&
	potemkin-clone -t pooled --ip 198.51.100.30 >rec &&
	id=$(cage_field id <rec) &&
	grep -q " ip=198.51.100.30 " rec &&
	! test -e state/pool/pooled/$id &&
	curl -sS --max-time 5 --interface pk$id http://198.51.100.30/ >got &&
	echo "hello from a clone" >want &&
	test_cmp want got &&
	ip netns exec pk$id ip -4 -o addr show dev eth0 >addr &&
	test $(wc -l <addr) = 1 && grep -q " 198.51.100.30/24 " addr &&
	test_wait_for 10 "test \$(pool_count) = 2" &&
	potemkin-teardown $id &&
	potemkin-teardown -a &&
	test "$(pool_count)" = 0 &&
	test_wait_for 5 no_leftovers
'

test_expect_success 'a dead clone is stale in potemkin-ls; teardown -s removes it' '
	potemkin-clone -t web >rec &&
	id=$(cage_field id <rec) &&
	kill -KILL $(cage_field pid <rec) &&
	test_wait_for 5 "potemkin-ls | grep -q \"^$id .* stale \"" &&
	potemkin-teardown -s >swept &&
	echo $id >want &&
	test_cmp want swept &&
	test_wait_for 5 no_leftovers
'

test_expect_success 'its leader dead, none of its services lives on' '
	! cage_procs | grep .
'

test_expect_success 'teardown -s removes a killed command'"'"'s cgroup and layer' '
	potemkin-clone -t web >rec &&
	id=$(cage_field id <rec) &&
	potemkin-teardown $id &&
	g=$(cage_groups | head -n 1) &&
	mkdir "$g/pk4242" mem/layers/4242 &&
	potemkin-teardown -s >swept &&
	! test -s swept &&
	! test -d "$g/pk4242" && ! test -d mem/layers/4242 &&
	test_wait_for 5 no_leftovers
'

test_expect_success 'teardown of an unknown clone fails and says so' '
	test_expect_code 1 potemkin-teardown 4242 2>err &&
	grep -q "^potemkin-teardown: clone 4242: no such clone in $TRASH/state/vms\$" err
'

test_done
