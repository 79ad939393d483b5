# SPDX-License-Identifier: ISC
# farmnet.sh -- a whole honeyfarm in network namespaces, for the end-to-end
# tests and for `make demo`.  Source it from bash; it uses only what it is
# given, and never touches addresses outside the documentation ranges.
#
# The namespace the caller runs in plays the gateway host: it gets ext0, the
# iptables rules of `potemkin-gateway -P`, the gateway itself and every pk*
# interface.  A namespace "inet" plays the Internet: attackers at
# 203.0.113.10-29, a DNS resolver at 192.0.2.53, and the sniffer.
#
#	farm_net_up                 build both sides and the wiring
#	farm_write_configs TYPE     vmm.conf, gateway.conf, farm.policy in $FARM_DIR
#	farm_gateway_start          start it, wait until it answers
#	farm_gateway_stop           TERM, wait, and check it cleaned up
#	farm_sniff_start / _stop    tcpdump in inet, to $FARM_DIR/sniff.pcap
#	farm_in CMD...              run CMD in the Internet namespace
#	farm_wait_event SECS KIND [COND]  wait for an event of KIND (event.action)
#	                            for which the jq condition COND holds
#	farm_events KIND [COND]     how many there are
#	farm_down                   undo everything (idempotent)
#
# The caller sets FARM_DIR (a scratch directory) and BIN (the programs);
# FARM_POLICY may name a policy file to use instead of the default one,
# FARM_IDLE the default one's idle timeout (3s), and
# FARM_EVENTS where the gateway writes its events (default events.jsonl),
# FARM_SENSOR the gateway's sensor name (farm),
# FARM_GATEWAY_EXTRA more gateway.conf settings, FARM_TYPE_PORTS the TCP
# ports the default policy's type serves (23 80).
# The netns clones run on FARM_ROOTFS (potemkin-mkimage --rootfs), the qemu
# ones from the guest in FARM_GUEST_DIR (the Debian one on a disk from
# FARM_DISK_DIR); their cgroups are FARM_CGROUP's.  FARM_VMM_DIR and
# FARM_NETNS_DIR put a vmm.conf elsewhere (farm_vmm_conf).

FARM_PREFIX=198.51.100.0/24
FARM_GW_EXT=192.0.2.1
FARM_INET_EXT=192.0.2.2
FARM_RESOLVER=192.0.2.53
FARM_ATTACKER=203.0.113.10
FARM_INET=inet
FARM_CTL_SOCKET=
FARM_CGROUP=potemkin-farm-$$

farm_in() {
	ip netns exec "$FARM_INET" "$@"
}

farm_ctl() {
	"$BIN/potemkin-ctl" -s "$FARM_CTL_SOCKET" "$@"
}

farm_net_up() {
	ip link set lo up &&
	ip netns add "$FARM_INET" &&
	ip link add ext0 type veth peer name eth0 netns "$FARM_INET" &&
	sysctl -qw net.ipv6.conf.ext0.disable_ipv6=1 &&
	farm_in sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1 &&
	ip addr add "$FARM_GW_EXT/24" dev ext0 &&
	ip link set ext0 up &&
	ip route add 203.0.113.0/24 via "$FARM_INET_EXT" &&
	sysctl -qw net.ipv4.ip_forward=1 &&
	farm_in ip link set lo up &&
	farm_in ip addr add "$FARM_INET_EXT/24" dev eth0 &&
	farm_in ip addr add "$FARM_RESOLVER/32" dev eth0 &&
	for i in $(seq 10 29); do
		farm_in ip addr add "203.0.113.$i/32" dev eth0 || return 1
	done &&
	farm_in ip link set eth0 up &&
	farm_in ip route add "$FARM_PREFIX" via "$FARM_GW_EXT"
}

