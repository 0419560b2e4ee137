"""The real `wsdiag check` command against real servers on loopback.

One server process (TLS, QUIC, TCP listeners from tests.support.servers) and one DNS
server (tests.support.dnsserver) serve every scenario; a scenario only changes the DNS
zone, which is how the shapes of closed, minimal-egress and home are made here. All
addresses are in 127.0.0.0/8; --vpc-cidr makes one /24 of it "the VPC".

Loopback answers a closed port with RST / ICMP port unreachable, so blocked paths show
as "refused" here; silence ("filtered") comes from UDP sockets that never answer. The
namespace lab (tests/test_lab.py) covers real firewalls.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest

from tests.support import proxy as fake_proxy
from tests.support.certs import make_ca
from tests.support.dnsserver import DROP, NXDOMAIN, SERVFAIL, DnsServer
from tests.support.proxy import ThreadedProxy
from tests.support.render_checks import check_html
from tests.support.servers import answering_options, serving
from wsdiag.check.catalog import load_catalog
from wsdiag.check.plan import make_plan
from wsdiag.vocab.model import Inputs, Role

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "wsdiag" / "schema" / "report.schema.json"
SCHEMA_VALIDATOR = jsonschema.Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))
REGION = "eu-west-1"
PRIVATE = f"privatelink.prod.{REGION}.highlander.aws.a2z.com"
NET = random.randint(64, 250)  # one 127.NET.0.0/16 per run: parallel runs don't collide


def ip(sub: int, host: int) -> str:
    return f"127.{NET}.{sub}.{host}"


EP_A, EP_B = ip(1, 10), ip(1, 11)  # full endpoint: TLS+QUIC on 443 and 4195
EP_TCP_ONLY = ip(1, 20)  # TLS on both ports, UDP black holes (silence)
EP_443_ONLY = ip(1, 30)  # TLS+QUIC on 443 only; 4195 refused
EP_DEAD = ip(1, 40)  # nothing listens
AUTH, AUTH_DEAD = ip(2, 10), ip(2, 11)
HEALTH, HEALTH_DEAD = ip(3, 10), ip(3, 11)
DNS_IP = ip(0, 53)
PUBLIC = ip(9, 9)  # outside --vpc-cidr: "public" for this test


def hosts(role: Role) -> list[str]:
    plan = make_plan(load_catalog(), Inputs(region=REGION, directory_id="d-1234567890"))
    return [pt.host for pt in plan.targets if pt.target.role is role]


@dataclass
class Lab:
    dns: DnsServer
    env: dict[str, str]

    def zone(self, endpoint: object, auth: str = AUTH, health: str = HEALTH) -> None:
        zone: dict[str, object] = {h: [auth] for h in hosts(Role.AUTH)}
        zone.update({h: [health] for h in hosts(Role.HEALTH)})
        zone[PRIVATE] = endpoint
        self.dns.zone = zone  # type: ignore[assignment]

    def run(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """``wsdiag check --region REGION --nameserver <the lab's DNS> *args`` (30 s at most)
        in ``env``, by default the lab's (its CA trusted)."""
        cmd = [sys.executable, "-m", "wsdiag", "check", "--region", REGION]
        cmd += ["--nameserver", self.dns.address, *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30, env=env or self.env)

    def check(self, *extra: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
        """A ``--json`` run with the lab's VPC and directory, its report checked against the
        schema: (exit code, report)."""
        proc = self.run(
            "--json",
            "--vpc-cidr",
            f"127.{NET}.1.0/24",
            "--directory-id",
            "d-1234567890",
            "--timeout",
            "1",
            "--no-logs",
            *extra,
            env=env,
        )
        assert proc.stderr == "", proc.stderr
        report = json.loads(proc.stdout)
        SCHEMA_VALIDATOR.validate(report)  # every real report holds to the published schema
        # optional in the schema (older reports lack them), always written now
        assert "proxy" in report and all("via" in p for p in report["probes"])
        assert report["exit_code"] == proc.returncode
        return proc.returncode, report


def _can_bind_low_ports() -> bool:
    s = socket.socket()
    try:
        s.bind((ip(250, 1), 443))
    except PermissionError:
        return False
    finally:
        s.close()
    return True


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    if not _can_bind_low_ports():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must be able to bind ports 443/4195 on loopback (run as root)")
        pytest.skip("binding ports 443/4195 needs root (or a low ip_unprivileged_port_start)")
    d = tmp_path_factory.mktemp("pki")
    pki = make_ca(d)
    leaf = pki.issue("server", hosts(Role.AUTH) + hosts(Role.HEALTH) + [PRIVATE])
    options = answering_options((EP_A, EP_B), AUTH, HEALTH)
    options += ["--tls", f"{EP_TCP_ONLY}:443", "--tls", f"{EP_TCP_ONLY}:4195"]
    options += ["--tls", f"{EP_443_ONLY}:443", "--quic", f"{EP_443_ONLY}:443"]
    with serving(options, leaf.cert_path, leaf.key_path), contextlib.ExitStack() as holes:
        for port in (443, 4195):  # bound, never read: QUIC sees silence, not ICMP
            hole = holes.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
            hole.bind((EP_TCP_ONLY, port))
        with DnsServer(DNS_IP) as dns:
            yield Lab(dns, {**os.environ, **pki.env()})


def codes(report: dict) -> set[str]:
    return {f["code"] for f in report["findings"]}


def statuses(report: dict, target: str, **match: object) -> set[str]:
    return {
        p["status"]
        for p in report["probes"]
        if p["target"] == target and all(p[k] == v for k, v in match.items())
    }


def test_open_egress_is_ready(lab: Lab) -> None:
    lab.zone([EP_A, EP_B])
    code, r = lab.check()
    assert (code, r["environment"], r["verdict"]) == (0, "open-egress", "ready"), codes(r)
    assert statuses(r, "endpoint") == {"open"}
    assert len([p for p in r["probes"] if p["target"] == "endpoint"]) == 8  # 2 addresses x 4
    quic = [p for p in r["probes"] if p["target"] == "endpoint" and p["transport"] == "quic"]
    assert all(p["alpn"] == "h3" for p in quic)
    assert all(p["tls_trusted"] is True for p in r["probes"] if p["transport"] == "tls")
    assert r["schema"] == "wsdiag.report/1"


def test_certificates_are_recorded(lab: Lab, tmp_path: Path) -> None:
    """Endpoint TCP probes carry what each address presented; sign-in chains are judged
    against the public set: the lab CA here (WSDIAG_PUBLIC_ROOTS), which --public-roots
    replaces."""
    lab.zone([EP_A, EP_B])
    _, r = lab.check()
    ep = [p for p in r["probes"] if p["target"] == "endpoint" and p["transport"] == "tcp"]
    assert ep and all(p["tls_seen"] == "cert" and PRIVATE in p["certs"][0]["sans"] for p in ep)
    assert all(len(p["certs"]) == 1 for p in ep)  # the endpoint's leaf only
    # Only the endpoint's TCP probes handshake; QUIC and the health checks never do.
    others = [p for p in r["probes"] if p["transport"] != "tls" and p not in ep]
    assert others and all(p["tls_seen"] is None and p["certs"] == [] for p in others)
    tls = [p for p in r["probes"] if p["transport"] == "tls"]
    assert tls and all(p["tls_public_root"] is True and p["tls_trusted"] is True for p in tls)
    other = make_ca(tmp_path / "other", "Other Public Root").ca_path
    _, r = lab.check("--public-roots", str(other))
    assert all(p["tls_public_root"] is False for p in r["probes"] if p["transport"] == "tls")
    # a bad file is a one-line error, before any probe
    proc = lab.run("--public-roots", str(tmp_path / "none.pem"), "--no-logs")
    assert proc.returncode not in (0, 1, 2) and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "none.pem" in proc.stderr, proc.stderr


def test_minimal_egress_is_ready_and_explains_the_client_network_check(lab: Lab) -> None:
    lab.zone([EP_A], health=HEALTH_DEAD)
    code, r = lab.check()
    assert (code, r["environment"], r["verdict"]) == (0, "minimal-egress", "ready")
    assert "HEALTH_CHECK_BLOCKED" in codes(r)
    assert statuses(r, "health-check") == {"refused"}


def test_closed_network_is_blocked(lab: Lab) -> None:
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    code, r = lab.check()
    assert (code, r["environment"], r["verdict"]) == (2, "closed", "blocked")
    assert "AUTH_UNREACHABLE" in codes(r)
    assert statuses(r, "endpoint") == {"open"}


def test_home_private_name_missing(lab: Lab) -> None:
    lab.zone(NXDOMAIN)
    code, r = lab.check()
    assert (code, r["environment"], r["verdict"]) == (2, "home", "blocked")
    assert {"ENDPOINT_NXDOMAIN", "HOME_NETWORK"} <= codes(r)
    assert statuses(r, "endpoint") == {"skipped"}


def test_home_public_answer(lab: Lab) -> None:
    lab.zone([PUBLIC])
    code, r = lab.check()
    assert (code, r["environment"], r["verdict"]) == (2, "home", "blocked")
    assert "ENDPOINT_PUBLIC_ANSWER" in codes(r)


def test_udp_silent_means_tcp_fallback(lab: Lab) -> None:
    lab.zone([EP_TCP_ONLY])
    code, r = lab.check()
    assert (code, r["verdict"]) == (1, "degraded"), [
        (p["id"], p["status"], p["detail"]) for p in r["probes"] if p["target"] == "endpoint"
    ]
    assert "ENDPOINT_QUIC_BLOCKED" in codes(r)
    assert statuses(r, "endpoint", transport="quic") == {"filtered"}
    assert statuses(r, "endpoint", transport="tcp") == {"open"}


def test_4195_blocked_needs_443_fallback_clients(lab: Lab) -> None:
    lab.zone([EP_443_ONLY])
    code, r = lab.check()
    assert (code, r["verdict"]) == (1, "degraded")
    assert "ENDPOINT_4195_BLOCKED" in codes(r)
    assert statuses(r, "endpoint", port=4195) == {"refused"}


def test_one_endpoint_address_dead(lab: Lab) -> None:
    lab.zone([EP_A, EP_DEAD])
    code, r = lab.check()
    assert (code, r["verdict"]) == (1, "degraded")
    assert "ENDPOINT_ADDRESS_SILENT" in codes(r)
    assert statuses(r, "endpoint", address=EP_DEAD) == {"refused"}
    # every path refused (RST, ICMP port unreachable): it answered, with a no
    (silent,) = [f for f in r["findings"] if f["code"] == "ENDPOINT_ADDRESS_SILENT"]
    assert f"refused every path ({EP_DEAD})" in silent["message"], silent["message"]


def test_resolver_silent(lab: Lab) -> None:
    lab.dns.zone = {"*": DROP}
    code, r = lab.check()
    assert (code, r["environment"], r["verdict"]) == (2, "unknown", "blocked")
    assert "DNS_RESOLVER_UNREACHABLE" in codes(r)
    assert {d["outcome"] for d in r["dns"]} == {"timeout"}


def test_servfail_for_the_private_name(lab: Lab) -> None:
    lab.zone(SERVFAIL)
    code, r = lab.check()
    assert (code, r["verdict"]) == (2, "blocked")
    assert "ENDPOINT_DNS_FAILED" in codes(r)


def test_ipv6_only_answer_is_probed_over_ipv6(lab: Lab) -> None:
    lab.zone(["::1"])
    _, r = lab.check()
    # AWS allows an IPv4 or an IPv6 endpoint record: probed over IPv6 like IPv4 and judged
    # (what answers on ::1 here is not ours to know: other tests may listen there)
    ran = [p for p in r["probes"] if p["target"] == "endpoint" and p["address"] == "::1"]
    assert {(p["transport"], p["port"]) for p in ran} == {
        ("tcp", 443),
        ("tcp", 4195),
        ("quic", 443),
        ("quic", 4195),
    }
    assert all(p["status"] != "skipped" for p in ran)
    assert "ENDPOINT_AAAA_ONLY" not in codes(r)
    assert r["evidence"]["os_consulted"] == "no"  # --nameserver: the OS was not asked
    assert {d["type"] for d in r["dns"]} == {"A", "AAAA"}


def test_untrusted_certificate_on_needed_domains_blocks(lab: Lab) -> None:
    # Issue 8: the client rejects a chain the OS does not trust, so on a needed sign-in
    # domain this is an error (it was a warning); the path itself still counts as open.
    lab.zone([EP_A], health=HEALTH_DEAD)
    env = {k: v for k, v in lab.env.items() if k != "SSL_CERT_FILE"}
    code, r = lab.check(env=env)
    assert (code, r["verdict"]) == (2, "blocked")
    assert "TLS_INSPECTED" not in codes(r)  # the chain ends in a "public" (test) root
    assert "TLS_UNTRUSTED" in codes(r)
    assert statuses(r, "ws-broker", transport="tls") == {"open"}


def test_text_report_leads_with_the_verdict(lab: Lab) -> None:
    lab.zone(NXDOMAIN)
    proc = lab.run("--timeout", "1", "--no-logs", env={**lab.env, "NO_COLOR": "1"})
    assert proc.returncode == 2
    assert proc.stdout.startswith("BLOCKED:")
    assert "\x1b[" not in proc.stdout
    assert "ENDPOINT_NXDOMAIN" in proc.stdout


def test_html_and_verbose_from_a_real_run(lab: Lab, tmp_path: Path) -> None:
    """--html writes the page of the very report --json prints; piped text takes $COLUMNS."""
    lab.zone([EP_A], health=HEALTH_DEAD)
    page = tmp_path / "report.html"
    code, r = lab.check("--html", str(page))
    check_html(page.read_text(encoding="utf-8"), r)
    proc = lab.run(
        "--vpc-cidr",
        f"127.{NET}.1.0/24",
        "--timeout",
        "1",
        "--no-logs",
        "-v",
        env={**lab.env, "COLUMNS": "72"},
    )
    assert proc.returncode == code and max(map(len, proc.stdout.splitlines())) <= 72, [
        line for line in proc.stdout.splitlines() if len(line) > 72
    ]
    assert all(
        f"{p['transport']}/{p['port']} {p['status']}" in " ".join(proc.stdout.split())
        for p in r["probes"]
        if p["status"] != "skipped"
    )


# --- an HTTPS proxy -----------------------------------------------------------------------
# The shape of a corporate network: direct 443 to the internet is refused (the auth names
# resolve to AUTH_DEAD), only the proxy gets out; it sends every CONNECT to AUTH, as its own
# DNS would. The proxy is a real one (tests.support.proxy) on its own loopback address.

PROXY_IP = ip(4, 10)
BROKER = f"ws-broker-service.{REGION}.amazonaws.com"


@pytest.fixture
def proxy(lab: Lab) -> Iterator[ThreadedProxy]:
    with ThreadedProxy(PROXY_IP, fake_proxy.RELAY, upstream=AUTH) as p:
        yield p


def with_proxy(lab: Lab, url: str) -> dict[str, str]:
    return {**lab.env, "HTTPS_PROXY": url}


def probe(report: dict, pid: str) -> dict:
    return next(p for p in report["probes"] if p["id"] == pid)


def test_proxy_only_egress_is_ready_through_the_proxy(lab: Lab, proxy: ThreadedProxy) -> None:
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    # The proxy resolves the private name to the endpoint, as one using the VPC's DNS does:
    # no client version is known, so both routes are judged (issue 17), and both work.
    proxy.names[PRIVATE] = EP_A
    env = with_proxy(lab, f"http://alice:s3cret@{PROXY_IP}:{proxy.port}")
    code, r = lab.check(env=env)
    assert (code, r["environment"], r["verdict"]) == (0, "minimal-egress", "ready"), codes(r)
    assert {"PROXY_IN_USE", "HEALTH_CHECK_BLOCKED"} <= codes(r)
    assert r["proxy"] == {
        "mode": "proxy",
        "url": f"http://***@{PROXY_IP}:{proxy.port}",
        "source": "environment",
        "bypassed": [],
        "reason": "",
        "pac": None,
        "pac_note": "",
    }
    broker = probe(r, "ws-broker/tls/443")
    assert (broker["via"], broker["status"], broker["tls_trusted"], broker["proxy_status"]) == (
        "proxy",
        "open",
        True,
        200,
    )
    # UDP and the private endpoint never go through the proxy
    assert probe(r, "ws-broker/quic/443")["via"] == "direct"
    assert {
        p["via"]
        for p in r["probes"]
        if p["target"] == "endpoint" and not p["id"].endswith("@proxy")
    } == {"direct"}
    assert f"{BROKER}:443" in proxy.targets()
    # the private name goes through the proxy only as the streaming-through-it probes
    assert {t for t in proxy.targets() if PRIVATE in t} == {f"{PRIVATE}:4195", f"{PRIVATE}:443"}
    # credentials in the setting are neither shown nor sent
    assert "s3cret" not in json.dumps(r) and "alice" not in json.dumps(r)
    assert not any(h.lower().startswith("proxy-authorization") for hs in proxy.headers for h in hs)
    text = lab.run(
        "--vpc-cidr",
        f"127.{NET}.1.0/24",
        "--timeout",
        "1",
        "--no-logs",
        env={**env, "NO_COLOR": "1"},
    ).stdout
    assert text.startswith("READY:") and "tls/443 open" in text and "via proxy" in text
    assert f"443 via proxy http://***@{PROXY_IP}:{proxy.port}" in text
    assert "s3cret" not in text and "alice" not in text


def test_proxy_that_wants_credentials_blocks(lab: Lab, proxy: ThreadedProxy) -> None:
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    proxy.mode = fake_proxy.AUTH
    code, r = lab.check(env=with_proxy(lab, proxy.url))
    assert (code, r["verdict"]) == (2, "blocked")
    assert "PROXY_AUTH_REQUIRED" in codes(r)
    assert "AUTH_UNREACHABLE" not in codes(r)  # the 407 is the whole story
    broker = probe(r, "ws-broker/tls/443")
    assert (broker["status"], broker["phase"], broker["proxy_status"]) == ("refused", "proxy", 407)


def test_no_proxy_option_probes_directly(lab: Lab, proxy: ThreadedProxy) -> None:
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    code, r = lab.check("--no-proxy", env=with_proxy(lab, proxy.url))
    assert (code, r["environment"], r["verdict"]) == (2, "closed", "blocked")
    assert "AUTH_UNREACHABLE" in codes(r)
    assert (r["proxy"]["mode"], r["proxy"]["url"]) == ("disabled", proxy.url)
    assert {p["via"] for p in r["probes"]} == {"direct"}
    assert proxy.requests == []


def test_proxy_port_closed_is_the_proxy_unreachable(lab: Lab) -> None:
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    code, r = lab.check(env=with_proxy(lab, f"http://{PROXY_IP}:3128"))  # nothing listens
    assert (code, r["verdict"]) == (2, "blocked")
    assert "PROXY_UNREACHABLE" in codes(r)
    assert probe(r, "ws-broker/tls/443")["phase"] == "proxy-connect"
    # fresh report item 15: not "closed" (nothing on the internet answers): every sign-in
    # probe stopped at the proxy, so the internet beyond it was never asked
    assert (r["environment"], r["environment_rule"]) == (
        "unknown",
        "internet-behind-proxy-untested",
    )


@pytest.mark.parametrize("setting", ["http://[bad", "http://10.30.0.1:99999", "http://:3128"])
def test_a_proxy_setting_that_is_no_url_is_its_own_finding(lab: Lab, setting: str) -> None:
    """Fresh report item 15: these were PROXY_UNSUPPORTED_SCHEME ("wsdiag tests http://
    proxies only"), though http:// is the scheme wsdiag tests: the URL is what is wrong."""
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    code, r = lab.check(env=with_proxy(lab, setting))
    assert (code, r["verdict"]) == (3, "unknown"), codes(r)
    assert "PROXY_URL_INVALID" in codes(r) and "PROXY_UNSUPPORTED_SCHEME" not in codes(r)
    assert r["proxy"]["mode"] == "untested" and "10.30.0.1" not in json.dumps(r["proxy"])
    # line's reason names the setting's problem, not only what went unmeasured
    proc = lab.run(
        "--vpc-cidr", f"127.{NET}.1.0/24", "--timeout", "1", "--no-logs", "--format", "line",
        env=with_proxy(lab, setting),
    )  # fmt: skip
    reason = proc.stdout.split(" reason: ", 1)[1]
    assert reason.startswith("The HTTPS proxy setting (from the environment (https_proxy)) is not")


PROXY_NAME = "wsdiag-proxy.test"
# Stands in for the OS's resolver in the child: every getaddrinfo of a name (not an address
# literal) is written down and fails, so an OS lookup of the proxy's name would show.
_NO_OS_NAMES = """
import ipaddress, os, socket
_real = socket.getaddrinfo
def _gai(host, *a, **k):
    try:
        ipaddress.ip_address(host if isinstance(host, str) else "")
    except ValueError:
        if host is not None:
            with open(os.environ["WSDIAG_TEST_GAI_LOG"], "a") as f:
                f.write(str(host) + "\\n")
            raise socket.gaierror(socket.EAI_FAIL, "the OS resolver was asked")
    return _real(host, *a, **k)
socket.getaddrinfo = _gai
"""


def _no_os_names(lab: Lab, tmp_path: Path, url: str) -> tuple[dict[str, str], Path]:
    (tmp_path / "sitecustomize.py").write_text(_NO_OS_NAMES)
    log = tmp_path / "gai.log"
    path = os.pathsep.join(p for p in (str(tmp_path), lab.env.get("PYTHONPATH", "")) if p)
    return {**with_proxy(lab, url), "PYTHONPATH": path, "WSDIAG_TEST_GAI_LOG": str(log)}, log


def test_with_nameserver_the_proxys_name_is_resolved_through_it(
    lab: Lab, proxy: ThreadedProxy, tmp_path: Path
) -> None:
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    lab.dns.zone[PROXY_NAME] = [PROXY_IP]  # type: ignore[index]
    env, log = _no_os_names(lab, tmp_path, f"http://{PROXY_NAME}:{proxy.port}")
    _, r = lab.check(env=env)
    os_asked = log.read_text().split() if log.exists() else []
    assert PROXY_NAME not in os_asked
    broker = probe(r, "ws-broker/tls/443")
    assert (broker["via"], broker["status"]) == ("proxy", "open"), broker
    assert proxy.requests, "the proxy was never reached"


def test_with_nameserver_a_proxy_name_it_does_not_know_is_unresolvable_there(
    lab: Lab, tmp_path: Path
) -> None:
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    env, log = _no_os_names(lab, tmp_path, "http://garbage:3128")
    _, r = lab.check(env=env)
    assert "garbage" not in (log.read_text().split() if log.exists() else [])
    broker = probe(r, "ws-broker/tls/443")
    assert (broker["status"], broker["phase"]) == ("unreachable", "proxy-resolve"), broker
    assert "--nameserver" in broker["detail"] and lab.dns.address in broker["detail"]


def test_socks_proxy_is_not_tested_so_unknown(lab: Lab) -> None:
    lab.zone([EP_A], auth=AUTH_DEAD, health=HEALTH_DEAD)
    code, r = lab.check(env=with_proxy(lab, f"socks5://{PROXY_IP}:1080"))
    assert (code, r["verdict"]) == (3, "unknown"), codes(r)
    assert {"PROXY_UNSUPPORTED_SCHEME", "NOT_MEASURED"} <= codes(r)
    assert probe(r, "ws-broker/tls/443")["status"] == "skipped"


def test_a_cname_beside_the_endpoints_address_is_never_a_silent_ready(lab: Lab) -> None:
    """Issue 18, defect 14: the private name has a CNAME to a dead address and, against
    RFC 2181 section 10.1, its own A to a working one. A resolver following the CNAME (glibc
    does, the CNAME coming first) dials the dead one: that address is probed too."""
    from tests.support.dnsserver import Reply

    alias = "alias.wsdiag-lab.test"
    lab.zone(Reply(cname=alias))
    lab.dns.zone[alias] = Reply([EP_DEAD], extra={PRIVATE: [EP_A]})
    _, r = lab.check()
    assert r["verdict"] != "ready", r["findings"]
    assert statuses(r, "endpoint", address=EP_DEAD) == {"refused"}
    dns_a = [d for d in r["dns"] if d["host"] == PRIVATE and "RFC 2181" in (d["detail"] or "")]
    assert dns_a, r["dns"]


def test_a_ready_verdict_with_nameserver_says_whose_answers_it_is(lab: Lab) -> None:
    """FRESH-REPORT item 1: with --nameserver the OS resolver is never asked (a safety
    choice: tests and admins point wsdiag at one server), so "ready" is that server's
    answers' verdict, never a claim about this machine's DNS: every output says so."""
    lab.zone([EP_A, EP_B])
    code, r = lab.check()
    assert (code, r["verdict"]) == (0, "ready")
    given = [f for f in r["findings"] if f["code"] == "NAMESERVER_GIVEN"]
    assert [(f["severity"], f["owner"]) for f in given] == [("info", "user")]
    assert lab.dns.address in given[0]["message"] and "not" in given[0]["message"]
    assert given[0]["remediation"] == "Run without --nameserver to check what the client sees."
    assert r["evidence"]["nameserver_given"] == "yes"
    common = ("--vpc-cidr", f"127.{NET}.1.0/24", "--timeout", "1", "--no-logs")
    text = lab.run(*common).stdout.splitlines()
    assert text[0].startswith("READY: ")
    assert text[1].startswith("DNS answers from the resolver given with --nameserver only")
    assert "own resolver" in " ".join(text[1:3]) and "Nothing to do" in "\n".join(text)
    line = lab.run(*common, "--format", "line").stdout
    assert line.startswith("ready dns=nameserver-only env=open-egress ") and line.count("\n") == 1
    assert "findings=-" in line  # a note, not a finding someone acts on
    jamf = lab.run(*common, "--format", "jamf").stdout
    assert jamf.startswith("<result>ready dns=nameserver-only env=")


def test_an_agents_address_given_with_nameserver_is_not_the_agent_running_here() -> None:
    """FRESH-REPORT item 23a: --nameserver 127.0.2.2 (Cloudflare WARP's DNS address) made
    DNS_AGENT_OWNS_NAME say WARP "runs here", with no WARP process or interface here."""
    with DnsServer("127.0.2.2", {"*": NXDOMAIN}) as dns:
        cmd = [sys.executable, "-m", "wsdiag", "check", "--region", REGION, "--json"]
        cmd += ["--nameserver", dns.address, "--timeout", "0.5", "--no-logs", "--no-proxy"]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    report = json.loads(proc.stdout)
    (f,) = [f for f in report["findings"] if f["code"] == "DNS_AGENT_OWNS_NAME"]
    said = f["message"]
    assert "runs here" not in said
    assert "which answers at 127.0.2.2 (no process or interface of it was seen here)" in said
