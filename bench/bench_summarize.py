"""Benchmark `wsdiag summarize` against a plain `json.loads` loop, and its memory.

Not a test. Writes N reports (default 20,000) into one JSON-lines file in a temporary
directory (removed afterwards). Each is the largest lab report (examples/reports/*.json,
compact) with its own host block, verdict/environment/findings taken in turn from the
lab's scenarios, and a client version in `logs`, so every report is at least as large as
the largest lab report. Then, on the same file, in one run:

  1. the floor a hand-written script reaches: `for line in f: json.loads(line)` counting
     verdicts (standard library, nothing else);
  2. wsdiag.fleet.summarize.summarize (all counters, worst hosts, error handling).

Each is timed best of --repeat runs; the ratio is floor time / summarize time (> 1 means
summarize is faster). Memory: peak RSS of a fresh process summarizing N/10 and N reports;
flat memory means the two peaks are about equal.

    python bench/bench_summarize.py              # 20,000 reports
    python bench/bench_summarize.py --reports 2000
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from wsdiag.fleet.summarize import summarize  # noqa: E402

VERSIONS = ("5.29.1.5595", "5.28.0.5300", "5.30.2.5700")


def write_reports(path: Path, n: int) -> int:
    """N compact reports, one a line; returns the size of the largest lab report (bytes)."""
    lab = [json.loads(p.read_text()) for p in sorted((ROOT / "examples/reports").glob("*.json"))]
    largest = max(lab, key=lambda d: len(json.dumps(d, separators=(",", ":"))))
    floor = len(json.dumps(largest, separators=(",", ":")))
    with path.open("w") as f:
        for i in range(n):
            doc = copy.copy(largest)
            shape = lab[i % len(lab)]
            for key in ("verdict", "environment", "exit_code", "findings"):
                doc[key] = shape[key]
            doc["host"] = {
                "name": f"WS-LAPTOP-{i:06d}",
                "os": "Windows",
                "os_version": "11",
                "wsdiag_version": "0.1.0",
                "account": "system",
                "time": "2026-11-22T01:15:39Z",
            }
            doc["logs"] = {"client_version": VERSIONS[i % 3]}
            f.write(json.dumps(doc, separators=(",", ":")) + "\n")
    return floor


def floor_loop(path: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    with path.open("rb") as f:
        for line in f:
            counts[json.loads(line)["verdict"]] += 1
    return counts


def best(fn: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - t0)
    return min(times)


def peak_rss_mb(path: Path, limit: int) -> float:
    """Peak RSS (MB) of a fresh process summarizing the first `limit` lines of `path`."""
    code = (
        "import itertools,resource,subprocess,sys;sys.path.insert(0,sys.argv[1]);"
        "from wsdiag.fleet.summarize import summarize;"
        "src=open(sys.argv[2],'rb');dst=open(sys.argv[3],'wb');"
        "dst.writelines(itertools.islice(src,int(sys.argv[4])));dst.close();"
        "base=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        "s=summarize([sys.argv[3]]);assert s.reports==int(sys.argv[4]),s.reports;"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024)"
    )
    part = path.with_suffix(f".{limit}.jsonl")
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT), str(path), str(part), str(limit)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    part.unlink()
    return float(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="wf-bench-"))
    try:
        data = tmp / "reports.jsonl"
        floor_size = write_reports(data, args.reports)
        mb = data.stat().st_size / 1e6
        print(
            f"{args.reports} reports, {mb:.0f} MB (each >= {floor_size} bytes, the largest "
            "lab report compact)"
        )
        expect = floor_loop(data)
        s = summarize([str(data)])
        assert s.reports == args.reports and dict(expect) == s.counts["verdict"], "disagree"
        t_floor = best(lambda: floor_loop(data), args.repeat)
        t_sum = best(lambda: summarize([str(data)]), args.repeat)
        print(f"json.loads loop (floor): {t_floor:.2f} s  {mb / t_floor:.0f} MB/s")
        print(f"wsdiag summarize:        {t_sum:.2f} s  {mb / t_sum:.0f} MB/s")
        print(f"ratio floor/summarize:   {t_floor / t_sum:.2f}x (target >= 1.5x)")
        small = max(1, args.reports // 10)
        print(
            f"peak RSS summarizing {small} reports: {peak_rss_mb(data, small):.1f} MB; "
            f"{args.reports} reports: {peak_rss_mb(data, args.reports):.1f} MB"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
