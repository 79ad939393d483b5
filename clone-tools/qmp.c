/* SPDX-License-Identifier: ISC */
#include "qmp.h"

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/monotime.h"
#include "vmm.h"

/*
 * The string value of the first member named key in json, unescaped, into
 * out.  A tiny scanner, not a parser: QEMU is the only peer.  Returns 0, or
 * -1 if there is no such string member or it does not fit.
 */
static int
qmp_json_string(const char *json, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = json; (p = strchr(p, '"')) != NULL; p++) {
		size_t n = 0;

		if (strncmp(p + 1, key, klen) != 0 || p[1 + klen] != '"')
			continue;
		p += klen + 2;
		p += strspn(p, " \t");
		if (*p != ':')
			continue;
		p++;
		p += strspn(p, " \t");
		if (*p != '"')
			continue;
		for (p++; *p && *p != '"'; p++) {
			char c = *p;

			if (c == '\\' && p[1]) {
				c = *++p;
				c = c == 'n' ? '\n' : c == 't' ? '\t' : c;
			}
			if (n + 1 >= size)
				return -1;
			out[n++] = c;
		}
		if (*p != '"')
			return -1;
		out[n] = '\0';
		return 0;
	}
	return -1;
}

/* Watching a process, the wait is cut in slices to look at it. */
static int
qmp_wait_io(struct qmp *q, short events)
{
	struct pollfd p = { .fd = q->fd, .events = events };
	int rc;

	for (;;) {
		uint64_t now = mono_ms(), left = q->deadline - now;

		if (now >= q->deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (q->watch > 0 && left > 20)
			left = 20;
		if ((rc = poll(&p, 1, (int)left)) != 0)
			return rc > 0 ? 0 : -1;
		if (q->watch > 0 && !vmm_pid_alive(q->watch)) {
			errno = ESRCH;
			return -1;
		}
	}
}

/* Next line of the stream into line (NUL-terminated, newline dropped). */
static int
qmp_line(struct qmp *q, char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(q->buf, '\n', q->len);
		ssize_t n;

		if (nl != NULL) {
			size_t l = (size_t)(nl - q->buf);

			if (l >= size) {
				errno = EMSGSIZE;
				return -1;
			}
			memcpy(line, q->buf, l);
			line[l] = '\0';
			q->len -= l + 1;
			memmove(q->buf, nl + 1, q->len);
			return 0;
		}
		if (q->len == sizeof(q->buf)) {
			errno = EMSGSIZE;
			return -1;
		}
		if (qmp_wait_io(q, POLLIN) == -1)
			return -1;
		n = read(q->fd, q->buf + q->len, sizeof(q->buf) - q->len);
		if (n == 0) {
			errno = ECONNRESET;
			return -1;
		}
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0)
			q->len += (size_t)n;
	}
}

