#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The kernel fast path carries what the engine decided, exactly as the
# queues would: the same conversation (TCP with payload both ways, then
# UDP) held with the fast path off and on is the same packet for packet at
# the clone and at the attacker, apart from what each run makes anew
# (initial sequence numbers, IP ids, timestamps, and with them checksums);
# with it on, the kernel carried it and the queues saw only each flow's
# first packet.  A clone whose flows run only in the kernel lives while they
# do, and goes idle when they stop; a reload that narrows the policy stops
# a carried flow at the next packet; a stopped worker's heartbeat lapses and
# the queues decide again; and kill -9 of the gateway leaves no program
# attached and nothing getting out.
test_description='fast path: the same bytes as the queues, and contained'
E2E_REQUIRE=TCX
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

TCX="$SRC_ROOT/t/helpers/gw-tcx-show"
CONV="/usr/bin/python3 $TEST_DIRECTORY/lib/fp-conversation.py"
ATTACKER=203.0.113.20
ADDR=198.51.100.40
FARM_TYPE_PORTS='7 23 80'
FARM_IDLE=5s
FARM_GATEWAY_EXTRA='fastpath = false;'
PIDS=
test_atexit 'for p in $PIDS; do kill "$p" 2>/dev/null; done'

# In the shell of the clone at $ADDR, as the attacker (t4011's way in).
in_clone() {
	printf '\n%s\nexit\n' "$1" |
		farm_in socat -T 20 STDIO,ignoreeof \
			"TCP:$ADDR:23,bind=$ATTACKER,connect-timeout=5" |
		perl -pe 's/\xff\xfa.*?\xff\xf0//g; s/\xff[\xfb-\xfe].//g; s/\r//g'
}

# The clone for $ADDR, its echo service started, checksums written in full
# by both ends (so that the captures hold what was sent); sets $vm.
clone_up() {
	farm_in curl -sS -m 20 --interface "$ATTACKER" "http://$ADDR/" | grep -q potemkin &&
	vm=$(e2e_vm_of "$ADDR") && test -n "$vm" &&
	in_clone "setsid /srv/www/fp-echo 7 </dev/null >/dev/null 2>&1 & echo started" |
		grep -qx started &&
	ip netns exec "pk$vm" $CONV csum-off eth0 &&
	farm_in $CONV csum-off eth0 &&
	test_wait_for 5 "ip netns exec pk$vm ss -lnu | grep -q ':7 '"
}

# The clone's echo service afresh: its connection the narrowed policy cut
# off is closed while the gateway lives, so that no orphaned socket of the
# clone retransmits its FIN into a dead gateway for minutes, keeping the
# clone's namespace (and pk<ID>) alive after its teardown.
echo_restart() {
	in_clone "killall fp-echo; setsid /srv/www/fp-echo 7 </dev/null >/dev/null 2>&1 & echo restarted" |
		grep -qx restarted &&
	test_wait_for 5 "test -z \"\$(ip netns exec pk$vm ss -Htn state connected '( sport = :7 )')\""
}

# Captures of the conversation at the attacker and at the clone: $1.in, $1.vm.
capture() {
	ip netns exec "$FARM_INET" tcpdump -i eth0 -n -U --immediate-mode -Z root -w "$1.in" \
		"host $ATTACKER and port 7" 2>"$1.in.log" &
	PIDS="$PIDS $!"
	ip netns exec "pk$vm" tcpdump -i eth0 -n -U --immediate-mode -Z root -w "$1.vm" \
		"port 7" 2>"$1.vm.log" &
	PIDS="$PIDS $!"
	test_wait_for 5 "grep -q 'listening on' $1.in.log && grep -q 'listening on' $1.vm.log"
}

# captured FILE FILTER N: the capture holds at least N packets FILTER matches.
captured() {
	test "$(tcpdump -n -r "$1" "$2" 2>/dev/null | wc -l)" -ge "$3"
}

# The attacker holds a TCP round, then another once told to (file go).
hold_start() {
	rm -f go
	ip netns exec "$FARM_INET" $CONV hold "$ADDR" 7 "$ATTACKER" 40300 go >hold.out &
	PIDS="$PIDS $!"
}

# What the clone sends from its echo port to the attacker, whoever listens.
clone_sends() {
	ip netns exec "pk$vm" /usr/bin/python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 7))
for i in range(20):
    s.sendto(b'out', ('$ATTACKER', 40400))
"
}

capture_stop() {
	local p
	for p in $PIDS; do kill -INT "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	PIDS=
	return 0
}

# Packets the queues' rules have seen since nfq_zero.
nfq_zero() {
	iptables -t raw -Z POTEMKIN-PREROUTING
}
nfq_count() {
	iptables -t raw -nvxL POTEMKIN-PREROUTING |
		awk '/NFQUEUE/ { n += $1 } END { print n + 0 }'
}

# One run of the conversation, its captures normalized into $1.in.txt and
# $1.vm.txt, the queues' count into $1.nfq.
conversation() {
	clone_up &&
	capture "$1" &&
	nfq_zero &&
	farm_in $CONV talk "$ADDR" 7 "$ATTACKER" 40100 &&
	nfq_count >"$1.nfq" &&
	test_wait_for 5 "captured $1.in udp 6 && captured $1.vm udp 6" &&
	capture_stop &&
	$CONV normalize "$1.in" >"$1.in.txt" &&
	$CONV normalize "$1.vm" >"$1.vm.txt"
}

