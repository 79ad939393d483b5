# SPDX-License-Identifier: ISC
# bench/: benchmarks, never timed tests.  `make bench` (as root, without -j)
# runs them all in one run and rewrites the table of bench/RESULTS.md from
# what they printed (bench/bench-all.sh, bench/bench-report.sh); each part
# also has a target of its own.  The sections below the table are written
# by hand, each dated with the command that made its figures.
.PHONY: bench bench-policy bench-engine bench-gateway bench-clones

BENCH_OUT := bench/out

# Built with everything else: t8020 runs the whole suite in quick mode, and
# a fresh clone's `make check` must find every program it names.
EXTRA_ALL += $(BENCH_OUT)/policy-bench
EXTRA_CLEAN += $(BENCH_OUT)
$(BENCH_OUT)/policy-bench: $(B)/bench/policy-bench.o $(B)/libpolicy.a $(B)/libcommon.a build/mode
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LDLIBS)
ALL_SRCS += bench/policy-bench.c

# The policy evaluator on one core: decisions per second on a 50-rule policy.
bench-policy: $(BENCH_OUT)/policy-bench
	$(BENCH_OUT)/policy-bench -r 7 bench/policy50.policy

# The bare accept-all NFQUEUE consumer every gateway figure is a ratio of.
EXTRA_ALL += bench/nfq-ceiling
EXTRA_CLEAN += bench/nfq-ceiling
ALL_SRCS += bench/nfq-ceiling.c
bench/nfq-ceiling: $(B)/bench/nfq-ceiling.o build/mode
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) -lnetfilter_queue -lmnl $(LDLIBS)

# ---- the gateway's own benchmarks (issue 6) ---------------------------------
# engine-bench: the engine in process (decisions per second, memory per
# flow); pkt-blast: the traffic generator of bench/gw-bench.sh.  Both are
# built with everything else so that t8020 keeps them from rotting.
EXTRA_ALL += bench/engine-bench bench/pkt-blast
EXTRA_CLEAN += bench/engine-bench bench/pkt-blast
ALL_SRCS += bench/engine-bench.c bench/pkt-blast.c
bench/engine-bench: $(B)/bench/engine-bench.o \
		$(foreach l,replay engine policy common,$(B)/lib$(l).a) build/mode
	$(CC) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) -lpcap $(LDLIBS)
bench/pkt-blast: $(B)/bench/pkt-blast.o $(B)/libcommon.a build/mode
	$(CC) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LDLIBS)

bench-engine: bench/engine-bench
	bench/bench-all.sh engine
bench-gateway: all
	bench/bench-all.sh gateway
bench-clones: all
	bench/bench-all.sh clones

# Everything, one part after the other, then the table.
bench: all $(BENCH_OUT)/policy-bench
	bench/bench-all.sh
