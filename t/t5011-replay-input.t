#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# What potemkin-policy replay reads: every link type it understands, frames
# it counts and skips, several captures on one clock, stdin; and every bad
# input with its message, exit status 1, no report and nothing left behind.
# The captures are written here byte by byte (t/replay/lib.sh).
test_description='potemkin-policy replay: captures and bad input'
. "$(dirname "$0")/lib/test-lib.sh"
. "$SRC_ROOT/t/replay/lib.sh"

test_require JQ

POLICY="$SRC_ROOT/t/replay/farm24.policy"
S1=$(syn_hex 203.0.113.5 198.51.100.1 80)
S2=$(syn_hex 203.0.113.5 198.51.100.2 80)
S3=$(syn_hex 203.0.113.6 198.51.100.3 80)

# json_is EXPR: the report says so (jq -e).
json_is() {
	jq -e "$1" report.json >/dev/null || { echo "not so: $1"; jq -c . report.json; return 1; }
}

# replay_json CAPTURE...: the JSON report of a replay of farm24.policy.
replay_json() {
	potemkin-policy replay --json --clone-ms 0 "$POLICY" "$@" >report.json
}

test_expect_success 'Ethernet, with and without an 802.1Q tag; ARP counted as other' '
	mkpcap 1 eth.pcap "$ETH_IPV4 $S1" "$VLAN_IPV4 $S2" "$ETH_ARP 00 01 08 00" &&
	replay_json eth.pcap &&
	test "$(json_get report.json .captures[0].link)" = EN10MB &&
	json_is ".frames.ipv4 == 2" &&
	json_is ".frames.other == 1" &&
	json_is ".runs[0].clones.created == 2"
'

for lt in "113 SLL_IPV4 LINUX_SLL" "276 SLL2_IPV4 LINUX_SLL2" "101 NONE RAW" \
	"228 NONE IPV4" "0 NULL_IPV4 NULL"; do
	set -- $lt
	NONE=
	HDR=${!2}
	test_expect_success "link type $3: every SYN reaches the engine" '
		mkpcap '"$1"' lt.pcap "$HDR $S1" "$HDR $S2" "$HDR $S3" &&
		replay_json lt.pcap &&
		test "$(json_get report.json .captures[0].link)" = '"$3"' &&
		json_is ".frames.ipv4 == 3" &&
		json_is ".runs[0].clones.created == 3" &&
		json_is ".sources == 2" &&
		json_is ".addresses == 3"
	'
done

test_expect_success 'IPv6 is counted and skipped' '
	mkpcap 101 v6.pcap "60 00 00 00 00 00 3b 40 $(printf "00 %.0s" $(seq 32))" "$S1" &&
	replay_json v6.pcap &&
	json_is ".frames.ipv6 == 1" &&
	json_is ".frames.ipv4 == 1"
'

test_expect_success 'a packet cut short by the snap length is padded and still judged' '
	mkpcap 101 cut.pcap "wire=40 $(echo $S1 | cut -d" " -f1-34)" &&
	replay_json cut.pcap &&
	json_is ".frames.cut_short == 1" &&
	json_is ".frames.malformed == 0" &&
	json_is ".runs[0].clones.created == 1"
'

test_expect_success 'malformed IPv4 packets are counted, by the replay and the engine' '
	mkpcap 101 bad.pcap "45 00 00 99 $(echo $S1 | cut -d" " -f5-)" \
		"4f 00 00 28 $(echo $S1 | cut -d" " -f5-)" "$S2" &&
	replay_json bad.pcap &&
	json_is ".frames.malformed == 2" &&
	json_is ".frames.cut_short == 0" &&
	json_is ".runs[0].inbound.not_decided.malformed == 2" &&
	json_is ".runs[0].clones.created == 1"
'

test_expect_success 'two captures, one clock: the second starts where the first ended' '
	mkpcap 101 a.pcap "$S1" "$S1" "$S1" &&
	mkpcap 101 b.pcap "$S2" "$S2" &&
	replay_json --idle 5m a.pcap b.pcap &&
	json_is ".captures | length == 2" &&
	json_is ".duration_s == 3.000" &&
	json_is ".frames.out_of_order == 0" &&
	json_is ".runs[0].clones.created == 2"
