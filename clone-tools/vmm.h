/* SPDX-License-Identifier: ISC */
/*
 * The clone tools' shared interface: vmm.conf, the state directory, the
 * record line, and the backend operations that make the same four verbs
 * (snapshot, clone, teardown, freeze) work on every backend.
 *
 * Errors are reported where they happen, err(3) style ("prog: what failed:
 * why"), and functions return 0 / -1; a command's main only chooses the exit
 * status.
 */
#ifndef POTEMKIN_VMM_H
#define POTEMKIN_VMM_H

#include <libconfig.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "lib/log.h"
#include "lib/record.h"

#define VMM_DEFAULT_CONF "/etc/potemkin/vmm.conf"
#define VMM_NAME_MAX RECORD_NAME_MAX	/* host type names, also directory names */
#define VMM_ID_MAX RECORD_ID_MAX
#define VMM_IFNAMSIZ RECORD_IFNAMSIZ
#define VMM_MACLEN MAC_STRLEN
#define VMM_PATH_MAX 512
#define VMM_MAX_SERVICES 16
#define VMM_MAX_PORTS 16
#define VMM_MAX_PATHS 16
#define VMM_MAX_BINDS 16
#define VMM_IDS_COUNT 65536	/* ids a clone's user namespace maps */

struct vmm_backend;

enum vmm_accel { VMM_ACCEL_TCG, VMM_ACCEL_KVM, VMM_ACCEL_AUTO };

/* A host path the type shows inside its clones (netns). */
struct vmm_bind {
	const char *src;	/* on the host, absolute */
	char dst[VMM_PATH_MAX];	/* inside the clone, absolute */
	bool rw;
};

/* What a clone's cgroup allows it (sandbox.c, cgroup.c). */
struct vmm_limits {
	uint64_t memory;	/* bytes */
	unsigned pids;
	unsigned cpu_milli;	/* thousandths of a CPU */
	int line;		/* of the limits group in vmm.conf, for errors */
};

/* One host type of vmm.conf.  Strings point into the libconfig tree. */
struct vmm_type {
	const char *name;
	const struct vmm_backend *backend;
	uint32_t guest_ip;	/* host byte order */
	uint8_t prefix;		/* guest_ip's prefix length on eth0 */
	uint32_t gw_ip;
	char mac[VMM_MACLEN];	/* qemu, xen: the guest's MAC (all clones) */
	uint64_t ready_timeout_ms;
	const char *ready;	/* qemu, xen: ready string on the console */

	/* The sandbox (netns, qemu): the host ids its processes run as,
	 * ids .. ids + VMM_IDS_COUNT - 1, and its cgroup's limits. */
	uint32_t ids;
	int ids_line;
	struct vmm_limits limits;

	/* netns */
	const char *services[VMM_MAX_SERVICES];	/* split at blanks, no shell */
	size_t nservices;
	uint16_t ready_tcp[VMM_MAX_PORTS];	/* clone waits until these listen */
	size_t nready_tcp;
	const char *evidence_paths[VMM_MAX_PATHS];
	size_t nevidence_paths;
	const char *home;	/* services' working directory, inside root */
	const char *root;	/* the clones' read-only root filesystem */
	const char *hostname;
	struct vmm_bind binds[VMM_MAX_BINDS];
	size_t nbinds;

	/* qemu, xen */
	const char *kernel;
	const char *initrd;
	const char *append;
	unsigned memory_mb;
	unsigned cpus;
	/* qemu */
	const char *qemu;
	const char *disk;	/* the guest's disk (qcow2), cloned copy-on-write */
	unsigned tcg_buffer_mb;	/* a clone's translated code, private to it */
	bool merge;		/* its QEMU's pages offered to the kernel's KSM */
	enum vmm_accel accel;
	unsigned pool;		/* clones kept loaded and paused, ahead of demand */
	/* xen */
	const char *xl;
	const char *console_log;	/* printf pattern, %s = domain name */
	const char *vif_script;
	const char *domain_type;	/* "pv" or "pvh" */
};

struct vmm_conf {
	config_t cfg;
	const char *path;
	const char *statedir;
	const char *memdir;	/* tmpfs: qemu memory files, clones' layers */
	const char *netns_dir;	/* named namespaces, /run/netns */
	const char *cgroup;	/* clones' parent group in each hierarchy */
	struct vmm_type *types;
	size_t ntypes;
};

#define VMM_POOL_MAX 64

/* In a clone's directory: made ahead of demand, not handed out yet; holds
 * the type's name. */
#define VMM_POOLED "pooled"

/* A clone as the tools see it: its id, directory and record. */
struct vmm_vm {
	unsigned id;
	char dir[VMM_PATH_MAX];	/* STATEDIR/vms/ID */
	int lockfd;		/* the directory, flock()ed while we work on it */
	struct clone_record rec;
	const struct vmm_type *type;	/* NULL if vmm.conf no longer has it */
};

