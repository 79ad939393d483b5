/* SPDX-License-Identifier: ISC */
/*
 * The privileged parent and the worker's side of its socketpair.
 *
 * The parent runs commands with posix_spawnp, each in a process group of its
 * own (so a timeout kills the whole command), with stdout and stderr on
 * pipes: a clone's record is the last line it printed, a failure is
 * explained by the last line of its stderr.  It never reads anything but
 * fixed-size requests from the worker, and checks every field it puts on a
 * command line.
 */
#include "privsep.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "lib/addr.h"
#include "lib/log.h"
#include "lib/monotime.h"
#include "lib/record.h"
#include "lib/spawn.h"

#define PS_CHILDREN_MAX 256
#define PS_CLONES_WAITING_MAX 8192	/* clone requests waiting for a slot */
#define PS_KILL_GRACE_MS 5000

struct ps_child {
	pid_t pid;
	uint32_t op, serial;
	int32_t vm;
	char type[ENG_TYPE_MAX];	/* PS_CLONE: whether to capture it */
	int out, err;
	char outbuf[PS_TEXT_MAX];
	size_t outlen;
	bool overflow;		/* outbuf lost its head: only the tail is kept */
	char errbuf[512];
	size_t errlen;
	bool exited;
	int status;
	uint64_t exited_ms;
	uint64_t deadline;	/* mono ms; then SIGTERM, then SIGKILL */
	int kills;
};

struct ps_parent {
	const struct gw_config *c;
	int sock;
	int sigfd;
	pid_t worker;
	bool worker_gone;	/* no more replies: it asked to exit, or left */
	bool sock_closed;	/* no more requests: the stream ended */
	bool worker_reaped;
	int worker_status;
	struct ps_child child[PS_CHILDREN_MAX];
	int nchild;
	/*
	 * Commands beyond `clone.processes` wait here, in order, rather than
	 * being refused.  A teardown or a freeze is never refused (each stands
	 * for a clone that must go), but one for a clone already waiting for
	 * the same is the same request, and clone ids are bounded: the queue
	 * holds at most two per id and PS_CLONES_WAITING_MAX clone requests,
	 * whatever a worker asks.
	 */
	struct ps_request *queue;
	size_t qhead, qlen, qcap, qclones;
	uint8_t waiting[2][(RECORD_ID_MAX + 8) / 8];	/* teardown, freeze: by id */
};

/* Is s a host type name we will put on a command line? [A-Za-z0-9._-], 1..31 */
static int
ps_valid_type(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= ENG_TYPE_MAX || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '_' ||
		    s[i] == '-'))
			return 0;
	return 1;
}

/* ---- messages -------------------------------------------------------------- */

static int
ps_reply_send(int fd, const struct ps_reply *rp, const int *fds, int nfds)
{
	char cbuf[CMSG_SPACE(PS_FDS_MAX * sizeof(int))];
	struct iovec iov = { (void *)(uintptr_t)rp, sizeof(*rp) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (nfds > 0) {
		struct cmsghdr *cm;

		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
	}
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*rp) ? 0 : -1;
}

int
ps_recv_fds(int fd, struct ps_reply *rp, int fds[PS_FDS_MAX])
{
	char cbuf[CMSG_SPACE(PS_FDS_MAX * sizeof(int))];
	struct iovec iov = { rp, sizeof(*rp) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	for (int i = 0; i < PS_FDS_MAX; i++)
		fds[i] = -1;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n == 0 ? 0 : -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS) {
			size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			memcpy(fds, CMSG_DATA(cm), (k > PS_FDS_MAX ? PS_FDS_MAX : k) * sizeof(int));
		}
	}
	if (n != (ssize_t)sizeof(*rp)) {
		for (int i = 0; i < PS_FDS_MAX; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		errno = EPROTO;
		return -1;
	}
	rp->text[PS_TEXT_MAX - 1] = '\0';
	return 1;
}

