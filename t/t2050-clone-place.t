#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# potemkin-place on its own: hosts.conf, the choice of a host, the tunnel
# that ties a remote clone to this machine, the health check and the
# firewall rules of a VMM host.  The "hosts" are network namespaces on a
# bridge, reached with nsenter as their command prefix: the clone tools
# run there for real, with their own state, memory and cgroups.  Two
# broken hosts stand in for what a real one does when it fails: a command
# that cannot reach its namespace (as ssh to a dead host exits 255), and
# one that answers with a line that is no record.  t4019 does the same
# over real sshd, through the gateway.
test_description='potemkin-place: hosts, placement, tunnels, checks'
. "$(dirname "$0")/lib/test-lib.sh"
test_require ROOT NETNS BUSYBOX CURL QEMU TUN
# The qemu guest, built (or reused) before isolation leaves no network.
image=${POTEMKIN_GUEST_DIR:-$SRC_ROOT/build/guest}
if [ -z "${POTEMKIN_ISOLATED:-}" ]; then
	potemkin-mkimage -q "$image" >&2 ||
		echo "t2050: potemkin-mkimage $image failed" >&2
fi
. "$TEST_DIRECTORY/lib/cage.sh"
cage_rootfs
test_isolate
cage_setup

mkdir -p www state
echo "hello from a placed clone" >www/index.html

# vmm_conf NAME: a netns type "web" whose state is NAME's alone.
vmm_conf() {
	mkdir -p "$TRASH/$1/state" "$TRASH/$1/mem" "$TRASH/$1/netns" &&
	{ mountpoint -q "$TRASH/$1/mem" ||
		mount -t tmpfs -o mode=755 potemkin-mem "$TRASH/$1/mem"; } &&
	cat >"$TRASH/$1/vmm.conf" <<-CONF
	statedir = "$TRASH/$1/state";
	memdir = "$TRASH/$1/mem";
	netns_dir = "$TRASH/$1/netns";
	cgroup = "$CAGE_CGROUP-$1";
	types = {
	  web = {
	    backend = "netns";
	    root = "$CAGE_ROOTFS";
	    binds = ( "$TRASH/www:/srv/www" );
	    gw_ip = "169.254.0.1";
	    services = ( "busybox httpd -f -p 80 -h /srv/www" );
	    ready_tcp = [ 80 ];
	  };
	  vm = {
	    backend = "qemu";
	    kernel = "$image/vmlinuz";
	    initrd = "$image/initrd.img";
	    memory = 128;
	    accel = "tcg";
	    guest_ip = "10.0.2.15";
	    gw_ip = "10.0.2.2";
	    ready = "POTEMKIN-READY";
	    ready_timeout = "120s";
	  };
	};
	CONF
}

# host_up NAME N: namespace hN on the datacenter bridge at 10.99.0.N.
host_up() {
	ip netns add "h$1" &&
	ip link add "dc-$1" type veth peer name eth0 netns "h$1" &&
	ip link set "dc-$1" master dc0 mtu 9000 up &&
	ip -n "h$1" addr add "10.99.0.$2/24" dev eth0 &&
	ip -n "h$1" link set eth0 mtu 9000 up &&
	ip -n "h$1" link set lo up &&
	vmm_conf "$1" &&
	on "$1" potemkin-snapshot -c "$TRASH/$1/vmm.conf" web >/dev/null
}

on() {
	local h=$1
	shift
	nsenter --net="/run/netns/h$h" "$@"
}

cleanup() {
	potemkin-teardown -c "$TRASH/gw/vmm.conf" -a
	for h in b c; do
		[ -e "/run/netns/h$h" ] && on $h potemkin-teardown -c "$TRASH/$h/vmm.conf" -a
	done
	for h in gw b c; do
		for g in $(CAGE_CGROUP=$CAGE_CGROUP-$h cage_groups); do
			rmdir "$g"/pk* "$g" 2>/dev/null
		done
	done
	for h in gw b c; do
		umount "$TRASH/$h/mem" "$TRASH/$h/netns" 2>/dev/null
	done
	return 0
}
test_atexit cleanup

