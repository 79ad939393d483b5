# SPDX-License-Identifier: ISC
# nfq-gateway/: potemkin-gateway and potemkin-ctl, the engine's daemon:
# NFQUEUE, AF_PACKET, privilege separation, the control socket, events and
# the event loop around libengine.
DEPS_PKGS += libnetfilter-queue-dev libmnl-dev libconfig-dev libsystemd-dev libpcap-dev \
	iptables iproute2
# End-to-end tests and the demo: clients, a resolver and a sniffer.
DEPS_PKGS += curl nmap hping3 tcpreplay tcpdump dnsmasq-base busybox-static jq
# Every end-to-end test validates its events against events.schema.json.
DEPS_PKGS += python3-jsonschema

# --- kernel I/O: NFQUEUE and AF_PACKET ---------------------------------------
LIBS += gwio
gwio_SRCS := nfq-gateway/nfqueue.c nfq-gateway/afpacket.c
GWIO_LDLIBS := -lnetfilter_queue -lmnl

# --- the kernel fast path: a BPF object built into the gateway ---------------
# clang's BPF target; bpf_helpers.h from libbpf-dev, the uapi from
# linux-libc-dev (asm/ under the host's multiarch directory).
DEPS_PKGS += clang llvm libbpf-dev linux-libc-dev bpftool
# Its end-to-end test turns checksum offload off, so receivers verify every sum.
DEPS_PKGS += ethtool
BPF_CLANG ?= clang
BPF_STRIP ?= llvm-strip
# The multiarch directory as BPF_CLANG names it (clang's -dumpmachine says
# x86_64-pc-linux-gnu, not the directory's name; and CC may be anything).
BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror -Infq-gateway \
	-I/usr/include/$(shell $(BPF_CLANG) -print-multiarch)
$(B)/gen/fastpath.bpf.o: nfq-gateway/fastpath.bpf.c nfq-gateway/fastpath-map.h
	@mkdir -p $(@D)
	$(BPF_CLANG) $(BPF_CFLAGS) -c -o $@.tmp $<
	$(BPF_STRIP) -g $@.tmp && mv $@.tmp $@
$(B)/nfq-gateway/fastpath-obj.o: CPPFLAGS += -DFP_BPF_OBJ='"$(B)/gen/fastpath.bpf.o"'
$(B)/nfq-gateway/fastpath-obj.o: $(B)/gen/fastpath.bpf.o
LIBS += gwfp
# The worker's glue too (fastpath.c), for its unit test.
gwfp_SRCS := nfq-gateway/fastpath-load.c nfq-gateway/fastpath-obj.c \
	nfq-gateway/fastpath.c nfq-gateway/fastpath-index.c
GWFP_LDLIBS := -lbpf
# What the unit tests that build a network namespace of their own share.
LIBS += testnet
testnet_SRCS := t/unit/testnet.c
# The programs against the real kernel (BPF_PROG_TEST_RUN; root).
UNIT_TESTS += t3212-gw-fastpath-prog
t3212-gw-fastpath-prog_LIBS := gwfp testnet gwpktgen $(ENGINE_LIBS)
t3212-gw-fastpath-prog_LDLIBS := $(GWFP_LDLIBS)
UNIT_TESTS += t3213-gw-fastpath-glue
t3213-gw-fastpath-glue_LIBS := gwfp gwparent testnet gwpktgen $(ENGINE_LIBS)
t3213-gw-fastpath-glue_LDLIBS := $(GWFP_LDLIBS) -lconfig -lsystemd

# --- the daemon and its control tool -------------------------------------------
SBIN_PROGS += potemkin-gateway
potemkin-gateway_SRCS := nfq-gateway/gateway.c nfq-gateway/worker.c \
	nfq-gateway/control.c nfq-gateway/privsep.c nfq-gateway/config.c \
	nfq-gateway/rules.c nfq-gateway/evloop.c nfq-gateway/typecheck.c \
	nfq-gateway/hosts.c nfq-gateway/notify.c nfq-gateway/capture.c nfq-gateway/capdir.c
