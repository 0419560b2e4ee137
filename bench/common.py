"""What every bench/ script shares: the two trees it compares, interleaved runs, the table.

A figure is only worth its baseline from the same run on the same machine: each script
times the current tree and the baseline ("before": the old main checked out at
$WSDIAG_BASE, default /tmp/wsdiag-base, run with PYTHONPATH pointing at it) round-robin,
so drift on a shared 2-core machine hits both alike, and prints the load average at the
start and the end beside the table. Medians of ``RUNS`` (5) interleaved runs after one
warm-up round (page cache, .pyc files).
"""

from __future__ import annotations

import functools
import os
import statistics
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # tests.support is not installed; run from anywhere

BASE = Path(os.environ.get("WSDIAG_BASE", "/tmp/wsdiag-base"))
VENV = Path(os.environ.get("WSDIAG_BENCH_VENV", "/tmp/wsdiag-bench-venv"))
RUNS = 5
# The libraries a check cannot do without, imported in one interpreter and nothing else
# (dnspython's DoQ/DoH off as wsdiag.probes.dnslib has it): the floor under any whole-process
# figure, what the stack costs before wsdiag adds anything.
STACK_MODULES = (
    "typer",
    "asyncio",
    "ssl",
    "dns.message",
    "dns.resolver",
    "dns.asyncquery",
    "aioquic.quic.connection",
    "cryptography.x509",
    "psutil",
)
# What must be imported before a check's first DNS query can leave: the command line and
# the resolver (the probes' and the rules' libraries import while it waits).
FIRST_PACKET_MODULES = ("typer", "asyncio", "dns.message", "dns.resolver", "dns.asyncquery")


def imports(modules: tuple[str, ...]) -> str:
    """Python source importing ``modules`` as wsdiag does (dnspython's DoQ/DoH off)."""
    return (
        "import dns._features as f\n"
        "for x in ('doq', 'doh', 'idna'): f.force(x, False)\n"
        "import " + ", ".join(modules)
    )


STACK = imports(STACK_MODULES)
T = TypeVar("T")


def trees() -> dict[str, Path]:
    """{"now": this checkout, "before": the baseline tree} (the baseline only if present),
    each byte-compiled first (``compiled``)."""
    out = {"now": ROOT}
    if (BASE / "wsdiag" / "__init__.py").is_file() and BASE.resolve() != ROOT:
        out["before"] = BASE
    for tree in out.values():
        compiled(tree)
    return out


