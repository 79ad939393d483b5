#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Detectors and live views: infected by farm address (--peer, --universe,
# the ambiguous and the unbound), potemkin-eve following eve.json alerts
# from a FIFO and from a rotated file, potemkin-ctl top in a real terminal
# and as one frame, and stats --prometheus read by Prometheus's own parser.
test_description='infected ADDR, potemkin-eve, top, stats --prometheus'
E2E_REQUIRE="JQ TMUX PROMPARSE"
FARM_IDLE=5m
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

# The clone of farm address $1 in the universe of outside source $2.
vm_in_universe_of() {
	local u
	u=$(farm_ctl --json universes |
		jq -r ".universes[] | select(.src == \"$2\") | .universe") &&
	farm_ctl --json vms |
		jq -r ".vms[] | select(.addr == \"$1\" and .universe == $u) | .vm"
}

universe_of() {
	farm_ctl --json universes | jq -r ".universes[] | select(.src == \"$1\") | .universe"
}

# An eve.json alert line: SRC DST SID SIGNATURE
eve_alert() {
	jq -n -c --arg s "$1" --arg d "$2" --argjson sid "$3" --arg sig "$4" \
		'{timestamp: "2026-12-07T23:59:00.000000+0000", flow_id: 1,
		  event_type: "alert", src_ip: $s, src_port: 40000, dest_ip: $d,
		  dest_port: 80, proto: "TCP",
		  alert: {action: "allowed", gid: 1, signature_id: $sid, rev: 1,
		          signature: $sig, category: "Attempted Administrator Privilege Gain",
		          severity: 1}}'
}

eve_start() {
	potemkin-eve "$@" >>eve.out 2>>eve.err &
	EVE_PID=$!
	test_atexit "kill $EVE_PID 2>/dev/null"
}

# Stop the follower and wait: nothing of it may be left.
eve_stop() {
	kill "$EVE_PID" && wait "$EVE_PID"
	test_wait_for 5 "! pgrep -f \"jq -R -r --unbuffered --argjson farm\" >/dev/null"
}

test_expect_success 'a farm: one address bound in two universes, others once' '
	e2e_up &&
	for a in 12 13; do
		farm_in curl -sS -m 20 --interface 203.0.113.$a http://198.51.100.20/ |
			grep potemkin || return 1
	done &&
	for a in 14:30 15:31 16:32; do
		farm_in curl -sS -m 20 --interface 203.0.113.${a%:*} \
			http://198.51.100.${a#*:}/ | grep potemkin || return 1
	done &&
	vm12=$(vm_in_universe_of 198.51.100.20 203.0.113.12) && test -n "$vm12" &&
	vm13=$(vm_in_universe_of 198.51.100.20 203.0.113.13) && test -n "$vm13" &&
	test "$vm12" != "$vm13"
'

test_expect_success 'infected ADDR bound twice is refused, naming both clones' '
	test_expect_code 1 farm_ctl infected 198.51.100.20 2>err &&
	grep "198.51.100.20 is bound in 2 universes; say which with --universe or --peer" err &&
	grep "clone $vm12 in universe" err && grep "clone $vm13 in universe" err &&
	test_expect_code 1 farm_ctl --json infected 198.51.100.20 >reply &&
	jq -e ".ok == false and (.candidates | length) == 2" reply &&
	test "$(farm_events infected)" = 0
'

test_expect_success 'infected ADDR not bound, or not where it is said to be: exit 1' '
	test_expect_code 1 farm_ctl infected 198.51.100.99 2>err &&
	grep "198.51.100.99 is not bound to a clone" err &&
	test_expect_code 1 farm_ctl infected 198.51.100.20 --universe 99999 2>err &&
	grep "not bound in universe 99999" err &&
	test_expect_code 1 farm_ctl infected 198.51.100.20 --peer nonsense 2>err &&
	grep "nonsense: not an IPv4 address" err &&
	test_expect_code 1 farm_ctl infected 7 --peer 203.0.113.12 2>err &&
	grep "go with an address" err &&
	test_expect_code 1 farm_ctl infected 198.51.100.20 --peer 203.0.113.13 $(seq 1 70) 2>err &&
	grep "more than 64 words" err
'

test_expect_success 'infected ADDR --peer P marks the clone of P'"'"'s universe' '
	farm_ctl infected 198.51.100.20 --peer 203.0.113.13 seen by a sensor >out &&
	grep "clone $vm13 (universe $(universe_of 203.0.113.13)) marked infected" out &&
	farm_wait_event 5 infected ".potemkin.vm == $vm13 and (.event.reason | startswith(\"seen by a sensor\"))" &&
	test "$(farm_events infected)" = 1
