/* SPDX-License-Identifier: ISC */
/*
 * What the unit tests that build a network namespace of their own share:
 * running a setup command, reading an interface's MAC.  Both bail out of
 * the test on failure.
 */
#ifndef POTEMKIN_TESTNET_H
#define POTEMKIN_TESTNET_H

#include <stdint.h>

void testnet_sh(const char *cmd);
void testnet_mac(const char *ifname, uint8_t mac[6]);

#endif
