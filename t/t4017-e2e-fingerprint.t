#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Fingerprint parity: nmap -O -sV against a qemu clone through the gateway,
# and against a clone of the same snapshot reached directly on its TAP (in a
# namespace of its own, with no gateway), report the same operating system
# and the same services; the SYN-ACK the attacker sees carries the guest's
# own window and TCP options, and its TTL is the guest's less the one hop
# the gateway host routes (as any router would).
test_description='nmap sees the same host through the gateway as on its TAP'
E2E_REQUIRE="QEMU TUN NMAP"
E2E_GUEST=1
# The clone bound first must still be the one nmap meets, minutes later.
FARM_IDLE=10m
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

DIRECT=fpdirect
test_atexit 'ip netns del $DIRECT 2>/dev/null'
test_atexit '[ -s direct.rec ] && "$BIN/potemkin-teardown" -c "$FARM_DIR/vmm.conf" "$(sed -n "s/^id=\([0-9]*\) .*/\1/p" direct.rec)" 2>/dev/null'

PORTS=22,23,80,443
# ip netns exec would mount a sysfs of its own, hiding the cgroups clones need.
in_direct() { nsenter --net=/run/netns/$DIRECT "$@"; }

# syn_ack OUT RUN IFACE FILTER URL [CURL-ARGS]: the first SYN-ACK matching
# FILTER on IFACE, seen from where RUN runs commands, while RUN fetches URL.
syn_ack() {
	local out=$1 run=$2 ifc=$3 filter=$4 url=$5 dump i
	shift 5
	$run tcpdump -n -v -c 1 -i "$ifc" "tcp[tcpflags] == (tcp-syn|tcp-ack) and $filter" \
		>"$out" 2>/dev/null &
	dump=$!
	for i in $(seq 1 50); do
		$run curl -sS -m 5 -o /dev/null "$@" "$url" >/dev/null 2>&1
		kill -0 "$dump" 2>/dev/null || { wait "$dump"; return; }
		sleep 0.2
	done
	kill "$dump"
	return 1
}

# nmap_summary XML: the open/closed state, service and product of each port,
# and the operating system classes of the best match, one per line.
nmap_summary() {
	sed -n 's/.*<port protocol="\([a-z]*\)" portid="\([0-9]*\)"><state state="\([a-z]*\)".*/\1 \2 \3/p' "$1" >"$1.ports"
	grep -o '<service name="[^"]*"\( product="[^"]*"\)\?' "$1" | sed 's/<service //' >"$1.services"
	sed -n '/<osmatch /,/<\/osmatch>/p' "$1" | sed -n '1,/<\/osmatch>/p' |
		grep -o 'vendor="[^"]*" osfamily="[^"]*" osgen="[^"]*"' | sort -u >"$1.os"
	cat "$1.ports" "$1.services" "$1.os"
}

test_expect_success 'a farm with a qemu host type' '
	e2e_up qemu &&
	ls state/snapshots/web/
'

test_expect_success 'a clone bound through the gateway answers' '
	farm_in curl -sS -m 60 --interface 203.0.113.24 http://198.51.100.40/ | grep "It works!"
'

test_expect_success 'a clone of the same snapshot on its own TAP, in a namespace with no gateway' '
	ip netns add $DIRECT &&
	ip -n $DIRECT link set lo up &&
	in_direct "$BIN/potemkin-clone" -c "$FARM_DIR/vmm.conf" -t web >direct.rec &&
	id=$(sed -n "s/^id=\([0-9]*\) .*/\1/p" direct.rec) && test -n "$id" &&
	ip -n $DIRECT route add 10.0.2.15/32 dev pk$id &&
	in_direct curl -sS -m 30 http://10.0.2.15/ | grep "It works!"
'

test_expect_success 'nmap -O -sV through the gateway and directly' '
	vm=$(e2e_vm_of 198.51.100.40) && test -n "$vm" &&
	farm_in nmap -n -Pn -O -sV -p $PORTS -e eth0 -S 203.0.113.24 -oX gw.xml 198.51.100.40 >gw.out &&
	in_direct nmap -n -Pn -O -sV -p $PORTS -e pk$id -oX direct.xml 10.0.2.15 >direct.out &&
	nmap_summary gw.xml >gw.sum &&
	nmap_summary direct.xml >direct.sum &&
	cat gw.sum &&
	grep -q "^tcp 80 open$" gw.sum &&
	grep -q "^tcp 22 closed$" gw.sum &&
	test "$(e2e_vm_of 198.51.100.40)" = "$vm" &&
	test "$(farm_ctl --json stats | grep -o "\"rejected\":[0-9]*")" = "\"rejected\":0" &&
	test -s gw.xml.os &&
	test_cmp direct.sum gw.sum
'

test_expect_success 'the SYN-ACK: same window and options, TTL one hop less' '
	syn_ack gw.syn farm_in eth0 "src host 198.51.100.40" http://198.51.100.40/ \
		--interface 203.0.113.24 &&
	syn_ack direct.syn in_direct pk$id "src host 10.0.2.15" http://10.0.2.15/ &&
	ttl() { sed -n "s/.*(tos [^,]*, ttl \([0-9]*\),.*/\1/p" "$1" | head -n 1; } &&
	opts() { sed -n "s/.*win \([0-9]*\), options \[\(.*\)\], length.*/\1 \2/p" "$1" |
		sed "s/TS val [0-9]* ecr [0-9]*/TS/"; } &&
	cat gw.syn direct.syn &&
	test "$(ttl gw.syn)" = "$(($(ttl direct.syn) - 1))" &&
	test -n "$(opts gw.syn)" &&
	test "$(opts gw.syn)" = "$(opts direct.syn)"
'

test_expect_success 'the direct clone goes, and the gateway leaves nothing behind' '
	"$BIN/potemkin-teardown" -c "$FARM_DIR/vmm.conf" "$id" &&
	: >direct.rec &&
	farm_gateway_stop && test_wait_for 10 e2e_nothing_left
'

test_done
