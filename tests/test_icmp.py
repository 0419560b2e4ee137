"""Who refused, read into a probe's result (wsdiag.probes.icmp): pure, on recorded reports."""

from __future__ import annotations

import pytest

from wsdiag.host.errqueue import SO_EE_ORIGIN_ICMP, SO_EE_ORIGIN_LOCAL, IcmpReport
from wsdiag.probes.icmp import refine, telling
from wsdiag.vocab.model import Status, Transport
from wsdiag.vocab.results import ProbeResult

EHOSTUNREACH, ECONNREFUSED, EMSGSIZE = 113, 111, 90
DEST, ME, FIREWALL = "10.20.1.10", "192.168.1.20", "10.30.0.1"


def _r(
    code: int, offender: str | None, icmp_type: int = 3, errno: int = EHOSTUNREACH
) -> IcmpReport:
    return IcmpReport(errno, SO_EE_ORIGIN_ICMP, icmp_type, code, 0, offender)


def _result(status: Status, detail: str = "No route to host") -> ProbeResult:
    return ProbeResult("p", "t", "h", DEST, Transport.QUIC, 4195, status, detail=detail)


@pytest.mark.parametrize(
    ("reports", "status", "icmp", "offender", "words"),
    [
        ((_r(13, FIREWALL),), Status.UNREACHABLE, "prohibited", FIREWALL, "administratively"),
        ((_r(10, FIREWALL),), Status.UNREACHABLE, "prohibited", FIREWALL, "ICMP 3/10"),
        ((_r(3, DEST, errno=ECONNREFUSED),), Status.REFUSED, "port-unreachable", DEST, "port"),
        ((_r(1, "10.0.0.1"),), Status.UNREACHABLE, "host-unreachable", "10.0.0.1", "host unr"),
        ((_r(0, "10.0.0.1"),), Status.UNREACHABLE, "net-unreachable", "10.0.0.1", "network"),
        # a prohibited ICMP from this machine's own address: its own firewall
        ((_r(13, ME),), Status.UNREACHABLE, "local", ME, "this machine's own firewall"),
        # a local error (no ICMP): this machine's stack
        (
            (IcmpReport(EMSGSIZE, SO_EE_ORIGIN_LOCAL, 0, 0, 1400, None),),
            Status.UNREACHABLE,
            "local",
            None,
            "this machine",
        ),
        # the firewall's refusal outranks a router's host unreachable seen with it
        ((_r(1, "10.0.0.1"), _r(13, FIREWALL)), Status.UNREACHABLE, "prohibited", FIREWALL, "3/13"),
    ],
)
def test_refine_names_who_refused(
    reports: tuple[IcmpReport, ...], status: Status, icmp: str, offender: str | None, words: str
) -> None:
    got = refine(_result(Status.UNREACHABLE), reports, ME)
    assert (got.status, got.icmp, got.offender) == (status, icmp, offender)
    assert words in got.detail and "No route" not in got.detail


def test_port_unreachable_from_a_local_destination_is_the_peer() -> None:
    # probing 127.0.0.1: the offender is both our address and the destination: the peer
    loop = ProbeResult("p", "t", "h", "127.0.0.1", Transport.QUIC, 1, Status.REFUSED)
    got = refine(loop, (_r(3, "127.0.0.1", errno=ECONNREFUSED),), "127.0.0.1")
    assert (got.status, got.icmp) == (Status.REFUSED, "port-unreachable")


def test_a_non_final_icmp_keeps_the_timeout_and_adds_the_sender() -> None:
    timed_out = _result(Status.FILTERED, "no QUIC answer before the timeout")
    got = refine(timed_out, (_r(2, FIREWALL),), ME)  # protocol unreachable: not in the table
    assert (got.status, got.icmp, got.offender) == (Status.FILTERED, "other", FIREWALL)
    assert got.detail.startswith("no QUIC answer") and "3/2" in got.detail


def test_open_and_no_reports_are_unchanged() -> None:
    opened = _result(Status.OPEN, "")
    assert refine(opened, (_r(13, FIREWALL),), ME) is opened
    failed = _result(Status.UNREACHABLE)
    assert refine(failed, (), ME) is failed
    assert telling(()) is None
