"""A PAC's answers -> the run's proxy route (pure, table-driven)."""

from __future__ import annotations

import pytest

from wsdiag.host.pac import PacAnswer, PacKind, PacResult, PacSource, chain_from_pypac
from wsdiag.host.pac_route import route_from_pac
from wsdiag.vocab.model import ProxyMode

SRC = (PacSource(PacKind.URL, "http://wpad.corp/wpad.dat", "--pac"),)
BROKER, PRIVATE = "ws-broker-service.eu-west-1.amazonaws.com", "privatelink.x.a2z.com"


def result(**answers: list[str] | str) -> PacResult:
    hosts = {"broker": BROKER, "private": PRIVATE}
    out = {}
    for key, value in answers.items():
        host = hosts[key]
        if isinstance(value, str):  # a problem
            out[host] = PacAnswer(host, problem=value)
        else:
            out[host] = PacAnswer(host, chain_from_pypac(value), "; ".join(value))
    return PacResult(SRC, used=SRC[0].location, answers=out)


@pytest.mark.parametrize(
    ("pac", "mode", "url", "bypassed", "note"),
    [
        (
            result(broker=["http://10.0.0.5:3128", "DIRECT"], private=["DIRECT"]),
            ProxyMode.PROXY,
            "http://10.0.0.5:3128",
            (PRIVATE,),
            "only the first entry of each answer was tested",
        ),
        (
            result(broker=["DIRECT"], private=["DIRECT"]),
            ProxyMode.NONE,
            None,
            (),
            "DIRECT for every name",
        ),
        (
            result(broker=["http://10.0.0.5:3128"], private=["http://10.0.0.6:8080"]),
            ProxyMode.UNTESTED,
            "PAC http://wpad.corp/wpad.dat",
            (),
            "several proxies",
        ),
        (
            result(broker=["socks5://10.0.0.5:1080"], private=["DIRECT"]),
            ProxyMode.UNTESTED,
            "PAC http://wpad.corp/wpad.dat",
            (),
            "HTTP proxies only",
        ),
        (
            result(broker="ReferenceError: x is not defined", private=["DIRECT"]),
            ProxyMode.UNTESTED,
            "PAC http://wpad.corp/wpad.dat",
            (),
            "no answer for 1 name",
        ),
        (
            PacResult(SRC, problem="fetch failed: timed out"),
            ProxyMode.UNTESTED,
            "PAC http://wpad.corp/wpad.dat",
            (),
            "could not be fetched or evaluated",
        ),
    ],
)
def test_route_from_pac(
    pac: PacResult, mode: ProxyMode, url: str | None, bypassed: tuple[str, ...], note: str
) -> None:
    route = route_from_pac(pac, [BROKER, PRIVATE])
    assert (route.mode, route.url, route.bypassed) == (mode, url, bypassed)
    assert route.source == "pac" and route.pac == "http://wpad.corp/wpad.dat"
    assert note in route.pac_note
    # unknown is never "direct": an untested route always says why
    assert route.mode is not ProxyMode.UNTESTED or route.reason
