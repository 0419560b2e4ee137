"""client_log_evidence(): what `wsdiag check` learns from the logs, quickly."""

from __future__ import annotations

import gzip
import json
import os
import time
from pathlib import Path

import pytest

from wsdiag.logs.evidence import client_log_evidence
from wsdiag.render.report import client_log_evidence_json
from wsdiag.vocab.logs import ClientLogEvidence

FIX = Path(__file__).parent / "fixtures" / "logs"
VPC = FIX / "field-report-vpc-session.log"
HOME = FIX / "field-report-home-no-endpoint.log"
PCOIP = FIX / "field-report-pcoip-resource-not-found.log"
HL = "privatelink.prod.ap-northeast-1.highlander.aws.a2z.com"
WSP = "privatelink.prod.ap-northeast-1.WSP.aws.a2z.com"


def _copy(src: Path, dst: Path, mtime: float) -> Path:
    dst.write_bytes(src.read_bytes())
    os.utime(dst, (mtime, mtime))
    return dst


def test_vpc_session() -> None:
    ev = client_log_evidence([VPC])
    assert ev is not None
    assert ev.region == "ap-northeast-1"
    # Names the client used come first; the block's differently printed name is kept.
    assert ev.private_hosts == (HL, WSP)
    assert ev.last_session_time == "2025-08-28T04:29:37.292Z"
    assert ev.last_session_id == "prod-ap-northeast-1-7f73a8ab-a674-49a0-81e8-465b2e99c9f1"
    assert ev.last_reachable == ("QUIC/4195", "QUIC/443", "TCP/4195", "TCP/443")
    assert ev.last_no_endpoint_reachable is False
    assert ev.client_version == "5.29.1.5595"
    assert [f.code for f in ev.findings] == ["LOGS_VPC_ENDPOINT_IN_USE"]


def test_newest_file_wins(tmp_path: Path) -> None:
    now = time.time()
    _copy(VPC, tmp_path / "a.log", now - 100)
    _copy(HOME, tmp_path / "b.log", now)
    ev = client_log_evidence([tmp_path])
    assert ev is not None
    assert ev.last_no_endpoint_reachable is True
    assert ev.last_reachable == ()
    assert ev.private_hosts == (HL,)
    assert ev.files == (str(tmp_path / "b.log"),)
    assert "LOGS_NO_ENDPOINT_REACHABLE" in [f.code for f in ev.findings]


def test_falls_back_to_an_older_file_when_the_newest_has_no_session(tmp_path: Path) -> None:
    now = time.time()
    _copy(VPC, tmp_path / "old.log", now - 100)
    newest = tmp_path / "new.log"
    newest.write_text('2025-08-29T00:00:00.000Z { Version: "5.30.0.1" }: [DBG] idle\n')
    os.utime(newest, (now, now))
    ev = client_log_evidence([tmp_path])
    assert ev is not None
    assert ev.region == "ap-northeast-1"
    assert ev.client_version == "5.30.0.1"  # the newest file knows the current version


def test_pcoip_region_from_the_broker_url() -> None:
    ev = client_log_evidence([PCOIP])
    assert ev is not None
    assert ev.region == "ap-northeast-1"
    assert ev.private_hosts == ()
    assert [f.code for f in ev.findings] == ["LOGS_PCOIP_RESOURCE_NOT_FOUND"]