int
ps_recv(int fd, struct ps_reply *rp, int *passed_fd)
{
	int fds[PS_FDS_MAX], r = ps_recv_fds(fd, rp, fds);

	for (int i = 1; i < PS_FDS_MAX; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	*passed_fd = fds[0];
	return r;
}

/* ---- dropping privileges --------------------------------------------------- */

/*
 * The worker's root: a fresh directory, removed before the worker enters
 * it, so that its file system holds nothing at all and nothing is left
 * behind.  Everything it needs is open by now (queues, sockets, the
 * events file, syslog's socket); what it may need later, the parent opens.
 */
static __attribute__((unused)) int
enter_empty_root(void)
{
	char dir[] = "/tmp/potemkin-root.XXXXXX";
	int fd, rc = -1;

	if (mkdtemp(dir) == NULL)
		return -1;
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rmdir(dir);
		return -1;
	}
	if (rmdir(dir) == 0 && fchdir(fd) == 0 && chroot(".") == 0 && chdir("/") == 0)
		rc = 0;
	close(fd);
	return rc;
}

int
ps_drop_privileges(const char *user)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	uint32_t keep = 1u << CAP_NET_ADMIN;
	struct passwd *pw;

	if (user == NULL || *user == '\0' || strcmp(user, "root") == 0)
		return 0;
	if ((pw = getpwnam(user)) == NULL) {
		log_warnx("user %s does not exist", user);
		return -1;
	}
#if !defined(__SANITIZE_ADDRESS__)	/* LeakSanitizer reads /proc at exit */
	if (enter_empty_root() < 0) {
		log_warn("an empty root for the worker");
		return -1;
	}
#endif
	if (prctl(PR_SET_KEEPCAPS, 1) < 0 || setgroups(1, &pw->pw_gid) < 0 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
		log_warn("dropping privileges to %s", user);
		return -1;
	}
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = keep;
	if (syscall(SYS_capset, &hdr, data) < 0 || prctl(PR_SET_KEEPCAPS, 0) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		log_warn("keeping CAP_NET_ADMIN alone");
		return -1;
	}
	return 0;
}

/* worker_filter: the worker's allow list, built by worker-filter-gen. */
#include "worker-filter.inc"

int
ps_confine_worker(void)
{
	struct sock_fprog prog = {
		.len = sizeof(worker_filter) / sizeof(worker_filter[0]),
		.filter = worker_filter,
	};

#if defined(__SANITIZE_ADDRESS__)
	/*
	 * ASan's leak check at exit runs a tracer thread (clone, ptrace) the
	 * allow list refuses, and reads /proc: sanitized builds, tests only,
	 * run unfiltered and in the host's root.
	 */
	log_warnx("sanitized build: the worker runs without its system call filter "
	    "and in the host's root");
	return 0;
#endif
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
		log_warn("the worker's system call filter");
		return -1;
	}
	return 0;
}

/* ---- the parent ------------------------------------------------------------ */

static void
reply_fds(struct ps_parent *p, uint32_t op, uint32_t serial, int status,
    const char *text, const int *fds, int nfds)
{
	struct ps_reply rp = { .op = op, .serial = serial, .status = status };

	snprintf(rp.text, sizeof(rp.text), "%s", text ? text : "");
	/* A worker that has gone cannot be answered; its requests still count. */
	if (!p->worker_gone)
		(void)ps_reply_send(p->sock, &rp, fds, nfds);
}

static void
reply(struct ps_parent *p, uint32_t op, uint32_t serial, int status,
    const char *text, int pass_fd)
{
	reply_fds(p, op, serial, status, text, &pass_fd, pass_fd >= 0);
}

