#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# potemkin-policy as a command: usage, bad arguments and files, check of
# several files, dump from stdin, and eval of packet descriptions.
test_description='potemkin-policy command line and eval'
. "$(dirname "$0")/lib/test-lib.sh"

FARM="$SRC_ROOT/etc/potemkin/farm.policy"

test_expect_success '-h and --help print the usage on stdout, exit 0' '
	potemkin-policy -h >out 2>err &&
	grep "^usage: potemkin-policy check FILE\.\.\.$" out &&
	grep "^       potemkin-policy dump FILE$" out &&
	grep "^       potemkin-policy eval FILE < PACKETS$" out &&
	potemkin-policy --help >out2 &&
	test_cmp out out2 &&
	test_must_fail test -s err
'

test_expect_success 'COMMAND -h prints that command usage' '
	potemkin-policy eval -h >out &&
	echo "usage: potemkin-policy eval FILE < PACKETS" >expect &&
	test_cmp expect out
'

test_expect_success 'the usage matches the man page synopsis' '
	man=$SRC_ROOT/policy-dsl/potemkin-policy.8 &&
	grep -q "^\.Cm check Ar" "$man" &&
	grep -q "^\.Cm dump Ar" "$man" &&
	grep -q "^\.Cm eval Ar" "$man" &&
	for c in check dump eval; do
		potemkin-policy -h | grep -q "potemkin-policy $c " || return 1
	done
'

test_expect_success 'no arguments: usage on stderr, exit 2' '
	test_expect_code 2 potemkin-policy >out 2>err &&
	grep "^usage: " err &&
	test_must_fail test -s out
'

test_expect_success 'unknown command: exit 2 and says which' '
	test_expect_code 2 potemkin-policy frob x 2>err &&
	grep "^potemkin-policy: unknown command '"'"'frob'"'"'$" err
'

test_expect_success 'unknown option: exit 2' '
	test_expect_code 2 potemkin-policy -x 2>err &&
	grep "^potemkin-policy: unknown option '"'"'-x'"'"'$" err &&
	test_expect_code 2 potemkin-policy check -q "$FARM" 2>err &&
	grep "^potemkin-policy: check: unknown option '"'"'-q'"'"'$" err
'

test_expect_success 'missing FILE and extra arguments: exit 2' '
	test_expect_code 2 potemkin-policy check 2>err &&
	grep "^potemkin-policy: check: FILE missing$" err &&
	test_expect_code 2 potemkin-policy dump a b 2>err &&
	grep "^potemkin-policy: dump: too many arguments$" err &&
	test_expect_code 2 potemkin-policy eval 2>err &&
	grep "^potemkin-policy: eval: FILE missing$" err
'

test_expect_success 'a file that does not exist: exit 1, err(3) style' '
	test_expect_code 1 potemkin-policy check no-such.policy >out 2>err &&
	echo "potemkin-policy: cannot open no-such.policy: No such file or directory" >expect &&
	test_cmp expect err &&
	test_must_fail test -s out
'

test_expect_success 'a directory: exit 1' '
	mkdir dir &&
	test_expect_code 1 potemkin-policy check dir 2>err &&
	echo "potemkin-policy: cannot read dir: Is a directory" >expect &&
	test_cmp expect err
'

test_expect_success 'a binary file: one line, exit 1; a capture says it is one' '
	head -c 4000 /dev/urandom >noise.bin &&
	printf "farm 198.51.100.0/24\n\000\001\002\n" >nul.policy &&
	for f in noise.bin nul.policy; do
		test_expect_code 1 potemkin-policy check $f >out 2>err &&
		echo "$f: not a policy: binary data" >expect &&
		test_cmp expect err &&
		test_must_fail test -s out || return 1
	done &&
	printf "\324\303\262\241\002\000\004\000" >cap.pcap &&
	test_expect_code 1 potemkin-policy dump cap.pcap 2>err &&
	echo "cap.pcap: not a policy: a pcap capture" >expect &&
	test_cmp expect err &&
	test_expect_code 1 potemkin-policy eval cap.pcap </dev/null 2>err &&
	test_cmp expect err
'

