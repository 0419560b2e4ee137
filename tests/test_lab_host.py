"""Lab scenarios of issue 12: this machine's VPN, the path MTU and a running client.

Each runs ``wsdiag check`` in the lab's client namespace (root, Linux) after changing that
namespace the way a laptop would be: a tun device held open by a stand-in VPN daemon with a
split route list, a small MTU on the path to the VPC, a process standing in for the client.
Everything added is removed again, also on failure (the tun device vanishes with the process
that holds it; MTUs and nft tables are restored in ``finally``).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.lab.hosts import ENDPOINT_ADDRS
from tests.lab.topology import Lab, Shape, unavailable_reason
from tests.support.processes import stop_process

REGION = "eu-west-1"
ENDPOINTS_DROPPED = ("ip daddr @endpoints drop",)  # the ISP side has no route to the VPC

# A stand-in VPN daemon: opens /dev/net/tun as tun0 (IFF_TUN | IFF_NO_PI) and holds it, so
# the link has carrier; packets routed into it are read and discarded (the far side drops).
_TUN_HOLDER = r"""
import fcntl, os, struct, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"tun0", 0x0001 | 0x1000))
print("ready", flush=True)
while os.read(fd, 65536):
    pass
"""

# A stand-in WorkSpaces client: its process name is "workspacesclient" (the Linux client's,
# AWS client guide) and it holds one TCP connection to an endpoint address.
_CLIENT = r"""
import socket, sys, time
s = socket.create_connection((sys.argv[1], 4195), timeout=5)
print("ready", flush=True)
time.sleep(120)
"""


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    with Lab(regions=(REGION,)) as built:
        yield built


def _ip(lab: Lab, ns: str, *args: str) -> None:
    subprocess.run(["ip", "-n", ns, *args], check=True, capture_output=True, timeout=30)


@contextlib.contextmanager
def _spawn(lab: Lab, argv: Sequence[str]) -> Iterator[subprocess.Popen[str]]:
    """A process in the client namespace that prints "ready"; stopped (by its pid) after."""
    proc = subprocess.Popen(
        ["ip", "netns", "exec", lab.names.cli, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "ready", (line, proc.stderr.read() if proc.stderr else "")
        yield proc
    finally:
        stop_process(proc)
        if proc.stderr is not None:
            proc.stderr.close()


@contextlib.contextmanager
def _vpn(lab: Lab, routes: Sequence[str]) -> Iterator[None]:
    """tun0 connected (10.8.0.2 peer 10.8.0.1) carrying only ``routes``."""
    with _spawn(lab, [sys.executable, "-c", _TUN_HOLDER]):
        cli = lab.names.cli
        _ip(lab, cli, "addr", "add", "10.8.0.2", "peer", "10.8.0.1", "dev", "tun0")
        _ip(lab, cli, "link", "set", "tun0", "up", "mtu", "1380")
        for route in routes:
            _ip(lab, cli, "route", "add", route, "dev", "tun0")
        yield


def _check(lab: Lab, shape: Shape | None = None) -> dict[str, Any]:
    _ip(lab, lab.names.cli, "route", "flush", "cache")  # no path MTU learned before
    lab.apply(shape or Shape())
    run = lab.run_wsdiag(REGION, timeout=1.5)
    assert run.report is not None, run.stderr[-500:]
    return run.report


def _codes(report: dict[str, Any]) -> list[str]:
    return [f["code"] for f in report["findings"]]


def test_vpn_whose_split_routes_miss_the_endpoint(lab: Lab) -> None:
    """VPN up carrying another corporate range; the private name resolves privately (the VPC
    resolver is reachable), the endpoint subnets go out the default route and die."""
    with _vpn(lab, ["10.99.0.0/16"]):
        r = _check(lab, Shape(rules=ENDPOINTS_DROPPED))
    assert (r["environment"], r["verdict"]) == ("vpn", "blocked"), _codes(r)
    assert _codes(r)[0] == "VPN_ROUTES_MISS_ENDPOINT"
    assert "HOME_NETWORK" not in _codes(r) and "ENDPOINT_UNREACHABLE" not in _codes(r)
    assert "do not cover the endpoint subnets" in r["findings"][0]["message"]
    assert r["paths"]["tunnels"] == ["tun0"]
    assert {x["interface"] for x in r["paths"]["routes"] if x["role"] == "endpoint"} != {"tun0"}


def test_vpn_routing_the_endpoint_but_silent(lab: Lab) -> None:
    """The endpoint subnets do go into the tunnel, and nothing answers through it."""
    with _vpn(lab, ["10.20.1.0/24", "10.20.2.0/24"]):
        r = _check(lab)
    assert (r["environment"], r["verdict"]) == ("vpn", "blocked"), _codes(r)
    assert _codes(r)[0] == "VPN_ROUTES_MISS_ENDPOINT"
    assert "route through the VPN" in r["findings"][0]["message"]
    assert "via tun0 (VPN, MTU 1380)" in r["paths"]["summary"]


@contextlib.contextmanager
def _mtu(lab: Lab, ns: str, link: str, mtu: int) -> Iterator[None]:
    _ip(lab, ns, "link", "set", link, "mtu", str(mtu))
    try:
        yield
    finally:
        _ip(lab, ns, "link", "set", link, "mtu", "1500")
        # The client's learned path MTUs would outlive the scenario (route exceptions).
        _ip(lab, lab.names.cli, "route", "flush", "cache")


@contextlib.contextmanager
def _router_icmp_dropped(lab: Lab) -> Iterator[None]:
    """The router's own ICMP 'fragmentation needed' never leaves it (a filtering hop)."""
    table = f"{lab.prefix}_wn2icmp"
    nft = ["ip", "netns", "exec", lab.names.rtr, "nft"]
    subprocess.run([*nft, f"add table inet {table}"], check=True, timeout=30)
    try:
        subprocess.run(
            [*nft, f"add chain inet {table} out {{ type filter hook output priority 0; }}"],
            check=True,
            timeout=30,
        )
        subprocess.run(
            [*nft, f"add rule inet {table} out icmp type destination-unreachable drop"],
            check=True,
            timeout=30,
        )
        yield
    finally:
        subprocess.run([*nft, f"delete table inet {table}"], check=False, timeout=30)


