#!/usr/bin/env bash
# The netns backend for real: namespaces, veths, busybox services, reached
# from the host side through pk<ID>; concurrency, teardown, freeze, failures.
test_description='clone tools: netns backend'
. "$(dirname "$0")/lib/test-lib.sh"
test_require ROOT NETNS BUSYBOX CURL
test_isolate

mkdir -p www state
echo "hello from a clone" >www/index.html
cat >vmm.conf <<CONF
statedir = "$TRASH/state";
memdir = "$TRASH/mem";
freezer = "none";
types = {
  web = {
    backend = "netns";
    guest_ip = "10.0.2.15";
    gw_ip = "10.0.2.2";
    services = ( "busybox httpd -f -p 80 -h $TRASH/www",
                 "busybox telnetd -F -p 23 -l /bin/sh -f $TRASH/www/issue" );
    ready_tcp = [ 80, 23 ];
    evidence_paths = [ "$TRASH/www" ];
  };
  mute = {
    backend = "netns";
    services = ( "sleep 61" );
    ready_tcp = [ 8080 ];
    ready_timeout = "300ms";
  };
  broken = {
    backend = "netns";
    services = ( "/no/such/daemon -p 80" );
    ready_tcp = [ 80 ];
  };
};
CONF
export POTEMKIN_VMM_CONF=$TRASH/vmm.conf

# Nothing of ours may be left: no pk* link, no namespace, no clone process
# (every service names $TRASH/www on its command line), no clone directory.
no_leftovers() {
	! ip -o link show | grep -q ' pk[0-9]' &&
	[ -z "$(ls /run/netns)" ] &&
	! pgrep -f "$TRASH/www" >/dev/null &&
	! pgrep -f "busybox telnetd .*$TRASH" >/dev/null &&
	! pgrep -f "^sleep 61" >/dev/null &&
	[ -z "$(ls state/vms)" ]
}
field() { tr " " "\n" | sed -n "s/^$1=//p"; }
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
	id2=$(field id <rec2) &&
	curl -sS --max-time 5 --interface pk$id2 http://10.0.2.15/ >got &&
	test_cmp want got
'

test_expect_success 'potemkin-ls lists both clones as running' '
	potemkin-ls >ls &&
	head -n 1 ls | grep -q "^ID  *TYPE  *BACKEND" &&
	test $(grep -c " running " ls) = 2 &&
	grep -q "^$id  *web  *netns  *pk$id  *198.51.100.7 " ls &&
	potemkin-ls --json >json &&
	grep -q "^{\"id\":$id,\"type\":\"web\",\"backend\":\"netns\",.*\"ip\":\"198.51.100.7\",.*\"state\":\"running\",\"memory\":\"host\"}\$" json &&
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
	test $(field id <all | sort -u | wc -l) = 10 &&
	for i in 0 1 2 3 4 5 6 7 8 9; do
		echo "clone $i" >www/index.html &&
		curl -sS --max-time 5 --interface pk$(field id <c$i) \
			http://198.51.100.$((20 + i))/ >got &&
		test_cmp www/index.html got || return 1
	done &&
	echo "hello from a clone" >www/index.html
'

test_expect_success 'tearing one down leaves the other nine answering' '
	victim=$(field id <c4) &&
	potemkin-teardown $victim &&
	test_wait_for 5 "! ip link show pk$victim" &&
	for i in 0 1 2 3 5 6 7 8 9; do
		curl -sS --max-time 5 --interface pk$(field id <c$i) \
			http://198.51.100.$((20 + i))/ >/dev/null || return 1
	done &&
	potemkin-teardown $(field id <all | grep -vx $victim) &&
	test_wait_for 5 no_leftovers
'

test_expect_success 'freeze writes a complete evidence folder and tears down' '
	potemkin-clone -t web --ip 198.51.100.9 >rec &&
	id=$(field id <rec) &&
	curl -sS --max-time 5 --interface pk$id http://198.51.100.9/ >/dev/null &&
	potemkin-freeze $id >ev &&
	dir=$(cat ev) &&
	case "$dir" in "$TRASH"/state/evidence/$id-*) ;; *) false ;; esac &&
	test_cmp rec "$dir/record" &&
	grep " T busybox httpd" "$dir/processes.txt" &&
	grep " T busybox telnetd" "$dir/processes.txt" &&
	grep -q "socket:" "$dir/processes.txt" &&
	cat "$dir/net/tcp" "$dir/net/tcp6" | grep -q ":0050 " &&
	grep -q "eth0" "$dir/net/dev" &&
	test -s "$dir/proc/$(field pid <rec)/status" &&
	test_cmp www/index.html "$dir/files$TRASH/www/index.html" &&
	grep -q "^frozen: signal" "$dir/MANIFEST" &&
	test_wait_for 5 no_leftovers
'

test_expect_success 'freeze --keep leaves the clone frozen by the cgroup freezer' '
	mkdir -p cg &&
	mount -t cgroup2 none cg &&
	test_when_finished "umount cg" &&
	sed "s|freezer = \"none\"|freezer = \"$TRASH/cg\"|" vmm.conf >vmm-cg.conf &&
	potemkin-clone -c vmm-cg.conf -t web --ip 198.51.100.9 >rec &&
	id=$(field id <rec) &&
	dir=$(potemkin-freeze -c vmm-cg.conf --keep $id) &&
	grep -q "^frozen: cgroup $TRASH/cg/potemkin-pk$id" "$dir/MANIFEST" &&
	grep -q "frozen 1" cg/potemkin-pk$id/cgroup.events &&
	potemkin-ls -c vmm-cg.conf | grep -q "^$id .* frozen " &&
	! curl -s --max-time 1 --interface pk$id http://198.51.100.9/ &&
	potemkin-teardown -c vmm-cg.conf $id &&
	! test -d cg/potemkin-pk$id &&
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
	grep -q "^potemkin-snapshot: type broken: service ./no/such/daemon -p 80.: /no/such/daemon: not found or not executable\$" err
'

test_expect_success 'a clone whose pk<ID> exists already fails cleanly' '
	next=$(($(cat state/vms/.next))) &&
	ip tuntap add pk$next mode tap &&
	test_expect_code 1 potemkin-clone -t web 2>err &&
	grep -q "^potemkin-clone: creating veth pk$next: File exists\$" err &&
	ip link del pk$next &&
	test_wait_for 5 no_leftovers
'

test_expect_success 'a dead clone is stale in potemkin-ls; teardown -s removes it' '
	potemkin-clone -t web >rec &&
	id=$(field id <rec) &&
	kill -KILL $(field pid <rec) &&
	pkill -KILL -f "busybox httpd .*$TRASH/www" &&
	test_wait_for 5 "potemkin-ls | grep -q \"^$id .* stale \"" &&
	potemkin-teardown -s >swept &&
	echo $id >want &&
	test_cmp want swept &&
	test_wait_for 5 no_leftovers
'

test_expect_success 'the orphaned telnetd of that dead clone is gone too' '
	! pgrep -f "busybox telnetd .*$TRASH"
'

test_expect_success 'teardown of an unknown clone fails and says so' '
	test_expect_code 1 potemkin-teardown 4242 2>err &&
	grep -q "^potemkin-teardown: clone 4242: no such clone in $TRASH/state/vms\$" err
'

test_done
