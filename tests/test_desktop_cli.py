"""The desktop start wired into a bare `wsdiag` (wsdiag.cli.bare_start): the decision and
the I/O passed in, the check run for real against a loopback DNS server."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.dnsserver import NXDOMAIN, DnsServer
from wsdiag.cli import bare_start
from wsdiag.cli_options import CheckOptions
from wsdiag.desktop import bundle_name

ROOT = Path(__file__).resolve().parent.parent
AT = datetime(2026, 12, 3, 18, 5, 9, tzinfo=UTC)


@pytest.fixture()
def dns() -> Iterator[DnsServer]:
    with DnsServer(f"127.{random.randint(64, 250)}.0.53", zone={"*": NXDOMAIN}) as server:
        yield server


def _opts(dns: DnsServer) -> CheckOptions:
    return CheckOptions(nameserver=[dns.address], timeout=0.5, no_proxy=True, no_logs=True)


class Console:
    """The window: what was asked, what the user types (in order), what was said."""

    def __init__(self, *typed: str) -> None:
        self.typed = list(typed)
        self.asked: list[str] = []
        self.said: list[str] = []

    def ask(self, prompt: str) -> str:
        self.asked.append(prompt)
        if not self.typed:
            raise EOFError
        return self.typed.pop(0)

    def say(self, text: str) -> None:
        self.said.append(text)


def test_from_a_shell_a_bare_wsdiag_prints_the_help_and_asks_nothing(
    dns: DnsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    window = Console("eu-west-1", "")
    code = bare_start(
        False, lambda: "Usage: wsdiag", _opts(dns), ask=window.ask, say=window.say, folder=tmp_path
    )
    assert code == 3  # as before the desktop start: the help is a usage answer
    assert "Usage: wsdiag" in capsys.readouterr().err
    assert window.asked == [] and window.said == [] and list(tmp_path.iterdir()) == []
    assert dns.queries == []  # no check ran


def test_double_clicked_asks_the_region_once_checks_bundles_and_waits(
    dns: DnsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("WSDIAG_REGION", "AWS_REGION"):
        monkeypatch.delenv(var, raising=False)
    window = Console("eu-west-1", "")
    code = bare_start(
        True, lambda: "help", _opts(dns), ask=window.ask, say=window.say, folder=tmp_path, now=AT
    )
    assert code == 2  # blocked: every name NXDOMAIN
    assert len(window.asked) == 2  # the region, then the key that closes the window
    assert "Region" in window.asked[0] and "Enter" in window.asked[1]
    (made,) = tmp_path.iterdir()
    host = json.loads(zipfile.ZipFile(made).read("report.json"))["host"]["name"]
    assert made.name == bundle_name(host, "blocked", AT)
    said = "".join(window.said)
    assert said.startswith("BLOCKED")
    assert "network team" in said  # the one action
    assert str(made) in said
    with zipfile.ZipFile(made) as zf:
        names = set(zf.namelist())
        assert {"report.html", "report.json", "report.txt", "manifest.json"} <= names
        page = zf.read("report.html").decode()
        assert page.lstrip().lower().startswith("<!doctype html")
        assert "ENDPOINT_NXDOMAIN" in page
        assert json.loads(zf.read("report.json"))["region"] == "eu-west-1"


def test_double_clicked_with_a_known_region_does_not_ask_it(
    dns: DnsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WSDIAG_REGION", "us-east-1")
    window = Console("")
    bare_start(True, lambda: "help", _opts(dns), ask=window.ask, say=window.say, folder=tmp_path)
    assert len(window.asked) == 1  # only the key
    (made,) = tmp_path.iterdir()
    assert json.loads(zipfile.ZipFile(made).read("report.json"))["region"] == "us-east-1"


def test_a_desktop_that_cannot_be_written_is_said_and_the_window_still_waits(
    dns: DnsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WSDIAG_REGION", "eu-west-1")
    window = Console("")
    code = bare_start(
        True,
        lambda: "help",
        _opts(dns),
        ask=window.ask,
        say=window.say,
        folder=tmp_path / "no-such-desktop",
    )
    assert code == 2
    said = "".join(window.said)
    assert "No file was saved: cannot write" in said
    assert len(window.asked) == 1


def test_no_region_anywhere_and_none_typed_is_one_line_and_exit_3(
    dns: DnsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("WSDIAG_REGION", "AWS_REGION"):
        monkeypatch.delenv(var, raising=False)
    window = Console("", "")  # Enter at the region prompt: skipped
    code = bare_start(
        True, lambda: "help", _opts(dns), ask=window.ask, say=window.say, folder=tmp_path
    )
    assert code == 3
    said = "".join(window.said)
    assert "no region" in said and "No file was saved" in said
    assert len(window.asked) == 2 and list(tmp_path.iterdir()) == []


def test_a_bare_wsdiag_on_linux_is_the_help_on_stderr() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "wsdiag"], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert proc.returncode == 3
    assert proc.stdout == "" and "Usage: wsdiag" in proc.stderr
