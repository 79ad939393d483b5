#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Reload over the control socket answers: a broken policy is refused with
# its located errors (exit 1), the running policy stays in force and live
# clones are untouched; a good policy answers "reloaded" and takes effect.
# Around it, what the gateway tells systemd: READY=1 once it serves,
# RELOADING=1 then READY=1 around each reload, STATUS with live counts,
# STOPPING=1 at the end (a socat listener plays NOTIFY_SOCKET).
test_description='reload answers, and systemd hears of it'
E2E_REQUIRE="SOCAT JQ"
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

NOTIFY_SOCK=$TRASH/notify.sock
NOTIFY_LOG=$TRASH/notify.log

# A datagram socket that logs what it receives (socat -v: a header per datagram).
notify_listen() {
	socat -u -v UNIX-RECV:"$NOTIFY_SOCK" OPEN:/dev/null 2>"$NOTIFY_LOG" &
	NOTIFY_PID=$!
	test_atexit 'kill $NOTIFY_PID 2>/dev/null'
	test_wait_for 5 "test -S $NOTIFY_SOCK"
}

# The notifications so far, one datagram a line, its fields joined by spaces.
notify_msgs() {
	sed -E 's/> [0-9]{4}\/[0-9]{2}\/[0-9]{2} [0-9:.]+ +length=[0-9]+ from=[0-9]+ to=[0-9]+$/\n@@/' \
		"$NOTIFY_LOG" | tr '\n' ' ' | sed 's/@@ */\n/g' | sed '/^ *$/d'
}

# Their kinds, STATUS refreshes left out.
notify_kinds() {
	notify_msgs | awk '{ print $1 }' | grep -v '^STATUS='
}

notify_count() {
	notify_kinds | grep -c "^$1\$"
}

# Every reload has its RELOADING=1, then as many READY=1 after the first.
notify_reloads_over() {
	test "$(notify_count RELOADING=1)" = "$1" &&
	test "$(notify_count READY=1)" = "$(($1 + 1))" &&
	test "$(notify_kinds | tail -n 1)" = READY=1
}

# N clients ask for a reload at once; each must exit with rc and say the same.
reload_together() {
	local n=$1 rc=$2 i pids=
	for i in $(seq 1 "$n"); do
		farm_ctl reload >"together.$i.out" 2>"together.$i.err" &
		pids="$pids $!"
	done
	i=0
	for p in $pids; do
		i=$((i + 1))
		wait "$p"
		test $? = "$rc" || return 1
		cmp "together.1.err" "together.$i.err" || return 1
	done
}

test_expect_success 'a farm, heard by a notify socket, and a clone' '
	notify_listen &&
	farm_net_up && farm_write_configs && farm_rules_up && farm_resolver_start &&
	NOTIFY_SOCKET=$NOTIFY_SOCK farm_gateway_start &&
	test_wait_for 5 "notify_kinds | grep -q READY=1" &&
	farm_ctl status >status.out &&
	notify_msgs >msgs &&
	head -n 1 msgs | grep "^READY=1 STATUS=clones 0 ready, 0 being made; universes 0; flows 0" &&
	test "$(notify_kinds)" = READY=1 &&
	farm_in curl -sS -m 20 --interface 203.0.113.19 http://198.51.100.70/ | grep potemkin &&
	vm=$(e2e_vm_of 198.51.100.70) && test -n "$vm" &&
	test_wait_for 5 "notify_msgs | grep -q \"^STATUS=clones 1 ready, 0 being made; universes 1;\""
'

test_expect_success 'a broken policy is refused, with its located errors' '
	cp "$FARM_POLICY" good.policy &&
	printf "farm 198.51.100.0/24\ninbound bnid\nidle soon\n" >"$FARM_POLICY" &&
	test_must_fail farm_ctl reload >out 2>err &&
	test ! -s out &&
	grep "^$FARM_POLICY:2:9: " err &&
	grep "^$FARM_POLICY:3:6: " err &&
	tail -n 1 err | grep "^potemkin-ctl: reload failed; the running policy stays" &&
	test_must_fail "$BIN/potemkin-policy" check "$FARM_POLICY" 2>check.err &&
	grep -v "^potemkin-policy: " check.err >expect &&
	sed "\$d" err >actual &&
	test_cmp expect actual &&
	grep "has errors; the running policy stays" gateway.log &&
	farm_ctl --json stats | grep "\"reload_failures\":1" &&
	notify_reloads_over 1
