"""The WorkSpaces client on this machine: is it running, which version, where it streams to.

Pure: the table of client process names per OS, the matcher, the peer classifier and the
sentences. I/O: ``client_session`` reads the process list and each client process's own
sockets with psutil (imported there). What the OS does not give is unknown: Windows' UDP
table has no remote address, and macOS (and Linux) give other users' sockets to root only.
"""

from __future__ import annotations

import ipaddress
import plistlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath, PureWindowsPath
from typing import Any

from wsdiag.vocab.machine import ClientProcess, ClientSession, Confidence, PeerKind, SessionPeer
from wsdiag.vocab.model import Tri


@dataclass(frozen=True)
class ClientName:
    system: str  # platform.system() name
    name: str  # the process name as the OS reports it (case-insensitive match)
    confidence: Confidence
    source: str


CLIENT_PROCESSES: tuple[ClientName, ...] = (
    ClientName(
        "Windows",
        "workspaces.exe",
        Confidence.CONFIRMED,
        "AWS client guide: ...\\Amazon WorkSpaces\\workspaces.exe -l3",
    ),
    ClientName(
        "Linux",
        "workspacesclient",
        Confidence.CONFIRMED,
        "AWS client guide: /opt/workspacesclient/workspacesclient -l3",
    ),
    ClientName(
        "Darwin",
        "WorkSpaces",
        Confidence.ASSUMED,
        "AWS client guide: open -a workspaces (the app's executable name is assumed)",
    ),
    ClientName("Darwin", "Amazon WorkSpaces", Confidence.ASSUMED, "older app name, assumed"),
    ClientName(
        "Linux",
        "dcvviewer",
        Confidence.ASSUMED,
        "embedded DCV viewer in third-party Linux client logs",
    ),
    ClientName("Windows", "dcvviewer.exe", Confidence.ASSUMED, "DCV viewer, assumed"),
    ClientName("Darwin", "dcvviewer", Confidence.ASSUMED, "DCV viewer, assumed"),
)
_LINUX_COMM = 15  # /proc/<pid>/comm keeps 15 characters: "workspacesclien"


def match_process(system: str, name: str, exe: str = "") -> ClientName | None:
    """Pure: the table row a process (name, executable path) matches on ``system``, or None."""
    flavour: type[PurePath] = PureWindowsPath if system == "Windows" else PurePosixPath
    candidates = {name.lower(), flavour(exe).name.lower() if exe else ""} - {""}
    for row in CLIENT_PROCESSES:
        if row.system != system:
            continue
        want = row.name.lower()
        for got in candidates:
            truncated = system == "Linux" and len(got) == _LINUX_COMM and want.startswith(got)
            if got == want or truncated:
                return row
    return None


def classify_peer(
    addr: str | None, port: int | None, endpoint_addrs: Iterable[str], proxy: tuple[str, int] | None
) -> PeerKind:
    """Pure: what a remote peer is. The proxy (address and port) and the endpoint addresses
    are checked before the address ranges, so a lab or loopback proxy is still the proxy."""
    if addr is None:
        return PeerKind.UNKNOWN
    try:
        ip = ipaddress.ip_address(addr.split("%", 1)[0])
    except ValueError:
        return PeerKind.UNKNOWN
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # "::ffff:10.20.1.10" from a dual-stack socket
    if proxy is not None and _same(proxy[0], ip) and port == proxy[1]:
        return PeerKind.PROXY
    if any(_same(e, ip) for e in endpoint_addrs):
        return PeerKind.ENDPOINT
    if ip.is_loopback:
        return PeerKind.LOOPBACK
    return PeerKind.PUBLIC if ip.is_global else PeerKind.PRIVATE


def _same(text: str, ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0]) == ip
    except ValueError:
        return False


def version_from_info_plist(data: bytes) -> str | None:
    """Pure: CFBundleShortVersionString (else CFBundleVersion) of a macOS Info.plist."""
    try:
        plist = plistlib.loads(data)
    except Exception:  # plistlib raises several types for bad input
        return None
    if not isinstance(plist, dict):
        return None
    value = plist.get("CFBundleShortVersionString") or plist.get("CFBundleVersion")
    return str(value) if value else None


