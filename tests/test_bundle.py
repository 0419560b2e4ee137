"""`wsdiag bundle`: one zip with everything a ticket needs and no user name in it.

Two real runs, each with the check's DNS pointed at a loopback test server:
- as a person-like account (HOME/USER/LOGNAME of "wo.jane.doe", logs under that home);
- as root while a real local user "wo.jane.doe" (created here, removed after) has the
  newest client logs: the SYSTEM/root path that finds and names whose logs it read.
"""

from __future__ import annotations

import json
import os
import pwd
import random
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dnsserver import DnsServer

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "logs"
PERSON = "wo.jane.doe"
LOG_DIR = Path(".local", "share", "Amazon Web Services", "Amazon WorkSpaces", "logs")
EXPECTED = {
    "report.txt",
    "report.json",
    "report.html",
    "host.json",
    "network.json",
    "versions.json",
    "logs-summary.json",
    "client-log-tail.txt",
    "manifest.json",
}


@pytest.fixture()
def dns() -> Iterator[DnsServer]:
    with DnsServer(f"127.{random.randint(64, 250)}.0.53") as server:
        yield server


def _put_logs(home: Path) -> None:
    logs = home / LOG_DIR
    logs.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "field-report-vpc-session.log", logs / "client.log")
    future = time.time() + 7200  # newer than any other profile's logs on this machine
    os.utime(logs / "client.log", (future, future))


def _bundle(tmp: Path, dns: DnsServer, env: dict[str, str], *extra: str) -> zipfile.ZipFile:
    out = tmp / "ticket.zip"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "wsdiag",
            "bundle",
            "-o",
            str(out),
            "--region",
            "eu-west-1",
            "--nameserver",
            dns.address,
            "--timeout",
            "0.5",
            "--no-proxy",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    verdict_line, where = proc.stdout.splitlines()
    assert where == str(out)
    assert verdict_line.split()[0] in {"ready", "degraded", "blocked", "unknown"}
    assert "region=eu-west-1" in verdict_line
    assert not (tmp / "ticket.zip.part").exists()
    return zipfile.ZipFile(out)


def _assert_no_name(zf: zipfile.ZipFile, *names: str) -> None:
    for info in zf.infolist():
        data = zf.read(info).decode("utf-8", "replace").lower()
        for name in names:
            assert name.lower() not in info.filename.lower()
            assert name.lower() not in data, (info.filename, name)


def test_bundle_as_a_person_holds_no_user_name(tmp_path: Path, dns: DnsServer) -> None:
    home = tmp_path / "home" / PERSON
    _put_logs(home)
    env = {**os.environ, "HOME": str(home), "USER": PERSON, "LOGNAME": PERSON, "XDG_DATA_HOME": ""}
    with _bundle(tmp_path, dns, env) as zf:
        assert set(zf.namelist()) == EXPECTED
        _assert_no_name(zf, PERSON, "jane")
        manifest = json.loads(zf.read("manifest.json"))
        assert {f["name"] for f in manifest["files"]} == EXPECTED - {"manifest.json"}
        assert manifest["redacted"] == ["URL credentials", "user names", "home paths"]
        report = json.loads(zf.read("report.json"))
        assert report["host"]["view"]["logs"] == "own" and report["logs"]["files"]
        assert zf.read("report.txt").decode().split(":")[0] == report["verdict"].upper()
        tail = zf.read("client-log-tail.txt").decode()
        assert tail == (FIXTURES / "field-report-vpc-session.log").read_text()
        network = json.loads(zf.read("network.json"))
        assert network["dns"]["given"] == [dns.address]
        versions = json.loads(zf.read("versions.json"))
        assert versions["dnspython"] and versions["python"]
    # --no-redact keeps what the redaction hid: the test above could have failed
    with _bundle(tmp_path, dns, env, "--no-redact") as zf:
        assert PERSON in zf.read("logs-summary.json").decode()
        assert json.loads(zf.read("manifest.json"))["redacted"] == []


@pytest.fixture()
def person() -> Iterator[Path]:
    if os.geteuid() != 0 or not shutil.which("useradd"):
        pytest.skip("needs root and useradd to create a local user")
    subprocess.run(
        ["useradd", "-m", "-s", "/usr/sbin/nologin", PERSON], check=True, capture_output=True
    )
    try:
        home = Path(f"/home/{PERSON}")
        _put_logs(home)
        yield home
    finally:
        subprocess.run(["userdel", "-r", PERSON], capture_output=True, check=False)
        shutil.rmtree(f"/home/{PERSON}", ignore_errors=True)


