"""Benchmark `wsdiag summarize` over a fleet with bombs and broken files (issue 18).

Not a test. Writes two folders of --files files each (default 100,000) in a temporary
directory (removed afterwards):

  clean/    one compact report per file (the lab's smaller shapes in turn, ~20-30 kB);
  hostile/  the same, with --hostile of them (default 1%) replaced by bombs and broken
            files: gzip bombs of newlines (1 MB -> 1 GiB), a 40 MB line `[{},{},...]`
            plain and gzipped, a million junk lines, corrupt deflate after a valid gzip
            header, truncated gzip, arrays nested 1,000 deep, a schema of 5,000 digits.

Then `wsdiag summarize` runs over each folder in a fresh process, --repeat times each,
interleaved; the run with the least CPU time counts (its CPU and wall time, and that
process's own peak RSS): on a shared machine wall time measures the neighbours too. The
clean folder is the baseline of the same run; the budget (issue 18, "Done when") is
hostile <= 2x clean time and < 100 MB peak RSS. Also the peak RSS of summarizing one
40 MB line alone (1.8 GB before issue 18).

    python bench/bench_summarize_hostile.py                     # 100,000 files
    python bench/bench_summarize_hostile.py --files 10000
    python bench/bench_summarize_hostile.py --root /other/checkout   # the same, older code
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from budgets import run_measured  # noqa: E402

TIME_RATIO_BUDGET = 2.0
RSS_BUDGET_MB = 100.0


def _bomb() -> bytes:
    member = gzip.compress(b"\n" * (1 << 20), compresslevel=9)
    return member * 1024  # multi-member gzip: ~1 MB, 1 GiB of newlines


def _big_line() -> bytes:
    return b"[" + b"{}," * 13_000_000 + b"{}]\n"  # 40 MB, 13 M objects


def _big_gz() -> bytes:
    return gzip.compress(_big_line(), compresslevel=6)


# name suffix, how many of the hostile files (share), what they hold; the cheap kinds
# fill what the expensive ones leave.
KINDS: list[tuple[str, float, Callable[[], bytes]]] = [
    ("bomb.jsonl.gz", 0.01, _bomb),
    ("bigline.jsonl", 0.01, _big_line),
    ("bigline.jsonl.gz", 0.01, _big_gz),
    ("junk.jsonl", 0.01, lambda: b"x\n" * 1_000_000),
    ("corrupt.json.gz", 0.24, lambda: gzip.compress(b"x" * 5000)[:10] + b"\xff" * 64),
    ("truncated.json.gz", 0.24, lambda: gzip.compress(b'{"a": 1}\n' * 999)[:-9]),
    ("deep.json", 0.24, lambda: b"[" * 1000 + b"]" * 1000),
    ("digits.json", 0.24, lambda: b'{"schema":"wsdiag.report/' + b"9" * 5000 + b'"}'),
]


def lab_reports() -> list[bytes]:
    """The lab's reports as one line each, the smaller half (a typical fleet's shapes)."""
    docs = [json.loads(p.read_text()) for p in sorted((ROOT / "examples/reports").glob("*.json"))]
    lines = sorted((json.dumps(d, separators=(",", ":")) + "\n").encode() for d in docs)
    lines.sort(key=len)
    return lines[: max(1, len(lines) // 2)]


def write_fleet(top: Path, n: int, hostile: int) -> dict[str, int]:
    """N files under top/ (100 per folder, as SSM's per-instance prefixes); the first
    `hostile` are hostile. Returns how many of each kind were written."""
    shapes = lab_reports()
    made: dict[str, int] = {}
    cache: dict[str, bytes] = {}
    plan: list[str] = []
    for suffix, share, _ in KINDS:
        plan += [suffix] * max(1, round(hostile * share)) if hostile else []
    plan = plan[:hostile]
    for i in range(n):
        folder = top / f"i-{i // 100:05d}"
        if i % 100 == 0:
            folder.mkdir(parents=True)
        if i < len(plan):
            suffix = plan[i]
            if suffix not in cache:
                cache[suffix] = next(make for s, _, make in KINDS if s == suffix)()
            (folder / f"{i:06d}-{suffix}").write_bytes(cache[suffix])
            made[suffix] = made.get(suffix, 0) + 1
        else:
            (folder / f"{i:06d}.json").write_bytes(shapes[i % len(shapes)])
    made["clean reports"] = n - len(plan)
    return made


# The child reports its own high-water RSS: ru_maxrss from wait4 would include this
# process's peak (Linux keeps the pre-exec address space's high-water mark across exec).
# The CLI ends with os._exit once its output is flushed (wsdiag.cli.main), so the figures
# are written by a wrapper of os._exit, not by a finally that would never run.
CHILD = """
import os, runpy, sys

def _figures():
    hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM:")]
    cpu = os.times()
    sys.stderr.write((hwm[0] if hwm else "VmHWM: 0 kB\\n") + f"CPU: {cpu.user + cpu.system}\\n")
    sys.stderr.flush()

_exit = os._exit
def _exit_with_figures(code):
    _figures()
    _exit(code)

os._exit = _exit_with_figures
sys.argv = ["wsdiag", "summarize", "--format", "json", sys.argv[1]]
try:
    runpy.run_module("wsdiag", run_name="__main__")
finally:
    _figures()  # reached only if the CLI returned without os._exit
"""


@dataclass(frozen=True)
class Measured:
    wall: float  # s, fork to reaping
    cpu: float  # s, the child's user + system time: what a busy machine does not inflate
    rss: float  # MB, the child's own high-water RSS
    out: dict[str, Any]


def summarize_run(root: Path, folder: Path) -> Measured:
    """One `wsdiag summarize --format json folder` in a fresh process."""
    env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"}
    run = run_measured([sys.executable, "-c", CHILD, str(folder)], env=env, timeout=3600)
    tail = dict(ln.split(":", 1) for ln in run.stderr.splitlines()[-2:] if ":" in ln)
    try:
        out = json.loads(run.stdout)
    except ValueError:
        out = {"error": (run.stderr.strip().splitlines() or ["no output"])[0][:200]}
    rss = int(tail.get("VmHWM", "0 kB").split()[0]) / 1024
    return Measured(run.wall, float(tail.get("CPU", "0")), rss, out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--hostile", type=float, default=0.01, help="share of hostile files")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each; the least CPU counts")
    ap.add_argument("--root", type=Path, default=ROOT, help="the wsdiag checkout to run")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="wf-hostile-"))
    try:
        hostile_n = round(args.files * args.hostile)
        write_fleet(tmp / "clean", args.files, 0)
        made = write_fleet(tmp / "hostile", args.files, hostile_n)
        print(
            f"{args.files} files each; hostile folder holds: "
            + ", ".join(f"{n} {k}" for k, n in made.items())
        )
        runs: dict[str, list[Measured]] = {"clean": [], "hostile": []}
        for _ in range(args.repeat):  # interleaved: a load that comes and goes hits both
            for name in runs:
                runs[name].append(summarize_run(args.root, tmp / name))
        best = {name: min(rs, key=lambda m: m.cpu) for name, rs in runs.items()}
        for name, m in best.items():
            broken = m.out.get("broken")
            print(
                f"{name:8} wall {m.wall:7.2f} s  CPU {m.cpu:7.2f} s  peak RSS {m.rss:6.1f} MB  "
                f"reports {m.out.get('reports')}  "
                f"broken {broken.get('count') if isinstance(broken, dict) else None}"
                + (f"  ({m.out['error']})" if "error" in m.out else "")
            )
        clean, bad = best["clean"], best["hostile"]
        ratio, wall_ratio = bad.cpu / clean.cpu, bad.wall / clean.wall
        ok = ratio <= TIME_RATIO_BUDGET and bad.rss < RSS_BUDGET_MB
        print(
            f"time hostile/clean: CPU {ratio:.2f}x, wall {wall_ratio:.2f}x (budget <= "
            f"{TIME_RATIO_BUDGET}x); peak RSS {bad.rss:.1f} MB (budget < {RSS_BUDGET_MB:.0f} "
            "MB): " + ("PASS" if ok else "FAIL")
        )
        one = tmp / "one"
        one.mkdir()
        (one / "big.jsonl").write_bytes(_big_line())
        alone = summarize_run(args.root, one)
        print(f"one 40 MB line alone: {alone.wall:.2f} s, peak RSS {alone.rss:.1f} MB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