'

test_expect_success 'infected --universe U ADDR: the options before the address too' '
	u=$(universe_of 203.0.113.12) &&
	farm_ctl infected --universe "$u" 198.51.100.20 >out &&
	grep "clone $vm12 (universe $u) marked infected" out &&
	farm_wait_event 5 infected ".potemkin.vm == $vm12 and (.event.reason | startswith(\"operator\"))" &&
	farm_ctl --json vms | jq -e "[.vms[] | select(.infected)] | length == 2"
'

test_expect_success 'potemkin-eve: --help, and bad prefixes refused' '
	potemkin-eve --help | grep "usage: potemkin-eve" &&
	test_expect_code 2 potemkin-eve -p 198.51.100.0/33 x 2>err &&
	grep "198.51.100.0/33: not a prefix" err
'

test_expect_success 'potemkin-eve --dry-run prints the commands, runs none' '
	{ eve_alert 203.0.113.12 198.51.100.20 2001 "ET TEST one" &&
	  eve_alert 198.51.100.32 192.0.2.200 2002 "ET TEST two" &&
	  echo "{\"event_type\":\"alert\",\"src_ip\":\"203.0.113.13\\n\",\"dest_ip\":\"198.51.100.21\",\"alert\":{\"signature_id\":2003,\"signature\":\"a line break after the peer\"}}"; } |
		potemkin-eve -n -p 198.51.100.0/24 -s "$FARM_CTL_SOCKET" - >dry &&
	grep -F "infected 198.51.100.20 --peer 203.0.113.12 suricata:2001\ ET\ TEST\ one" dry &&
	grep -F "infected 198.51.100.32 --peer 192.0.2.200 suricata:2002\ ET\ TEST\ two" dry &&
	grep -F "infected 198.51.100.21 --peer 203.0.113.13 suricata:2003\ a\ line\ break" dry &&
	test $(wc -l <dry) = 3 &&
	test "$(farm_events infected)" = 2
'

test_expect_success 'potemkin-eve on a FIFO: alerts for the farm mark their clone' '
	mkfifo eve.fifo &&
	eve_start -c "$FARM_DIR/gateway.conf" eve.fifo &&
	vm30=$(e2e_vm_of 198.51.100.30) && test -n "$vm30" &&
	{
		echo "{\"event_type\":\"flow\",\"src_ip\":\"203.0.113.14\",\"dest_ip\":\"198.51.100.30\"}" &&
		eve_alert 203.0.113.14 192.0.2.77 2100 "outside the farm" &&
		echo "{\"event_type\":\"alert\",\"src_ip\":" &&
		eve_alert 203.0.113.14 198.51.100.30 2101 "ET EXPLOIT \$(touch pwned) \`touch pwned\`; touch pwned"
	} >eve.fifo &&
	farm_wait_event 10 infected ".potemkin.vm == $vm30 and (.event.reason | startswith(\"suricata:2101 ET EXPLOIT \$(touch pwned)\"))" &&
	test_must_fail test -e pwned &&
	test "$(farm_events infected)" = 3 &&
	grep "line 3: not a JSON object; skipped" eve.err &&
	test "$(wc -l <eve.err)" = 1
'

test_expect_success 'potemkin-eve survives the malformed line and a refusal, and stops clean' '
	eve_alert 203.0.113.99 198.51.100.99 2102 "unbound address" >eve.fifo &&
	eve_alert 198.51.100.31 203.0.113.15 2103 "the clone calls out" >eve.fifo &&
	vm31=$(e2e_vm_of 198.51.100.31) &&
	farm_wait_event 10 infected ".potemkin.vm == $vm31 and (.event.reason | startswith(\"suricata:2103 the clone calls out\"))" &&
	grep "198.51.100.99 (sid 2102): 198.51.100.99 is not bound to a clone" eve.err &&
	eve_stop
'

test_expect_success 'potemkin-eve follows a file across its rotation' '
	: >eve.json &&
	eve_start -b -p 198.51.100.0/24 -s "$FARM_CTL_SOCKET" eve.json &&
	eve_alert 203.0.113.12 198.51.100.77 2200 "not bound" >>eve.json &&
	test_wait_for 10 "grep -q \"sid 2200\" eve.err" &&
	mv eve.json eve.json.1 &&
	vm32=$(e2e_vm_of 198.51.100.32) &&
	eve_alert 198.51.100.32 198.51.100.200 2201 "after rotation" >eve.json &&
	farm_wait_event 10 infected ".potemkin.vm == $vm32 and (.event.reason | startswith(\"suricata:2201 after rotation\"))" &&
	eve_stop
