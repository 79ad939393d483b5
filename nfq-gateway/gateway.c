/* SPDX-License-Identifier: ISC */
/*
 * potemkin-gateway: turn a block of unused addresses into a honeyfarm.
 *
 * Setup runs as root: read and check the configuration and the policy, open
 * both queues, the AF_PACKET and raw sockets, the DNS socket and the control
 * socket.  Then the process splits: the child (the worker) gives up root and
 * runs the event loop over hostile packets; the parent stays root and only
 * runs clone-tool commands for it (privsep.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "fastpath-load.h"
#include "gateway.h"
#include "lib/log.h"
#include "privsep.h"
#include "rules.h"
#include "typecheck.h"
#include "lib/prog.h"

#define DEFAULT_CONF "/etc/potemkin/gateway.conf"
#define DEFAULT_EVENTS "/var/log/potemkin/events.jsonl"

static const char usage_text[] =
    "usage: potemkin-gateway [-dnPUv6] [-c gateway.conf] [-f farm.policy]\n"
    "  -c FILE  configuration (default " DEFAULT_CONF ")\n"
    "  -f FILE  policy, instead of the one gateway.conf names\n"
    "  -d       stay in the foreground; log to stderr, events to stdout\n"
    "  -n       check the configuration and the policy, then exit\n"
    "  -P       print the iptables-restore rules this configuration needs\n"
    "  -U       print what removes them again, and only them\n"
    "  -6       with -P or -U: the rules for ip6tables-restore\n"
    "  -v       log more (twice: debug)\n"
    "  -h       this help\n";

static _Noreturn void
usage(int status)
{
	fputs(usage_text, status ? stderr : stdout);
	exit(status);
}

struct opts {
	const char *conf;
	const char *policy;
	bool explicit_conf;
	bool foreground, check, print_rules, print_removal, v6;
	int verbose;
};

static void
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	*o = (struct opts){ .conf = DEFAULT_CONF };
	while ((ch = getopt_long(argc, argv, "c:df:hnPUv6", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o->conf = optarg; o->explicit_conf = true; break;
		case 'd': o->foreground = true; break;
		case 'f': o->policy = optarg; break;
		case 'n': o->check = true; break;
		case 'P': o->print_rules = true; break;
		case 'U': o->print_removal = true; break;
		case '6': o->v6 = true; break;
		case 'v': o->verbose++; break;
		case 'h': usage(0);
		default: usage(2);
		}
	}
	if (o->v6 && !o->print_rules && !o->print_removal) {
		fprintf(stderr, "potemkin-gateway: -6 goes with -P or -U\n");
		usage(2);
	}
	if (o->print_rules && o->print_removal) {
		fprintf(stderr, "potemkin-gateway: -P and -U exclude each other\n");
		usage(2);
	}
	if (optind != argc) {
		fprintf(stderr, "potemkin-gateway: unexpected argument '%s'\n", argv[optind]);
		usage(2);
	}
}

/*
 * Configuration and policy; every error logged, at error priority in the
 * journal.  Exits 1 on failure.
 */
static void
load(struct gw *g, const struct opts *o)
{
	const char *conf = o->conf;
	char *diags = NULL;
	size_t dlen = 0;
	FILE *errs;
	int errors, rc;

	/* Without -c, a missing default file means the built-in defaults. */
	if (!o->explicit_conf && access(conf, F_OK) < 0 && errno == ENOENT)
		conf = NULL;
	if ((errs = open_memstream(&diags, &dlen)) == NULL)
		fatal("open_memstream");
	rc = gw_config_load(g->cfg, conf, errs);
	fclose(errs);
	log_text(diags);
	free(diags);
	if (rc < 0)
		exit(1);
	if (o->policy) {
		free(g->cfg->policy);
		if ((g->cfg->policy = strdup(o->policy)) == NULL)
			fatal("strdup");
	}
	if (*g->cfg->events == '\0' || strcmp(g->cfg->events, DEFAULT_EVENTS) == 0) {
		free(g->cfg->events);
		g->cfg->events = strdup(o->foreground ? "-" : DEFAULT_EVENTS);
	}
	g->policy_path = g->cfg->policy;
	if ((errs = open_memstream(&diags, &dlen)) == NULL)
		fatal("open_memstream");
	errors = pol_load_file(g->cfg->policy, errs, &g->prog);
	fclose(errs);
	log_text(diags);
	free(diags);
	if (errors != 0 || g->prog == NULL)
		fatalx("%s: %d error%s", g->cfg->policy, errors, errors == 1 ? "" : "s");
}

static void
daemonize(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) < 0)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		fatal("setsid");
	if ((pid = fork()) < 0)
		fatal("fork");
	if (pid > 0)
		_exit(0);
	if (chdir("/") < 0)
		fatal("chdir /");
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
}

static int
open_dns_socket(void)
{
	struct sockaddr_in any = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&any, sizeof(any)) < 0)
		return -1;
	return fd;
}

static int
open_raw_socket(void)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	int one = 1;

	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0)
		return -1;
	return fd;
}