place() {
	potemkin-place -c "$TRASH/gw/vmm.conf" -H "$TRASH/hosts.conf" "$@"
}

# The qemu type's snapshot on host $1, its messages shown only if it fails.
snapshot_vm() {
	on "$1" potemkin-snapshot -c "$TRASH/$1/vmm.conf" vm >snap.out 2>&1 && return 0
	cat snap.out
	return 1
}

# Frames host c puts into VNI $1 on host b's tunnel port, as a clone left
# running there could; how many the gateway's pk$1 took.
spoof_from_c() {
	local before
	before=$(cat /sys/class/net/pk$1/statistics/rx_packets)
	on c ip link add spoof type vxlan id "$1" remote 10.99.0.1 local 10.99.0.13 \
		dstport 4790 nolearning &&
	on c ip link set spoof up &&
	on c ip addr add 10.77.0.1/24 dev spoof &&
	on c ip neigh add 10.77.0.2 lladdr 02:00:00:00:00:01 dev spoof &&
	on c ping -c 3 -i 0.2 -W 1 10.77.0.2 >/dev/null
	on c ip link del spoof
	echo $(($(cat /sys/class/net/pk$1/statistics/rx_packets) - before))
}

# The placement's field KEY of the record on stdin.
field() { tr " " "\n" | sed -n "s/^$1=//p"; }

hosts_conf() {
	cat >hosts.conf <<-CONF
	tunnel = "10.99.0.1";
	check_timeout = "3s";
	hold_down = "${HOLD:-1h}";
	hosts = (
	$1
	);
	CONF
}

host_b='{ name = "b"; run = [ "nsenter", "--net=/run/netns/hb" ];
	  vmm = "'$TRASH'/b/vmm.conf"; tunnel = "10.99.0.12"; capacity = { web = 2; }; }'
host_c='{ name = "c"; run = [ "nsenter", "--net=/run/netns/hc" ];
	  vmm = "'$TRASH'/c/vmm.conf"; tunnel = "10.99.0.13"; capacity = { web = 2; }; }'

test_expect_success 'setup: the gateway, two VMM hosts on a datacenter bridge' '
	ip link set lo up &&
	ip link add dc0 type bridge &&
	ip addr add 10.99.0.1/24 dev dc0 &&
	ip link set dc0 mtu 9000 up &&
	vmm_conf gw &&
	potemkin-snapshot -c "$TRASH/gw/vmm.conf" web >/dev/null &&
	host_up b 12 && host_up c 13 &&
	hosts_conf "{ name = \"gw\"; capacity = { web = 1; }; }, $host_b, $host_c"
'

test_expect_success 'usage errors exit 2' '
	test_expect_code 2 place 2>err && grep -- "--type is required" err &&
	test_expect_code 2 place frob 2>err && grep "unknown command .frob." err &&
	test_expect_code 2 place rules a b 2>err && grep "rules takes at most one HOST" err &&
	test_expect_code 2 place --type web check 2>err &&
	test_expect_code 2 place --types --type web 2>err &&
	test_expect_code 2 place --type "a b" 2>err && grep "not a type name" err &&
	place -h | grep "^usage: potemkin-place"
'

# bad_conf TEXT MESSAGE: hosts.conf holding TEXT is refused with MESSAGE.
bad_conf() {
	printf "%s\n" "$1" >bad.conf &&
	test_expect_code 1 potemkin-place -c "$TRASH/gw/vmm.conf" -H bad.conf --type web \
		2>err &&
	grep -q -- "$2" err || { cat err; return 1; }
}

test_expect_success 'hosts.conf errors name their line, and nothing is made' '
	bad_conf "hosts = ( );" "bad.conf:1: hosts: a list of one host or more" &&
	bad_conf "tunnel = \"10.99.0.1\";
