#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The kernel fast path's life in the gateway: with `fastpath = true` the
# worker attaches its program to the external interface and to each ready
# clone's interface, under its system call filter; a kernel that refuses
# the attachment leaves the gateway working on the queues, said in one log
# line; and after kill -9 of the gateway no program stays attached.  (What
# the fast path carries, packet by packet, is the engine side's test.)
test_description='fast path: attached by the worker, gone with it, off when the kernel refuses'
E2E_REQUIRE=TCX
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

TCX="$SRC_ROOT/t/helpers/gw-tcx-show"
FARM_GATEWAY_EXTRA='fastpath = true;'

attached() {
	"$TCX" "$1"
}

# The map's bytes for bpftool: addresses and ports in network order, the
# rest in the host's (little-endian here).
ip4() { printf '%02x ' $(echo "$1" | tr . ' '); }
be16() { printf '%02x %02x ' $(($1 >> 8)) $(($1 & 255)); }
le32() { printf '%02x %02x %02x %02x ' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24)); }
bytes() { local i; for i in $(seq "$1"); do printf '%s ' "$2"; done; }
mac_of() { ip -o link show "$@" | grep -o "link/ether [0-9a-f:]*" | cut -d" " -f2 | tr : " "; }

# fp_put KEY-SRC KEY-DST SPORT DPORT DIR IFINDEX NEW-SRC NEW-DST OUT-IFINDEX MARK DMAC SMAC:
# an entry (struct fp_map_value) that never expires, counts at zero.
fp_put() {
	bpftool map update id "$map" \
		key hex $(ip4 $1) $(ip4 $2) $(be16 $3) $(be16 $4) 06 $5 00 00 $(le32 $6) \
		value hex $(ip4 $7) $(ip4 $8) $(le32 $9) $(le32 ${10}) ${11} ${12} \
			$(le32 1) $(le32 0) $(bytes 4 00) $(bytes 8 ff) $(bytes 24 00)
}

# "SOURCE PACKETS BYTES" for each entry, as the programs counted them.
fp_counts() {
	bpftool -j map dump id "$map" | /usr/bin/python3 -c '
import json, sys
n = lambda b: int.from_bytes(bytes(int(x, 16) for x in b), "little")
for e in json.load(sys.stdin):
    k, v = e["key"], e["value"]
    print(".".join(str(int(x, 16)) for x in k[0:4]), n(v[48:56]), n(v[56:64]))'
}

test_expect_success 'a kernel that refuses tcx: one line, and the gateway works' '
	farm_net_up && farm_write_configs && farm_rules_up && farm_resolver_start &&
	POTEMKIN_TEST_TCX_ATTACH_TYPE=255 farm_gateway_start &&
	grep "fast path off: attaching to ext0: Invalid argument" "$FARM_DIR/gateway.log" &&
	test "$(grep -c "fast path" "$FARM_DIR/gateway.log")" = 1 &&
	test -z "$(attached ext0)" &&
	test "$(e2e_stat fastpath_on)" = 0 &&
	farm_in curl -sS -m 20 --interface 203.0.113.12 http://198.51.100.20/ | grep potemkin &&
	vm=$(e2e_vm_of 198.51.100.20) && test -n "$vm" &&
	test -z "$(attached pk$vm)" &&
	farm_gateway_stop && test_wait_for 10 e2e_nothing_left
'

test_expect_success 'on: the worker attaches to the external interface' '
	: >"$FARM_DIR/gateway.log" &&
	farm_gateway_start &&
	grep "fast path on: ext0" "$FARM_DIR/gateway.log" &&
	test "$(attached ext0)" = fp_inbound &&
	test "$(e2e_stat fastpath_on)" = 1 &&
	farm_ctl stats | grep "^fastpath_flows *0$"
'

test_expect_success 'and, under its filter, to a new clone interface' '
	farm_in curl -sS -m 20 --interface 203.0.113.13 http://198.51.100.21/ | grep potemkin &&
	vm=$(e2e_vm_of 198.51.100.21) && test -n "$vm" &&
	test "$(attached pk$vm)" = fp_outbound &&
	! grep "fast path: attaching" "$FARM_DIR/gateway.log"
'

