#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# potemkin-gateway before it runs: -n, -P, the configuration's errors with
# their locations, usage errors; potemkin-ctl's own errors.
test_description='gateway configuration, rules and usage'
. "$(dirname "$0")/lib/test-lib.sh"

cat >farm.policy <<\POLICY
farm 198.51.100.0/24
farm 203.0.113.128/25
type web tcp 80
hosts 198.51.100.0/24 web
hosts 203.0.113.128/25 web
inbound bind
outbound drop
POLICY

# The clone tools' side: a type for the policy's (potemkin-clone --types).
cat >vmm.conf <<CONF
statedir = "$PWD/state";
memdir = "$PWD/mem";
types = {
  web = {
    backend = "netns";
    root = "/nonexistent";
    guest_ip = "10.0.2.15";
    gw_ip = "10.0.2.2";
    services = ( "busybox httpd -f -p 80" );
    ready_tcp = [ 80 ];
  };
};
CONF

cat >gw.conf <<\CONF
policy = "farm.policy";
external_interface = "ext0";
mark = 4;
queue: { inbound = 3; outbound = 4; };
clone: { timeout = "5s"; command = [ "potemkin-clone", "-c", "vmm.conf" ]; };
CONF

test_expect_success '-n checks configuration and policy' '
	potemkin-gateway -n -c gw.conf >out &&
	echo "configuration OK" >expect &&
	test_cmp expect out
'

test_expect_success '-n holds the policy'"'"'s types against the clone tools'"'"'' '
	sed "s/^type web tcp 80$/&\ntype nosuch tcp 22/" farm.policy >types.policy &&
	grep -x "type nosuch tcp 22" types.policy &&
	test_expect_code 1 potemkin-gateway -n -c gw.conf -f types.policy >out 2>err &&
	grep -x "types.policy:4:6: type '"'"'nosuch'"'"' is not a type of the clone tools (they know: web)" err &&
	test_must_fail test -s out
'

test_expect_success '-n warns of ports a type opens that its clones do not serve' '
	sed "s/^type web tcp 80$/type web tcp { 80 443 8000-8010 }/" farm.policy >ports.policy &&
	potemkin-gateway -n -c gw.conf -f ports.policy >out 2>err &&
	grep -x "configuration OK" out &&
	grep -x "ports.policy:3:6: warning: type '"'"'web'"'"' opens tcp 443, 8000-8010, which its clones are not known to serve (they serve 80)" err
'

test_expect_success '-n holds pcap.types against the policy'"'"'s types' '
	printf "pcap = { types = [ \"wbe\", \"web\", \"*\" ]; };\n" >pcap-types.conf &&
	cat gw.conf >>pcap-types.conf &&
	test_expect_code 1 potemkin-gateway -n -c pcap-types.conf >out 2>err &&
	grep -x "pcap-types.conf: pcap: types: '"'"'wbe'"'"' is not a type of the policy, so nothing would be captured for it (did you mean '"'"'web'"'"'?)" err &&
	test $(wc -l <err) = 1 &&
	test_must_fail test -s out
'

test_expect_success '-n fails when the clone command cannot list its types' '
	sed "s|\"potemkin-clone\", \"-c\", \"vmm.conf\"|\"false\"|" gw.conf >false.conf &&
	grep "command = \[ \"false\" \]" false.conf &&
	test_expect_code 1 potemkin-gateway -n -c false.conf 2>err &&
	grep "^false.conf: clone.command false --types: it failed: the policy'"'"'s types cannot be checked$" err
'

test_expect_success 'the shipped gateway.conf, farm.policy and vmm.conf are one farm' '
	E=$SRC_ROOT/etc/potemkin &&
	sed -e "s|/etc/potemkin/|$E/|g" "$E/gateway.conf" >shipped.conf &&
	potemkin-gateway -n -c shipped.conf >out 2>err &&
	echo "configuration OK" >expect &&
	test_cmp expect out &&
	test_must_fail test -s err
'

test_expect_success '-f overrides the policy the configuration names' '
	printf "farm 192.0.2.0/24\n" >other.policy &&
	potemkin-gateway -P -c gw.conf -f other.policy >rules &&
	grep -- "-d 192.0.2.0/24" rules &&
	! grep 198.51.100 rules
'

