"""Start-up of the single-file executable against the installed `wsdiag` command, and
against the same build as one folder: the figure behind the build choice.

Not a test. Builds once, with the Python and spec scripts/build-binary.sh uses (one
PyInstaller Analysis, two outputs: the one-file `wsdiag` the script ships and a one-folder
`wsdiag-onedir/`), into a temporary folder (timing the build), unless --binary names a
one-file build. Then, median of --runs, interleaved, with the load average:

  1. `--version` (start-up alone: the one-file binary unpacks its archive to a temp folder
     on every start, the one-folder build and the installed command import from disk);
  2. `check --json` against a loopback DNS server answering NXDOMAIN (start-up plus the
     heavy imports: dnspython, aioquic, cryptography), both with --no-logs.

Both the build and the installed command use the benches' interpreter (bench/common.py
``python()``: a venv holding wsdiag's runtime dependencies only, as a user's install and the
clean environment build-binary.sh asks for have; PyInstaller is added to it), with this
checkout on PYTHONPATH: the installed command is that interpreter's `python -m wsdiag`. Not
the `wsdiag` on this machine's PATH: its interpreter also holds the test extras (boto3, moto:
a build from it is 40 % bigger) and runs the checkout's editable-install finder at
every start.

    python bench/bench_binary.py
    python bench/bench_binary.py --binary dist/wsdiag --runs 20
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import RUNS, Table, interleaved, median, python, secs, tree_env  # noqa: E402
from tests.support.dnsserver import NXDOMAIN, DnsServer  # noqa: E402


def once(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, capture_output=True, env=env, check=False, timeout=120)
    return time.perf_counter() - t0


def build(out: Path) -> tuple[Path, Path | None, float]:
    """(one-file binary, one-folder executable, build seconds): scripts/wsdiag.spec as
    build-binary.sh runs it, plus a one-folder output of the same Analysis."""
    spec = (ROOT / "scripts" / "wsdiag.spec").read_text()
    spec = spec.replace("Path(SPECPATH).resolve().parent", f"Path({str(ROOT)!r})")
    spec += (
        "\nexe_dir = EXE(pyz, a.scripts, [], exclude_binaries=True, name='wsdiag-onedir',"
        " console=True, upx=False, strip=False)\n"
        "COLLECT(exe_dir, a.binaries, a.datas, name='wsdiag-onedir', upx=False, strip=False)\n"
    )
    both = out / "both.spec"
    both.write_text(spec)
    py, env = python()[0], tree_env(ROOT)
    if subprocess.run([py, "-c", "import PyInstaller"], check=False).returncode:
        subprocess.run(  # as build-binary.sh does
            [py, "-m", "pip", "install", "--quiet", "pyinstaller>=6.0"],
            check=True,
            capture_output=True,  # the registry's mirror warnings are not the bench's figures
        )
    t0 = time.perf_counter()
    subprocess.run(
        [
            py, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
            "--distpath", str(out / "dist"), "--workpath", str(out / "build"), str(both),
        ],
        check=True,
        cwd=ROOT,
        env=env,
        capture_output=True,
    )  # fmt: skip
    onedir = out / "dist" / "wsdiag-onedir" / "wsdiag-onedir"
    return out / "dist" / "wsdiag", onedir if onedir.exists() else None, time.perf_counter() - t0


def _size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", type=Path)
    ap.add_argument("--runs", type=int, default=RUNS)
    args = ap.parse_args()
    table = Table("single-file binary against the installed command and a one-folder build")
    tmp = Path(tempfile.mkdtemp(prefix="wf-bench-bin-"))
    try:
        binary, onedir = args.binary, None
        if binary is None:
            binary, onedir, seconds = build(tmp)
            table.notes.append(f"build (one Analysis, both outputs): {seconds:.0f} s wall")
        table.notes.append(f"one file: {_size_mb(binary):.1f} MB")
        if onedir is not None:
            files = sum(1 for f in onedir.parent.rglob("*") if f.is_file())
            table.notes.append(
                f"one folder: {_size_mb(onedir.parent):.1f} MB on disk, {files} files"
            )
        py, what = python()
        source, env = [py, "-m", "wsdiag"], tree_env(ROOT)
        table.notes.append(f"installed command: python -m wsdiag on {what}")
        with DnsServer("127.0.0.53", zone={"*": NXDOMAIN}) as dns:
            check = ["check", "--region", "eu-west-1", "--json", "--no-logs", "--timeout", "1",
                     "--nameserver", dns.address]  # fmt: skip
            for label, extra in (("--version", ["--version"]), ("check, NXDOMAIN", check)):
                cmds = {"one file": [str(binary), *extra], "installed": [*source, *extra]}
                if onedir is not None:
                    cmds["one folder"] = [str(onedir), *extra]
                times = interleaved(
                    {k: (lambda c=c: once(c, env)) for k, c in cmds.items()}, args.runs
                )
                base = median(times["installed"])
                for k in cmds:
                    if k == "installed":
                        continue
                    m = median(times[k])
                    table.row(
                        f"{label}: {k}", secs(m), f"installed {secs(base)}", f"{m / base:.2f}x"
                    )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    table.print()


if __name__ == "__main__":
    main()