'

test_expect_success 'frames stamped out of order arrive together' '
	{
		hexbin d4 c3 b2 a1 02 00 04 00 00 00 00 00 00 00 00 00 ff ff 00 00 65 00 00 00 &&
		for t in 10 12 11; do
			hexbin $(le32 $t) 00 00 00 00 28 00 00 00 28 00 00 00 $S1
		done
	} >order.pcap &&
	replay_json order.pcap &&
	json_is ".frames.out_of_order == 1" &&
	json_is ".duration_s == 2.000"
'

test_expect_success 'a capture on stdin' '
	mkpcap 101 in.pcap "$S1" "$S2" &&
	potemkin-policy replay --json "$POLICY" - <in.pcap >report.json &&
	test "$(json_get report.json .captures[0].file)" = - &&
	json_is ".frames.ipv4 == 2"
'

test_expect_success 'an infected host: replies to who spoke first, answers to the contained' '
	H=192.168.2.16 P=203.0.113.9 Q=192.0.2.99 &&
	mkpcap 101 host.pcap "$(tcp_hex $P 5000 $H 80 02)" "$(tcp_hex $H 80 $P 5000 12)" \
		"$(tcp_hex $H 6000 $Q 23 02)" "$(tcp_hex $Q 23 $H 6000 14)" \
		"$(tcp_hex $H 6001 $Q 8080 02)" &&
	cat >host.policy <<-\EOF &&
	farm 198.51.100.0/24
	type web tcp 80
	hosts 198.51.100.0/24 web
	universe shared
	inbound bind
	outbound pass reply within 10m
	outbound reflect proto tcp to any port 23
	outbound drop
	EOF
	potemkin-policy replay --json --clone-ms 0 --idle 5m --from-clone $H \
		--map $H/32=198.51.100.16/32 host.policy host.pcap >report.json &&
	json_is ".frames.inbound == 2 and .frames.outbound == 3" &&
	json_is ".runs[0].outbound.by_outcome == {\"passed\": 1, \"proxied\": 0,
		\"reflected\": 1, \"rejected\": 0, \"dropped\": 0, \"internal\": 1, \"unjudged\": 0}" &&
	json_is ".runs[0].outbound.answers_not_replayed == 1" &&
	json_is ".runs[0].inbound.packets == 1" &&
	json_is ".runs[0].outbound.host_binds == 1 and .runs[0].clones.created == 1" &&
	json_is "[.runs[0].outbound.destinations.list[] | [.addr, .passed // 0]] ==
		[[\"$P\", 1], [\"$Q\", 0]]"
'

# The host is the clone of the conversation that reached it: under every
# universe mode its reply to who spoke first passes, as at the gateway.
for mode in per-source per-pair shared; do
	test_expect_success "an infected host, universe $mode: the reply in its conversation passes" '
		sed "s/^universe shared/universe $mode/" host.policy >mode.policy &&
		potemkin-policy replay --json --clone-ms 0 --idle 5m --from-clone $H \
			--map $H/32=198.51.100.16/32 mode.policy host.pcap >report.json &&
		json_is "[.runs[0].outbound.destinations.list[] | [.addr, .passed // 0]] ==
			[[\"$P\", 1], [\"$Q\", 0]]" &&
		json_is ".runs[0].outbound.by_outcome.passed == 1" &&
		json_is ".runs[0].outbound.by_outcome.reflected == 1"
	'
done

# bad_input MESSAGE ARGS...: exit 1, exactly the message, no report, no leftovers
bad_input() {
	local msg=$1
	shift
	ls -A -I out -I err -I expect -I before -I after >before &&
	test_expect_code 1 potemkin-policy replay "$@" >out 2>err &&
	echo "potemkin-replay: $msg" >expect &&
	test_cmp expect err &&
	test_must_fail test -s out &&
	ls -A -I out -I err -I expect -I before -I after >after &&
	test_cmp before after
}

test_expect_success 'a capture that does not exist' '
	bad_input "cannot open no-such.pcap: No such file or directory" "$POLICY" no-such.pcap
'

test_expect_success 'a directory' '
	mkdir -p dir &&
	bad_input "cannot read dir: Is a directory" "$POLICY" dir
'

test_expect_success ROOT 'an unreadable capture' '
	mkpcap 101 secret.pcap "$S1" &&
	chmod 000 secret.pcap &&
	test_when_finished "rm -f secret.pcap" &&
	test_expect_code 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$BIN/potemkin-policy" replay "$POLICY" "$PWD/secret.pcap" >out 2>err &&
	echo "potemkin-replay: cannot open $PWD/secret.pcap: Permission denied" >expect &&
	test_cmp expect err
'

test_expect_success 'not a capture, an empty file' '
	echo "GET / HTTP/1.0" >text.pcap &&
	bad_input "text.pcap: not a capture: a text file (the policy goes first, then the captures)" \
		"$POLICY" text.pcap &&
	printf "\000\001\002\003junk" >junk.pcap &&
	bad_input "cannot read junk.pcap: unknown file format" "$POLICY" junk.pcap &&
	: >empty.pcap &&
	bad_input "cannot read empty.pcap: truncated dump file; tried to read 4 file header bytes, only got 0" \
		"$POLICY" empty.pcap
'

test_expect_success 'arguments swapped: the capture where the policy goes, the policy where the capture goes' '
	mkpcap 101 one.pcap "$S1" &&
	test_expect_code 1 potemkin-policy replay one.pcap "$POLICY" >out 2>err &&
	echo "one.pcap: not a policy: a pcap capture" >expect &&
	test_cmp expect err &&
	test_must_fail test -s out &&
	printf "\012\015\015\012rest" >one.pcapng &&
	test_expect_code 1 potemkin-replay one.pcapng "$POLICY" 2>err &&
	echo "one.pcapng: not a policy: a pcapng capture" >expect &&
	test_cmp expect err &&
	test_expect_code 1 potemkin-replay "$POLICY" "$POLICY" 2>err &&
	echo "potemkin-replay: $POLICY: not a capture: a text file (the policy goes first, then the captures)" >expect &&
	test_cmp expect err
'

test_expect_success 'a capture cut in a frame header, and in a frame: the frames before it count' '
	mkpcap 101 whole.pcap "$S1" "$S2" "$S3" &&
	head -c 90 whole.pcap >cut1.pcap &&
	potemkin-policy replay --json "$POLICY" cut1.pcap >report.json 2>err &&
	cat >expect <<-\EOF &&
	potemkin-replay: cut1.pcap: frame 2: truncated dump file; tried to read 16 header bytes, only got 10
	potemkin-replay: cut1.pcap: the capture is cut short: only its first 1 frames are replayed
	EOF
	test_cmp expect err &&
	json_is ".captures[0].cut_short and .captures[0].frames == 1 and .frames.ipv4 == 1" &&
	head -c 120 whole.pcap >cut2.pcap &&
	potemkin-policy replay "$POLICY" cut2.pcap >report.txt 2>err &&
	grep "^potemkin-replay: cut2.pcap: frame 2: truncated dump file; tried to read 40 captured bytes, only got 24$" err &&
	grep "^capture   cut2.pcap: RAW, 1 frames, .* (cut short)$" report.txt
'

test_expect_success 'a capture cut short before good ones: all of them replayed' '
	mkpcap 101 good.pcap "$S1" &&
	potemkin-policy replay --json "$POLICY" cut2.pcap good.pcap >report.json 2>err &&
	grep -c "cut2.pcap" err >n && test "$(cat n)" = 2 &&
	json_is "[.captures[] | .cut_short] == [true, false] and .frames.ipv4 == 2" &&
	json_is ".captures[1].cut_short == false"
'

test_expect_success 'unsupported link types, refused before anything is replayed' '
	mkpcap 105 wifi.pcap "00 00" &&
	bad_input "wifi.pcap: link type IEEE802_11 is not supported (Ethernet, Linux cooked, raw IP and BSD loopback are)" \
		"$POLICY" good.pcap wifi.pcap &&
	mkpcap 147 user.pcap "00 00" &&
	bad_input "user.pcap: link type 147 is not supported (Ethernet, Linux cooked, raw IP and BSD loopback are)" \
		"$POLICY" user.pcap
'

test_expect_success 'a map that does not fit the farm' '
	bad_input "--map 10.0.0.0/24=192.0.2.0/24: 192.0.2.0/24 is not inside the farm" \
		--map 10.0.0.0/24=192.0.2.0/24 "$POLICY" good.pcap &&
	bad_input "--map 10.0.0.0/8=198.51.0.0/16: 198.51.0.0/16 is not inside the farm" \
		--map 10.0.0.0/8=198.51.0.0/16 "$POLICY" good.pcap
'

test_expect_success 'an infected host that is not a farm address' '
	bad_input "--from-clone 192.168.2.16: not a farm address (move it into the farm with --map)" \
		--from-clone 192.168.2.16 "$POLICY" good.pcap &&
	bad_input "--from-clone 192.168.2.16: not a farm address (move it into the farm with --map)" \
		--from-clone 192.168.2.16 --map 192.168.3.0/24=198.51.100.0/24 "$POLICY" good.pcap
'

test_expect_success 'a policy with errors, a missing policy' '
	printf "farm 198.51.100.0/33\ninbound bind\n" >bad.policy &&
	test_expect_code 1 potemkin-policy replay bad.policy good.pcap >out 2>err &&
	grep "^bad.policy:1:6: " err &&
	grep "^potemkin-replay: bad.policy: 1 error$" err &&
	test_must_fail test -s out &&
	bad_input "cannot open no.policy: No such file or directory" no.policy good.pcap
'

test_expect_success 'a figure that cannot be written, and no gnuplot' '
	bad_input "cannot write no-dir/fig.png: No such file or directory" \
		--plot no-dir/fig.png "$POLICY" good.pcap &&
	mkdir -p nognuplot &&
	ln -sf "$BIN/potemkin-policy" nognuplot/ &&
	test_when_finished "rm -rf nognuplot" &&
	test_expect_code 1 env PATH="$PWD/nognuplot" potemkin-policy replay \
		--plot fig.png "$POLICY" good.pcap >out 2>err &&
	echo "potemkin-replay: cannot run gnuplot: not found in PATH (Debian: gnuplot-nox)" >expect &&
	test_cmp expect err &&
	test_must_fail test -s out &&
	test_must_fail ls fig.png*
'

test_expect_success 'a report that cannot be written' '
	for how in --json --csv ""; do
		test_expect_code 1 potemkin-policy replay $how "$POLICY" good.pcap \
			>/dev/full 2>err &&
		echo "potemkin-replay: cannot write the report: No space left on device" >expect &&
		test_cmp expect err || return 1
	done
'

test_expect_success ROOT 'a directory the figure cannot be written in' '
	mkdir -p ro && chmod 555 ro && chmod 711 . && chmod 644 good.pcap &&
	test_when_finished "chmod 700 .; chmod 755 ro; rm -rf ro" &&
	test_expect_code 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$BIN/potemkin-policy" replay --plot "$PWD/ro/fig.png" "$POLICY" \
		"$PWD/good.pcap" >out 2>err &&
	echo "potemkin-replay: cannot write $PWD/ro/fig.png: Permission denied" >expect &&
	test_cmp expect err &&
	test "$(ls -A ro)" = ""
'

test_expect_success GNUPLOT 'the figure by its extension: .svg an SVG, .PNG a PNG, .txt refused before any work' '
	mkdir -p figs &&
	potemkin-policy replay --plot figs/live.svg "$POLICY" good.pcap >out 2>err &&
	test_must_fail test -s err &&
	head -c 200 figs/live.svg | grep -q "<svg\|<?xml" &&
	grep -q "<svg" figs/live.svg &&
	potemkin-policy replay --plot figs/live.PNG "$POLICY" good.pcap >out &&
	printf "\211PNG\r\n\032\n" >magic &&
	head -c 8 figs/live.PNG >head &&
	cmp magic head &&
	test_expect_code 2 potemkin-policy replay --plot figs/live.txt "$POLICY" good.pcap >out 2>err &&
	echo "potemkin-replay: --plot '"'"'figs/live.txt'"'"': FILE.png or FILE.svg expected" >expect &&
	head -n 1 err >first &&
	test_cmp expect first &&
	test_must_fail test -s out &&
	test "$(ls figs | sort | tr "\n" " ")" = "live.PNG live.svg "
'

test_done
