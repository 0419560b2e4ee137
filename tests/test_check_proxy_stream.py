"""Streaming through the http proxy (issue 12, item 7 of the field list): wsdiag also asks
the proxy for CONNECT <private name>:4195 and :443, on loopback with the real CONNECT proxy of
tests.support.proxy resolving the private name to an endpoint address (or refusing non-443
ports as squid's default ``http_access deny CONNECT !SSL_ports`` does)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import proxy as fake_proxy
from tests.support.dnsserver import NXDOMAIN
from tests.support.proxy import ThreadedProxy
from tests.test_check_loopback import (  # noqa: F401  (lab: a fixture)
    AUTH,
    EP_A,
    EP_DEAD,
    HEALTH_DEAD,
    PRIVATE,
    Lab,
    ip,
    lab,
)

PROXY_IP = ip(4, 30)


@pytest.fixture
def proxy(lab: Lab) -> Iterator[ThreadedProxy]:  # noqa: F811
    with ThreadedProxy(PROXY_IP, fake_proxy.RELAY, upstream=AUTH) as p:
        yield p


def run(lab: Lab, proxy: ThreadedProxy) -> dict:  # noqa: F811
    _, r = lab.check(env={**lab.env, "HTTPS_PROXY": proxy.url})
    return r


def probe(r: dict, pid: str) -> dict:
    return next(p for p in r["probes"] if p["id"] == pid)


def codes(r: dict) -> set[str]:
    return {f["code"] for f in r["findings"]}


def test_proxy_relays_streaming_to_the_endpoint(lab: Lab, proxy: ThreadedProxy) -> None:  # noqa: F811
    lab.zone([EP_A], health=HEALTH_DEAD)
    proxy.names = {PRIVATE: EP_A}
    r = run(lab, proxy)
    for port in (4195, 443):
        p = probe(r, f"endpoint/tcp/{port}@proxy")
        assert (p["via"], p["status"], p["proxy_status"]) == ("proxy", "open", 200), p
    assert f"{PRIVATE}:4195" in proxy.targets()
    assert r["evidence"]["proxy_stream_4195"] == "yes"
    assert r["verdict"] == "ready", codes(r)  # the direct facts are unchanged by these


def test_proxy_refusing_connect_4195_names_the_rule(lab: Lab, proxy: ThreadedProxy) -> None:  # noqa: F811
    lab.zone([EP_A], health=HEALTH_DEAD)
    proxy.mode, proxy.names = fake_proxy.SSL_PORTS, {PRIVATE: EP_A}
    r = run(lab, proxy)
    f = next(f for f in r["findings"] if f["code"] == "PROXY_DENIES_CONNECT_4195")
    assert "deny CONNECT !SSL_ports" in f["message"] and f["owner"] == "network"
    assert f["severity"] == "info"  # the direct path works here
    assert probe(r, "endpoint/tcp/4195@proxy")["proxy_status"] == 403
    # No client here: whether it streams through the proxy is not documented, and the two
    # routes differ (direct ready, through the proxy 443 only): both given, verdict unknown.
    said = next(f for f in r["findings"] if f["code"] == "STREAM_PATH_UNKNOWN")["message"]
    assert "through the proxy: degraded for clients with the 443 fallback" in said, said
    assert "direct: ready" in said, said
    assert r["verdict"] == "unknown"


def test_nxdomain_behind_a_proxy_that_reaches_the_endpoint(
    lab: Lab,  # noqa: F811
    proxy: ThreadedProxy,
) -> None:
    """Private DNS names off, the proxy resolving the name: the documented proxy set-up.
    Not a confident 'enable Private DNS names', not 'home'."""
    lab.zone(NXDOMAIN, health=HEALTH_DEAD)
    proxy.names = {PRIVATE: EP_A}
    r = run(lab, proxy)
    assert "ENDPOINT_NXDOMAIN_BEHIND_PROXY" in codes(r)
    assert not {"ENDPOINT_NXDOMAIN", "HOME_NETWORK"} & codes(r)
    assert (r["environment"], r["verdict"]) == ("unknown", "unknown")


def test_nxdomain_behind_a_proxy_that_cannot_reach_it(
    lab: Lab,  # noqa: F811
    proxy: ThreadedProxy,
) -> None:
    lab.zone(NXDOMAIN, health=HEALTH_DEAD)
    proxy.mode, proxy.names = fake_proxy.SSL_PORTS, {PRIVATE: EP_DEAD}
    r = run(lab, proxy)
    """Private DNS names off as AWS advises for proxies: the proxy cannot resolve or reach
    the privatelink name either (its 443 answer 5xx). Not 'home', never 'enable Private
    DNS names': test the endpoint's own vpce name through the proxy."""
    f = next(f for f in r["findings"] if f["code"] == "ENDPOINT_NXDOMAIN_BEHIND_PROXY")
    assert f["severity"] == "warning" and "--endpoint-host" in f["remediation"], f
    assert "enable" not in f["remediation"].lower(), f
    assert {"PROXY_DENIES_CONNECT_4195", "PROXY_CANNOT_REACH_ENDPOINT"} <= codes(r)
    assert not {"ENDPOINT_NXDOMAIN", "HOME_NETWORK"} & codes(r)
    assert (r["environment"], r["verdict"]) == ("unknown", "unknown")
