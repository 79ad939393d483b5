#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# A farm over three VMM hosts, end to end.  Each host is a network
# namespace on a datacenter bridge with its own sshd (t/lib/hosts.sh); the
# gateway's clone command is potemkin-place, which makes every clone on a
# host over ssh and ties it to the gateway by a VXLAN link of its own.
# Thirty attackers are spread over the hosts by capacity, a worm's
# reflected clones land where there is room, one host dies mid-run and the
# gateway notices, reclaims and places elsewhere; a remote clone reaches
# nothing outside, and the sniffer in the Internet namespace sees nothing
# escape from start to end.
test_description='a farm over several VMM hosts'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"
. "$TEST_DIRECTORY/lib/hosts.sh"

# The gateway checks its hosts every second, each check waits 2 s at most:
# a host that dies is down within 3 s, 8 s leaves room for a slow machine.
DOWN_WITHIN=8
# Clones stay until the gateway stops or their host dies.
FARM_IDLE=10m

place_conf() {
	cat >"$FARM_DIR/hosts.conf" <<-CONF
	tunnel = "10.99.0.1";
	check_timeout = "2s";
	hold_down = "2s";
	hosts = (
	$(for h in a b c; do
		echo "{ name = \"$h\"; run = $(hosts_run_prefix $h);"
		echo "  tools = \"$BIN\"; vmm = \"$FARM_DIR/host-$h/vmm.conf\";"
		echo "  tunnel = \"$(hosts_addr $h)\"; capacity = { web = 15; }; },"
	done | sed '$ s/,$//')
	);
	CONF
	place="\"$BIN/potemkin-place\", \"-c\", \"$FARM_DIR/vmm.conf\", \"-H\", \"$FARM_DIR/hosts.conf\""
	sed -i "s|^  command = .*|  command = [ $place ];\n  hosts = [ $place, \"check\" ];\n  hosts_interval = \"1s\";|" \
		"$FARM_DIR/gateway.conf"
}

# The gateway's ends of the clones' tunnels.
gw_links() { ip -o link show | grep -c " pk[0-9]"; }

# Attacker 203.0.113.$1 asks for farm address 198.51.100.$2 over HTTP.
attack() {
	farm_in curl -sS -m 20 --interface "203.0.113.$1" "http://198.51.100.$2/" >"out.$1"
	grep -q "potemkin honeypot" "out.$1"
}

# Attackers $1..$2 at once, each to farm address 198.51.100.(i + $3).
attack_all() {
	local i pids=
	for i in $(seq "$1" "$2"); do
		attack "$i" $((i + $3)) &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086 # one pid a word
	wait $pids
	return 0
}

# A listener on host $1's own address, port 2222, for a clone to try.
listen_on_host() {
	hosts_ssh "$1" "socat TCP-LISTEN:2222,bind=$(hosts_addr "$1"),fork,reuseaddr - >/dev/null" &
	test_wait_for 5 "hosts_ssh $1 ss -ltn | grep -q :2222"
}

stop_listener() {
	hosts_ssh "$1" pkill -f "TCP-LISTE[N]:2222"
	return 0
}

# Clones bound per host, from the gateway: "a 10" lines.
per_host() {
	farm_ctl --json vms | jq -r '.vms[] | select(.state == "ready") | .host' |
		sort | uniq -c | awk '{print $2, $1}'
}

test_expect_success 'setup: a gateway, three VMM hosts over ssh, a sniffer' '
	farm_net_up && farm_write_configs &&
	for i in $(seq 30 39); do
		farm_in ip addr add "203.0.113.$i/32" dev eth0 || return 1
	done &&
	hosts_up a b c &&
	place_conf &&
	for h in a b c; do
		potemkin-place -H "$FARM_DIR/hosts.conf" rules $h >rules.$h &&
		hosts_ssh $h iptables-restore -n <rules.$h || return 1
	done &&
	potemkin-place -H "$FARM_DIR/hosts.conf" rules | iptables-restore -n &&
	farm_rules_up && farm_resolver_start && farm_sniff_start &&
	farm_gateway_start &&
	farm_wait_event 10 host ".potemkin.host == \"c\" and .potemkin.state == \"up\""
'

