"""Benchmark of session-quality sampling (issue 20): a report, not a test.

    python bench/bench_quality.py     # from the repo root, as root; about a minute

Before and after in one run, interleaved round by round: "before" is the tree at
/tmp/wsdiag-base (WSDIAG_BASE to change it) run with PYTHONPATH pointing at it, "after"
this tree at its default --samples (budgets.DEFAULT_SAMPLES); --samples 0 of this tree too.

1. Healthy LAN: a DNS server and TLS/QUIC servers on loopback (127.N.0.0/16), every path
   answering; the whole process's wall time, median of ROUNDS.
2. Silent network: the resolver a bound UDP socket nobody reads; the whole process against
   --timeout (the silent-network bound: the samples never start, nothing answered).
Budget: each moves by at most 0.15 s against "before". Also printed: how many samples the
default gets on the healthy LAN, and the TCP samples' p50 from the kernel vs the timer.
"""

from __future__ import annotations

import json
import os
import random
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.bench_check import REGION, Net, servers, zone_for  # noqa: E402
from tests.support.dnsserver import DnsServer  # noqa: E402
from wsdiag.budgets import DEFAULT_SAMPLES  # noqa: E402

BASE = Path(os.environ.get("WSDIAG_BASE", "/tmp/wsdiag-base"))
ROUNDS = 7
TIMEOUT = 1.0
BUDGET_S = 0.15


def run(
    tree: Path, env: dict[str, str], nameserver: str, cidr: str, *extra: str
) -> tuple[float, dict]:
    cmd = [
        sys.executable, "-m", "wsdiag", "check", "--region", REGION, "--json", "--no-logs",
        "--nameserver", nameserver, "--vpc-cidr", cidr, "--timeout", f"{TIMEOUT:g}", *extra,
    ]  # fmt: skip
    e = {**env, "PYTHONPATH": str(tree)}
    t0 = time.perf_counter()
    import subprocess

    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tree, env=e, timeout=60)
    wall = time.perf_counter() - t0
    try:
        doc = json.loads(proc.stdout)
    except ValueError:
        doc = {}
    return wall, doc


def main() -> int:
    if not (BASE / "wsdiag").is_dir():
        print(f"no baseline tree at {BASE} (set WSDIAG_BASE)")
        return 1
    net = Net(random.randint(64, 250))
    cidr = f"127.{net.n}.1.0/24"
    hole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    hole.bind((net.ip(9, 53), 53))  # bound, never read: a silent resolver
    variants = {
        "before": (BASE, ()),
        f"after --samples {DEFAULT_SAMPLES}": (ROOT, ()),
        "after --samples 0": (ROOT, ("--samples", "0")),
    }
    walls: dict[str, dict[str, list[float]]] = {"healthy": {}, "silent": {}}
    sampled: list[int] = []
    kernel_vs_timer: list[str] = []
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            servers(net, Path(tmp)) as env,
            DnsServer(net.dns) as dns,
        ):
            if True:  # (one indent level kept for the loop below)
                dns.zone = zone_for(net.answering())  # type: ignore[assignment]
                for _ in range(ROUNDS):
                    for name, (tree, extra) in variants.items():
                        w, doc = run(tree, env, f"{net.dns}:{dns.port}", cidr, *extra)
                        assert doc.get("verdict"), f"{name}: no report"
                        walls["healthy"].setdefault(name, []).append(w)
                        q = doc.get("quality") or {}
                        if name.endswith(f"{DEFAULT_SAMPLES}") and q.get("overall"):
                            sampled.append(q["overall"]["sent"])
                        w, _ = run(tree, env, net.ip(9, 53), cidr, *extra)
                        walls["silent"].setdefault(name, []).append(w)
                # the TCP samples' kernel RTT against a timer around the same connect,
                # while the loop also runs the QUIC samples: does other work move p50?
                _, doc = run(ROOT, env, f"{net.dns}:{dns.port}", cidr, "--samples", "50")
                for p in (doc.get("quality") or {}).get("paths", []):
                    if p.get("rtt_ms"):
                        kernel_vs_timer.append(
                            f"{p['id']} ({p['source']}) p50 {p['rtt_ms']['p50']} ms"
                        )
    finally:
        hole.close()
    ok = True
    for kind, by in walls.items():
        base = statistics.median(by["before"])
        print(f"{kind}: median of {ROUNDS} (s)")
        for name, xs in by.items():
            m = statistics.median(xs)
            moved = m - base
            verdict = "" if name == "before" else ("PASS" if moved <= BUDGET_S else "FAIL")
            ok &= verdict != "FAIL"
            print(f"  {name:<22} {m:6.3f}  moved {moved:+.3f} (budget +{BUDGET_S}) {verdict}")
    print(f"samples sent on the healthy LAN at the default: {sampled} (per run, all paths)")
    print("with --samples 50 on the healthy LAN:")
    for line in kernel_vs_timer:
        print(f"  {line}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
