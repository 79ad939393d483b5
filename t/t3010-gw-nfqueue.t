#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# nfqueue.c against the real kernel: a client namespace sends through a veth
# into the test's namespace, where iptables raw PREROUTING queues to queue 0
# and t/helpers/gw-nq-echo (nfqueue.c + packet.c) gives the verdicts.
test_description='NFQUEUE queue: verdicts, marks, payloads, fail-closed, ENOBUFS'
. "$(dirname "$0")/lib/test-lib.sh"

test_require ROOT NETNS NFQUEUE
test_isolate

ECHO="$SRC_ROOT/t/helpers/gw-nq-echo"
TX="$SRC_ROOT/t/helpers/gw-tx"
CLI=10.9.0.1 SRV=10.9.0.2 GHOST=10.9.0.99

# Packets counted by the rule carrying iptables comment $1 (table $2).
count() {
	iptables-save -c -t "${2:-filter}" |
		sed -n "s/^\[\([0-9]*\):[0-9]*\] .*--comment $1 .*/\1/p"
}

# Field $1 of queue 0 in /proc/net/netfilter/nfnetlink_queue (6: queue
# drops, 7: user/ENOBUFS drops); 0 when the queue is not bound.
qstat() {
	awk -v f="$1" '$1 == 0 { print $f; found = 1 } END { if (!found) print 0 }' \
		/proc/net/netfilter/nfnetlink_queue
}

# Background programs get no descriptor of the test's output (3, 4), so a
# leftover can never hold prove's pipe open; every pid is killed at exit.
echo_pid= all_pids=
start_echo() {
	stop_echo >/dev/null 2>&1
	rm -f ready echo.out
	"$ECHO" -R ready "$@" >echo.out 2>echo.err 3>&- 4>&- &
	echo_pid=$!
	all_pids="$all_pids $!"
	test_wait_for 5 "test -f ready" || { cat echo.err; return 1; }
	test_when_finished stop_echo
}
stop_echo() {
	[ -n "$echo_pid" ] || return 0
	kill -TERM "$echo_pid" 2>/dev/null
	wait "$echo_pid"
	local rc=$?
	echo_pid=
	cat echo.out
	return $rc
}
# Value of key $1 in the consumer's final counters.
estat() { sed -n "s/.*\<$1=\([0-9]*\).*/\1/p" echo.out; }

udp_send() {	# udp_send DST PORT TEXT [N]
	ip netns exec cli bash -c 'for i in $(seq '"${4:-1}"'); do
		printf "%s\n" "'"$3"'" >/dev/udp/'"$1/$2"'; done'
}
ping_ok() { ip netns exec cli ping -c "${1:-3}" -i 0.2 -W 1 -q "$SRV" >/dev/null; }

start_recv() {	# a UDP listener on SRV:$1 writing to recv.$1
	: >"recv.$1"
	socat -u "UDP-RECV:$1,bind=$SRV" "OPEN:recv.$1,append" 3>&- 4>&- &
	all_pids="$all_pids $!"
}

test_atexit 'kill $all_pids 2>/dev/null'

test_expect_success 'set up a client namespace behind a veth' '
	ip netns add cli &&
	ip link add vs type veth peer name vc netns cli &&
	ip addr add $SRV/24 dev vs && ip link set vs up &&
	ip -n cli addr add $CLI/24 dev vc && ip -n cli link set vc up &&
	ip -n cli link set lo up &&
	srv_mac=$(cat /sys/class/net/vs/address) &&
	ip -n cli neigh add $GHOST lladdr $srv_mac dev vc nud permanent &&
	ip -n cli neigh add $SRV lladdr $srv_mac dev vc nud permanent &&
	ping_ok 1
'

test_expect_success 'queue rules and counters' '
	iptables -t raw -A PREROUTING -i vs -m comment --comment queued -j NFQUEUE --queue-num 0 &&
	iptables -A INPUT -p udp --dport 9000 -m mark --mark 0x17 -m comment --comment marked -j ACCEPT &&
	iptables -A INPUT -p udp --dport 9000 -m comment --comment udp9000 -j ACCEPT &&
	iptables -A INPUT -p udp --dport 9001 -m mark --mark 0x17 -m comment --comment marked9001 -j ACCEPT &&
	iptables -A INPUT -p udp --dport 9001 -m comment --comment udp9001 -j ACCEPT &&
	iptables -A INPUT -p udp --dport 9002 -m comment --comment udp9002 -j ACCEPT &&
	iptables -A INPUT -p icmp -m comment --comment icmp_in -j ACCEPT &&
	iptables -A OUTPUT -p tcp --tcp-flags RST RST -m comment --comment rst_out -j ACCEPT &&
	test "$(count queued raw)" = 0