# What the engine side will offer, put in by hand: the kernel alone must
# then carry a whole conversation both ways, and the queues see none of it.
test_expect_success 'a conversation in the map goes through the kernel alone' '
	wpid=$(pgrep -P "$FARM_GATEWAY_PID") && test -n "$wpid" &&
	map=$(awk "/^map_type:/ {t = \$2} /^map_id:/ && t == 1 {print \$2}" /proc/$wpid/fdinfo/*) &&
	test -n "$map" &&
	pk=$(ip -o link show "pk$vm" | cut -d: -f1) &&
	fp_put 203.0.113.13 198.51.100.21 45001 80 00 0 203.0.113.13 198.51.100.21 \
		"$pk" 0 "$(ip netns exec "pk$vm" sh -c "$(declare -f mac_of); mac_of eth0")" \
		"$(mac_of "pk$vm")" &&
	fp_put 198.51.100.21 203.0.113.13 80 45001 01 "$pk" 198.51.100.21 203.0.113.13 \
		0 1 "$(bytes 6 00)" "$(bytes 6 00)" &&
	in=$(e2e_stat in_packets) && out=$(e2e_stat out_packets) &&
	farm_in curl -sS -m 20 --interface 203.0.113.13 --local-port 45001 \
		http://198.51.100.21/ | grep potemkin &&
	fp_counts >counts && cat counts &&
	awk "\$1 == \"203.0.113.13\" && \$2 >= 5 {ok=1} END {exit !ok}" counts &&
	awk "\$1 == \"198.51.100.21\" && \$2 >= 5 {ok=1} END {exit !ok}" counts &&
	test "$(e2e_stat in_packets)" = "$in" && test "$(e2e_stat out_packets)" = "$out"
'

# The same with the rewrites the qemu clones need (their guest address is
# not the farm's): the clone gets a second address, the kernel rewrites the
# destination on the way in and the source on the way out.  Checksum offload
# is off on both ends, so each receiving kernel verifies every checksum the
# programs updated; a wrong one would be dropped and curl would fail.
test_expect_success ETHTOOL 'rewritten both ways in the kernel: checksums the receivers verify' '
	ip netns exec "pk$vm" ip addr add 10.0.0.2/32 dev eth0 &&
	ip netns exec "pk$vm" ethtool -K eth0 tx off >/dev/null &&
	farm_in ethtool -K eth0 tx off >/dev/null &&
	fp_put 203.0.113.13 198.51.100.21 45002 80 00 0 203.0.113.13 10.0.0.2 \
		"$pk" 0 "$(ip netns exec "pk$vm" sh -c "$(declare -f mac_of); mac_of eth0")" \
		"$(mac_of "pk$vm")" &&
	fp_put 10.0.0.2 203.0.113.13 80 45002 01 "$pk" 198.51.100.21 203.0.113.13 \
		0 1 "$(bytes 6 00)" "$(bytes 6 00)" &&
	in=$(e2e_stat in_packets) && out=$(e2e_stat out_packets) &&
	farm_in curl -sS -m 20 --interface 203.0.113.13 --local-port 45002 \
		http://198.51.100.21/ | grep potemkin &&
	fp_counts >counts && cat counts &&
	awk "\$1 == \"10.0.0.2\" && \$2 >= 5 {ok=1} END {exit !ok}" counts &&
	test "$(e2e_stat in_packets)" = "$in" && test "$(e2e_stat out_packets)" = "$out" &&
	test "$(farm_in nstat -az TcpExtTCPCsumErrors TcpInCsumErrors | awk "/Csum/ {s += \$2} END {print s+0}")" = 0
'

test_expect_success 'stats --prometheus has the fast path' '
	farm_ctl stats --prometheus >prom &&
	grep "^potemkin_fastpath_on 1$" prom &&
	grep "^# TYPE potemkin_fastpath_flows gauge$" prom &&
	grep "^potemkin_fastpath_flows [0-9][0-9]*$" prom &&
	grep "^potemkin_fastpath_packets_total [0-9][0-9]*$" prom &&
	grep "^potemkin_fastpath_refused_total [0-9][0-9]*$" prom
'

test_expect_success 'kill -9 of the gateway: no program stays attached' '
	kill -KILL "$FARM_GATEWAY_PID" &&
	{ wait "$FARM_GATEWAY_PID" 2>/dev/null; FARM_GATEWAY_PID=; } &&
	test_wait_for 5 "test -z \"\$(attached ext0)\"" &&
	test_wait_for 5 "test -z \"\$(attached pk$vm)\""
'

test_expect_success 'the orphaned clone goes' '
	"$BIN/potemkin-teardown" -c "$FARM_DIR/vmm.conf" "$vm" &&
	test_wait_for 10 e2e_nothing_left
'

test_done