test_expect_success 'thirty attackers, each answered by a clone of its own' '
	attack_all 10 39 90 &&
	for i in $(seq 10 39); do
		grep -q "potemkin honeypot" out.$i || return 1
	done &&
	test "$(farm_events bind "(.potemkin.host | test(\"^[abc]$\"))")" = 30
'

test_expect_success 'spread over the hosts by capacity: ten each' '
	per_host >spread &&
	printf "a 10\nb 10\nc 10\n" >expect &&
	test_cmp expect spread &&
	farm_ctl hosts >hosts &&
	grep -q "^a  *up  *10  *web:15" hosts &&
	farm_ctl --json hosts | jq -e "[.hosts[] | select(.state == \"up\")] | length == 3"
'

test_expect_success 'each clone runs on its host, tied here by its own tunnel' '
	for h in a b c; do
		hosts_ssh $h "$BIN/potemkin-ls" -c "$FARM_DIR/host-$h/vmm.conf" >ls.$h &&
		test "$(grep -c " running " ls.$h)" = 10 || return 1
	done &&
	test "$(ip -d -o link show type vxlan | grep -c " pk[0-9]*:.* vxlan id ")" = 30 &&
	test "$(ip -d -o link show type vxlan | grep -o "vxlan id [0-9]*" | sort -u | wc -l)" = 30
'

# The clone of farm address $1: its host, and its id there.
remote_of() {
	local vm
	vm=$(e2e_vm_of "$1") &&
	sed -n "s/^host=\([a-z]*\) id=\([0-9]*\)$/\1 \2/p" "$FARM_DIR/state/vms/$vm/remote"
}

# In clone $2 of host $1: a shell command ($3), as its services would run it.
in_clone() {
	hosts_ssh "$1" nsenter --net="$FARM_DIR/host-$1/netns/pk$2" sh -c "'$3'"
}

test_expect_success 'a remote clone reaches nothing: not the Internet, the datacenter, its host' '
	set -- $(remote_of 198.51.100.100) &&
	h=$1 rid=$2 &&
	test -n "$rid" &&
	other=$(for o in a b c; do test $o = $h || echo $o; done | head -n 1) &&
	listen_on_host $h &&
	test_must_fail in_clone $h $rid "busybox nc -w 2 203.0.113.50 80 </dev/null" &&
	test_must_fail in_clone $h $rid "busybox nc -w 2 $(hosts_addr $h) 2222 </dev/null" &&
	test_must_fail in_clone $h $rid "ping -c 1 -W 1 $(hosts_addr $other)" &&
	test_must_fail in_clone $h $rid "ping -c 1 -W 1 10.99.0.1" &&
	test_must_fail in_clone $h $rid "ping -c 1 -W 1 169.254.0.1" &&
	stop_listener $h &&
	farm_wait_event 10 contain ".potemkin.addr == \"198.51.100.100\"" &&
	hosts_ssh $h iptables -L POTEMKIN-INPUT -v -n -x | awk "/pk\\+/ {print \$1}" >hits &&
	test "$(cat hits)" = 0
'

test_expect_success 'a worm: its reflected clones land where there is room, in its universe' '
	farm_in curl -sS -m 20 --interface 203.0.113.14 \
		http://198.51.100.104/cgi-bin/spread >out &&
	grep spreading out &&
	for i in 1 2 3 4 5 6; do
		farm_wait_event 20 bind ".potemkin.addr == \"203.0.113.10$i\" and (.potemkin.host | test(\"^[abc]$\"))" ||
			return 1
	done &&
	u=$(farm_select_events bind ".potemkin.addr == \"198.51.100.104\"" |
		jq .potemkin.universe) &&
	test "$(farm_events bind "(.potemkin.addr | test(\"^203[.]0[.]113[.]10[1-6]$\")) and
		.potemkin.universe == $u")" = 6 &&
	per_host >spread &&
	printf "a 12\nb 12\nc 12\n" >expect &&
	test_cmp expect spread
'

test_expect_success 'host b dies: down within the stated time, its clones reclaimed' '
	per_host | sed -n "s/^b //p" >on_b &&
	start=$(date +%s%N) &&
	hosts_kill b &&
	farm_wait_event $DOWN_WITHIN host ".potemkin.host == \"b\" and .potemkin.state == \"down\"" &&
	echo "host b down after $((($(date +%s%N) - start) / 1000000)) ms" &&
	test "$(farm_events host ".potemkin.host == \"b\" and .potemkin.state == \"down\" and
		.potemkin.count == $(cat on_b)")" = 1 &&
	test "$(farm_events reclaim ".potemkin.host == \"b\" and .event.reason == \"host-down\"")" = \
		"$(cat on_b)" &&
	per_host >spread &&
	printf "a 12\nc 12\n" >expect &&
	test_cmp expect spread &&
	farm_ctl hosts | grep -q "^b  *down  *0 " &&
	test_wait_for 10 "test \$(gw_links) = 24"
'

test_expect_success 'new attackers go to the hosts that live' '
	for i in 30 31 32 33 34 35; do
		attack $i $((i + 120)) || return 1
	done &&
	per_host >spread &&
	printf "a 15\nc 15\n" >expect &&
	test_cmp expect spread &&
	test_expect_code 28 farm_in curl -sS -m 3 --interface 203.0.113.36 \
		http://198.51.100.156/ 2>err
'

# Host $1 reported up for the $2-th time.
up_events() {
	test "$(farm_events host ".potemkin.host == \"$1\" and .potemkin.state == \"up\"")" = "$2"
}

test_expect_success 'host b back: held down, swept of what it ran, placed on again' '
	hosts_up b &&
	potemkin-place -H "$FARM_DIR/hosts.conf" rules b | hosts_ssh b iptables-restore -n &&
	test_wait_for 20 "up_events b 2" &&
	hosts_nothing_left b &&
	attack 37 157 &&
	per_host >spread &&
	printf "a 15\nb 1\nc 15\n" >expect &&
	test_cmp expect spread
'

test_expect_success 'the sniffer saw replies to attackers and nothing else' '
	farm_sniff_stop &&
	test "$(farm_sniffed "src net 198.51.100.0/24 and dst net 203.0.113.0/26")" -gt 0 &&
	# Replies may go to any attacker of this test: 203.0.113.10-39.
	farm_escaped 203.0.113.0/26 >escaped &&
	test_must_fail test -s escaped &&
	test "$(farm_sniffed "dst net 203.0.113.96/28 or dst host 203.0.113.50")" = 0
'

test_expect_success 'stopping the gateway leaves nothing on either side' '
	farm_gateway_stop &&
	test_wait_for 10 e2e_nothing_left &&
	test_wait_for 10 "hosts_nothing_left a" &&
	test_wait_for 10 "hosts_nothing_left b" &&
	test_wait_for 10 "hosts_nothing_left c" &&
	test -z "$(find "$FARM_DIR/state/hosts" -mindepth 3 -type f -name "[0-9]*")"
'

test_done
