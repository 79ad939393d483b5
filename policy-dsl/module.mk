# SPDX-License-Identifier: ISC
# policy-dsl/: libpolicy (lexer, parser, checks, printer, compiler,
# evaluator), the potemkin-policy tool, its man pages and fuzz target.
LIBS += policy
policy_SRCS := policy-dsl/lex.c policy-dsl/diag.c policy-dsl/parse.c \
	policy-dsl/check.c policy-dsl/print.c policy-dsl/compile.c \
	policy-dsl/eval.c policy-dsl/policy.c

PROGS += potemkin-policy
potemkin-policy_SRCS := policy-dsl/potemkin-policy.c policy-dsl/pktline.c
potemkin-policy_LIBS := policy common

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

# Fast shell tests that CI reruns against the sanitized build.
UNIT_SHELL_TESTS += t/t1010-policy-golden.t t/t1011-policy-errors.t \
	t/t1012-policy-tool.t

# libFuzzer: the whole library rebuilt with clang's instrumentation.  The
# GNUmakefile sets FUZZ_B after including us; prerequisites expand now.
FUZZ_B ?= build/fuzz
FUZZ_TARGETS += build/fuzz/fuzz-policy
FUZZ_SEEDS_fuzz-policy := t/policy etc/potemkin
# libcommon goes in as an archive, so that only what the parser uses is
# linked (not the libconfig readers, say).
build/fuzz/libcommon.a: $(patsubst %.c,$(FUZZ_B)/%.o,$(common_SRCS))
	rm -f $@ && $(AR) rcs $@ $^
build/fuzz/fuzz-policy: $(patsubst %.c,$(FUZZ_B)/%.o,$(policy_SRCS) \
		policy-dsl/fuzz-policy.c) build/fuzz/libcommon.a
	clang $(FUZZ_FLAGS) -o $@ $^
