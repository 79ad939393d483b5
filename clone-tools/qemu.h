/* The qemu backend's parts that its pool (qemu-pool.c) shares. */
#ifndef POTEMKIN_QEMU_H
#define POTEMKIN_QEMU_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm.h"

/* qemu.c */
int qemu_prepare(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm, bool run);
int qemu_cont(struct vmm_vm *vm, uint64_t timeout_ms);
int qemu_teardown(const struct vmm_conf *conf, struct vmm_vm *vm);

/* qemu-pool.c */
int qemu_pool_claim(const struct vmm_conf *conf, const struct vmm_type *t,
    struct vmm_vm *vm);
int qemu_pool_fill(const struct vmm_conf *conf, const struct vmm_type *t,
    bool wait);
void qemu_pool_kick(const struct vmm_conf *conf, const struct vmm_type *t);
int qemu_pool_drain(const struct vmm_conf *conf, const struct vmm_type *t);
void qemu_pool_forget(const struct vmm_conf *conf, const struct vmm_vm *vm);

#endif
