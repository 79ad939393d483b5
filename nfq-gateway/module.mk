# nfq-gateway/: potemkin-gateway, potemkin-ctl and the engine they share with
# the replay tool.
CPPFLAGS += -Infq-gateway
DEPS_PKGS += libnetfilter-queue-dev libmnl-dev libconfig-dev iptables iproute2
# End-to-end tests and the demo: clients, a resolver and a sniffer.
DEPS_PKGS += curl nmap hping3 tcpreplay tcpdump dnsmasq-base busybox-static jq

# --- packet layer (parse, rewrite, build): shared with the replay tool -------
LIBS += gwpacket
gwpacket_SRCS := nfq-gateway/packet.c

# --- the engine: tables and decisions, no kernel I/O ---------------------------
LIBS += engine
engine_SRCS := nfq-gateway/htab.c nfq-gateway/universe.c nfq-gateway/history.c \
	nfq-gateway/scanfilter.c nfq-gateway/flows.c nfq-gateway/timers.c \
	nfq-gateway/bindings.c nfq-gateway/dnsproxy.c nfq-gateway/decide.c \
	nfq-gateway/inbound.c nfq-gateway/outbound.c nfq-gateway/engine.c \
	nfq-gateway/record.c nfq-gateway/events.c nfq-gateway/json.c
ENGINE_LIBS := engine gwpacket policy common

UNIT_TESTS += t3006-gw-htab t3100-engine-bind t3101-engine-contain \
	t3102-engine-limits t3103-engine-malformed t3104-engine-hardening
t3006-gw-htab_LIBS := engine common
t3100-engine-bind_LIBS := eharness testpkt $(ENGINE_LIBS)
t3101-engine-contain_LIBS := eharness testpkt $(ENGINE_LIBS)
t3102-engine-limits_LIBS := eharness testpkt $(ENGINE_LIBS)
t3103-engine-malformed_LIBS := eharness testpkt $(ENGINE_LIBS)
t3104-engine-hardening_LIBS := eharness testpkt $(ENGINE_LIBS)

# --- kernel I/O: NFQUEUE and AF_PACKET ---------------------------------------
LIBS += gwio
gwio_SRCS := nfq-gateway/nfqueue.c nfq-gateway/afpacket.c
GWIO_LDLIBS := -lnetfilter_queue -lmnl

# --- the daemon and its control tool -------------------------------------------
SBIN_PROGS += potemkin-gateway
potemkin-gateway_SRCS := nfq-gateway/gateway.c nfq-gateway/worker.c \
	nfq-gateway/control.c nfq-gateway/privsep.c nfq-gateway/config.c \
	nfq-gateway/rules.c nfq-gateway/evloop.c
potemkin-gateway_LIBS := gwio $(ENGINE_LIBS)
potemkin-gateway_LDLIBS := $(GWIO_LDLIBS) -lconfig

PROGS += potemkin-ctl
potemkin-ctl_SRCS := nfq-gateway/ctl.c

MAN5 += nfq-gateway/gateway.conf.5
MAN8 += nfq-gateway/potemkin-gateway.8 nfq-gateway/potemkin-ctl.8
ETC_FILES += etc/potemkin/gateway.conf etc/potemkin/potemkin-gateway.service \
	etc/potemkin/potemkin-wiring.service

# --- tests of the packet layer and the kernel I/O -----------------------------
DEPS_PKGS += libpcap-dev iputils-ping socat
LIBS += gwpktgen
gwpktgen_SRCS := t/unit/gw-pktgen.c
UNIT_TESTS += t3001-gw-packet-parse t3002-gw-packet-rewrite \
	t3003-gw-packet-build t3004-gw-packet-stress t3005-gw-packet-traces
t3001-gw-packet-parse_LIBS := gwpktgen gwpacket
t3002-gw-packet-rewrite_LIBS := gwpktgen gwpacket
t3003-gw-packet-build_LIBS := gwpktgen gwpacket
t3004-gw-packet-stress_LIBS := gwpktgen gwpacket
t3005-gw-packet-traces_LIBS := gwpktgen gwpacket
t3005-gw-packet-traces_LDLIBS := -lpcap

# Test programs that drive the real kernel paths: not installed, built
# beside their tests.  gw_helper NAME LIBS LDLIBS -> t/helpers/NAME
define gw_helper
t/helpers/$(1): $(B)/t/helpers/$(1).o $$(foreach l,$(2),$(B)/lib$$(l).a) build/mode
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$(filter %.o %.a,$$^) $(3) $$(LDLIBS)
ALL_SRCS += t/helpers/$(1).c
EXTRA_ALL += t/helpers/$(1)
EXTRA_CLEAN += t/helpers/$(1)
endef
$(eval $(call gw_helper,gw-nq-echo,gwio gwpacket common,$(GWIO_LDLIBS)))
$(eval $(call gw_helper,gw-tx,gwio gwpacket common,$(GWIO_LDLIBS)))
$(eval $(call gw_helper,gw-inject,gwio gwpacket common,$(GWIO_LDLIBS)))

# Rerun sanitized by CI (a few seconds each): nfqueue.c and afpacket.c then
# meet the real kernel under ASan/UBSan.  They run the helpers, so those are
# built in the same mode first.
# The end-to-end tests that reach most of the worker: rerun sanitized too.
UNIT_SHELL_TESTS += t/t3010-gw-nfqueue.t t/t3011-gw-afpacket.t t/t4003-e2e-contain.t \
	t/t4008-e2e-malformed.t t/t4009-e2e-operator.t
check-unit: t/helpers/gw-nq-echo t/helpers/gw-tx t/helpers/gw-inject

# `make fuzz`: the packet layer under libFuzzer (clang, ASan, UBSan).
FUZZ_TARGETS += build/fuzz/gw-packet
build/fuzz/gw-packet: build/fuzz/t/fuzz/gw-packet.o build/fuzz/nfq-gateway/packet.o
	clang $(FUZZ_FLAGS) -o $@ $^
