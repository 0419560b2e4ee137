"""The OS name-resolution readers (wsdiag.host.resolvers) and getaddrinfo (wsdiag.probes.osdns).

The parser inputs below are written from each OS's documented output format (man pages of
scutil, resolvectl and resolv.conf; Microsoft's NRPT registry layout), not captured from a
machine: the macOS and Windows rows can only be covered this way on Linux. getaddrinfo runs
for real, on names that never leave this machine (localhost, *.invalid, RFC 6761)."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from wsdiag.host.resolvers import (
    Divergence,
    HostsEntry,
    OsView,
    ResolvConf,
    ScopedResolver,
    ScopeSource,
    explain,
    hosts_addresses,
    nrpt_rules,
    parse_hosts,
    parse_resolv_conf,
    parse_resolvectl_status,
    parse_scutil_dns,
    scope_for,
)
from wsdiag.probes.osdns import OsOutcome, os_resolve, outcome_of_gaierror

EP = "privatelink.prod.eu-west-1.highlander.aws.a2z.com"

# --- hosts files -------------------------------------------------------------------------

LINUX_HOSTS = f"""\
127.0.0.1\tlocalhost
::1     localhost ip6-localhost ip6-loopback
# pinned by the VPN team
10.20.1.10  {EP.upper()}.   # trailing dot, upper case
not-an-ip   ignored.example
192.0.2.7
"""
WINDOWS_HOSTS = (  # CRLF, tabs, Microsoft's comment header
    "# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n"
    "#      102.54.94.97     rhino.acme.com          # source server\r\n"
    f"10.20.1.10\t{EP}\r\n10.20.2.10 {EP} other.example\r\n"
)
MAC_HOSTS = (
    f"##\n# Host Database\n##\n127.0.0.1\tlocalhost\nfe80::1%lo0\tlocalhost\n10.20.1.10 {EP}\n"
)


@pytest.mark.parametrize(
    ("text", "name", "want"),
    [
        (LINUX_HOSTS, EP, ("10.20.1.10",)),
        (LINUX_HOSTS, "localhost", ("127.0.0.1", "::1")),
        (LINUX_HOSTS, "ignored.example", ()),
        (WINDOWS_HOSTS, EP, ("10.20.1.10", "10.20.2.10")),
        (WINDOWS_HOSTS, "rhino.acme.com", ()),  # commented out
        (MAC_HOSTS, "localhost", ("127.0.0.1", "fe80::1")),  # scope dropped
        (MAC_HOSTS, EP + ".", ("10.20.1.10",)),
        ("", EP, ()),
    ],
)
def test_hosts_file(text: str, name: str, want: tuple[str, ...]) -> None:
    assert hosts_addresses(parse_hosts(text), name) == want


def test_hosts_line_without_names_is_ignored() -> None:
    assert parse_hosts("192.0.2.7\n  \n# x\n") == ()


# --- macOS scutil --dns -------------------------------------------------------------------

SCUTIL = """\
DNS configuration

resolver #1
  search domain[0] : home.lan
  nameserver[0] : 192.168.1.1
  if_index : 6 (en0)
  flags    : Request A records
  reach    : 0x00020002 (Reachable,Directly Reachable Address)

resolver #2
  domain   : a2z.com
  nameserver[0] : 10.20.0.2
  nameserver[1] : 10.20.0.3
  if_index : 14 (utun4)
  flags    : Supplemental, Request A records
  reach    : 0x00000003 (Reachable,Transient Connection)
  order    : 101600

resolver #3
  domain   : local
  options  : mdns
  timeout  : 5
  flags    : Request A records, Request AAAA records
  reach    : 0x00000000 (Not Reachable)
  order    : 300000

DNS configuration (for scoped queries)

resolver #1
  domain   : corp.example
  nameserver[0] : 192.168.1.1
  if_index : 6 (en0)
  flags    : Scoped, Request A records
"""


def test_scutil_keeps_domain_resolvers_of_the_first_section() -> None:
    got = parse_scutil_dns(SCUTIL)
    assert got == (
        ScopedResolver("a2z.com", ("10.20.0.2", "10.20.0.3"), ScopeSource.SCUTIL, "utun4"),
    )  # "local" has no server; scoped section skipped


@pytest.mark.parametrize("text", ["", "No DNS configuration available\n", "resolver #1\n"])
def test_scutil_without_scopes(text: str) -> None:
    assert parse_scutil_dns(text) == ()


# --- systemd-resolved resolvectl status -----------------------------------------------------

RESOLVECTL = """\
Global
           Protocols: +LLMNR +mDNS -DNSOverTLS DNSSEC=no/unsupported
    resolv.conf mode: stub

