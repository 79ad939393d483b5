/* SPDX-License-Identifier: ISC */
/*
 * For the build-time generators of seccomp filters (the cage's, the
 * worker's): a rule by a system call's name, refused when libseccomp does
 * not know the name (a hole in the filter otherwise), and the compiled
 * filter printed as a C array of struct sock_filter for the program to load
 * as plain BPF, with no libseccomp at run time.
 */
#ifndef POTEMKIN_BPFGEN_H
#define POTEMKIN_BPFGEN_H

#include <seccomp.h>

int bpfgen_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
    const struct scmp_arg_cmp *arg);
/* "static struct sock_filter NAME[] = { ... };" on stdout, by generator GEN. */
int bpfgen_print(scmp_filter_ctx ctx, const char *name, const char *gen);

#endif
