#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The replay's reports, byte for byte on small captures (golden files in
# t/replay/*.ok), the live-clone series as CSV, the figure, and the progress
# bar, drawn only on a terminal.
#
# To regenerate the golden files after a deliberate change, run this test
# with POTEMKIN_REGEN=1 and read the diff before committing it.
test_description='potemkin-policy replay: reports'
. "$(dirname "$0")/lib/test-lib.sh"

test_require TRACES JQ

TRACES=$(test_traces_dir)
R="$SRC_ROOT/t/replay"

prereq_SCRIPT() { command -v script >/dev/null; }
prereq_FILE() { command -v file >/dev/null; }

# The engine's tables (their largest sizes, its accounting of their memory)
# follow its structures more than the capture: their figures are left out of
# the golden comparison, and their bounds are t5020's to check.
normalize() {
	sed -e 's/"bytes_peak": [0-9]*/"bytes_peak": N/' \
		-e 's/^\( *"[a-z_]*": {"peak": \)[0-9]*\(, "max": \)/\1N\2/' "$1"
}

# golden NAME: the output in NAME is the golden one.
golden() {
	if [ -n "${POTEMKIN_REGEN:-}" ]; then
		cp "$1" "$R/$1.ok"
	fi
	normalize "$R/$1.ok" >expect &&
	normalize "$1" >actual &&
	test_cmp expect actual
}

test_expect_success 'setup: the captures and policies, under short names' '
	for f in sgr_tcp_synPingSweepRand.pcapng sgr_icmpScan.pcapng \
		slips_test7-malicious.pcap; do
		ln -s "$TRACES/$f" . || return 1
	done &&
	cp "$R"/*.policy .
'

test_expect_success 'the sweep as JSON, two idle timeouts' '
	potemkin-policy replay --json --idle 500ms,5m --allow-source 10.0.0.0/8 --map 10.0.0.0/24=198.51.100.0/24 \
		sweep.policy sgr_tcp_synPingSweepRand.pcapng >sweep.json &&
	jq -e . sweep.json >/dev/null &&
	golden sweep.json
'

test_expect_success 'the sweep as text' '
	potemkin-policy replay --idle 500ms,5m --allow-source 10.0.0.0/8 --map 10.0.0.0/24=198.51.100.0/24 \
		sweep.policy sgr_tcp_synPingSweepRand.pcapng >sweep.txt 2>err &&
	test_must_fail test -s err &&
	golden sweep.txt
'

test_expect_success '--host-capacity: the VMM hosts each peak would have needed' '
	potemkin-policy replay --idle 500ms,5m --host-capacity 10 --allow-source 10.0.0.0/8 \
		--map 10.0.0.0/24=198.51.100.0/24 sweep.policy sgr_tcp_synPingSweepRand.pcapng >cap.txt &&
	peaks=$(sed -n "s/^  live at the peak *//p" cap.txt) &&
	set -- $peaks &&
	echo " hosts of 10 clones $((($1 + 9) / 10)) $((($2 + 9) / 10))" >expect &&
	sed -n "s/^\(  hosts of 10 clones\) */\1 /p" cap.txt | tr -s " " >actual &&
	test_cmp expect actual &&
	potemkin-policy replay --json --host-capacity 7 --allow-source 10.0.0.0/8 \
		--map 10.0.0.0/24=198.51.100.0/24 sweep.policy sgr_tcp_synPingSweepRand.pcapng |
		jq -e ".runs[0].clones | .hosts_needed == ((.peak + 6) / 7 | floor)" &&
	test_must_fail potemkin-policy replay --host-capacity 0 sweep.policy \
		sgr_tcp_synPingSweepRand.pcapng 2>err &&
	grep "host-capacity .0.: expected a number from 1" err
'

test_expect_success 'the ICMP sweep as JSON: every ping would get a clone' '
	potemkin-policy replay --json --allow-source 10.0.0.0/8 --map 10.0.0.0/24=198.51.100.0/24 \
		farm24.policy sgr_icmpScan.pcapng >icmp.json &&
	golden icmp.json
'

