/* SPDX-License-Identifier: ISC */
/*
 * The privileged parent's queue of commands, against a hostile worker: a
 * thousand teardowns of one clone while another runs are one teardown
 * waiting, not a thousand; an id no clone can have is refused, never
 * queued.  The hosts check's answer comes whole or not at all.  What the
 * worker asks to tell systemd reaches NOTIFY_SOCKET as the parent words it,
 * nothing after STOPPING=1, and nothing at all without NOTIFY_SOCKET.  A
 * clone's capture is never lost: not by a freeze that cannot start, a
 * second freeze of it, an id reused, a long evidence path, nor a link put
 * in the capture directory.  The test plays the worker on the parent's
 * socket.
 */
#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nfq-gateway/capture.h"
#include "nfq-gateway/privsep.h"
#include "t/lib/tap.h"

static char logpath[] = "/tmp/potemkin-t3201-XXXXXX";

static pid_t
parent(struct gw_config *c, int *sock)
{
	int sp[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		bail_out("socketpair");
	if ((pid = fork()) < 0)
		bail_out("fork");
	if (pid == 0) {
		close(sp[0]);
		ps_parent_main(sp[1], getppid(), c);
	}
	close(sp[1]);
	*sock = sp[0];
	return pid;
}

static void
send_req(int sock, uint32_t op, int32_t vm)
{
	struct ps_request rq = { .op = op, .vm = vm };

	if (send(sock, &rq, sizeof(rq), 0) != (ssize_t)sizeof(rq))
		bail_out("send");
}

/* How many times the teardown command ran for vm. */
static int
runs(int vm)
{
	char line[64], want[16];
	FILE *f = fopen(logpath, "r");
	int n = 0;

	snprintf(want, sizeof(want), "%d\n", vm);
	while (f && fgets(line, sizeof(line), f))
		n += strcmp(line, want) == 0;
	if (f)
		fclose(f);
	return n;
}

/* The parent's answer to one PS_HOSTS, its hosts command sh -c script. */
static void
hosts_answer(struct gw_config *c, const char *script, struct ps_reply *rp)
{
	struct ps_request rq = { .op = PS_HOSTS, .vm = -1 };
	int sock, fd, status;
	pid_t pid;

	for (int i = 0; i < c->hosts_cmd.argc; i++)
		free(c->hosts_cmd.argv[i]);
	c->hosts_cmd.argc = 0;
	if (script) {
		c->hosts_cmd.argv[0] = strdup("/bin/sh");
		c->hosts_cmd.argv[1] = strdup("-c");
		c->hosts_cmd.argv[2] = strdup(script);
		c->hosts_cmd.argc = 3;
	}
	c->hosts_cmd.argv[c->hosts_cmd.argc] = NULL;
	pid = parent(c, &sock);
	if (send(sock, &rq, sizeof(rq), 0) != (ssize_t)sizeof(rq))
		bail_out("send");
	if (ps_recv(sock, rp, &fd) <= 0)
		bail_out("no answer to PS_HOSTS");
	shutdown(sock, SHUT_WR);
	while (ps_recv(sock, &(struct ps_reply){ 0 }, &fd) > 0)
		;
	close(sock);
	waitpid(pid, &status, 0);
}

static void
test_hosts_check(struct gw_config *c)
{
	struct ps_reply rp;

	c->clones_max_procs = 4;
	c->clone_timeout_ms = 300;
	hosts_answer(c, "echo host=a state=up why=; echo host=b state=down why=gone", &rp);
	ok(rp.op == PS_HOSTS && rp.status == 0, "a hosts check that ran is answered");
	is_str(rp.text, "host=a state=up why=\nhost=b state=down why=gone\n",
	    "with every line it printed, not the last alone");
	hosts_answer(c, "i=0; while [ $i -lt 1000 ]; do echo host=h$i state=up why=; "
	    "i=$((i + 1)); done", &rp);
	ok(rp.status != 0 && strstr(rp.text, "longer than the gateway takes"),
	    "one whose lines do not all fit is refused, not cut: %.60s", rp.text);
	hosts_answer(c, "trap 'echo host=a state=down why=cut; exit 0' TERM; "
	    "sleep 5 & wait", &rp);
	ok(rp.status != 0 && strcmp(rp.text, "timed out") == 0,
	    "one cut short by its deadline is refused though it exits 0: %s", rp.text);
	hosts_answer(c, NULL, &rp);
	ok(rp.status != 0, "without a hosts command the request is refused: %s", rp.text);
}

/* Play a worker that sends rqs[0..n), then leaves; the parent's replies in rps. */
static int
play(struct gw_config *c, const struct ps_request *rqs, int n, struct ps_reply *rps, int max)
{
	int sock, fd, status, got = 0;
	struct ps_reply rp;
	pid_t pid = parent(c, &sock);

	for (int i = 0; i < n; i++)
		if (send(sock, &rqs[i], sizeof(rqs[i]), 0) != (ssize_t)sizeof(rqs[i]))
			bail_out("send");
	shutdown(sock, SHUT_WR);
	while (ps_recv(sock, &rp, &fd) > 0) {
		if (fd >= 0)
			close(fd);
		if (got < max)
			rps[got++] = rp;
	}
	close(sock);
	waitpid(pid, &status, 0);
	return got;
}

/* The next datagram on the notify socket, or "" when none came. */
static const char *
notified(int fd, char *buf, size_t cap)
{
	ssize_t n = recv(fd, buf, cap - 1, MSG_DONTWAIT);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
test_notify(struct gw_config *c)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct ps_counts counts = { 2, 1, 3, 40, 1234 };
	struct ps_request rqs[] = {
		{ .op = PS_NOTIFY, .serial = PS_NOTIFY_READY, .counts = counts },
		{ .op = PS_NOTIFY, .serial = 99, .counts = counts },
		{ .op = PS_NOTIFY, .serial = PS_NOTIFY_STATUS, .counts = counts },
		{ .op = PS_OPEN_POLICY, .serial = 42, .vm = -1 },
		{ .op = PS_EXIT, .vm = -1 },
		{ .op = PS_NOTIFY, .serial = PS_NOTIFY_READY, .counts = counts },
	};
	const char *status = "STATUS=clones 2 ready, 1 being made; universes 3; flows 40; "
	    "packets 1234";
	char name[64], buf[512], want[512];
	struct ps_reply rps[8];
	socklen_t len;
	int fd, n;

	/* An abstract socket: nothing to remove afterwards. */
	snprintf(name, sizeof(name), "@potemkin-t3201-%d", (int)getpid());
	memcpy(sun.sun_path + 1, name + 1, strlen(name) - 1);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, len) < 0)
		bail_out("notify socket: %s", strerror(errno));
	free(c->policy);
	c->policy = strdup("/nonexistent/t3201.policy");
	setenv("NOTIFY_SOCKET", name, 1);
	n = play(c, rqs, sizeof(rqs) / sizeof(rqs[0]), rps, 8);
	ok(n == 2 && rps[0].op == PS_OPEN_POLICY && rps[0].serial == 42 && rps[0].status != 0,
	    "the policy's reply echoes the reload's serial: %s", n ? rps[0].text : "none");
	snprintf(want, sizeof(want), "READY=1\n%s", status);
	is_str(notified(fd, buf, sizeof(buf)), want, "READY=1 with the worker's counts");
	is_str(notified(fd, buf, sizeof(buf)), status,
	    "a STATUS alone; an unknown notification says nothing");
	ok(strncmp(notified(fd, buf, sizeof(buf)), "RELOADING=1\nMONOTONIC_USEC=", 27) == 0,
	    "a reload starts with RELOADING=1 and the time");
	is_str(notified(fd, buf, sizeof(buf)), "STOPPING=1\nSTATUS=stopping",
	    "the worker's exit is STOPPING=1");
	is_str(notified(fd, buf, sizeof(buf)), "", "and nothing after it");
	unsetenv("NOTIFY_SOCKET");
	play(c, rqs, sizeof(rqs) / sizeof(rqs[0]), rps, 8);
	is_str(notified(fd, buf, sizeof(buf)), "", "without NOTIFY_SOCKET nothing is sent");
	close(fd);
}