# A resolver in the Internet namespace that knows a few names.
farm_resolver_start() {
	# ip netns exec execs the command: $! is the resolver itself.
	ip netns exec "$FARM_INET" dnsmasq --keep-in-foreground --no-resolv \
		--no-hosts --bind-interfaces --listen-address="$FARM_RESOLVER" \
		--port=53 --pid-file= --user=root \
		--address=/evil.example/192.0.2.66 --address=/update.example/192.0.2.67 \
		>"$FARM_DIR/dnsd.log" 2>&1 &
	FARM_DNSD_PID=$!
	local i
	for i in $(seq 1 250); do
		farm_in busybox nslookup update.example "$FARM_RESOLVER" 2>/dev/null |
			grep -q "192.0.2.67" && return 0
		sleep 0.02
	done
	echo "farm: the resolver did not come up" >&2
	return 1
}

# farm_write_configs [netns|qemu|disk]: the clone tools' and the gateway's
# files, and the reference snapshot.
farm_write_configs() {
	local backend=${1:-netns}

	mkdir -p "$FARM_DIR/www/cgi-bin" "$FARM_DIR/state" "$FARM_DIR/mem"
	# Clones' layers and consoles live in memory (vmm.conf(5): memdir).
	mountpoint -q "$FARM_DIR/mem" ||
		mount -t tmpfs -o mode=755 potemkin-mem "$FARM_DIR/mem" || return 1
	echo "potemkin honeypot" >"$FARM_DIR/www/index.html"
	# A vulnerable service: poked, it looks up a name and spreads over SMB;
	# the query names the resolver and the targets as the guest image's
	# bait does (potemkin-mkimage(8)), by default 203.0.113.101-106.
	cat >"$FARM_DIR/www/cgi-bin/spread" <<-\CGI
	#!/bin/sh
	echo "Content-Type: text/plain"
	echo
	args=$(echo "$QUERY_STRING" | tr '&+,' '   ')
	[ -n "$args" ] || args="dns=192.0.2.1 $(seq 101 106 | sed "s/^/203.0.113./")"
	for arg in $args; do
		addr=${arg#dns=}
		case $addr in '' | *[!0-9.]*) continue ;; esac
		if [ "$addr" != "$arg" ]; then
			busybox nslookup evil.example "$addr" >/dev/null 2>&1 &
		else
			busybox nc -w 2 "$addr" 445 </dev/null >/dev/null 2>&1 &
		fi
	done
	echo spreading
	CGI
	chmod 755 "$FARM_DIR/www/cgi-bin/spread"
	case $backend in
	qemu) farm_qemu_conf ;;
	disk) farm_disk_conf ;;
	*) farm_netns_conf ;;
	esac
	farm_policy_and_gateway_conf &&
	"$BIN/potemkin-snapshot" -c "$FARM_DIR/vmm.conf" web >/dev/null
}