def _fake_loginctl(tmp: Path, seat_user: str | None) -> str:
    """A ``loginctl`` on PATH printing recorded logind output: one local seat session of
    ``seat_user`` (None: only an ssh session), beside a display manager's greeter."""
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    who = seat_user or PERSON
    seat, remote = ("seat0", "no") if seat_user else ("", "yes")
    script = bin_dir / "loginctl"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = list-sessions ]; then\n'
        f"  echo '    3 1001 {who} {seat or '-'} tty2'\n"
        "  echo '   c1  120 gdm seat0 tty1'\n"
        "else\n"
        f"  printf 'Name={who}\\nSeat={seat}\\nActive=yes\\nClass=user\\nRemote={remote}\\n\\n'\n"
        "  printf 'Name=gdm\\nSeat=seat0\\nActive=no\\nClass=greeter\\nRemote=no\\n'\n"
        "fi\n"
    )
    script.chmod(0o755)
    return f"{bin_dir}:{os.environ.get('PATH', '')}"


@pytest.mark.parametrize("at_console", [True, False], ids=["console-user", "ssh-only"])
def test_bundle_as_root_reads_the_console_users_logs_and_hides_whose(
    tmp_path: Path, dns: DnsServer, person: Path, at_console: bool
) -> None:
    """Issue 19 item 1: as root, the console user's profile (logind's one active seat
    session), not whichever profile logged last: with only an ssh session, none."""
    root_home = tmp_path / "roothome"  # root's own profile: no client logs
    root_home.mkdir()
    env = {
        **os.environ,
        "HOME": str(root_home),
        "USER": "root",
        "LOGNAME": "root",
        "XDG_DATA_HOME": "",
        "PATH": _fake_loginctl(tmp_path, PERSON if at_console else None),
    }
    with _bundle(tmp_path, dns, env) as zf:
        report = json.loads(zf.read("report.json"))
        assert report["host"]["account"] == "root"
        if not at_console:
            assert report["host"]["view"]["logs"] == "none" and not report.get("logs")
            return
        assert report["host"]["view"]["logs"] == "console user"
        assert report["logs"]["files"] == [f"/home/***/{LOG_DIR}/client.log"]
        assert (
            zf.read("client-log-tail.txt").decode()
            == (FIXTURES / "field-report-vpc-session.log").read_text()
        )
        _assert_no_name(zf, PERSON, "jane")
    with _bundle(tmp_path, dns, env, "--no-redact") as zf:
        report = json.loads(zf.read("report.json"))
        assert report["host"]["view"]["logs"] == f"user {PERSON}"


@pytest.mark.parametrize("kind", ["fifo", "symlink", "directory"])
def test_bundle_never_replaces_what_is_not_a_regular_file(tmp_path: Path, kind: str) -> None:
    """Run as root, `-o /dev/null` must not turn a device into a zip: a FIFO stands in for
    it here; a symbolic link and a directory are refused too, and left as they were."""
    from wsdiag.bundle import write_bundle
    from wsdiag.redact import Redaction

    target = tmp_path / "out.zip"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink":
        (tmp_path / "elsewhere").write_text("keep")
        target.symlink_to(tmp_path / "elsewhere")
    else:
        target.mkdir()
    with pytest.raises(OSError):
        write_bundle(target, [], Redaction())
    assert not (tmp_path / "out.zip.part").exists()
    if kind == "symlink":
        assert target.is_symlink() and (tmp_path / "elsewhere").read_text() == "keep"


def test_bundle_as_root_never_follows_a_users_link_to_a_root_only_file(
    tmp_path: Path, dns: DnsServer, person: Path
) -> None:
    """An account that owns its log folder plants a symbolic link and a hard link to files
    only root may read; root's bundle must carry neither (it carried /etc/shadow)."""
    secret = tmp_path / "secret"
    secret.write_text("root-only-secret-line\n")
    secret.chmod(0o600)
    logs = person / LOG_DIR
    uid = pwd.getpwnam(PERSON).pw_uid
    for d in [*reversed(logs.relative_to(person).parents), logs.relative_to(person)]:
        os.chown(person / d, uid, uid)
    os.chown(logs / "client.log", uid, uid)
    (logs / "zz.log").symlink_to(secret)
    os.lchown(logs / "zz.log", uid, uid)
    hard = tmp_path / "hard-secret"
    hard.write_text("root-only-hard-line\n")
    hard.chmod(0o600)
    os.link(hard, logs / "zy.log")  # a hard link: a regular file, owned by root
    newest = time.time() + 9000
    for name in ("zz.log", "zy.log"):
        os.utime(logs / name, (newest, newest), follow_symlinks=False)
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "USER": "root",
        "LOGNAME": "root",
        "XDG_DATA_HOME": "",
        "PATH": _fake_loginctl(tmp_path, PERSON),
    }
    with _bundle(tmp_path, dns, env, "--no-redact") as zf:
        everything = b"".join(zf.read(n) for n in zf.namelist())
        report = json.loads(zf.read("report.json"))
    assert b"root-only-secret-line" not in everything
    assert b"root-only-hard-line" not in everything
    assert report["host"]["view"]["logs"] == f"user {PERSON}"
