"""A simulated network in Linux network namespaces, built once and re-shaped per scenario.

    client ──veth── router ──veth── vpc       (endpoint ENIs 10.20.1.10/10.20.2.10,
    (laptop)        (nftables       │          VPC resolver 10.20.0.2 = dnsmasq)
                     forward chain) └─veth── internet  (auth/service hosts 203.0.113.x,
                                                        health-check hosts 198.51.100.x,
                                                        home-ISP resolvers 192.0.2.x)

wsdiag runs in the client namespace exactly as on a laptop: ``ip netns exec`` bind-mounts
``/etc/netns/<client>/resolv.conf`` over ``/etc/resolv.conf``, so it uses the system resolver.
A scenario only swaps that file, the client's default route and the router's rules; the
namespaces, servers and resolvers stay up between scenarios.

Workplace rules this module keeps: nothing is added to the root namespace (veths are created
inside the lab namespaces, never in the root one), no namespace has a route off the machine,
every resource carries the run's prefix (``wl<4 hex>``) and ``down()`` removes all of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from tests.lab.hosts import (
    CLIENT_ADDR,
    CLIENT_ADDR6,
    CLIENT_GW,
    CLIENT_GW6,
    CLIENT_PREFIX,
    DEAD_FORWARDER_RESOLVER,
    ENDPOINT_ADDRS,
    ENDPOINT_ADDRS6,
    HOME_PUBLIC_RESOLVER,
    HOME_RESOLVER,
    HUB_RESOLVER,
    INTERNET_CIDRS,
    IPV4ONLY,
    NAT64_ADDR,
    NAT64_POOL,
    NAT64_PREFIX,
    OVERLAY_ADDRS,
    OVERLAY_CIDR,
    OVERLAY_RESOLVER,
    PUBLIC_ANSWER,
    RTR_NET,
    RTR_VPC,
    RTR_VPC6,
    SERVFAIL_RESOLVER,
    SLOW_RESOLVER,
    SLOW_SECONDS,
    STUB_RESOLVER,
    TRANSIT_PREFIX,
    V6_RESOLVER,
    VPC_CIDR,
    VPC_CIDR6,
    VPC_RESOLVER,
    World,
    build_world,
)
from tests.support.certs import make_ca, self_signed
from tests.support.processes import stop_process
from wsdiag.vocab.model import Role

REPO_ROOT = Path(__file__).resolve().parents[2]
PREFIX_BASE = "wl"
# Debian keeps these in /usr/sbin, which a non-login PATH (CI runners) often lacks.
_SEARCH_PATH = os.pathsep.join(
    [os.environ.get("PATH", ""), "/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"]
)
REQUIRED_TOOLS = ("ip", "nft", "dnsmasq", "squid", "unbound", "tayga")

# Squid in the router namespace (issue 17), as a corporate proxy at the laptop's gateway; its
# own traffic leaves the router itself (the output hook), so the scenario rules, which judge
# only what the laptop forwards, never touch it: the proxy reaches the VPC however the
# laptop's direct paths are cut. One instance, two ports: Squid's suggested configuration
# (``http_access deny CONNECT !SSL_ports``, SSL_ports 443) and the same with 4195 allowed.
PROXY_443 = f"http://{CLIENT_GW}:3128"  # CONNECT to 443 only: 403 for 4195
PROXY_OPEN = f"http://{CLIENT_GW}:3129"  # SSL_ports 443 4195
Proxy = Literal["443", "open"]
PROXIES: dict[str, str] = {"443": PROXY_443, "open": PROXY_OPEN}

Resolver = Literal[
    "vpc",
    "home",
    "home-public",
    "none",
    "captive",
    "overlay",
    "vpc-v6",
    "servfail-first",
    "slow",
    "dead-forwarder",
    "hub",
    "stub",
    "dns64",
]
RESOLVERS: dict[str, str | tuple[str, ...] | None] = {
    "vpc": VPC_RESOLVER,
    "home": HOME_RESOLVER,
    "home-public": HOME_PUBLIC_RESOLVER,
    "none": None,  # a resolv.conf with no nameserver line: nothing configured
    "captive": CLIENT_GW,  # a Wi-Fi gateway before login: every name is the gateway itself
    "overlay": OVERLAY_RESOLVER,  # a zero-trust client's: the private name in 100.64.0.0/10
    "vpc-v6": V6_RESOLVER,  # the VPC's, for an endpoint with an IPv6 record: AAAA only
    # issue 16: the resolver chain
    "servfail-first": (SERVFAIL_RESOLVER, VPC_RESOLVER),  # SERVFAIL first, then the answer
    "slow": SLOW_RESOLVER,
    "dead-forwarder": DEAD_FORWARDER_RESOLVER,
    "hub": HUB_RESOLVER,
    "stub": STUB_RESOLVER,  # unbound, validating, forwarding to the VPC's resolver
    "dns64": CLIENT_GW6,  # unbound's dns64 module on the router
}
# The client's OS path stays in its namespace: its own hosts file and nsswitch.conf (files,
# then DNS through resolv.conf), never the host's systemd-resolved or mDNS.
NSSWITCH = "hosts: files dns\n"
BASE_HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"


class LabError(RuntimeError):
    pass


def tool(name: str) -> str | None:
    return shutil.which(name, path=_SEARCH_PATH)


def _tool(name: str) -> str:
    path = tool(name)
    if path is None:
        raise LabError(f"{name} not found; run scripts/lab-deps.sh")
    return path


def _run(
    args: Sequence[str], *, input: str | None = None, check: bool = True, timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        list(args), input=input, capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and proc.returncode != 0:
        raise LabError(f"{' '.join(args)}: exit {proc.returncode}: {proc.stderr.strip()}")
    return proc


@contextlib.contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C back while cleaning up: a second one would leave half a lab behind.

    Every step of the clean-up is bounded by a timeout, so this cannot hang for long.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, _frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def _run_absent_ok(args: Sequence[str], absent: str) -> None:
    """Run a delete command; the thing already being gone is success."""
    proc = _run(args, check=False)
    if proc.returncode != 0 and absent not in proc.stderr:
        raise LabError(f"{' '.join(args)}: exit {proc.returncode}: {proc.stderr.strip()}")


def list_namespaces() -> list[str]:
    out = _run([_tool("ip"), "netns", "list"]).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def new_prefix() -> str:
    """``wl`` + 4 random hex digits, not used by any namespace or netns config dir now."""
    taken = list_namespaces()
    for _ in range(100):
        prefix = PREFIX_BASE + secrets.token_hex(2)
        clash = any(n.startswith(prefix + "-") for n in taken)
        if not clash and not Names(prefix).etc_dir.exists() and not workdir_for(prefix).exists():
            return prefix
    raise LabError("could not find a free lab prefix")


def workdir_for(prefix: str) -> Path:
    return Path(tempfile.gettempdir()) / f"{prefix}-lab"


def unavailable_reason(prefix: str | None = None) -> str | None:
    """Why this machine cannot run the lab, or None when it can (checked by doing it once,
    in a namespace named "<prefix>-chk": a lab named ``prefix`` makes no name outside it;
    None: a free wl<4 hex>)."""
    if not sys.platform.startswith("linux"):
        return "the network lab needs Linux network namespaces"
    if os.geteuid() != 0:
        return "the network lab needs root (ip netns, nftables)"
    missing = [t for t in REQUIRED_TOOLS if tool(t) is None]
    if missing:
        return f"missing {', '.join(missing)}; run scripts/lab-deps.sh"
    probe = f"{prefix or new_prefix()}-chk"
    try:
        made = _run([_tool("ip"), "netns", "add", probe], check=False)
        if made.returncode != 0:
            return f"cannot create a network namespace: {made.stderr.strip()}"
        nft = _run(
            [_tool("ip"), "netns", "exec", probe, _tool("nft"), "add", "table", "inet", "probe"],
            check=False,
        )
        if nft.returncode != 0:
            return f"nftables does not work in a namespace: {nft.stderr.strip()}"
    finally:
        _run([_tool("ip"), "netns", "del", probe], check=False)
    return None


@dataclass(frozen=True)
class Names:
    """Every name the lab creates, all derived from one run prefix."""

    prefix: str

    def ns(self, role: str) -> str:
        return f"{self.prefix}-{role}"

    @property
    def squid(self) -> str:  # Squid's service name (-n): its /dev/shm segments carry it
        return f"{self.prefix}sq"

    @property
    def cli(self) -> str:
        return self.ns("cli")

    @property
    def rtr(self) -> str:
        return self.ns("rtr")

    @property
    def vpc(self) -> str:
        return self.ns("vpc")

    @property
    def net(self) -> str:
        return self.ns("net")

    def link(self, here: str, there: str) -> str:
        # "<prefix>-<here><there>": 9 characters, well inside IFNAMSIZ (15).
        return f"{self.prefix}-{here[0]}{there[0]}"

    @property
    def table(self) -> str:
        return f"{self.prefix}_lab"

    @property
    def etc_dir(self) -> Path:
        return Path("/etc/netns") / self.cli


@dataclass(frozen=True)
class Shape:
    """What a scenario changes in the running lab."""

    resolver: Resolver = "vpc"
    rules: tuple[str, ...] = ()  # nft rule bodies for the router's scenario chain
    default_route: bool = True
    # False: the laptop does not trust the lab CA, as behind a TLS-inspecting proxy whose
    # certificates the machine does not trust.
    trusts_lab_ca: bool = True
    # True: the home LAN overlaps one endpoint subnet; a NAS on the LAN holds the second
    # endpoint address (LAN_DEVICE_ADDR) and answers only TCP 443, with its own certificate.
    lan_device: bool = False
    # Which roots count as public (WSDIAG_PUBLIC_ROOTS): "lab", the lab CA, as if the lab's
    # servers had real public certificates; "other", a root none of them chains to, as
    # behind a TLS-decrypting firewall whose CA the laptop trusts.
    public_roots: Literal["lab", "other"] = "lab"
    # (address, name) lines of the laptop's hosts file, e.g. the private name pinned
    hosts: tuple[tuple[str, str], ...] = ()
    # nft rule bodies for the laptop's OWN output chain: its local firewall, whose drop a
    # sender sees as EPERM (nothing leaves), unlike the router's silence or reject
    client_rules: tuple[str, ...] = ()
    # no IPv4 default route: an IPv6-only network (DNS64 + NAT64 in the router)
    ipv6_only: bool = False
    # The laptop's HTTPS proxy (HTTPS_PROXY): Squid at the gateway, "443" (CONNECT to 443
    # only) or "open" (443 and 4195); None: no proxy.
    proxy: Proxy | None = None
    # Extra ``wsdiag check`` arguments ("{region}" is replaced), e.g. --endpoint-host <vpce>
    args: tuple[str, ...] = ()
    # A file of tests/fixtures/logs/ as the laptop's WorkSpaces client log (the client's
    # Linux log folder below XDG_DATA_HOME, in the lab's work folder); "": no client log
    client_log: str = ""


LAN_DEVICE_ADDR = ENDPOINT_ADDRS[1]


@dataclass(frozen=True)
class WsdiagRun:
    argv: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    report: dict[str, Any] | None


@dataclass
class Lab:
    """Build with ``up()`` (or ``with Lab(...) as lab``); ``down()`` removes everything."""

    regions: tuple[str, ...]
    prefix: str = ""
    world: World = field(init=False)
    names: Names = field(init=False)
    workdir: Path | None = None
    ca_path: Path | None = None
    other_public_path: Path | None = None
    namespaces: list[str] = field(default_factory=list)
    etc_dirs: list[Path] = field(default_factory=list)
    pids: list[int] = field(default_factory=list)
    _procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    build_seconds: float = 0.0

    def __post_init__(self) -> None:
        self.regions = tuple(self.regions)
        self.world = build_world(self.regions)
        self.prefix = self.prefix or new_prefix()
        self.names = Names(self.prefix)

    # --- lifecycle ---------------------------------------------------------------------

    def __enter__(self) -> Lab:
        self.up()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        errors = self.down()
        if errors and exc is None:
            raise LabError("lab clean-up failed: " + "; ".join(errors))

    def up(self) -> None:
        started = time.monotonic()
        try:
            self._build()
        except BaseException:
            # Also on KeyboardInterrupt: half a lab must not outlive the run.
            for err in self.down():
                print(f"lab clean-up: {err}", file=sys.stderr)
            raise
        self.build_seconds = time.monotonic() - started

    def down(self) -> list[str]:
        """Remove everything this lab made; return what could not be undone.

        Raises nothing but a KeyboardInterrupt that arrived while it ran (passed on after).
        """
        with _sigint_deferred():
            return self._down()

    def _down(self) -> list[str]:
        errors: list[str] = []

        def attempt(what: str, fn: Any, *args: Any) -> None:
            try:
                fn(*args)
            except Exception as exc:
                errors.append(f"{what}: {exc}")

        # Processes first: a namespace that still holds a process outlives `ip netns del`.
        for proc in self._procs.values():
            attempt(f"stop pid {proc.pid}", stop_process, proc)
        known = {p.pid for p in self._procs.values()}
        for pid in self.pids:
            if pid not in known and self.workdir is not None:
                attempt(f"stop pid {pid}", _stop_pid, pid, str(self.workdir))
        self._procs.clear()
        self.pids.clear()
        # Squid's shared-memory segments are named after its service name (-n): ours only.
        for seg in Path("/dev/shm").glob(f"{self.names.squid}-*"):
            attempt(f"remove {seg}", seg.unlink, True)
        try:
            alive = set(list_namespaces()) if self.namespaces else set()
        except Exception as exc:
            errors.append(f"list namespaces: {exc}")
            alive = set(self.namespaces)
        for ns in self.namespaces:
            if ns in alive:
                # Anything still running inside a namespace this run created was started by
                # this run (a wsdiag that outlived its timeout, say).
                attempt(f"processes in {ns}", _kill_namespace_pids, ns)
        # The namespaces' deletion would take the table and the veths with it; removing them
        # first anyway means a namespace kept alive by a stray process holds nothing.
        if self.names.rtr in alive:
            attempt(
                "nft table",
                _run_absent_ok,
                [
                    *self._in(self.names.rtr),
                    _tool("nft"),
                    "delete",
                    "table",
                    "inet",
                    self.names.table,
                ],
                "No such file or directory",
            )
        for ns, here, there in self._links():
            if ns in alive:
                name = self.names.link(here, there)
                attempt(
                    f"veth {name}",
                    _run_absent_ok,
                    [_tool("ip"), "-n", ns, "link", "del", name],
                    "Cannot find device",
                )
        for ns in reversed(self.namespaces):
            if ns in alive:
                attempt(f"netns {ns}", _run, [_tool("ip"), "netns", "del", ns])
        self.namespaces.clear()
        for d in self.etc_dirs:
            if d.exists():
                attempt(f"remove {d}", shutil.rmtree, d)
        self.etc_dirs.clear()
        if self.workdir is not None and self.workdir.exists():
            attempt(f"remove {self.workdir}", shutil.rmtree, self.workdir)
        return errors

    # --- scenarios ---------------------------------------------------------------------

    def apply(self, shape: Shape) -> None:
        n = self.names
        self._write_resolv_conf(RESOLVERS[shape.resolver])
        self._write_hosts(shape.hosts)
        ip = _tool("ip")
        if shape.default_route and not shape.ipv6_only:
            _run([ip, "-n", n.cli, "route", "replace", "default", "via", CLIENT_GW])
        else:
            _run([ip, "-n", n.cli, "route", "del", "default"], check=False)
        script = f"flush chain inet {n.table} scenario\n" + "".join(
            f"add rule inet {n.table} scenario {rule}\n" for rule in shape.rules
        )
        # One nft transaction: the old rules and the new never mix.
        _run([*self._in(n.rtr), _tool("nft"), "-f", "-"], input=script)
        own = (
            f"add table inet {n.table}\n"
            f"add chain inet {n.table} own {{ type filter hook output priority 0; }}\n"
            f"flush chain inet {n.table} own\n"
        ) + "".join(f"add rule inet {n.table} own {rule}\n" for rule in shape.client_rules)
        _run([*self._in(n.cli), _tool("nft"), "-f", "-"], input=own)
        # The NAS: the endpoint address on the router's LAN side is delivered locally (to
        # the NAS server bound there since the build), instead of routed to the VPC.
        lan = [
            ip,
            "-n",
            n.rtr,
            "addr",
            "add" if shape.lan_device else "del",
            f"{LAN_DEVICE_ADDR}/32",
            "dev",
            n.link("rtr", "cli"),
        ]
        if shape.lan_device:
            _run(lan)
        else:  # not there: "Address not found" (iproute2 6.x), older ones say EADDRNOTAVAIL
            proc = _run(lan, check=False)
            if proc.returncode != 0 and not any(
                m in proc.stderr for m in ("Address not found", "Cannot assign")
            ):
                raise LabError(f"{' '.join(lan)}: {proc.stderr.strip()}")

    def wsdiag_env(
        self,
        trusts_lab_ca: bool = True,
        public_roots: Literal["lab", "other"] = "lab",
        proxy: Proxy | None = None,
        client_log: str = "",
    ) -> dict[str, str]:
        assert self.ca_path is not None
        # A proxy setting from the developer's shell would change what wsdiag tries.
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.lower().endswith("_proxy") and k != "SSL_CERT_FILE"
        }
        env["WSDIAG_PUBLIC_ROOTS"] = str(
            self.other_public_path if public_roots == "other" else self.ca_path
        )
        if trusts_lab_ca:
            env["SSL_CERT_FILE"] = str(self.ca_path)
        if proxy is not None:
            env["HTTPS_PROXY"] = PROXIES[proxy]
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p
        )
        if client_log:
            data = self.workdir / "client-data"
            logs = data / "Amazon Web Services" / "Amazon WorkSpaces" / "logs"
            logs.mkdir(parents=True, exist_ok=True)
            for old in logs.iterdir():
                old.unlink()
            shutil.copyfile(
                REPO_ROOT / "tests" / "fixtures" / "logs" / client_log, logs / client_log
            )
            env["XDG_DATA_HOME"] = str(data)
        return env

    def wsdiag_argv(
        self, region: str, *extra: str, timeout: float = 1.0, command: Sequence[str] = ()
    ) -> list[str]:
        """`command` runs instead of `python -m wsdiag` (e.g. the single-file binary)."""
        return [
            *self._in(self.names.cli),
            *(command or (sys.executable, "-m", "wsdiag")),
            "check",
            "--region",
            region,
            "--json",
            "--timeout",
            f"{timeout:g}",
            *extra,
        ]

    def run_wsdiag(
        self,
        region: str,
        *extra: str,
        timeout: float = 1.0,
        trusts_lab_ca: bool = True,
        command: Sequence[str] = (),
        public_roots: Literal["lab", "other"] = "lab",
        proxy: Proxy | None = None,
        client_log: str = "",
    ) -> WsdiagRun:
        argv = self.wsdiag_argv(region, *extra, timeout=timeout, command=command)
        started = time.monotonic()
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            cwd=REPO_ROOT,
            env=self.wsdiag_env(trusts_lab_ca, public_roots, proxy, client_log),
            timeout=120,
            check=False,
        )
        seconds = time.monotonic() - started
        report: dict[str, Any] | None
        try:
            report = json.loads(proc.stdout)
        except ValueError:
            report = None
        return WsdiagRun(tuple(argv), proc.returncode, proc.stdout, proc.stderr, seconds, report)

    def user_command(self, region: str, shape: Shape | None = None) -> str:
        """The command a person types to see what the tests see in this scenario: the same
        environment as ``run_wsdiag`` for ``shape`` (its trust settings decide the verdict:
        which roots the laptop trusts, which count as public), proxies unset."""
        shape = shape or Shape()
        env = self.wsdiag_env(
            shape.trusts_lab_ca, shape.public_roots, shape.proxy, shape.client_log
        )
        unset = sorted(
            k for k in os.environ if k.lower().endswith("_proxy") or k == "SSL_CERT_FILE"
        )
        given = [
            f"{k}={env[k]}"
            for k in ("SSL_CERT_FILE", "WSDIAG_PUBLIC_ROOTS", "HTTPS_PROXY", "XDG_DATA_HOME")
            if k in env
        ]
        words = [
            *self._in(self.names.cli),
            "env",
            *(f"-u{k}" for k in unset),
            *given,
            f"PYTHONPATH={REPO_ROOT}",
            sys.executable,
            "-m",
            "wsdiag",
            "check",
            "--region",
            region,
            *(a.format(region=region) for a in shape.args),
        ]
        return shlex.join(words)

    # --- persistence (examples/lab.py keeps a lab up between commands) -----------------

    def state(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix,
            "regions": list(self.regions),
            "workdir": str(self.workdir) if self.workdir else None,
            "ca": str(self.ca_path) if self.ca_path else None,
            "other_public": str(self.other_public_path) if self.other_public_path else None,
            "namespaces": list(self.namespaces),
            "etc_dirs": [str(d) for d in self.etc_dirs],
            "pids": list(self.pids),
        }

    @classmethod
    def attach(cls, state: Mapping[str, Any]) -> Lab:
        """A handle on a lab another process built, enough to ``apply`` or ``down`` it."""
        lab = cls(regions=tuple(state["regions"]), prefix=str(state["prefix"]))
        lab.workdir = Path(state["workdir"]) if state.get("workdir") else None
        lab.namespaces = list(state["namespaces"])
        lab.etc_dirs = [Path(d) for d in state["etc_dirs"]]
        lab.pids = [int(p) for p in state["pids"]]
        lab.ca_path = Path(state["ca"]) if state.get("ca") else None
        other = state.get("other_public")
        lab.other_public_path = Path(other) if other else None
        return lab

    # --- building ----------------------------------------------------------------------

    def _in(self, ns: str) -> list[str]:
        return [_tool("ip"), "netns", "exec", ns]

    def _links(self) -> list[tuple[str, str, str]]:
        # (namespace, here, there) for the end of each pair that owns it; deleting one end
        # removes its peer.
        n = self.names
        return [(n.cli, "cli", "rtr"), (n.rtr, "rtr", "vpc"), (n.rtr, "rtr", "net")]

    def _build(self) -> None:
        n = self.names
        ip = _tool("ip")
        # Every resource is recorded before it is created: an interrupt between the two
        # steps must leave something down() knows about, never something it does not.
        self.workdir = workdir_for(n.prefix)
        try:
            self.workdir.mkdir(mode=0o700)
        except FileExistsError:
            self.workdir = None  # not ours: down() must leave it alone
            raise
        for ns in (n.cli, n.rtr, n.vpc, n.net):
            self.namespaces.append(ns)
            _run([ip, "netns", "add", ns])
            # IPv6 only where the IPv6-only endpoint scenario needs it (client, router, VPC),
            # without DAD (no delay) or router advertisements (no noise); none on the internet.
            v6 = "0" if ns != n.net else "1"
            _sysctl(
                ns,
                {
                    "net/ipv6/conf/all/disable_ipv6": v6,
                    "net/ipv6/conf/default/disable_ipv6": v6,
                    **(
                        {
                            "net/ipv6/conf/default/accept_dad": "0",
                            "net/ipv6/conf/default/accept_ra": "0",
                            "net/ipv6/conf/default/router_solicitations": "0",
                        }
                        if v6 == "0"
                        else {}
                    ),
                },
            )

        # Each pair is created inside the namespace of one end with its peer placed
        # straight into the other: no veth ever appears in the root namespace.
        for here, there in (("cli", "rtr"), ("rtr", "vpc"), ("rtr", "net")):
            _run(
                [
                    ip, "-n", n.ns(here), "link", "add", n.link(here, there),
                    "type", "veth", "peer", "name", n.link(there, here), "netns", n.ns(there),
                ]
            )  # fmt: skip

        endpoint_addrs = sorted({a for h in self.world.by_role(Role.ENDPOINT) for a in h.addresses})
        internet_addrs = [*self.world.internet_addresses(), HOME_RESOLVER, HOME_PUBLIC_RESOLVER]
        cr, rc = n.link("cli", "rtr"), n.link("rtr", "cli")
        rv, vr = n.link("rtr", "vpc"), n.link("vpc", "rtr")
        rn, nr = n.link("rtr", "net"), n.link("net", "rtr")
        _ip_batch(
            n.cli,
            [
                "link set lo up",
                f"link set {cr} up",
                f"addr add {CLIENT_ADDR}/{CLIENT_PREFIX} dev {cr}",
                f"route add default via {CLIENT_GW}",
                f"addr add {CLIENT_ADDR6}/64 dev {cr} nodad",
                f"route add ::/0 via {CLIENT_GW6}",
            ],
        )
        _ip_batch(
            n.rtr,
            [
                "link set lo up",
                *(f"link set {d} up" for d in (rc, rv, rn)),
                f"addr add {CLIENT_GW}/{CLIENT_PREFIX} dev {rc}",
                f"addr add {RTR_VPC[0]}/{TRANSIT_PREFIX} dev {rv}",
                f"addr add {RTR_NET[0]}/{TRANSIT_PREFIX} dev {rn}",
                f"route add {VPC_CIDR} via {RTR_VPC[1]}",
                f"route add {OVERLAY_CIDR} via {RTR_VPC[1]}",
                f"addr add {CLIENT_GW6}/64 dev {rc} nodad",
                f"addr add {RTR_VPC6[0]}/64 dev {rv} nodad",
                f"route add {VPC_CIDR6} via {RTR_VPC6[1]}",
                *(f"route add {c} via {RTR_NET[1]}" for c in INTERNET_CIDRS),
            ],
        )
        _ip_batch(
            n.vpc,
            [
                "link set lo up",
                f"link set {vr} up",
                f"addr add {RTR_VPC[1]}/{TRANSIT_PREFIX} dev {vr}",
                *(
                    f"addr add {a}/32 dev {vr}"
                    for a in [
                        VPC_RESOLVER,
                        OVERLAY_RESOLVER,
                        V6_RESOLVER,
                        SERVFAIL_RESOLVER,
                        SLOW_RESOLVER,
                        DEAD_FORWARDER_RESOLVER,
                        HUB_RESOLVER,
                        *endpoint_addrs,
                        *OVERLAY_ADDRS,
                    ]
                ),
                f"route add default via {RTR_VPC[0]}",
                f"addr add {RTR_VPC6[1]}/64 dev {vr} nodad",
                *(f"addr add {a}/128 dev {vr} nodad" for a in ENDPOINT_ADDRS6),
                f"route add ::/0 via {RTR_VPC6[0]}",
            ],
        )
        _ip_batch(
            n.net,
            [
                "link set lo up",
                f"link set {nr} up",
                f"addr add {RTR_NET[1]}/{TRANSIT_PREFIX} dev {nr}",
                *(f"addr add {a}/32 dev {nr}" for a in internet_addrs),
                f"route add default via {RTR_NET[0]}",
            ],
        )
        _sysctl(
            n.rtr,
            {
                "net/ipv4/ip_forward": "1",
                "net/ipv6/conf/all/forwarding": "1",
                # The reject scenario sends many ICMP errors to one client in a burst; the
                # default per-destination limit (1/s) would turn later ones into silence.
                "net/ipv4/icmp_ratelimit": "0",
                # The NAS server binds the endpoint address before a scenario puts it on
                # the router's LAN side (lan_device); until then it is not local.
                "net/ipv4/ip_nonlocal_bind": "1",
            },
        )

        self.etc_dirs.append(n.etc_dir)
        n.etc_dir.mkdir(parents=True, exist_ok=False)
        self._write_resolv_conf(VPC_RESOLVER)
        (n.etc_dir / "nsswitch.conf").write_text(NSSWITCH)
        self._write_hosts(())

        pki = make_ca(self.workdir / "pki")
        self.ca_path = pki.ca_path
        all_names = [h.name for h in self.world.hosts] + [vpce_name(r) for r in self.regions]
        all_addrs = sorted({a for h in self.world.hosts for a in h.addresses})
        leaf = pki.issue("servers", all_names, all_addrs)
        self.other_public_path = make_ca(self.workdir / "other-public", "Other Public Root").ca_path
        nas = self_signed(self.workdir / "nas", "nas.local")

        _run([*self._in(n.rtr), _tool("nft"), "-f", "-"], input=self._nft_table(endpoint_addrs))

        # The endpoint's own name (private DNS names off or on, it resolves publicly, to the
        # endpoint's addresses: FACTS §2), in every resolver that answers public names.
        vpce = [(vpce_name(r), a) for r in self.regions for a in ENDPOINT_ADDRS]
        records = (
            [(h.name, a) for h in self.world.hosts for a in h.addresses] + vpce + list(IPV4ONLY)
        )
        public = [(h.name, a) for h, a in _pairs(self.world, exclude=Role.ENDPOINT)] + vpce
        public_answer = [(name, PUBLIC_ANSWER) for name in self.world.endpoint_names()]
        self._dnsmasq(n.vpc, "dns-vpc", VPC_RESOLVER, records)
        eps = self.world.endpoint_names()
        self._dnsmasq(
            n.vpc,
            "dns-overlay",
            OVERLAY_RESOLVER,
            public + [(e, a) for e in eps for a in OVERLAY_ADDRS],
        )
        self._dnsmasq(
            n.vpc, "dns-v6", V6_RESOLVER, public + [(e, a) for e in eps for a in ENDPOINT_ADDRS6]
        )
        self._dnsmasq(n.net, "dns-home", HOME_RESOLVER, public)
        self._dnsmasq(n.net, "dns-home-public", HOME_PUBLIC_RESOLVER, public + public_answer)
        # The captive portal: the client's gateway answers every name with itself and
        # serves a login page on 443 under a certificate of its own (another CA).
        self._dnsmasq(n.rtr, "dns-captive", CLIENT_GW, (), everything_at=CLIENT_GW)
        portal = make_ca(self.workdir / "portal-pki").issue("portal", ["portal.wifi.example"])
        self._servers(
            n.rtr,
            "servers-portal",
            ["--tls", f"{CLIENT_GW}:443"],
            portal.cert_path,
            portal.key_path,
        )

        for ns, hosts in (
            (n.vpc, self.world.by_role(Role.ENDPOINT)),
            (n.net, (*self.world.by_role(Role.AUTH), *self.world.by_role(Role.HEALTH))),
        ):
            flags: list[str] = []
            for spec in sorted(
                {
                    (kind, addr, port)
                    for h in hosts
                    for addr in h.addresses
                    for kind, port in h.listeners
                }
            ):
                flags += [f"--{spec[0]}", f"{spec[1]}:{spec[2]}"]
            self._servers(
                ns, f"servers-{ns.rsplit('-', 1)[1]}", flags, leaf.cert_path, leaf.key_path
            )
        self._servers(
            n.rtr, "servers-nas", ["--tls", f"{LAN_DEVICE_ADDR}:443"], nas.cert_path, nas.key_path
        )
        self._resolver_chain(public)
        # The same endpoint listeners at its overlay and IPv6 addresses.
        kinds = sorted({spec for h in self.world.by_role(Role.ENDPOINT) for spec in h.listeners})
        extra = [
            f"--{kind}={addr if ':' not in addr else f'[{addr}]'}:{port}"
            for addr in (*OVERLAY_ADDRS, *ENDPOINT_ADDRS6)
            for kind, port in kinds
        ]
        self._servers(n.vpc, "servers-extra", extra, leaf.cert_path, leaf.key_path)
        self._squid()
        self._wait_ready()

    def _resolver_chain(self, public: Sequence[tuple[str, str]]) -> None:
        """Issue 16's resolvers: scripted company DNS servers in the VPC's range, a
        validating unbound stub on the client, unbound's dns64 and tayga's NAT64 on the
        router."""
        n = self.names
        assert self.workdir is not None
        answers: dict[str, object] = {}
        for name, addr in public:
            answers.setdefault(name, []).append(addr)  # type: ignore[union-attr]
        endpoint = {name: list(ENDPOINT_ADDRS) for name in self.world.endpoint_names()}
        region_zones = {name.split(".", 1)[1] for name in self.world.endpoint_names()}
        zones: dict[str, tuple[str, dict[str, object]]] = {
            # SERVFAIL at once for a2z.com, as a resolver whose a2z.com forwarder refuses
            "servfail": (
                SERVFAIL_RESOLVER,
                {**answers, **{e: "servfail" for e in endpoint}, "a2z.com": "servfail"},
            ),
            "slow": (
                SLOW_RESOLVER,
                {
                    **answers,
                    **{e: {"addresses": a, "delay": SLOW_SECONDS} for e, a in endpoint.items()},
                },
            ),
            "dead-forwarder": (
                DEAD_FORWARDER_RESOLVER,
                {
                    **answers,
                    **{e: "drop" for e in endpoint},
                    **{z: "drop" for z in region_zones},
                    "a2z.com": "drop",
                },
            ),
            "hub": (HUB_RESOLVER, {**answers, "a2z.com": ["10.20.0.13"]}),  # the zone apex only
        }
        for name, (listen, zone) in zones.items():
            path = self.workdir / f"zone-{name}.json"
            path.write_text(json.dumps(zone))
            env = dict(os.environ)
            env["PYTHONPATH"] = str(REPO_ROOT)
            self._spawn(
                n.vpc,
                f"zone-{name}",
                [sys.executable, "-m", "tests.support.dnsserver", "--listen", listen,
                 "--zone", str(path)],
                env=env,
            )  # fmt: skip
        # The validating stub: a trust anchor for a2z.com that the (unsigned) private zone
        # cannot meet, so validation fails it (SERVFAIL, EDE 9/10); CD gets the answer.
        bogus_ds = "a2z.com. DS 12345 13 2 " + "ab" * 32
        self._unbound(
            n.cli,
            "unbound-stub",
            [STUB_RESOLVER],
            ["127.0.0.0/8 allow"],
            ["validator iterator"],
            [f'trust-anchor: "{bogus_ds}"'],
        )
        # DNS64 on the router's LAN side, forwarding to the VPC's resolver; NAT64 (tayga)
        # translating NAT64_PREFIX to the pool, routed in the router.
        self._unbound(
            n.rtr,
            "unbound-dns64",
            [CLIENT_GW6],
            ["fd00:30::/64 allow"],
            ["dns64 iterator"],
            [f"dns64-prefix: {NAT64_PREFIX}"],
        )
        conf = self.workdir / "tayga.conf"
        (self.workdir / "tayga").mkdir()
        conf.write_text(
            f"tun-device {n.prefix}-nat64\nipv4-addr {NAT64_ADDR}\nprefix {NAT64_PREFIX}\n"
            f"dynamic-pool {NAT64_POOL}\ndata-dir {self.workdir / 'tayga'}\n"
        )
        tayga = _tool("tayga")
        _run([*self._in(n.rtr), tayga, "-c", str(conf), "--mktun"])
        tun = f"{n.prefix}-nat64"
        _ip_batch(
            n.rtr,
            [f"link set {tun} up", f"route add {NAT64_POOL} dev {tun}",
             f"route add {NAT64_PREFIX} dev {tun}"],
        )  # fmt: skip
        self._spawn(n.rtr, "nat64", [tayga, "-c", str(conf), "--nodetach"])

    def _unbound(
        self,
        ns: str,
        name: str,
        listen: Sequence[str],
        allow: Sequence[str],
        modules: Sequence[str],
        extra: Sequence[str],
    ) -> None:
        assert self.workdir is not None
        conf = self.workdir / f"{name}.conf"
        lines = [
            "server:",
            *(f"  interface: {a}" for a in listen),
            *(f"  access-control: {a}" for a in allow),
            *(f'  module-config: "{m}"' for m in modules),
            "  do-daemonize: no",
            '  username: ""',
            '  chroot: ""',
            f'  directory: "{self.workdir}"',
            f'  pidfile: "{self.workdir / name}.pid"',
            f'  logfile: "{self.workdir / name}.log"',
            "  use-syslog: no",
            "  do-ip6: yes",
            "  ede: yes",
            "  val-log-level: 2",
            "  verbosity: 1",
            *(f"  {x}" for x in extra),
            "forward-zone:",
            '  name: "."',
            f"  forward-addr: {VPC_RESOLVER}",
        ]
        conf.write_text("\n".join(lines) + "\n")
        self._spawn(ns, name, [_tool("unbound"), "-d", "-c", str(conf)])

    def _squid(self) -> None:
        """Squid (Debian's) on the router: its own DNS is the VPC resolver, no cache, no
        disk; as root it drops to the ``proxy`` user (Debian's ``cache_effective_user``) once
        its ports are bound, so it logs to the stderr it inherits, never to a file."""
        assert self.workdir is not None
        conf = self.workdir / "squid.conf"
        conf.write_text(
            f"""http_port {CLIENT_GW}:3128 name=only443
http_port {CLIENT_GW}:3129 name=open
acl only443 myportname only443
acl SSL_ports port 443
acl SSL_ports_open port 443 4195
acl CONNECT method CONNECT
http_access deny CONNECT only443 !SSL_ports
http_access deny CONNECT !only443 !SSL_ports_open
http_access allow all
cache deny all
cache_mem 8 MB
dns_nameservers {VPC_RESOLVER}
hosts_file none
pid_filename none
cache_log /dev/null
access_log none
coredump_dir none
netdb_filename none
pinger_enable off
shutdown_lifetime 0 seconds
connect_timeout 5 seconds
"""
        )
        self._spawn(
            self.names.rtr,
            "proxy-squid",
            [_tool("squid"), "-N", "-d", "1", "-n", self.names.squid, "-f", str(conf)],
        )

    def _nft_table(self, endpoint_addrs: Iterable[str]) -> str:
        n = self.names
        return f"""
table inet {n.table} {{
    set endpoints {{ type ipv4_addr; elements = {{ {", ".join(endpoint_addrs)} }} }}
    set vpc_resolver {{ type ipv4_addr; elements = {{ {VPC_RESOLVER} }} }}
    set vpc {{ type ipv4_addr; flags interval; elements = {{ {VPC_CIDR} }} }}
    set internet {{ type ipv4_addr; flags interval; elements = {{ {", ".join(INTERNET_CIDRS)} }} }}
    set public_answer {{ type ipv4_addr; elements = {{ {PUBLIC_ANSWER} }} }}
    chain forward {{
        type filter hook forward priority filter; policy accept;
        # Only packets from the client are judged, replies pass untouched: the rules need
        # no connection tracking, so no state carries over from one scenario to the next.
        iifname "{n.link("rtr", "cli")}" jump scenario
    }}
    chain scenario {{
    }}
}}
"""

    def _write_hosts(self, pins: Iterable[tuple[str, str]]) -> None:
        lines = "".join(f"{address}\t{name}\n" for address, name in pins)
        (self.names.etc_dir / "hosts").write_text(BASE_HOSTS + lines)

    def _write_resolv_conf(self, nameserver: str | tuple[str, ...] | None) -> None:
        # What a DHCP client would write on a laptop: no tuning options.
        servers = (nameserver,) if isinstance(nameserver, str) else nameserver or ()
        text = "".join(f"nameserver {s}\n" for s in servers) or "# no DNS servers from DHCP\n"
        (self.names.etc_dir / "resolv.conf").write_text(text)

    def _spawn(
        self, ns: str, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        assert self.workdir is not None
        with (
            open(self.workdir / f"{name}.out", "wb") as out,
            open(self.workdir / f"{name}.err", "wb") as err,
        ):
            proc = subprocess.Popen(
                [*self._in(ns), *argv],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                cwd=REPO_ROOT,
                env=dict(env) if env is not None else None,
                # Own session: a Ctrl-C at the terminal reaches only the parent, whose
                # clean-up then stops these in order; and `examples/lab.py up` can exit
                # leaving them running.
                start_new_session=True,
            )
        self._procs[name] = proc
        self.pids.append(proc.pid)
        return proc

    def _dnsmasq(
        self,
        ns: str,
        name: str,
        listen: str,
        records: Sequence[tuple[str, str]],
        everything_at: str | None = None,
    ) -> None:
        assert self.workdir is not None
        self._spawn(
            ns,
            name,
            [
                _tool("dnsmasq"),
                "--keep-in-foreground",
                "--no-resolv",
                "--no-hosts",
                "--conf-file=/dev/null",
                "--bind-interfaces",
                f"--listen-address={listen}",
                f"--pid-file={self.workdir / name}.pid",
                f"--log-facility={self.workdir / name}.log",
                "--log-queries",
                # Authoritative for everything it knows, NXDOMAIN for the rest, NODATA for
                # AAAA of known names (a forwarder with no upstream would answer REFUSED).
                # every name (A) at one address: a captive portal's DNS
                f"--address=/#/{everything_at}" if everything_at else "--local=/#/",
                *(f"--host-record={host},{addr}" for host, addr in records),
            ],
        )

    def _servers(self, ns: str, name: str, flags: Sequence[str], cert: Path, key: Path) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(REPO_ROOT)
        self._spawn(
            ns,
            name,
            [sys.executable, "-m", "tests.support.servers", "--cert", str(cert), "--key", str(key),
             *flags],
            env=env,
        )  # fmt: skip

    def _wait_ready(self, timeout: float = 30.0) -> None:
        assert self.workdir is not None
        deadline = time.monotonic() + timeout
        pending = dict(self._procs)
        while pending:
            for name, proc in list(pending.items()):
                if proc.poll() is not None:
                    err = (self.workdir / f"{name}.err").read_text(errors="replace").strip()
                    raise LabError(f"{name} exited with {proc.returncode}: {err[-2000:]}")
                if name.startswith(("dns-", "unbound-")):
                    # dnsmasq and unbound write their pid files after binding their sockets.
                    ready = (self.workdir / f"{name}.pid").exists()
                elif name == "nat64":
                    ready = True  # tayga has no readiness sign; its tun is up already
                elif name.startswith("proxy-"):
                    said = (self.workdir / f"{name}.err").read_text(errors="replace")
                    ready = said.count("Accepting HTTP Socket connections") >= 2
                else:
                    ready = "ready" in (self.workdir / f"{name}.out").read_text()
                if ready:
                    del pending[name]
            if pending and time.monotonic() > deadline:
                raise LabError(f"not ready after {timeout:g}s: {sorted(pending)}")
            if pending:
                time.sleep(0.02)


def vpce_name(region: str) -> str:
    """The endpoint's own regional DNS name, as the VPC console shows it: the documented
    pattern ``*.prod.highlander.<region>.vpce.amazonaws.com`` (FACTS §2; the label layout
    ``vpce-<id>-<suffix>`` is assumed, §8 item 2)."""
    return f"vpce-0a1b2c3d4e5f60718-k2ez3h9q.prod.highlander.{region}.vpce.amazonaws.com"


def _pairs(world: World, exclude: Role) -> list[tuple[Any, str]]:
    return [(h, a) for h in world.hosts if h.role is not exclude for a in h.addresses]


def _ip_batch(ns: str, commands: Sequence[str]) -> None:
    # One `ip` process per namespace instead of one per command.
    _run([_tool("ip"), "-n", ns, "-batch", "-"], input="\n".join(commands) + "\n")


def _sysctl(ns: str, values: Mapping[str, str]) -> None:
    # Through /proc/sys rather than sysctl(8): procps is not in every minimal image.
    script = "".join(f"echo {v} > /proc/sys/{k}\n" for k, v in values.items())
    _run([_tool("ip"), "netns", "exec", ns, "sh", "-ec", script])


def _stop_pid(pid: int, marker: str) -> None:
    """Stop a lab process started by another invocation, if that pid is still ours."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return
    if marker not in cmdline:
        return  # the pid was reused by something that is not ours
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        for _ in range(60):
            if not Path(f"/proc/{pid}").exists():
                return
            time.sleep(0.05)
        os.kill(pid, signal.SIGKILL)


def _kill_namespace_pids(ns: str) -> None:
    out = _run([_tool("ip"), "netns", "pids", ns], check=False).stdout
    for pid in (int(p) for p in out.split()):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