test_expect_success 'with the fast path off, the conversation through the queues' '
	farm_net_up && farm_write_configs && farm_rules_up && farm_resolver_start &&
	cp "$SRC_ROOT/t/helpers/fp-echo" www/ &&
	farm_gateway_start &&
	conversation off &&
	test "$(e2e_stat fastpath_packets)" = 0 &&
	test "$(wc -l <off.in.txt)" = 15 &&
	! grep -q "csum=BAD" off.in.txt off.vm.txt &&
	farm_gateway_stop && test_wait_for 10 e2e_nothing_left
'

test_expect_success 'with it on: the same packets at the clone and at the attacker' '
	farm_gateway_stop && test_wait_for 10 e2e_nothing_left &&
	sed -i "s/^fastpath = false;/fastpath = true;/" gateway.conf &&
	: >gateway.log &&
	farm_gateway_start &&
	grep -q "fast path on" gateway.log &&
	conversation on &&
	test_cmp off.in.txt on.in.txt &&
	test_cmp off.vm.txt on.vm.txt
'

test_expect_success 'and the kernel carried it: the queues saw each flow once each way' '
	test "$(e2e_stat fastpath_packets)" -ge 12 &&
	test "$(cat off.nfq)" -ge 16 &&
	test "$(cat on.nfq)" -le 4 &&
	farm_ctl flows | grep -q "$ATTACKER"
'

test_expect_success 'a clone whose flows run only in the kernel lives while they do' '
	before=$(e2e_stat fastpath_packets) &&
	farm_in $CONV pings "$ADDR" 7 "$ATTACKER" 40200 40 200 &&
	test "$(farm_events reclaim ".potemkin.vm == $vm")" = 0 &&
	test "$(e2e_stat fastpath_packets)" -ge $((before + 70)) &&
	nfq_zero &&
	farm_wait_event 10 reclaim ".potemkin.vm == $vm and .event.reason == \"idle\"" &&
	test "$(nfq_count)" -le 2 &&
	test_wait_for 10 e2e_nothing_left
'

test_expect_success 'a reload that narrows the policy stops a carried flow at once' '
	clone_up &&
	hold_start &&
	test_wait_for 5 "grep -qx \"first: echo\" hold.out" &&
	test "$(e2e_stat fastpath_flows)" -ge 2 &&
	sed "s/^inbound bind$/inbound drop/; s/^outbound pass reply within 10m$/outbound drop/" \
		"$FARM_POLICY" >narrow.policy &&
	cp "$FARM_POLICY" wide.policy && cp narrow.policy "$FARM_POLICY" &&
	farm_ctl reload &&
	capture after &&
	touch go &&
	test_wait_for 5 "grep -q \"^second:\" hold.out" &&
	grep -qx "second: none" hold.out &&
	capture_stop &&
	test "$(tcpdump -n -r after.vm 2>/dev/null | wc -l)" = 0 &&
	test "$(tcpdump -n -r after.in "src host $ADDR" 2>/dev/null | wc -l)" = 0 &&
	test "$(e2e_stat fastpath_flows)" = 0 &&
	cp wide.policy "$FARM_POLICY" && farm_ctl reload &&
	echo_restart
'

# One round of flow 40300 (which may go unanswered); whether the queues saw it.
round_queued() {
	farm_in $CONV pings "$ADDR" 7 "$ATTACKER" 40300 1 0 1 >/dev/null 2>&1
	test "$(nfq_count)" -gt 0
}

test_expect_success 'a stopped worker: once its heartbeat lapses, the queues decide' '
	farm_in $CONV pings "$ADDR" 7 "$ATTACKER" 40300 3 0 &&
	nfq_zero &&
	farm_in $CONV pings "$ADDR" 7 "$ATTACKER" 40300 2 0 &&
	test "$(nfq_count)" = 0 &&
	wpid=$(pgrep -P "$FARM_GATEWAY_PID") && test -n "$wpid" &&
	test_when_finished "kill -CONT $wpid" &&
	kill -STOP "$wpid" &&
	test_wait_for 10 round_queued &&
	kill -CONT "$wpid" &&
	farm_in $CONV pings "$ADDR" 7 "$ATTACKER" 40300 3 0
'

test_expect_success 'kill -9 of the gateway: no program attached, nothing gets out' '
	farm_in $CONV pings "$ADDR" 7 "$ATTACKER" 40400 3 0 &&
	test "$("$TCX" "pk$vm")" = fp_outbound &&
	test "$("$TCX" ext0)" = fp_inbound &&
	kill -KILL "$FARM_GATEWAY_PID" &&
	{ wait "$FARM_GATEWAY_PID" 2>/dev/null; FARM_GATEWAY_PID=; } &&
	test_wait_for 5 "test -z \"\$($TCX ext0)\" && test -z \"\$($TCX pk$vm)\"" &&
	farm_sniff_start &&
	test_must_fail farm_in $CONV pings "$ADDR" 7 "$ATTACKER" 40400 1 0 1 &&
	clone_sends &&
	farm_in ping -c 1 -W 2 "$FARM_GW_EXT" >/dev/null &&
	test_wait_for 5 "test \$(farm_sniffed icmp) -ge 2" &&
	farm_sniff_stop &&
	test "$(farm_sniffed "src net 198.51.100.0/24")" = 0
'

test_expect_success 'the orphaned clone goes' '
	"$BIN/potemkin-teardown" -c "$FARM_DIR/vmm.conf" "$vm" &&
	test_wait_for 10 e2e_nothing_left
'

test_done