# farm_shipped_configs: the files of etc/potemkin, as installed, with only
# what a farm in namespaces must change: paths into $FARM_DIR and the
# images' directories ($FARM_ROOTFS, $FARM_GUEST_DIR, $FARM_DISK_DIR), the
# gateway's interface (ext0), no user of its own, the clone tools of
# $BIN; in the policy, the Internet namespace's 203.0.113.0/24 is the
# attackers', not the farm's, and idle is $FARM_IDLE when set.  Then the
# snapshot of each type the policy places.
farm_shipped_configs() {
	local etc=$SRC_ROOT/etc/potemkin t
	mkdir -p "$FARM_DIR/state" "$FARM_DIR/mem"
	mountpoint -q "$FARM_DIR/mem" ||
		mount -t tmpfs -o mode=755 potemkin-mem "$FARM_DIR/mem" || return 1
	sed -e "s|^statedir = .*|statedir = \"$FARM_DIR/state\";|" \
	    -e "s|^memdir = .*|memdir = \"$FARM_DIR/mem\";|" \
	    -e "s|^cgroup = .*|cgroup = \"$FARM_CGROUP\";|" \
	    -e "s|/var/lib/potemkin/rootfs|$FARM_ROOTFS|g" \
	    -e "s|/var/lib/potemkin/debian|$FARM_DISK_DIR|g" \
	    -e "s|/var/lib/potemkin/image|$FARM_GUEST_DIR|g" \
	    "$etc/vmm.conf" >"$FARM_DIR/vmm.conf" &&
	FARM_POLICY=$FARM_DIR/farm.policy &&
	sed -e '/^farm *203\.0\.113\./d' -e '/^hosts *203\.0\.113\./d' \
	    ${FARM_IDLE:+-e "s|^idle .*|idle     $FARM_IDLE|"} \
	    "$etc/farm.policy" >"$FARM_POLICY" &&
	FARM_CTL_SOCKET=$FARM_DIR/gateway.sock &&
	sed -e "s|^policy = .*|policy = \"$FARM_POLICY\";|" \
	    -e '/^user = /d' \
	    -e "s|^control_socket = .*|control_socket = \"$FARM_CTL_SOCKET\";|" \
	    -e "s|^pidfile = .*|pidfile = \"$FARM_DIR/gateway.pid\";|" \
	    -e "s|^events = .*|events = \"$FARM_DIR/events.jsonl\";|" \
	    -e "s|^#sensor = .*|sensor = \"${FARM_SENSOR:-farm}\";|" \
	    -e "s|^external_interface = .*|external_interface = \"ext0\";|" \
	    -e "s|\"potemkin-\([a-z]*\)\", \"-c\", \"/etc/potemkin/vmm.conf\"|\"$BIN/potemkin-\1\", \"-c\", \"$FARM_DIR/vmm.conf\"|" \
	    "$etc/gateway.conf" >"$FARM_DIR/gateway.conf" || return 1
	: >"$FARM_DIR/events.jsonl"
	for t in $(sed -n 's/^hosts *[0-9./]* *\([A-Za-z0-9_-]*\).*/\1/p' "$FARM_POLICY" | sort -u); do
		"$BIN/potemkin-snapshot" -c "$FARM_DIR/vmm.conf" "$t" || return 1
	done
}

# vmm.conf: the farm's paths and one type, web, whose settings come on
# stdin, one per line.  FARM_VMM_DIR (default $FARM_DIR) holds the file,
# state/ and mem/; FARM_NETNS_DIR, when set, is its netns_dir: the hosts of
# t/lib/hosts.sh each write one of their own this way.
farm_vmm_conf() {
	local dir=${FARM_VMM_DIR:-$FARM_DIR}
	{
		printf 'statedir = "%s";\nmemdir = "%s";\ncgroup = "%s";\n' \
			"$dir/state" "$dir/mem" "$FARM_CGROUP"
		if [ -n "${FARM_NETNS_DIR:-}" ]; then
			printf 'netns_dir = "%s";\n' "$FARM_NETNS_DIR"
		fi
		printf 'types = {\n  web = {\n'
		sed 's/^/    /'
		printf '  };\n};\n'
	} >"$dir/vmm.conf"
}

# A real guest kernel under QEMU (TCG: this machine's KVM cannot run 64-bit
# guests), from the image potemkin-mkimage built in $FARM_GUEST_DIR.
farm_qemu_conf() {
	farm_vmm_conf <<-CONF
	backend = "qemu";
	kernel = "$FARM_GUEST_DIR/vmlinuz";
	initrd = "$FARM_GUEST_DIR/initrd.img";
	memory = 128;
	accel = "${FARM_ACCEL:-tcg}";
	guest_ip = "10.0.2.15";
	gw_ip = "10.0.2.2";
	ready = "POTEMKIN-READY";
	ready_timeout = "120s";
	append = "potemkin.bait=1";	# the worm bait of the containment tests
	CONF
}