/* argv = the configured command + its arguments for this request. */
static int
build_argv(const struct ps_parent *p, const struct ps_request *rq, char **argv,
    char bufs[3][32])
{
	const struct gw_argv *cmd;
	int n = 0;

	switch (rq->op) {
	case PS_CLONE: cmd = &p->c->clone_cmd; break;
	case PS_TEARDOWN: cmd = &p->c->teardown_cmd; break;
	case PS_FREEZE: cmd = &p->c->freeze_cmd; break;
	case PS_HOSTS: cmd = &p->c->hosts_cmd; break;
	default: return -1;
	}
	if (cmd->argc == 0)
		return -1;
	for (int i = 0; i < cmd->argc; i++)
		argv[n++] = cmd->argv[i];
	if (rq->op == PS_HOSTS) {
		/* as configured, nothing added */
	} else if (rq->op == PS_CLONE) {
		if (!ps_valid_type(rq->type))
			return -1;
		argv[n++] = (char *)(uintptr_t)"--type";
		argv[n++] = (char *)(uintptr_t)rq->type;
		argv[n++] = (char *)(uintptr_t)"--ip";
		argv[n++] = addr_fmt(rq->ip, bufs[0]);
		argv[n++] = (char *)(uintptr_t)"--universe";
		snprintf(bufs[1], 32, "%u", rq->universe);
		argv[n++] = bufs[1];
	} else {
		if (rq->vm < 1 || rq->vm > RECORD_ID_MAX)
			return -1;	/* no clone has this id */
		snprintf(bufs[2], 32, "%d", rq->vm);
		argv[n++] = bufs[2];
	}
	argv[n] = NULL;
	return 0;
}

static bool
busy(const struct ps_parent *p)
{
	return p->nchild == PS_CHILDREN_MAX || (uint32_t)p->nchild >= p->c->clones_max_procs;
}