Link 2 (wlp3s0)
    Current Scopes: DNS LLMNR/IPv4 LLMNR/IPv6
         Protocols: +DefaultRoute +LLMNR -mDNS -DNSOverTLS DNSSEC=no/unsupported
Current DNS Server: 192.168.1.1
       DNS Servers: 192.168.1.1
        DNS Domain: ~.

Link 5 (tun0)
    Current Scopes: DNS
         Protocols: -DefaultRoute +LLMNR -mDNS -DNSOverTLS DNSSEC=no/unsupported
Current DNS Server: 10.20.0.2
       DNS Servers: 10.20.0.2
                    10.20.0.3
        DNS Domain: ~a2z.com corp.example

Link 7 (docker0)
    Current Scopes: none
"""


def test_resolvectl_per_link_domains() -> None:
    got = parse_resolvectl_status(RESOLVECTL)
    tun = ("10.20.0.2", "10.20.0.3")
    assert got == (
        ScopedResolver("", ("192.168.1.1",), ScopeSource.RESOLVED, "wlp3s0"),
        ScopedResolver("a2z.com", tun, ScopeSource.RESOLVED, "tun0"),
        ScopedResolver("corp.example", tun, ScopeSource.RESOLVED, "tun0"),
    )
    assert scope_for(EP, got) == got[1]
    assert scope_for("example.org", got) is None  # a default route is not a per-domain scope


# --- Windows NRPT (registry values) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "want"),
    [
        (
            [(["." + "a2z.com"], "10.20.0.2;10.20.0.3")],
            (ScopedResolver("a2z.com", ("10.20.0.2", "10.20.0.3"), ScopeSource.NRPT),),
        ),
        (
            [(".corp.example", "10.1.1.1")],  # REG_SZ instead of REG_MULTI_SZ
            (ScopedResolver("corp.example", ("10.1.1.1",), ScopeSource.NRPT),),
        ),
        ([([".da.example"], "")], ()),  # DirectAccess exemption: no servers
        ([(1, 2), (None, "10.0.0.1"), ([".", ""], "10.0.0.1")], ()),  # odd values
    ],
)
def test_nrpt(rules: list[tuple[object, object]], want: tuple[ScopedResolver, ...]) -> None:
    assert nrpt_rules(rules) == want


def test_longest_scope_wins() -> None:
    scoped = (
        ScopedResolver("aws.a2z.com", ("10.0.0.9",), ScopeSource.NRPT),
        ScopedResolver("a2z.com", ("10.0.0.2",), ScopeSource.NRPT),
    )
    assert scope_for(EP, scoped) == scoped[0]
    assert scope_for("xa2z.com", scoped) is None


# --- resolv.conf ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "want"),
    [
        # macOS writes a link-local resolver without its scope
        (
            "#\n# macOS Notice\n#\nnameserver fe80::1\nnameserver 192.168.1.1\n",
            ResolvConf(("fe80::1", "192.168.1.1"), (), ("fe80::1",)),
        ),
        (
            "nameserver fe80::1%en0\nsearch home.lan corp.example\n",
            ResolvConf(("fe80::1%en0",), ("home.lan", "corp.example"), ()),
        ),
        (
            "domain home.lan\nnameserver 127.0.0.53 ; stub\noptions edns0\n",
            ResolvConf(("127.0.0.53",), ("home.lan",), ()),
        ),
        ("nameserver\nnameserver 2001:db8::53\n", ResolvConf(("2001:db8::53",), (), ())),
    ],
)
def test_resolv_conf(text: str, want: ResolvConf) -> None:
    assert parse_resolv_conf(text) == want


# --- explain ----------------------------------------------------------------------------------

HOSTS_PIN = (HostsEntry("10.20.1.10", (EP,)),)
A2Z = (ScopedResolver("a2z.com", ("10.20.0.2",), ScopeSource.SCUTIL, "utun4"),)
LL = ResolvConf(("fe80::1",), (), ("fe80::1",))


@pytest.mark.parametrize(
    ("view", "os_addresses", "want"),
    [
        (OsView(hosts=HOSTS_PIN, scoped=A2Z), ("10.20.1.10",), Divergence.HOSTS_FILE),
        # a hosts entry the OS did not use (another address answered) is not the reason
        (OsView(hosts=HOSTS_PIN, scoped=A2Z), ("10.20.2.10",), Divergence.PER_DOMAIN_RESOLVER),
        (OsView(hosts=HOSTS_PIN), ("10.20.2.10",), Divergence.UNKNOWN),
        (OsView(resolv_conf=LL), ("10.20.1.10",), Divergence.LINK_LOCAL_RESOLVER),
        (OsView(), (), Divergence.UNKNOWN),
    ],
)
def test_explain(view: OsView, os_addresses: tuple[str, ...], want: Divergence) -> None:
    reason, detail = explain(EP, os_addresses, view)
    assert reason is want and detail


def test_explain_names_the_scope() -> None:
    _, detail = explain(EP, ("10.20.1.10",), OsView(scoped=A2Z))
    assert "a2z.com" in detail and "10.20.0.2" in detail and "utun4" in detail


# --- getaddrinfo, for real, on names that stay on this machine ---------------------------------


@pytest.mark.parametrize(
    ("code", "want"),
    [
        (-2, OsOutcome.NO_NAME),
        (-5, OsOutcome.NO_NAME),
        (8, OsOutcome.NO_NAME),
        (11001, OsOutcome.NO_NAME),
        (-3, OsOutcome.TEMPORARY),
        (11002, OsOutcome.TEMPORARY),
        (-4, OsOutcome.FAILED),
        (None, OsOutcome.FAILED),
    ],
)
def test_gaierror_table(code: int | None, want: OsOutcome) -> None:
    assert outcome_of_gaierror(code) is want


def test_localhost_resolves_to_loopback() -> None:
    got = asyncio.run(os_resolve("localhost", 5.0))
    assert got.outcome is OsOutcome.ANSWER
    assert set(got.addresses) <= {"127.0.0.1", "::1"} and got.addresses
    assert got.ms is not None and got.ms >= 0


def test_a_zero_timeout_returns_at_once() -> None:
    got = asyncio.run(os_resolve("localhost", 0.0))
    assert got.outcome in (OsOutcome.TIMEOUT, OsOutcome.ANSWER)  # a race the OS may win


# --- getaddrinfo inside a namespace of our own: its hosts file, no resolver that answers -----

_IN_NS = """
import asyncio, json, sys
from wsdiag.probes.osdns import os_resolve
async def main():
    return await asyncio.gather(*(os_resolve(n, 3.0) for n in sys.argv[1:]))
