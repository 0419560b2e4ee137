"""Nothing wsdiag writes can be redirected by a link (issue 18, defect 1).

The issue's reproduction: a symbolic or hard link planted at ``out.zip.part`` (the name the
old writer used for its temporary file) turned the link's target into a zip or truncated
its inode. Each case is run on real files in a temporary folder; the folder checks run as
root for real (``chown`` to another uid) when the suite is root, and through ``as_root``
otherwise.
"""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from wsdiag.bundle import Part, write_bundle
from wsdiag.redact import Redaction

PRECIOUS = b"precious\n"


def _outfile() -> ModuleType:
    # Imported per test: the link tests below run against the old writer too (which had no
    # wsdiag.outfile) and fail there for the reason the issue gives, not at collection.
    from wsdiag import outfile

    return outfile


PARTS = [Part("report.txt", "the check", b"READY: fine\n")]


def _victim(tmp_path: Path) -> Path:
    victim = tmp_path / "victim"
    victim.write_bytes(PRECIOUS)
    return victim


def _no_leftovers(folder: Path, *keep: str) -> None:
    assert sorted(p.name for p in folder.iterdir()) == sorted(keep)


@pytest.mark.parametrize("link", ["symlink", "hardlink"])
def test_a_link_at_the_old_temporary_name_is_never_written_through(
    tmp_path: Path, link: str
) -> None:
    victim = _victim(tmp_path)
    out = tmp_path / "out.zip"
    part = tmp_path / "out.zip.part"
    if link == "symlink":
        part.symlink_to(victim)
    else:
        os.link(victim, part)
    write_bundle(out, PARTS, Redaction())
    assert victim.read_bytes() == PRECIOUS  # the old writer made it "PK..." (or empty)
    with zipfile.ZipFile(out) as zf:
        assert zf.read("report.txt") == b"READY: fine\n"
    assert os.lstat(part).st_nlink == (2 if link == "hardlink" else 1)  # left as it was
    _no_leftovers(tmp_path, "victim", "out.zip", "out.zip.part")


@pytest.mark.parametrize("kind", ["symlink", "dangling", "fifo", "directory"])
def test_a_target_that_is_not_a_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    victim = _victim(tmp_path)
    out = tmp_path / "out.html"
    if kind == "symlink":
        out.symlink_to(victim)
    elif kind == "dangling":  # root following it would create a file where the link says
        out.symlink_to(tmp_path / "created-by-the-link")
    elif kind == "fifo":
        os.mkfifo(out)
    else:
        out.mkdir()
    with pytest.raises(_outfile().OutputRefused):
        _outfile().write_file(out, b"<html>")
    assert victim.read_bytes() == PRECIOUS
    assert not (tmp_path / "created-by-the-link").exists()
    _no_leftovers(tmp_path, "victim", "out.html")


def test_an_existing_regular_file_is_replaced_whole_and_its_hard_links_keep_the_old(
    tmp_path: Path,
) -> None:
    out = tmp_path / "last.json"
    out.write_bytes(PRECIOUS)
    other = tmp_path / "other-link"
    os.link(out, other)
    _outfile().write_file(out, b"{}\n")
    assert out.read_bytes() == b"{}\n" and other.read_bytes() == PRECIOUS
    assert os.stat(out).st_ino != os.stat(other).st_ino
    _no_leftovers(tmp_path, "last.json", "other-link")


def test_the_new_file_has_the_mode_a_shell_redirection_gives(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        _outfile().write_file(tmp_path / "r.txt", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "r.txt").st_mode) == 0o640


def test_a_failed_write_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        _outfile().write_file(tmp_path / "missing" / "x.zip", b"data")
    _no_leftovers(tmp_path)


