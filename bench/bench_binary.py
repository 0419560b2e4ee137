"""Start-up of the single-file executable against the installed `wsdiag` command.

Not a test. Builds the binary with scripts/build-binary.sh into a temporary folder
(timing the build) unless --binary names one, then times, median of --runs:

  1. `--version` (start-up alone: the one-file binary unpacks itself to a temp folder on
     every start, the installed command imports from site-packages);
  2. `check --json` against a loopback DNS server answering NXDOMAIN (start-up plus the
     heavy imports: dnspython, aioquic, cryptography), both with --no-logs.

The installed command is `wsdiag` on PATH (a pip/pipx install), or `python -m wsdiag` from
this checkout when there is none.

    python bench/bench_binary.py
    python bench/bench_binary.py --binary dist/wsdiag --runs 20
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.dnsserver import NXDOMAIN, DnsServer  # noqa: E402


def median_seconds(argv: list[str], runs: int, env: dict[str, str]) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, capture_output=True, env=env, check=False, timeout=120)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def build(out: Path) -> tuple[Path, float]:
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "WSDIAG_DIST": str(out / "dist"),
        "WSDIAG_BUILD": str(out / "build"),
    }
    t0 = time.perf_counter()
    subprocess.run(
        ["sh", str(ROOT / "scripts/build-binary.sh")],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    return out / "dist" / "wsdiag", time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", type=Path)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="wf-bench-bin-"))
    try:
        binary = args.binary
        if binary is None:
            binary, seconds = build(tmp)
            print(f"build: {seconds:.0f} s on {os.cpu_count()} cores")
        print(f"binary: {binary.stat().st_size / 1e6:.1f} MB")
        installed = shutil.which("wsdiag")
        env = dict(os.environ)
        if installed:
            source = [installed]
            print(f"installed command: {installed}")
        else:
            source = [sys.executable, "-m", "wsdiag"]
            env["PYTHONPATH"] = str(ROOT)
            print("installed command: none on PATH; python -m wsdiag from this checkout")
        for label, extra in (("--version", ["--version"]),):
            b = median_seconds([str(binary), *extra], args.runs, env)
            s = median_seconds([*source, *extra], args.runs, env)
            print(
                f"{label:<28} binary {b * 1000:6.0f} ms  installed {s * 1000:6.0f} ms  "
                f"ratio {b / s:.2f}x"
            )
        with DnsServer("127.0.0.53", zone={"*": NXDOMAIN}) as dns:
            extra = [
                "check",
                "--region",
                "eu-west-1",
                "--json",
                "--no-logs",
                "--timeout",
                "1",
                "--nameserver",
                dns.address,
            ]
            b = median_seconds([str(binary), *extra], args.runs, env)
            s = median_seconds([*source, *extra], args.runs, env)
            print(
                f"{'check (loopback, NXDOMAIN)':<28} binary {b * 1000:6.0f} ms  installed "
                f"{s * 1000:6.0f} ms  ratio {b / s:.2f}x"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
