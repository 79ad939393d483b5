# SPDX-License-Identifier: ISC
# private-ns.sh -- set up a network and mount namespace of one's own (made
# by `unshare --net --mount --propagation private`) as the tests, the demo
# and the benchmarks need it: a private /run/netns, a sysfs of this network
# namespace with the host's cgroup hierarchies still under /sys/fs/cgroup
# (clones' cgroups live there), and lo up.  Source it from bash, then call
# private_ns_setup.
private_ns_setup() {
	mkdir -p /run/netns &&
	mount -t tmpfs -o mode=755 potemkin-netns /run/netns &&
	mkdir /run/netns/.cgroup &&
	mount --rbind /sys/fs/cgroup /run/netns/.cgroup &&
	mount -t sysfs sysfs /sys &&
	mount --move /run/netns/.cgroup /sys/fs/cgroup &&
	rmdir /run/netns/.cgroup &&
	ip link set lo up
}
