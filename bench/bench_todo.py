"""Benchmark `wsdiag summarize --latest` / `--owner` (issue 19) at 10^5 reports.

Not a test. Writes N small reports (default 100,000: 20,000 hosts, five runs each, the
findings of the lab's scenarios in turn) into one JSON-lines file in a temporary folder
(removed afterwards), then times, best of --repeat, the plain summary, --latest and
--owner network on it, and prints reports/s and the rows kept. MAX_HOSTS bounds the rows.

    python bench/bench_todo.py
    python bench/bench_todo.py --reports 10000
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wsdiag.budgets import MAX_HOSTS  # noqa: E402
from wsdiag.fleet.summarize import summarize, to_dict  # noqa: E402


def write(path: Path, n: int, hosts: int) -> None:
    lab = [json.loads(p.read_text()) for p in sorted((ROOT / "examples/reports").glob("*.json"))]
    with path.open("w") as f:
        for i in range(n):
            shape = lab[i % len(lab)]
            doc = {
                "schema": "wsdiag.report/1",
                "verdict": shape["verdict"],
                "environment": shape["environment"],
                "region": shape["region"],
                "started_at": f"2026-12-{1 + (i // hosts) % 28:02d}T08:00:00Z",
                "host": {"name": f"WS-{i % hosts:06d}"},
                "findings": shape["findings"],
            }
            f.write(json.dumps(doc, separators=(",", ":")) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--hosts", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="wsdiag-bench-todo-"))
    try:
        path = tmp / "reports.jsonl"
        write(path, args.reports, args.hosts)
        size = path.stat().st_size
        print(
            f"{args.reports} reports, {args.hosts} hosts, {size / 1e6:.1f} MB, "
            f"MAX_HOSTS {MAX_HOSTS}"
        )
        for label, kw in (
            ("summarize", {}),
            ("--latest", {"latest": True}),
            ("--owner network", {"owner": "network"}),
            ("--latest --actionable", {"latest": True, "actionable": True}),
        ):
            best = float("inf")
            out: dict[str, object] = {}
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                out = to_dict(summarize([str(path)], **kw))  # type: ignore[arg-type]
                best = min(best, time.perf_counter() - t0)
            hosts = out.get("hosts")
            kept = (
                f"; rows {len(hosts['rows'])}, over cap {hosts['over_cap']}"  # type: ignore[index]
                if isinstance(hosts, dict)
                else ""
            )
            print(f"  {label:<24} {best:6.2f} s  {args.reports / best:9.0f} reports/s{kept}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
