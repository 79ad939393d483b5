# Helpers of the replay tests (family 5): tiny captures written byte by
# byte, so the link layers and bad inputs need no capture from elsewhere.

# hexbin HEX...: the bytes, in binary, on stdout.
hexbin() {
	local h
	for h in "$@"; do printf "\\x$h"; done
}

# le32 N: N as four little-endian bytes, in hex.
le32() {
	printf '%02x %02x %02x %02x' $(($1 & 255)) $((($1 >> 8) & 255)) \
		$((($1 >> 16) & 255)) $((($1 >> 24) & 255))
}

ip4hex() {
	local IFS=.
	set -- $1
	printf '%02x %02x %02x %02x' "$1" "$2" "$3" "$4"
}

# tcp_hex SRC SPORT DST DPORT FLAGS: an IPv4 TCP segment (40 bytes), in hex,
# FLAGS as a byte (02 SYN, 12 SYN-ACK, 14 RST-ACK).  Checksums are left
# zero: the engine, like the kernel's NFQUEUE path, does not check them.
tcp_hex() {
	echo "45 00 00 28 00 01 00 00 40 06 00 00 $(ip4hex "$1") $(ip4hex "$3")" \
		"$(printf '%02x %02x %02x %02x' $(($2 >> 8)) $(($2 & 255)) $(($4 >> 8)) $(($4 & 255)))" \
		"00 00 00 01 00 00 00 00 50 $5 ff ff 00 00 00 00"
}

# syn_hex SRC DST DPORT: a SYN from port 40000.
syn_hex() {
	tcp_hex "$1" 40000 "$2" "$3" 02
}

# mkpcap LINKTYPE FILE FRAME...: a little-endian pcap, one frame (a string
# of hex bytes, "wire=N " first if the capture cut it from N bytes) a second
# from 2001-09-09T01:46:40Z.
mkpcap() {
	local lt=$1 file=$2 t=1000000000 frame n wire
	shift 2
	{
		hexbin d4 c3 b2 a1 02 00 04 00 00 00 00 00 00 00 00 00 ff ff 00 00 \
			$(le32 "$lt")
		for frame in "$@"; do
			wire=
			case $frame in wire=*)
				wire=${frame%% *}
				wire=${wire#wire=}
				frame=${frame#* }
			esac
			n=$(echo $frame | wc -w)
			hexbin $(le32 $t) 00 00 00 00 $(le32 "$n") $(le32 "${wire:-$n}") $frame
			t=$((t + 1))
		done
	} >"$file"
}

# Link-layer headers for an IPv4 packet.
ETH_IPV4="02 00 00 00 00 01 02 00 00 00 00 02 08 00"
VLAN_IPV4="02 00 00 00 00 01 02 00 00 00 00 02 81 00 00 07 08 00"
ETH_ARP="ff ff ff ff ff ff 02 00 00 00 00 02 08 06"
SLL_IPV4="00 00 00 01 00 06 02 00 00 00 00 02 00 00 08 00"
SLL2_IPV4="08 00 00 00 00 00 00 02 00 01 00 06 02 00 00 00 00 02 00 00"
NULL_IPV4="02 00 00 00"

# json_get FILE JQ-EXPR: one value from a JSON report.
json_get() {
	jq -r "$2" "$1"
}