# A Debian guest on a disk (potemkin-mkimage --disk in $FARM_DISK_DIR),
# cloned copy-on-write in memory and on disk.
farm_disk_conf() {
	farm_vmm_conf <<-CONF
	backend = "qemu";
	kernel = "$FARM_DISK_DIR/vmlinuz";
	initrd = "$FARM_DISK_DIR/initrd.img";
	disk = "$FARM_DISK_DIR/disk.qcow2";
	memory = 256;
	tcg_buffer = 32;
	accel = "${FARM_ACCEL:-tcg}";
	hostname = "www";
	ready_timeout = "300s";
	CONF
}

farm_netns_conf() {
	farm_vmm_conf <<-CONF
	backend = "netns";
	root = "$FARM_ROOTFS";
	binds = ( "$FARM_DIR/www:/srv/www" );
	gw_ip = "169.254.0.1";
	services = [ "busybox httpd -f -p 80 -h /srv/www",
	             "busybox telnetd -F -p 23 -l /bin/sh -f /srv/www/index.html" ];
	ready_tcp = [ 80, 23 ];
	home = "/srv/www";
	evidence_paths = [ "/srv/www" ];
	CONF
}

farm_policy_and_gateway_conf() {
	if [ -z "${FARM_POLICY:-}" ]; then
		FARM_POLICY="$FARM_DIR/farm.policy"
		cat >"$FARM_POLICY" <<-POLICY
		farm 198.51.100.0/24
		type web tcp { ${FARM_TYPE_PORTS:-23 80} }
		hosts 198.51.100.0/24 web
		universe per-source
		idle ${FARM_IDLE:-3s}
		inbound drop proto tcp flags !S/SA unbound
		inbound drop scanner over 8 addresses in 60s unbound
		inbound reject closed
		inbound pass proto icmp bound
		inbound bind
		outbound proxy proto udp to any port 53 via 192.0.2.53
		outbound pass reply within 10m
		outbound reflect proto tcp to any port { 23 445 } infected
		outbound drop
		POLICY
	fi
	FARM_CTL_SOCKET="$FARM_DIR/gateway.sock"
	cat >"$FARM_DIR/gateway.conf" <<-CONF
	policy = "$FARM_POLICY";
	control_socket = "$FARM_CTL_SOCKET";
	events = "${FARM_EVENTS:-$FARM_DIR/events.jsonl}";
	sensor = "${FARM_SENSOR:-farm}";
	external_interface = "ext0";
	clone: {
	  command = [ "$BIN/potemkin-clone", "-c", "$FARM_DIR/vmm.conf" ];
	  teardown = [ "$BIN/potemkin-teardown", "-c", "$FARM_DIR/vmm.conf" ];
	  freeze = [ "$BIN/potemkin-freeze", "-c", "$FARM_DIR/vmm.conf" ];
	  timeout = "20s";
	  backoff = "2s";
	};
	${FARM_GATEWAY_EXTRA:-}
	CONF
	: >"$FARM_DIR/events.jsonl"
}

farm_rules_up() {
	"$BIN/potemkin-wire" -c "$FARM_DIR/gateway.conf"
}

farm_gateway_start() {
	"$BIN/potemkin-gateway" -d -c "$FARM_DIR/gateway.conf" \
		2>>"$FARM_DIR/gateway.log" &
	FARM_GATEWAY_PID=$!
	local i
	for i in $(seq 1 250); do
		farm_ctl status >/dev/null 2>&1 && return 0
		kill -0 "$FARM_GATEWAY_PID" 2>/dev/null || break
		sleep 0.02
	done
	echo "farm: the gateway did not come up; its log:" >&2
	cat "$FARM_DIR/gateway.log" >&2
	return 1
}

# Stop the gateway and wait for it (and the teardowns it runs) to finish.
farm_gateway_stop() {
	[ -n "${FARM_GATEWAY_PID:-}" ] || return 0
	kill -TERM "$FARM_GATEWAY_PID" 2>/dev/null
	wait "$FARM_GATEWAY_PID" 2>/dev/null
	local rc=$?
	FARM_GATEWAY_PID=
	return $rc
}

