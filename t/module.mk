# t/: the TAP library and the basics' tests.  Every part adds its own unit
# tests to UNIT_TESTS in its module.mk.
LIBS += tap
tap_SRCS := t/lib/tap.c

UNIT_TESTS += t0001-lib-addr t0002-lib-duration t0003-lib-number
t0001-lib-addr_LIBS := common
t0002-lib-duration_LIBS := common
t0003-lib-number_LIBS := common

# Test helpers: hand-built packets, and a harness that drives the engine.
LIBS += testpkt eharness
testpkt_SRCS := t/lib/testpkt.c
eharness_SRCS := t/lib/eharness.c
