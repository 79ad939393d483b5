# policy-dsl/: libpolicy (lexer, parser, checks, printer, compiler,
# evaluator), the potemkin-policy tool, its man pages and fuzz target.
CPPFLAGS += -Ipolicy-dsl
# libpcap reads captures, gnuplot draws the figure; the replay tests use jq,
# tcpdump (an independent count of what the captures hold) and file.
DEPS_PKGS += libpcap-dev gnuplot-nox jq tcpdump file

# The replay, a library of its own: the tool, its unit tests and its
# benchmark (bench/module.mk) link it.
LIBS += replay
replay_SRCS := policy-dsl/replay.c policy-dsl/replay-series.c \
	policy-dsl/replay-set.c policy-dsl/replay-pcap.c policy-dsl/replay-report.c \
	policy-dsl/replay-plot.c

LIBS += policy
policy_SRCS := policy-dsl/lex.c policy-dsl/diag.c policy-dsl/parse.c \
	policy-dsl/check.c policy-dsl/print.c policy-dsl/compile.c \
	policy-dsl/eval.c policy-dsl/policy.c

PROGS += potemkin-policy
potemkin-policy_SRCS := policy-dsl/potemkin-policy.c policy-dsl/pktline.c \
	policy-dsl/replay-cmd.c
# replay runs the gateway's own engine: its libraries are linked in.
potemkin-policy_LIBS := replay engine gwpacket policy common
potemkin-policy_LDLIBS := -lpcap

MAN5 += policy-dsl/potemkin.policy.5
MAN8 += policy-dsl/potemkin-policy.8
ETC_FILES += etc/potemkin/farm.policy

UNIT_TESTS += t1000-policy-lex t1001-policy-load t1002-policy-eval \
	t1003-policy-roundtrip t1004-policy-mutate
t1000-policy-lex_LIBS := policy common
t1001-policy-load_LIBS := policy common
t1002-policy-eval_LIBS := policy common
t1003-policy-roundtrip_LIBS := policy common
t1004-policy-mutate_LIBS := policy common

# Family 5: the replay tool, and the engine hooks it relies on.  The engine's
# libraries are named here: nfq-gateway/module.mk is read after this file.
UNIT_TESTS += t5000-replay-engine-hooks t5001-replay-series
t5000-replay-engine-hooks_LIBS := eharness testpkt engine gwpacket policy common
t5001-replay-series_LIBS := replay engine gwpacket policy common
t5001-replay-series_LDLIBS := -lpcap

# Fast shell tests that CI reruns against the sanitized build.
UNIT_SHELL_TESTS += t/t1010-policy-golden.t t/t1011-policy-errors.t \
	t/t1012-policy-tool.t t/t5010-replay-usage.t t/t5011-replay-input.t \
	t/t5021-replay-report.t

# libFuzzer: the whole library rebuilt with clang's instrumentation.  The
# GNUmakefile sets FUZZ_B after including us; prerequisites expand now.
FUZZ_B ?= build/fuzz
FUZZ_TARGETS += build/fuzz/fuzz-policy
FUZZ_SEEDS_fuzz-policy := t/policy etc/potemkin
build/fuzz/fuzz-policy: $(patsubst %.c,$(FUZZ_B)/%.o,$(policy_SRCS) \
		$(common_SRCS) policy-dsl/fuzz-policy.c)
	clang $(FUZZ_FLAGS) -o $@ $^

# The replay's benchmark (make bench-replay).
include bench/replay.mk