test_expect_success 'the infected host as JSON, destination by destination' '
	potemkin-policy replay --json --idle 500ms,5m --from-clone 192.168.2.16 \
		--map 192.168.2.16/32=198.51.100.16/32 \
		infected.policy slips_test7-malicious.pcap >infected.json &&
	golden infected.json
'

test_expect_success 'the infected host as text' '
	potemkin-policy replay --from-clone 192.168.2.16 \
		--map 192.168.2.16/32=198.51.100.16/32 \
		infected.policy slips_test7-malicious.pcap >infected.txt &&
	golden infected.txt
'

test_expect_success 'the series as CSV: a column for each timeout, its peak the report'"'"'s' '
	potemkin-policy replay --csv --idle 500ms,5s,5m --allow-source 10.0.0.0/8 --map 10.0.0.0/24=198.51.100.0/24 \
		sweep.policy sgr_tcp_synPingSweepRand.pcapng >sweep.csv &&
	head -n 1 sweep.csv >header &&
	echo "time_s,idle_500ms,idle_5s,idle_5m" >expect &&
	test_cmp expect header &&
	rows=$(($(wc -l <sweep.csv) - 1)) &&
	test $rows -gt 500 && test $rows -le 1024 &&
	awk -F, "NR > 2 && \$1 <= t { bad = 1 } NR > 1 { t = \$1 } END { exit bad }" sweep.csv &&
	awk -F, "NR > 1 && \$1 > 1.841 { bad = 1 } END { exit bad }" sweep.csv &&
	for col in 2 3 4; do
		awk -F, -v c=$col "NR > 1 && \$c > m { m = \$c } END { print m }" sweep.csv
	done >peaks &&
	printf "16\n16\n16\n" >expect &&
	test_cmp expect peaks &&
	tail -n 1 sweep.csv | cut -d, -f2- >last &&
	echo "0,16,16" >expect &&
	test_cmp expect last
'

test_expect_success GNUPLOT,FILE 'the figure: a PNG drawn by gnuplot, nothing else left' '
	mkdir fig &&
	potemkin-policy replay --idle 500ms,5m --plot fig/sweep.png \
		--allow-source 10.0.0.0/8 --map 10.0.0.0/24=198.51.100.0/24 sweep.policy \
		sgr_tcp_synPingSweepRand.pcapng >out 2>err &&
	test_must_fail test -s err &&
	grep "^clones created " out &&
	file fig/sweep.png | grep "PNG image data, 1200 x 720" &&
	test "$(ls fig)" = sweep.png &&
	test "$(stat -c %a fig/sweep.png)" = "$(umask -S >/dev/null; printf %o $((0666 & ~$(umask))))"
'

test_expect_success GNUPLOT,FILE 'the figure beside the JSON report, which keeps stdout to itself' '
	potemkin-policy replay --json --from-clone 192.168.2.16 \
		--map 192.168.2.16/32=198.51.100.16/32 --plot fig/infected.png \
		infected.policy slips_test7-malicious.pcap >out.json &&
	jq -e . out.json >/dev/null &&
	file fig/infected.png | grep "PNG image data"
'

test_expect_success SCRIPT 'a progress bar on a terminal, none elsewhere' '
	script -qfec "$BIN/potemkin-policy replay --map 0.0.0.0/0=198.51.100.0/24 \
		farm24.policy $TRACES/stopddos_synflood_spoofed.pcap >/dev/null" /dev/null >tty.out &&
	grep -a "replay \[#*\.*\] *[0-9]*%  [0-9]* frames  " tty.out &&
	potemkin-policy replay --map 0.0.0.0/0=198.51.100.0/24 farm24.policy \
		"$TRACES/stopddos_synflood_spoofed.pcap" >/dev/null 2>err &&
	test_must_fail test -s err &&
	script -qfec "$BIN/potemkin-policy replay -q --map 0.0.0.0/0=198.51.100.0/24 \
		farm24.policy $TRACES/stopddos_synflood_spoofed.pcap >/dev/null" /dev/null >tty.out &&
	test_must_fail grep -a "replay \[" tty.out
'

test_done
