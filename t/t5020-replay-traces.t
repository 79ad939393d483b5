#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Real captures through the replay, with numbers checked by hand or by
# tcpdump: a sweep of a /24 meets a scan filter of 16; masscan and zmap
# mapped into a /16 get a clone for every address they reached, or 64 with a
# scan filter of 64; an infected host's SYNs to 137 outside destinations are
# all reflected or dropped, none passed; a spoofed SYN flood keeps every
# per-source table within its bound.  See ../shared/traces/README.md.
test_description='potemkin-policy replay: the shared captures'
. "$(dirname "$0")/lib/test-lib.sh"

test_require TRACES JQ

TRACES=$(test_traces_dir)
R="$SRC_ROOT/t/replay"
FARM="$SRC_ROOT/etc/potemkin/farm.policy"
SWEEP="$TRACES/sgr_tcp_synPingSweepRand.pcapng"
ICMP="$TRACES/sgr_icmpScan.pcapng"
MASSCAN="$TRACES/probing_masscan_5k.pcapng"
ZMAP="$TRACES/probing_zmap_tcp_5k.pcapng"
INFECTED="$TRACES/slips_test7-malicious.pcap"
FLOOD="$TRACES/stopddos_synflood_spoofed.pcap"

json_is() {
	jq -e "$1" report.json >/dev/null || { echo "not so: $1"; return 1; }
}

# The captures were taken in labs behind private addresses: their sources
# are taken as the Internet (the first test shows the farm's default).
LAB="--allow-source 10.0.0.0/8 --allow-source 192.168.0.0/16"

replay_json() {
	potemkin-policy replay --json $LAB "$@" >report.json
}

# The counts add up: every packet the policy decided, or that followed a
# decision, is under exactly one rule, and under that rule's action.
counts_add_up() {
	json_is '[.runs[] | (.inbound.decisions + .inbound.followed) ==
		([.rules[] | select(.dir == "inbound") | .packets] | add) + .inbound.no_rule] | all' &&
	json_is '[.runs[] | (.inbound.decisions + .inbound.followed) ==
		([.inbound.by_action[]] | add)] | all' &&
	json_is '[.runs[] | .inbound.followed + .inbound.unattributed == .engine.flow_hits] | all' &&
	json_is '[.runs[] | .inbound.unattributed == 0] | all' &&
	json_is '[.runs[] | .inbound.packets == .engine.in_packets] | all' &&
	json_is '[.runs[] | .clones.unknown_ends == null] | all'
}

test_expect_success 'a private source is refused before any table: no clone, no history' '
	potemkin-policy replay --json --map 10.0.0.0/24=198.51.100.0/24 "$R/sweep.policy" \
		"$SWEEP" >report.json &&
	json_is ".runs[0].clones.created == 0" &&
	json_is ".runs[0].inbound.decisions == 0" &&
	json_is ".runs[0].engine.special_source == .runs[0].engine.in_packets" &&
	json_is ".runs[0].tables.history.peak == 0 and .runs[0].tables.scan_sources.peak == 0"
'

test_expect_success 'the sweep of a /24: 256 addresses, 16 clones behind a filter of 16' '
	replay_json --idle 500ms,5m --map 10.0.0.0/24=198.51.100.0/24 "$R/sweep.policy" "$SWEEP" &&
	json_is ".sources == 1 and .addresses == 256" &&
	json_is "[.runs[] | .clones.created] == [16, 16]" &&
	json_is "[.runs[] | .universes.with_clones] == [1, 1]" &&
	json_is "[.runs[] | .scan_filter.sources] == [1, 1]" &&
	json_is ".runs[1].scan_filter.addresses == 240" &&
	counts_add_up
'

test_expect_success 'the sweep: clones reclaimed after 500ms idle, kept for 5m' '
	json_is "[.runs[] | .clones.live_at_end] == [0, 16]" &&
	json_is "[.runs[] | .clones.ended] == [16, 0]" &&
	json_is "[.runs[] | .clones.peak] == [16, 16]" &&
	json_is ".runs[0].clones.mean < .runs[1].clones.mean"
'

test_expect_success 'the sweep without delay in cloning: still exactly 16' '
	replay_json --clone-ms 0 --map 10.0.0.0/24=198.51.100.0/24 "$R/sweep.policy" "$SWEEP" &&
	json_is ".runs[0].clones.created == 16 and .runs[0].clones.refused.clones_in_flight == 0"
