"""The namespace lab (tests/lab) for bench/: build it once, run `wsdiag check` of either tree
in a scenario, measured as a user waits for it (the whole process, from fork to exit).

Needs root, iproute2, nftables and dnsmasq (scripts/lab-deps.sh); everything the lab makes
is removed afterwards, also on failure or Ctrl-C (``Lab.down``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import budgets
from bench.common import python, tree_env
from tests.lab.scenarios import BY_NAME, Scenario
from tests.lab.topology import Lab, unavailable_reason


@dataclass(frozen=True)
class Measured:
    wall: float  # seconds, the whole process
    peak_rss_mb: float
    report: dict[str, Any]
    cpu: float = 0.0  # seconds of CPU (user + system) the process used

    @property
    def duration(self) -> float:
        """The report's own duration_ms, in seconds (the network part)."""
        return float(self.report.get("duration_ms", 0.0)) / 1000

    @property
    def answer(self) -> tuple[str, str, int, tuple[str, ...]]:
        """(environment, verdict, exit code, finding codes): what must not change."""
        r = self.report
        codes = tuple(sorted(f["code"] for f in r.get("findings", [])))
        return r.get("environment", "?"), r.get("verdict", "?"), r.get("exit_code", -1), codes


def _sigterm(*_: object) -> None:
    raise SystemExit(143)  # so Lab.down runs


@contextlib.contextmanager
def lab_up(scenarios: tuple[str, ...]) -> Iterator[Lab | str]:
    """A lab for ``scenarios`` (names in tests.lab.scenarios), or why there is none."""
    why = unavailable_reason(os.environ.get("WSDIAG_LAB_PREFIX") or None)
    if why is not None:
        yield why
        return
    signal.signal(signal.SIGTERM, _sigterm)
    regions = tuple(dict.fromkeys(BY_NAME[s].region for s in scenarios))
    # WSDIAG_LAB_PREFIX: agents sharing a machine give their labs their own names (a free
    # random one otherwise).
    with Lab(regions=regions, prefix=os.environ.get("WSDIAG_LAB_PREFIX", "")) as lab:
        yield lab


def run(lab: Lab, scenario: Scenario, tree: Path, timeout: float, *extra: str) -> Measured:
    """`wsdiag check --json --no-logs` of ``tree`` in ``scenario`` (already applied). No
    client logs: this machine's (other people's tests write some) would change the findings
    between runs; reading them is timed in bench_startup.py's steps."""
    py, _ = python()
    argv = lab.wsdiag_argv(
        scenario.region, "--no-logs", *extra, timeout=timeout, command=(py, "-m", "wsdiag")
    )
    env = tree_env(tree, lab.wsdiag_env(scenario.shape.trusts_lab_ca, scenario.shape.public_roots))
    proc = budgets.run_measured(argv, env, timeout=120, cwd=tree)
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        report = {"error": proc.stderr.strip()[-300:], "exit_code": proc.returncode}
    return Measured(proc.wall, proc.peak_rss_mb, report, proc.cpu)