static int
spawn(struct ps_parent *p, const struct ps_request *rq)
{
	char *argv[GW_ARGV_MAX + 8], bufs[3][32];
	int out[2] = { -1, -1 }, err[2] = { -1, -1 };
	struct ps_child *ch;
	pid_t pid;
	int rc;

	if (build_argv(p, rq, argv, bufs) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (busy(p)) {
		errno = EAGAIN;
		return -1;
	}
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		goto fail;
	rc = spawn_group(argv, out[1], err[1], &pid);
	close(out[1]);
	close(err[1]);
	out[1] = err[1] = -1;
	if (rc != 0) {
		errno = rc;
		goto fail;
	}
	ch = &p->child[p->nchild++];
	memset(ch, 0, sizeof(*ch));
	ch->pid = pid;
	ch->op = rq->op;
	ch->serial = rq->serial;
	ch->vm = rq->vm;
	memcpy(ch->type, rq->type, sizeof(ch->type));
	ch->out = out[0];
	ch->err = err[0];
	ch->deadline = mono_ms() + p->c->clone_timeout_ms;
	fcntl(ch->out, F_SETFL, O_NONBLOCK);
	fcntl(ch->err, F_SETFL, O_NONBLOCK);
	return 0;
fail:
	rc = errno;
	for (int i = 0; i < 2; i++) {
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	errno = rc;
	return -1;
}

/*
 * The policy is a regular file: a FIFO (or a device) put in its place
 * would hold the parent in open() or the worker in read(), and a reload
 * would never answer.
 */
static int
open_policy(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	fcntl(fd, F_SETFL, 0);
	return fd;
}

static int
open_file(struct ps_parent *p, uint32_t op)
{
	if (op == PS_OPEN_POLICY)
		return open_policy(p->c->policy);
	if (strcmp(p->c->events, "-") == 0)
		return dup(STDOUT_FILENO);
	/* O_NONBLOCK: a FIFO without a reader must never stall the worker. */
	return open(p->c->events, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK |
	    O_CLOEXEC, 0640);
}

/* Keep rq for later; -1 (errno EAGAIN) only for a clone over its bound. */
/* The bit of a queued teardown or freeze of rq's clone; NULL for a clone request. */
static uint8_t *
waiting_bit(struct ps_parent *p, const struct ps_request *rq, uint8_t *mask)
{
	if (rq->op == PS_CLONE || rq->vm < 1 || rq->vm > RECORD_ID_MAX)
		return NULL;
	*mask = (uint8_t)(1u << (rq->vm % 8));
	return &p->waiting[rq->op == PS_FREEZE][rq->vm / 8];
}

static int
enqueue(struct ps_parent *p, const struct ps_request *rq)
{
	uint8_t mask = 0, *w = waiting_bit(p, rq, &mask);

	if (rq->op == PS_CLONE && p->qclones >= PS_CLONES_WAITING_MAX) {
		errno = EAGAIN;
		return -1;
	}
	if (rq->op != PS_CLONE && w == NULL) {
		errno = EINVAL;		/* no clone has this id: spawn refuses it */
		return -1;
	}
	if (w && (*w & mask))
		return 0;		/* already waiting: the same request */
	if (w)
		*w |= mask;
	if (p->qlen == p->qcap) {
		size_t cap = p->qcap ? p->qcap * 2 : 256;
		struct ps_request *q = malloc(cap * sizeof(*q));

		if (q == NULL)
			fatal("privsep: queue");
		/* Unroll the ring into the new array, oldest first. */
		for (size_t i = 0; i < p->qlen; i++)
			q[i] = p->queue[(p->qhead + i) % p->qcap];
		free(p->queue);
		p->queue = q;
		p->qhead = 0;
		p->qcap = cap;
	}
	p->queue[(p->qhead + p->qlen++) % p->qcap] = *rq;
	if (rq->op == PS_CLONE)
		p->qclones++;
	return 0;
}

/* Whether a freeze of vm runs or waits: its capture is in that freeze's hands. */
static bool
freeze_pending(const struct ps_parent *p, int vm)
{
	for (int i = 0; i < p->nchild; i++)
		if (p->child[i].op == PS_FREEZE && p->child[i].vm == vm)
			return true;
	return vm >= 1 && vm <= RECORD_ID_MAX &&
	    (p->waiting[1][vm / 8] & (1u << (vm % 8))) != 0;
}

static void
handle_request(struct ps_parent *p, const struct ps_request *rq)
{
	char why[256];
	int fd;

	switch (rq->op) {
	case PS_CLONE:
	case PS_TEARDOWN:
	case PS_FREEZE:
		if ((busy(p) ? enqueue(p, rq) : spawn(p, rq)) < 0) {
			snprintf(why, sizeof(why), "cannot run the command: %s",
			    errno == EINVAL ? "invalid request" : strerror(errno));
			if (p->worker_gone)
				log_warnx("privsep: clone %d: %s", rq->vm, why);
			reply(p, rq->op, rq->serial, -1, why, -1);
			/* A freeze that never starts still owes its files a place. */
			if (rq->op == PS_FREEZE && p->c->pcap.ntypes &&
			    !freeze_pending(p, rq->vm))
				capdir_freeze_end(&p->c->pcap, rq->vm, NULL);
		}
		break;
	case PS_HOSTS:
		/* Never queued: the worker asks again at its next interval. */
		if (spawn(p, rq) < 0)
			reply(p, rq->op, 0, -1, errno == EAGAIN ? "all process slots busy" :
			    strerror(errno), -1);
		break;
	case PS_OPEN_POLICY:
	case PS_OPEN_EVENTS:
		/* A reload starts here; the worker says READY when it is over. */
		if (rq->op == PS_OPEN_POLICY)
			ps_notify_reloading();
		if ((fd = open_file(p, rq->op)) < 0) {
			snprintf(why, sizeof(why), "%s: %s", rq->op == PS_OPEN_POLICY ?
			    p->c->policy : p->c->events, rq->op == PS_OPEN_POLICY &&
			    errno == EINVAL ? "not a regular file" : strerror(errno));
			reply(p, rq->op, rq->serial, -1, why, -1);
		} else {
			reply(p, rq->op, rq->serial, 0, "", fd);
			close(fd);
		}
		break;
	case PS_NOTIFY:
		ps_notify_request(rq);
		break;
	case PS_PCAP_ROTATE:
		fd = p->c->pcap.ntypes && rq->vm >= 1 && rq->vm <= RECORD_ID_MAX &&
		    rq->serial < CAP_VIEWS ? capdir_rotate(&p->c->pcap, rq->vm,
		    (int)rq->serial) : -1;
		reply(p, rq->op, (uint32_t)rq->vm * 2 + rq->serial, fd < 0 ? -1 : 0,
		    "", fd);
		if (fd >= 0)
			close(fd);
		break;
	case PS_EXIT:
		/*
		 * The last reply it gets: anything it was told before, it
		 * handles (a clone's record becomes a teardown request, still
		 * read here until the stream ends); anything after is ours.
		 */
		ps_notify_stopping();
		reply(p, PS_EXIT, 0, 0, "", -1);
		p->worker_gone = true;
		break;
	default:
		log_warnx("privsep: unknown request %u", rq->op);
		p->worker_gone = true;
	}
}

/* Run waiting commands while there are process slots. */
static void
start_queued(struct ps_parent *p)
{
	while (p->qlen > 0 && !busy(p)) {
		struct ps_request rq = p->queue[p->qhead];

		uint8_t mask = 0, *w = waiting_bit(p, &rq, &mask);

		p->qhead = (p->qhead + 1) % p->qcap;
		p->qlen--;
		if (rq.op == PS_CLONE)
			p->qclones--;
		if (w)
			*w &= (uint8_t)~mask;
		if (p->worker_gone && rq.op == PS_CLONE)
			continue;	/* nobody wants it any more */
		handle_request(p, &rq);
	}
}

/* Append what fd has to buf, keeping the tail when it overflows. */
static void
drain(int *fd, char *buf, size_t cap, size_t *len, bool *overflow)
{
	char tmp[512];
	ssize_t n;

	while ((n = read(*fd, tmp, sizeof(tmp))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (*len == cap - 1) {
				memmove(buf, buf + cap / 2, *len - cap / 2);
				*len -= cap / 2;
				if (overflow)
					*overflow = true;
			}
			buf[(*len)++] = tmp[i];
		}
	}
	buf[*len] = '\0';
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		close(*fd);
		*fd = -1;
	}
}

/* The last non-empty line of buf (modified in place). */
static const char *
last_line(char *buf)
{
	char *end = buf + strlen(buf), *start;

	while (end > buf && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		*--end = '\0';
	start = strrchr(buf, '\n');
	return start ? start + 1 : buf;
}

/*
 * Its capture's files, before the command runs: the worker closed them
 * before it asked, and the id may be reused once the command is done.
 */
static void
capture_files(struct ps_parent *p, const struct ps_request *rq)
{
	if (p->c->pcap.ntypes == 0 || rq->vm < 1 || rq->vm > RECORD_ID_MAX)
		return;
	if (rq->op == PS_TEARDOWN)
		capdir_teardown(&p->c->pcap, rq->vm);
	else if (rq->op == PS_FREEZE)
		(void)capdir_freeze_begin(&p->c->pcap, rq->vm);	/* ended when it is */
}

/* A new clone's record, with its capture's descriptors if its type is captured. */
static void
reply_clone(struct ps_parent *p, const struct ps_child *ch, const char *record)
{
	int fds[CAP_VIEWS], vm = record_id(record);

	if (vm < 1 || !gw_pcap_wanted(p->c, ch->type) ||
	    capdir_open(&p->c->pcap, vm, fds) < 0) {
		reply(p, ch->op, ch->serial, 0, record, -1);
		return;
	}
	reply_fds(p, ch->op, ch->serial, 0, record, fds, CAP_VIEWS);
	for (int v = 0; v < CAP_VIEWS; v++)
		close(fds[v]);
}

/* Tear down a clone from its record line, unless clones are to be kept. */
static void
orphan_clone(struct ps_parent *p, const char *record)
{
	struct ps_request rq = { .op = PS_TEARDOWN };

	if (p->c->on_exit_keep || (rq.vm = record_id(record)) < 0)
		return;
	handle_request(p, &rq);
}

static void
finish_child(struct ps_parent *p, int i)
{
	struct ps_child *ch = &p->child[i];
	char why[PS_TEXT_MAX];
	const char *err = last_line(ch->errbuf);
	bool ok = WIFEXITED(ch->status) && WEXITSTATUS(ch->status) == 0;

	/*
	 * A hosts check must be whole: one cut short by its deadline, or
	 * whose lines did not all fit, would report hosts down that are not
	 * and miss some that are.
	 */
	if (ch->op == PS_HOSTS && ok && (ch->kills || ch->overflow)) {
		reply(p, ch->op, 0, -1, ch->kills ? "timed out" :
		    "its output is longer than the gateway takes", -1);
		p->child[i] = p->child[--p->nchild];
		return;
	}
	if (ok && p->worker_gone && ch->op == PS_CLONE) {
		/* Made after the worker left: nobody will ever use or reclaim it. */
		orphan_clone(p, last_line(ch->outbuf));
	} else if (ok && ch->op == PS_CLONE) {
		reply_clone(p, ch, last_line(ch->outbuf));
	} else if (ok) {
		if (ch->op == PS_FREEZE && p->c->pcap.ntypes)
			capdir_freeze_end(&p->c->pcap, ch->vm, last_line(ch->outbuf));
		reply(p, ch->op, ch->serial, 0, ch->op == PS_HOSTS ? ch->outbuf :
		    last_line(ch->outbuf), -1);
	} else {
		if (ch->op == PS_FREEZE && p->c->pcap.ntypes)
			capdir_freeze_end(&p->c->pcap, ch->vm, NULL);
		if (ch->kills)
			snprintf(why, sizeof(why), "timed out after %ums",
			    p->c->clone_timeout_ms);
		else if (WIFSIGNALED(ch->status))
			snprintf(why, sizeof(why), "killed by signal %d%s%s",
			    WTERMSIG(ch->status), *err ? ": " : "", err);
		else
			snprintf(why, sizeof(why), "%s", *err ? err : "failed without a word");
		if (p->worker_gone && (ch->op == PS_TEARDOWN || ch->op == PS_FREEZE))
			log_warnx("%s of clone %d: %s", ch->op == PS_FREEZE ? "freeze" :
			    "teardown", ch->vm, why);
		reply(p, ch->op, ch->serial, -1, why, -1);
	}
	p->child[i] = p->child[--p->nchild];
}

static void
reap(struct ps_parent *p)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == p->worker) {
			/*
			 * Its last requests may still wait in the socket: the
			 * worker is gone only when the socket says so.
			 */
			p->worker_reaped = true;
			p->worker_status = status;
			continue;
		}
		for (int i = 0; i < p->nchild; i++) {
			if (p->child[i].pid == pid) {
				p->child[i].exited = true;
				p->child[i].status = status;
				p->child[i].exited_ms = mono_ms();
			}
		}
	}
}