'

test_expect_success 'the sweep without the scan filter: a clone for each of the 256' '
	replay_json --clone-ms 0 --no-scan-filter --idle 5m \
		--map 10.0.0.0/24=198.51.100.0/24 "$R/sweep.policy" "$SWEEP" &&
	json_is ".options.scan_filter == false" &&
	json_is ".runs[0].clones.created == 256 and .runs[0].clones.peak == 256" &&
	json_is ".runs[0].scan_filter == {\"sources\": 0, \"addresses\": 0}" &&
	counts_add_up
'

test_expect_success 'the sweep mapped into a /16 keeps its low bits' '
	cat >farm16-80.policy <<-\EOF &&
	farm 10.1.0.0/16
	type web tcp 80
	hosts 10.1.0.0/16 web
	inbound bind
	EOF
	replay_json --clone-ms 0 --idle 5m --map 10.0.0.0/24=10.1.0.0/16 farm16-80.policy "$SWEEP" &&
	json_is ".addresses == 256 and .runs[0].clones.created == 256" &&
	replay_json --clone-ms 0 --idle 5m --map 10.0.0.0/24=10.1.7.0/24 farm16-80.policy "$SWEEP" &&
	json_is ".addresses == 256 and .runs[0].clones.created == 256" &&
	replay_json --clone-ms 0 --idle 5m --map 10.0.0.0/24=10.1.7.0/28 farm16-80.policy "$SWEEP" &&
	json_is ".addresses == 16 and .runs[0].clones.created == 16"
'

# distinct_low16 CAPTURE: distinct low 16 bits of the SYNs' destinations.
distinct_low16() {
	tcpdump -nn -r "$1" "tcp[13] & 0x12 = 2" 2>/dev/null |
		awk "{ split(\$5, a, \".\"); print a[3] * 256 + a[4] }" | sort -u | wc -l
}

test_expect_success TCPDUMP 'masscan into a /16: a clone for every address its SYNs reached' '
	want=$(distinct_low16 "$MASSCAN") &&
	test "$want" -gt 4000 &&
	replay_json --clone-ms 0 --map 200.0.0.0/8=10.1.0.0/16 "$R/farm16.policy" "$MASSCAN" &&
	json_is ".runs[0].clones.created == $want and .addresses == $want" &&
	json_is ".runs[0].rules[1].packets == 5000" &&
	counts_add_up
'

test_expect_success TCPDUMP 'zmap into a /16: likewise' '
	want=$(distinct_low16 "$ZMAP") &&
	test "$want" -gt 4000 &&
	replay_json --clone-ms 0 --map 0.0.0.0/0=10.1.0.0/16 "$R/farm16.policy" "$ZMAP" &&
	json_is ".runs[0].clones.created == $want" &&
	counts_add_up
'

test_expect_success 'masscan and zmap behind a scan filter of 64: 64 clones each' '
	replay_json --clone-ms 0 --map 200.0.0.0/8=10.1.0.0/16 "$R/scan64.policy" "$MASSCAN" &&
	json_is ".runs[0].clones.created == 64 and .runs[0].scan_filter.sources == 1" &&
	replay_json --clone-ms 0 --map 0.0.0.0/0=10.1.0.0/16 "$R/scan64.policy" "$ZMAP" &&
	json_is ".runs[0].clones.created == 64" &&
	json_is ".runs[0].scan_filter.addresses == .addresses - 64"
'

test_expect_success 'masscan with clones that take 50ms: what limit clones 8 refuses is counted' '
	replay_json --map 200.0.0.0/8=10.1.0.0/16 "$R/farm16.policy" "$MASSCAN" &&
	json_is ".runs[0].clones.refused.clones_in_flight > 0" &&
	json_is ".runs[0].clones.created < .addresses" &&
	json_is ".runs[0].tables.bindings.peak <= 100000"
'

