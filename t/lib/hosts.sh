# SPDX-License-Identifier: ISC
# hosts.sh -- VMM hosts, for the end-to-end tests of a farm spread over
# several machines.  Source it after e2e.sh.  The test's own namespace, the
# gateway host, gets a datacenter bridge dc0 (10.99.0.1/24); each host is a
# network namespace host-NAME on it, running an OpenSSH sshd the gateway
# reaches it through, with the clone tools' state, memory, namespaces and
# cgroup of its own: two hosts share only the kernel, the root file system
# and $FARM_DIR/www.
#
#	hosts_up NAME...           after e2e_up: make these hosts (the i-th
#	                           ever is at 10.99.0.(10+i)), each with a
#	                           snapshot of type web; return once ssh gets
#	                           into every one
#	hosts_addr NAME            its address (also in $HOSTS_ADDR_NAME)
#	hosts_run_prefix NAME      the ssh command that runs a command there,
#	                           as a libconfig array on one line
#	hosts_ssh NAME CMD...      run CMD there, as that prefix does (ssh's
#	                           rules: the words joined by blanks, for
#	                           root's shell); stdin is passed on
#	hosts_kill NAME            it dies: its processes and its clones', its
#	                           network, its memory and cgroups go; its
#	                           disk (state/, netns/) stays (idempotent)
#	hosts_nothing_left NAME    none of its clones' links, namespaces,
#	                           processes, cgroups or state is left (else
#	                           says what is)
#	hosts_down                 kill every host, remove dc0 (idempotent;
#	                           at exit, before farm_down)
#
# A host's files are in $FARM_DIR/host-NAME/: vmm.conf, state/, mem/ (a
# tmpfs), netns/ (its netns_dir), sshd_config, sshd.log, sshd.pid; its
# clones' cgroups are potemkin-farm-PID-NAME/pk<ID> in every hierarchy.  A
# killed host may be brought up again: same address, its disk as it was.

