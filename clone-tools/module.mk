# SPDX-License-Identifier: ISC
# clone-tools/: potemkin-snapshot, -clone, -teardown, -freeze, -ls and their
# backends (netns, qemu, xen), all built on libvmm.  potemkin-mkimage and
# potemkin-xen-vif (the xen backend's vif hotplug script) are tracked
# scripts in bin/.

LIBS += vmm
vmm_SRCS := clone-tools/config.c clone-tools/mac.c clone-tools/state.c \
	clone-tools/util.c clone-tools/nl.c clone-tools/proctree.c \
	clone-tools/cgroup.c clone-tools/cage.c \
	clone-tools/layer.c clone-tools/evidence.c clone-tools/cmd.c \
	clone-tools/qmp.c clone-tools/netns.c clone-tools/qemu.c \
	clone-tools/qemu-run.c clone-tools/qemu-disk.c \
	clone-tools/pool.c clone-tools/ids.c clone-tools/backends.c \
	clone-tools/xen.c clone-tools/tunnel.c clone-tools/placed.c \
	clone-tools/hosts.c

VMM_LDLIBS := -lconfig -lmnl
define vmm_prog
PROGS += potemkin-$(1)
potemkin-$(1)_SRCS := clone-tools/$(1).c
potemkin-$(1)_LIBS := vmm common
potemkin-$(1)_LDLIBS := $(VMM_LDLIBS)
endef
$(foreach p,snapshot clone teardown freeze ls place,$(eval $(call vmm_prog,$(p))))

SCRIPTS += potemkin-mkimage potemkin-xen-vif
MAN5 += clone-tools/vmm.conf.5 clone-tools/hosts.conf.5
MAN8 += clone-tools/potemkin-snapshot.8 clone-tools/potemkin-clone.8 \
	clone-tools/potemkin-teardown.8 clone-tools/potemkin-freeze.8 \
	clone-tools/potemkin-ls.8 clone-tools/potemkin-mkimage.8 \
	clone-tools/potemkin-xen-vif.8 clone-tools/potemkin-place.8
ETC_FILES += etc/potemkin/vmm.conf

# Build, test and run time: libraries, QEMU for the qemu backend, busybox
# for netns services and the guest image, iproute2 and curl for the tests,
# cpio and xz for potemkin-mkimage, e2fsprogs for the nested test's ext4 root
# and, with mmdebstrap and qemu-img, for potemkin-mkimage --disk; the ssh
# client for the logins of the disk guest's tests; the ssh server for the VMM
# hosts of t4019, each a namespace running an sshd of its own (the package's
# own service is not needed).
DEPS_PKGS += libconfig-dev libmnl-dev libseccomp-dev qemu-system-x86 busybox-static \
	iproute2 curl cpio xz-utils zstd kmod procps psmisc socat e2fsprogs \
	mmdebstrap qemu-utils openssh-client openssh-server

UNIT_TESTS += t2001-vmm-mac
t2001-vmm-mac_LIBS := vmm common
t2001-vmm-mac_LDLIBS := $(VMM_LDLIBS)

# Fast shell tests that CI reruns against the sanitized programs.
UNIT_SHELL_TESTS += t/t2010-clone-cmdline.t t/t2020-clone-netns.t \
	t/t2040-clone-xen.t t/t2050-clone-place.t

# The clone-tools benchmark (bench/clone-bench.sh runs it); built with the
# rest, never installed.
EXTRA_ALL += bench/clone-latency
EXTRA_CLEAN += bench/clone-latency
ALL_SRCS += bench/clone-latency.c
bench/clone-latency: $(B)/bench/clone-latency.o $(B)/libvmm.a $(B)/libcommon.a \
		build/mode
	$(CC) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(VMM_LDLIBS) $(LDLIBS)

# The cage's system call filter: compiled by libseccomp when the tools are
# built, loaded by cage.c as plain BPF (no libseccomp at run time).
CPPFLAGS += -I$(B)/gen
ALL_SRCS += clone-tools/cage-seccomp.c lib/bpfgen.c
$(B)/cage-filter-gen: $(B)/clone-tools/cage-seccomp.o $(B)/lib/bpfgen.o build/mode
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) -lseccomp
$(B)/gen/cage-filter.inc: $(B)/cage-filter-gen
	@mkdir -p $(@D)
	$< >$@.tmp && mv $@.tmp $@
$(B)/clone-tools/cage.o: $(B)/gen/cage-filter.inc
