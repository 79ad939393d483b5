#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""The attacker's end of t4030's conversations, and what compares them.

  talk ADDR PORT SRC SPORT      three TCP rounds (connection from SRC:SPORT,
                                closed by a reset, leaving no TIME_WAIT), then
                                three UDP rounds from SRC:SPORT+1
  pings ADDR PORT SRC SPORT N MS [SECS]  N UDP rounds, one every MS
                                milliseconds, each answered within SECS (5)
  hold ADDR PORT SRC SPORT GO   one TCP round; when the file GO exists,
                                another: prints "second: echo" or "second: none"
  csum-off IFNAME               no transmit checksum offload on IFNAME, so
                                that captures hold the checksums sent
  normalize PCAP                one line per packet of the capture: what must
                                be the same whichever path carried it
                                (sequence numbers relative to each side's
                                first, no IP id, no checksums, no TCP
                                timestamps, no pure ACKs, whose timing is
                                the stacks' own)
"""
import array
import fcntl
import os
import socket
import struct
import sys
import time


def rounds_tcp(addr, port, src, sport):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    s.settimeout(5)
    s.connect((addr, port))
    for i in range(3):
        msg = b"round %d: %s\n" % (i, b"x" * (100 * i))
        s.sendall(msg)
        want = b"echo: " + msg
        got = b""
        while len(got) < len(want):
            got += s.recv(4096)
        if got != want:
            sys.exit("tcp round %d: %r" % (i, got))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def rounds_udp(addr, port, src, sport, n, gap_ms=0, wait_s=5):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    s.settimeout(wait_s)
    for i in range(n):
        msg = b"datagram %d %s" % (i, b"y" * (50 * (i % 4)))
        s.sendto(msg, (addr, port))
        got, _ = s.recvfrom(4096)
        if got != b"echo: " + msg:
            sys.exit("udp round %d: %r" % (i, got))
        if gap_ms:
            time.sleep(gap_ms / 1000)
    s.close()


def hold(addr, port, src, sport, go):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((src, sport))
    s.settimeout(5)
    s.connect((addr, port))
    s.sendall(b"first\n")
    if s.recv(4096) != b"echo: first\n":
        sys.exit("first round failed")
    print("first: echo", flush=True)
    deadline = time.time() + 20
    while not os.path.exists(go):
        if time.time() > deadline:
            sys.exit("never told to go on")
        time.sleep(0.02)
    s.sendall(b"second\n")
    s.settimeout(1)
    try:
        got = s.recv(4096)
        print("second: echo" if got else "second: closed", flush=True)
    except socket.timeout:
        print("second: none", flush=True)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def csum_off(ifname):
    SIOCETHTOOL, ETHTOOL_STXCSUM = 0x8946, 0x17
    val = array.array("B", struct.pack("II", ETHTOOL_STXCSUM, 0))
    ifr = struct.pack("16sP", ifname.encode(), val.buffer_info()[0])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        fcntl.ioctl(s, SIOCETHTOOL, ifr)


def csum16(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def checksums_ok(ip, l4, proto):
    if csum16(ip) != 0xFFFF:
        return False
    if proto == 17 and l4[6:8] == b"\0\0":
        return True
    pseudo = ip[12:20] + struct.pack("!BBH", 0, proto, len(l4))
    return csum16(pseudo + l4) == 0xFFFF


def tcp_options(opts):
    out, i = [], 0
    while i < len(opts):
        kind = opts[i]
        if kind in (0, 1):
            out.append(str(kind))
            i += 1
            continue
        if i + 1 >= len(opts) or opts[i + 1] < 2:
            out.append("bad")
            break
        length = opts[i + 1]
        body = opts[i + 2:i + length]
        out.append("%d:%s" % (kind, "ts" if kind == 8 else body.hex()))
        i += length
    return ",".join(out)


def normalize(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off, isn, lines = 24, {}, []
    while off + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        if linktype == 1:
            if len(frame) < 14 or frame[12:14] != b"\x08\x00":
                continue
            frame = frame[14:]
        elif linktype != 101:
            sys.exit("link type %d" % linktype)
        if len(frame) < 20 or frame[0] >> 4 != 4:
            continue
        ihl = (frame[0] & 15) * 4
        total = struct.unpack("!H", frame[2:4])[0]
        ip, l4 = frame[:ihl], frame[ihl:total]
        proto = frame[9]
        src, dst = socket.inet_ntoa(frame[12:16]), socket.inet_ntoa(frame[16:20])
        head = "%s>%s tos=%d ttl=%d df=%d csum=%s" % (
            src, dst, frame[1], frame[8], (frame[6] >> 6) & 1,
            "ok" if checksums_ok(ip, l4, proto) else "BAD")
        if proto == 6:
            sport, dport, seq, ack = struct.unpack("!HHII", l4[:12])
            doff = (l4[12] >> 4) * 4
            flags = l4[13]
            payload = l4[doff:]
            side = (src, sport)
            if flags & 0x02:
                isn[side] = seq
            peer = isn.get((dst, dport), ack - 1 if flags & 0x10 else 0)
            if not payload and flags == 0x10:
                continue	# a pure ACK
            lines.append("%s tcp %d>%d flags=%02x seq=%d ack=%d win=%d opts=%s data=%s" % (
                head, sport, dport, flags, (seq - isn.get(side, seq)) & 0xFFFFFFFF,
                (ack - peer) & 0xFFFFFFFF if flags & 0x10 else 0,
                struct.unpack("!H", l4[14:16])[0], tcp_options(l4[20:doff]),
                payload.hex()))
        elif proto == 17:
            sport, dport = struct.unpack("!HH", l4[:4])
            lines.append("%s udp %d>%d data=%s" % (head, sport, dport, l4[8:].hex()))
    for line in lines:
        print(line)


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "talk":
        addr, port, src, sport = args[0], int(args[1]), args[2], int(args[3])
        rounds_tcp(addr, port, src, sport)
        rounds_udp(addr, port, src, sport + 1, 3)
    elif cmd == "pings":
        rounds_udp(args[0], int(args[1]), args[2], int(args[3]), int(args[4]),
                   int(args[5]), int(args[6]) if len(args) > 6 else 5)
    elif cmd == "hold":
        hold(args[0], int(args[1]), args[2], int(args[3]), args[4])
    elif cmd == "csum-off":
        csum_off(args[0])
    elif cmd == "normalize":
        normalize(args[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
