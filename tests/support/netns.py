"""Small throw-away network namespaces for the host tests (Linux, root).

Every name carries ``wn`` + 4 random hex digits; the veths are created inside the new
namespaces (never in the root one) and ``Netns.close()`` deletes every namespace made,
which removes their links too. Nothing here has a route off the machine.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

REPO_ROOT = Path(__file__).resolve().parents[2]
_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])


def unavailable_reason() -> str | None:
    """Why namespaces cannot be made here, or None."""
    if not sys.platform.startswith("linux"):
        return "network namespaces are Linux-only"
    if os.geteuid() != 0:
        return "making network namespaces needs root"
    if shutil.which("ip", path=_PATH) is None:
        return "iproute2 (ip) is not installed"
    return None


class Netns:
    """A set of namespaces ``<prefix>-<role>``; use as a context manager."""

    def __init__(self) -> None:
        self.prefix = "wn" + secrets.token_hex(2)
        self.made: list[str] = []

    def __enter__(self) -> Netns:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def name(self, role: str) -> str:
        return f"{self.prefix}-{role}"

    def add(self, role: str) -> str:
        ns = self.name(role)
        run(["ip", "netns", "add", ns])
        self.made.append(ns)
        self.ip(role, "link", "set", "lo", "up")
        return ns

    def ip(self, role: str, *args: str) -> str:
        return run(["ip", "-n", self.name(role), *args])

    def exec(self, role: str, args: Sequence[str], timeout: float = 30) -> str:
        return run(["ip", "netns", "exec", self.name(role), *args], timeout=timeout)

    def veth(self, a: str, b: str, a_if: str, b_if: str, mtu_b: int | None = None) -> None:
        """A veth pair between namespaces a and b, made inside a and moved to b."""
        self.ip(a, "link", "add", a_if, "type", "veth", "peer", "name", b_if, "netns", self.name(b))
        self.ip(a, "link", "set", a_if, "up")
        self.ip(b, "link", "set", b_if, "up")
        if mtu_b:
            self.ip(b, "link", "set", b_if, "mtu", str(mtu_b))

    def python(self, role: str, code: str, timeout: float = 30) -> object:
        """Run ``code`` (which prints one JSON value last) in a namespace; that value."""
        env_code = f"import sys; sys.path.insert(0, {str(REPO_ROOT)!r})\n{code}"
        out = self.exec(role, [sys.executable, "-c", env_code], timeout=timeout)
        return json.loads(out.strip().splitlines()[-1])

    def close(self) -> None:
        for ns in reversed(self.made):
            proc = subprocess.run(
                ["ip", "netns", "del", ns],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
                env={**os.environ, "PATH": _PATH},
            )
            if proc.returncode != 0 and "No such file" not in proc.stderr:
                raise RuntimeError(f"ip netns del {ns}: {proc.stderr.strip()}")
        self.made.clear()


def client_router_server(ns: Netns, egress_mtu: int | None = None) -> None:
    """Three namespaces in a row: client ``c`` 10.99.1.2 (c0) -- router ``r`` 10.99.1.1 (r0)
    and 10.99.2.1 (r1), forwarding -- server ``s`` 10.99.2.2 (s0), each end routing the
    other's /24 through the router. ``egress_mtu`` (bytes): the router-server link's MTU, on
    both of its ends; None leaves the veth default (1500)."""
    for role in ("c", "r", "s"):
        ns.add(role)
    ns.veth("c", "r", "c0", "r0")
    ns.veth("r", "s", "r1", "s0")
    if egress_mtu is not None:
        ns.ip("r", "link", "set", "r1", "mtu", str(egress_mtu))
        ns.ip("s", "link", "set", "s0", "mtu", str(egress_mtu))
    ns.ip("c", "addr", "add", "10.99.1.2/24", "dev", "c0")
    ns.ip("r", "addr", "add", "10.99.1.1/24", "dev", "r0")
    ns.ip("r", "addr", "add", "10.99.2.1/24", "dev", "r1")
    ns.ip("s", "addr", "add", "10.99.2.2/24", "dev", "s0")
    ns.ip("c", "route", "add", "10.99.2.0/24", "via", "10.99.1.1")
    ns.ip("s", "route", "add", "10.99.1.0/24", "via", "10.99.2.1")
    ns.exec("r", ["sysctl", "-qw", "net.ipv4.ip_forward=1"])


def run(args: Sequence[str], timeout: float = 30) -> str:
    proc = subprocess.run(
        list(args),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "PATH": _PATH},
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout
