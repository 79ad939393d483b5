# nfq-gateway/: potemkin-gateway, potemkin-ctl and the engine they share with
# the replay tool.
CPPFLAGS += -Infq-gateway
DEPS_PKGS += libnetfilter-queue-dev libmnl-dev libconfig-dev iptables iproute2

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

UNIT_TESTS += t3001-gw-htab t3100-engine-bind t3101-engine-contain \
	t3102-engine-limits t3103-engine-malformed
t3001-gw-htab_LIBS := engine common
t3100-engine-bind_LIBS := eharness testpkt $(ENGINE_LIBS)
t3101-engine-contain_LIBS := eharness testpkt $(ENGINE_LIBS)
t3102-engine-limits_LIBS := eharness testpkt $(ENGINE_LIBS)
t3103-engine-malformed_LIBS := eharness testpkt $(ENGINE_LIBS)

# --- kernel I/O: NFQUEUE and AF_PACKET ---------------------------------------
LIBS += gwio
gwio_SRCS := nfq-gateway/nfqueue.c nfq-gateway/afpacket.c

# --- the daemon and its control tool -------------------------------------------
SBIN_PROGS += potemkin-gateway
potemkin-gateway_SRCS := nfq-gateway/gateway.c nfq-gateway/worker.c \
	nfq-gateway/control.c nfq-gateway/privsep.c nfq-gateway/config.c \
	nfq-gateway/rules.c nfq-gateway/evloop.c
potemkin-gateway_LIBS := gwio $(ENGINE_LIBS)
potemkin-gateway_LDLIBS := -lnetfilter_queue -lmnl -lconfig

PROGS += potemkin-ctl
potemkin-ctl_SRCS := nfq-gateway/ctl.c

MAN5 += nfq-gateway/gateway.conf.5
MAN8 += nfq-gateway/potemkin-gateway.8 nfq-gateway/potemkin-ctl.8
ETC_FILES += etc/potemkin/gateway.conf etc/potemkin/potemkin-gateway.service \
	etc/potemkin/potemkin-wiring.service