def test_mtu_1100_toward_the_vpc_with_icmp_returned(lab: Lab) -> None:
    with _mtu(lab, lab.names.rtr, lab.names.link("rtr", "vpc"), 1100):
        r = _check(lab)
    assert r["verdict"] == "degraded", _codes(r)
    assert "PATH_MTU_SMALL" in _codes(r) and "ENDPOINT_QUIC_BLOCKED" not in _codes(r)
    quic = [p for p in r["probes"] if p["target"] == "endpoint" and p["transport"] == "quic"]
    assert quic and all(p["status"] == "unreachable" and p["path_mtu"] == 1100 for p in quic)


def test_mtu_1100_toward_the_vpc_with_icmp_dropped_is_not_called_fine(lab: Lab) -> None:
    """ICMP dropped: the DF datagrams vanish. wsdiag cannot see the MTU from here; it must
    not say ready, and the QUIC finding names the MTU as a possible cause."""
    with _mtu(lab, lab.names.rtr, lab.names.link("rtr", "vpc"), 1100), _router_icmp_dropped(lab):
        r = _check(lab)
    assert r["verdict"] == "degraded", _codes(r)
    assert "ENDPOINT_QUIC_BLOCKED" in _codes(r)
    assert "MTU" in next(
        f["message"] for f in r["findings"] if f["code"] == "ENDPOINT_QUIC_MTU_POSSIBLE"
    )


def test_mtu_1100_on_the_laptops_own_link(lab: Lab) -> None:
    """The laptop's own (VPN-like) link has MTU 1100: the kernel refuses DF datagrams."""
    with _mtu(lab, lab.names.cli, lab.names.link("cli", "rtr"), 1100):
        r = _check(lab)
    assert r["verdict"] == "degraded", _codes(r)
    assert "PATH_MTU_SMALL" in _codes(r) and "ENDPOINT_QUIC_BLOCKED" not in _codes(r)
    assert "MTU 1100" in r["paths"]["summary"]


def test_a_running_client_and_its_live_session(lab: Lab) -> None:
    with tempfile.TemporaryDirectory(prefix="wn2-") as tmp:
        exe = Path(tmp) / "workspacesclient"
        os.symlink(sys.executable, exe)
        with _spawn(lab, [str(exe), "-c", _CLIENT, ENDPOINT_ADDRS[0]]):
            r = _check(lab)
    client = r["paths"]["client"]
    assert client["running"] == "yes", client
    want = f"live session: TCP to {ENDPOINT_ADDRS[0]}:4195 (an endpoint address)"
    assert want in client["sentences"]
    assert r["verdict"] in ("ready", "degraded")


# --- proxies in the lab: a PAC-only proxy, a proxy relaying / refusing CONNECT :4195 -------
# The proxy runs in the lab's internet namespace on PROXY_ADDR; it never resolves a name
# (every lab name is given to it with --name, anything else goes to a dead address), so no
# query leaves the lab. The PAC is served by http.server beside it.

PROXY_ADDR, DEAD_ADDR = "203.0.113.240", "203.0.113.251"
ONLY_THE_PROXY_OUT = (f"ip daddr != {PROXY_ADDR} ip daddr @internet drop",)