'

test_expect_success 'stats and top refuse what they do not take' '
	test_expect_code 1 farm_ctl stats --prom 2>err &&
	grep "stats takes no argument (--prometheus is the only option)" err &&
	test_expect_code 2 farm_ctl top -n 0 2>err &&
	grep "^potemkin-ctl: top: -n wants seconds, 0.1 to 3600$" err
'

test_expect_success 'stats --prometheus: the real parser reads what stats --json says' '
	farm_ctl stats --prometheus >prom &&
	farm_ctl --json stats >stats.json &&
	grep -q "^# TYPE potemkin_in_packets_total counter$" prom &&
	/usr/bin/python3 - prom stats.json <<-\EOF
	import json, sys
	from prometheus_client.parser import text_string_to_metric_families
	fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
	stats = json.load(open(sys.argv[2]))
	def val(fam, **labels):
	    for s in fams[fam].samples:
	        if s.labels == labels and not s.name.endswith("_created"):
	            return s.value
	    raise SystemExit("no sample %s %s" % (fam, labels))
	checks = [
	    ("potemkin_infected", {}, "infected", "counter"),
	    ("potemkin_clones_ready", {}, "clones_ready", "counter"),
	    ("potemkin_reclaimed", {"reason": "operator"}, "reclaimed_operator", "counter"),
	    ("potemkin_queue_dropped", {"queue": "in", "reason": "full"},
	     "queue_in_full_dropped", "counter"),
	    ("potemkin_universes_max", {}, "universes_max", "gauge"),
	    ("potemkin_universes", {}, "universes", "gauge"),
	]
	for fam, labels, key, typ in checks:
	    assert fams[fam].type == typ, (fam, fams[fam].type)
	    assert val(fam, **labels) == stats[key], (fam, val(fam, **labels), stats[key])
	assert all(n.startswith("potemkin_") for n in fams), list(fams)
	assert stats["infected"] == 5, stats["infected"]
	print("prometheus: %d families" % len(fams))
	EOF
'

test_expect_success 'top without a terminal: one frame, rates and all, no escapes' '
	farm_ctl top -n 0.2 >frame &&
	grep "^clones 5 ready" frame &&
	grep "^packets/s in [0-9.]*" frame &&
	grep -E "^$vm12 +198\.51\.100\.20 " frame &&
	grep -E "^ +[0-9]+ per-source +203\.0\.113\.1[2-6] " frame &&
	test_must_fail grep -q "$(printf "\033")" frame
'

TM="tmux -S $TRASH/tmux.sock"

# top in a real terminal, waited for until a frame with rates (the second)
# has replaced the first in place; $1 how it is asked to end: q, C-c or TERM.  The
# shell around it ignores INT, as a shell waiting for a job would not, to
# read the terminal's settings after.
top_in_tmux() {
	rm -f before after
	$TM new-session -d -s top -x 120 -y 40 \
		"trap \"\" INT; stty -g >before; $BIN/potemkin-ctl -s $FARM_CTL_SOCKET top -n 0.2; stty -g >after" &&
	test_wait_for 10 "$TM capture-pane -p -t top | grep -q \"^packets/s in [0-9]\"" &&
	$TM capture-pane -p -t top >screen &&
	test "$(grep -c "^potemkin-ctl top" screen)" = 1 &&
	case $1 in
	TERM) pkill -TERM -f "^$BIN/potemkin-ctl -s $FARM_CTL_SOCKET top" ;;
	*) $TM send-keys -t top "$1" ;;
	esac &&
	test_wait_for 10 "test -s after" &&
	test_cmp before after
}

test_expect_success 'top in a terminal: a frame in place; q, Ctrl-C and SIGTERM give the terminal back' '
	test_atexit "$TM kill-server 2>/dev/null" &&
	top_in_tmux q &&
	grep "^potemkin-ctl top   every 0.2s, q quits" screen &&
	grep -E "^$vm13 +198\.51\.100\.20 " screen &&
	top_in_tmux C-c &&
	top_in_tmux TERM
'

test_expect_success 'stopping the gateway leaves nothing behind' '
	farm_gateway_stop && test_wait_for 10 e2e_nothing_left
'

test_done