def test_reads_only_the_tail(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    with path.open("wb") as fh:
        fh.write(HOME.read_bytes())  # an old session, beyond the budget
        fh.write(
            b'2025-08-28T05:06:00.000Z { Version: "5.29.1.5595" }: [DBG] filler line\n' * 50_000
        )
        fh.write(VPC.read_bytes())
    ev = client_log_evidence([path], max_bytes=64 * 1024)
    assert ev is not None
    assert ev.last_no_endpoint_reachable is False
    assert ev.last_session_id == "prod-ap-northeast-1-7f73a8ab-a674-49a0-81e8-465b2e99c9f1"


def test_region_is_folded_to_lower_case(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_text(
        '2025-08-28T04:29:38.638Z { Version: "5.29.1.5595" }: [INF] Supported endpoint: '
        '"hostname: h.example, transport: TCP, port: 4195, gatewayType: NLB", '
        "session ID: prod-EU-West-1-abc\n"
    )
    ev = client_log_evidence([path])
    assert ev is not None and ev.region == "eu-west-1"


def test_hostile_host_names_are_not_handed_to_check(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_text(
        '2025-08-28T04:29:38.638Z { Version: "5.29.1.5595" }: [INF] Supported endpoint: '
        '"hostname: privatelink.\x1b[2J.example, transport: TCP, port: 4195, gatewayType: NLB", '
        "session ID: prod-eu-west-1-abc\n"
    )
    ev = client_log_evidence([path])
    assert ev is not None and ev.private_hosts == ()


def test_big_gzip_is_skipped_small_one_read(tmp_path: Path) -> None:
    small = tmp_path / "small.log.gz"
    small.write_bytes(gzip.compress(HOME.read_bytes()))
    ev = client_log_evidence([small])
    assert ev is not None and ev.last_no_endpoint_reachable
    ev = client_log_evidence([small], max_bytes=100)
    assert ev is None  # nothing it was allowed to read


def test_no_logs_is_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert client_log_evidence([tmp_path]) is None
    monkeypatch.setattr("wsdiag.logs.files.default_log_dirs", lambda: [tmp_path / "nope"])
    assert client_log_evidence() is None


def test_unreadable_is_a_finding_not_an_exception(tmp_path: Path) -> None:
    a_file = tmp_path / "f"
    a_file.write_text("x")
    ev = client_log_evidence([a_file / "child"])
    assert ev is not None
    assert [f.code for f in ev.findings] == ["LOGS_UNREADABLE"]
    assert ev.region is None


def test_to_json_round_trips() -> None:
    ev = client_log_evidence([VPC])
    assert isinstance(ev, ClientLogEvidence)
    doc = json.loads(json.dumps(client_log_evidence_json(ev)))
    assert doc["region"] == "ap-northeast-1"
    assert doc["private_hosts"] == [HL, WSP]
    assert doc["findings"][0]["code"] == "LOGS_VPC_ENDPOINT_IN_USE"
    assert set(doc) >= {
        "region",
        "private_hosts",
        "last_session_time",
        "last_reachable",
        "last_no_endpoint_reachable",
        "client_version",
        "findings",
    }


def test_fast_on_a_large_file(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    line = b'2025-08-28T05:06:00.000Z { Version: "5.29.1.5595" }: [DBG] filler line of text\n'
    with path.open("wb") as fh:
        for _ in range(50):
            fh.write(line * 20_000)  # ~80 MB
        fh.write(VPC.read_bytes())
    start = time.perf_counter()
    ev = client_log_evidence([path])
    elapsed = time.perf_counter() - start
    assert ev is not None and ev.region == "ap-northeast-1"
    assert elapsed < 1.0, elapsed


def test_the_endpoints_own_vpce_name_is_taken_from_the_logs(tmp_path: Path) -> None:
    """issue 17: with Private DNS names off the client streams to the endpoint's own name;
    a log that names it hands it to check, which then probes it (through the proxy too)."""
    vpce = "vpce-0a1b2c3d4e5f60718-k2ez3h9q.prod.highlander.eu-west-1.vpce.amazonaws.com"
    path = tmp_path / "x.log"
    path.write_text(
        '2025-08-28T04:29:38.638Z { Version: "5.29.1.5595" }: [INF] Supported endpoint: '
        f'"hostname: {vpce}, transport: TCP, port: 4195, gatewayType: NLB", '
        "session ID: prod-eu-west-1-abc\n"
        '2025-08-28T04:29:38.638Z { Version: "5.29.1.5595" }: [INF] Supported endpoint: '
        '"hostname: vpce-1.workspaces.eu-west-1.vpce.amazonaws.com, transport: TCP, port: 443, '
        'gatewayType: NLB", session ID: prod-eu-west-1-abc\n'
    )
    ev = client_log_evidence([path])
    assert ev is not None and ev.private_hosts == (vpce,)  # not the API endpoint's name


# --- which log is newest: the lines' own times, not the files' mtimes (FRESH-REPORT item 3) --

V524 = FIX / "client-5.24-version.log"
V520 = FIX / "client-5.20-version.log"


def _dated(src: Path, dst: Path, day: str, mtime: float) -> Path:
    """``src`` with every line's date replaced by ``day`` (YYYY-MM-DD), modified at ``mtime``."""
    text = src.read_text()
    dst.write_text(
        "\n".join(day + line[10:] if line[:4].isdigit() else line for line in text.split("\n"))
    )
    os.utime(dst, (mtime, mtime))
    return dst


@pytest.mark.parametrize("swap", [False, True])
def test_version_from_the_newest_lines_whatever_the_mtimes(tmp_path: Path, swap: bool) -> None:
    """The report's two logs: a-new.log (client 5.24, lines of yesterday, mtime 10 days
    back) and z-old.log (5.20, lines of 3 days ago, mtime now). check and `wsdiag logs`
    both say 5.24; and they still agree with the mtimes the other way round."""
    from wsdiag.logs.context import read_logs
    from wsdiag.logs.report import collect

    now = time.time()
    old, new = (now, now - 10 * 86400) if not swap else (now - 10 * 86400, now)
    _dated(V524, tmp_path / "a-new.log", "2025-11-03", new)
    _dated(V520, tmp_path / "z-old.log", "2025-10-31", old)
    ctx = read_logs([tmp_path])
    assert ctx.evidence is not None and ctx.evidence.client_version == "5.24.0.5012"
    logs = collect([tmp_path], None).summary
    assert logs is not None and logs.client_version == "5.24.0.5012"


def test_the_session_of_the_newest_lines_is_the_last_one(tmp_path: Path) -> None:
    """A copy of an older session's log touched now does not hide the newer session: check
    takes what `wsdiag logs` calls the last session."""
    from wsdiag.logs.report import collect

    now = time.time()
    _dated(VPC, tmp_path / "z-old.log", "2025-08-25", now)  # reached the endpoint, 3 days earlier
    _dated(HOME, tmp_path / "a-new.log", "2025-08-28", now - 10 * 86400)  # no endpoint reachable
    ev = client_log_evidence([tmp_path])
    assert ev is not None
    assert ev.last_no_endpoint_reachable is True
    assert ev.files[0] == str(tmp_path / "a-new.log")
    last = collect([tmp_path], None).summary
    assert last is not None and last.last_session is not None
    assert ev.last_session_time == last.last_session.start_time


def test_a_log_without_times_ranks_by_its_mtime(tmp_path: Path) -> None:
    """Issue 19 item 1's rule: the mtime stands in only for a log with no timestamps."""
    now = time.time()
    _dated(HOME, tmp_path / "a.log", "2025-08-28", now - 100)
    untimed = tmp_path / "b.log"
    untimed.write_text('{ Version: "5.30.0.1" } no time on this line\n')
    os.utime(untimed, (now, now))
    ev = client_log_evidence([tmp_path])
    assert ev is not None and ev.last_no_endpoint_reachable is True


def test_logs_calls_newest_the_file_of_the_newest_lines(tmp_path: Path) -> None:
    from wsdiag.logs.report import collect, render_text

    now = time.time()
    _dated(V524, tmp_path / "a-new.log", "2025-11-03", now - 10 * 86400)
    _dated(V520, tmp_path / "z-old.log", "2025-10-31", now)
    assert f"newest: {tmp_path / 'a-new.log'}" in render_text(collect([tmp_path], None))