farm_sniff_start() {
	# Immediate mode: every packet is written as it comes, none waits in a
	# ring block when the sniffer is stopped.
	ip netns exec "$FARM_INET" tcpdump -i eth0 -n -U --immediate-mode -Z root \
		-w "$FARM_DIR/sniff.pcap" not arp 2>"$FARM_DIR/tcpdump.log" &
	FARM_SNIFF_PID=$!
	local i
	for i in $(seq 1 250); do
		grep -q "listening on" "$FARM_DIR/tcpdump.log" 2>/dev/null && return 0
		sleep 0.02
	done
	return 1
}

farm_sniff_stop() {
	[ -n "${FARM_SNIFF_PID:-}" ] || return 0
	kill -INT "$FARM_SNIFF_PID" 2>/dev/null
	wait "$FARM_SNIFF_PID" 2>/dev/null
	FARM_SNIFF_PID=
}

# Packets the sniffer saw that match a tcpdump filter expression.
farm_sniffed() {
	tcpdump -n -r "$FARM_DIR/sniff.pcap" "$@" 2>/dev/null | wc -l
}

# What reached the Internet from the farm's side that was neither a reply to
# an attacker (203.0.113.0/27, or the net $1 names) nor the gateway's own
# DNS question: must always be nothing.
farm_escaped() {
	tcpdump -n -r "$FARM_DIR/sniff.pcap" \
		"not src net 203.0.113.0/24 and not src host $FARM_INET_EXT and
		 not src host $FARM_RESOLVER and
		 not (src net $FARM_PREFIX and dst net ${1:-203.0.113.0/27}) and
		 not (src host $FARM_GW_EXT and dst host $FARM_RESOLVER and udp dst port 53)" \
		2>/dev/null
}

# The events of kind $1 (event.action) for which the jq condition $2 holds,
# one a line.  A line the gateway is still writing is no event yet.
farm_select_events() {
	jq -c --arg k "$1" "select(.event.action == \$k and (${2:-true}))" \
		"$FARM_DIR/events.jsonl" 2>/dev/null
}

farm_wait_event() {
	local secs=$1 kind=$2 cond=${3:-true} i
	for i in $(seq 1 $((secs * 20))); do
		[ -n "$(farm_select_events "$kind" "$cond")" ] && return 0
		sleep 0.05
	done
	echo "farm: no $kind event with $cond within ${secs}s" >&2
	return 1
}

farm_events() {
	farm_select_events "$1" "${2:-}" | wc -l
}

# Undo everything, whatever state it is in.
farm_down() {
	farm_sniff_stop
	farm_gateway_stop
	[ -n "${FARM_DNSD_PID:-}" ] && kill "$FARM_DNSD_PID" 2>/dev/null
	if [ -f "$FARM_DIR/vmm.conf" ]; then
		"$BIN/potemkin-teardown" -c "$FARM_DIR/vmm.conf" --all >/dev/null 2>&1
	fi
	ip netns del "$FARM_INET" 2>/dev/null
	ip link del ext0 2>/dev/null
	mountpoint -q "$FARM_DIR/mem" && umount "$FARM_DIR/mem"
	farm_cgroups_rm
	return 0
}

# The clones' cgroups: the parent group in every hierarchy.
farm_cgroups() {
	sed -n "s|^[^ ]* [^ ]* [^ ]* / \([^ ]*\) .* - cgroup2\{0,1\} .*|\1/$FARM_CGROUP|p" \
		/proc/self/mountinfo | sort -u | while read -r g; do
		[ -d "$g" ] && echo "$g"
	done
}

farm_cgroups_rm() {
	local g
	for g in $(farm_cgroups); do
		rmdir "$g"/pk* "$g" 2>/dev/null
	done
	return 0
}

# The processes of the farm's clones, by their cgroups.
farm_clone_procs() {
	grep -l "/$FARM_CGROUP/" /proc/[0-9]*/cgroup 2>/dev/null |
		sed 's|^/proc/\([0-9]*\)/cgroup$|\1|'
}