static int
open_events(const char *path)
{
	char dir[4096];

	if (strcmp(path, "-") == 0)
		return dup(STDOUT_FILENO);
	snprintf(dir, sizeof(dir), "%s", path);
	mkdir(dirname(dir), 0750);
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK | O_CLOEXEC, 0640);
}

/* Everything that needs root, before the split. */
static void
open_everything(struct gw *g)
{
	const struct gw_config *c = g->cfg;
	char why[512];
	struct nq_opts qi = { c->queue_in, c->queue_maxlen, c->copy_range, c->rcvbuf };
	struct nq_opts qo = { c->queue_out, c->queue_maxlen, c->copy_range, c->rcvbuf };
	char dir[4096];

	if ((g->q_in = nq_open(&qi)) == NULL)
		fatal("queue %u", c->queue_in);
	if ((g->q_out = nq_open(&qo)) == NULL)
		fatal("queue %u", c->queue_out);
	if ((g->tx = tx_open()) == NULL)
		fatal("AF_PACKET socket");
	if ((g->raw_fd = open_raw_socket()) < 0)
		fatal("raw socket");
	for (int i = 0; i < GW_DNS_SOCKETS; i++)
		if ((g->dns_fd[i] = open_dns_socket()) < 0)
			fatal("DNS proxy socket");
	if ((g->events_fd = open_events(c->events)) < 0)
		fatal("events file %s", c->events);
	/* Mode 0440 root: opened now, reread from the start by `stats`. */
	g->nfq_proc_fd = open("/proc/net/netfilter/nfnetlink_queue", O_RDONLY | O_CLOEXEC);
	/*
	 * The fast path's programs and map need CAP_BPF: loaded here, handed
	 * to the worker by the fork.  A kernel that refuses them costs the
	 * fast path, never the gateway.
	 */
	g->fpk = FPK_NONE;
	if (c->fastpath && fpk_load(c->fastpath_flows, &g->fpk, why, sizeof(why)) < 0)
		log_warnx("fast path off: %s", why);
	snprintf(dir, sizeof(dir), "%s", c->control_socket);
	mkdir(dirname(dir), 0755);
	if ((g->ctl_fd = ctl_listen(c->control_socket)) < 0)
		fatal("control socket %s", c->control_socket);
}

static void
write_pidfile(const char *path)
{
	FILE *f;

	if (*path == '\0')
		return;
	if ((f = fopen(path, "w")) == NULL) {
		log_warn("pidfile %s", path);
		return;
	}
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

static _Noreturn void
run_worker(struct gw *g, int ps_fd, pid_t parent)
{
	g->ps_fd = ps_fd;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		fatalx("the privileged parent is gone");
	if (ps_drop_privileges(g->cfg->user) < 0)
		fatalx("cannot give up root");
	if (gw_worker_setup(g) < 0 || ps_confine_worker() < 0)
		exit(1);
	log_info("running: queues %u and %u, policy %s", g->cfg->queue_in,
	    g->cfg->queue_out, g->policy_path);
	exit(gw_worker_run(g) < 0 ? 1 : 0);
}

int
main(int argc, char **argv)
{
	static struct gw_config cfg;
	static struct gw g = { .cfg = &cfg, .ctl_fd = -1, .events_fd = -1, .nfq_proc_fd = -1 };
	struct opts o;
	char why[4352];
	int sp[2];
	pid_t parent, worker;

	prog_init(argc, argv);
	parse_args(argc, argv, &o);
	log_init("potemkin-gateway", true, o.verbose > 1 ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	if (o.print_removal) {
		rules_print_removal(stdout, o.v6);
		return 0;
	}
	if (!o.check && !o.print_rules && geteuid() != 0)
		fatalx("must run as root (it gives up root after setup)");
	load(&g, &o);
	if (o.check) {
		/* A type the clone tools do not define would fail every bind. */
		if (typecheck(&cfg, g.prog, g.policy_path) > 0)
			return 1;
		puts("configuration OK");
		return 0;
	}
	if (o.print_rules) {
		rules_print(stdout, &cfg, g.prog, o.v6);
		return 0;
	}
	if (cfg.pcap.ntypes && capdir_check(&cfg.pcap, why, sizeof(why)) < 0)
		fatalx("%s", why);
	if (!o.foreground) {
		daemonize();
		log_init("potemkin-gateway", false, o.verbose > 1 ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	}
	open_everything(&g);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		fatal("socketpair");
	parent = getpid();
	if ((worker = fork()) < 0)
		fatal("fork");
	if (worker == 0) {
		close(sp[0]);
		run_worker(&g, sp[1], parent);
	}
	/* The parent keeps none of the worker's descriptors. */
	close(sp[1]);
	nq_close(g.q_in);
	nq_close(g.q_out);
	tx_close(g.tx);
	close(g.raw_fd);
	for (int i = 0; i < GW_DNS_SOCKETS; i++)
		close(g.dns_fd[i]);
	close(g.ctl_fd);
	close(g.events_fd);
	if (g.nfq_proc_fd >= 0)
		close(g.nfq_proc_fd);
	fpk_close(&g.fpk);
	write_pidfile(cfg.pidfile);
	ps_parent_main(sp[0], worker, &cfg);
}
