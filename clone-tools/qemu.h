/* SPDX-License-Identifier: ISC */
/* The qemu backend's parts shared by its files (qemu.c, qemu-run.c). */
#ifndef POTEMKIN_QEMU_H
#define POTEMKIN_QEMU_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"
#include "vmm.h"

struct qargs;

/* What the reference's TCG may hold beyond a clone's: its cgroup allows it. */
#define QEMU_REFERENCE_TB_MB 128

/*
 * The machine a snapshot is taken on, and so its clones' (migration needs
 * the same devices).  No HPET: a TCG guest left with one kept QEMU's main
 * loop waking every 4 ms for it, 1 % of a CPU per idle clone (0.1 % with
 * neither it nor the guest's watchdogs, below).  Snapshots made before
 * record no machine, and had QEMU_MACHINE_OLD.
 */
#define QEMU_MACHINE "pc,memory-backend=ram,hpet=off"
#define QEMU_MACHINE_OLD "pc,memory-backend=ram"
/*
 * On every guest's kernel command line, for an idle guest that stays
 * idle: no clocksource watchdog (it reads the TSC against another clock
 * twice a second), no soft-lockup or NMI watchdog timers.
 */
#define QEMU_IDLE_APPEND "tsc=reliable nowatchdog nmi_watchdog=0"

/* qemu-run.c: what one QEMU is started with. */
struct qemu_run {
	const struct vmm_type *t;
	unsigned id;		/* the clone's; 0 for a type's reference */
	const char *name;	/* QEMU's -name */
	const char *dir;	/* for qmp.sock and the root's mount point */
	const char *kernel;	/* on the host: the kernel, or the clones' stub */
	const char *memfile;	/* on the host */
	const char *machine;	/* -machine: the snapshot's */
	/* A disk type's chain, on the host: the type's image, the snapshot's
	 * delta over it (written by the reference only) and a clone's own
	 * delta over that (NULL for the reference). */
	const char *base;
	const char *snapdisk;
	const char *disk;
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

/* qemu-disk.c: a disk type's snapshot delta and clones' overlays. */
struct qemu_disk {
	char snap[VMM_PATH_MAX];	/* SNAPDIR/disk.qcow2: the snapshot's delta */
	char blank[VMM_PATH_MAX];	/* SNAPDIR/clone.qcow2: a clone's, empty */
	char stamp[VMM_PATH_MAX];	/* SNAPDIR/disk.base: the image's identity */
};
int qemu_disk_paths(const char *snapdir, struct qemu_disk *d);
int qemu_disk_begin(const struct vmm_type *t, const char *path);
int qemu_disk_seal(const struct vmm_type *t, const char *newdelta,
    const struct qemu_disk *d);
int qemu_disk_install(const char *newdelta, const struct qemu_disk *d);
void qemu_disk_discard(const char *newdelta, const struct qemu_disk *d);
int qemu_disk_clone(const struct vmm_type *t, const struct qemu_disk *d,
    const char *path);
int qemu_disk_freeze(const struct vmm_vm *vm, const char *evdir);

#endif
