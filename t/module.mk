# SPDX-License-Identifier: ISC
# t/: the TAP library and the basics' tests.  Every part adds its own unit
# tests to UNIT_TESTS in its module.mk.
LIBS += tap
tap_SRCS := t/lib/tap.c

UNIT_TESTS += t0001-lib-addr t0002-lib-duration t0003-lib-number t0004-lib-record \
	t0005-lib-siphash
t0001-lib-addr_LIBS := common
t0002-lib-duration_LIBS := common
t0003-lib-number_LIBS := common
t0004-lib-record_LIBS := common
t0005-lib-siphash_LIBS := common

# Test helpers: hand-built packets, and a harness that drives the engine.
LIBS += testpkt eharness
testpkt_SRCS := t/lib/testpkt.c
eharness_SRCS := t/lib/eharness.c

# Run inside clones by the cage's tests (t2021): static, so that it runs on
# any root file system, and never sanitized, for the same reason.
t/helpers/cage-probe: t/helpers/cage-probe.c
	$(CC) -D_GNU_SOURCE -std=gnu11 -O2 -Wall -Wextra -static -o $@ $<
EXTRA_ALL += t/helpers/cage-probe
EXTRA_CLEAN += t/helpers/cage-probe
# t4030's two ends of one conversation, run in a clone likewise.
t/helpers/fp-echo: t/helpers/fp-echo.c
	$(CC) -D_GNU_SOURCE -std=gnu11 -O2 -Wall -Wextra -static -o $@ $<
EXTRA_ALL += t/helpers/fp-echo
EXTRA_CLEAN += t/helpers/fp-echo

# t2022's stand-in for a kernel without user namespaces.
t/helpers/no-userns: t/helpers/no-userns.c
	$(CC) -D_GNU_SOURCE -std=gnu11 -O2 -Wall -Wextra -o $@ $<
EXTRA_ALL += t/helpers/no-userns
EXTRA_CLEAN += t/helpers/no-userns