'

test_expect_success 'fail-closed: with nobody bound nothing passes' '
	test_must_fail ping_ok 3 &&
	test "$(count queued raw)" -ge 3 &&
	test "$(count icmp_in)" = 0
'

test_expect_success 'accept: pings pass through the consumer' '
	start_echo any=accept &&
	ping_ok 3 &&
	stop_echo &&
	test "$(estat packets)" -ge 3 && test "$(estat accepted)" -ge 3 &&
	test "$(estat errors)" = 0
'

test_expect_success 'drop: ICMP dropped while UDP still passes' '
	start_recv 9000 &&
	start_echo icmp=drop any=accept &&
	test_must_fail ping_ok 2 &&
	udp_send $SRV 9000 alive &&
	test_wait_for 5 "grep -q alive recv.9000" &&
	stop_echo &&
	test "$(estat dropped)" -ge 2
'

test_expect_success 'mark: accepted packets carry the mark' '
	before=$(count marked) &&
	start_echo udp:9000=mark:0x17 &&
	udp_send $SRV 9000 marked 5 &&
	test_wait_for 5 "test \$(grep -c ^marked recv.9000) = 5" &&
	stop_echo &&
	test $(($(count marked) - before)) = 5
'

test_expect_success 'mangle: a longer payload replaces the packet and arrives' '
	csum_errors() { awk "/^Udp:/ { n++; if (n == 2) print \$7 }" /proc/net/snmp; } &&
	e0=$(csum_errors) &&
	start_echo udp:9000=mangle &&
	udp_send $SRV 9000 payload-one &&
	test_wait_for 5 "grep -q ^mangled:payload-one recv.9000" &&
	stop_echo &&
	test "$(csum_errors)" = "$e0"
'

test_expect_success 'a short copy range: headers only, the packet passes whole' '
	start_echo -c 40 any=accept &&
	udp_send $SRV 9000 "a-datagram-longer-than-forty-bytes-of-ip-and-udp" &&
	test_wait_for 5 "grep -q ^a-datagram-longer-than-forty-bytes recv.9000" &&
	stop_echo &&
	test "$(estat truncated)" = 1 && test "$(estat accepted)" = 1
'

test_expect_success 'rewritten destination: UDP checksum accepted by the stack' '
	start_echo udp=dnat:$SRV &&
	udp_send $GHOST 9000 via-ghost &&
	test_wait_for 5 "grep -q ^via-ghost recv.9000" &&
	stop_echo
'

test_expect_success 'rewritten destination: TCP checksum accepted (closed port answers RST)' '
	r0=$(count rst_out) &&
	start_echo tcp=dnat:$SRV &&
	{ ip netns exec cli timeout 2 bash -c "exec 3<>/dev/tcp/$GHOST/8080" || :; } &&
	test_wait_for 5 "test \$(count rst_out) -gt $r0" &&
	stop_echo
'

test_expect_success 'verdicts alternating accept/drop: each packet gets its own' '
	a0=$(count udp9001) && d0=$(count udp9002) &&
	start_echo udp:9002=drop udp=accept &&
	ip netns exec cli "$TX" -n 300 vc $srv_mac $CLI:5000 $SRV:9001 \
		vc $srv_mac $CLI:5001 $SRV:9002 >tx.out &&
	grep "sent=600 errors=0" tx.out &&
	test_wait_for 5 "test \$((\$(count udp9001) - a0)) = 300" &&
	stop_echo &&
	test $(($(count udp9002) - d0)) = 0 &&
	test "$(estat packets)" = 600 &&
	test "$(estat verdicts)" = 600
'

