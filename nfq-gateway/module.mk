# nfq-gateway/: potemkin-gateway, potemkin-ctl and the engine they share with
# the replay tool.
CPPFLAGS += -Infq-gateway
DEPS_PKGS += libnetfilter-queue-dev libmnl-dev libconfig-dev iptables iproute2

# --- packet layer (parse, rewrite, build): shared with the replay tool -------
# LIBS += gwpacket      (packet.c)

# --- kernel I/O: NFQUEUE and AF_PACKET ---------------------------------------
# LIBS += gwio          (nfqueue.c afpacket.c; -lnetfilter_queue -lmnl)
