/* The qemu backend's parts shared by its files (qemu.c, qemu-run.c). */
#ifndef POTEMKIN_QEMU_H
#define POTEMKIN_QEMU_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"
#include "vmm.h"

struct qargs;

/* qemu-run.c: what one QEMU is started with. */
struct qemu_run {
	const struct vmm_type *t;
	unsigned id;		/* the clone's; 0 for a type's reference */
	const char *name;	/* QEMU's -name */
	const char *dir;	/* for qmp.sock and the root's mount point */
	const char *kernel;	/* on the host: the kernel, or the clones' stub */
	const char *memfile;	/* on the host */
	bool reference;		/* boots (with the initrd), memory shared */
	bool incoming;		/* waits for a snapshot (-incoming defer -S) */
	bool kvm;
	int tapfd;
	int console;		/* the guest's serial console is appended here */
	int log;		/* QEMU's own messages */
	/* Private to qemu_run. */
	int qmpfd;
	struct qargs *args;
	pid_t pid;		/* out: QEMU, PID 1 of its namespace */
};
int qemu_run(struct qemu_run *r, const struct cgroup *cg);

#endif
