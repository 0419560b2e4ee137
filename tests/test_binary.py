"""The single-file executable (scripts/build-binary.sh, PyInstaller) works without Python.

Built once per session into a cache folder in the temp directory keyed by a hash of the
sources (a second session with the same sources reuses it); WSDIAG_BINARY=/path uses a
binary built elsewhere (the hosted-runner workflow). The build needs PyInstaller, which the
script installs from PyPI when missing: without it this module skips with the reason on a
laptop and fails under CI=true.

What a frozen build loses is what it imports by name at run time or reads as data: the
loopback checks exercise dnspython's record types (A, AAAA answers), aioquic (QUIC
handshakes to the loopback servers), the catalog (every check plans from it); the verdict
must equal that of `python -m wsdiag` on the same setup. The namespace lab's minimal-egress
and closed scenarios then run the binary inside the client namespace.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.lab.scenarios import SCENARIOS
from tests.lab.topology import Lab as NsLab
from tests.lab.topology import list_namespaces, unavailable_reason
from tests.support.dnsserver import NXDOMAIN
from tests.test_check_loopback import EP_A, EP_B, EP_TCP_ONLY, NET, Lab, lab
from wsdiag import __version__

__all__ = ["lab"]  # the loopback servers fixture, shared with test_check_loopback
pytestmark = pytest.mark.binary
ROOT = Path(__file__).resolve().parent.parent
EXE = "wsdiag.exe" if sys.platform == "win32" else "wsdiag"


def _sources_hash() -> str:
    h = hashlib.sha256()
    files = sorted(
        [
            *ROOT.glob("wsdiag/**/*.py"),
            *ROOT.glob("wsdiag/schema/*.json"),
            ROOT / "probes/catalog.toml",
            ROOT / "scripts/build-binary.sh",
            ROOT / "scripts/wsdiag.spec",
            ROOT / "pyproject.toml",
        ]
    )
    for f in files:
        h.update(str(f.relative_to(ROOT)).encode() + b"\0" + f.read_bytes())
    h.update(sys.version.encode())
    return h.hexdigest()[:16]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"single-file build required under CI=true: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def binary() -> Path:
    given = os.environ.get("WSDIAG_BINARY")
    if given:
        return Path(given)
    cache = Path(tempfile.gettempdir()) / f"wsdiag-binary-{_sources_hash()}"
    exe = cache / "dist" / EXE
    if exe.is_file():
        return exe
    work = Path(tempfile.mkdtemp(prefix="wsdiag-binary-build-"))
    try:
        env = {
            **os.environ,
            "PYTHON": sys.executable,
            "WSDIAG_DIST": str(work / "dist"),
            "WSDIAG_BUILD": str(work / "build"),
        }
        proc = subprocess.run(
            ["sh", str(ROOT / "scripts/build-binary.sh")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        if proc.returncode != 0 and "pip" in proc.stderr and "PyInstaller" not in proc.stderr:
            _unavailable(f"PyInstaller could not be installed: {proc.stderr[-300:]}")
        assert proc.returncode == 0, proc.stderr[-3000:]
        cache.mkdir(exist_ok=True)
        # another session may have finished the same build first: then use that one
        with contextlib.suppress(OSError):
            os.replace(work / "dist", cache / "dist")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    assert exe.is_file()
    return exe


def run(
    cmd: Sequence[str], *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*cmd, *args], capture_output=True, text=True, timeout=120, env=env, cwd=cwd
    )


def python_cmd() -> list[str]:
    return [sys.executable, "-m", "wsdiag"]


def test_version_and_help(binary: Path, tmp_path: Path) -> None:
    proc = run([str(binary)], "--version", cwd=tmp_path)  # no checkout anywhere near
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"wsdiag {__version__}\n", "")
    proc = run([str(binary)], "--help", cwd=tmp_path)
    assert proc.returncode == 0 and "check" in proc.stdout and "summarize" in proc.stdout


def test_usage_error_exits_3(binary: Path, tmp_path: Path) -> None:
    proc = run([str(binary)], "check", "--bogus", cwd=tmp_path)
    assert proc.returncode == 3 and proc.stdout == "" and "wsdiag: error:" in proc.stderr


def check(lab: Lab, cmd: Sequence[str], cwd: Path) -> tuple[int, dict[str, Any]]:
    env = {k: v for k, v in lab.env.items() if k != "PYTHONPATH"}
    if cmd[0] == sys.executable:
        env["PYTHONPATH"] = str(ROOT)
    proc = run(
        cmd,
        "check",
        "--region",
        "eu-west-1",
        "--json",
        "--nameserver",
        lab.dns.address,
        "--vpc-cidr",
        f"127.{NET}.1.0/24",
        "--directory-id",
        "d-1234567890",
        "--timeout",
        "1",
        "--no-logs",
        env=env,
        cwd=cwd,
    )
    assert proc.stderr == "", proc.stderr
    return proc.returncode, json.loads(proc.stdout)


def essence(code: int, report: dict[str, Any]) -> tuple[object, ...]:
    return (
        code,
        report["verdict"],
        report["environment"],
        sorted(f["code"] for f in report["findings"]),
        sorted((p["id"], p["status"]) for p in report["probes"]),
    )


@pytest.mark.parametrize(
    ("zone", "verdict"),
    [
        ([EP_A, EP_B], "ready"),
        ([EP_TCP_ONLY], "degraded"),
        (NXDOMAIN, "blocked"),
        (["::1"], "judged"),  # IPv6-only: probed over IPv6 (what answers on ::1 is not ours)
    ],
)
def test_binary_verdict_equals_python(
    lab: Lab, binary: Path, tmp_path: Path, zone: object, verdict: str
) -> None:
    lab.zone(zone)
    frozen = check(lab, [str(binary)], tmp_path)
    source = check(lab, python_cmd(), tmp_path)
    if verdict == "judged":
        assert frozen[1]["verdict"] != "unknown"
    else:
        assert frozen[1]["verdict"] == verdict
    assert essence(*frozen) == essence(*source)
    if verdict == "ready":  # A answers parsed, QUIC handshakes made: the dynamic imports work
        quic = [p for p in frozen[1]["probes"] if p["transport"] == "quic"]
        assert quic and all(p["status"] == "open" for p in quic if p["target"] == "endpoint")


def test_binary_summarize_equals_python(binary: Path, tmp_path: Path) -> None:
    reports = str(ROOT / "examples/reports")
    frozen = run([str(binary)], "summarize", "--format", "json", reports, cwd=tmp_path)
    source = run(python_cmd(), "summarize", "--format", "json", reports, cwd=ROOT)
    assert frozen.returncode == source.returncode == 0
    assert json.loads(frozen.stdout) == json.loads(source.stdout)


@pytest.fixture(scope="module")
def ns_lab() -> Any:
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"network lab required under CI=true but unavailable: {reason}")
        pytest.skip(reason)
    regions = tuple(dict.fromkeys(s.region for s in SCENARIOS))
    with NsLab(regions=regions) as built:
        prefix = built.prefix
        yield built
    left = [n for n in list_namespaces() if n.startswith(prefix + "-")]
    assert not left, f"namespaces left behind: {left}"


@pytest.mark.lab
@pytest.mark.parametrize("name", ["minimal-egress", "closed"])
def test_lab_scenario_from_the_binary(ns_lab: NsLab, binary: Path, name: str) -> None:
    (scenario,) = [s for s in SCENARIOS if s.name == name]
    ns_lab.apply(scenario.shape)
    run_ = ns_lab.run_wsdiag(
        scenario.region, trusts_lab_ca=scenario.shape.trusts_lab_ca, command=[str(binary)]
    )
    assert run_.report is not None, run_.stderr[-2000:]
    want = scenario.expect
    got = (run_.report["environment"], run_.report["verdict"], run_.exit_code)
    assert got == (want.environment, want.verdict, want.exit_code), run_.stderr[-2000:]
    assert set(want.findings) <= {f["code"] for f in run_.report["findings"]}


def test_binary_writes_the_html_report(lab: Lab, binary: Path, tmp_path: Path) -> None:
    """The template ships inside the binary (Jinja2's PackageLoader finds it frozen)."""
    lab.zone([EP_A, EP_B])
    env = {k: v for k, v in lab.env.items() if k != "PYTHONPATH"}
    page = tmp_path / "report.html"
    proc = run(
        [str(binary)],
        "check",
        "--region",
        "eu-west-1",
        "--nameserver",
        lab.dns.address,
        "--vpc-cidr",
        f"127.{NET}.1.0/24",
        "--timeout",
        "1",
        "--no-logs",
        "--html",
        str(page),
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode in (0, 1), proc.stderr
    html = page.read_text(encoding="utf-8")
    assert "<svg" in html and "application/json" in html


def test_binary_evaluates_a_pac_in_its_own_child(binary: Path, tmp_path: Path) -> None:
    """The PAC evaluator runs as a child of the binary itself (no `python -m` there)."""
    pac = tmp_path / "proxy.pac"
    pac.write_text(
        "function FindProxyForURL(url, host) {\n"
        '  return host == "a.example" ? "PROXY 127.0.0.1:3128; DIRECT" : "DIRECT";\n'
        "}\n"
    )
    request = {
        "sources": [["file", str(pac)]],
        "hosts": ["a.example", "b.example"],
        "fetch_timeout": 5,
    }
    env = {**os.environ, "WSDIAG_PAC_CHILD": "1"}
    proc = subprocess.run(
        [str(binary)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    answers = {
        m["host"]: m["raw"] for m in map(json.loads, proc.stdout.splitlines()) if "host" in m
    }
    assert answers == {"a.example": "PROXY 127.0.0.1:3128; DIRECT", "b.example": "DIRECT"}
