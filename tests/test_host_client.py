"""The client on this machine: process names per OS, peer classification, and a stand-in
process named like the Linux client holding a TCP connection to a loopback server."""

from __future__ import annotations

import os
import plistlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.support.processes import stop_process
from wsdiag.host.client import (
    classify_peer,
    client_session,
    match_process,
    peers_from_connections,
    version_from_info_plist,
)
from wsdiag.vocab.machine import ClientSession, Confidence, PeerKind, SessionPeer
from wsdiag.vocab.model import Tri

# (system, name, exe) -> matched name, confidence. Names as each OS's process list shows them.
PROCESSES = [
    (
        "Windows",
        "workspaces.exe",
        r"C:\Program Files\Amazon Web Services, Inc\Amazon WorkSpaces\workspaces.exe",
        "workspaces.exe",
        Confidence.CONFIRMED,
    ),
    ("Windows", "WorkSpaces.exe", "", "workspaces.exe", Confidence.CONFIRMED),
    ("Windows", "dcvviewer.exe", "", "dcvviewer.exe", Confidence.ASSUMED),
    (
        "Linux",
        "workspacesclient",
        "/opt/workspacesclient/workspacesclient",
        "workspacesclient",
        Confidence.CONFIRMED,
    ),
    ("Linux", "workspacesclien", "", "workspacesclient", Confidence.CONFIRMED),  # 15-char comm
    ("Linux", "dcvviewer", "/opt/workspacesclient/dcvviewer", "dcvviewer", Confidence.ASSUMED),
    (
        "Darwin",
        "WorkSpaces",
        "/Applications/WorkSpaces.app/Contents/MacOS/WorkSpaces",
        "WorkSpaces",
        Confidence.ASSUMED,
    ),
]
NOT_CLIENTS = [
    ("Windows", "chrome.exe", r"C:\Program Files\Google\Chrome\Application\chrome.exe"),
    ("Linux", "workspaces.exe", ""),  # the Windows name is not the Linux client
    ("Linux", "workspaces", ""),  # shorter than the 15-char truncation: not the client
    ("Darwin", "WorkSpacesHelper", ""),
    ("Linux", "python3", "/usr/bin/python3.11"),
]


@pytest.mark.parametrize(("system", "name", "exe", "row", "conf"), PROCESSES)
def test_client_process_names(system: str, name: str, exe: str, row: str, conf: Confidence) -> None:
    got = match_process(system, name, exe)
    assert got is not None and (got.name, got.confidence) == (row, conf)


@pytest.mark.parametrize(("system", "name", "exe"), NOT_CLIENTS)
def test_other_processes_are_not_the_client(system: str, name: str, exe: str) -> None:
    assert match_process(system, name, exe) is None


ENDPOINTS = ["10.20.1.10", "10.20.2.10"]
PROXY = ("10.0.0.5", 3128)
PEERS = [
    ("10.20.1.10", 4195, PeerKind.ENDPOINT),
    ("::ffff:10.20.2.10", 443, PeerKind.ENDPOINT),
    ("10.0.0.5", 3128, PeerKind.PROXY),
    ("10.0.0.5", 443, PeerKind.PRIVATE),  # the proxy's host, another port: not the proxy
    ("3.217.228.10", 4195, PeerKind.PUBLIC),
    ("100.64.1.1", 4195, PeerKind.PRIVATE),  # RFC 6598
    ("192.168.1.1", 53, PeerKind.PRIVATE),
    ("127.0.0.1", 9000, PeerKind.LOOPBACK),
    (None, None, PeerKind.UNKNOWN),
    ("garbage", 1, PeerKind.UNKNOWN),
]


@pytest.mark.parametrize(("addr", "port", "kind"), PEERS)
def test_classify_peer(addr: str | None, port: int | None, kind: PeerKind) -> None:
    assert classify_peer(addr, port, ENDPOINTS, PROXY) is kind


def test_sentences() -> None:
    peer = SessionPeer(1, "tcp", "10.20.1.10", 4195, PeerKind.ENDPOINT, "ESTABLISHED")
    assert peer.sentence() == "TCP to 10.20.1.10:4195 (an endpoint address)"
    public = SessionPeer(1, "udp", "2600:1f18::1", 4195, PeerKind.PUBLIC)
    assert public.sentence().startswith("UDP to [2600:1f18::1]:4195 (a public address")
    session = ClientSession(
        Tri.YES,
        (),
        (peer, SessionPeer(1, "udp", None, None, PeerKind.UNKNOWN)),
        "Windows gives no peer for UDP sockets",
    )
    assert session.sentences() == [
        "live session: TCP to 10.20.1.10:4195 (an endpoint address)",
        "live session: UDP socket, peer unknown (this OS does not give it)",
        "live session: unknown for some sockets (Windows gives no peer for UDP sockets)",
    ]
    assert ClientSession(Tri.NO).sentences() == ["client: not running"]
    assert ClientSession(Tri.UNKNOWN, problem="x").sentences() == ["client: unknown (x)"]


def _conn(kind: int, raddr: tuple[str, int] | tuple[()], status: str) -> object:
    return SimpleNamespace(type=kind, raddr=raddr, status=status)


