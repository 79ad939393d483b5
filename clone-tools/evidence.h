/* SPDX-License-Identifier: ISC */
/* The evidence folder potemkin-freeze fills (see evidence.c). */
#ifndef POTEMKIN_EVIDENCE_H
#define POTEMKIN_EVIDENCE_H

#include "proctree.h"
#include "vmm.h"

/* The record and the console log, for every backend. */
int evidence_common(const struct vmm_vm *vm, const char *evdir);
/* Appends one line to evdir/MANIFEST. */
int evidence_note(const char *evdir, const char *fmt, ...) PK_PRINTF(2, 3);
/* A path inside the clone whose leader is leader, into evdir/files/. */
int evidence_path(const char *evdir, pid_t leader, const char *path);
/* A clone's writable layer (overlay upper), exactly, into evdir/layer/. */
int evidence_layer(const char *evdir, const char *upper, uint32_t ids);
int evidence_netns(const struct vmm_vm *vm, const struct proctree *t,
    const char *evdir, const char *method);

#endif
