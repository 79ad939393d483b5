# SPDX-License-Identifier: ISC
# The replay tool on one core (`make bench-replay`): packets per second
# through the replay and the gateway's engine, on the shared captures
# replayed again and again in process.  Read from replay/module.mk, so
# bench/module.mk's variables are not set yet: paths are spelled out.
# `make bench` runs it as its replay part (bench/bench-all.sh).
.PHONY: bench-replay
BENCH_TRACES ?= $(or $(POTEMKIN_TRACES),../shared/traces)

EXTRA_ALL += bench/out/replay-bench
bench/out/replay-bench: $(B)/bench/replay-bench.o \
		$(foreach l,replay engine policy common,$(B)/lib$(l).a) build/mode
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) -lpcap $(LDLIBS)
ALL_SRCS += bench/replay-bench.c

bench-replay: bench/out/replay-bench
	bench/out/replay-bench -r 7 -n 20 -t $(BENCH_TRACES) etc/potemkin/farm.policy