static int
qmp_send(struct qmp *q, const char *cmd)
{
	size_t len = strlen(cmd), off = 0;

	while (off < len) {
		ssize_t n = send(q->fd, cmd + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

/* One command line with a descriptor attached (SCM_RIGHTS), for getfd. */
static int
qmp_send_fd(struct qmp *q, const char *cmd, int fd)
{
	char line[1024];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov;
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = u.buf, .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	int n = snprintf(line, sizeof(line), "%s\n", cmd);

	if (n < 0 || (size_t)n >= sizeof(line)) {
		errno = EMSGSIZE;
		return -1;
	}
	iov.iov_base = line;
	iov.iov_len = (size_t)n;
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(q->fd, &msg, MSG_NOSIGNAL) == n ? 0 : -1;
}

static bool
qmp_starts(const char *line, const char *member)
{
	const char *p = line + strspn(line, " {");

	return strncmp(p, member, strlen(member)) == 0;
}

static int
qmp_exchange(struct qmp *q, const char *what, const char *cmd, int fd,
    char *reply, size_t size, uint64_t timeout_ms)
{
	static char line[QMP_LINE_MAX];

	q->deadline = mono_ms() + timeout_ms;
	if (fd >= 0 ? qmp_send_fd(q, cmd, fd) == -1 :
	    qmp_send(q, cmd) == -1 || qmp_send(q, "\n") == -1) {
		warn("%s: QMP", what);
		return -1;
	}
	for (;;) {
		if (qmp_line(q, line, sizeof(line)) == -1) {
			warn("%s: QMP", what);
			return -1;
		}
		if (qmp_starts(line, "\"return\"")) {
			if (reply)
				snprintf(reply, size, "%s", line);
			return 0;
		}
		if (qmp_starts(line, "\"error\"")) {
			char desc[512];

			if (qmp_json_string(line, "desc", desc, sizeof(desc)) == -1)
				snprintf(desc, sizeof(desc), "%.200s", line);
			warnx("%s: QEMU says: %s", what, desc);
			return -1;
		}
		/* An event ({"timestamp": ..., "event": ...}): not ours. */
	}
}

int
qmp_cmd(struct qmp *q, const char *what, const char *cmd, char *reply,
    size_t size, uint64_t timeout_ms)
{
	return qmp_exchange(q, what, cmd, -1, reply, size, timeout_ms);
}

int
qmp_add_fd(struct qmp *q, const char *what, unsigned set, int fd,
    uint64_t timeout_ms)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "{\"execute\":\"add-fd\",\"arguments\":"
	    "{\"fdset-id\":%u}}", set);
	return qmp_exchange(q, what, cmd, fd, NULL, 0, timeout_ms);
}

int
qmp_getfd(struct qmp *q, const char *what, const char *name, int fd,
    uint64_t timeout_ms)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "{\"execute\":\"getfd\",\"arguments\":"
	    "{\"fdname\":\"%s\"}}", name);
	return qmp_exchange(q, what, cmd, fd, NULL, 0, timeout_ms);
}

int
qmp_open(struct qmp *q, const char *path, uint64_t timeout_ms)
{
	return qmp_open_watching(q, path, timeout_ms, 0);
}

int
qmp_open_watching(struct qmp *q, const char *path, uint64_t timeout_ms,
    pid_t pid)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char line[QMP_LINE_MAX];

	q->fd = -1;
	q->len = 0;
	q->watch = pid;
	q->deadline = mono_ms() + timeout_ms;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		warnx("%s: path too long for a socket", path);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	for (;;) {
		q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (q->fd == -1) {
			warn("socket");
			return -1;
		}
		if (connect(q->fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			break;
		close(q->fd);
		q->fd = -1;
		if ((errno != ENOENT && errno != ECONNREFUSED) ||
		    mono_ms() >= q->deadline || vmm_stop) {
			warn("connecting to QMP at %s", path);
			return -1;
		}
		usleep(1000);
	}
	if (qmp_line(q, line, sizeof(line)) == -1 ||
	    !qmp_starts(line, "\"QMP\"")) {
		int e = errno;

		if (e != ESRCH)
			warnx("%s: no QMP greeting", path);
		qmp_close(q);
		errno = e;
		return -1;
	}
	if (qmp_cmd(q, "QMP capabilities", "{\"execute\":\"qmp_capabilities\"}",
		NULL, 0, timeout_ms) == -1) {
		qmp_close(q);
		return -1;
	}
	return 0;
}

void
qmp_close(struct qmp *q)
{
	if (q->fd != -1)
		close(q->fd);
	q->fd = -1;
}

int
qmp_wait_migration(struct qmp *q, const char *what, uint64_t timeout_ms)
{
	uint64_t deadline = mono_ms() + timeout_ms;
	char reply[QMP_LINE_MAX], status[64];
	useconds_t pause = 200;

	for (;;) {
		if (qmp_cmd(q, what, "{\"execute\":\"query-migrate\"}", reply,
			sizeof(reply), 5000) == -1)
			return -1;
		if (qmp_json_string(reply, "status", status, sizeof(status)) == 0) {
			if (strcmp(status, "completed") == 0)
				return 0;
			if (strcmp(status, "failed") == 0 ||
			    strcmp(status, "cancelled") == 0) {
				char why[512];

				if (qmp_json_string(reply, "error-desc", why,
					sizeof(why)) == -1)
					snprintf(why, sizeof(why), "%s", status);
				warnx("%s: %s", what, why);
				return -1;
			}
		}
		if (mono_ms() >= deadline || vmm_stop) {
			warnx("%s: not completed within %llu ms", what,
			    (unsigned long long)timeout_ms);
			return -1;
		}
		usleep(pause);
		if (pause < 5000)
			pause *= 2;
	}
}
