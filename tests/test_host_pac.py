"""PAC/WPAD: each OS's setting parsed from recorded values; evaluation of real PAC scripts
(served by a loopback HTTP server, read from a file) in the killable child, including one
that never returns."""

from __future__ import annotations

import http.server
import struct
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from wsdiag.host.pac import (
    ChainEntry,
    HopKind,
    PacKind,
    PacSource,
    chain_from_pypac,
    discover_sources,
    explicit_source,
    parse_answer,
    parse_connection_settings,
    parse_gvariant_string,
    parse_scutil_proxy,
    sources_from_gsettings,
    sources_from_scutil,
    sources_from_windows,
)
from wsdiag.host.pac_eval import evaluate_pac, result_from_lines
from wsdiag.host.pac_route import route_from_pac
from wsdiag.vocab.model import ProxyMode

INET = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings"
POLICY = r"Software\Policies\Microsoft\Windows\CurrentVersion\Internet Settings"
CONN = INET + r"\Connections"


def blob(
    flags: int, proxy: str = "", bypass: str = "", url: str = "", version: int = 0x46
) -> bytes:
    """DefaultConnectionSettings in the layout Windows 10/11 use (version 0x46, counter,
    flags, length-prefixed strings, then detection state wsdiag does not read)."""
    out = struct.pack("<III", version, 7, flags)
    for text in (proxy, bypass, url):
        out += struct.pack("<I", len(text)) + text.encode("latin-1")
    return out + bytes(32)


# The shape of a fresh Windows profile: "Automatically detect settings" on (flags 0x09).
# Written from the documented layout, not captured from a machine here.
FRESH_WINDOWS = bytes.fromhex(
    "460000000300000009000000000000000000000000000000010000000000000000000000"
    "00000000000000000000000000000000000000000000000000000000"
)


def test_connection_settings_blobs() -> None:
    fresh = parse_connection_settings(FRESH_WINDOWS)
    assert fresh is not None and fresh.auto_detect and not fresh.uses_autoconfig_url
    pac = parse_connection_settings(blob(0x05, url="http://pac.corp.example/proxy.pac"))
    assert pac is not None and pac.uses_autoconfig_url and not pac.auto_detect
    assert pac.autoconfig_url == "http://pac.corp.example/proxy.pac"
    manual = parse_connection_settings(blob(0x03, "proxy.corp:3128", "<local>"))
    assert manual is not None and (manual.proxy_server, manual.bypass) == (
        "proxy.corp:3128",
        "<local>",
    )
    assert parse_connection_settings(b"\x46\x00") is None
    assert parse_connection_settings(struct.pack("<IIII", 0x46, 1, 5, 999)) is None


def test_windows_sources_in_the_order_windows_tries_them() -> None:
    rows = [
        ("HKCU", POLICY, "AutoConfigURL", "http://gpo.corp.example/gpo.pac"),
        ("HKCU", INET, "AutoConfigURL", "http://user.corp.example/user.pac"),
        ("HKCU", CONN, "DefaultConnectionSettings", blob(0x0D, url="http://x/ignored.pac")),
    ]
    got = sources_from_windows(rows)
    assert [(s.kind, s.location) for s in got] == [
        (PacKind.WPAD, ""),
        (PacKind.URL, "http://gpo.corp.example/gpo.pac"),
    ]
    assert got[1].origin == "WinINet AutoConfigURL (HKCU policy)"
    assert sources_from_windows([("HKCU", CONN, "DefaultConnectionSettings", blob(0x01))]) == []
    assert sources_from_windows([("HKCU", INET, "AutoConfigURL", r"C:\corp\proxy.pac")]) == [
        PacSource(PacKind.FILE, r"C:\corp\proxy.pac", "WinINet AutoConfigURL (HKCU settings)")
    ]
    blob_only = sources_from_windows(
        [("HKCU", CONN, "DefaultConnectionSettings", blob(0x05, url="http://b/p.pac"))]
    )
    assert blob_only == [PacSource(PacKind.URL, "http://b/p.pac", "WinINet connection settings")]


SCUTIL_PAC = """<dictionary> {
  ExceptionsList : <array> {
    0 : *.local
    1 : 169.254/16
  }
  FTPPassive : 1
  HTTPEnable : 0
  HTTPSEnable : 0
  ProxyAutoConfigEnable : 1
  ProxyAutoConfigURLString : http://pac.corp.example/proxy.pac
  ProxyAutoDiscoveryEnable : 0
  SOCKSEnable : 0
}
"""
SCUTIL_WPAD = """<dictionary> {
  ExceptionsList : <array> {
    0 : ProxyAutoConfigEnable : 1
  }
  FTPPassive : 1
  ProxyAutoDiscoveryEnable : 1
}
"""
SCUTIL_NONE = """<dictionary> {
  ExceptionsList : <array> {
    0 : *.local
    1 : 169.254/16
  }
  FTPPassive : 1
  HTTPEnable : 0
  HTTPSEnable : 0
}
"""