test_expect_success '-P prints the rules for every farm prefix' '
	potemkin-gateway -P -c gw.conf >rules &&
	grep -x -- "-A POTEMKIN-PREROUTING -i ext0 -d 198.51.100.0/24 -j NFQUEUE --queue-num 3" rules &&
	grep -x -- "-A POTEMKIN-PREROUTING -i ext0 -d 203.0.113.128/25 -j NFQUEUE --queue-num 3" rules &&
	grep -x -- "-A POTEMKIN-PREROUTING -i pk+ -j NFQUEUE --queue-num 4" rules &&
	grep -x -- "-A POTEMKIN-PREROUTING -i ext0 -d 198.51.100.0/24 -m rpfilter --invert -j DROP" rules &&
	grep -x -- "-A POTEMKIN-PREROUTING -i ext0 -d 203.0.113.128/25 -m rpfilter --invert -j DROP" rules &&
	grep -x -- "-A POTEMKIN-INPUT -i pk+ -j DROP" rules &&
	grep -x -- "-A POTEMKIN-FORWARD -i pk+ -m mark ! --mark 0x4/0x4 -j DROP" rules &&
	grep -x -- "-I PREROUTING 1 -j POTEMKIN-PREROUTING" rules &&
	grep -x -- "-I INPUT 1 -j POTEMKIN-INPUT" rules &&
	grep -x -- "-I FORWARD 1 -j POTEMKIN-FORWARD" rules &&
	grep -x "#   ip route replace blackhole 198.51.100.0/24" rules
'

test_expect_success 'the reverse path check comes before queue 0' '
	grep -n -- "-m rpfilter --invert -j DROP" rules | head -n 1 | cut -d: -f1 >first_rp &&
	grep -n -- "-i ext0 .*-j NFQUEUE" rules | head -n 1 | cut -d: -f1 >first_q &&
	test "$(cat first_rp)" -lt "$(cat first_q)"
'

test_expect_success 'rpfilter = false leaves the reverse path check out, and only it' '
	sed "s/^mark = 4;/&\nrpfilter = false;/" gw.conf >norp.conf &&
	grep -x "rpfilter = false;" norp.conf &&
	potemkin-gateway -P -c norp.conf >norp &&
	grep -x "# no reverse path check ahead of queue 0 (rpfilter = false)" norp &&
	grep -v "^#" norp >norp-rules &&
	! grep rpfilter norp-rules &&
	grep -v -e "^#" -e rpfilter rules >rules-but-rp &&
	test_cmp rules-but-rp norp-rules
'

test_expect_success 'rpfilter takes true or false, nothing else' '
	sed "s/^mark = 4;/&\nrpfilter = 1;/" gw.conf >badrp.conf &&
	test_must_fail potemkin-gateway -n -c badrp.conf 2>err &&
	grep "badrp.conf:[0-9]*: rpfilter: true or false is expected" err
'

test_expect_success 'queue 1 is never fail-open' '
	! grep -- "--queue-bypass" rules
'

test_expect_success ROOT,NETNS,IPTABLES 'iptables-restore accepts what -P prints' '
	unshare --net sh -c "iptables-restore -n <rules && iptables -t raw -S && iptables -S" >loaded &&
	grep -- "-A POTEMKIN-PREROUTING -i pk+ -j NFQUEUE --queue-num 4" loaded &&
	grep -- "-A POTEMKIN-PREROUTING -d 198.51.100.0/24 -i ext0 -m rpfilter --invert -j DROP" loaded &&
	grep -- "-A POTEMKIN-FORWARD -i pk+ -m mark ! --mark 0x4/0x4 -j DROP" loaded
'

# save: the ruleset of both families, without counters or comments
save_all() {
	{ iptables-save && ip6tables-save; } | grep -v "^#" | sed "s/\[[0-9]*:[0-9]*\]//"
}

test_expect_success ROOT,NETNS,IPTABLES 'the rules come before the host'"'"'s ACCEPTs; -U removes exactly them' '
	potemkin-gateway -P -6 -c gw.conf >rules6 &&
	potemkin-gateway -U >unwire && potemkin-gateway -U -6 >unwire6 &&
	unshare --net sh -c "
		set -e
		iptables -t raw -A PREROUTING -j ACCEPT
		iptables -A INPUT -j ACCEPT
		iptables -A FORWARD -j ACCEPT
		ip6tables -A FORWARD -j ACCEPT
		ip6tables -t raw -A OUTPUT -j ACCEPT  # the table itself, as after -U
		$(declare -f save_all)
		save_all >before
		iptables-restore -n <rules
		ip6tables-restore -n <rules6
		iptables -t raw -S PREROUTING | sed -n 2p >first-raw
		iptables -S FORWARD | sed -n 2p >first-fwd
		ip6tables -S FORWARD | sed -n 2p >first-fwd6
		ip6tables -t raw -S POTEMKIN-PREROUTING >raw6
		iptables-restore -n <unwire
		ip6tables-restore -n <unwire6
		save_all >after
	" &&
	echo "-A PREROUTING -j POTEMKIN-PREROUTING" >expect && test_cmp expect first-raw &&
	echo "-A FORWARD -j POTEMKIN-FORWARD" >expect && test_cmp expect first-fwd &&
	echo "-A FORWARD -j POTEMKIN-FORWARD" >expect && test_cmp expect first-fwd6 &&
	grep -- "-A POTEMKIN-PREROUTING -i pk+ -j NFQUEUE --queue-num 4" raw6 &&
	test_cmp before after
