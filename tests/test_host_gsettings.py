"""`gsettings` as wsdiag runs it (issue 18, defect 15): nothing written into anyone's home
or the current folder, and as root the desktop user's settings, never root's.

A fake gsettings on PATH records the environment and account it ran with, and writes
where dconf would (XDG_RUNTIME_DIR, XDG_CACHE_HOME, else $HOME/.cache).
"""

from __future__ import annotations

import os
import pwd
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from wsdiag.host import system

FAKE = """#!/bin/sh
{ echo "uid=$(id -u)"; echo "runtime=$XDG_RUNTIME_DIR"; echo "cache=$XDG_CACHE_HOME"; \
  echo "home=$HOME"; } >> "$WSDIAG_FAKE_RECORD"
for d in "${XDG_RUNTIME_DIR:-$HOME/.cache}" "${XDG_CACHE_HOME:-$HOME/.cache}"; do
  mkdir -p "$d/dconf" && : > "$d/dconf/user"
done
case "$3" in mode) echo "'auto'";; *) echo "'http://pac.test/p.pac'";; esac
"""

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or os.geteuid() != 0, reason="Linux, as root"
)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The fake on PATH, in a folder every account can read (pytest's are root's only);
    yields the record file. Removed afterwards."""
    top = Path(tempfile.mkdtemp(prefix="wsdiag-fake-gsettings-"))
    try:
        top.chmod(0o755)
        (top / "bin").mkdir(mode=0o755)
        script = top / "bin" / "gsettings"
        script.write_text(FAKE)
        script.chmod(0o755)
        (top / "rec").mkdir()
        (top / "rec").chmod(0o777)
        record = top / "rec" / "record.txt"
        monkeypatch.setenv("PATH", f"{top / 'bin'}:{os.environ['PATH']}")
        monkeypatch.setenv("WSDIAG_FAKE_RECORD", str(record))
        yield record
    finally:
        shutil.rmtree(top, ignore_errors=True)


def _runs(record: Path) -> list[dict[str, str]]:
    if not record.exists():
        return []
    runs: list[dict[str, str]] = []
    for line in record.read_text().splitlines():
        key, _, value = line.partition("=")
        if key == "uid":
            runs.append({})
        runs[-1][key] = value
    return runs


def test_as_root_it_reads_the_desktop_users_settings_as_that_user(fake: Path) -> None:
    nobody = pwd.getpwnam("nobody")
    home = Path(tempfile.mkdtemp(prefix="wsdiag-fake-home-"))
    try:
        os.chown(home, nobody.pw_uid, nobody.pw_gid)
        user = system.DesktopUser(nobody.pw_uid, nobody.pw_gid, "nobody", str(home))
        got = system.gsettings_proxy(as_user=user)
        assert got is not None and got[0].strip() == "'auto'"
        runs = _runs(fake)
        assert len(runs) == 2 and all(r["uid"] == str(nobody.pw_uid) for r in runs)
        for r in runs:
            assert r["home"] == str(home)
            for key in ("runtime", "cache"):  # a scratch folder, gone afterwards
                assert r[key] and not r[key].startswith(str(home))
                assert not Path(r[key]).exists()
        assert list(home.iterdir()) == []  # no .cache/dconf/user in the user's home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_as_root_without_a_desktop_user_roots_settings_are_not_read(
    fake: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(system, "desktop_user", lambda: None, raising=False)
    monkeypatch.setenv("HOME", "relative-home")  # dconf would write into the cwd
    monkeypatch.chdir(tmp_path)
    assert system.gsettings_proxy() is None
    assert _runs(fake) == [] and list(tmp_path.iterdir()) == []
