# bench/: benchmarks, never timed tests.  `make bench` runs them all; each
# part adds its own target.  Results go to bench/RESULTS.md by hand, with the
# machine, the command, medians and spread.
.PHONY: bench bench-policy

BENCH_OUT := bench/out

$(BENCH_OUT)/policy-bench: $(B)/bench/policy-bench.o $(B)/libpolicy.a $(B)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
ALL_SRCS += bench/policy-bench.c

# The policy evaluator on one core: decisions per second on a 50-rule policy.
bench-policy: $(BENCH_OUT)/policy-bench
	$(BENCH_OUT)/policy-bench -r 7 bench/policy50.policy

bench: bench-policy

# The replay tool on one core: packets per second through the replay and the
# gateway's engine, on the shared captures replayed again and again in process.
.PHONY: bench-replay
BENCH_TRACES ?= $(or $(POTEMKIN_TRACES),../shared/traces)

$(BENCH_OUT)/replay-bench: $(B)/bench/replay-bench.o \
		$(foreach l,replay engine gwpacket policy common,$(B)/lib$(l).a)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ -lpcap $(LDLIBS)
ALL_SRCS += bench/replay-bench.c

bench-replay: $(BENCH_OUT)/replay-bench
	$(BENCH_OUT)/replay-bench -r 7 -n 20 -t $(BENCH_TRACES) etc/potemkin/farm.policy

bench: bench-replay
