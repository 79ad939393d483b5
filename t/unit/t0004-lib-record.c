/* SPDX-License-Identifier: ISC */
/*
 * The record line, the one contract between the clone tools and the
 * gateway: format, strict parse, round trip, keys of newer tools, and the
 * id of a broken line.
 */
#include <stdio.h>
#include <string.h>

#include "t/lib/tap.h"
#include "lib/record.h"

static const char good[] = "id=17 type=linux-web backend=qemu ifname=pk17 "
    "mac=52:54:00:12:34:56 guest_ip=10.0.2.15 gw_ip=10.0.2.2 "
    "ip=198.51.100.7 universe=3 pid=4242 created=1795417826335";

static void
test_round_trip(void)
{
	struct clone_record r;
	char buf[RECORD_LINE_MAX], why[80];

	ok1(record_parse(good, &r, why, sizeof(why)) == 0);
	is(r.id, 17, "id");
	is_str(r.type, "linux-web", "type");
	is_str(r.ifname, "pk17", "ifname");
	is(r.guest_ip, 0x0a00020f, "guest_ip");
	ok1(r.has_ip && r.ip == 0xc6336407);
	is(r.universe, 3, "universe");
	is(r.pid, 4242, "pid");
	ok1(r.created == 1795417826335ULL);
	ok1(record_fmt(&r, buf, sizeof(buf)) == 0);
	is_str(buf, good, "formats back to the same line");
	r.has_ip = false;
	ok1(record_fmt(&r, buf, sizeof(buf)) == 0);
	ok(strstr(buf, " ip=- universe=3 ") != NULL, "no address is '-'");
	ok1(record_parse(buf, &r, why, sizeof(why)) == 0 && !r.has_ip);
	ok1(record_fmt(&r, buf, 40) == -1);
}

static void
bad(const char *line, const char *want_why)
{
	struct clone_record r;
	char why[80] = "";

	ok(record_parse(line, &r, why, sizeof(why)) == -1,
	    "rejected: %.40s...", line);
	is_str(why, want_why, "  because %s", want_why);
}

static void
test_bad(void)
{
	char line[RECORD_LINE_MAX];

	bad("", "'id=' expected");
	bad("id=17 type=linux", "a blank is expected before 'backend='");
	snprintf(line, sizeof(line), "%s extra", good);
	bad(line, "trailing text after 'created='");
	snprintf(line, sizeof(line), "%s =1", good);
	bad(line, "trailing text after 'created='");
	snprintf(line, sizeof(line), "%s", good);
	memcpy(strstr(line, "mac=52:54"), "mac=52-54", 9);
	bad(line, "bad value for 'mac'");
	bad("id=1 type=a b backend=b ifname=c mac=02:00:00:00:00:01 "
	    "guest_ip=1.2.3.4 gw_ip=1.2.3.4 ip=- universe=0 pid=1 created=1",
	    "'backend=' expected");
	snprintf(line, sizeof(line), "%s", good);
	memcpy(strstr(line, "type="), "tipe=", 5);
	bad(line, "'type=' expected");
	snprintf(line, sizeof(line), "%s", good);
	memcpy(strstr(line, "id=17"), "id=0x", 5);
	bad(line, "bad value for 'id'");
	bad("id=100000 type=a backend=b ifname=c mac=02:00:00:00:00:01 guest_ip=1.2.3.4 "
	    "gw_ip=1.2.3.4 ip=- universe=0 pid=1 created=1",
	    "bad value for 'id'");
	bad("id=1 type=a backend=b ifname=c mac=02:00:00:00:00:01 guest_ip=1.2.3 "
	    "gw_ip=1.2.3.4 ip=- universe=0 pid=1 created=1",
	    "bad value for 'guest_ip'");
	bad("id=1 type= backend=b ifname=c mac=02:00:00:00:00:01 guest_ip=1.2.3.4 "
	    "gw_ip=1.2.3.4 ip=- universe=0 pid=1 created=1",
	    "bad value for 'type'");
	bad("id=1 type=a backend=b ifname=c mac=02:00:00:00:00:01 guest_ip=1.2.3.4 "
	    "gw_ip=1.2.3.4 ip=- universe=4294967296 pid=1 created=1",
	    "bad value for 'universe'");
	bad("id=1 type=a backend=b ifname=c mac=02:00:00:00:00:01 guest_ip=1.2.3.4 "
	    "gw_ip=1.2.3.4 ip=- universe=0 pid=1 created=99999999999999999999",
	    "bad value for 'created'");
	bad("id=1 type=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa backend=b "
	    "ifname=c mac=02:00:00:00:00:01 guest_ip=1.2.3.4 gw_ip=1.2.3.4 ip=- universe=0 "
	    "pid=1 created=1", "bad value for 'type'");
}