static void
handle_signal(struct ps_parent *p)
{
	struct signalfd_siginfo si;

	while (read(p->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			reap(p);
			continue;
		}
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			ps_notify_stopping();
		if (!p->worker_gone)
			kill(p->worker, (int)si.ssi_signo);
	}
}

/* Past its deadline: SIGTERM to its group, SIGKILL after a grace period. */
static void
enforce_deadlines(struct ps_parent *p, uint64_t now)
{
	for (int i = 0; i < p->nchild; i++) {
		struct ps_child *ch = &p->child[i];

		if (ch->exited || now < ch->deadline)
			continue;
		kill(-ch->pid, ch->kills ? SIGKILL : SIGTERM);
		ch->kills++;
		ch->deadline = now + PS_KILL_GRACE_MS;
	}
}

static int
poll_timeout(const struct ps_parent *p, uint64_t now)
{
	uint64_t next = UINT64_MAX;

	for (int i = 0; i < p->nchild; i++) {
		if (!p->child[i].exited && p->child[i].deadline < next)
			next = p->child[i].deadline;
		if (p->child[i].exited && p->child[i].exited_ms + 1001 < next)
			next = p->child[i].exited_ms + 1001;
	}
	if (next == UINT64_MAX)
		return -1;
	return next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
}

void
ps_parent_main(int fd, pid_t worker, const struct gw_config *c)
{
	static struct ps_parent p;
	struct pollfd pfd[2 + 2 * PS_CHILDREN_MAX];
	sigset_t mask;

	p.c = c;
	p.sock = fd;
	p.worker = worker;
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((p.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		fatal("privsep: signalfd");
	reap(&p);

	/* Until the worker's stream ends and every command it asked for is done. */
	while (!p.sock_closed || p.nchild > 0 || p.qlen > 0) {
		int n = 0, k;

		pfd[n++] = (struct pollfd){ p.sigfd, POLLIN, 0 };
		pfd[n++] = (struct pollfd){ p.sock_closed ? -1 : p.sock, POLLIN, 0 };
		for (int i = 0; i < p.nchild; i++) {
			pfd[n++] = (struct pollfd){ p.child[i].out, POLLIN, 0 };
			pfd[n++] = (struct pollfd){ p.child[i].err, POLLIN, 0 };
		}
		if (poll(pfd, (nfds_t)n, poll_timeout(&p, mono_ms())) < 0 && errno != EINTR)
			fatal("privsep: poll");
		if (pfd[0].revents)
			handle_signal(&p);
		if (pfd[1].revents) {
			struct ps_request rq;
			ssize_t r = recv(p.sock, &rq, sizeof(rq), 0);

			/*
			 * A worker that exits with replies unread makes the
			 * kernel report ECONNRESET once; its requests still wait
			 * behind the error and are read on.  Only the end of the
			 * stream says it is gone.
			 */
			if (r == (ssize_t)sizeof(rq)) {
				rq.type[sizeof(rq.type) - 1] = '\0';
				capture_files(&p, &rq);
				handle_request(&p, &rq);
			} else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN &&
			    errno != ECONNRESET)) {
				p.worker_gone = p.sock_closed = true;
			}
		}
		k = 2;
		for (int i = 0; i < p.nchild; i++, k += 2) {
			struct ps_child *ch = &p.child[i];

			if (ch->out >= 0 && pfd[k].revents)
				drain(&ch->out, ch->outbuf, sizeof(ch->outbuf), &ch->outlen,
				    &ch->overflow);
			if (ch->err >= 0 && pfd[k + 1].revents)
				drain(&ch->err, ch->errbuf, sizeof(ch->errbuf), &ch->errlen, NULL);
		}
		/*
		 * A command is done when it exited and its pipes are drained;
		 * a daemon it left holding them gets a second, then is ignored.
		 */
		for (int i = p.nchild; i-- > 0;) {
			struct ps_child *ch = &p.child[i];

			if (ch->exited && mono_ms() > ch->exited_ms + 1000) {
				if (ch->out >= 0)
					close(ch->out);
				if (ch->err >= 0)
					close(ch->err);
				ch->out = ch->err = -1;
			}
			if (ch->exited && ch->out < 0 && ch->err < 0)
				finish_child(&p, i);
		}
		start_queued(&p);
		if (p.worker_gone) {
			/* Clones nobody will use: stop them (they clean up after themselves). */
			for (int i = 0; i < p.nchild; i++)
				if (p.child[i].op == PS_CLONE && p.child[i].kills == 0)
					p.child[i].deadline = 0;
		}
		enforce_deadlines(&p, mono_ms());
	}
	if (!p.worker_reaped)
		waitpid(p.worker, &p.worker_status, 0);
	if (*c->control_socket)
		unlink(c->control_socket);
	if (*c->pidfile)
		unlink(c->pidfile);
	exit(WIFEXITED(p.worker_status) ? WEXITSTATUS(p.worker_status) : 1);
}
