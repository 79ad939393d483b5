# SPDX-License-Identifier: ISC
# engine/: libengine, every table and every decision of the gateway and no
# kernel I/O.  The daemon (nfq-gateway/) and the replay (replay/) drive the
# very same engine; it sits on libpolicy and libcommon only.
LIBS += engine
engine_SRCS := engine/packet.c \
	engine/htab.c engine/universe.c engine/history.c engine/scanfilter.c \
	engine/flows.c engine/timers.c engine/bindtab.c engine/bindings.c engine/dnsproxy.c \
	engine/sources.c engine/decide.c engine/inbound.c engine/outbound.c engine/engine.c \
	engine/record.c engine/events.c engine/evfold.c engine/fastpath.c
ENGINE_LIBS := engine policy common

# The packet layer's tests (parse, rewrite, build, random stress, the
# shared captures) and the engine's.
DEPS_PKGS += libpcap-dev
LIBS += gwpktgen
gwpktgen_SRCS := t/unit/gw-pktgen.c
UNIT_TESTS += t3001-gw-packet-parse t3002-gw-packet-rewrite \
	t3003-gw-packet-build t3004-gw-packet-stress t3005-gw-packet-traces
t3001-gw-packet-parse_LIBS := gwpktgen engine common
t3002-gw-packet-rewrite_LIBS := gwpktgen engine common
t3003-gw-packet-build_LIBS := gwpktgen engine common
t3004-gw-packet-stress_LIBS := gwpktgen engine common
t3005-gw-packet-traces_LIBS := gwpktgen engine common
t3005-gw-packet-traces_LDLIBS := -lpcap

UNIT_TESTS += t3006-gw-htab t3100-engine-bind t3101-engine-contain \
	t3102-engine-limits t3103-engine-malformed t3104-engine-hardening \
	t3105-engine-sources t3106-engine-conversations t3107-engine-events \
	t3108-engine-event-json t3109-engine-fastpath \
	t5000-replay-engine-hooks
t3006-gw-htab_LIBS := engine common
t3100-engine-bind_LIBS := eharness testpkt $(ENGINE_LIBS)
t3101-engine-contain_LIBS := eharness testpkt $(ENGINE_LIBS)
t3102-engine-limits_LIBS := eharness testpkt $(ENGINE_LIBS)
t3103-engine-malformed_LIBS := eharness testpkt $(ENGINE_LIBS)
t3104-engine-hardening_LIBS := eharness testpkt $(ENGINE_LIBS)
t3105-engine-sources_LIBS := eharness testpkt $(ENGINE_LIBS)
t3106-engine-conversations_LIBS := eharness testpkt $(ENGINE_LIBS)
t3107-engine-events_LIBS := eharness testpkt $(ENGINE_LIBS)
t3108-engine-event-json_LIBS := $(ENGINE_LIBS)
t3109-engine-fastpath_LIBS := eharness testpkt $(ENGINE_LIBS)
t5000-replay-engine-hooks_LIBS := eharness testpkt $(ENGINE_LIBS)

# `make fuzz`: the packet layer under libFuzzer (clang, ASan, UBSan).
FUZZ_TARGETS += build/fuzz/gw-packet
build/fuzz/gw-packet: build/fuzz/t/fuzz/gw-packet.o build/fuzz/engine/packet.o
	clang $(FUZZ_FLAGS) -o $@ $^
