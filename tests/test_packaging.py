"""The wheel carries every module, the catalog, the schemas and the HTML template, so an
installed wsdiag finds them; and the installed command runs a check (its modules from the
unpacked wheel alone, the dependencies from this interpreter's site-packages), against a
loopback DNS server that answers 127.0.0.0/8 addresses only."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.support.dnsserver import DnsServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("wheel")
    # Built from a copy of what a clean checkout holds: an in-tree build/ folder left by an
    # earlier build would hand the wheel modules the package list leaves out.
    src = tmp_path / "src"
    for folder in ("wsdiag", "probes"):
        shutil.copytree(ROOT / folder, src / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(tmp_path),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=300,
        cwd=tmp_path,
    )
    (built,) = tmp_path.glob("wsdiag-*.whl")
    return built


def test_wheel_ships_catalog_and_schemas(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {
        "wsdiag/catalogs/catalog.toml",
        "wsdiag/schema/report.schema.json",
        "wsdiag/schema/logs.schema.json",
        "wsdiag/py.typed",
        "wsdiag/render/templates/report.html.j2",
    } <= names
    assert any(n.endswith("entry_points.txt") for n in names)


def test_wheel_ships_every_module(wheel: Path) -> None:
    """The package list in pyproject.toml is written by hand: a package left out of it is
    missing from every install (it was: wsdiag.evidence and wsdiag.quality)."""
    names = set(zipfile.ZipFile(wheel).namelist())
    source = {p.relative_to(ROOT).as_posix() for p in (ROOT / "wsdiag").rglob("*.py")}
    assert source and source - names == set()


# The check as an installed command would run it: this interpreter's site-packages (the
# dependencies) without the editable install's finder, which would hand out this checkout's
# modules for any the wheel lacks; at exit, a wsdiag module loaded from anywhere else than
# the unpacked wheel is named on stderr.
BOOT = """
import runpy, sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
site = sys.argv.pop(1)
try:
    runpy.run_module("wsdiag", run_name="__main__", alter_sys=True)
finally:
    stray = [n for n, m in list(sys.modules.items()) if n.startswith("wsdiag")
             and not (getattr(m, "__file__", None) or site).startswith(site)]
    if stray:
        sys.stderr.write(f"not from the wheel: {stray}\\n")
"""


def test_the_installed_command_runs_a_check(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    net = random.randint(64, 250)  # 127.net.0.0/16: nothing listens there, paths refused
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env.update(PYTHONPATH=str(site), HOME=str(tmp_path), NO_COLOR="1")
    args = ["check", "--region", "eu-west-1", "--timeout", "0.5", "--no-logs", "--json"]
    with DnsServer("127.0.0.1", {"*": [f"127.{net}.1.10"]}) as dns:
        proc = subprocess.run(
            [sys.executable, "-c", BOOT, str(site), *args, "--nameserver", dns.address],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=tmp_path,  # not the repository: its modules must come from the wheel
        )
    assert proc.stderr == "", proc.stderr
    report = json.loads(proc.stdout)
    assert report["verdict"] in ("blocked", "unknown")  # every path refused: never ready
