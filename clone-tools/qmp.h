/* SPDX-License-Identifier: ISC */
/*
 * A small QMP client: enough of QEMU's machine protocol to stop, migrate,
 * resume, dump and quit a guest.  One command at a time; asynchronous events
 * that arrive in between are skipped.  Replies are read as lines of JSON and
 * only the few members we need are picked out of them.
 */
#ifndef POTEMKIN_QMP_H
#define POTEMKIN_QMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define QMP_LINE_MAX 16384

struct qmp {
	int fd;
	char buf[QMP_LINE_MAX];
	size_t len;		/* bytes in buf not yet consumed */
	uint64_t deadline;	/* mono_ms of the current operation */
	pid_t watch;		/* if > 0: give up (ESRCH) once it is gone */
};

/* Connect (retrying while the socket appears), read the greeting, and
 * negotiate capabilities. */
int qmp_open(struct qmp *q, const char *path, uint64_t timeout_ms);
/* The same while QEMU pid lives: its death fails it quietly, with ESRCH. */
int qmp_open_watching(struct qmp *q, const char *path, uint64_t timeout_ms,
    pid_t pid);
void qmp_close(struct qmp *q);
/*
 * Send one command ({"execute": ...}) and wait for its reply.  reply, if
 * given, receives the reply line.  An "error" reply is reported with what
 * and QEMU's description.
 */
int qmp_cmd(struct qmp *q, const char *what, const char *cmd, char *reply,
    size_t size, uint64_t timeout_ms);
/* Hand QEMU a descriptor under a name (getfd), e.g. for "fd:NAME" URIs. */
int qmp_getfd(struct qmp *q, const char *what, const char *name, int fd,
    uint64_t timeout_ms);
/* Put a descriptor in QEMU's fd set (add-fd), e.g. for "/dev/fdset/N". */
int qmp_add_fd(struct qmp *q, const char *what, unsigned set, int fd,
    uint64_t timeout_ms);
/* Poll query-migrate until "completed"; "failed" or a timeout fail. */
int qmp_wait_migration(struct qmp *q, const char *what, uint64_t timeout_ms);

#endif