hosts = ( { name = \"a\"; run = [ \"true\" ]; tunnel = \"10.0.0.1\"; },
          { name = \"b\"; run = [ \"true\" ]; tunnel = \"10.0.0.1\"; } );" \
		"bad.conf:3: host b: tunnel 10.0.0.1 is host a.s too (line 2)" &&
	bad_conf "hosts = ( { name = \"a\"; }, { name = \"a\"; } );" \
		"bad.conf:1: host a: named twice" &&
	bad_conf "tunnel = \"10.99.0.1\"; hosts = ( { name = \"a\"; run = [ \"ssh\" ]; } );" \
		"host a: a host reached by .run. needs .tunnel." &&
	bad_conf "hosts = ( { name = \"a\"; run = [ \"ssh\" ]; tunnel = \"10.0.0.2\"; } );" \
		"the gateway.s .tunnel. address is needed" &&
	bad_conf "hosts = ( { name = \"a\"; tunnel = \"10.0.0.2\"; } );" \
		"without .run. it is this machine" &&
	bad_conf "hosts = ( { name = \"a\"; tools = \"/bin;rm\"; } );" \
		"host a: tools: ./bin;rm. is not an absolute path" &&
	bad_conf "hosts = ( { name = \"a\"; capcity = { web = 1; }; } );" \
		"host a: unknown setting .capcity. (did you mean .capacity.?)" &&
	bad_conf "tunel = 1; hosts = ( { name = \"a\"; } );" \
		"unknown setting .tunel. (did you mean .tunnel.?)" &&
	bad_conf "hosts = ( { name = \"a\"; capacity = { web = -1; }; } );" \
		"host a: capacity: web" &&
	bad_conf "hosts = ( { name = \"a b\"; } );" "host name .a b." &&
	test_must_fail potemkin-place -H nonexistent.conf --type web 2>err &&
	grep "nonexistent.conf" err &&
	test_must_fail test -e gw/state/hosts
'

test_expect_success '--types: each placed type, as a host that has it says' '
	place --types >types &&
	test "$(cat types)" = "type=web backend=netns tcp=80" &&
	hosts_conf "$host_b, { name = \"x\"; run = [ \"nsenter\", \"--net=/run/netns/hc\" ];
	  vmm = \"$TRASH/c/vmm.conf\"; tunnel = \"10.99.0.99\"; capacity = { db = 1; }; }" &&
	test_expect_code 1 place --types 2>err &&
	grep -q "hosts.conf:[0-9]*: host x: type db is not in its vmm.conf" err
'

test_expect_success 'placement: least loaded host with room, first on a tie' '
	hosts_conf "{ name = \"gw\"; capacity = { web = 1; }; }, $host_b, $host_c" &&
	for i in 1 2 3 4 5; do
		place --type web --ip 198.51.100.$i --universe $i >rec$i || return 1
	done &&
	for i in 1 2 3 4 5; do field host <rec$i; done | tr "\n" " " >order &&
	test "$(cat order)" = "gw b c b c " &&
	test_expect_code 1 place --type web --ip 198.51.100.6 2>err &&
	grep "no host has room for a clone of type web" err
'

test_expect_success 'a remote clone: backend remote here, its tunnel end pk<ID>' '
	id=$(field id <rec2) &&
	test "$(field backend <rec2)" = remote &&
	test "$(field ifname <rec2)" = pk$id &&
	ip -d link show pk$id >link &&
	grep -q "vxlan id $id remote 10.99.0.12 local 10.99.0.1 .*dstport 4790 nolearning" link &&
	potemkin-ls -c "$TRASH/gw/vmm.conf" >ls &&
	grep -q "^$id  *web  *b  *remote  *pk$id .* remote  *running " ls &&
	on b potemkin-ls -c "$TRASH/b/vmm.conf" --json >lsb &&
	grep -q "\"host\":\"b\"" lsb &&
	test -z "$(field link_mac <rec2)"
'

test_expect_success 'the VMM host only bridges: no address on the link, tc both ways' '
	rid=$(sed -n "s/^host=b id=//p" gw/state/vms/$(field id <rec2)/remote) &&
	test -z "$(on b ip -o -4 addr show dev pk$rid)" &&
	on b tc filter show dev pk$rid ingress | grep -q "Redirect to device pkt$rid" &&
	on b tc filter show dev pkt$rid ingress | grep -q "Redirect to device pk$rid" &&
	test "$(on b ip -o link show pk$rid | grep -o "link/ether [^ ]*")" = \
		"$(ip -o link show pk$(field id <rec2) | grep -o "link/ether [^ ]*")"
'

test_expect_success 'each remote clone answers through its own tunnel' '
	for i in 2 3 4 5; do
		id=$(field id <rec$i) &&
		ip route add 198.51.100.$i/32 dev pk$id src 169.254.0.1 &&
		curl -sS -m 5 http://198.51.100.$i/ >page &&
		grep -q "hello from a placed clone" page || return 1
	done &&
	curl -sS -m 5 --interface pk$(field id <rec1) http://198.51.100.1/ >page &&
	grep -q "hello from a placed clone" page
'

test_expect_success 'a remote qemu clone answers through its tunnel too' '
	snapshot_vm b &&
	hosts_conf "{ name = \"b\"; run = [ \"nsenter\", \"--net=/run/netns/hb\" ];
	  vmm = \"$TRASH/b/vmm.conf\"; tunnel = \"10.99.0.12\"; capacity = { vm = 1; }; }" &&
	place --type vm --ip 198.51.100.20 --universe 20 >recq &&
	test "$(field backend <recq)" = remote &&
	id=$(field id <recq) &&
	rid=$(sed -n "s/^host=b id=//p" gw/state/vms/$id/remote) &&
	ip route add 10.0.2.15/32 dev pk$id src 10.0.2.2 &&
	test_wait_for 20 "curl -sS -m 2 http://10.0.2.15/ >page" &&
	grep -q "It works" page &&
	potemkin-teardown -c "$TRASH/gw/vmm.conf" $id &&
	test_must_fail test -e b/state/vms/$rid &&
	test_must_fail on b ip link show pkt$rid 2>/dev/null &&
	hosts_conf "{ name = \"gw\"; capacity = { web = 1; }; }, $host_b, $host_c"
'

test_expect_success 'check: one line per host, with what it holds' '
	place check >check &&
	grep -qx "host=gw state=up live=1 capacity=web:1 why=" check &&
	grep -qx "host=b state=up live=2 capacity=web:2 why=" check &&
	grep -qx "host=c state=up live=2 capacity=web:2 why=" check
'

test_expect_success 'teardown here tears down there too, and frees the slot' '
	id=$(field id <rec2) &&
	rid=$(sed -n "s/^host=b id=//p" gw/state/vms/$id/remote) &&
	potemkin-teardown -c "$TRASH/gw/vmm.conf" $id &&
	test_must_fail ip link show pk$id 2>/dev/null &&
	test_must_fail test -e b/state/vms/$rid &&
	test_must_fail on b ip link show pkt$rid 2>/dev/null &&
	place --type web --ip 198.51.100.7 --universe 7 >rec7 &&
	test "$(field host <rec7)" = b
'

test_expect_success 'freeze: frozen there, named here' '
	id=$(field id <rec3) &&
	potemkin-freeze -c "$TRASH/gw/vmm.conf" $id >evdir &&
	grep -q "^c:$TRASH/c/state/evidence/" "$(cat evdir)/remote" &&
	test -d "$(sed "s/^c://" "$(cat evdir)/remote")" &&
	test_must_fail ip link show pk$id 2>/dev/null
'

test_expect_success 'an unreachable host is marked down and the next one used' '
	potemkin-teardown -c "$TRASH/gw/vmm.conf" -a &&
	hosts_conf "{ name = \"dead\"; run = [ \"nsenter\", \"--net=/run/netns/nonexistent\" ];
	  tunnel = \"10.99.0.66\"; capacity = { web = 5; }; }, $host_b" &&
	place --type web --ip 198.51.100.8 --universe 8 >rec8 2>err &&
	test "$(field host <rec8)" = b &&
	grep -q "host dead marked down" err &&
	place check >check &&
	grep -q "^host=dead state=down live=0 capacity=web:5 why=the check: exit status" check &&
	test "$(ls gw/state/vms)" = "$(field id <rec8)"
'

test_expect_success 'a host that answers with no record: refused, nothing left' '
	potemkin-teardown -c "$TRASH/gw/vmm.conf" -a &&
	hosts_conf "{ name = \"liar\"; run = [ \"sh\", \"-c\", \"echo id=3 type=web garbage\", \"sh\" ];
	  tunnel = \"10.99.0.67\"; capacity = { web = 5; }; }" &&
	test_expect_code 1 place --type web --ip 198.51.100.9 2>err &&
	grep -q "host liar: malformed record" err &&
	test -z "$(ls gw/state/vms)" &&
	test -z "$(ip -o link show | grep " pk[0-9]")" &&
	test -z "$(ls gw/state/hosts/liar/web)"
'

test_expect_success 'a host back after its hold-down is swept, then up' '
	HOLD=1s hosts_conf "$host_b" &&
	on b potemkin-clone -c "$TRASH/b/vmm.conf" --type web --ip 198.51.100.10 >/dev/null &&
	echo "1 the test took it down" >gw/state/hosts/b/down &&
	place check >check &&
	grep -qx "host=b state=up live=0 capacity=web:2 why=" check &&
	test -z "$(ls b/state/vms)" &&
	test_must_fail test -e gw/state/hosts/b/down
'

test_expect_success 'a host still in its hold-down stays down' '
	hosts_conf "$host_b" &&
	echo "$(($(date +%s) * 1000)) it failed a clone" >gw/state/hosts/b/down &&
	place check >check &&
	grep -q "^host=b state=down .* why=it failed a clone (held down for 3600s)" check &&
	test_expect_code 1 place --type web --ip 198.51.100.11 2>err &&
	grep "no host has room" err &&
	rm gw/state/hosts/b/down
'

test_expect_success 'each host has a tunnel port of its own' '
	hosts_conf "{ name = \"gw\"; capacity = { web = 1; }; }, $host_b, $host_c" &&
	place --type web --ip 198.51.100.12 --universe 12 >rec12 &&
	place --type web --ip 198.51.100.13 --universe 13 >rec13 &&
	place --type web --ip 198.51.100.14 --universe 14 >rec14 &&
	ip -d link show pk$(field id <rec13) | grep -q "remote 10.99.0.12 .*dstport 4790" &&
	ip -d link show pk$(field id <rec14) | grep -q "remote 10.99.0.13 .*dstport 4791" &&
	potemkin-place -H hosts.conf rules c | grep -qx -- "-A POTEMKIN-INPUT -p udp --dport 4791 ! -s 10.99.0.1 -j DROP"
'

test_expect_success 'another host cannot speak into a clone tunnel of host b' '
	id=$(field id <rec13) &&
	potemkin-place -H hosts.conf rules | iptables-restore -n &&
	test "$(spoof_from_c $id)" = 0 &&
	iptables -D POTEMKIN-TUNNEL -p udp --dport 4790 -j DROP &&
	test "$(spoof_from_c $id)" -gt 0 &&
	iptables -D INPUT -j POTEMKIN-TUNNEL && iptables -F POTEMKIN-TUNNEL &&
	iptables -X POTEMKIN-TUNNEL
'

test_expect_success 'this machine back from down is not swept: the other hosts keep their clones' '
	echo "1 the test took it down" >gw/state/hosts/gw/down &&
	HOLD=1s hosts_conf "{ name = \"gw\"; capacity = { web = 1; }; }, $host_b, $host_c" &&
	place check >check &&
	grep -qx "host=gw state=up live=1 capacity=web:1 why=" check &&
	for r in rec12 rec13 rec14; do
		test -d gw/state/vms/$(field id <$r) &&
		ip link show pk$(field id <$r) >/dev/null || return 1
	done &&
	potemkin-teardown -c "$TRASH/gw/vmm.conf" -a
'

test_expect_success 'a gateway address a host names is held to private ones we do not have' '
	mkdir -p liar && cat >liar/clone <<-\EOF &&
	#!/bin/sh
	# A VMM host that claims the address 10.99.0.1, which this machine has.
	exec "$@" | sed "s/gw_ip=[^ ]*/gw_ip=10.99.0.1/"
	EOF
	chmod +x liar/clone &&
	hosts_conf "{ name = \"b\"; run = [ \"$TRASH/liar/clone\", \"nsenter\", \"--net=/run/netns/hb\" ];
	  vmm = \"$TRASH/b/vmm.conf\"; tunnel = \"10.99.0.12\"; capacity = { web = 2; }; }" &&
	test_expect_code 1 place --type web --ip 198.51.100.15 2>err &&
	grep -q "host b: its record.s gw_ip 10.99.0.1 is not a private or link-local address this machine does not have" err &&
	test -z "$(ls gw/state/vms)" &&
	test -z "$(ls b/state/vms)" &&
	test -z "$(ip -o link show | grep " pk[0-9]")" &&
	rm gw/state/hosts/b/down
'

test_expect_success 'rules: what a VMM host needs, for iptables-restore' '
	hosts_conf "$host_b" &&
	potemkin-place -H hosts.conf rules b >rules &&
	grep -qx -- "-A POTEMKIN-INPUT -p udp --dport 4789 ! -s 10.99.0.1 -j DROP" rules &&
	grep -qx -- "-A POTEMKIN-INPUT -i pk+ -j DROP" rules &&
	grep -qx -- "-A POTEMKIN-FORWARD -o pk+ -j DROP" rules &&
	on b iptables-restore -n <rules &&
	on b iptables -S POTEMKIN-INPUT | grep -q "udp --dport 4789" &&
	potemkin-place -6 -H hosts.conf rules b >rules6 &&
	grep -qx -- "-A POTEMKIN-FORWARD -o pk+ -j DROP" rules6 &&
	on b ip6tables-restore -n <rules6 &&
	test_expect_code 2 potemkin-place -6 -H hosts.conf check 2>err &&
	test_expect_code 1 potemkin-place -H hosts.conf rules nosuch 2>err &&
	grep "no host named nosuch" err &&
	potemkin-place -H hosts.conf rules >rules &&
	grep -qx -- "-A POTEMKIN-TUNNEL -p udp --dport 4789 -s 10.99.0.12 -j RETURN" rules &&
	iptables-restore -n <rules &&
	iptables -S INPUT | grep -qx -- "-A INPUT -j POTEMKIN-TUNNEL" &&
	iptables -D INPUT -j POTEMKIN-TUNNEL && iptables -F POTEMKIN-TUNNEL &&
	iptables -X POTEMKIN-TUNNEL
'

test_expect_success 'the shipped hosts.conf is read as it stands' '
	potemkin-place -H "$SRC_ROOT/etc/potemkin/hosts.conf" rules vmm1 >rules &&
	grep -qx -- "-A POTEMKIN-INPUT -p udp --dport 4790 ! -s 10.99.0.1 -j DROP" rules &&
	potemkin-place -H "$SRC_ROOT/etc/potemkin/hosts.conf" rules gw >rules &&
	grep -qx -- "-A POTEMKIN-TUNNEL -p udp --dport 4790 -s 10.99.0.11 -j RETURN" rules &&
	grep -qx -- "-A POTEMKIN-TUNNEL -p udp --dport 4790 -j DROP" rules
'

test_expect_success 'everything torn down leaves nothing on either side' '
	potemkin-teardown -c "$TRASH/gw/vmm.conf" -a &&
	on b potemkin-teardown -c "$TRASH/b/vmm.conf" -a &&
	on c potemkin-teardown -c "$TRASH/c/vmm.conf" -a &&
	test -z "$(ip -o link show | grep " pk[0-9]")" &&
	test -z "$(on b ip -o link show | grep " pkt\{0,1\}[0-9]")" &&
	test -z "$(on c ip -o link show | grep " pkt\{0,1\}[0-9]")" &&
	test -z "$(ls gw/state/vms)$(ls b/state/vms)$(ls c/state/vms)" &&
	test -z "$(find gw/state/hosts -mindepth 3 -type f)"
'

test_done
