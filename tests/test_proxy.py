"""Proxy discovery (pure, through the standard library's own readers) and how the runner
routes probes by it. No network: the runner is driven with stand-in probe functions."""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
from collections.abc import Mapping
from dataclasses import replace

import pytest

from tests.support.certs import LabPki, LeafFiles, make_ca
from tests.support.proxy import CONTINUE, TRAILING, HttpProxy
from tests.support.servers import start_tls_server
from tests.synth import plan_for
from wsdiag.check.runner import run_plan
from wsdiag.host.proxy import config_from, discover, route
from wsdiag.probes.tls import tls_context
from wsdiag.probes.tunnel import ProxyDialer, probe_via_proxy
from wsdiag.render.report import proxy_json
from wsdiag.vocab.model import DnsOutcome, DnsSpec, ProxyMode, ProxyRoute, Status, Transport, Via
from wsdiag.vocab.results import DnsResult, ProbeResult

PROXY_VARS = ("https_proxy", "http_proxy", "all_proxy", "no_proxy", "ftp_proxy")
AUTH_HOSTS = ["ws-broker-service.eu-west-1.amazonaws.com", "s3.amazonaws.com"]
PRIVATE = "privatelink.prod.eu-west-1.highlander.aws.a2z.com"
HOST = "127.0.0.1"
NAME = "svc.wsdiag.test"


def from_env(monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str]) -> object:
    """An environment in, the ProxyConfig out: urllib does the reading, as in a real run."""
    for var in PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
        monkeypatch.delenv(var.upper(), raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return discover()


@pytest.mark.parametrize(
    ("env", "url", "host", "port", "problem"),
    [
        ({}, None, None, None, None),
        ({"HTTPS_PROXY": "http://10.0.0.5:3128"}, "http://10.0.0.5:3128", "10.0.0.5", 3128, ""),
        ({"https_proxy": "proxy.corp:8080"}, "http://proxy.corp:8080", "proxy.corp", 8080, ""),
        ({"https_proxy": "http://Proxy.Corp"}, "http://proxy.corp:80", "proxy.corp", 80, ""),
        ({"https_proxy": "http://[fd00::5]:3128"}, "http://[fd00::5]:3128", "fd00::5", 3128, ""),
        # only the https scheme's proxy matters: the client's 443 traffic
        ({"http_proxy": "http://10.0.0.5:3128"}, None, None, None, None),
        (
            {"https_proxy": "socks5://10.0.0.5:1080"},
            "socks5://10.0.0.5:1080",
            "10.0.0.5",
            1080,
            "not socks5://",
        ),
        (
            {"https_proxy": "https://proxy.corp:443"},
            "https://proxy.corp:443",
            "proxy.corp",
            443,
            "not https://",
        ),
        (
            {"https_proxy": "http://proxy.corp:port"},
            "http://<unreadable>",
            None,
            None,
            "no valid port",
        ),
    ],
)
def test_discovery_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    url: str | None,
    host: str | None,
    port: int | None,
    problem: str | None,
) -> None:
    config = from_env(monkeypatch, env)
    if url is None:
        assert config is None
        return
    assert config is not None
    assert (config.url, config.host, config.port, config.source) == (  # type: ignore[attr-defined]
        url,
        host,
        port,
        "environment",
    )
    assert problem is not None and problem in config.problem  # type: ignore[attr-defined]
    if not problem:
        assert config.problem == ""  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "setting",
    [
        "http://alice:s3cret@10.0.0.5:3128",
        "alice:s3cret@10.0.0.5:3128",
        "http://alice@10.0.0.5:3128",
        "socks5://alice:s3cret@10.0.0.5:1080",
        "http://alice:s3cret@10.0.0.5:bad",
    ],
)
def test_credentials_never_survive_parsing(monkeypatch: pytest.MonkeyPatch, setting: str) -> None:
    config = from_env(monkeypatch, {"https_proxy": setting})
    assert config is not None
    assert "alice" not in repr(config) and "s3cret" not in repr(config)
    r = route(config, AUTH_HOSTS, use_proxy=True)  # type: ignore[arg-type]
    assert "alice" not in repr(r) and "s3cret" not in repr(proxy_json(r))
    if config.host:  # type: ignore[attr-defined]
        assert config.url.startswith(f"{config.scheme}://***@10.0.0.5")  # type: ignore[attr-defined]


def test_bypass_comes_from_no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    config = from_env(
        monkeypatch,
        {"https_proxy": "http://10.0.0.5:3128", "no_proxy": ".a2z.com, s3.amazonaws.com"},
    )
    r = route(config, [PRIVATE, *AUTH_HOSTS], use_proxy=True)  # type: ignore[arg-type]
    assert (r.mode, r.host, r.port) == (ProxyMode.PROXY, "10.0.0.5", 3128)
    assert r.bypassed == (PRIVATE, "s3.amazonaws.com")
    assert r.routes(plan_for().targets[1].target.role, AUTH_HOSTS[0], Transport.TLS)


