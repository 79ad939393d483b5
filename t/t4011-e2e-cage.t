#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# A captured clone, end to end: the attacker, from the Internet namespace,
# logs in through the telnet service of a farm address (late-bound to a
# netns clone), and tries to get out of its cage: every system call that
# would reach past it is refused, a raw SYN to the outside dies at the
# gateway, and a fork bomb and a memory bomb in the clone leave the gateway
# and the other clones answering.  The sniffer in the Internet namespace
# sees nothing but the replies to the attacker.
test_description='a captured clone owns nothing, and nothing gets out'
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

ATTACKER=203.0.113.15
# In the shell of the clone at farm address $1, as the attacker.
in_clone() {
	printf '\n%s\nexit\n' "$2" |
		farm_in socat -T 20 STDIO,ignoreeof \
			"TCP:$1:23,bind=$ATTACKER,connect-timeout=5" |
		perl -pe 's/\xff\xfa.*?\xff\xf0//g; s/\xff[\xfb-\xfe].//g; s/\r//g'
}
answers() {
	farm_in curl -sS -m 20 --interface "$ATTACKER" "http://$1/" | grep -q potemkin
}

test_expect_success 'a farm, its gateway and a sniffer come up' '
	e2e_up && farm_sniff_start &&
	cp "$SRC_ROOT/t/helpers/cage-probe" www/ &&
	answers 198.51.100.70 &&
	vm=$(e2e_vm_of 198.51.100.70) && test -n "$vm"
'

test_expect_success 'the attacker is root in the clone' '
	in_clone 198.51.100.70 "id" >out &&
	grep -q "^uid=0(root)" out
'

test_expect_success 'its ways out of the cage are refused' '
	in_clone 198.51.100.70 "/srv/www/cage-probe $FARM_GATEWAY_PID 203.0.113.99 6667; nsenter -t 1 -n true; echo nsenter=\$?" >probe &&
	grep -qx "raw socket in its own network: ok" probe &&
	for call in "setns into its own network namespace" \
	    "unshare network namespace" "unshare user namespace" \
	    "mount tmpfs" "init_module" "bpf" "keyctl"; do
		grep -qx "$call: denied (EPERM)" probe || return 1
	done &&
	grep -qx "nsenter=1" probe &&
	grep -qx "signal a host process: denied (ESRCH)" probe &&
	! grep ALLOWED probe
'

test_expect_success 'a fork bomb and a memory bomb in it; the farm answers' '
	in_clone 198.51.100.70 "setsid sh -c \"b() { b | b & }; b\" </dev/null >/dev/null 2>&1 & setsid sh -c \"head -c 200m /dev/zero | tail\" </dev/null >/dev/null 2>&1 & echo bombed" |
		grep -qx bombed &&
	test_wait_for 20 "e2e_cgroup_file $vm pids.events | grep -q \"^max [1-9]\"" &&
	answers 198.51.100.71 &&
	farm_ctl status >/dev/null &&
	in_clone 198.51.100.71 "echo alive" | grep -qx alive
'

test_expect_success 'the sniffer saw replies to the attacker and nothing else' '
	farm_sniff_stop &&
	test "$(farm_sniffed "src net 198.51.100.0/24 and dst host $ATTACKER")" -gt 0 &&
	test "$(farm_sniffed "dst host 203.0.113.99")" = 0 &&
	farm_escaped >escaped &&
	test_must_fail test -s escaped
'

test_expect_success 'stopping the gateway leaves nothing behind' '
	farm_gateway_stop &&
	test_wait_for 10 e2e_nothing_left
'

test_done
