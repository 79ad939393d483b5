/* The record line: format, strict parse, round trip; clone MACs. */
#include <string.h>

#include "t/lib/tap.h"
#include "clone-tools/vmm.h"

static const char good[] = "id=17 type=linux-web backend=qemu ifname=pk17 "
    "mac=52:54:00:12:34:56 guest_ip=10.0.2.15 gw_ip=10.0.2.2 "
    "ip=198.51.100.7 universe=3 pid=4242 created=1795417826335";

static void
test_round_trip(void)
{
	struct vmm_record r;
	char buf[VMM_RECORD_MAX], why[80];

	ok1(vmm_record_parse(good, &r, why, sizeof(why)) == 0);
	is(r.id, 17, "id");
	is_str(r.type, "linux-web", "type");
	is_str(r.ifname, "pk17", "ifname");
	is(r.guest_ip, 0x0a00020f, "guest_ip");
	ok1(r.has_ip && r.ip == 0xc6336407);
	is(r.universe, 3, "universe");
	is(r.pid, 4242, "pid");
	ok1(r.created == 1795417826335ULL);
	ok1(vmm_record_fmt(&r, buf, sizeof(buf)) == 0);
	is_str(buf, good, "formats back to the same line");
	r.has_ip = false;
	ok1(vmm_record_fmt(&r, buf, sizeof(buf)) == 0);
	ok(strstr(buf, " ip=- universe=3 ") != NULL, "no address is '-'");
	ok1(vmm_record_parse(buf, &r, why, sizeof(why)) == 0 && !r.has_ip);
	ok1(vmm_record_fmt(&r, buf, 40) == -1);
}

static void
bad(const char *line, const char *want_why)
{
	struct vmm_record r;
	char why[80] = "";

	ok(vmm_record_parse(line, &r, why, sizeof(why)) == -1,
	    "rejected: %.40s...", line);
	is_str(why, want_why, "  because %s", want_why);
}

static void
test_bad(void)
{
	char line[VMM_RECORD_MAX];

	bad("", "'id=' expected");
	bad("id=17 type=linux", "a blank is expected before 'backend='");
	snprintf(line, sizeof(line), "%s extra=1", good);
	bad(line, "trailing text after 'created='");
	snprintf(line, sizeof(line), "%s", good);
	memcpy(strstr(line, "type="), "tipe=", 5);
	bad(line, "'type=' expected");
	snprintf(line, sizeof(line), "%s", good);
	memcpy(strstr(line, "id=17"), "id=0x", 5);
	bad(line, "bad value for 'id'");
	bad("id=100000 type=a backend=b ifname=c mac=d guest_ip=1.2.3.4 "
	    "gw_ip=1.2.3.4 ip=- universe=0 pid=1 created=1",
	    "bad value for 'id'");
	bad("id=1 type=a backend=b ifname=c mac=d guest_ip=1.2.3 "
	    "gw_ip=1.2.3.4 ip=- universe=0 pid=1 created=1",
	    "bad value for 'guest_ip'");
	bad("id=1 type= backend=b ifname=c mac=d guest_ip=1.2.3.4 "
	    "gw_ip=1.2.3.4 ip=- universe=0 pid=1 created=1",
	    "bad value for 'type'");
	bad("id=1 type=a backend=b ifname=c mac=d guest_ip=1.2.3.4 "
	    "gw_ip=1.2.3.4 ip=- universe=4294967296 pid=1 created=1",
	    "bad value for 'universe'");
	bad("id=1 type=a backend=b ifname=c mac=d guest_ip=1.2.3.4 "
	    "gw_ip=1.2.3.4 ip=- universe=0 pid=1 created=99999999999999999999",
	    "bad value for 'created'");
	bad("id=1 type=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa backend=b "
	    "ifname=c mac=d guest_ip=1.2.3.4 gw_ip=1.2.3.4 ip=- universe=0 "
	    "pid=1 created=1", "bad value for 'type'");
}

static void
test_mac(void)
{
	char mac[VMM_MACLEN];

	vmm_mac_for_id(0x012345, mac);
	is_str(mac, "02:50:4b:01:23:45", "clone MAC from its id");
	ok1(vmm_mac_valid(mac));
	ok1(vmm_mac_valid("52:54:00:12:34:56"));
	ok1(!vmm_mac_valid("01:00:5e:00:00:01"));	/* multicast */
	ok1(!vmm_mac_valid("52:54:00:12:34"));
	ok1(!vmm_mac_valid("52-54-00-12-34-56"));
	ok1(!vmm_mac_valid("52:54:00:12:34:56:"));
	ok1(!vmm_mac_valid("52:54:00:12:34:5g"));
}

int
main(void)
{
	test_round_trip();
	test_bad();
	test_mac();
	return done_testing();
}