struct vmm_backend {
	const char *name;
	const char *memory;	/* how clones share memory: host, cow, copy */
	bool sandboxed;		/* clones run in sandbox.c's cage */
	/* Backend-specific checks of a type after vmm.conf is read. */
	int (*check)(const struct vmm_conf *, const struct vmm_type *);
	int (*snapshot)(const struct vmm_conf *, const struct vmm_type *,
	    bool force);
	/* Fill vm->rec (ifname, mac, guest_ip, pid, ...) and start the clone.
	 * On failure nothing the call made may remain. */
	int (*clone)(const struct vmm_conf *, const struct vmm_type *,
	    struct vmm_vm *);
	/* Free every resource but the directory itself. */
	int (*teardown)(const struct vmm_conf *, struct vmm_vm *);
	/* Stop the clone and save what it has into evdir (which exists). */
	int (*freeze)(const struct vmm_conf *, struct vmm_vm *, const char *evdir);
	bool (*alive)(const struct vmm_conf *, const struct vmm_vm *);
	/*
	 * Optional, for pools (pool.c).  pool_make: a clone, its directory
	 * made, to wait in the pool (ready, or paused); pool_take: make a
	 * pooled clone the caller's, as clone would have (rec.ip/has_ip set
	 * by the caller; the rest of rec filled here), running.
	 */
	int (*pool_make)(const struct vmm_conf *, const struct vmm_type *,
	    struct vmm_vm *);
	int (*pool_take)(const struct vmm_conf *, const struct vmm_type *,
	    struct vmm_vm *);
};

extern const struct vmm_backend vmm_netns_backend;
extern const struct vmm_backend vmm_qemu_backend;
extern const struct vmm_backend vmm_xen_backend;

/* config.c */
int vmm_conf_load(struct vmm_conf *conf, const char *path);
void vmm_conf_free(struct vmm_conf *conf);
/* The type of this name, or NULL: a lookup, so that state.c needs no loader. */
static inline const struct vmm_type *
vmm_conf_type(const struct vmm_conf *conf, const char *name)
{
	for (size_t i = 0; i < conf->ntypes; i++)
		if (strcmp(conf->types[i].name, name) == 0)
			return &conf->types[i];
	return NULL;
}

/* backends.c */
const struct vmm_backend *vmm_backend_by_name(const char *name);

/* ids.c: no host user, group or subordinate range has one of t's ids */
int vmm_ids_free(const struct vmm_conf *conf, const struct vmm_type *t);

/* mac.c */
void vmm_mac_for_id(unsigned id, char mac[VMM_MACLEN]);
bool vmm_mac_valid(const char *mac);

/* state.c */
int vmm_state_init(const struct vmm_conf *conf);
int vmm_snapshot_dir(const struct vmm_conf *conf, const char *type,
    char *buf, size_t size);
int vmm_vm_alloc(const struct vmm_conf *conf, struct vmm_vm *vm);
enum vmm_lock { VMM_LOCK_NONE, VMM_LOCK_TRY, VMM_LOCK_WAIT };
int vmm_vm_open(const struct vmm_conf *conf, const char *idstr,
    struct vmm_vm *vm, enum vmm_lock mode);
int vmm_vm_write_record(struct vmm_vm *vm);
int vmm_vm_remove(struct vmm_vm *vm);
void vmm_vm_close(struct vmm_vm *vm);
int vmm_vm_list(const struct vmm_conf *conf, unsigned **ids, size_t *n);
int vmm_evidence_dir(const struct vmm_conf *conf, const struct vmm_vm *vm,
    char *buf, size_t size);
int vmm_path(char *buf, size_t size, const char *fmt, ...) PK_PRINTF(3, 4);

/* A type's or a host's name: [A-Za-z0-9_-], 1 to VMM_NAME_MAX - 1 long. */
bool vmm_name_ok(const char *name);

/* util.c: files and processes */
/* Set by SIGINT, SIGTERM, SIGHUP: waits give up, the command cleans up. */
extern volatile sig_atomic_t vmm_stop;
void vmm_catch_signals(void);
int vmm_write_file(const char *path, const char *data, size_t len, int mode);
int vmm_read_file(const char *path, char *buf, size_t size, size_t *len);
int vmm_copy_file(const char *from, const char *to);
int vmm_copy_tree(const char *from, const char *to, bool exact);
int vmm_rm_tree(const char *path);
pid_t vmm_spawn(char *const argv[], int outfd, const int *keep, size_t nkeep);
int vmm_wait(pid_t pid, uint64_t timeout_ms, int *status);
int vmm_run(char *const argv[], int outfd, uint64_t timeout_ms);
bool vmm_pid_alive(long pid);
int vmm_wait_string(const char *path, off_t off, const char *needle,
    uint64_t timeout_ms, pid_t watch);
const char *vmm_progname(void);
void vmm_retitle(const char *title);
int vmm_secure_dir(const char *what, const char *path, int mode, bool tmpfs);

#endif
