"""Path MTU: the test probe's classifier (over the error map's causes), the DF table, and the
real thing in namespaces: a router whose egress link has MTU 1100, with its ICMP
'fragmentation needed' returned or dropped."""

from __future__ import annotations

import errno
import socket

import pytest

from tests.support.netns import Netns, client_router_server, unavailable_reason
from tests.support.pmtu import MtuStatus, PathMtu, classify, probe_path_mtu
from wsdiag.host.mtu import DF_OPTIONS, fits_quic, platform_key, set_dont_fragment
from wsdiag.probes.errors import fault_of

CLASSIFY = [
    # df_set, errno, replied, learned -> status, mtu (the errno read by the one error map)
    (True, errno.EMSGSIZE, False, 1100, MtuStatus.SMALL, 1100),  # EMSGSIZE, IP_MTU read
    (True, errno.EMSGSIZE, False, None, MtuStatus.SMALL, None),  # macOS: no IP_MTU there
    (True, 10040, False, 1280, MtuStatus.SMALL, 1280),  # WSAEMSGSIZE
    (True, None, True, None, MtuStatus.OK, None),  # a reply
    (True, errno.ECONNREFUSED, False, None, MtuStatus.OK, None),  # port unreachable: arrived
    (True, 10054, False, None, MtuStatus.OK, None),  # Windows: WSAECONNRESET on UDP
    (True, None, False, None, MtuStatus.UNKNOWN, None),  # silence is never success
    (True, errno.EHOSTUNREACH, False, None, MtuStatus.UNKNOWN, None),  # nothing proven
    (False, None, True, None, MtuStatus.UNKNOWN, None),  # without DF a reply proves nothing
]


@pytest.mark.parametrize(("df", "error", "replied", "learned", "status", "mtu"), CLASSIFY)
def test_classify(
    df: bool,
    error: int | None,
    replied: bool,
    learned: int | None,
    status: MtuStatus,
    mtu: int | None,
) -> None:
    cause = fault_of(OSError(error, "socket error"))[0] if error is not None else None
    result = classify(df_set=df, cause=cause, replied=replied, learned=learned)
    assert (result.status, result.mtu) == (status, mtu)
    assert result.detail


@pytest.mark.parametrize(
    ("mtu", "version", "fits"),
    [
        (1500, 4, True),
        (1228, 4, True),
        (1227, 4, False),
        (1100, 4, False),
        (1380, 6, True),
        (1247, 6, False),
        (1280, 6, True),
        (None, 4, None),
    ],
)
def test_fits_quic(mtu: int | None, version: int, fits: bool | None) -> None:
    assert fits_quic(mtu, version) is fits


def test_df_table_covers_each_os_and_family() -> None:
    for key in ("linux", "darwin", "win32"):
        assert (key, 4) in DF_OPTIONS and (key, 6) in DF_OPTIONS
    assert platform_key("linux") == "linux" and platform_key("win32") == "win32"
    assert platform_key("freebsd14") == ""


@pytest.mark.skipif(not platform_key(), reason="DF options are known for Linux/macOS/Windows")
def test_set_dont_fragment_on_a_real_socket() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        assert set_dont_fragment(sock)
        if platform_key() == "linux":
            assert sock.getsockopt(socket.IPPROTO_IP, 10) == 2  # IP_PMTUDISC_DO


def test_loopback_closed_port_is_ok_and_echo_is_ok() -> None:
    """Loopback (MTU 65536) carries 1200 bytes: a closed port answers port unreachable,
    an echo server replies."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    assert probe_path_mtu("127.0.0.1", port, 1.0).status is MtuStatus.OK
    assert probe_path_mtu("not-an-ip", 1, 1.0).status is MtuStatus.UNKNOWN


_PROBE = """
import json
from dataclasses import asdict
from tests.support.pmtu import probe_path_mtu
print(json.dumps(asdict(probe_path_mtu("10.99.2.2", 4195, 2.0))))
"""


def _probe(ns: Netns) -> PathMtu:
    got = ns.python("c", _PROBE)
    assert isinstance(got, dict)
    return PathMtu(MtuStatus(got["status"]), got["mtu"], got["detail"])


needs_netns = pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))


@needs_netns
def test_mtu_1100_with_icmp_returned_is_small_1100() -> None:
    with Netns() as ns:
        client_router_server(ns, 1100)
        result = _probe(ns)
    assert result.status is MtuStatus.SMALL and result.mtu == 1100, result


@needs_netns
def test_mtu_1100_with_icmp_dropped_is_unknown_never_ok() -> None:
    with Netns() as ns:
        client_router_server(ns, 1100)
        # The router's own ICMP 'fragmentation needed' never leaves it (a filtering hop).
        ns.exec("r", ["nft", "add table inet wnmtu"])
        ns.exec("r", ["nft", "add chain inet wnmtu out { type filter hook output priority 0; }"])
        ns.exec("r", ["nft", "add rule inet wnmtu out icmp type destination-unreachable drop"])
        result = _probe(ns)
    assert result.status is MtuStatus.UNKNOWN, result


@needs_netns
def test_full_mtu_path_is_ok() -> None:
    """Control: the same lab with a 1500 egress; the server's port unreachable comes back."""
    with Netns() as ns:
        client_router_server(ns, 1500)
        result = _probe(ns)
    assert result.status is MtuStatus.OK, result


_LOCAL = """
import json, socket
from dataclasses import asdict
from tests.support.pmtu import probe_path_mtu
plain = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
plain.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_PMTUDISC_DONT: the kernel may fragment
sent = plain.sendto(bytes(1200), ("10.99.2.2", 4195))
print(json.dumps({"plain_sent": sent, "probe": asdict(probe_path_mtu("10.99.2.2", 4195, 2.0))}))
"""


@needs_netns
def test_local_interface_mtu_1100_fragments_without_df_and_probe_says_small() -> None:
    """The laptop's own link (a VPN adapter) has MTU 1100: a socket without DF 'succeeds'
    (the kernel fragments), the DF probe reports the path fact at once."""
    with Netns() as ns:
        client_router_server(ns, 1500)
        ns.ip("c", "link", "set", "c0", "mtu", "1100")
        got = ns.python("c", _LOCAL)
    assert isinstance(got, dict)
    assert got["plain_sent"] == 1200
    assert (got["probe"]["status"], got["probe"]["mtu"]) == ("small", 1100)