# -s makes the consumer sleep between rounds, so whole bursts wait for it
# and consecutive verdicts can become batches.
test_expect_success 'runs of equal verdicts go as batches, marks and all' '
	m0=$(count marked9001) && a0=$(count udp9001) && d0=$(count udp9002) &&
	start_echo -s 200000 udp:9002=drop udp=mark:0x17 &&
	ip netns exec cli "$TX" -n 300 vc $srv_mac $CLI:5000 $SRV:9001 >tx.out &&
	ip netns exec cli "$TX" -n 300 vc $srv_mac $CLI:5001 $SRV:9002 >tx.out &&
	ip netns exec cli "$TX" -n 300 vc $srv_mac $CLI:5000 $SRV:9001 >tx.out &&
	test_wait_for 5 "test \$((\$(count marked9001) - m0)) = 600" &&
	stop_echo &&
	test $(($(count udp9001) - a0)) = 0 &&
	test $(($(count udp9002) - d0)) = 0 &&
	test "$(estat packets)" = 900 &&
	test "$(estat verdicts)" -lt 100
'

test_expect_success 'batched verdicts never release a packet still held' '
	a0=$(count udp9001) && d0=$(count udp9002) &&
	start_echo udp:9002=hold udp=accept &&
	ip netns exec cli "$TX" -n 200 vc $srv_mac $CLI:5000 $SRV:9001 \
		vc $srv_mac $CLI:5001 $SRV:9002 >tx.out &&
	test_wait_for 5 "test \$(($(count udp9001) - a0)) = 200" &&
	test "$(qstat 3)" = 200 &&
	test $(($(count udp9002) - d0)) = 0 &&
	stop_echo &&
	test "$(estat held)" = 200 &&
	test "$(estat verdicts)" = 200 &&
	test $(($(count udp9002) - d0)) = 0
'

test_expect_success 'verdicts out of order (a parked packet) are all honoured' '
	a0=$(count udp9001) && d0=$(count udp9002) &&
	start_echo udp:9002=later udp=accept &&
	ip netns exec cli "$TX" -n 100 vc $srv_mac $CLI:5000 $SRV:9001 \
		vc $srv_mac $CLI:5001 $SRV:9002 >tx.out &&
	test_wait_for 5 "test \$((\$(count udp9001) - a0)) = 100" &&
	test_wait_for 5 "test \$((\$(count udp9002) - d0)) = 99" &&
	stop_echo &&
	test_wait_for 5 "test \$((\$(count udp9002) - d0)) = 100" &&
	test "$(estat accepted)" = 200 && test "$(estat errors)" = 0
'

test_expect_success 'a full queue drops, it never accepts' '
	a0=$(count udp9001) &&
	start_echo -l 2 udp=hold &&
	ip netns exec cli "$TX" -n 20 vc $srv_mac $CLI:5000 $SRV:9001 >tx.out &&
	test_wait_for 5 "test \$(qstat 6) -ge 18" &&
	test "$(qstat 3)" = 2 &&
	stop_echo &&
	test "$(estat held)" = 2 &&
	test $(($(count udp9001) - a0)) = 0
'

test_expect_success 'ENOBUFS under a flood is counted and the consumer lives on' '
	a0=$(count udp9001) &&
	start_echo -r 8192 -s 50000 any=accept &&
	ip netns exec cli "$TX" -n 3000 vc $srv_mac $CLI:5000 $SRV:9001 >tx.out &&
	test_wait_for 10 "test \$(qstat 7) -gt 0" &&
	test_wait_for 10 "test \$(qstat 3) = 0" &&
	kill -0 $echo_pid &&
	ping_ok 2 &&
	stop_echo &&
	test "$(estat enobufs)" -gt 0 &&
	delivered=$(($(count udp9001) - a0)) &&
	test "$delivered" -lt 3000 &&
	test "$delivered" -le "$(estat accepted)"
'

test_expect_success 'after the consumer exits nothing passes again' '
	test_must_fail ping_ok 2
'

test_expect_success 'a queue already bound elsewhere is refused' '
	start_echo any=accept &&
	test_expect_code 1 "$ECHO" any=accept 2>err &&
	grep "gw-nq-echo: nfqueue 0: bind refused: the queue is bound by another process" err &&
	grep "gw-nq-echo: queue 0: Operation not permitted" err &&
	stop_echo
'

test_expect_success 'bad rules are usage errors' '
	test_expect_code 2 "$ECHO" nonsense 2>err &&
	grep "bad rule: nonsense" err &&
	test_expect_code 2 "$ECHO" udp=dnat:10.0.0.300 2>err
'

test_done