potemkin-gateway_LIBS := gwio gwfp $(ENGINE_LIBS)
potemkin-gateway_LDLIBS := $(GWIO_LDLIBS) $(GWFP_LDLIBS) -lconfig -lsystemd -lpcap

PROGS += potemkin-ctl
potemkin-ctl_SRCS := nfq-gateway/ctl.c nfq-gateway/ctl-reply.c nfq-gateway/ctl-prom.c \
	nfq-gateway/ctl-top.c
potemkin-ctl_LIBS := common

# The privileged parent on its own, its worker played by the test.
LIBS += gwparent
gwparent_SRCS := nfq-gateway/privsep.c nfq-gateway/config.c nfq-gateway/notify.c \
	nfq-gateway/capdir.c
UNIT_TESTS += t3201-gw-privsep-queue
t3201-gw-privsep-queue_LIBS := gwparent $(ENGINE_LIBS)
t3201-gw-privsep-queue_LDLIBS := -lconfig -lsystemd
UNIT_TESTS += t3203-gw-worker-filter
t3203-gw-worker-filter_LIBS := gwparent $(ENGINE_LIBS)
t3203-gw-worker-filter_LDLIBS := -lconfig -lsystemd

# The worker's system call filter: an allow list compiled by libseccomp
# when the gateway is built, loaded by privsep.c as plain BPF.
ALL_SRCS += nfq-gateway/worker-seccomp.c
$(B)/worker-filter-gen: $(B)/nfq-gateway/worker-seccomp.o $(B)/lib/bpfgen.o build/mode
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) -lseccomp
$(B)/gen/worker-filter.inc: $(B)/worker-filter-gen
	@mkdir -p $(@D)
	$< >$@.tmp && mv $@.tmp $@
$(B)/nfq-gateway/privsep.o: $(B)/gen/worker-filter.inc

# Wires a host with what -P prints, again and again without a gap.
SCRIPTS += potemkin-wire
# Follows a detector's eve.json alerts into `potemkin-ctl infected`.
SCRIPTS += potemkin-eve

MAN5 += nfq-gateway/gateway.conf.5
# What the events carry, per kind: for ingest pipelines, and for the tests.
DATA += nfq-gateway/events.schema.json
MAN8 += nfq-gateway/potemkin-gateway.8 nfq-gateway/potemkin-ctl.8 bin/potemkin-eve.8
ETC_FILES += etc/potemkin/gateway.conf etc/potemkin/hosts.conf
# Made from templates with the install paths (etc/module.mk).
UNITS += etc/potemkin/potemkin-gateway.service etc/potemkin/potemkin-wiring.service

DEPS_PKGS += iputils-ping socat
# potemkin-ctl top driven in a terminal; stats --prometheus read by a real parser.
DEPS_PKGS += tmux python3-prometheus-client

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
$(eval $(call gw_helper,gw-nq-echo,gwio engine common,$(GWIO_LDLIBS)))
$(eval $(call gw_helper,gw-tx,gwio engine common,$(GWIO_LDLIBS)))
$(eval $(call gw_helper,gw-inject,gwio engine common,$(GWIO_LDLIBS)))
$(eval $(call gw_helper,gw-tcx-show,common,$(GWFP_LDLIBS)))

# Rerun sanitized by CI (a few seconds each): nfqueue.c and afpacket.c then
# meet the real kernel under ASan/UBSan.  They run the helpers, so those are
# built in the same mode first.
# The end-to-end tests that reach most of the worker: rerun sanitized too.
UNIT_SHELL_TESTS += t/t3010-gw-nfqueue.t t/t3011-gw-afpacket.t t/t4003-e2e-contain.t \
	t/t4008-e2e-malformed.t t/t4009-e2e-operator.t t/t4020-e2e-pcap.t \
	t/t4028-e2e-fastpath-attach.t
check-unit: t/helpers/gw-nq-echo t/helpers/gw-tx t/helpers/gw-inject t/helpers/gw-tcx-show
