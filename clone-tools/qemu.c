#include <err.h>
#include "vmm.h"
static int qemu_check(const struct vmm_conf *c, const struct vmm_type *t) { (void)c; (void)t; return 0; }
static int qemu_snapshot(const struct vmm_conf *c, const struct vmm_type *t, bool f) { (void)c; (void)t; (void)f; warnx("todo"); return -1; }
static int qemu_clone(const struct vmm_conf *c, const struct vmm_type *t, struct vmm_vm *v) { (void)c; (void)t; (void)v; warnx("todo"); return -1; }
static int qemu_teardown(const struct vmm_conf *c, struct vmm_vm *v) { (void)c; (void)v; return 0; }
static int qemu_freeze(const struct vmm_conf *c, struct vmm_vm *v, const char *e) { (void)c; (void)v; (void)e; return -1; }
static bool qemu_alive(const struct vmm_conf *c, const struct vmm_vm *v) { (void)c; (void)v; return false; }
const struct vmm_backend vmm_qemu_backend = { "qemu", "cow", qemu_check, qemu_snapshot, qemu_clone, qemu_teardown, qemu_freeze, qemu_alive };
