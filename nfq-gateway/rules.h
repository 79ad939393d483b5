/* What `potemkin-gateway -P` prints: the host wiring a configuration needs. */
#ifndef POTEMKIN_RULES_H
#define POTEMKIN_RULES_H

#include <stdio.h>

#include "config.h"
#include "policy-dsl/policy.h"

void rules_print(FILE *out, const struct gw_config *c, const struct pol_program *prog);

#endif
