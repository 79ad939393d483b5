#include <err.h>
#include "vmm.h"
static int xen_check(const struct vmm_conf *c, const struct vmm_type *t) { (void)c; (void)t; return 0; }
static int xen_snapshot(const struct vmm_conf *c, const struct vmm_type *t, bool f) { (void)c; (void)t; (void)f; warnx("todo"); return -1; }
static int xen_clone(const struct vmm_conf *c, const struct vmm_type *t, struct vmm_vm *v) { (void)c; (void)t; (void)v; warnx("todo"); return -1; }
static int xen_teardown(const struct vmm_conf *c, struct vmm_vm *v) { (void)c; (void)v; return 0; }
static int xen_freeze(const struct vmm_conf *c, struct vmm_vm *v, const char *e) { (void)c; (void)v; (void)e; return -1; }
static bool xen_alive(const struct vmm_conf *c, const struct vmm_vm *v) { (void)c; (void)v; return false; }
const struct vmm_backend vmm_xen_backend = { "xen", "cow", xen_check, xen_snapshot, xen_clone, xen_teardown, xen_freeze, xen_alive };