test_expect_success 'eval: a packet whose farm side is outside the farm is not decided' '
	cat >packets <<-\EOF &&
	in tcp 203.0.113.200:40000 > 10.1.2.3:80 flags S
	out udp 192.0.2.9:5000 > 198.51.100.7:53
	in tcp 203.0.113.200:40000 > 198.51.100.7:80 flags S scan=3
	EOF
	potemkin-policy eval "$FARM" <packets >out 2>err &&
	cat >expect <<-\EOF &&
	not-for-farm: destination 10.1.2.3 is outside the farm 198.51.100.0/24, 203.0.113.0/25
	not-for-farm: source 192.0.2.9 is outside the farm 198.51.100.0/24, 203.0.113.0/25
	bind rule=6 line=66 consulted=scan,bound
	EOF
	test_cmp expect out &&
	test_must_fail test -s err
'

test_expect_success ROOT 'an unreadable file: exit 1' '
	echo "farm 198.51.100.0/24" >secret.policy &&
	chmod 000 secret.policy &&
	test_expect_code 1 setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$BIN/potemkin-policy" check "$PWD/secret.policy" 2>err &&
	grep "^potemkin-policy: cannot open .*secret.policy: Permission denied$" err
'

test_expect_success 'a file over 1 MiB is refused with a located message' '
	{ echo "farm 198.51.100.0/24"; head -c 1100000 /dev/zero | tr "\0" "#"; } >big.policy &&
	test_expect_code 1 potemkin-policy check big.policy 2>err &&
	grep "^big.policy:1:1: file too large (1048577 bytes, at most 1048576)$" err
'

test_expect_success 'an empty file: no farm' '
	: >empty.policy &&
	test_expect_code 1 potemkin-policy check empty.policy 2>err &&
	grep "^empty.policy:1:1: no '"'"'farm'"'"' line" err
'

test_expect_success 'check of several files: each reported, exit 1 if one fails' '
	echo "farm 198.51.100.0/24" >good.policy &&
	echo "farm 198.51.100.0/33" >bad.policy &&
	test_expect_code 1 potemkin-policy check good.policy bad.policy good.policy >out 2>err &&
	printf "good.policy: OK\ngood.policy: OK\n" >expect &&
	test_cmp expect out &&
	grep "^bad.policy:1:6: " err &&
	grep "^potemkin-policy: bad.policy: 1 error$" err
'

test_expect_success 'dump reads stdin for -, and a dump pipes back into dump' '
	potemkin-policy dump "$FARM" | potemkin-policy dump - >out &&
	potemkin-policy dump "$FARM" >expect &&
	test_cmp expect out &&
	echo "farm 10.0.0.0/33" | test_expect_code 1 potemkin-policy check - 2>err &&
	grep "^<stdin>:1:6: prefix length must be 0..32" err
'

test_expect_success 'eval refuses - as the policy (stdin holds the packets)' '
	test_expect_code 2 potemkin-policy eval - </dev/null 2>err &&
	grep "eval reads packets on stdin" err
'

test_expect_success 'eval decides packets against farm.policy' '
	cat >packets <<-\EOF &&
	# comments and blank lines are skipped

	in tcp 203.0.113.200:40000 > 198.51.100.7:80 flags S scan=3 bound=no age=never
	in tcp 203.0.113.200:40000 > 198.51.100.7:80 flags A
	in tcp 203.0.113.200:40000 > 198.51.100.7:80 flags A bound=yes
	in tcp 203.0.113.200:40000 > 198.51.100.7:81 flags S
	in tcp 203.0.113.200:40000 > 198.51.100.100:23 flags S
	in tcp 203.0.113.200:40000 > 198.51.100.100:80 flags S
	in tcp 203.0.113.200:40000 > 198.51.100.7:80 flags S scan=17
	in tcp 203.0.113.200:40000 > 198.51.100.7:80 flags S scan=3,65
	in udp 203.0.113.200:5000 > 198.51.100.130:137
	in icmp 203.0.113.200 > 198.51.100.7 type echoreq bound=yes
	in icmp 203.0.113.200 > 198.51.100.7 type 8
	in icmp 203.0.113.200 > 198.51.100.7 type unreach
	out udp 198.51.100.7:5000 > 192.0.2.1:53
	out tcp 198.51.100.7:80 > 203.0.113.200:40000 flags SA age=5s
	out tcp 198.51.100.7:80 > 203.0.113.200:40000 flags SA age=11m
	out tcp 198.51.100.7:5000 > 192.0.2.1:445 flags S
	out udp 198.51.100.7:5000 > 192.0.2.1:137
	out icmp 198.51.100.7 > 192.0.2.1 type 3
	EOF
	potemkin-policy eval "$FARM" <packets >out 2>err &&
	cat >expect <<-\EOF &&
	bind rule=6 line=66 consulted=scan,bound
	drop rule=0 line=54 consulted=bound
	bind rule=6 line=66 consulted=bound
	reject rule=3 line=61 consulted=scan,bound
	bind rule=6 line=66 consulted=scan,bound
	reject rule=3 line=61 consulted=scan,bound
	drop log rule=1 line=56 consulted=scan,bound
	drop rule=2 line=58 consulted=scan,bound
	reject rule=3 line=61 consulted=scan,bound
	pass rule=4 line=63 consulted=bound
	drop rule=5 line=64 consulted=scan,bound
	bind rule=6 line=66 consulted=scan,bound
	proxy via 192.0.2.53 log rule=0 line=71 consulted=-
	pass limit 100/1s rule=1 line=74 consulted=reply
	drop log rule=4 line=80 consulted=reply
	reflect log infected rule=2 line=77 consulted=reply
	reflect infected rule=3 line=78 consulted=reply
	drop log rule=4 line=80 consulted=reply
	EOF
	test_cmp expect out &&
	test_must_fail test -s err