@pytest.mark.parametrize(
    ("mode", "owner", "ok"),
    [
        (0o755, 0, True),  # /var/log/wsdiag as systemd's LogsDirectory makes it
        (0o1777, 0, True),  # /tmp: sticky and root's
        (0o777, 0, False),  # anyone could swap its entries
        (0o775, 0, False),  # so could the group
        (0o755, 4242, False),  # another account's folder
        (0o1777, 4242, False),  # sticky, but the owner may still do anything in it
    ],
)
def test_as_root_a_folder_others_can_write_is_refused(
    tmp_path: Path, mode: int, owner: int, ok: bool
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    if os.geteuid() == 0:
        os.chown(folder, owner, -1)
    elif owner != os.geteuid():
        pytest.skip("needs root to give a folder to another account")
    folder.chmod(mode)
    target = folder / "report.json"
    if ok:
        _outfile().write_file(target, b"{}", as_root=True)
        assert target.read_bytes() == b"{}"
    else:
        with pytest.raises(_outfile().OutputRefused):
            _outfile().write_file(target, b"{}", as_root=True)
        assert not target.exists() and not list(folder.iterdir())
    # a person writing into their own group-writable folder is not refused
    if not ok and owner == 0 and os.geteuid() == 0:
        _outfile().write_file(target, b"{}", as_root=False)
        assert target.read_bytes() == b"{}"


def test_a_folder_given_through_a_link_is_checked_where_it_leads(tmp_path: Path) -> None:
    """macOS's /tmp is a link to /private/tmp: following a link to the folder is allowed,
    and the folder reached is the one checked."""
    real = tmp_path / "real"
    real.mkdir()
    real.chmod(0o777)
    (tmp_path / "via").symlink_to(real)
    if os.geteuid() == 0:
        with pytest.raises(_outfile().OutputRefused):
            _outfile().write_file(tmp_path / "via" / "x.json", b"{}", as_root=True)
    real.chmod(0o755)
    _outfile().write_file(tmp_path / "via" / "x.json", b"{}", as_root=os.geteuid() == 0)
    assert (real / "x.json").read_bytes() == b"{}"


def _link_owned_by(link: Path, target: Path, uid: int) -> None:
    link.symlink_to(target)
    os.lchown(link, uid, -1)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a link to another account")
@pytest.mark.parametrize("through", ["direct", "behind a root link"])
def test_as_root_a_folder_path_through_another_accounts_link_is_refused(
    tmp_path: Path, through: str
) -> None:
    """nobody's ``ln -s /root/dir /tmp/evil`` then root's ``-o /tmp/evil/x.json``: refused,
    also when root's own link leads through nobody's."""
    victim = tmp_path / "rootdir"
    victim.mkdir(mode=0o700)
    sticky = tmp_path / "tmp"
    sticky.mkdir()
    sticky.chmod(0o1777)
    _link_owned_by(sticky / "evil", victim, 65534)
    via = sticky / "evil"
    if through == "behind a root link":
        (tmp_path / "rootlink").symlink_to(sticky)
        via = tmp_path / "rootlink" / "evil"
    with pytest.raises(_outfile().OutputRefused, match="uid 65534"):
        _outfile().write_file(via / "x.json", b"{}", as_root=True)
    assert not list(victim.iterdir())
    # the same link owned by root is followed (macOS's /tmp -> /private/tmp)
    os.lchown(sticky / "evil", 0, -1)
    _outfile().write_file(via / "x.json", b"{}", as_root=True)
    assert (victim / "x.json").read_bytes() == b"{}"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a link to another account")
def test_root_show_html_through_a_users_link_is_one_line_exit_3(tmp_path: Path) -> None:
    """The CLI end: ``wsdiag show REPORT --html /tmp/evil/x.html`` as root."""
    import subprocess
    import sys

    victim = tmp_path / "rootdir"
    victim.mkdir(mode=0o700)
    _link_owned_by(tmp_path / "evil", victim, 65534)
    sample = sorted((Path(__file__).parent.parent / "examples/reports").glob("*.json"))[0]
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "wsdiag",
            "show",
            str(sample),
            "--html",
            str(tmp_path / "evil/x.html"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    assert proc.returncode == 3, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "symbolic link" in proc.stderr
    assert not list(victim.iterdir())
