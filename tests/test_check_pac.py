"""A proxy configured only by a PAC (issue 12, item 4): `wsdiag check --pac FILE|URL` on
loopback, with the real CONNECT proxy of tests.support.proxy and a PAC served over HTTP.

Direct 443 to the sign-in names is dead (they resolve to AUTH_DEAD); only the proxy the PAC
names gets out. Without the PAC wsdiag would say "blocked"; with it, what the client does.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import proxy as fake_proxy
from tests.support.proxy import ThreadedProxy
from tests.test_check_loopback import (  # noqa: F401  (lab: a fixture)
    AUTH,
    AUTH_DEAD,
    EP_A,
    HEALTH_DEAD,
    NET,
    PRIVATE,
    Lab,
    ip,
    lab,
)

PROXY_IP, PAC_IP = ip(4, 10), ip(4, 20)
# The PAC evaluator is a child process (pypac's JavaScript engine) given a third of the run's
# deadline: on a machine other work keeps busy, its start alone can outlast the third of a
# --timeout 1 run's deadline, and a test would read "did not answer before the deadline".
# A test that needs the PAC's answer gives the run room: the answer ends the wait, and the
# probes keep their own --timeout.
ROOM = ("--deadline", "20")


def pac_text(proxy: ThreadedProxy, everything_direct: bool = False) -> str:
    answer = "DIRECT" if everything_direct else f"PROXY {PROXY_IP}:{proxy.port}; DIRECT"
    return (
        "function FindProxyForURL(url, host) {\n"
        '  if (dnsDomainIs(host, ".a2z.com")) return "DIRECT";\n'
        f'  return "{answer}";\n}}\n'
    )


@pytest.fixture
def proxy(lab: Lab) -> Iterator[ThreadedProxy]:  # noqa: F811
    with ThreadedProxy(PROXY_IP, fake_proxy.RELAY, upstream=AUTH) as p:
        yield p


class _PacServer(http.server.ThreadingHTTPServer):
    body = b""
    requests: list[str]


class _PacHandler(http.server.BaseHTTPRequestHandler):
    server: _PacServer

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ns-proxy-autoconfig")
        self.send_header("Content-Length", str(len(self.server.body)))
        self.end_headers()
        self.wfile.write(self.server.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def pac_server() -> Iterator[_PacServer]:
    server = _PacServer((PAC_IP, 0), _PacHandler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def codes(report: dict) -> set[str]:
    return {f["code"] for f in report["findings"]}


def test_pac_file_names_the_only_way_out(
    lab: Lab,  # noqa: F811  (the imported fixture, by name)
    proxy: ThreadedProxy,
    tmp_path: Path,
) -> None:
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    pac = tmp_path / "proxy.pac"
    pac.write_text(pac_text(proxy))
    code, r = lab.check("--pac", str(pac), *ROOM)
    assert (code, r["verdict"]) == (0, "ready"), codes(r)
    assert r["proxy"]["source"] == "pac" and r["proxy"]["pac"] == str(pac)
    assert r["proxy"]["url"] == f"http://{PROXY_IP}:{proxy.port}"
    assert "only the first entry of each answer was tested" in r["proxy"]["pac_note"]
    assert PRIVATE in r["proxy"]["bypassed"]
    # the private name only as the streaming-through-the-proxy probes
    assert {t for t in proxy.targets() if PRIVATE in t} <= {f"{PRIVATE}:4195", f"{PRIVATE}:443"}


def test_pac_url_is_fetched_and_followed(
    lab: Lab,  # noqa: F811  (the imported fixture, by name)
    proxy: ThreadedProxy,
    pac_server: _PacServer,
) -> None:
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    pac_server.body = pac_text(proxy).encode()
    url = f"http://{PAC_IP}:{pac_server.server_address[1]}/proxy.pac"
    code, r = lab.check("--pac", url, *ROOM)
    assert (code, r["verdict"]) == (0, "ready"), codes(r)
    assert r["proxy"]["pac"] == url and pac_server.requests == ["/proxy.pac"]


def test_pac_that_cannot_be_fetched_leaves_the_paths_unknown(lab: Lab) -> None:  # noqa: F811
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    code, r = lab.check("--pac", f"http://{ip(4, 99)}:9/none.pac")
    assert r["proxy"]["mode"] == "untested" and r["proxy"]["source"] == "pac"
    assert (code, r["verdict"]) == (3, "unknown"), codes(r)
    assert "AUTH_UNREACHABLE" not in codes(r)


def test_pac_saying_direct_tests_direct(
    lab: Lab,  # noqa: F811  (the imported fixture, by name)
    proxy: ThreadedProxy,
    tmp_path: Path,
) -> None:
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    pac = tmp_path / "direct.pac"
    pac.write_text(pac_text(proxy, everything_direct=True))
    code, r = lab.check("--pac", str(pac), *ROOM)
    assert r["proxy"]["mode"] == "none" and "DIRECT for every name" in r["proxy"]["pac_note"]
    assert (code, r["verdict"]) == (2, "blocked") and "AUTH_UNREACHABLE" in codes(r)
    assert proxy.targets() == []


def test_pac_answer_with_no_proxy_address_is_a_finding_not_a_crash(
    lab: Lab,  # noqa: F811  (the imported fixture, by name)
    tmp_path: Path,
) -> None:
    """Issue 18, defect 9: `PROXY [bad:3128` ended as "internal error: ValueError: Invalid
    IPv6 URL" and no report. Now a finding for the desktop team; the proxied paths stay
    unknown, never closed, and never tested direct."""
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    pac = tmp_path / "broken.pac"
    pac.write_text(
        "function FindProxyForURL(url, host) {\n"
        '  if (dnsDomainIs(host, ".a2z.com")) return "DIRECT";\n'
        '  return "PROXY [bad:3128; DIRECT";\n}\n'
    )
    code, r = lab.check("--pac", str(pac), *ROOM)  # asserts an empty stderr and a valid report
    broken = [f for f in r["findings"] if f["code"] == "PAC_ANSWER_BROKEN"]
    assert broken and broken[0]["owner"] == "desktop", (codes(r), r["proxy"])
    assert "[bad:3128" in broken[0]["message"]
    assert r["proxy"]["mode"] == "untested" and r["proxy"]["source"] == "pac"
    assert (code, r["verdict"]) == (3, "unknown"), codes(r)
    assert r["environment"] != "closed"
    assert "AUTH_UNREACHABLE" not in codes(r) and "PROXY_UNSUPPORTED_SCHEME" not in codes(r)


def test_pac_dns_resolve_asks_the_runs_nameserver(
    lab: Lab,  # noqa: F811  (the imported fixture, by name)
    proxy: ThreadedProxy,
    tmp_path: Path,
) -> None:
    """Issue 18, defect 10: with --nameserver the PAC's dnsResolve()/isResolvable() ask
    that server, not the OS: the name below exists only in the test DNS server's zone, so
    the proxy is chosen only if the PAC asked it."""
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    only_here = "pac-proxy.wsdiag-lab.test"
    lab.dns.zone[only_here] = [PROXY_IP]
    pac = tmp_path / "resolve.pac"
    pac.write_text(
        "function FindProxyForURL(url, host) {\n"
        '  if (dnsDomainIs(host, ".a2z.com")) return "DIRECT";\n'
        f'  if (isResolvable("{only_here}") && dnsResolve("{only_here}") == "{PROXY_IP}")\n'
        f'    return "PROXY {PROXY_IP}:{proxy.port}";\n'
        '  return "DIRECT";\n}\n'
    )
    code, r = lab.check("--pac", str(pac), *ROOM)
    assert r["proxy"]["url"] == f"http://{PROXY_IP}:{proxy.port}", r["proxy"]
    assert (code, r["verdict"]) == (0, "ready"), codes(r)
    assert any(name.rstrip(".") == only_here for name, _ in lab.dns.queries)


@pytest.mark.parametrize(
    "body",
    [
        b"function FindProxyForURL(url, host) { return 'PROXY x:1'; ",  # a syntax error
        b"function FindProxyForURL(url, host) { while (true) {} }",  # loops
        b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)),  # binary
    ],
    ids=["syntax-error", "loops", "binary"],
)
def test_a_pac_that_cannot_be_evaluated_is_the_pacs_own_finding(
    lab: Lab,  # noqa: F811  (the imported fixture, by name)
    tmp_path: Path,
    body: bytes,
) -> None:
    """It was PROXY_UNSUPPORTED_SCHEME "(from the environment (https_proxy))": the PAC's
    finding names the PAC file instead."""
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    pac = tmp_path / "bad.pac"
    pac.write_bytes(body)
    room = () if b"while" in body else ROOM  # the looping PAC is stopped at the deadline
    code, r = lab.check("--pac", str(pac), "--timeout", "2", *room)
    assert "PROXY_UNSUPPORTED_SCHEME" not in codes(r)
    (found,) = [f for f in r["findings"] if f["code"] == "PAC_NOT_USED"]
    assert str(pac) in found["message"] and "https_proxy" not in found["message"]
    assert found["owner"] == "desktop"
    assert (code, r["verdict"]) == (3, "unknown"), codes(r)


def test_a_pac_that_does_not_run_is_lines_reason(lab: Lab, tmp_path: Path) -> None:  # noqa: F811
    """Fresh report item 17: the line's reason was NOT_MEASURED's generic text; it is the
    PAC's problem, which the desktop team fixes."""
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    pac = tmp_path / "broken.pac"
    pac.write_text('function FindProxyForURL(url, host) { return "PROXY" + ; }\n')
    cidr = f"127.{NET}.1.0/24"
    proc = lab.run(
        "--vpc-cidr",
        cidr,
        "--no-logs",
        "--timeout",
        "1",
        "--pac",
        str(pac),
        "--format",
        "line",
        *ROOM,
    )
    assert proc.returncode == 3, proc.stderr
    (line,) = proc.stdout.splitlines()
    assert line.startswith("unknown ") and "PAC_NOT_USED" in line, line
    reason = line.split(" reason: ", 1)[1]
    assert reason.startswith(f"The proxy auto-config {pac} was not followed"), line
    assert "the PAC script does not run" in reason and "Could not measure" not in reason
