"""The desktop start's decisions, on values recorded from each way of starting a console
program on Windows, and the flow with its I/O passed in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from wsdiag.desktop import (
    ConsoleProcess,
    Outcome,
    bundle_name,
    desktop_folder,
    desktop_start,
    launched_by_double_click,
    wait_for_key,
)

C = ConsoleProcess
# (system, own pid, parent pid, GetConsoleProcessList as psutil names it) -> double-click?
CASES = [
    # Explorer, one-file build: the bootloader (parent, same exe) and its child share the
    # console that Windows made for them.
    ("Windows", 4120, 3980, [C(4120, "wsdiag.exe"), C(3980, "wsdiag.exe")], True),
    # Explorer, a plain executable (one-folder build, or python.exe wsdiag.pyz): alone.
    ("Windows", 4120, 1200, [C(4120, "wsdiag.exe")], True),
    # cmd.exe: the shell shares the console.
    (
        "Windows",
        4120,
        3980,
        [C(4120, "wsdiag.exe"), C(3980, "wsdiag.exe"), C(2210, "cmd.exe")],
        False,
    ),
    # PowerShell in Windows Terminal: the shell again (conhost is not listed, pwsh is).
    ("Windows", 4120, 2210, [C(4120, "wsdiag.exe"), C(2210, "pwsh.exe")], False),
    # Another program's console that it passed on: not ours alone.
    ("Windows", 4120, 3980, [C(4120, "wsdiag.exe"), C(3980, "agent.exe")], False),
    # The list could not be read, or does not hold us: the ordinary command line.
    ("Windows", 4120, 3980, None, False),
    ("Windows", 4120, 3980, [], False),
    ("Windows", 4120, 3980, [C(5000, "wsdiag.exe")], False),
    # macOS and Linux cannot tell a double-click from a shell: never.
    ("Darwin", 4120, 1, [C(4120, "wsdiag")], False),
    ("Linux", 4120, 1, [C(4120, "wsdiag")], False),
]


@pytest.mark.parametrize(("system", "pid", "ppid", "console", "expected"), CASES)
def test_double_click_is_told_from_a_shell(
    system: str, pid: int, ppid: int, console: list[ConsoleProcess] | None, expected: bool
) -> None:
    assert launched_by_double_click(system, pid, ppid, console) is expected


def test_bundle_name_carries_host_and_verdict_and_is_a_safe_file_name() -> None:
    at = datetime(2026, 12, 3, 18, 5, 9, tzinfo=UTC)
    assert (
        bundle_name("LAPTOP-42", "blocked", at) == "wsdiag-LAPTOP-42-blocked-20261203T180509Z.zip"
    )
    assert bundle_name("***", "ready", at) == "wsdiag-host-ready-20261203T180509Z.zip"
    assert "/" not in bundle_name("a/../b\\c", "ready", at)


def test_desktop_folder_falls_back_to_home(tmp_path: Path) -> None:
    assert desktop_folder(tmp_path) == tmp_path
    (tmp_path / "Desktop").mkdir()
    assert desktop_folder(tmp_path) == tmp_path / "Desktop"


def test_the_region_is_asked_once_only_when_the_logs_did_not_name_it(tmp_path: Path) -> None:
    asked: list[str] = []
    checked: list[str | None] = []
    said: list[str] = []

    def check(region: str | None) -> Outcome:
        checked.append(region)
        return Outcome(
            "BLOCKED: not on the company network", "Connect the VPN.", tmp_path / "b.zip"
        )

    desktop_start("eu-west-1", lambda q: asked.append(q) or "", check, said.append)
    assert (asked, checked) == ([], ["eu-west-1"])
    desktop_start(None, lambda q: asked.append(q) or " ap-northeast-1 ", check, said.append)
    assert len(asked) == 1 and checked[-1] == "ap-northeast-1"
    assert said[:2] == ["BLOCKED: not on the company network", "Connect the VPN."]
    assert any(str(tmp_path / "b.zip") in line for line in said)


def test_a_bundle_that_could_not_be_written_is_said() -> None:
    said: list[str] = []
    desktop_start(
        "eu-west-1",
        input,
        lambda r: Outcome("READY", "Nothing to fix.", None, "disk full"),
        said.append,
    )
    assert said[-1] == "No file was saved: disk full"


def test_waiting_for_a_key_survives_a_closed_stdin() -> None:
    def closed(_prompt: str) -> str:
        raise EOFError

    wait_for_key(closed)  # returns: a window whose stdin is gone must still close
