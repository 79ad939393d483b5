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
