"""Issue 19 item 1: old or foreign client logs never take over a ready check. Only sessions of
the last 7 days (their own timestamps; the file's mtime where the log has none;
``--logs-since``) and of the checked region count; the rest are one note with its age; the
live verdict's advice leads. As root, the console user's profile (pure decisions on recorded
outputs)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.synth import O, results
from tests.test_helpdesk_advice import report_of
from wsdiag.host import users
from wsdiag.logs.context import read_logs, scope_logs
from wsdiag.logs.scope import age_words, scope
from wsdiag.render import advice as adv
from wsdiag.render.formats import render_line
from wsdiag.render.report import to_json
from wsdiag.render.text import render_text
from wsdiag.vocab.logs import LogSummary, Protocol, Session
from wsdiag.vocab.model import Verdict
from wsdiag.vocab.report import Diagnosis

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "logs"
HOME_LOG = FIXTURES / "field-report-home-no-endpoint.log"  # ap-northeast-1, 2025-08-28
LOGGED = datetime(2025, 8, 28, 5, 6, tzinfo=UTC)


def _codes(ctx: object) -> set[str]:
    return {f.code for f in ctx.findings}  # type: ignore[attr-defined]


def _ctx(path: Path = HOME_LOG, since: datetime | None = None) -> object:
    return read_logs([path], since=since)


@pytest.mark.parametrize(
    ("region", "now", "counted"),
    [
        ("ap-northeast-1", LOGGED + timedelta(days=1), True),  # recent, this region: counts
        ("ap-northeast-1", LOGGED + timedelta(days=8), False),  # older than a week
        ("eu-west-1", LOGGED + timedelta(days=1), False),  # another region
        ("eu-west-1", LOGGED + timedelta(days=460), False),  # the issue's: 15 months, foreign
    ],
)
def test_only_recent_sessions_of_the_checked_region_count(
    region: str, now: datetime, counted: bool
) -> None:
    ctx = scope_logs(_ctx(), region, now)  # type: ignore[arg-type]
    codes = _codes(ctx)
    assert ("LOGS_NO_ENDPOINT_REACHABLE" in codes) is counted, codes
    assert ("LOGS_NOT_COUNTED" in codes) is not counted, codes
    if not counted:
        note = next(f for f in ctx.findings if f.code == "LOGS_NOT_COUNTED")
        assert note.severity.value == "info" and note.owner is not None
        assert "2025-08-28" in note.message and " ago" in note.message
        assert not ctx.private_hosts, "no private name of an old or foreign session is dialed"
    # the region read from the logs stays: it may have chosen the region
    assert ctx.region == "ap-northeast-1"


def test_logs_since_widens_the_window() -> None:
    now = LOGGED + timedelta(days=460)
    ctx = scope_logs(_ctx(since=LOGGED - timedelta(days=1)), "ap-northeast-1", now)  # type: ignore[arg-type]
    assert "LOGS_NO_ENDPOINT_REACHABLE" in _codes(ctx)


def test_the_files_mtime_stands_in_only_where_the_log_has_no_timestamp() -> None:
    untimed = Session("k", None, "eu-west-1", Protocol.DCV, None, None, source="/x.log")
    timed = Session(
        "t", None, "eu-west-1", Protocol.DCV, "2020-01-01T00:00:00Z", None, source="/x.log"
    )
    summary = LogSummary(None, (untimed, timed), 2, (), 10, 10)
    recent = datetime(2026, 12, 3, tzinfo=UTC)
    out = scope(summary, recent - timedelta(days=7), "eu-west-1", {"/x.log": recent.timestamp()})
    assert [s.key for s in out.summary.sessions] == ["k"]  # the untimed one, by mtime
    assert [s.key for s in out.left_out] == ["t"]  # its own timestamp wins over the mtime


@given(st.floats(min_value=0, max_value=50 * 365 * 86400))
def test_age_words_are_a_count_and_a_unit(seconds: float) -> None:
    n, unit = age_words(seconds).split()
    assert int(n) >= 1 and unit.rstrip("s") in ("hour", "day", "week", "month", "year")


def test_a_ready_check_with_old_foreign_logs_leads_with_the_live_verdict() -> None:
    ready = report_of(results(endpoint=O, health=O))
    assert ready.diagnosis.verdict is Verdict.READY
    old = scope_logs(_ctx(), "eu-west-1", LOGGED + timedelta(days=460))  # type: ignore[arg-type]
    # and the unscoped logs, as main had them, to show what the live lead protects against
    raw = _ctx()
    for ctx in (old, raw):
        d = ready.diagnosis
        report = type(ready)(
            **{
                **ready.__dict__,
                "diagnosis": Diagnosis(d.environment, d.verdict, d.findings + ctx.findings, d.rule),  # type: ignore[attr-defined]
            }
        )
        advice = adv.advise(report)
        assert advice.first == "Nothing to do: streaming should work from here."
        text = render_text(report, width=100)
        assert "You can fix this now" not in text
        line = render_line(to_json(report))
        assert line.startswith("ready ") and "fix: Nothing to fix" not in line
    assert "LOGS_NO_ENDPOINT_REACHABLE" not in {f.code for f in old.findings}


# --- the console user (recorded outputs) ---------------------------------------------------

LOGINCTL_ONE = """Name=jane
Seat=seat0
Active=yes
Class=user
Remote=no

Name=svc-backup
Seat=
Active=yes
Class=user
Remote=no

Name=gdm
Seat=seat0
Active=no
Class=greeter
Remote=no
"""
LOGINCTL_TWO = LOGINCTL_ONE.replace("Name=svc-backup\nSeat=", "Name=bob\nSeat=seat1")
LOGINCTL_SSH = "Name=jane\nSeat=\nActive=yes\nClass=user\nRemote=yes\n"


@pytest.mark.parametrize(
    ("text", "want"),
    [(LOGINCTL_ONE, "jane"), (LOGINCTL_TWO, None), (LOGINCTL_SSH, None), ("", None)],
    ids=["one-seat", "two-seats", "ssh-only", "none"],
)
def test_linux_console_user_is_the_one_active_seat(text: str, want: str | None) -> None:
    assert users.linux_console_user(users.parse_loginctl_show(text)) == want


@pytest.mark.parametrize(
    ("uid", "name", "want"),
    [(501, "jane", "jane"), (0, "root", None), (248, "_mbsetupuser", None), (None, None, None)],
)
def test_macos_console_user_is_the_dev_console_owner(
    uid: int | None, name: str | None, want: str | None
) -> None:
    assert users.macos_console_user(uid, name) == want


@pytest.mark.parametrize(
    ("sid", "name", "want"),
    [(1, "jane", "jane"), (0xFFFFFFFF, None, None), (0, "SYSTEM", None), (2, "", None)],
)
def test_windows_console_user_is_the_console_sessions(
    sid: int | None, name: str | None, want: str | None
) -> None:
    assert users.windows_console_user(sid, name) == want


@pytest.mark.skipif(os.geteuid() != 0, reason="as root only")
def test_as_root_a_recent_short_lived_profile_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wsdiag.host import identity

    monkeypatch.setattr(identity, "console_user", lambda: None)
    assert identity.other_users_logs() is None
