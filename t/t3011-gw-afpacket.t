#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# afpacket.c against the real kernel: two "clones" (namespaces c1 and c2,
# each behind a veth pk1/pk2 as the netns backend makes them) receive UDP
# datagrams that t/helpers/gw-tx sends out of pk1/pk2 through afpacket.c.
test_description='AF_PACKET delivery: frames, batching, interface info, errors'
. "$(dirname "$0")/lib/test-lib.sh"

test_require ROOT NETNS IPTABLES
test_isolate

TX="$SRC_ROOT/t/helpers/gw-tx"
all_pids=
test_atexit 'kill $all_pids 2>/dev/null'

# Packets counted in clone $1 by its INPUT rule with comment $2.
count() {
	ip netns exec "$1" iptables-save -c -t filter |
		sed -n "s/^\[\([0-9]*\):[0-9]*\] .*--comment $2 .*/\1/p"
}
stat() { sed -n "s/.*\<$1=\([0-9]*\).*/\1/p" tx.out; }

clone() {	# clone N: namespace cN behind pkN, address 10.N.0.2
	ip netns add c$1 &&
	ip link add pk$1 type veth peer name eth0 netns c$1 &&
	ip link set pk$1 up &&
	ip -n c$1 link set lo up &&
	ip -n c$1 addr add 10.$1.0.2/24 dev eth0 &&
	ip -n c$1 link set eth0 up &&
	ip -n c$1 route add default dev eth0 &&
	ip netns exec c$1 iptables -A INPUT -p udp --dport 7000 -m comment --comment got -j ACCEPT &&
	: >recv.$1 &&
	{ ip netns exec c$1 socat -u UDP-RECV:7000 OPEN:$TRASH/recv.$1,append 3>&- 4>&- & } &&
	all_pids="$all_pids $!" &&
	eval "mac$1=\$(ip netns exec c$1 cat /sys/class/net/eth0/address)"
}

test_expect_success 'two clones behind pk1 and pk2' '
	clone 1 && clone 2 &&
	test -n "$mac1" && test -n "$mac2" &&
	test "$(count c1 got)" = 0
'

test_expect_success 'tx_ifinfo reports the index and MAC the kernel has' '
	"$TX" -i pk1 >out &&
	echo "ifindex=$(cat /sys/class/net/pk1/ifindex) mac=$(cat /sys/class/net/pk1/address)" >want &&
	test_cmp want out
'

test_expect_success 'tx_ifinfo: a missing interface' '
	test_expect_code 1 "$TX" -i nosuch0 2>err &&
	echo "gw-tx: nosuch0: No such device" >want &&
	test_cmp want err &&
	test_expect_code 1 "$TX" -i an-interface-name-too-long 2>err &&
	grep "No such device" err
'

test_expect_success 'tx_ifinfo: not an Ethernet interface' '
	test_expect_code 1 "$TX" -i lo 2>err &&
	echo "gw-tx: lo: Address family not supported by protocol" >want &&
	test_cmp want err
'

test_expect_success 'datagrams sent out of pk1 arrive at the clone socket' '
	"$TX" -n 3 pk1 $mac1 203.0.113.9:4000 10.1.0.2:7000 >tx.out &&
	grep "^sent=3 errors=0 too_big=0$" tx.out &&
	test_wait_for 5 "grep -q \"gw-tx 2\" recv.1" &&
	test "$(count c1 got)" = 3
'

test_expect_success 'one flush serves several interfaces' '
	a=$(count c1 got) b=$(count c2 got) &&
	"$TX" -n 100 pk1 $mac1 203.0.113.9:4000 10.1.0.2:7000 \
		pk2 $mac2 198.51.100.7:4001 10.2.0.2:7000 >tx.out &&
	grep "^sent=200 errors=0 too_big=0$" tx.out &&
	test_wait_for 5 "test \$((\$(count c1 got) - a)) = 100" &&
	test_wait_for 5 "test \$((\$(count c2 got) - b)) = 100" &&
	test_wait_for 5 "grep -q \"gw-tx 99\" recv.2"
'

test_expect_success 'a frame over the MTU is counted as too big' '
	a=$(count c1 got) &&
	"$TX" -s 1473 pk1 $mac1 203.0.113.9:4000 10.1.0.2:7000 >tx.out &&
	grep "^sent=0 errors=0 too_big=1$" tx.out &&
	"$TX" -s 1472 pk1 $mac1 203.0.113.9:4000 10.1.0.2:7000 >tx.out &&
	grep "^sent=1 errors=0 too_big=0$" tx.out &&
	test_wait_for 5 "test \$((\$(count c1 got) - a)) = 1"
'

test_expect_success 'a larger MTU takes larger frames' '
	a=$(count c1 got) &&
	ip link set pk1 mtu 9000 && ip -n c1 link set eth0 mtu 9000 &&
	"$TX" -s 8000 pk1 $mac1 203.0.113.9:4000 10.1.0.2:7000 >tx.out &&
	grep "^sent=1 errors=0 too_big=0$" tx.out &&
	test_wait_for 5 "test \$((\$(count c1 got) - a)) = 1"
'

test_expect_success 'an interface that is down loses its frames, the others go' '
	a=$(count c1 got) &&
	ip link set pk2 down &&
	test_when_finished "ip link set pk2 up" &&
	"$TX" -n 5 pk1 $mac1 203.0.113.9:4000 10.1.0.2:7000 \
		pk2 $mac2 198.51.100.7:4001 10.2.0.2:7000 >tx.out &&
	test "$(stat sent)" = 5 && test "$(stat errors)" = 5 &&
	test_wait_for 5 "test \$((\$(count c1 got) - a)) = 5"
'

test_expect_success 'bad arguments are usage errors' '
	test_expect_code 2 "$TX" pk1 $mac1 203.0.113.9:4000 2>err &&
	grep "^usage: gw-tx" err &&
	test_expect_code 2 "$TX" pk1 nomac 203.0.113.9:4000 10.1.0.2:7000 2>err
'

test_done
