#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Containment end to end.  A honeypot service, when poked, looks up a name
# and connects out to six outside addresses on TCP 445, like a worm.  The
# connections are reflected into new clones of the same universe, the DNS
# question is answered through the gateway's proxy, and the sniffer in the
# Internet namespace sees nothing but replies to the attacker and the
# gateway's own DNS question.
test_description='reflection, DNS proxy and zero escape'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

test_expect_success 'a farm, its gateway and a sniffer come up' '
	e2e_up && farm_sniff_start
'

test_expect_success 'the attacker pokes the vulnerable service' '
	farm_in curl -sS -m 20 --interface 203.0.113.14 \
		http://198.51.100.30/cgi-bin/spread >out &&
	grep spreading out &&
	vm=$(e2e_vm_of 198.51.100.30) && test -n "$vm"
'

test_expect_success 'its SMB connections are reflected into new clones' '
	for i in 1 2 3 4 5 6; do
		farm_wait_event 20 reflect ".potemkin.addr == \"203.0.113.10$i\"" || return 1
	done &&
	test "$(farm_events reflect)" = 6
'

test_expect_success 'in the universe of the conversation that started it' '
	u=$(farm_select_events bind ".potemkin.addr == \"198.51.100.30\"" |
		jq .potemkin.universe) &&
	test "$(farm_events reflect ".potemkin.universe == $u")" = 6
'

test_expect_success 'the reflected clones are up and the sender is marked infected' '
	farm_wait_event 20 bind ".potemkin.addr == \"203.0.113.106\"" &&
	farm_wait_event 5 infected ".potemkin.vm == $vm"
'

test_expect_success 'a DNS lookup from the clone is answered through the proxy' '
	ip netns exec "pk$vm" busybox nslookup -type=a evil.example 192.0.2.1 >dns 2>&1 &&
	grep "192.0.2.66" dns &&
	farm_wait_event 5 dns ".dns.question.name == \"evil.example\""
'

test_expect_success 'the sniffer saw replies and the proxied question, nothing else' '
	farm_sniff_stop &&
	test "$(farm_sniffed "src net 198.51.100.0/24 and dst host 203.0.113.14")" -gt 0 &&
	test "$(farm_sniffed "src host 192.0.2.1 and dst host 192.0.2.53 and udp port 53")" -gt 0 &&
	farm_escaped >escaped &&
	test_must_fail test -s escaped &&
	test "$(farm_sniffed "dst net 203.0.113.96/28")" = 0
'

test_expect_success 'drops were summarized' '
	test "$(e2e_stat reflected)" -ge 6
'

# The control: the same worm under a policy that lets SMB out is seen by the
# sniffer, so the zero above is a real zero.
test_expect_success 'control: a policy passing SMB lets the sniffer see it' '
	sed -i "s/^outbound reflect proto tcp to any port { 23 445 } infected/outbound pass proto tcp to any port 445/" "$FARM_POLICY" &&
	kill -HUP "$FARM_GATEWAY_PID" &&
	farm_wait_event 10 reload &&
	farm_sniff_start &&
	farm_in curl -sS -m 20 --interface 203.0.113.15 http://198.51.100.31/cgi-bin/spread &&
	test_wait_for 10 "tcpdump -n -r $FARM_DIR/sniff.pcap \"dst net 203.0.113.96/28 and tcp port 445\" 2>/dev/null | grep -q ." &&
	farm_sniff_stop &&
	farm_escaped | grep "445"
'

test_expect_success 'stopping the gateway leaves nothing behind' '
	farm_gateway_stop && test_wait_for 10 e2e_nothing_left
'

test_done
