/* SPDX-License-Identifier: ISC */
/* What `potemkin-gateway -P` prints: the host wiring a configuration needs. */
#ifndef POTEMKIN_RULES_H
#define POTEMKIN_RULES_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "policy-dsl/policy.h"

/* The rules for iptables-restore -n, or ip6tables-restore -n when v6. */
void rules_print(FILE *out, const struct gw_config *c, const struct pol_program *prog,
    bool v6);
/* What takes them away again, and only them (-U). */
void rules_print_removal(FILE *out, bool v6);

#endif
