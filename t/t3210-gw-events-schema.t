#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# The events' one list of kinds: nfq-gateway/events.schema.json, the
# engine's names (engine/events.c) and potemkin-gateway(8) must agree, and
# one event of every kind as the engine writes it must match the schema;
# gateway.conf's sensor is checked.  The end-to-end tests validate every
# event they see against the same schema (t/lib/e2e.sh).
test_description='events: schema, kinds, man page, sensor'
. "$(dirname "$0")/lib/test-lib.sh"

SCHEMA=$SRC_ROOT/nfq-gateway/events.schema.json
MAN8=$SRC_ROOT/nfq-gateway/potemkin-gateway.8

validate() {
	/usr/bin/python3 "$TEST_DIRECTORY/lib/events-validate.py" "$SCHEMA" "$@"
}

# The man page's list of kinds as the schema would write it.
man_kinds_from_schema() {
	jq -r '.["x-kinds"][] as $k | ".It Cm \($k)", "\(.["$defs"][$k].description)."' "$SCHEMA"
}

man_kinds() {
	sed -n '/^\.Sh EVENTS/,/^\.Sh /p' "$MAN8" |
		sed -n '/^\.Bl -tag -width scan-filtered/,/^\.El/p' | sed '1d;$d'
}

test_expect_success JQ 'the schema'"'"'s kinds are the engine'"'"'s, in its order' '
	jq -r ".[\"x-kinds\"][]" "$SCHEMA" >schema-kinds &&
	sed -n "s/^\t\[EV_[A-Z_]*\] = \"\(.*\)\",$/\1/p" "$SRC_ROOT/engine/events.c" >engine-kinds &&
	test -s engine-kinds &&
	test_cmp engine-kinds schema-kinds &&
	jq -r ".properties.event.properties.action.enum[]" "$SCHEMA" >enum-kinds &&
	test_cmp engine-kinds enum-kinds
'

test_expect_success JQ 'potemkin-gateway(8) lists the schema'"'"'s kinds and descriptions' '
	man_kinds_from_schema >want &&
	man_kinds >got &&
	test_cmp want got
'

test_expect_success JSONSCHEMA,JQ 'an event of every kind as the engine writes it matches the schema' '
	POTEMKIN_EVENT_SAMPLES=$PWD/samples.jsonl "$TEST_DIRECTORY/unit/t3108-engine-event-json.t" >tap &&
	! grep "^not ok" tap &&
	validate samples.jsonl &&
	jq -r .event.action samples.jsonl >sample-kinds &&
	test_cmp schema-kinds sample-kinds
'

# Each: a sample line, edited into something a pipeline would choke on.
refused() {
	sed -n "$1p" samples.jsonl | sed "$2" >bad.jsonl &&
	! cmp -s bad.jsonl <(sed -n "$1p" samples.jsonl) &&
	test_must_fail validate bad.jsonl >out &&
	grep "bad.jsonl:1: " out
}

test_expect_success JSONSCHEMA,JQ 'what the schema refuses: other types, fields, kinds, times' '
	refused 11 "s/\"iana_number\":\"6\"/\"iana_number\":6/" &&
	refused 11 "s/\"transport\":\"tcp\"/\"transport\":6/" &&
	refused 2 "s/\"count\":4/\"count\":\"4\"/" &&
	refused 3 "s/\"vm\":3,/\"vm\":3,\"new\":1,/" &&
	refused 3 "s/\"potemkin\":{/\"peer\":\"203.0.113.5\",&/" &&
	refused 1 "s/\"action\":\"start\"/\"action\":\"restart\"/" &&
	refused 1 "s/\"@timestamp\":\"[^\"]*\"/\"@timestamp\":1796686801.123/" &&
	refused 5 "s/,\"reason\":\"idle\"//" &&
	refused 9 "s/\"type\":\"A\"/\"type\":1/" &&
	refused 8 "s/\"direction\":\"internal\"/\"direction\":\"inbound\"/" &&
	printf "{\"ts\":1.5,\"event\":\"bind\"}\n" >old.jsonl &&
	test_must_fail validate old.jsonl
'

cat >gw.conf <<\CONF
policy = "farm.policy";
external_interface = "ext0";
clone: { command = [ "true" ]; };
CONF
cat >farm.policy <<\POLICY
farm 198.51.100.0/24
inbound drop
outbound drop
POLICY

test_expect_success 'sensor: a short printable name, or an error where it is' '
	sed "1a sensor = \"dmz-1.example\";" gw.conf >ok.conf &&
	potemkin-gateway -n -c ok.conf &&
	sed "1a sensor = \"dmz 1\";" gw.conf >bad.conf &&
	test_expect_code 1 potemkin-gateway -n -c bad.conf 2>err &&
	grep "^bad.conf:2: sensor: letters, digits and punctuation only" err &&
	sed "1a sensor = \"$(printf "%065d" 0)\";" gw.conf >long.conf &&
	test_expect_code 1 potemkin-gateway -n -c long.conf 2>err &&
	grep "^long.conf:2: sensor: at most 64 characters" err &&
	sed "1a sensor = \"\";" gw.conf >empty.conf &&
	test_expect_code 1 potemkin-gateway -n -c empty.conf
'

test_done
