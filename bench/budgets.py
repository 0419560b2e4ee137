"""The budgets every change must keep (README, "Budgets and schema policy"), and the two
measurements bench_check.py needs for them that it does not make elsewhere: a child's peak
RSS and the size of the largest lab report as one line of JSON.

    python bench/budgets.py     # only the report-size budget (no network, a second)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "examples" / "reports"

# The README's table, in the units bench_check.py prints.
VERSION_VS_TYPER = 1.3  # `wsdiag --version` <= 1.3 x `python -c "import typer"`
HELP_VS_TYPER = 3.0  # `wsdiag --help` <= 3 x `python -c "import typer"`
SILENT_OVER_TIMEOUT_S = 0.25  # the internet silent: the whole process <= --timeout + 0.25 s
MINIMAL_EGRESS_S = 1.3  # "it works" (endpoint + 443 out), default timeout: the whole process
HEALTHY_LAN_S = 0.4  # everything answers: the whole process
# The endpoint's QUIC handshake p50 in the lab, wsdiag's timer, against the baseline's: what the
# work moved into the network wait may cost a probe (issue 22: "unchanged (±5 ms)"). Printed
# beside the runs' spread, not gated: that spread is wider than this here.
HANDSHAKE_DRIFT_MS = 5.0
PEAK_RSS_MB = 60.0  # peak resident memory of one `wsdiag check`
JSON_LINE_BYTES = 20_000  # the largest lab report as json-line writes it (SSM keeps 24,000)


@dataclass(frozen=True)
class Run:
    """One finished child: exit code, output, wall time (s) and peak RSS (MB)."""

    returncode: int
    stdout: str
    stderr: str
    wall: float
    peak_rss_mb: float
    cpu: float = 0.0  # s: the child's user + system CPU time (steadier than wall on a busy box)


def run_measured(
    cmd: list[str],
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
    cwd: str | Path | None = None,
) -> Run:
    """Run ``cmd`` and measure it alone: wall time from fork to reaping, and the child's own
    peak RSS from ``wait4`` (``getrusage(RUSAGE_CHILDREN)`` would be the maximum over every
    child this process ever reaped, the lab's servers included). Linux/BSD only (``wait4``).
    Raises ``TimeoutError`` (after killing the child) when it runs past ``timeout``.
    ``cwd``: where it runs (`python -m` puts the working folder first on sys.path, so a
    baseline tree must run from its own folder, not this checkout)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                os.wait4(proc.pid, 0)
                raise TimeoutError(f"{cmd[:3]} ran past {timeout} s")
            time.sleep(0.002)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        # ru_maxrss is in KiB on Linux, bytes on macOS
        scale = 1 if sys.platform == "darwin" else 1024
        return Run(
            proc.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
            wall,
            usage.ru_maxrss * scale / 1e6,
            usage.ru_utime + usage.ru_stime,
        )


def one_line_bytes(doc: object) -> int:
    """Bytes of ``doc`` as wsdiag's one-line JSON would write it (ASCII, no spaces)."""
    return len(json.dumps(doc, separators=(",", ":")).encode())


def largest_lab_report() -> tuple[str, int]:
    """The name and one-line JSON size (bytes) of the largest examples/reports/*.json, as
    ``--format json-line`` writes it (``render.formats.compact``: no null/empty probe
    fields, no certificate chains): the form the SSM budget is for."""
    sys.path.insert(0, str(ROOT))
    from wsdiag.render.formats import compact

    sizes = [
        (p.name, one_line_bytes(compact(json.loads(p.read_text()))))
        for p in sorted(REPORTS.glob("*.json"))
    ]
    if not sizes:
        raise FileNotFoundError(f"no reports in {REPORTS}")
    return max(sizes, key=lambda s: s[1])


if __name__ == "__main__":
    name, size = largest_lab_report()
    ok = size <= JSON_LINE_BYTES
    print(
        f"largest lab report {name}: {size:,} B as one line of JSON "
        f"(budget {JSON_LINE_BYTES:,} B): {'PASS' if ok else 'FAIL'}"
    )