def test_peers_from_psutil_rows() -> None:
    rows = [
        _conn(socket.SOCK_STREAM, ("10.20.1.10", 4195), "ESTABLISHED"),
        _conn(socket.SOCK_STREAM, (), "LISTEN"),
        _conn(socket.SOCK_STREAM, ("10.20.1.10", 443), "TIME_WAIT"),
        _conn(socket.SOCK_DGRAM, ("10.20.2.10", 4195), "NONE"),
        _conn(socket.SOCK_DGRAM, (), "NONE"),  # Windows: UDP without a peer
    ]
    peers = peers_from_connections(7, rows, ENDPOINTS, None)
    assert [(p.protocol, p.remote_addr, p.kind) for p in peers] == [
        ("tcp", "10.20.1.10", PeerKind.ENDPOINT),
        ("udp", "10.20.2.10", PeerKind.ENDPOINT),
        ("udp", None, PeerKind.UNKNOWN),
    ]


def test_version_from_info_plist() -> None:
    data = plistlib.dumps(
        {
            "CFBundleName": "WorkSpaces",
            "CFBundleShortVersionString": "5.29.1",
            "CFBundleVersion": "5595",
        }
    )
    assert version_from_info_plist(data) == "5.29.1"
    assert version_from_info_plist(plistlib.dumps({"CFBundleVersion": "5595"})) == "5595"
    assert version_from_info_plist(b"not a plist") is None


@pytest.fixture
def loopback_server() -> Iterator[socket.socket]:
    server = socket.create_server(("127.0.0.1", 0))
    try:
        yield server
    finally:
        server.close()


_HOLD = """
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
print("connected", flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="stand-in named via Linux comm")
def test_stand_in_client_found_with_its_live_session(
    tmp_path: Path, loopback_server: socket.socket
) -> None:
    """A python whose executable is a symlink named 'workspacesclient' holds a TCP
    connection to a loopback server: the reader finds it and classifies the peer."""
    exe = tmp_path / "workspacesclient"
    os.symlink(sys.executable, exe)
    port = loopback_server.getsockname()[1]
    proc = subprocess.Popen([str(exe), "-c", _HOLD, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "connected"
        conn, _ = loopback_server.accept()
        with conn:
            found = _wait_for(proc.pid, ["127.0.0.1"], None)
            mine = [p for p in found.processes if p.pid == proc.pid]
            assert found.running is Tri.YES and mine and mine[0].name == "workspacesclient"
            peers = [p for p in found.peers if p.pid == proc.pid]
            assert [(p.protocol, p.remote_port, p.kind) for p in peers] == [
                ("tcp", port, PeerKind.ENDPOINT)
            ]
            assert peers[0].sentence() == f"TCP to 127.0.0.1:{port} (an endpoint address)"
            via_proxy = client_session([], ("127.0.0.1", port))
            assert [p.kind for p in via_proxy.peers if p.pid == proc.pid] == [PeerKind.PROXY]
    finally:
        stop_process(proc)
    after = client_session(["127.0.0.1"])
    assert all(p.pid != proc.pid for p in after.processes)


_UNPRIVILEGED_READER = """
import json, os, platform, sys
import psutil  # client_session imports it lazily: load it while its files are readable
from wsdiag.host.client import client_session
os.setgroups([]); os.setgid(65534); os.setuid(65534)  # imports done: now as 'nobody'
session = client_session(["127.0.0.1"])
pid = int(sys.argv[1])
print(json.dumps({"running": session.running.value, "problem": session.problem,
                  "pids": [p.pid for p in session.processes],
                  "peers": [p.pid for p in session.peers]}))
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0,
    reason="needs root to start a reader that drops to another user",
)
def test_another_users_client_sockets_are_unknown_not_absent(
    tmp_path: Path, loopback_server: socket.socket
) -> None:
    """A reader running as another user sees the client process but not its sockets (as on
    macOS without privileges): the session says so instead of 'no live session'."""
    exe = tmp_path / "workspacesclient"
    os.symlink(sys.executable, exe)
    port = loopback_server.getsockname()[1]
    proc = subprocess.Popen([str(exe), "-c", _HOLD, str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "connected"
        conn, _ = loopback_server.accept()
        with conn:
            env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
            out = subprocess.run(
                [sys.executable, "-c", _UNPRIVILEGED_READER, str(proc.pid)],
                capture_output=True,
                text=True,
                timeout=30,
                env=env,
                check=True,
            ).stdout
    finally:
        stop_process(proc)
    import json

    got = json.loads(out)
    assert got["running"] == "yes" and proc.pid in got["pids"]
    assert proc.pid not in got["peers"]
    assert f"pid {proc.pid}: access denied" in got["problem"]


def _wait_for(pid: int, endpoints: list[str], proxy: tuple[str, int] | None) -> ClientSession:
    """The session once the stand-in's socket shows (the kernel lists it at once; the loop
    only guards against a slow process start)."""
    for _ in range(50):
        session = client_session(endpoints, proxy)
        if any(p.pid == pid for p in session.peers):
            return session
        time.sleep(0.1)
    return session