def test_scutil_proxy() -> None:
    assert parse_scutil_proxy(SCUTIL_PAC)["ProxyAutoConfigEnable"] == "1"
    assert "0" not in parse_scutil_proxy(SCUTIL_PAC)  # array items are not settings
    assert [s.location for s in sources_from_scutil(SCUTIL_PAC)] == [
        "http://pac.corp.example/proxy.pac"
    ]
    assert [s.kind for s in sources_from_scutil(SCUTIL_WPAD)] == [PacKind.WPAD]
    assert sources_from_scutil(SCUTIL_NONE) == []
    assert sources_from_scutil("") == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("'auto'\n", "auto"),
        ("'none'", "none"),
        ("''", ""),
        ("@s ''", ""),
        ("'http://pac.corp/it\\'s.pac'", "http://pac.corp/it's.pac"),
    ],
)
def test_gvariant_strings(text: str, value: str) -> None:
    assert parse_gvariant_string(text) == value


def test_gsettings_sources() -> None:
    assert sources_from_gsettings("'auto'", "'http://pac.corp/p.pac'")[0].location == (
        "http://pac.corp/p.pac"
    )
    assert sources_from_gsettings("'auto'", "''")[0].kind is PacKind.WPAD
    assert sources_from_gsettings("'manual'", "'http://pac.corp/p.pac'") == []
    assert sources_from_gsettings("'none'", "''") == []


def test_explicit_source_and_discovery_precedence() -> None:
    assert explicit_source("https://pac.corp/p.pac").kind is PacKind.URL
    assert explicit_source("file:///etc/corp%20proxy.pac") == PacSource(
        PacKind.FILE, "/etc/corp proxy.pac", "--pac"
    )
    assert explicit_source("proxy.pac").kind is PacKind.FILE
    reads = {"windows": [], "scutil": SCUTIL_PAC, "gsettings": ("'auto'", "''")}
    assert [s.kind for s in discover_sources(None, reads)] == [PacKind.URL, PacKind.WPAD]
    assert discover_sources("x.pac", reads) == [PacSource(PacKind.FILE, "x.pac", "--pac")]
    assert discover_sources(None, {"windows": None, "scutil": None, "gsettings": None}) == []


def test_chain_from_pypac_values() -> None:
    assert chain_from_pypac(["http://proxy.corp:3128", "DIRECT"]) == (
        ChainEntry(HopKind.PROXY, "proxy.corp", 3128),
        ChainEntry(HopKind.DIRECT),
    )
    assert chain_from_pypac(["socks5://s:1080", "https://p:443", "http://bad:port"]) == (
        ChainEntry(HopKind.SOCKS, "s", 1080),
        ChainEntry(HopKind.HTTPS, "p", 443),
    )
    assert str(ChainEntry(HopKind.PROXY, "p", 8080)) == "PROXY p:8080"


def test_result_lines_unanswered_hosts_are_unknown() -> None:
    src = (PacSource(PacKind.URL, "http://p/p.pac", "--pac"),)
    lines = [
        '{"pac": "http://p/p.pac", "problem": ""}',
        '{"host": "a.example", "raw": "PROXY p:3128", "chain": ["http://p:3128"]}',
        '{"host": "c.example", "raw": "bogus", "chain": []}',
        "garbage",
    ]
    res = result_from_lines(src, ["a.example", "b.example", "c.example"], lines, timed_out=True)
    assert res.chain_for("a.example") == (ChainEntry(HopKind.PROXY, "p", 3128),)
    assert res.chain_for("b.example") is None
    assert "deadline" in res.answers["b.example"].problem
    assert res.chain_for("c.example") is None  # an answer with no usable entry is unknown


PAC = """
function FindProxyForURL(url, host) {
  if (shExpMatch(host, "*.amazonaws.com")) return "PROXY proxy.corp.example:3128; DIRECT";
  if (dnsDomainIs(host, ".amazon.com"))
    return "PROXY a.corp.example:8080; PROXY b.corp.example:8080";
  return "DIRECT";
}
"""
LOOPING = "function FindProxyForURL(url, host) { while (true) {} }"
HOSTS = [
    "ws-broker-service.us-east-1.amazonaws.com",
    "skylight-client-ds.amazon.com",
    "example.net",
]


