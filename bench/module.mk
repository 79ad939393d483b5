# bench/: benchmarks, run by hand or by `make bench` (never as timed tests).
# The bare accept-all NFQUEUE consumer every gateway figure is a ratio of.
EXTRA_ALL += bench/nfq-ceiling
EXTRA_CLEAN += bench/nfq-ceiling
ALL_SRCS += bench/nfq-ceiling.c
bench/nfq-ceiling: $(B)/bench/nfq-ceiling.o build/mode
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) -lnetfilter_queue -lmnl $(LDLIBS)
