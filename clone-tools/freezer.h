/* Freezing a netns clone's processes (cgroup freezer, else SIGSTOP). */
#ifndef POTEMKIN_FREEZER_H
#define POTEMKIN_FREEZER_H

#include <stddef.h>

#include "proctree.h"
#include "vmm.h"

/* The hierarchy to use into buf: returns 2 (v2), 1 (v1) or 0 (signals). */
int freezer_root(const struct vmm_conf *conf, char *buf, size_t size);
int freezer_freeze(const struct vmm_conf *conf, const struct vmm_vm *vm,
    const struct proctree *t, char *method, size_t msize);
int freezer_release(const struct vmm_vm *vm);

#endif