prereq_SSHD() { [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null; }
test_require SSH SSHD

HOSTS_NET=10.99.0
HOSTS_COUNT=0
HOSTS_KEY=$FARM_DIR/ssh/client_key
# hosts_ssh and hosts_run_prefix both: what a test does by hand is what the
# gateway will do.
HOSTS_SSH=(ssh -F /dev/null -i "$HOSTS_KEY" -o BatchMode=yes
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
	-o ConnectTimeout=2 -o LogLevel=ERROR)

# Registered after e2e.sh's farm_down, so run before it (test_atexit
# prepends); neither needs the other gone first.
test_atexit hosts_down

# The sshd of a host, in the mount namespace `ip netns exec` made for it,
# with $1 its directory.  ip netns exec mounts a sysfs of the host's
# network namespace on /sys, which hides the cgroup hierarchies under
# /sys/fs/cgroup the clone tools need: they come back from the copy
# bound at $1/cgroup before.  The logins are not the machine's: /dev/null
# takes its wtmp, btmp and lastlog records, and stands for root's .bashrc,
# which bash reads for every ssh command and which may do anything (on a
# machine with pyenv, it takes a lock a killed session leaves behind).
# shellcheck disable=SC2016 # for that shell to expand
HOSTS_SSHD_SH='
mount --move "$1/cgroup" /sys/fs/cgroup || exit 1
for f in /var/log/wtmp /var/log/btmp /var/log/lastlog ~root/.bashrc; do
	[ ! -f "$f" ] || mount --bind /dev/null "$f" || exit 1
done
exec /usr/sbin/sshd -D -e -f "$1/sshd_config"'

# A name makes an interface dc-NAME (15 characters at most) and a variable.
hosts_name_ok() {
	case $1 in
	'' | *[!A-Za-z0-9_]*) ;;
	*) [ ${#1} -le 12 ] && return 0 ;;
	esac
	echo "hosts: bad host name '$1' (letters, digits, _; 12 at most)" >&2
	return 1
}

hosts_addr() {
	local var=HOSTS_ADDR_$1
	hosts_name_ok "$1" || return 1
	if [ -z "${!var:-}" ]; then
		echo "hosts: no host $1" >&2
		return 1
	fi
	echo "${!var}"
}

hosts_ssh() {
	local addr
	addr=$(hosts_addr "$1") || return 1
	shift
	"${HOSTS_SSH[@]}" "root@$addr" "$@"
}

hosts_run_prefix() {
	local addr w out=
	addr=$(hosts_addr "$1") || return 1
	for w in "${HOSTS_SSH[@]}" "root@$addr"; do
		out="$out${out:+, }\"$w\""
	done
	echo "[ $out ]"
}

# The hosts come up one after the other, and are waited for together: a
# first login takes some 0.4 s.
hosts_up() {
	local name pid pids=() rc=0
	hosts_dc_up && hosts_keys || return 1
	for name in "$@"; do
		hosts_one_up "$name" || return 1
	done
	for name in "$@"; do
		hosts_sshd_wait "$name" &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || rc=1
	done
	return $rc
}

# Every MAC is fixed, 02:44:43 ("DC") and the address's last byte, as a
# machine's are.  A bridge left to itself takes its lowest port's: when
# that port goes with its host, the others' ARP caches point nowhere for
# half a minute.  A host up again after hosts_kill has its old one: the
# gateway's cache is still right.
hosts_dc_up() {
	ip link show dc0 >/dev/null 2>&1 && return 0
	ip link add dc0 address "$(hosts_mac 1)" mtu 9000 type bridge &&
	sysctl -qw net.ipv6.conf.dc0.disable_ipv6=1 &&
	ip addr add "$HOSTS_NET.1/24" dev dc0 &&
	ip link set dc0 up
}

# One client key, one host key for every sshd.
hosts_keys() {
	local d=$FARM_DIR/ssh
	[ -f "$d/authorized_keys" ] && return 0
	mkdir -p "$d" /run/sshd &&
	ssh-keygen -q -t ed25519 -N '' -C potemkin-hosts -f "$d/client_key" &&
	ssh-keygen -q -t ed25519 -N '' -C potemkin-hosts -f "$d/host_key" &&
	cp "$d/client_key.pub" "$d/authorized_keys"
}

# A host brought up again after hosts_kill keeps its address.
hosts_one_up() {
	local name=$1 addr
	hosts_name_ok "$name" || return 1
	if [ -e "/run/netns/host-$name" ]; then
		echo "hosts: host $name is up already" >&2
		return 1
	fi
	if ! addr=$(hosts_addr "$name" 2>/dev/null); then
		[ $HOSTS_COUNT -lt 240 ] || { echo "hosts: too many" >&2; return 1; }
		HOSTS_COUNT=$((HOSTS_COUNT + 1))
		addr=$HOSTS_NET.$((10 + HOSTS_COUNT))
		printf -v "HOSTS_ADDR_$name" %s "$addr"
		export "HOSTS_ADDR_$name"
	fi
	hosts_net_up "$name" "$addr" &&
	hosts_vmm_up "$name" &&
	hosts_sshd_start "$name" "$addr"
}

hosts_mac() {
	printf '02:44:43:00:00:%02x\n' "$1"
}

hosts_net_up() {
	local name=$1 addr=$2 ns=host-$1
	ip netns add "$ns" &&
	ip link add "dc-$name" mtu 9000 type veth peer name eth0 \
		address "$(hosts_mac "${addr##*.}")" mtu 9000 netns "$ns" &&
	sysctl -qw "net.ipv6.conf.dc-$name.disable_ipv6=1" &&
	ip link set "dc-$name" master dc0 up &&
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1 \
		net.ipv4.ip_forward=0 &&
	ip -n "$ns" link set lo up &&
	ip -n "$ns" addr add "$addr/24" dev eth0 &&
	ip -n "$ns" link set eth0 up
}

# The memory is mounted before the sshd starts: the mount namespace it gets
# is a copy of ours, and ours (private) passes it no later mount.
hosts_vmm_up() {
	local dir=$FARM_DIR/host-$1
	mkdir -p "$dir/state" "$dir/mem" "$dir/netns" "$dir/cgroup" || return 1
	mountpoint -q "$dir/mem" ||
		mount -t tmpfs -o mode=755 "potemkin-mem-$1" "$dir/mem" || return 1
	FARM_VMM_DIR=$dir FARM_NETNS_DIR=$dir/netns \
		FARM_CGROUP=$FARM_CGROUP-$1 farm_netns_conf &&
	"$BIN/potemkin-snapshot" -c "$dir/vmm.conf" web >/dev/null
}

hosts_sshd_config() {
	local dir=$FARM_DIR/host-$1 ssh=$FARM_DIR/ssh
	cat >"$dir/sshd_config" <<-CONF
	ListenAddress $2
	Port 22
	AddressFamily inet
	HostKey $ssh/host_key
	PidFile $dir/sshd.pid
	PermitRootLogin prohibit-password
	PubkeyAuthentication yes
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	UsePAM no
	AuthorizedKeysFile $ssh/authorized_keys
	# The keys are in the test's scratch directory, not in a home.
	StrictModes no
	# A gateway starts clones by the dozen: the default (10:30:100) drops
	# connections still logging in from the eleventh on.
	MaxStartups 100
	UseDNS no
	PrintMotd no
	PrintLastLog no
	X11Forwarding no
	AllowAgentForwarding no
	AllowTcpForwarding no
	PermitTunnel no
	CONF
}

# The copy of the cgroup hierarchies exists only in a mount namespace
# made for the start (unshare), never in ours: no cleanup, and no rm -rf
# of $TRASH can wander into a cgroup file system.  Every step execs the
# next: $! is the sshd.  Disowned, its death by hosts_kill is not reported
# in the test's output; the shell still reaps it.
hosts_sshd_start() {
	local name=$1 dir=$FARM_DIR/host-$1
	hosts_sshd_config "$name" "$2" || return 1
	# shellcheck disable=SC2016 # for sh to expand
	unshare --mount --propagation private -- sh -c '
		mount --rbind /sys/fs/cgroup "$1/cgroup" &&
		exec ip netns exec "host-$2" sh -c "$3" sshd "$1"' \
		hosts-sshd "$dir" "$name" "$HOSTS_SSHD_SH" \
		</dev/null >"$dir/sshd.log" 2>&1 3>&- 4>&- &
	printf -v "HOSTS_SSHD_PID_$name" %s $!
	disown $!
}

# Until ssh gets in, or the sshd is dead (a bad configuration: its log
# says why at once).
hosts_sshd_wait() {
	local pid=HOSTS_SSHD_PID_$1
	pid=${!pid}
	test_wait_for 10 "hosts_ssh $1 true </dev/null || ! kill -0 $pid" &&
		kill -0 "$pid" 2>/dev/null && return 0
	echo "hosts: ssh does not get into host $1; its sshd's log:" >&2
	cat "$FARM_DIR/host-$1/sshd.log" >&2
	return 1
}

# The host's clones' cgroups, in every hierarchy, and their processes.
hosts_cgroups() {
	FARM_CGROUP=$FARM_CGROUP-$1 farm_cgroups
}

hosts_clone_procs() {
	FARM_CGROUP=$FARM_CGROUP-$1 farm_clone_procs
}

# What of the host lives: its namespace's processes (its sshd, the
# sessions, whatever they left running) and its clones'.  Zombies are
# dead already; whoever inherited them reaps them.  Not the pid hosts_up
# remembers: once the sshd is dead and reaped it may be anyone's.
hosts_procs() {
	local pids
	pids=$({
		ip netns pids "host-$1" 2>/dev/null
		hosts_clone_procs "$1"
	} | sort -un | paste -sd, -)
	[ -n "$pids" ] || return 0
	ps -o pid=,stat= -p "$pids" | awk '$2 !~ /^Z/ {print $1}'
}

# Kill what lives; succeed once nothing did.
hosts_kill_procs() {
	local pids
	pids=$(hosts_procs "$1")
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086 # one pid a line
	kill -KILL $pids 2>/dev/null
	hosts_thaw "$1"
	return 1
}

# A task frozen by the v1 freezer dies only once thawed (as
# potemkin-teardown knows); one frozen by v2's, likewise.
hosts_thaw() {
	local g f
	for g in $(hosts_cgroups "$1"); do
		for f in "$g"/pk*/freezer.state; do
			[ ! -f "$f" ] || echo THAWED >"$f"
		done
		for f in "$g"/pk*/cgroup.freeze; do
			[ ! -f "$f" ] || echo 0 >"$f"
		done
	done
	return 0
}

# Off the datacenter first: nothing the host does from then on is seen.
# Killing goes on until nothing lives, as a parent may fork before its
# turn.  Its kernel's state goes with it (namespace, memory, cgroups), its
# disk stays.
hosts_kill() {
	local name=$1 dir=$FARM_DIR/host-$1 g rc
	hosts_name_ok "$name" || return 1
	ip link del "dc-$name" 2>/dev/null
	test_wait_for 10 "hosts_kill_procs $name"
	rc=$?
	ip netns del "host-$name" 2>/dev/null
	printf -v "HOSTS_SSHD_PID_$name" %s ""
	! mountpoint -q "$dir/mem" || umount "$dir/mem"
	for g in $(hosts_cgroups "$name"); do
		rmdir "$g"/pk* "$g" 2>/dev/null
	done
	return $rc
}

# From the directories, not from variables: a test body run in a subshell
# (POTEMKIN_VERBOSE) may have made hosts this shell never heard of.
hosts_down() {
	local dir
	for dir in "$FARM_DIR"/host-*/; do
		[ -d "$dir" ] || continue
		dir=${dir%/}
		hosts_kill "${dir##*/host-}" >/dev/null 2>&1
	done
	ip link del dc0 2>/dev/null
	return 0
}

# As e2e_nothing_left, for one host.  A dead host has no links left.
hosts_nothing_left() {
	local name=$1 dir=$FARM_DIR/host-$1 g
	hosts_name_ok "$name" || return 1
	hosts_none "$name" links "$(ip -n "host-$name" -o link show 2>/dev/null |
		awk -F': ' '$2 ~ /^pkt?[0-9]/ {sub(/@.*/, "", $2); print $2}')" &&
	hosts_none "$name" namespaces "$(ls "$dir/netns" 2>/dev/null)" &&
	hosts_none "$name" processes "$(hosts_clone_procs "$name")" &&
	hosts_none "$name" cgroups "$(for g in $(hosts_cgroups "$name"); do
		ls -d "$g"/pk* 2>/dev/null; done)" &&
	hosts_none "$name" "clone state" "$(ls "$dir/state/vms" 2>/dev/null)"
}

# hosts_none NAME WHAT LIST: say what is left, on one line, if anything.
hosts_none() {
	[ -z "$3" ] && return 0
	echo "host $1 left behind: $2 $(printf '%s' "$3" | tr '\n' ' ')"
	return 1
}
