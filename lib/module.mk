# lib/: the little that several parts share.
LIBS += common
common_SRCS := lib/log.c lib/monotime.c lib/addr.c lib/duration.c lib/number.c
