# lib/: libcommon, the little every part shares: messages, the monotonic
# clock, IPv4 and MAC addresses, durations, bounded numbers, the clone
# record line (lib/record.c, its one parser), libconfig readers, a JSON
# writer.  It depends on nothing of the project's.
LIBS += common
common_SRCS := lib/log.c lib/monotime.c lib/addr.c lib/duration.c lib/number.c \
	lib/conf.c lib/record.c lib/spawn.c \
	lib/json.c