@pytest.fixture
def pac_server() -> Iterator[str]:
    """A loopback HTTP server: /proxy.pac serves PAC, /loop.pac LOOPING, the rest 404."""
    bodies = {"/proxy.pac": PAC, "/loop.pac": LOOPING, "/broken.pac": "this is not js {"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = bodies.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/x-ns-proxy-autoconfig")
            self.end_headers()
            self.wfile.write((body or "").encode())

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _check_answers(result: object) -> None:
    from wsdiag.host.pac import PacResult

    assert isinstance(result, PacResult)
    assert result.chain_for(HOSTS[0]) == (
        ChainEntry(HopKind.PROXY, "proxy.corp.example", 3128),
        ChainEntry(HopKind.DIRECT),
    )
    assert [str(e) for e in result.chain_for(HOSTS[1]) or ()] == [
        "PROXY a.corp.example:8080",
        "PROXY b.corp.example:8080",
    ]
    assert result.chain_for(HOSTS[2]) == (ChainEntry(HopKind.DIRECT),)


def test_pac_from_a_loopback_url(pac_server: str) -> None:
    url = pac_server + "/proxy.pac"
    result = evaluate_pac(PacSource(PacKind.URL, url, "--pac"), HOSTS, time.monotonic() + 20)
    assert result.used == url and result.problem == ""
    _check_answers(result)


def test_pac_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "proxy.pac"
    path.write_text(PAC)
    result = evaluate_pac(explicit_source(str(path)), HOSTS, time.monotonic() + 20)
    _check_answers(result)


def test_first_source_that_loads_is_used(pac_server: str, tmp_path: Path) -> None:
    sources = [
        PacSource(PacKind.URL, pac_server + "/missing.pac", "WinINet"),
        PacSource(PacKind.FILE, str(tmp_path / "absent.pac"), "x"),
        PacSource(PacKind.URL, pac_server + "/proxy.pac", "WinHTTP settings"),
    ]
    result = evaluate_pac(sources, HOSTS, time.monotonic() + 20)
    assert result.used == pac_server + "/proxy.pac"
    _check_answers(result)


@pytest.mark.parametrize("path", ["/missing.pac", "/broken.pac"])
def test_unloadable_or_broken_pac_is_unknown_never_direct(pac_server: str, path: str) -> None:
    result = evaluate_pac(
        PacSource(PacKind.URL, pac_server + path, "--pac"), HOSTS, time.monotonic() + 20
    )
    assert result.problem
    assert all(result.chain_for(h) is None for h in HOSTS)


def test_refused_pac_url_is_unknown() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = evaluate_pac(
        PacSource(PacKind.URL, f"http://127.0.0.1:{port}/p.pac", "--pac"),
        HOSTS,
        time.monotonic() + 20,
    )
    assert "could not be loaded" in result.problem
    assert result.chain_for(HOSTS[0]) is None


def test_looping_pac_is_killed_at_the_deadline(pac_server: str) -> None:
    start = time.monotonic()
    result = evaluate_pac(
        PacSource(PacKind.URL, pac_server + "/loop.pac", "--pac"), HOSTS, start + 3
    )
    elapsed = time.monotonic() - start
    assert elapsed < 30, elapsed  # returned (the loop alone never would)
    import psutil

    assert psutil.Process().children() == []  # the evaluator was killed, not left running
    assert all(result.chain_for(h) is None for h in HOSTS)
    assert "deadline" in result.answers[HOSTS[0]].problem


def test_no_sources_and_passed_deadline() -> None:
    assert evaluate_pac([], HOSTS, time.monotonic() + 5).problem == "no PAC configured"
    res = evaluate_pac(PacSource(PacKind.FILE, "/x", "--pac"), HOSTS, time.monotonic() - 1)
    assert "deadline" in res.problem and res.chain_for(HOSTS[0]) is None


def test_pac_is_fetched_directly_never_through_a_proxy(
    pac_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PAC tells where the proxy is, so it is loaded direct: a proxy in the environment
    (here a closed loopback port) must not be used for it."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.setenv(name, dead)
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    result = evaluate_pac(
        PacSource(PacKind.URL, pac_server + "/proxy.pac", "--pac"), HOSTS, time.monotonic() + 20
    )
    _check_answers(result)


@pytest.mark.parametrize(
    ("raw", "chain", "bad"),
    [
        (
            "PROXY p:3128; DIRECT",
            (ChainEntry(HopKind.PROXY, "p", 3128), ChainEntry(HopKind.DIRECT)),
            (),
        ),
        ("PROXY [bad:3128; DIRECT", (ChainEntry(HopKind.DIRECT),), ("PROXY [bad:3128",)),
        ("PROXY [::1]:8080", (ChainEntry(HopKind.PROXY, "::1", 8080),), ()),
        ("SOCKS5 s:1080", (ChainEntry(HopKind.SOCKS, "s", 1080),), ()),
        ("PROXY p:99999", (), ("PROXY p:99999",)),
        ("BOGUS x:1; DIRECT", (ChainEntry(HopKind.DIRECT),), ("BOGUS x:1",)),
        ("PROXY", (), ("PROXY",)),
        ("", (), ()),
    ],
)
def test_pac_answers_keep_what_they_cannot_use(
    raw: str, chain: tuple[ChainEntry, ...], bad: tuple[str, ...]
) -> None:
    """Issue 18, defect 9: an entry that is no proxy address is reported, never dropped
    (dropping `PROXY [bad:3128` would leave DIRECT) and never raised."""
    assert parse_answer(raw) == (chain, bad)


def test_an_answer_with_a_broken_entry_is_broken_not_direct() -> None:
    src = (PacSource(PacKind.FILE, "/p.pac", "--pac"),)
    lines = [
        '{"pac": "/p.pac", "problem": ""}',
        '{"host": "a.example", "raw": "PROXY [bad:3128; DIRECT"}',
    ]
    res = result_from_lines(src, ["a.example"], lines, timed_out=False)
    assert res.chain_for("a.example") is None and res.answers["a.example"].broken
    route = route_from_pac(res, ["a.example"])
    assert route.mode is ProxyMode.UNTESTED and "[bad:3128" in route.pac_broken