static char pdir[] = "/tmp/potemkin-t3201-pcap-XXXXXX";

/* A path under the test's folder, from a ring: a few may be in use at once. */
static const char *pth(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *
pth(const char *fmt, ...)
{
	static char ring[4][512];
	static int next;
	char *buf = ring[next++ % 4];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(ring[0]), fmt, ap);
	va_end(ap);
	return buf;
}

static void
put(const char *content, const char *path)
{
	char dir[512];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdir(dir, 0750);
	if ((f = fopen(path, "w")) == NULL || fputs(content, f) < 0 || fclose(f) != 0)
		bail_out("%s: %s", path, strerror(errno));
}

static bool
holds(const char *content, const char *path)
{
	char buf[64] = "";
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return false;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	fclose(f);
	return strcmp(buf, content) == 0;
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Captures of vm kept as pcap/ID-YYYYmmddTHHMMSS.mmmZ[-N] whose clone.pcap holds content. */
static int
kept(int vm, const char *content)
{
	char path[256], re[64];
	struct dirent *de;
	regex_t rx;
	int n = 0;
	DIR *d;

	snprintf(re, sizeof(re), "^%d-[0-9]{8}T[0-9]{6}\\.[0-9]{3}Z(-[0-9]+)?$", vm);
	snprintf(path, sizeof(path), "%s/pcap", pdir);
	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0 || (d = opendir(path)) == NULL)
		bail_out("kept");
	while ((de = readdir(d)) != NULL) {
		if (regexec(&rx, de->d_name, 0, NULL, 0) != 0)
			continue;
		n += holds(content, pth("%s/pcap/%s/clone.pcap", pdir, de->d_name));
	}
	closedir(d);
	regfree(&rx);
	return n;
}