def peers_from_connections(
    pid: int, conns: Sequence[object], endpoint_addrs: Iterable[str], proxy: tuple[str, int] | None
) -> list[SessionPeer]:
    """Pure: psutil ``net_connections()`` rows (``type``, ``raddr``, ``status``) -> peers.
    TCP counts when ESTABLISHED/SYN_SENT; UDP always, with an unknown peer if no raddr."""
    import socket

    endpoints = list(endpoint_addrs)
    peers = []
    for c in conns:
        raddr = getattr(c, "raddr", None) or None
        status = str(getattr(c, "status", "") or "")
        if getattr(c, "type", None) == socket.SOCK_STREAM:
            if status not in ("ESTABLISHED", "SYN_SENT") or raddr is None:
                continue
            proto = "tcp"
        else:
            proto, status = "udp", ""
        addr, port = (raddr[0], raddr[1]) if raddr else (None, None)
        peers.append(
            SessionPeer(pid, proto, addr, port, classify_peer(addr, port, endpoints, proxy), status)
        )
    return peers


def read_processes() -> tuple[list[Any], str]:
    """This machine's processes (psutil ``Process`` objects with ``info`` holding pid, name
    and exe) and "" — or ([], why) when the list cannot be read. Read once per run: the
    client session and the DNS-agent signs share it. Never raises."""
    try:
        import psutil

        return list(psutil.process_iter(["pid", "name", "exe"])), ""
    except Exception as exc:  # psutil missing or the process list denied
        return [], f"process list not readable ({exc})"


def client_session(
    endpoint_addrs: Iterable[str],
    proxy: tuple[str, int] | None = None,
    system: str | None = None,
    processes: tuple[list[Any], str] | None = None,
) -> ClientSession:
    """The WorkSpaces client processes on this machine and their live sockets (psutil).

    ``endpoint_addrs`` are the endpoint's IP addresses, ``proxy`` the proxy's (ip, port),
    ``processes`` what ``read_processes`` gave (read here when None). Sockets the OS
    withholds (AccessDenied: another user's process without privileges) leave those peers
    unknown, said in ``problem``. Reads no network; never raises.
    """
    import platform

    system = system or platform.system()
    procs, unreadable = processes if processes is not None else read_processes()
    if unreadable:
        return ClientSession(Tri.UNKNOWN, problem=unreadable)
    import psutil  # read_processes imported it: only its exception types are needed here

    endpoints = list(endpoint_addrs)
    found: list[ClientProcess] = []
    peers: list[SessionPeer] = []
    denied: list[str] = []
    for proc in procs:
        info = proc.info
        row = match_process(system, info.get("name") or "", info.get("exe") or "")
        if row is None:
            continue
        version = _bundle_version(info.get("exe") or "") if system == "Darwin" else None
        found.append(
            ClientProcess(info["pid"], info.get("name") or row.name, row.confidence, version)
        )
        try:
            conns = proc.net_connections(kind="inet")
        except (psutil.AccessDenied, psutil.ZombieProcess):
            denied.append(f"pid {info['pid']}: access denied")
            continue
        except psutil.NoSuchProcess:
            continue
        peers += peers_from_connections(info["pid"], conns, endpoints, proxy)
    problem = ("the OS did not give the sockets of " + ", ".join(denied)) if denied else ""
    if system == "Windows" and any(p.protocol == "udp" and p.remote_addr is None for p in peers):
        problem = "; ".join(x for x in (problem, "Windows gives no peer for UDP sockets") if x)
    return ClientSession(Tri.YES if found else Tri.NO, tuple(found), tuple(peers), problem)


def _bundle_version(exe: str) -> str | None:
    """macOS: the version in <App>.app/Contents/Info.plist next to Contents/MacOS/<exe>."""
    path = PurePosixPath(exe)
    if len(path.parts) < 3 or path.parent.name != "MacOS":
        return None
    try:
        with open(path.parent.parent / "Info.plist", "rb") as handle:
            return version_from_info_plist(handle.read(1 << 20))
    except OSError:
        return None
