"""The kernel's round-trip time of a connected TCP socket: Linux ``TCP_INFO``.

A timer in wsdiag's event loop also counts the time the loop was busy elsewhere (key
generation for the QUIC samples, other probes' TLS); the kernel times the SYN to SYN-ACK
itself. Pure: the per-OS option table and ``parse_rtt_us``. I/O: ``kernel_rtt_ms``.
"""

from __future__ import annotations

import socket
import struct
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class TcpInfoOption:
    """getsockopt(level, name, size) and where the smoothed RTT (microseconds, u32) sits."""

    level: int
    name: int
    size: int
    rtt_offset: int


# Linux <linux/tcp.h>: IPPROTO_TCP=6, TCP_INFO=11; struct tcp_info starts with 8 u8 fields
# (state ... wscale, delivery_rate_app_limited), then u32 rto, ato, snd_mss, rcv_mss,
# unacked, sacked, lost, retrans, fackets, last_data_sent, last_ack_sent, last_data_recv,
# last_ack_recv, pmtu, rcv_ssthresh, rtt (offset 68), rttvar. After the handshake the
# smoothed RTT is the SYN/SYN-ACK sample itself (RFC 6298 section 2.2: SRTT <- R).
# 104 bytes is the struct since Linux 2.6; newer kernels fill more, never move these.
TCP_INFO_OPTIONS: dict[str, TcpInfoOption] = {
    "linux": TcpInfoOption(6, 11, 104, 68),
}


def option_for(platform: str) -> TcpInfoOption | None:
    return next((o for p, o in TCP_INFO_OPTIONS.items() if platform.startswith(p)), None)


def parse_rtt_us(raw: bytes, option: TcpInfoOption) -> int | None:
    """The RTT (microseconds) in a TCP_INFO answer; None when too short or zero (no
    sample taken)."""
    end = option.rtt_offset + 4
    if len(raw) < end:
        return None
    (rtt,) = struct.unpack_from("=I", raw, option.rtt_offset)
    return int(rtt) or None


def kernel_rtt_ms(sock: socket.socket, platform: str = sys.platform) -> float | None:
    """The kernel's RTT of a connected TCP socket in ms (0.001 resolution), or None where
    this OS has no such option or it failed."""
    option = option_for(platform)
    if option is None:
        return None
    try:
        raw = sock.getsockopt(option.level, option.name, option.size)
    except OSError:
        return None
    us = parse_rtt_us(raw, option)
    return round(us / 1000, 3) if us is not None else None
