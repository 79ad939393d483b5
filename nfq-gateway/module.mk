# nfq-gateway/: potemkin-gateway, potemkin-ctl and the engine they share with
# the replay tool.
CPPFLAGS += -Infq-gateway
DEPS_PKGS += libnetfilter-queue-dev libmnl-dev libconfig-dev iptables iproute2

# --- packet layer (parse, rewrite, build): shared with the replay tool -------
LIBS += gwpacket
gwpacket_SRCS := nfq-gateway/packet.c

# --- kernel I/O: NFQUEUE and AF_PACKET ---------------------------------------
LIBS += gwio
gwio_SRCS := nfq-gateway/nfqueue.c nfq-gateway/afpacket.c
GWIO_LDLIBS := -lnetfilter_queue -lmnl

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

# Rerun sanitized by CI (a few seconds each): nfqueue.c and afpacket.c then
# meet the real kernel under ASan/UBSan.  They run the helpers, so those are
# built in the same mode first.
UNIT_SHELL_TESTS += t/t3010-gw-nfqueue.t t/t3011-gw-afpacket.t
check-unit: t/helpers/gw-nq-echo t/helpers/gw-tx

# `make fuzz`: the packet layer under libFuzzer (clang, ASan, UBSan).
FUZZ_TARGETS += build/fuzz/gw-packet
build/fuzz/gw-packet: build/fuzz/t/fuzz/gw-packet.o build/fuzz/nfq-gateway/packet.o
	clang $(FUZZ_FLAGS) -o $@ $^