def test_route_modes() -> None:
    never = urllib.request.proxy_bypass_environment
    http = config_from({"https": "http://10.0.0.5:3128"}, lambda h: never(h, {}), "system")
    socks = config_from({"https": "socks4://10.0.0.5:1080"}, lambda h: False, "system")
    assert route(None, AUTH_HOSTS, True).mode is ProxyMode.NONE
    assert route(http, AUTH_HOSTS, True).mode is ProxyMode.PROXY
    off = route(http, AUTH_HOSTS, False)
    assert (off.mode, off.url, off.host) == (ProxyMode.DISABLED, "http://10.0.0.5:3128", None)
    untested = route(socks, AUTH_HOSTS, True)
    assert (untested.mode, untested.host) == (ProxyMode.UNTESTED, None)
    assert "not socks4://" in untested.reason


def test_a_failing_bypass_lookup_means_the_proxy_is_used() -> None:
    def broken(host: str) -> bool:
        raise OSError("registry unreadable")

    config = config_from({"https": "http://10.0.0.5:3128"}, broken, "system")
    assert route(config, AUTH_HOSTS, True).bypassed == ()


# --- routing in the runner ------------------------------------------------------------------


async def local_dns_fails(spec: DnsSpec, budget: float) -> DnsResult:
    """Corporate DNS that knows the private name only: public names go through the proxy."""
    if spec.target_id.startswith("endpoint") and spec.rdtype == "A":
        return DnsResult(
            spec.id, spec.target_id, spec.host, spec.rdtype, DnsOutcome.ANSWER, ("10.0.1.10",)
        )
    return DnsResult(spec.id, spec.target_id, spec.host, spec.rdtype, DnsOutcome.NXDOMAIN)


async def record(base: ProbeResult, timeout: float) -> ProbeResult:
    return replace(base, status=Status.OPEN)


def run_with(proxy: ProxyRoute) -> list[ProbeResult]:
    plan = plan_for(proxy=proxy)
    return asyncio.run(run_plan(plan, local_dns_fails, {t: record for t in Transport})).probes


def test_only_auth_tcp_and_tls_go_through_the_proxy() -> None:
    probes = run_with(
        ProxyRoute(
            ProxyMode.PROXY,
            "http://10.0.0.5:3128",
            "10.0.0.5",
            3128,
            bypassed=("s3.amazonaws.com",),
        )
    )
    via = {p.id: p.via for p in probes if p.status is not Status.SKIPPED}
    assert via["ws-broker/tls/443"] is Via.PROXY
    assert via["workspaces-api/tls/443"] is Via.PROXY
    assert "ws-broker/quic/443" not in via  # direct, so skipped: the name did not resolve
    # the endpoint is direct, but for the streaming-through-the-proxy probes (issue 12)
    assert all(
        v is Via.DIRECT
        for k, v in via.items()
        if k.startswith("endpoint/") and not k.endswith("@proxy")
    )
    assert via["endpoint/tcp/4195@proxy"] is via["endpoint/tcp/443@proxy"] is Via.PROXY
    assert {p.status for p in probes if p.target_id == "s3"} == {Status.SKIPPED}  # bypassed
    proxied = [p for p in probes if p.via is Via.PROXY and p.target_id != "login"]
    assert proxied and all(p.address is None and p.status is Status.OPEN for p in proxied)
    # a target not planned (no --directory-id) records the way it would have gone
    assert {p.via for p in probes if p.target_id == "login"} == {Via.PROXY}


def test_an_untested_proxy_skips_what_would_go_through_it() -> None:
    probes = run_with(
        ProxyRoute(ProxyMode.UNTESTED, "socks5://10.0.0.5:1080", reason="not socks5://")
    )
    broker = next(p for p in probes if p.id == "ws-broker/tls/443")
    assert (broker.status, broker.via) == (Status.SKIPPED, Via.PROXY)
    assert "socks5://10.0.0.5:1080" in broker.detail
    assert not any(p.via is Via.PROXY and p.status is not Status.SKIPPED for p in probes)


@pytest.mark.parametrize("mode", [ProxyMode.NONE, ProxyMode.DISABLED])
def test_without_a_proxy_everything_is_direct(mode: ProxyMode) -> None:
    assert {p.via for p in run_with(ProxyRoute(mode, "http://10.0.0.5:3128"))} == {Via.DIRECT}


