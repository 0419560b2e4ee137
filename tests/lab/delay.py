"""Delay, spread and loss on the router's path to the endpoint (tests.support.delayer).

``delayed(lab, ...)`` starts the delayer in the router namespace, steers the client's packets
to the endpoint addresses into its TUN device (policy rules from the LAN side; the replies
come back undelayed: the whole delay sits on the way there, as a one-way netem would put
it), and undoes both on exit, also on failure.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator

from tests.lab.hosts import ENDPOINT_ADDRS
from tests.lab.topology import REPO_ROOT, Lab, LabError, _run, _tool
from tests.support.processes import stop_process

TABLE = 120  # the routing table whose default route is the delayer's device
PRIORITY = 120  # ip rule priorities PRIORITY, PRIORITY + 1 ...: before the main table


@contextlib.contextmanager
def delayed(
    lab: Lab, delay_ms: float, spread_ms: float = 0.0, loss: float = 0.0, seed: int = 20
) -> Iterator[None]:
    n = lab.names
    dev = f"{lab.prefix}-dly"
    name = "delayer"
    ip = _tool("ip")
    lab._spawn(
        n.rtr,
        name,
        [
            sys.executable, "-m", "tests.support.delayer", "--dev", dev,
            "--delay-ms", str(delay_ms), "--spread-ms", str(spread_ms), "--loss", str(loss),
            "--seed", str(seed),
        ],
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    proc = lab._procs[name]
    rules: list[int] = []
    try:
        assert lab.workdir is not None
        out = lab.workdir / f"{name}.out"
        deadline = time.monotonic() + 20
        while "ready" not in out.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                err = (lab.workdir / f"{name}.err").read_text(errors="replace")
                raise LabError(f"the delayer did not start: {err[-1500:]}")
            time.sleep(0.02)
        _run([ip, "-n", n.rtr, "link", "set", dev, "up"])
        _run([*lab._in(n.rtr), "sh", "-ec", f"echo 0 > /proc/sys/net/ipv4/conf/{dev}/rp_filter"])
        _run([ip, "-n", n.rtr, "route", "add", "default", "dev", dev, "table", str(TABLE)])
        for i, addr in enumerate(ENDPOINT_ADDRS):
            prio = PRIORITY + i
            rules.append(prio)
            _run(
                [ip, "-n", n.rtr, "rule", "add", "iif", n.link("rtr", "cli"), "to",
                 f"{addr}/32", "lookup", str(TABLE), "priority", str(prio)]
            )  # fmt: skip
        yield
    finally:
        for prio in rules:
            _run([ip, "-n", n.rtr, "rule", "del", "priority", str(prio)], check=False)
        lab._procs.pop(name, None)
        stop_process(proc)
        if proc.pid in lab.pids:
            lab.pids.remove(proc.pid)