/* Keys a newer tool adds after created= are skipped, not refused. */
static void
test_later_keys(void)
{
	struct clone_record r;
	char line[RECORD_LINE_MAX], why[80];

	snprintf(line, sizeof(line), "%s host=h1 disk=overlay\n", good);
	ok(record_parse(line, &r, why, sizeof(why)) == 0, "later keys are skipped");
	ok1(r.created == 1795417826335ULL);
	is_str(r.host, "h1", "host= is kept");
	is_str(r.link_mac, "", "no link_mac=");
}

/* host= and link_mac= are checked, kept, and written back in order. */
static void
test_host_keys(void)
{
	struct clone_record r;
	char line[RECORD_LINE_MAX], back[RECORD_LINE_MAX], why[80];

	snprintf(line, sizeof(line), "%s host=vmm-2 link_mac=02:70:6b:00:00:07", good);
	ok1(record_parse(line, &r, why, sizeof(why)) == 0);
	is_str(r.link_mac, "02:70:6b:00:00:07", "link_mac= is kept");
	ok1(record_fmt(&r, back, sizeof(back)) == 0);
	is_str(back, line, "written back as read");
	snprintf(line, sizeof(line), "%s host=a link_mac=nonsense", good);
	ok1(record_parse(line, &r, why, sizeof(why)) == -1);
	is_str(why, "bad value for 'link_mac'", "a bad MAC is refused");
	snprintf(line, sizeof(line), "%s host=%040d", good, 1);
	ok1(record_parse(line, &r, why, sizeof(why)) == -1);
	is_str(why, "bad value for 'host'", "a host name too long is refused");
}

/*
 * A record the gateway refuses still names a clone that was made: both the
 * worker and the privileged parent find its id wherever it stands, so
 * that it is torn down rather than left running.
 */
static void
test_broken_record_still_names_its_clone(void)
{
	is(record_id("id=5 type=web mac=bad"), 5, "id first");
	is(record_id("type=web id=12 mac=bad"), 12, "id later in the line");
	is(record_id("type=web guest_id=3 id=7"), 7, "not a field ending in id=");
	is(record_id("type=web guest_id=3"), -1, "no id field");
	is(record_id("id=x type=web"), -1, "not a number");
	is(record_id("id=0 type=web"), -1, "ids start at 1");
	is(record_id("id=100000 type=web"), -1, "ids end at RECORD_ID_MAX");
	is(record_id("id=99999999999999999999"), -1, "no overflow");
	is(record_id(""), -1, "empty");
}

static void
test_mac_parse(void)
{
	uint8_t m[6];

	ok(mac_parse("52:54:00:ab:CD:ef", 17, m) == 0 && m[0] == 0x52 && m[3] == 0xab &&
	    m[4] == 0xcd && m[5] == 0xef, "a MAC, either case");
	ok1(mac_parse("52:54:00:12:34", 14, m) == -1);
	ok1(mac_parse("52-54-00-12-34-56", 17, m) == -1);
	ok1(mac_parse("52:54:00:12:34:5g", 17, m) == -1);
	ok1(mac_parse("52:54:00:12:34:56:", 18, m) == -1);
	ok1(mac_parse("5:254:00:12:34:56", 17, m) == -1);
}

int
main(void)
{
	test_round_trip();
	test_bad();
	test_later_keys();
	test_host_keys();
	test_broken_record_still_names_its_clone();
	test_mac_parse();
	return done_testing();
}