'

test_expect_success 'eval with no rule matching: drop, rule -1, line 0' '
	echo "farm 198.51.100.0/24" >norules.policy &&
	echo "in udp 192.0.2.1:1 > 198.51.100.1:2" |
		potemkin-policy eval norules.policy >out &&
	echo "drop rule=-1 line=0 consulted=-" >expect &&
	test_cmp expect out
'

test_expect_success 'eval: a bad packet line is located, answered "error", exit 1' '
	cat >packets <<-\EOF &&
	in tcp 192.0.2.1:1 > 198.51.100.1:80 flags S
	sideways tcp 192.0.2.1 > 198.51.100.1
	in gre 192.0.2.1 > 198.51.100.1
	in tcp 192.0.2.1:99999 > 198.51.100.1:2
	in icmp 192.0.2.1:5 > 198.51.100.1
	in tcp 192.0.2.1 198.51.100.1
	in udp 192.0.2.1 > 198.51.100.1 flags S
	in tcp 192.0.2.1 > 198.51.100.1 flags X
	in tcp 192.0.2.1 > 198.51.100.1 age=5
	in tcp 192.0.2.1 > 198.51.100.1 scan=a
	in tcp 192.0.2.1 > 198.51.100.1 colour=blue
	in icmp 192.0.2.1 > 198.51.100.1 type 300
	in tcp 192.0.2.1:1 > 198.51.100.1:80 flags S
	EOF
	test_expect_code 1 potemkin-policy eval "$FARM" <packets >out 2>err &&
	cat >expect <<-\EOF &&
	bind rule=6 line=66 consulted=scan,bound
	error
	error
	error
	error
	error
	error
	error
	error
	error
	error
	error
	bind rule=6 line=66 consulted=scan,bound
	EOF
	test_cmp expect out &&
	cat >expect <<-\EOF &&
	<stdin>:2:1: direction expected (in or out) near '"'"'sideways'"'"'
	<stdin>:3:4: protocol expected (tcp, udp, icmp or 0 to 255) near '"'"'gre'"'"'
	<stdin>:4:8: port expected (0 to 65535) after '"'"':'"'"' near '"'"'192.0.2.1:99999'"'"'
	<stdin>:5:9: a port goes with tcp or udp only near '"'"'192.0.2.1:5'"'"'
	<stdin>:6:18: '"'"'>'"'"' expected near '"'"'198.51.100.1'"'"'
	<stdin>:7:33: flags go with tcp only near '"'"'flags'"'"'
	<stdin>:8:39: TCP flags expected (letters of FSRPAUEW, or -) near '"'"'X'"'"'
	<stdin>:9:33: age=DURATION or age=never expected (a duration needs a unit: ms, s, m or h) near '"'"'age=5'"'"'
	<stdin>:10:33: scan=N[,N...] expected (address counts) near '"'"'scan=a'"'"'
	<stdin>:11:33: flags, type, scan=, bound= or age= expected near '"'"'colour=blue'"'"'
	<stdin>:12:39: ICMP type expected (0 to 255 or a name such as echoreq) near '"'"'300'"'"'
	EOF
	test_cmp expect err
'

test_expect_success 'eval of a bad policy: its errors, exit 1, nothing decided' '
	echo "farm 198.51.100.0/33" >bad.policy &&
	echo "in udp 192.0.2.1 > 198.51.100.1" |
		test_expect_code 1 potemkin-policy eval bad.policy >out 2>err &&
	grep "^bad.policy:1:6: " err &&
	test_must_fail test -s out
'

test_done
