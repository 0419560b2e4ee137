"""A stand-alone path-MTU probe for the tests: DF datagrams of 1,200 bytes, classified by
the package's one error map (``wsdiag.probes.errors``). The product learns the same fact
from the QUIC probe's own socket (``Fault.TOO_BIG``); this probe checks the lab and the
DF table against a real kernel."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import time
from dataclasses import dataclass
from enum import StrEnum

from wsdiag.host.mtu import QUIC_MIN_PAYLOAD, learned_mtu, set_dont_fragment
from wsdiag.probes.errors import fault_of
from wsdiag.vocab.model import Fault


class MtuStatus(StrEnum):
    OK = "ok"  # 1,200 bytes with DF reached the destination host (a reply or port unreachable)
    SMALL = "small"  # the path (or the local interface) cannot carry it: EMSGSIZE
    UNKNOWN = "unknown"  # silence, DF not settable, or another error: nothing proven


@dataclass(frozen=True)
class PathMtu:
    """What a DF probe proved; ``mtu`` the learned path MTU (bytes) where the OS gives it."""

    status: MtuStatus
    mtu: int | None = None
    detail: str = ""


def classify(*, df_set: bool, cause: Fault | None, replied: bool, learned: int | None) -> PathMtu:
    """Pure: DF sends of 1,200 bytes -> a path fact. ``cause`` is the error map's reading of
    the first failed send/recv (None: none). Without DF nothing is proven (a success could
    have been fragmented). Silence is never success."""
    if not df_set:
        return PathMtu(MtuStatus.UNKNOWN, None, "Don't Fragment could not be set on this OS")
    if cause is Fault.TOO_BIG:
        where = f"path MTU {learned} bytes" if learned else "path MTU not readable on this OS"
        return PathMtu(MtuStatus.SMALL, learned, f"1200 bytes with DF do not fit ({where})")
    if replied or cause is Fault.REFUSED:
        how = "a reply came back" if replied else "the host answered port unreachable"
        return PathMtu(MtuStatus.OK, None, f"1200 bytes with Don't Fragment got through ({how})")
    if cause is not None:
        return PathMtu(MtuStatus.UNKNOWN, None, f"the send failed ({cause})")
    return PathMtu(MtuStatus.UNKNOWN, None, "no reply: the datagram or the ICMP may be dropped")


def probe_path_mtu(addr: str, port: int, timeout: float, attempts: int = 2) -> PathMtu:
    """Up to ``attempts`` DF datagrams of 1,200 zero bytes to ``addr:port`` (an IP literal),
    each waiting ``timeout``/``attempts`` s. The second send matters: the ICMP answering the
    first only updates the kernel's route. Never raises."""
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(addr).version == 6 else socket.AF_INET
    except ValueError:
        return PathMtu(MtuStatus.UNKNOWN, None, "not an IP address")
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        if not set_dont_fragment(sock):
            return classify(df_set=False, cause=None, replied=False, learned=None)
        cause, replied = _exchange(sock, (addr, port), timeout, max(1, attempts))
        learned = learned_mtu(sock) if cause is Fault.TOO_BIG else None
    return classify(df_set=True, cause=cause, replied=replied, learned=learned)


def _exchange(
    sock: socket.socket, peer: tuple[str, int], timeout: float, attempts: int
) -> tuple[Fault | None, bool]:
    """(the first failure's cause, whether a datagram came back)."""
    try:
        sock.connect(peer)
    except OSError as exc:
        return fault_of(exc)[0], False
    deadline = time.monotonic() + timeout
    for i in range(attempts):
        try:
            sock.send(bytes(QUIC_MIN_PAYLOAD))
            round_end = time.monotonic() + (deadline - time.monotonic()) / (attempts - i)
            while (left := round_end - time.monotonic()) > 0:
                sock.settimeout(left)
                with contextlib.suppress(TimeoutError):
                    sock.recv(65535)
                    return None, True
        except OSError as exc:  # EMSGSIZE, ECONNREFUSED, ...
            return fault_of(exc)[0], False
    return None, False
