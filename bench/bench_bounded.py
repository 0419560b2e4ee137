"""Benchmark of the bounds on fan-out (issue 11): a report, not a test.

    python bench/bench_bounded.py      # from the repo root; about half a minute

1. A 4,000-record answer: the real `wsdiag check` (subprocess) against a DNS server on
   loopback whose private name has 4,000 A records (UDP truncated, TCP gives all), against
   the same run where it has two: the peak RSS each (the child's own, from wait4) and the
   difference (budget: <= 25 MB), the wall time against the run deadline (+1 s promise),
   and how many addresses were probed (<= budgets.MAX_ENDPOINT_ADDRESSES).
2. Event-loop lag: the runner in-process with the endpoint at 16 addresses, every one
   probed on both QUIC ports (32 QUIC handshakes set up at once, the CPU-heaviest start a
   plan can make) plus the TCP probes, while a watcher task asks to wake every 5 ms: the
   worst and the 99th percentile lateness. The deadline can only fire when the loop runs.

Network: 127.N.0.0/16 only (random N), as tests/test_hostile.py; addresses nothing listens
on refuse at once (ICMP), so the lag measured is the probes' set-up, not their waiting.
Everything started here is stopped, also on failure.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import budgets  # noqa: E402
from tests.support.hostile import HostileDns, check_argv  # noqa: E402
from wsdiag.budgets import MAX_ENDPOINT_ADDRESSES  # noqa: E402

REGION = "eu-west-1"
PRIVATE = f"privatelink.prod.{REGION}.highlander.aws.a2z.com"
NET = random.randint(64, 250)
# as tests/test_hostile.py: building and parsing 4,000 records over TCP takes a loaded
# machine over a second, which a 1 s timeout reads as silence (0 addresses probed)
TIMEOUT, DEADLINE = 3.0, 8.0
RECORDS = 4000
EXTRA_MB = 25.0  # issue 11: a 4,000-record answer adds at most this to the peak RSS
RUNS = 3


def _check(server: HostileDns) -> budgets.Run:
    cmd = check_argv(server, f"127.{NET}.0.0/16", region=REGION, timeout=TIMEOUT, deadline=DEADLINE)
    return budgets.run_measured(cmd, timeout=DEADLINE + 30)


def _probed(run: budgets.Run) -> int:
    report = json.loads(run.stdout)
    return len(
        {
            p["address"]
            for p in report["probes"]
            if p["target"] == "endpoint" and p["status"] != "skipped"
        }
    )


def bench_many_records() -> None:
    normal = [f"127.{NET}.1.{i}" for i in (10, 11)]
    with HostileDns(f"127.{NET}.0.53") as server:
        rows: dict[str, list[budgets.Run]] = {"2 records": [], f"{RECORDS:,} records": []}
        for _ in range(RUNS):
            server.zone = {PRIVATE: ("answer", normal)}
            rows["2 records"].append(_check(server))
            server.zone = {PRIVATE: ("many", RECORDS)}
            rows[f"{RECORDS:,} records"].append(_check(server))
    peaks = {k: statistics.median(r.peak_rss_mb for r in runs) for k, runs in rows.items()}
    for name, runs in rows.items():
        wall = statistics.median(r.wall for r in runs)
        print(
            f"  {name:>14}: peak RSS {peaks[name]:.1f} MB, wall {wall * 1000:.0f} ms "
            f"(deadline {DEADLINE:g} s), exit {runs[0].returncode}, "
            f"{_probed(runs[0])} endpoint address(es) probed"
        )
    extra = peaks[f"{RECORDS:,} records"] - peaks["2 records"]
    worst = max(r.wall for r in rows[f"{RECORDS:,} records"])
    probed = _probed(rows[f"{RECORDS:,} records"][0])
    print(
        f"budget: {RECORDS:,}-record answer adds {extra:+.1f} MB to the peak RSS "
        f"(<= {EXTRA_MB:g} MB): {'PASS' if extra <= EXTRA_MB else 'FAIL'}"
    )
    print(
        f"budget: {RECORDS:,}-record answer ends {worst - DEADLINE:+.2f} s from its "
        f"deadline (<= +1 s): {'PASS' if worst <= DEADLINE + 1 else 'FAIL'}"
    )
    print(
        f"budget: {probed} of {RECORDS:,} addresses probed (<= {MAX_ENDPOINT_ADDRESSES}): "
        f"{'PASS' if 0 < probed <= MAX_ENDPOINT_ADDRESSES else 'FAIL'}"
    )


async def _lag_during(run: asyncio.Future[object], tick: float = 0.005) -> list[float]:
    lags = []
    while not run.done():
        t = time.perf_counter()
        await asyncio.sleep(tick)
        lags.append(time.perf_counter() - t - tick)
    return lags


async def _one_lag_run() -> tuple[list[float], int, float]:
    from tests.synth import plan_for
    from wsdiag.check.runner import run_plan
    from wsdiag.probes.registry import load
    from wsdiag.vocab.model import DnsOutcome, DnsSpec, Transport
    from wsdiag.vocab.results import DnsResult

    plan = plan_for(vpc_cidrs=(f"127.{NET}.0.0/16",))
    plan = replace(plan, timeout=TIMEOUT, deadline=DEADLINE)
    addresses = tuple(f"127.{NET}.9.{i}" for i in range(1, MAX_ENDPOINT_ADDRESSES + 1))

    async def resolve(spec: DnsSpec, budget: float) -> DnsResult:
        found = addresses if spec.target_id == "endpoint" and spec.rdtype == "A" else ()
        return DnsResult(
            spec.id,
            spec.target_id,
            spec.host,
            spec.rdtype,
            DnsOutcome.ANSWER if found else DnsOutcome.NXDOMAIN,
            found,
        )

    probes = load(plan)  # imported before: the lag is the probes', not the imports'
    t0 = time.perf_counter()
    task = asyncio.ensure_future(run_plan(plan, resolve, probes))
    lags = await _lag_during(task)
    result = await task
    quic = sum(1 for p in result.probes if p.transport is Transport.QUIC and p.address)
    return lags, quic, time.perf_counter() - t0


def bench_loop_lag() -> None:
    lags: list[float] = []
    quic, walls = 0, []
    for _ in range(RUNS):
        got, quic, wall = asyncio.run(_one_lag_run())
        lags += got
        walls.append(wall)
    lags.sort()
    p99 = lags[int(len(lags) * 0.99) - 1] if lags else 0.0
    print(
        f"  event loop with {quic} QUIC + TCP probes starting at once (n={RUNS}): worst "
        f"lag {max(lags) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, median "
        f"{statistics.median(lags) * 1000:.2f} ms; run {statistics.median(walls) * 1000:.0f} ms"
    )


def main() -> int:
    print(f"127.{NET}.0.0/16, timeout {TIMEOUT:g} s, deadline {DEADLINE:g} s")
    bench_many_records()
    bench_loop_lag()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