@functools.cache
def python() -> tuple[str, str]:
    """(the interpreter the bench runs wsdiag with, what it is). The interpreter of a user's
    installed wsdiag: a venv at $WSDIAG_BENCH_VENV (made once, about a minute, from the
    package registry) holding wsdiag's runtime dependencies (pyproject.toml) and not wsdiag
    itself; the tree under test comes first on PYTHONPATH (``tree_env``). Not this
    machine's own interpreter: its site-packages run this checkout's editable-install
    finder (~27 ms) and a sandbox's certifi hook (~19 ms) at every start, which no user's
    install does. $WSDIAG_BENCH_PYTHON names another; without a venv (no registry), this
    interpreter, and the table says so."""
    given = os.environ.get("WSDIAG_BENCH_PYTHON")
    if given:
        return given, f"$WSDIAG_BENCH_PYTHON ({given})"
    py = VENV / "bin" / "python"
    stamp = VENV / "wsdiag-deps.txt"
    deps = "\n".join(_runtime_dependencies())
    if not (py.is_file() and stamp.is_file() and stamp.read_text() == deps):
        import subprocess
        import venv

        try:
            venv.EnvBuilder(clear=True, with_pip=True).create(VENV)
            subprocess.run(
                [
                    str(py),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    *deps.splitlines(),
                ],
                check=True,
                timeout=600,
                capture_output=True,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return sys.executable, f"this interpreter (no bench venv: {exc.__class__.__name__})"
        stamp.write_text(deps)
    return str(py), f"a venv with wsdiag's dependencies only ({VENV})"


def stack_floor(runs: int = RUNS, source: str = STACK) -> tuple[float, float]:
    """(wall, CPU) seconds, medians of ``runs``: ``python -c source`` as a whole process
    (default: the whole stack's imports)."""
    from bench.budgets import run_measured

    got = [run_measured([python()[0], "-c", source], cwd="/") for _ in range(runs)]
    return median([r.wall for r in got]), median([r.cpu for r in got])


def _runtime_dependencies() -> list[str]:
    import tomllib

    with open(ROOT / "pyproject.toml", "rb") as f:
        return list(tomllib.load(f)["project"]["dependencies"])


def compiled(tree: Path) -> None:
    """Write ``tree``'s .pyc files, as `pip install` does for the installed command. A
    checkout run with PYTHONDONTWRITEBYTECODE set (some shells and CI images set it) never
    writes them, and every run would compile all of wsdiag from source again (~40 ms of
    CPU that no user's installed wsdiag pays), whatever the warm-up round did."""
    import compileall

    compileall.compile_dir(tree / "wsdiag", quiet=2, force=False)


def tree_env(tree: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """``env`` (default: this process's) with ``tree`` first on PYTHONPATH, so `python -m
    wsdiag` runs that tree's code whatever the editable install points at."""
    out = dict(os.environ if env is None else env)
    rest = [p for p in out.get("PYTHONPATH", "").split(os.pathsep) if p and Path(p) != ROOT]
    out["PYTHONPATH"] = os.pathsep.join([str(tree), *rest])
    return out


def interleaved(variants: Mapping[str, Callable[[], T]], runs: int = RUNS) -> dict[str, list[T]]:
    """Each variant ``runs`` times, round-robin, after one warm-up round (not kept)."""
    samples: dict[str, list[T]] = {k: [] for k in variants}
    for rnd in range(runs + 1):
        for name, fn in variants.items():
            value = fn()
            if rnd:
                samples[name].append(value)
    return samples


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def load_average() -> str:
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "load average unknown"
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def secs(x: float) -> str:
    """Seconds as ms below 10 s."""
    return f"{x * 1000:.0f} ms" if abs(x) < 10 else f"{x:.1f} s"


@dataclass
class Table:
    """Rows of (metric, value, baseline, ratio, target, result); PASS/FAIL/info/SKIP."""

    title: str
    rows: list[tuple[str, str, str, str, str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    started_load: str = field(default_factory=load_average)

    def row(
        self,
        metric: str,
        value: str,
        baseline: str = "",
        ratio: str = "",
        target: str = "",
        ok: bool | None = None,
    ) -> None:
        result = "info" if ok is None else ("PASS" if ok else "FAIL")
        self.rows.append((metric, value, baseline, ratio, target, result))

    def skip(self, metric: str, why: str) -> None:
        self.rows.append((metric, "-", "-", "-", "-", "SKIP"))
        self.notes.append(f"SKIP {metric}: {why}")

    def print(self) -> int:
        """Print the table; the number of FAIL rows."""
        head = ("metric", "value", "baseline", "ratio", "target", "result")
        rows = [head, *self.rows]
        width = [max(len(r[i]) for r in rows) for i in range(len(head))]
        print(f"== {self.title}")
        print(f"   at start: {self.started_load}; at end: {load_average()}")
        for r in rows:
            line = "  ".join(c.ljust(w) for c, w in zip(r, width, strict=True)).rstrip()
            print(line + ("   <-- FAIL" if r[5] == "FAIL" else ""))
        for note in self.notes:
            print(f"  - {note}")
        fails = [r[0] for r in self.rows if r[5] == "FAIL"]
        print(f"FAIL: {len(fails)} ({'; '.join(fails)})" if fails else "all targets PASS")
        return len(fails)
