# SPDX-License-Identifier: ISC
# etc/: what `make install` puts beside the programs, where Debian's own
# packages put theirs.  The example configuration (ETC_FILES, from each
# part's module.mk) goes to SYSCONFDIR/potemkin, never over a file already
# there, and to DOCDIR/examples; the systemd units (UNITS, each made from
# its .in with the install paths) to UNITDIR; the events' logrotate snippet
# to SYSCONFDIR/logrotate.d; bash completion, one file linked under each
# command's name, to COMPLETIONDIR.

DOCDIR        ?= $(PREFIX)/share/doc/potemkin
EXAMPLEDIR    ?= $(DOCDIR)/examples
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
LOGROTATEDIR  ?= $(SYSCONFDIR)/logrotate.d
# systemd's own answer where the tree is the system's, else the tree's
# lib/systemd/system (which systemd reads for /usr/local too).
ifndef UNITDIR
ifeq ($(PREFIX),/usr)
UNITDIR := $(or $(shell pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
else
UNITDIR := $(PREFIX)/lib/systemd/system
endif
endif

LOGROTATE := etc/logrotate.d/potemkin
COMPLETION := build/potemkin.bash
COMPLETED := potemkin-ctl potemkin-policy potemkin-gateway potemkin-clone \
	potemkin-teardown potemkin-freeze potemkin-ls potemkin-snapshot \
	potemkin-place potemkin-wire potemkin-eve

# The install paths, into a unit template on its way to UNITDIR.
SUBST_PATHS := sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

# potemkin-ctl's commands, from the usage table in ctl.c: the two-space
# indented words after "commands:".  An empty list is an error, so that a
# changed table cannot leave the completion silently empty.
EXTRA_ALL += $(COMPLETION)
$(COMPLETION): etc/bash-completion/potemkin.in nfq-gateway/ctl.c
	@mkdir -p $(@D)
	@cmds=$$(sed -n '/commands:/,/;/s/^[[:space:]]*"  \([a-z][a-z-]*\) .*/\1/p' \
		nfq-gateway/ctl.c | tr '\n' ' '); \
	if [ -z "$$cmds" ]; then echo "$@: no command found in ctl.c's usage" >&2; exit 1; fi; \
	sed "s/@CTL_COMMANDS@/$${cmds% }/" $< >$@.tmp && mv $@.tmp $@

# systemd-analyze (the install test; it asks man for the units' pages),
# logrotate, bash-completion, and pkg-config for UNITDIR.
DEPS_PKGS += systemd logrotate bash-completion pkg-config man-db