static void
set_freeze(struct gw_config *c, const char *script)
{
	for (int i = 0; i < c->freeze_cmd.argc; i++)
		free(c->freeze_cmd.argv[i]);
	c->freeze_cmd.argc = 0;
	if (script) {
		c->freeze_cmd.argv[0] = strdup("/bin/sh");
		c->freeze_cmd.argv[1] = strdup("-c");
		c->freeze_cmd.argv[2] = strdup(script);
		c->freeze_cmd.argc = 3;
	}
	c->freeze_cmd.argv[c->freeze_cmd.argc] = NULL;
}

/* Links in the capture directory, as one who could write it would put them. */
static void
test_pcap_links(struct gw_config *c)
{
	char victim[256], link[256];
	int fds[CAP_VIEWS];

	snprintf(victim, sizeof(victim), "%s/victim", pdir);
	put("precious", pth("%s/victim/file", pdir));
	for (int vm = 10; vm <= 12; vm++) {
		snprintf(link, sizeof(link), "%s/pcap/%d", pdir, vm);
		if (symlink(victim, link) < 0)
			bail_out("symlink");
	}
	capdir_teardown(&c->pcap, 10);
	ok(holds("precious", pth("%s/victim/file", pdir)) &&
	    !exists(pth("%s/pcap/%d", pdir, 10)),
	    "a teardown removes a link in place of DIR/ID, not what it points to");
	ok(capdir_open(&c->pcap, 11, fds) == 0 && !exists(pth("%s/victim/clone.pcap", pdir)) &&
	    holds("precious", pth("%s/victim/file", pdir)),
	    "a clone's files are never made through one");
	close(fds[0]);
	close(fds[1]);
	ok(!capdir_freeze_begin(&c->pcap, 12) && holds("precious", pth("%s/victim/file", pdir)),
	    "nor is a freeze's capture taken through one");
}

