"""Smoke run of a built single-file wsdiag on any OS: python scripts/smoke-binary.py BINARY.

Checks --version, a usage error (exit 3, empty stdout), `summarize` of the example reports,
and one `check` against a DNS server this script runs on 127.0.0.1 that answers NXDOMAIN
for every name (so nothing leaves the machine): the binary must parse the answers (dnspython
inside the binary) and judge the run blocked. Exits non-zero with the reason on failure.
Used by .github/workflows/binary.yml on hosted Windows and macOS runners.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.dnsserver import NXDOMAIN, DnsServer  # noqa: E402


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)


def expect(ok: bool, what: str, proc: subprocess.CompletedProcess[str]) -> None:
    if not ok:
        sys.exit(
            f"smoke: {what}: exit {proc.returncode}\nstdout: {proc.stdout[-2000:]}\n"
            f"stderr: {proc.stderr[-2000:]}"
        )
    print(f"smoke: ok: {what}")


def main() -> None:
    exe = str(Path(sys.argv[1]).resolve())
    p = run(exe, "--version")
    expect(p.returncode == 0 and p.stdout.startswith("wsdiag "), "--version", p)
    p = run(exe, "check", "--bogus")
    expect(p.returncode == 3 and p.stdout == "", "usage error exits 3, nothing on stdout", p)
    p = run(exe, "summarize", "--format", "json", str(ROOT / "examples" / "reports"))
    expect(p.returncode == 0 and json.loads(p.stdout)["reports"] >= 10, "summarize", p)
    with DnsServer("127.0.0.1", zone={"*": NXDOMAIN}) as dns:
        p = run(
            exe,
            "check",
            "--region",
            "eu-west-1",
            "--json",
            "--no-logs",
            "--no-proxy",
            "--timeout",
            "2",
            "--nameserver",
            dns.address,
        )
    report = json.loads(p.stdout) if p.stdout.strip() else {}
    codes = {f.get("code") for f in report.get("findings", [])}
    expect(
        p.returncode == 2 and report.get("verdict") == "blocked" and "ENDPOINT_NXDOMAIN" in codes,
        "check against a loopback DNS server",
        p,
    )


if __name__ == "__main__":
    main()
