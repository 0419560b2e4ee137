"""Issue 19: a to-do list per team. ``summarize --latest`` keeps each host's newest report as
one row (capped at MAX_HOSTS, the excess counted; --redact-host reports grouped by file and
said so); ``--actionable`` drops info codes; ``--owner`` lists the hosts one team acts on
with that team's first code and fix; the counts of hosts stand beside those of reports.
Info codes never top the text's finding table or make a host look worse."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsdiag.fleet.summarize import render_csv, render_text, summarize, summarize_command, to_dict
from wsdiag.fleet.todo import HostTable

CERT = {
    "code": "ENDPOINT_CERTIFICATE",
    "severity": "info",
    "owner": "aws",
    "message": "The endpoint's certificate.",
    "remediation": "n/a",
}
NX = {
    "code": "ENDPOINT_NXDOMAIN",
    "message": "ENDPOINT_NXDOMAIN (a test's finding).",
    "severity": "error",
    "owner": "network",
    "remediation": "Enable Private DNS names.",
}
QUIC = {
    "code": "ENDPOINT_QUIC_BLOCKED",
    "message": "ENDPOINT_QUIC_BLOCKED (a test's finding).",
    "severity": "warning",
    "owner": "network",
    "remediation": "Allow UDP 4195.",
}
VPN = {
    "code": "HOME_NETWORK",
    "message": "HOME_NETWORK (a test's finding).",
    "severity": "error",
    "owner": "user",
    "remediation": "Connect the VPN.",
}


def doc(host: str, when: str, verdict: str, env: str, *findings: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema": "wsdiag.report/1",
        "tool_version": "0.2.0",
        "verdict": verdict,
        "environment": env,
        "region": "eu-west-1",
        "started_at": when,
        "host": {"name": host},
        "findings": [CERT, *findings],
    }


def write(tmp: Path, name: str, *docs: dict[str, Any]) -> Path:
    path = tmp / name
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


@pytest.fixture()
def fleet(tmp_path: Path) -> Path:
    write(
        tmp_path,
        "a.jsonl",
        doc("ws-a", "2026-12-01T08:00:00Z", "blocked", "closed", NX),
        doc("ws-a", "2026-12-02T08:00:00Z", "ready", "open-egress"),  # fixed since
        doc("ws-b", "2026-12-02T09:00:00Z", "degraded", "open-egress", QUIC),
        doc("ws-c", "2026-12-02T10:00:00Z", "blocked", "home", VPN, {**NX, "severity": "info"}),
    )
    # two machines that ran with --redact-host: no name, one row per file
    write(tmp_path, "r1.json", doc("***", "2026-12-02T11:00:00Z", "blocked", "closed", NX))
    write(tmp_path, "r2.json", doc("***", "2026-12-02T12:00:00Z", "ready", "open-egress"))
    return tmp_path


def test_latest_keeps_each_hosts_newest_report_and_counts_hosts_beside_reports(
    fleet: Path,
) -> None:
    out = to_dict(summarize([str(fleet)], latest=True))
    assert out["reports"] == 6 and out["verdict"]["blocked"] == 3  # reports: as before
    hosts = out["hosts"]
    assert hosts["count"] == 5 and hosts["verdict"] == {"blocked": 2, "ready": 2, "degraded": 1}
    rows = {r["host"]: r for r in hosts["rows"]}
    assert rows["ws-a"]["verdict"] == "ready" and rows["ws-a"]["code"] is None
    assert rows["ws-b"]["code"] == "ENDPOINT_QUIC_BLOCKED"
    assert hosts["by_file"] is True and sum(r["by_file"] for r in hosts["rows"]) == 2
    assert "one row per file" in render_text(summarize([str(fleet)], latest=True))


@pytest.mark.parametrize(
    ("owner", "want"),
    [
        ("network", {"ws-b": "ENDPOINT_QUIC_BLOCKED", "r1.json": "ENDPOINT_NXDOMAIN"}),
        ("user", {"ws-c": "HOME_NETWORK"}),  # its NXDOMAIN is a note: not the network's
        ("aws", {}),  # ENDPOINT_CERTIFICATE is an info note: nobody's to-do
    ],
)
def test_owner_lists_the_hosts_that_team_acts_on(
    fleet: Path, owner: str, want: dict[str, str]
) -> None:
    rows = to_dict(summarize([str(fleet)], owner=owner))["hosts"]["rows"]
    got = {r["host"].rsplit("/", 1)[-1]: r["code"] for r in rows}
    assert got == want
    for r in rows:
        assert r["fix"] and r["time"] and r["verdict"] and r["environment"]


def test_owner_in_csv_and_text_and_a_wrong_owner_is_a_usage_error(
    fleet: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s = summarize([str(fleet)], owner="network")
    table = list(csv.reader(io.StringIO(render_csv(s))))
    hosts = [row for row in table if row[0] == "host"]
    assert len(hosts) == 2 and all(
        "Allow UDP 4195." in r[3] or "Private DNS" in r[3] for r in hosts
    )
    assert "To do for network: 2 of 5 host(s)" in render_text(s)
    assert summarize_command([str(fleet)], "text", 10, owner="firewall") == 3
    assert "--owner must be one of" in capsys.readouterr().err
    assert summarize_command([str(fleet)], "JSON", 10, owner="Network") == 0  # any case


def test_actionable_drops_info_codes_and_info_never_tops_the_text(fleet: Path) -> None:
    plain = summarize([str(fleet)])
    assert to_dict(plain)["finding"]["ENDPOINT_CERTIFICATE"] == 6  # a field keeps its meaning
    lines = render_text(plain).splitlines()
    first = lines[lines.index(next(x for x in lines if x.startswith("Finding code"))) + 1]
    assert "ENDPOINT_CERTIFICATE" not in first
    acting = to_dict(summarize([str(fleet)], actionable=True))
    assert "ENDPOINT_CERTIFICATE" not in acting["finding"]
    assert all("ENDPOINT_CERTIFICATE" not in h["findings"] for h in acting["worst_hosts"])


def test_the_cap_counts_the_hosts_past_it() -> None:
    table = HostTable(limit=3)
    for i in range(6):
        table.add(doc(f"ws-{i}", f"2026-12-02T0{i}:00:00Z", "ready", "open-egress"), "f", "f")
    table.add(doc("ws-5", "2026-12-02T09:00:00Z", "ready", "open-egress"), "f", "f")
    table.add(doc("ws-0", "2026-12-03T00:00:00Z", "blocked", "closed", NX), "f", "f")
    assert len(table.rows) == 3 and table.over_cap == 4 and table.hosts_over_cap == 3
    assert table.rows["ws-0"].verdict == "blocked"  # a kept host still takes its newest


@settings(max_examples=50)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 50)), min_size=1, max_size=60))
def test_every_host_keeps_its_newest_whatever_the_order(reports: list[tuple[int, int]]) -> None:
    table = HostTable()
    for h, t in reports:
        table.add(doc(f"h{h}", f"2026-12-01T00:{t:02d}:00Z", "ready", "open-egress"), "f", "f")
    newest = {f"h{h}": max(t for hh, t in reports if hh == h) for h, _ in reports}
    assert {k: int(r.time[14:16]) for k, r in table.rows.items()} == newest


# --- which report is a host's newest: by the time it names, not its text (FRESH-REPORT 11) --

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("first", "second", "winner"),
    [
        ("2026-12-02T08:00:00Z", "9999-99-99", 0),  # not a time: never the newest
        ("9999-99-99", "2026-12-02T08:00:00Z", 1),
        ("2026-12-02T08:00:00Z", "", 0),
        ("not a date", "2026-12-01T00:00:00Z", 1),
        ("2026-12-02T08:00:00Z", "2026-12-02T08:00:00", 0),  # no offset: not placed in time
        # the text compares "10" > "06"; the times say 05:00Z < 06:00Z
        ("2026-12-02T10:00:00+05:00", "2026-12-02T06:00:00Z", 1),
        ("2026-12-02T06:00:00Z", "2026-12-02T10:00:00+05:00", 0),
        # the same instant spelled two ways: a tie, the later read wins (as before)
        ("2026-12-02T08:00:00Z", "2026-12-02T09:00:00+01:00", 1),
        ("2026-12-02T09:00:00+01:00", "2026-12-02T08:00:00Z", 1),
        ("junk", "more junk", 1),  # neither is a time: the later read
        # dated after tomorrow (the reading machine's clock): a wrong clock, never newer
        # than a plausible report; among such reports the time still orders them
        ("9999-12-31T23:59:59Z", "2026-12-02T08:00:00Z", 1),
        ("2026-12-02T08:00:00Z", "2030-01-01T00:00:00Z", 0),
        ("2030-01-01T00:00:00Z", "2029-01-01T00:00:00Z", 0),
        ("2030-01-01T00:00:00Z", "junk", 0),  # a time, even a suspect one, beats none
        ("2026-12-05T11:00:00Z", "2026-12-02T08:00:00Z", 0),  # within a day ahead: fine
    ],
)
def test_a_hosts_newest_is_by_the_time_named(first: str, second: str, winner: int) -> None:
    table = HostTable(now=NOW)
    verdicts = ("blocked", "ready")
    for when, verdict in zip((first, second), verdicts, strict=True):
        table.add(doc("ws-a", when, verdict, "open-egress"), "f", "f")
    assert table.rows["ws-a"].verdict == verdicts[winner]


def test_summarize_latest_ignores_a_nonsense_date(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a.jsonl",
        doc("ws-a", "2026-12-02T08:00:00Z", "ready", "open-egress"),
        doc("ws-a", "9999-99-99", "blocked", "closed", NX),
        doc("ws-b", "2026-12-02T10:00:00+05:00", "blocked", "closed", NX),
        doc("ws-b", "2026-12-02T06:00:00Z", "ready", "open-egress"),
    )
    rows = {r["host"]: r for r in to_dict(summarize([str(tmp_path)], latest=True))["hosts"]["rows"]}
    assert rows["ws-a"]["verdict"] == "ready" and rows["ws-b"]["verdict"] == "ready"


@settings(max_examples=100)
@given(
    st.lists(
        st.one_of(
            st.integers(0, 10**7).map(
                lambda s: (datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=s)).isoformat()
            ),
            st.text(max_size=12),
        ),
        min_size=1,
        max_size=12,
    ),
    st.randoms(use_true_random=False),
)
def test_the_newest_time_wins_whatever_the_order(times: list[str], rnd: Any) -> None:
    """The kept report is one of the newest parsed time (unparsed text never wins while a
    time is there), in any read order."""
    order = list(times)
    rnd.shuffle(order)
    table = HostTable(now=NOW)
    for when in order:
        table.add(doc("ws-a", when, "ready", "open-egress"), "f", "f")
    parsed = [datetime.fromisoformat(t) for t in times if t.endswith("+00:00")]
    kept = table.rows["ws-a"].time
    if parsed:
        assert datetime.fromisoformat(kept) == max(parsed)


def test_a_worst_hosts_newest_report_is_by_the_time_named(tmp_path: Path) -> None:
    """Among a host's equally bad reports the newest stands for it: by time, not text."""
    write(
        tmp_path,
        "a.jsonl",
        doc("ws-a", "2026-12-02T08:00:00Z", "blocked", "closed", NX),
        doc("ws-a", "9999-99-99", "blocked", "closed", NX),
        doc("ws-a", "2026-12-01T08:00:00Z", "blocked", "closed", NX),
    )
    worst = to_dict(summarize([str(tmp_path)]))["worst_hosts"]
    assert [h["started_at"] for h in worst] == ["2026-12-02T08:00:00Z"]