print(json.dumps([[a.outcome, list(a.addresses)] for a in asyncio.run(main())]))
"""


@pytest.fixture
def namespace() -> Iterator[str]:
    """A network namespace (prefix wd) with only loopback, its own hosts file pinning EP and
    nsswitch.conf (``hosts: files dns``), and resolv.conf naming 127.0.0.1, where nothing
    listens: no query can leave it."""
    if os.geteuid() != 0 or shutil.which("ip") is None:
        pytest.skip("needs root and ip(8) for a network namespace")
    ns = "wd" + uuid.uuid4().hex[:6]
    etc = Path("/etc/netns") / ns
    try:
        subprocess.run(["ip", "netns", "add", ns], check=True, capture_output=True)
        etc.mkdir(parents=True)
        (etc / "hosts").write_text(f"127.0.0.1 localhost\n10.20.1.10 {EP}\n")
        (etc / "nsswitch.conf").write_text("hosts: files dns\n")
        (etc / "resolv.conf").write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        subprocess.run(
            ["ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"],
            check=True,
            capture_output=True,
        )
        yield ns
    finally:
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(etc, ignore_errors=True)


def test_getaddrinfo_reads_the_hosts_file_and_reports_a_missing_name(namespace: str) -> None:
    import json

    root = str(Path(__file__).resolve().parents[1])
    proc = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            namespace,
            sys.executable,
            "-c",
            _IN_NS,
            EP,
            "wd-no-such-name.invalid",
            "localhost",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "PYTHONPATH": root},
    )
    assert proc.returncode == 0, proc.stderr
    pinned, missing, local = json.loads(proc.stdout)
    assert pinned == ["answer", ["10.20.1.10"]]
    # 127.0.0.1:53 refuses (ICMP port unreachable): the name cannot be found
    assert missing[0] in ("no-name", "temporary", "failed") and missing[1] == []
    assert local == ["answer", ["127.0.0.1"]]
