#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The scan filter against a real scanner: an nmap SYN scan of the whole farm
# /24 from one source, with the policy's threshold at 8 addresses, makes at
# most 8 clones for that source, and nmap still sees the open ports of the
# addresses that got one.
test_description='nmap SYN scan of the farm meets the scan filter'
E2E_REQUIRE=NMAP
. "$(dirname "$0")/lib/test-lib.sh"
. "$TEST_DIRECTORY/lib/e2e.sh"

# The clones must outlive the scan: nmap may probe a host's second port
# seconds after its first (a sanitizer build makes the gateway slow enough),
# and a clone reclaimed in between is not made again for a filtered scanner.
test_expect_success 'a farm and its gateway come up, clones idle out after 1m' '
	e2e_up &&
	sed -i "s/^idle 3s\$/idle 1m/" "$FARM_POLICY" && grep -q "^idle 1m\$" "$FARM_POLICY" &&
	kill -HUP "$FARM_GATEWAY_PID" &&
	farm_wait_event 10 reload
'

test_expect_success 'nmap scans the /24' '
	farm_in nmap -n -Pn -sS -p 23,80 -T4 --max-retries 4 --max-rtt-timeout 2000ms \
		-S 203.0.113.11 -e eth0 -oG scan.gnmap 198.51.100.0/24 >scan.out 2>&1 &&
	grep "Nmap done: 256 IP addresses" scan.out
'

test_expect_success 'at most 8 clones for the scanner' '
	farm_events bind ".source.ip == \"203.0.113.11\"" >binds &&
	n=$(cat binds) &&
	test "$n" -ge 1 && test "$n" -le 8
'

test_expect_success 'the scan filter reported the source' '
	farm_wait_event 5 scan-filtered ".source.ip == \"203.0.113.11\""
'

test_expect_success 'nmap saw both open ports on every address that got a clone' '
	grep "Ports: 23/open/tcp//telnet///, 80/open/tcp//http///" scan.gnmap |
		awk "{print \$2}" | sort >open &&
	farm_select_events bind ".source.ip == \"203.0.113.11\"" |
		jq -r .destination.ip | sort >bound &&
	test_cmp bound open
'

test_expect_success 'and nothing open anywhere else' '
	if ! test "$(grep -c "/open/" scan.gnmap)" = "$(cat binds)"; then
		grep "/open/" scan.gnmap; false
	fi
'

test_expect_success 'another source is not filtered' '
	farm_in curl -sS -m 20 --interface 203.0.113.12 http://198.51.100.250/ | grep potemkin
'

test_expect_success 'stopping the gateway leaves nothing behind' '
	farm_gateway_stop && test_wait_for 10 e2e_nothing_left
'

test_done