@contextlib.contextmanager
def _lab_proxy(lab: Lab, mode: str = "relay") -> Iterator[str]:
    """A CONNECT proxy at PROXY_ADDR:3128 in the internet namespace; yields its URL."""
    net = lab.names.net
    _ip(lab, net, "addr", "add", f"{PROXY_ADDR}/32", "dev", lab.names.link("net", "rtr"))
    names = [f"--name={h.name}={h.addresses[0]}" for h in lab.world.hosts if h.addresses]
    argv = [
        "ip",
        "netns",
        "exec",
        net,
        sys.executable,
        "-m",
        "tests.support.proxy",
        "--listen",
        f"{PROXY_ADDR}:3128",
        "--mode",
        mode,
        "--upstream",
        DEAD_ADDR,
        *names,
    ]
    proc = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=lab_root(),
        env=lab.wsdiag_env(),
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("ready"), (line, proc.stderr.read() if proc.stderr else "")
        yield f"http://{PROXY_ADDR}:3128"
    finally:
        stop_process(proc)
        if proc.stderr is not None:
            proc.stderr.close()
        subprocess.run(
            [
                "ip",
                "-n",
                net,
                "addr",
                "del",
                f"{PROXY_ADDR}/32",
                "dev",
                lab.names.link("net", "rtr"),
            ],
            check=False,
            timeout=30,
        )


def lab_root() -> str:
    return str(Path(__file__).resolve().parents[1])


@contextlib.contextmanager
def _pac_server(lab: Lab, text: str) -> Iterator[str]:
    """http.server on PROXY_ADDR:8080 in the internet namespace serving proxy.pac."""
    with tempfile.TemporaryDirectory(prefix="wn2-pac-") as tmp:
        (Path(tmp) / "proxy.pac").write_text(text)
        argv = [
            "ip",
            "netns",
            "exec",
            lab.names.net,
            sys.executable,
            "-u",
            "-c",
            "import http.server, functools, sys\n"
            "h = functools.partial(http.server.SimpleHTTPRequestHandler,\n"
            "                      directory=sys.argv[1])\n"
            "s = http.server.HTTPServer((sys.argv[2], 8080), h)\n"
            "print('ready', flush=True)\ns.serve_forever()\n",
            tmp,
            PROXY_ADDR,
        ]
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
            yield f"http://{PROXY_ADDR}:8080/proxy.pac"
        finally:
            stop_process(proc)
            if proc.stderr is not None:
                proc.stderr.close()


def _check_with(lab: Lab, shape: Shape, *extra: str, proxy: str | None = None) -> dict[str, Any]:
    """wsdiag in the client namespace with ``extra`` options and, given, HTTPS_PROXY."""
    _ip(lab, lab.names.cli, "route", "flush", "cache")
    lab.apply(shape)
    env = lab.wsdiag_env() | ({"HTTPS_PROXY": proxy} if proxy else {})
    proc = subprocess.run(
        lab.wsdiag_argv(REGION, *extra, timeout=1.5),
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=lab_root(),
        check=False,
    )
    return json.loads(proc.stdout)


PAC = (
    "function FindProxyForURL(url, host) {\n"
    '  if (dnsDomainIs(host, ".a2z.com")) return "DIRECT";\n'
    f'  return "PROXY {PROXY_ADDR}:3128; DIRECT";\n}}\n'
)


def test_pac_only_proxy_served_from_the_lab(lab: Lab) -> None:
    """Direct 443 to the internet dropped; only the proxy the PAC names gets out. Without
    the PAC wsdiag would call this closed; with it, minimal egress through the proxy."""
    with _lab_proxy(lab) as _, _pac_server(lab, PAC) as pac:
        r = _check_with(lab, Shape(rules=ONLY_THE_PROXY_OUT), "--pac", pac)
    assert (r["environment"], r["verdict"]) == ("minimal-egress", "ready"), _codes(r)
    assert (r["proxy"]["source"], r["proxy"]["pac"]) == ("pac", pac)
    assert r["proxy"]["url"] == f"http://{PROXY_ADDR}:3128"
    assert "AUTH_UNREACHABLE" not in _codes(r)


def test_proxy_relays_connect_4195_to_the_endpoint(lab: Lab) -> None:
    """Private DNS names off (the home resolver has no private name), the VPC not routed
    from here, the proxy reaching the endpoint: the documented proxy set-up. Not 'home',
    not 'enable Private DNS names' alone."""
    with _lab_proxy(lab) as url:
        r = _check_with(lab, Shape(resolver="home", rules=("ip daddr @vpc drop",)), proxy=url)
    assert (r["environment"], r["verdict"]) == ("unknown", "unknown"), _codes(r)
    assert _codes(r)[0] == "ENDPOINT_NXDOMAIN_BEHIND_PROXY"
    assert not {"ENDPOINT_NXDOMAIN", "HOME_NETWORK"} & set(_codes(r))
    assert r["evidence"]["proxy_stream_4195"] == "yes"


def test_proxy_refusing_connect_4195(lab: Lab) -> None:
    with _lab_proxy(lab, "ssl-ports") as url:
        r = _check_with(lab, Shape(resolver="home", rules=("ip daddr @vpc drop",)), proxy=url)
    assert (r["environment"], r["verdict"]) == ("unknown", "unknown"), _codes(r)
    f = next(f for f in r["findings"] if f["code"] == "PROXY_DENIES_CONNECT_4195")
    assert f["severity"] == "warning" and "deny CONNECT !SSL_ports" in f["message"]
    assert r["evidence"]["proxy_stream_443"] == "yes"