'

test_expect_success 'refused as JSON, and to several clients at once' '
	test_must_fail farm_ctl --json reload >r.json &&
	grep "^{\"ok\":false,\"reload\":\"failed\",\"errors\":\[\"$FARM_POLICY:2:9: " r.json &&
	jq -e ".errors | length == 2" r.json &&
	reload_together 3 1 &&
	grep "^$FARM_POLICY:3:6: " together.3.err &&
	test_wait_for 5 "notify_reloads_over 5"
'

test_expect_success 'a policy that cannot be read is refused too, and says why' '
	mv "$FARM_POLICY" broken.policy &&
	test_must_fail farm_ctl reload 2>err &&
	grep "^$FARM_POLICY: No such file or directory\$" err &&
	mkfifo "$FARM_POLICY" &&
	test_must_fail farm_ctl reload 2>err &&
	grep "^$FARM_POLICY: not a regular file\$" err &&
	rm "$FARM_POLICY" && yes "# filler" | head -c 5000000 >"$FARM_POLICY" &&
	test_must_fail farm_ctl reload 2>err &&
	grep "^$FARM_POLICY:1:1: file too large (1048577 bytes, at most 1048576)\$" err &&
	printf "\324\303\262\241\002\000\004\000" >"$FARM_POLICY" &&
	test_must_fail farm_ctl reload 2>err &&
	grep "^$FARM_POLICY: not a policy: a pcap capture\$" err &&
	test "$(wc -l <err)" = 2 &&
	mv broken.policy "$FARM_POLICY" &&
	test_wait_for 5 "notify_reloads_over 9"
'

test_expect_success 'the old policy is still in force, the clone untouched' '
	test "$(e2e_vm_of 198.51.100.70)" = "$vm" &&
	farm_in curl -sS -m 10 --interface 203.0.113.19 http://198.51.100.70/ | grep potemkin &&
	farm_in curl -sS -m 20 --interface 203.0.113.19 http://198.51.100.71/ | grep potemkin &&
	farm_ctl --json status | grep "\"reloads\":0,\"reload_failures\":9"
'

test_expect_success 'a good policy answers "reloaded" and takes effect, the clone still there' '
	sed -e "s/^idle 3s/idle 1m/" \
	    -e "s/^inbound bind/inbound reject proto tcp to 198.51.100.72\n&/" \
	    good.policy >"$FARM_POLICY" &&
	farm_ctl reload >out 2>err &&
	test "$(cat out)" = reloaded &&
	test ! -s err &&
	farm_ctl --json reload >r.json &&
	test "$(cat r.json)" = "{\"ok\":true,\"reload\":\"ok\"}" &&
	test_wait_for 5 "notify_reloads_over 11" &&
	test "$(e2e_vm_of 198.51.100.70)" = "$vm" &&
	farm_in curl -sS -m 10 --interface 203.0.113.19 http://198.51.100.70/ | grep potemkin &&
	test_must_fail farm_in curl -sS -m 10 --interface 203.0.113.19 http://198.51.100.72/ 2>curl.err &&
	grep "Couldn.t connect to server" curl.err &&
	test -z "$(e2e_vm_of 198.51.100.72)"
'

test_expect_success 'a client that leaves without its answer harms nothing' '
	printf "reload\n" | socat -u - UNIX-CONNECT:"$FARM_CTL_SOCKET" &&
	test_wait_for 10 "farm_ctl --json status | grep -q \"\\\"reloads\\\":3,\"" &&
	test_wait_for 5 "notify_reloads_over 12"
'

test_expect_success 'SIGHUP still reloads' '
	kill -HUP "$FARM_GATEWAY_PID" &&
	test_wait_for 10 "farm_ctl --json status | grep -q \"\\\"reloads\\\":4,\"" &&
	test_wait_for 5 "notify_reloads_over 13"
'

test_expect_success 'stopping the gateway says STOPPING=1 and leaves nothing behind' '
	farm_gateway_stop && test_wait_for 5 e2e_nothing_left &&
	test_wait_for 5 "test \"\$(notify_kinds | tail -n 1)\" = STOPPING=1" &&
	test "$(notify_count STOPPING=1)" = 1
'

test_done