'

test_expect_success ROOT,NETNS,IPTABLES 'potemkin-wire twice: the chains refilled, one jump each' '
	unshare --net sh -ec "
		POTEMKIN_GATEWAY=\"$SRC_ROOT/bin/potemkin-gateway\" \"$SRC_ROOT/bin/potemkin-wire\" -c gw.conf
		POTEMKIN_GATEWAY=\"$SRC_ROOT/bin/potemkin-gateway\" \"$SRC_ROOT/bin/potemkin-wire\" -c gw.conf
		iptables -t raw -S PREROUTING >raw
		iptables -S FORWARD >fwd
		ip6tables -S FORWARD >fwd6
		iptables -t raw -S POTEMKIN-PREROUTING >chain
		ip route show type blackhole >routes
	" &&
	test "$(grep -c -- "-j POTEMKIN-PREROUTING" raw)" = 1 &&
	test "$(grep -c -- "-j POTEMKIN-FORWARD" fwd)" = 1 &&
	test "$(grep -c -- "-j POTEMKIN-FORWARD" fwd6)" = 1 &&
	test "$(grep -c -- "-j NFQUEUE --queue-num 3" chain)" = 2 &&
	grep "198.51.100.0/24" routes
'

test_expect_success 'a libconfig syntax error names the file and line' '
	printf "policy = \"farm.policy\";\nqueue: { inbound = ; };\n" >bad.conf &&
	test_expect_code 1 potemkin-gateway -n -c bad.conf 2>err &&
	grep "^bad.conf:2: syntax error" err
'

test_expect_success 'an unknown setting is an error, not a silent default' '
	printf "policy = \"farm.policy\";\n\npolcy = \"x\";\n" >bad.conf &&
	test_expect_code 1 potemkin-gateway -n -c bad.conf 2>err &&
	echo "bad.conf:3: unknown setting '"'"'polcy'"'"' (did you mean '"'"'policy'"'"'?)" >expect &&
	test_cmp expect err &&
	printf "policy = \"farm.policy\";\nclone: { timout = \"5s\"; };\nfrob = 1;\n" >bad.conf &&
	test_expect_code 1 potemkin-gateway -n -c bad.conf 2>err &&
	cat >expect <<-\EOF &&
	bad.conf:2: clone: unknown setting '"'"'timout'"'"' (did you mean '"'"'timeout'"'"'?)
	bad.conf:3: unknown setting '"'"'frob'"'"'
	EOF
	test_cmp expect err
'

test_expect_success 'values are checked for type and range' '
	cat >bad.conf <<-\CONF &&
	policy = "farm.policy";
	queue: { maxlen = 0; inbound = 1; outbound = 1; };
	clone: { timeout = "5 seconds"; command = [ ]; };
	on_exit = "maybe";
	user = 3;
	CONF
	test_expect_code 1 potemkin-gateway -n -c bad.conf 2>err &&
	grep "^bad.conf:2: maxlen: 0 is not within 1\.\.16777216$" err &&
	grep "^bad.conf:2: queue: inbound and outbound must be different" err &&
	grep "^bad.conf:3: timeout: '"'"'5 seconds'"'"': a duration needs a unit" err &&
	grep "^bad.conf:3: command: a list of 1\.\.16 strings is expected" err &&
	grep "^bad.conf:4: on_exit: \"maybe\" is neither" err &&
	grep "^bad.conf:5: user: a string is expected" err
'

