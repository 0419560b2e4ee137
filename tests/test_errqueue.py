"""Who refused: ICMP errors read from the socket's error queue (Linux IP_RECVERR), against a
router in a namespace that rejects with nftables, and the pure parser on recorded bytes."""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
from collections.abc import Iterator

import pytest

from tests.support.netns import Netns, client_router_server, unavailable_reason
from wsdiag.host.errqueue import (
    SO_EE_ORIGIN_ICMP,
    SO_EE_ORIGIN_ICMP6,
    SO_EE_ORIGIN_LOCAL,
    IcmpKind,
    kind_of,
    parse,
)


@pytest.mark.parametrize(
    ("origin", "icmp_type", "code", "kind"),
    [
        (SO_EE_ORIGIN_ICMP, 3, 13, IcmpKind.PROHIBITED),  # nft reject ... admin-prohibited
        (SO_EE_ORIGIN_ICMP, 3, 10, IcmpKind.PROHIBITED),  # host-prohibited
        (SO_EE_ORIGIN_ICMP, 3, 9, IcmpKind.PROHIBITED),  # net-prohibited (reads ENETUNREACH)
        (SO_EE_ORIGIN_ICMP, 3, 3, IcmpKind.PORT_UNREACHABLE),
        (SO_EE_ORIGIN_ICMP, 3, 1, IcmpKind.HOST_UNREACHABLE),
        (SO_EE_ORIGIN_ICMP, 3, 0, IcmpKind.NET_UNREACHABLE),
        (SO_EE_ORIGIN_ICMP, 3, 4, IcmpKind.TOO_BIG),
        (SO_EE_ORIGIN_ICMP, 11, 0, IcmpKind.OTHER),  # time exceeded
        (SO_EE_ORIGIN_ICMP6, 1, 1, IcmpKind.PROHIBITED),  # reads EACCES, like a local block
        (SO_EE_ORIGIN_ICMP6, 1, 4, IcmpKind.PORT_UNREACHABLE),
        (SO_EE_ORIGIN_ICMP6, 1, 3, IcmpKind.HOST_UNREACHABLE),
        (SO_EE_ORIGIN_ICMP6, 2, 0, IcmpKind.TOO_BIG),
        (SO_EE_ORIGIN_LOCAL, 0, 0, IcmpKind.LOCAL),
        (9, 3, 13, IcmpKind.OTHER),  # an origin this table does not know
    ],
)
def test_kind_of(origin: int, icmp_type: int, code: int, kind: IcmpKind) -> None:
    assert kind_of(origin, icmp_type, code) is kind


def _sockaddr_in(address: str) -> bytes:
    family = socket.AF_INET.to_bytes(2, sys.byteorder)
    return family + struct.pack("!H", 0) + socket.inet_aton(address) + bytes(8)


def test_parse_reads_errno_type_code_and_offender() -> None:
    # sock_extended_err as Linux queues it for ICMP 3/13 from 10.99.1.1 (EHOSTUNREACH=113)
    data = struct.pack("=IBBBBII", 113, SO_EE_ORIGIN_ICMP, 3, 13, 0, 0, 0) + _sockaddr_in(
        "10.99.1.1"
    )
    report = parse(data)
    assert report is not None
    assert (report.errno, report.kind, report.offender) == (113, IcmpKind.PROHIBITED, "10.99.1.1")


def test_parse_a_local_error_has_no_offender_and_short_bytes_are_none() -> None:
    local = struct.pack("=IBBBBII", 90, SO_EE_ORIGIN_LOCAL, 0, 0, 0, 1400, 0) + bytes(16)
    report = parse(local)
    assert report is not None and report.offender is None and report.info == 1400
    assert parse(b"\x00" * 5) is None


@contextlib.contextmanager
def _routed(router_rule: str, client_rule: str = "") -> Iterator[Netns]:
    """client 10.99.1.2 -- router 10.99.1.1 (``router_rule`` in its forward chain) --
    10.99.2.2 (nothing listens); ``client_rule`` in the client's own output chain."""
    if reason := unavailable_reason():
        pytest.skip(reason)
    with Netns() as ns:
        client_router_server(ns)
        ns.exec("r", ["nft", "add table inet wnerr"])
        ns.exec("r", ["nft", "add chain inet wnerr pass { type filter hook forward priority 0; }"])
        ns.exec("r", ["nft", f"add rule inet wnerr pass {router_rule}"])
        if client_rule:
            ns.exec("c", ["nft", "add table inet wnloc"])
            ns.exec(
                "c", ["nft", "add chain inet wnloc out { type filter hook output priority 0; }"]
            )
            ns.exec("c", ["nft", f"add rule inet wnloc out {client_rule}"])
        yield ns