test_expect_success 'the infected host: 137 TCP destinations, none passed, each reflected or dropped' '
	replay_json --idle 500ms,5m --from-clone 192.168.2.16 \
		--map 192.168.2.16/32=198.51.100.16/32 "$FARM" "$INFECTED" &&
	json_is ".options.host_farm_address == \"198.51.100.16\"" &&
	json_is "[.runs[] | .outbound.destinations.by_proto.tcp.destinations] == [137, 137]" &&
	json_is "[.runs[] | .outbound.destinations.by_proto.tcp.passed] == [0, 0]" &&
	json_is "[.runs[] | .outbound.destinations.list[] | select(.proto == \"tcp\") |
		(.passed // 0) == 0 and ((.reflected // 0) + (.dropped // 0)) > 0] |
		length == 274 and all" &&
	json_is "[.runs[] | .outbound.destinations.list[] | select(.proto == \"tcp\") |
		select((.reflected // 0) > 0) | .addr] | length > 0"
'

test_expect_success 'the infected host: no packet at all leaves, DNS goes to the proxy' '
	json_is "[.runs[] | .outbound.by_outcome.passed] == [0, 0]" &&
	json_is "[.runs[] | .outbound.destinations.list[] | .passed // 0] | add == 0" &&
	json_is "[.runs[] | .outbound.by_outcome.proxied] == [36, 36]" &&
	json_is "[.runs[] | .outbound.dns_questions] == [36, 36]" &&
	json_is "[.runs[] | .outbound.packets + (.outbound.by_outcome.unjudged)] == [1200, 1200]" &&
	json_is ".frames.outbound == 1200"
'

test_expect_success 'the infected host: answers to what the farm kept in are not replayed' '
	json_is "[.runs[] | .outbound.answers_not_replayed] == [108, 108]" &&
	json_is "[.runs[] | .inbound.packets] == [480, 480]" &&
	json_is ".frames.inbound == 588"
'

test_expect_success 'the infected host: its clone is made again after each idle reclaim' '
	json_is ".runs[0].outbound.host_binds > 100 and .runs[1].outbound.host_binds == 1" &&
	json_is "[.runs[] | .outbound.host_refused] == [0, 0]" &&
	json_is "[.runs[] | .clones.unknown_ends == null and .engine.clones_failed == 0] | all" &&
	json_is "[.runs[] | .engine.infected] | all(. > 0)"
'

test_expect_success 'the spoofed flood: every per-source table within its bound' '
	replay_json --state-max 4096 --map 10.10.10.10/32=198.51.100.80/32 \
		"$R/flood.policy" "$FLOOD" &&
	json_is ".sources == 37623 and .addresses == 1" &&
	json_is ".runs[0].tables | [.history, .scan_sources, .universes] |
		all(.peak <= .max and .max == 4096)" &&
	json_is ".runs[0].tables.history.peak == 4096" &&
	json_is ".runs[0].tables.bindings.peak <= 1000 and .runs[0].tables.flows.peak <= .runs[0].tables.flows.max" &&
	json_is ".runs[0].clones.refused.clones_in_flight > 30000" &&
	json_is ".runs[0].clones.peak <= 1000" &&
	json_is ".runs[0].tables.bytes_peak < 128 * 1048576" &&
	counts_add_up
'

test_expect_success 'the spoofed flood with the gateway defaults: one universe per source' '
	replay_json --map 10.10.10.10/32=198.51.100.80/32 "$R/flood.policy" "$FLOOD" &&
	json_is ".runs[0].tables.universes.peak == 37623 and .runs[0].tables.history.peak == 37623" &&
	json_is ".runs[0].tables | [.history, .scan_sources, .universes] | all(.peak <= .max)"
'

test_expect_success 'the spoofed flood with --map-src: sources folded into the farm' '
	replay_json --map 0.0.0.0/0=198.51.100.0/24 --map-src "$R/flood.policy" "$FLOOD" &&
	json_is ".options.map_src and .sources <= 256 and .addresses == 1" &&
	json_is ".runs[0].engine.farm_source == .runs[0].engine.in_packets"
'

test_expect_success 'every capture of the README replays under the example policy' '
	for c in "$SWEEP 10.0.0.0/24" "$ICMP 10.0.0.0/24" "$MASSCAN 200.0.0.0/8" \
		"$ZMAP 0.0.0.0/0" "$FLOOD 10.10.10.10/32"; do
		set -- $c &&
		potemkin-policy replay -q --idle 500ms,5m --map "$2=198.51.100.0/24" \
			"$FARM" "$1" >report.txt || return 1
		grep "^clones created " report.txt || return 1
	done
'

test_done
