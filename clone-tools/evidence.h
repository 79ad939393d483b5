/* The evidence folder potemkin-freeze fills (see evidence.c). */
#ifndef POTEMKIN_EVIDENCE_H
#define POTEMKIN_EVIDENCE_H

#include "proctree.h"
#include "vmm.h"

/* The record and the console log, for every backend. */
int evidence_common(const struct vmm_vm *vm, const char *evdir);
/* Appends one line to evdir/MANIFEST. */
int evidence_note(const char *evdir, const char *fmt, ...) PK_PRINTF(2, 3);
int evidence_path(const char *evdir, const char *path);
int evidence_netns(const struct vmm_vm *vm, const struct proctree *t,
    const char *evdir, const char *method);

#endif
