#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# potemkin-policy replay as a command: its usage and help, the man page, and
# every usage error with its message and exit status 2.
test_description='potemkin-policy replay: usage'
. "$(dirname "$0")/lib/test-lib.sh"

POLICY="$SRC_ROOT/t/replay/farm24.policy"
MAN="$SRC_ROOT/replay/potemkin-replay.8"

test_expect_success 'the tool lists replay with its arguments' '
	potemkin-policy -h >out &&
	grep "^       potemkin-policy replay \[options\] FILE CAPTURE\.\.\.$" out &&
	grep "^  replay run captures through the gateway" out
'

test_expect_success 'replay -h and --help: the usage and the options on stdout, exit 0' '
	potemkin-policy replay -h >out 2>err &&
	head -n 1 out >first &&
	echo "usage: potemkin-replay [--map FROM/LEN=TO/LEN]... [--map-src] [--allow-source PREFIX]..." >expect &&
	test_cmp expect first &&
	grep "^  --plot FILE.png|.svg " out &&
	test_must_fail test -s err &&
	potemkin-policy replay --help >out2 &&
	test_cmp out out2 &&
	potemkin-replay --help >out3 &&
	test_cmp out out3
'

test_expect_success 'potemkin-policy replay runs the potemkin-replay beside it, else the one in PATH' '
	mkdir -p alone other &&
	cp "$SRC_ROOT/bin/potemkin-policy" alone/ &&
	test_expect_code 127 env PATH=/usr/bin:/bin alone/potemkin-policy replay -h 2>err &&
	grep "^potemkin-policy: cannot run potemkin-replay: No such file or directory$" err &&
	printf "#!/bin/sh\necho from-path \"\$@\"\n" >other/potemkin-replay &&
	chmod +x other/potemkin-replay &&
	PATH="$PWD/other:/usr/bin:/bin" alone/potemkin-policy replay --json x y >out &&
	echo "from-path --json x y" >expect &&
	test_cmp expect out
'

test_expect_success 'every option of the usage is in the man page synopsis, and back' '
	potemkin-policy replay -h | sed -n "1,/CAPTURE/p" | grep -o -- "--[a-z-]*" | sort -u >usage &&
	sed -n "/^\.Sh SYNOPSIS/,/^\.Sh DESCRIPTION/p" "$MAN" | grep "^\.Op Fl " |
		grep -o -- " -[a-z][a-z-]*" | sed "s/^ /-/" | sort -u >synopsis &&
	test_cmp usage synopsis &&
	grep -q "^\.Cm replay$" "$MAN" &&
	grep -q "^\.Ar FILE CAPTURE \.\.\.$" "$MAN"
'

test_expect_success 'every option is described in the man page' '
	for o in map map-src allow-source clone-ms idle no-scan-filter from-clone state-max json csv plot; do
		grep -q "^\.It Fl -$o\( \|$\)" "$MAN" || { echo "no .It for --$o"; return 1; }
	done
'

# usage_error ARGS... MESSAGE: exit 2, the message, the usage, nothing on stdout
usage_error() {
	local msg
	msg=${@: -1}
	set -- "${@:1:$(($# - 1))}"
	test_expect_code 2 potemkin-policy replay "$@" >out 2>err &&
	echo "potemkin-replay: $msg" >expect &&
	head -n 1 err >first &&
	test_cmp expect first &&
	sed -n 2p err | grep "^usage: potemkin-replay " &&
	test_must_fail test -s out
}

test_expect_success 'no FILE, no CAPTURE' '
	usage_error "FILE missing" &&
	usage_error "$POLICY" "CAPTURE missing"
'

test_expect_success 'unknown options, long and short' '
	usage_error --frob "$POLICY" x.pcap "unknown option '"'"'--frob'"'"'" &&
	usage_error -x "$POLICY" x.pcap "unknown option '"'"'-x'"'"'" &&
	usage_error -qz "$POLICY" x.pcap "unknown option '"'"'-z'"'"'"
'

test_expect_success 'options without their argument' '
	usage_error "$POLICY" x.pcap --idle "missing argument to '"'"'--idle'"'"'" &&
	usage_error "$POLICY" x.pcap --map "missing argument to '"'"'--map'"'"'"
'

test_expect_success 'bad maps' '
	usage_error --map 10.0.0.0/24 "$POLICY" x.pcap \
		"--map '"'"'10.0.0.0/24'"'"': expected FROM/LEN=TO/LEN" &&
	usage_error --map 10.0.0.1/24=198.51.100.0/24 "$POLICY" x.pcap \
		"--map '"'"'10.0.0.1/24=198.51.100.0/24'"'"': host bits set below the prefix length" &&
	usage_error --map 10.0.0.0/24=198.51.100.0/40 "$POLICY" x.pcap \
		"--map '"'"'10.0.0.0/24=198.51.100.0/40'"'"': prefix length must be 0..32" &&
	args= &&
	for i in $(seq 17); do args="$args --map 10.0.$i.0/24=198.51.100.0/24"; done &&
	usage_error $args "$POLICY" x.pcap \
		"--map '"'"'10.0.17.0/24=198.51.100.0/24'"'"': too many maps (16 at most)"
'

test_expect_success 'bad idle timeouts' '
	usage_error --idle 5x "$POLICY" x.pcap "--idle '"'"'5x'"'"': a duration needs a unit: ms, s, m or h" &&
	usage_error --idle 0s "$POLICY" x.pcap "--idle '"'"'0s'"'"': a timeout of zero" &&
	usage_error --idle 1s,,2s "$POLICY" x.pcap "--idle '"'"'1s,,2s'"'"': a duration starts with a number" &&
	usage_error --idle 1s,2s,3s,4s,5s,6s,7s,8s,9s "$POLICY" x.pcap \
		"--idle '"'"'1s,2s,3s,4s,5s,6s,7s,8s,9s'"'"': 8 timeouts at most"
'

test_expect_success 'bad numbers and addresses' '
	usage_error --clone-ms -1 "$POLICY" x.pcap \
		"--clone-ms '"'"'-1'"'"': expected a number from 0 to 2147483647" &&
	usage_error --clone-ms 5ms "$POLICY" x.pcap \
		"--clone-ms '"'"'5ms'"'"': expected a number from 0 to 2147483647" &&
	usage_error --state-max 0 "$POLICY" x.pcap \
		"--state-max '"'"'0'"'"': expected a number from 1 to 16777216" &&
	usage_error --from-clone 192.168.2 "$POLICY" x.pcap \
		"--from-clone '"'"'192.168.2'"'"': not an IPv4 address"
'

test_expect_success 'one stdout: --json and --csv exclude each other' '
	usage_error --json --csv "$POLICY" x.pcap "--json and --csv both want stdout"
'

test_expect_success 'one stdin: not the policy and a capture both' '
	usage_error - - "the policy and a capture cannot both be stdin" &&
	usage_error "$POLICY" - - "stdin given as a capture twice"
'

test_done