@pytest.mark.parametrize(
    ("use_proxy", "mode"), [(True, ProxyMode.UNTESTED), (False, ProxyMode.DISABLED)]
)
def test_unreadable_settings_leave_the_proxied_paths_untested(
    monkeypatch: pytest.MonkeyPatch,
    use_proxy: bool,
    mode: ProxyMode,
) -> None:
    import wsdiag.host.proxy
    from wsdiag.check.catalog import load_catalog
    from wsdiag.check.plan import make_plan
    from wsdiag.vocab.model import Inputs

    def unreadable() -> None:
        raise PermissionError("registry")

    monkeypatch.setattr(wsdiag.host.proxy, "discover", unreadable)
    config = wsdiag.host.proxy.discover_safely()
    r = make_plan(load_catalog(), Inputs("eu-west-1", use_proxy=use_proxy), config).proxy
    assert r.mode is mode
    if use_proxy:
        assert "could not be read (PermissionError)" in r.reason


# --- the proxy's answers on the wire (loopback) ----------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[LabPki, LeafFiles]:
    ca = make_ca(tmp_path_factory.mktemp("pki"))
    return ca, ca.issue("server", [NAME], [HOST])


async def through(mode: str, leaf: LeafFiles, ctx: ssl.SSLContext) -> ProbeResult:
    server, port = await start_tls_server(HOST, 0, leaf.cert_path, leaf.key_path)
    proxy = HttpProxy(mode, upstream=HOST)
    proxy_port = await proxy.start(HOST, 0)
    base = ProbeResult(
        id="t",
        target_id="t",
        host=NAME,
        address=None,
        transport=Transport.TLS,
        port=port,
        status=Status.ERROR,
        via=Via.PROXY,
    )
    try:
        return await probe_via_proxy(base, 2.0, ProxyDialer(HOST, proxy_port), ctx)
    finally:
        await proxy.aclose()
        server.close()


def test_an_interim_100_before_200_is_skipped(pki: tuple[LabPki, LeafFiles]) -> None:
    ca, leaf = pki
    ctx = tls_context()
    ctx.load_verify_locations(str(ca.ca_path))
    r = asyncio.run(through(CONTINUE, leaf, ctx))
    assert (r.status, r.phase, r.proxy_status, r.tls_trusted) == (Status.OPEN, "tls", 200, True)


def test_bytes_after_200_are_the_tunnel_stream_not_lost(pki: tuple[LabPki, LeafFiles]) -> None:
    """What the proxy sent after its head reaches the TLS step at once: here it is not TLS,
    so the handshake fails now (an error), instead of waiting out the timeout ("no answer")."""
    _, leaf = pki
    r = asyncio.run(through(TRAILING, leaf, tls_context()))
    assert (r.status, r.phase, r.proxy_status) == (Status.ERROR, "tls", 200)
    assert r.ms is not None and r.ms < 1500


@pytest.mark.parametrize("setting", ["http://10.0.0.5:0", "http://10.0.0.5:70000"])
def test_a_proxy_port_of_0_or_out_of_range_is_a_clear_problem(setting: str) -> None:
    config = config_from({"https": setting}, lambda h: False, "environment")
    assert config is not None and config.port is None
    assert "no valid port" in config.problem
    assert route(config, AUTH_HOSTS, True).mode is ProxyMode.UNTESTED


def test_an_unclosed_ipv6_bracket_is_the_environments_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``https_proxy='http://[bad:3128'`` was reported "from the system proxy settings"
    (urlsplit's ValueError escaped discovery): the setting is the environment's, named so."""
    from wsdiag.host.proxy import discover_safely
    from wsdiag.rules.internet import _source

    monkeypatch.setattr("wsdiag.host.identity.proxy_view", lambda: None)
    from_env(monkeypatch, {})
    monkeypatch.setenv("https_proxy", "http://[bad:3128")
    config = discover_safely()
    assert config is not None and not config.unreadable
    assert config.source == "environment" and "not a valid URL" in config.problem
    assert _source(config.source) == "the environment (https_proxy)"
    assert route(config, AUTH_HOSTS, True).mode is ProxyMode.UNTESTED


@pytest.mark.parametrize(
    ("setting", "invalid"),
    [
        # fresh report item 15: no proxy URL at all, not a scheme wsdiag does not speak
        ("http://[bad", True),
        ("http://[bad:3128", True),
        ("http://10.30.0.1:99999", True),
        ("http://10.0.0.5:0", True),
        ("http://10.0.0.5:port", True),
        ("http://:3128", True),
        ("socks5://10.0.0.5:1080", False),
        ("https://proxy.corp:443", False),
        ("http://10.0.0.5:3128", False),
    ],
)
def test_a_setting_that_is_no_proxy_url_is_told_from_an_unsupported_one(
    setting: str, invalid: bool
) -> None:
    config = config_from({"https": setting}, lambda h: False, "environment")
    assert config is not None and config.invalid is invalid
    r = route(config, AUTH_HOSTS, True)
    assert r.invalid is invalid
    assert r.mode is (
        ProxyMode.UNTESTED if invalid or "http://" not in setting else ProxyMode.PROXY
    )
    assert "invalid" not in proxy_json(r)  # a fact for the rules, not a report field