static void
test_pcap(struct gw_config *c)
{
	struct ps_request rqs[4] = {
		{ .op = PS_TEARDOWN, .vm = 7 }, { .op = PS_FREEZE, .vm = 5 },
		{ .op = PS_FREEZE, .vm = 5 }, { .op = PS_FREEZE, .vm = 6 },
	};
	char why[512], path[300];
	struct ps_reply rps[8];
	int fds[CAP_VIEWS], n;

	if (mkdtemp(pdir) == NULL)
		bail_out("mkdtemp");
	snprintf(path, sizeof(path), "%s/pcap", pdir);
	c->pcap.types[c->pcap.ntypes++] = strdup("*");
	free(c->pcap.directory);
	c->pcap.directory = strdup(path);
	c->clones_max_procs = 1;
	c->clone_timeout_ms = 5000;
	ok(capdir_check(&c->pcap, why, sizeof(why)) == 0, "the capture directory is made");
	chmod(path, 0777);
	ok(capdir_check(&c->pcap, why, sizeof(why)) < 0 &&
	    strstr(why, "writable by group or others"), "one others can write is refused: %s", why);
	chmod(path, 0700);

	set_freeze(c, NULL);
	put("five", pth("%s/pcap/%d/clone.pcap", pdir, 5));
	n = play(c, rqs + 1, 1, rps, 8);
	ok(n == 1 && rps[0].status != 0, "a freeze that cannot start is refused");
	ok(!exists(pth("%s/pcap/%d", pdir, 5)) && !exists(pth("%s/pcap/.freeze-%d", pdir, 5)) &&
	    kept(5, "five") == 1,
	    "and its capture is kept as ID-TIME, not hidden in .freeze-ID");

	snprintf(why, sizeof(why), "sleep 0.1; mkdir -p %s/ev/$0 && echo %s/ev/$0", pdir, pdir);
	set_freeze(c, why);
	put("five2", pth("%s/pcap/%d/clone.pcap", pdir, 5));
	put("six", pth("%s/pcap/%d/clone.pcap", pdir, 6));
	put("sixold", pth("%s/pcap/.freeze-%d/clone.pcap", pdir, 6));
	play(c, rqs, 4, rps, 8);
	ok(holds("five2", pth("%s/ev/%d/clone.pcap", pdir, 5)),
	    "a second freeze of a clone whose freeze waits leaves its files to the first");
	ok(holds("six", pth("%s/ev/%d/clone.pcap", pdir, 6)) && kept(6, "sixold") == 1 &&
	    !exists(pth("%s/pcap/.freeze-%d", pdir, 6)), "a .freeze-ID found is kept, never wiped");

	set_freeze(c, "printf '/%05000d\n' 0");
	put("eight", pth("%s/pcap/%d/clone.pcap", pdir, 8));
	play(c, rqs + 1, 1, (rqs[1].vm = 8, rps), 8);
	ok(kept(8, "eight") == 1, "an evidence path too long to use keeps the files here");

	put("nine", pth("%s/pcap/%d/clone.pcap", pdir, 9));
	ok(capdir_open(&c->pcap, 9, fds) == 0 && kept(9, "nine") == 1 &&
	    holds("", pth("%s/pcap/%d/clone.pcap", pdir, 9)),
	    "a reused id keeps the old capture aside");
	close(fds[0]);
	close(fds[1]);

	c->pcap.keep = true;
	for (int i = 0; i < 3; i++) {
		put("t", pth("%s/pcap/%d/clone.pcap", pdir, 13));
		capdir_teardown(&c->pcap, 13);
	}
	ok(kept(13, "t") == 3, "kept captures of one clone within a second all stay, "
	    "named like the evidence folders");
	c->pcap.keep = false;
	test_pcap_links(c);
	snprintf(path, sizeof(path), "rm -rf '%s'", pdir);
	if (system(path) != 0)
		bail_out("%s", path);
}

int
main(void)
{
	struct gw_config c;
	char script[256];
	struct ps_reply rp;
	int sock, status, fd, invalid = 0;
	pid_t pid;

	if ((fd = mkstemp(logpath)) < 0)
		bail_out("mkstemp");
	close(fd);
	if (gw_config_load(&c, NULL, stderr) < 0)
		bail_out("config");
	free(c.control_socket);
	free(c.pidfile);
	c.control_socket = strdup("");
	c.pidfile = strdup("");
	c.clones_max_procs = 1;
	snprintf(script, sizeof(script), "echo \"$0\" >>%s; sleep 0.3", logpath);
	for (int i = 0; i < c.teardown_cmd.argc; i++)
		free(c.teardown_cmd.argv[i]);
	c.teardown_cmd.argv[0] = strdup("/bin/sh");
	c.teardown_cmd.argv[1] = strdup("-c");
	c.teardown_cmd.argv[2] = strdup(script);
	c.teardown_cmd.argv[3] = NULL;
	c.teardown_cmd.argc = 3;

	pid = parent(&c, &sock);
	send_req(sock, PS_TEARDOWN, 7);		/* runs, and holds the one slot */
	for (int i = 0; i < 1000; i++)
		send_req(sock, PS_TEARDOWN, 5);
	send_req(sock, PS_TEARDOWN, 0);
	send_req(sock, PS_TEARDOWN, 100000);
	send_req(sock, PS_FREEZE, -3);
	shutdown(sock, SHUT_WR);
	while (ps_recv(sock, &rp, &fd) > 0)
		invalid += rp.status != 0 && strstr(rp.text, "invalid") != NULL;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status), "the parent finished every command and exited");
	is(runs(7), 1, "the first teardown ran");
	is(runs(5), 1, "a thousand teardowns of one clone while it waited: one ran");
	is(invalid, 3, "ids no clone can have were refused as invalid");
	is(runs(0) + runs(100000) + runs(-3), 0, "and never ran");
	test_hosts_check(&c);
	test_notify(&c);
	test_pcap(&c);
	unlink(logpath);
	gw_config_free(&c);
	return done_testing();
}