_SEND = """
import json, socket, time
from wsdiag.host.errqueue import drain, enable
out = {}
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
out["enabled"] = enable(u)
u.connect(("10.99.2.2", 4195))
u.send(b"x" * 32)
time.sleep(0.3)
try:
    u.recv(64)
except OSError as exc:
    out["udp_errno"] = exc.errno
out["udp"] = [(r.kind.value, r.offender) for r in drain(u)]
out["udp_after"] = len(drain(u))  # drained: nothing left to poll as an error
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
enable(t)
t.settimeout(2)
try:
    t.connect(("10.99.2.2", 4195))
except OSError as exc:
    out["tcp_errno"] = exc.errno
out["tcp"] = [(r.kind.value, r.offender) for r in drain(t)]
print(json.dumps(out))
"""


@pytest.mark.lab
def test_a_firewall_refusal_names_the_firewall() -> None:
    """client 10.99.1.2 -- router 10.99.1.1 (rejects 4195 admin-prohibited) -- 10.99.2.2."""
    with _routed("th dport 4195 reject with icmpx type admin-prohibited") as ns:
        got = ns.python("c", _SEND)
    assert isinstance(got, dict)
    assert got["enabled"] is True
    # errno alone says EHOSTUNREACH, as a missing route would; the queue names the firewall
    assert got["udp_errno"] == 113 and got["tcp_errno"] == 113
    # one queued error per ICMP that came back (a retransmitted SYN may bring a second)
    assert {tuple(r) for r in got["udp"]} == {("prohibited", "10.99.1.1")}
    assert got["udp_after"] == 0
    assert {tuple(r) for r in got["tcp"]} == {("prohibited", "10.99.1.1")}


# Runs the real probes in the client namespace; CPU time (time.process_time, the whole
# process) around each one, so a loop spinning on an undrained error queue shows as seconds
# of CPU whatever the machine's load (wall time would not tell).
_PROBES = """
import asyncio, json, time
from wsdiag.probes.quic import probe_quic
from wsdiag.probes.tcp import probe_tcp
from wsdiag.vocab.model import Status, Transport
from wsdiag.vocab.results import ProbeResult

async def main():
    out = {}
    for t, port in ((Transport.QUIC, 4195), (Transport.TCP, 4195), (Transport.QUIC, 443),
                    (Transport.TCP, 443)):
        base = ProbeResult(id="x", target_id="x", host="x", address="10.99.2.2", transport=t,
                           port=port, status=Status.ERROR)
        cpu = time.process_time()
        r = await (probe_quic(base, 2.0, ("h3",)) if t is Transport.QUIC
                   else probe_tcp(base, 2.0))
        out[f"{t.value}/{port}"] = {"status": r.status.value, "icmp": r.icmp,
            "offender": r.offender, "detail": r.detail,
            "cpu_ms": (time.process_time() - cpu) * 1000}
    print(json.dumps(out))

asyncio.run(main())
"""


@pytest.mark.lab
def test_probes_name_the_firewall_not_a_route() -> None:
    """nft ``reject with icmpx type admin-prohibited`` for 4195: the probes say a firewall
    at 10.99.1.1 refused, never "no route to host" (which the errno, EHOSTUNREACH, says)."""
    with _routed("th dport 4195 reject with icmpx type admin-prohibited") as ns:
        got = ns.python("c", _PROBES, timeout=60)
    assert isinstance(got, dict)
    for path in ("quic/4195", "tcp/4195"):
        r = got[path]
        assert (r["status"], r["icmp"], r["offender"]) == (
            "unreachable",
            "prohibited",
            "10.99.1.1",
        ), r
        assert "administratively prohibited" in r["detail"] and "10.99.1.1" in r["detail"], r
        assert "route" not in r["detail"].lower(), r
    # 443 passes the router: the host itself answers (port unreachable / RST), the peer's
    assert (got["quic/443"]["status"], got["quic/443"]["icmp"]) == ("refused", "port-unreachable")
    assert got["quic/443"]["offender"] == "10.99.2.2"
    assert got["tcp/443"]["status"] == "refused"


@pytest.mark.lab
def test_this_machines_own_firewall_is_named_local() -> None:
    """The client's own output chain rejects 443 with an ICMP from its own address."""
    with _routed("udp dport 9 drop", "th dport 443 reject with icmpx type admin-prohibited") as ns:
        got = ns.python("c", _PROBES, timeout=60)
    assert isinstance(got, dict)
    for path in ("quic/443", "tcp/443"):
        r = got[path]
        assert (r["status"], r["icmp"], r["offender"]) == ("unreachable", "local", "10.99.1.2"), r
        assert "this machine's own firewall" in r["detail"], r


@pytest.mark.lab
def test_a_queued_error_never_spins_the_loop() -> None:
    """ICMP 3/2 (protocol unreachable) says nothing final: the QUIC probe waits its 2 s out.
    The error sits in the socket's queue; undrained, the socket polls as an error and the
    loop spins (about a second of CPU over the wait, measured); drained, a few ms."""
    with _routed("udp dport 4195 reject with icmp type prot-unreachable") as ns:
        got = ns.python("c", _PROBES, timeout=60)
    assert isinstance(got, dict)
    r = got["quic/4195"]
    assert (r["status"], r["icmp"], r["offender"]) == ("filtered", "other", "10.99.1.1"), r
    assert "3/2" in r["detail"] and "10.99.1.1" in r["detail"], r
    assert r["cpu_ms"] < 50, r
