"""The cost of ``--aws`` against moto's server on loopback: one figure (median of --runs).

Not a test. Runs ``wsdiag check --json --no-logs`` with and without ``--aws`` against a test
DNS server (the private name answers with the fixture's endpoint addresses on loopback, every
other name NXDOMAIN) and a moto VPC built here (tests/support/cloud.py), and prints the wall
time of each, their difference (the cost of --aws: boto3's import, the clients, ~10 calls),
and the peak memory of each (the child's VmHWM: Linux). moto answers in a millisecond or two,
so the network part of a real account (50-300 ms a call) comes on top.

    python bench/bench_cloud.py
    python bench/bench_cloud.py --runs 9
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.cloud import Spec, aws_env, build, moto_server  # noqa: E402
from tests.support.dnsserver import NXDOMAIN, DnsServer  # noqa: E402

REGION = "eu-west-1"
SPEC = Spec(
    region=REGION,
    vpc="127.0.0.0/16",
    subnets=("127.0.5.0/24", "127.0.6.0/24"),
    addresses=("127.0.5.10", "127.0.6.10"),
    ingress=(("tcp", 443, 443, "10.0.0.0/8"), ("tcp", 4195, 4195, "10.0.0.0/8")),
)


def one(argv: list[str], env: dict[str, str]) -> tuple[float, float, dict[str, object]]:
    """(wall s, peak RSS MB, the report) of one run in a fresh child."""
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child would report
    # this (moto-laden) process's peak.
    code = (
        "import runpy, sys\n"
        f"sys.argv = {['wsdiag', *argv]!r}\n"
        "try:\n    runpy.run_module('wsdiag', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "finally:\n"
        "    hwm = [x for x in open('/proc/self/status') if x.startswith('VmHWM')][0]\n"
        "    print(hwm.split()[1], file=sys.stderr)\n"
    )
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    wall = time.perf_counter() - t0
    rss_kb = int(proc.stderr.strip().splitlines()[-1])
    return wall, rss_kb / 1024, json.loads(proc.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, moto_server() as url:
        fx = build(url, SPEC)
        name = f"privatelink.prod.{REGION}.highlander.aws.a2z.com"
        with DnsServer("127.0.0.53", {name: list(fx.addresses), "*": NXDOMAIN}) as dns:
            env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
            env |= aws_env(url, tmp) | {"PYTHONPATH": str(ROOT)}
            base = ["check", "--region", REGION, "--no-logs", "--json", "--timeout", "0.5"]
            base += ["--nameserver", dns.address]
            plain = [one(base, env) for _ in range(args.runs)]
            aws = [one([*base, "--aws"], env) for _ in range(args.runs)]
    calls = aws[-1][2].get("cloud", {}).get("calls", [])  # type: ignore[union-attr]
    w0, w1 = (statistics.median(x[0] for x in runs) for runs in (plain, aws))
    m0, m1 = (statistics.median(x[1] for x in runs) for runs in (plain, aws))
    print(f"check, no --aws:   {w0:.2f} s  {m0:.0f} MB peak   (median of {args.runs})")
    print(f"check --aws:       {w1:.2f} s  {m1:.0f} MB peak   ({len(calls)} calls to moto)")  # type: ignore[arg-type]
    print(f"cost of --aws:     {w1 - w0:+.2f} s  {m1 - m0:+.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
