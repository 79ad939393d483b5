# SPDX-License-Identifier: ISC
# lib/: libcommon, the little every part shares: messages, the monotonic
# clock, IPv4 and MAC addresses, durations, bounded numbers, the clone
# record line (lib/record.c, its one parser), libconfig readers, a JSON
# writer, --version and "did you mean".  It depends on nothing of the project's.
LIBS += common
common_SRCS := lib/log.c lib/monotime.c lib/addr.c lib/duration.c lib/number.c \
	lib/conf.c lib/record.c lib/spawn.c \
	lib/json.c lib/prog.c lib/suggest.c

# The one version (lib/prog.h): the VERSION file, given to lib/prog.c alone;
# make install writes it into the scripts too (their version=@VERSION@ line).
POTEMKIN_VERSION := $(shell cat VERSION)
$(B)/lib/prog.o: CPPFLAGS += -DPOTEMKIN_VERSION='"$(POTEMKIN_VERSION)"'
$(B)/lib/prog.o: VERSION