test_expect_success 'pcap: off unless types are named; each setting checked' '
	cat >pcap.conf <<-\CONF &&
	policy = "farm.policy";
	clone: { command = [ "potemkin-clone", "-c", "vmm.conf" ]; };
	pcap = { types = [ "web" ]; directory = "/var/tmp/pcap"; max_size = "512K";
	         files = 2; snaplen = 1500; keep = true; };
	CONF
	potemkin-gateway -n -c pcap.conf >out &&
	grep -x "configuration OK" out &&
	cat >badpcap.conf <<-\CONF &&
	policy = "farm.policy";
	pcap = { types = [ "we b" ]; directory = "pcap"; max_size = "10X";
	         files = 0; snaplen = 10; keep = "yes"; size = 1; };
	CONF
	test_expect_code 1 potemkin-gateway -n -c badpcap.conf 2>err &&
	grep "^badpcap.conf:2: pcap: types: '"'"'we b'"'"' is neither a type name nor \"\*\"$" err &&
	grep "^badpcap.conf:2: pcap: directory: '"'"'pcap'"'"' is not an absolute path$" err &&
	grep "^badpcap.conf:2: max_size: '"'"'10X'"'"' is not a size from 4K to 1024G$" err &&
	grep "^badpcap.conf:3: files: 0 is not within 1\.\.100$" err &&
	grep "^badpcap.conf:3: snaplen: 10 is not within 64\.\.65535$" err &&
	grep "^badpcap.conf:3: keep: true or false is expected$" err &&
	grep "^badpcap.conf:3: pcap: unknown setting '"'"'size'"'"'$" err &&
	printf "policy = \"farm.policy\";\npcap = { max_size = \"1K\"; };\n" >small.conf &&
	test_expect_code 1 potemkin-gateway -n -c small.conf 2>err &&
	grep "^small.conf:2: max_size: '"'"'1K'"'"' is not a size from 4K to 1024G$" err &&
	printf "policy = \"farm.policy\";\npcap = { max_size = \"17179869185G\"; };\n" >wrap.conf &&
	test_expect_code 1 potemkin-gateway -n -c wrap.conf 2>err &&
	grep "^wrap.conf:2: max_size: '"'"'17179869185G'"'"' is not a size from 4K to 1024G$" err
'

test_expect_success 'sources_allowed: prefixes, each checked' '
	cat >allow.conf <<-\CONF &&
	policy = "farm.policy";
	sources_allowed = [ "10.0.0.0/8", "192.168.1.0/24" ];
	clone: { command = [ "potemkin-clone", "-c", "vmm.conf" ]; };
	CONF
	potemkin-gateway -n -c allow.conf &&
	cat >badallow.conf <<-\CONF &&
	policy = "farm.policy";
	sources_allowed = [ "10.0.0.0/8", "10.1.2.3/8" ];
	CONF
	test_expect_code 1 potemkin-gateway -n -c badallow.conf 2>err &&
	grep "^badallow.conf:2: sources_allowed: '"'"'10.1.2.3/8'"'"': " err
'

test_expect_success 'a missing configuration file' '
	test_expect_code 1 potemkin-gateway -n -c nowhere.conf 2>err &&
	grep "^nowhere.conf: No such file or directory" err
'

test_expect_success 'a bad policy: its located errors and exit 1' '
	printf "farm 198.51.100.0/24\ninbound bnid\n" >bad.policy &&
	test_expect_code 1 potemkin-gateway -n -c gw.conf -f bad.policy 2>err &&
	grep "^bad.policy:2:9: " err &&
	grep "bad.policy: 1 error" err
'

test_expect_success 'usage errors exit 2, --help exits 0' '
	test_expect_code 2 potemkin-gateway -Z 2>err &&
	grep "^usage: potemkin-gateway" err &&
	test_expect_code 2 potemkin-gateway -n stray 2>err &&
	grep "unexpected argument" err &&
	potemkin-gateway --help >out &&
	grep "^usage: potemkin-gateway \[-dnPUv6\]" out &&
	test_expect_code 2 potemkin-gateway -6 2>err &&
	grep "^potemkin-gateway: -6 goes with -P or -U$" err &&
	test_expect_code 2 potemkin-gateway -P -U 2>err &&
	grep "exclude each other" err
'

test_expect_success ROOT 'it refuses to run without root, before touching anything' '
	test_expect_code 1 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		potemkin-gateway -d -c gw.conf 2>err &&
	grep "must run as root" err
'

test_expect_success 'potemkin-ctl: no gateway, no command, help' '
	test_expect_code 1 potemkin-ctl -s "$TRASH/none.sock" status 2>err &&
	grep "is potemkin-gateway running" err &&
	test_expect_code 2 potemkin-ctl 2>err &&
	grep "^usage: potemkin-ctl" err &&
	potemkin-ctl --help | grep "^  vms"
'

test_done
