/* SPDX-License-Identifier: ISC */
/*
 * potemkin-gateway -n: the policy's host types held against the clone
 * tools' own, so that a farm whose policy names a type the tools do not
 * define fails its check instead of every bind.
 */
#ifndef POTEMKIN_TYPECHECK_H
#define POTEMKIN_TYPECHECK_H

#include "config.h"
#include "policy-dsl/policy.h"

/*
 * Run the clone command with --types and compare.  Errors (a type the tools
 * do not know, a clone command that cannot list its types, a pcap.types name
 * the policy does not have) and warnings (a
 * TCP port the policy opens that the type's clones are not known to serve)
 * go to stderr as policy_path:line:col: messages.  Returns the errors.
 */
int typecheck(const struct gw_config *c, const struct pol_program *prog,
    const char *policy_path);

#endif
