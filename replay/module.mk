# SPDX-License-Identifier: ISC
# replay/: potemkin-replay, the gateway's engine driven by captures with a
# clock of its own (`potemkin-policy replay` runs it, as git runs its
# commands).  libreplay is linked by the tool, its tests and its benchmark.
# libpcap reads captures, gnuplot draws the figure; the replay tests use jq,
# tcpdump (an independent count of what the captures hold) and file.
DEPS_PKGS += libpcap-dev gnuplot-nox jq tcpdump file

LIBS += replay
replay_SRCS := replay/replay.c replay/replay-series.c replay/replay-set.c \
	replay/replay-pcap.c replay/replay-report.c replay/replay-plot.c
REPLAY_LIBS := replay $(ENGINE_LIBS)

PROGS += potemkin-replay
potemkin-replay_SRCS := replay/potemkin-replay.c
potemkin-replay_LIBS := $(REPLAY_LIBS)
potemkin-replay_LDLIBS := -lpcap
MAN8 += replay/potemkin-replay.8

UNIT_TESTS += t5001-replay-series
t5001-replay-series_LIBS := $(REPLAY_LIBS)
t5001-replay-series_LDLIBS := -lpcap

UNIT_SHELL_TESTS += t/t5010-replay-usage.t t/t5011-replay-input.t \
	t/t5021-replay-report.t

# The replay's benchmark (make bench-replay).
include bench/replay.mk
