"""`wsdiag logs`: text and JSON output, the schema, exit codes, untrusted text, the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import pytest

from wsdiag.errors import WsdiagError
from wsdiag.logs.report import collect, logs_command, render_text, to_json

ROOT = Path(__file__).resolve().parents[1]
FIX = ROOT / "tests" / "fixtures" / "logs"
VPC = FIX / "field-report-vpc-session.log"
HOME = FIX / "field-report-home-no-endpoint.log"
HOME_GZ = FIX / "field-report-home-no-endpoint.log.gz"
PCOIP = FIX / "field-report-pcoip-resource-not-found.log"
SCHEMA = json.loads((ROOT / "wsdiag" / "schema" / "logs.schema.json").read_text())


def run(
    capsys: pytest.CaptureFixture[str],
    paths: list[Path],
    since: str | None = None,
    js: bool = False,
) -> tuple[int, str]:
    code = logs_command(paths, since, js)
    return code, capsys.readouterr().out


def validate(doc: object) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)


@pytest.mark.parametrize(
    ("paths", "exit_code", "first_code"),
    [
        ([VPC], 0, "LOGS_VPC_ENDPOINT_IN_USE"),
        ([HOME_GZ], 2, "LOGS_NO_ENDPOINT_REACHABLE"),
        ([PCOIP], 2, "LOGS_PCOIP_RESOURCE_NOT_FOUND"),
        ([VPC, Path("/nonexistent/wsdiag.log")], 1, "LOGS_NOT_FOUND"),
        ([Path("/nonexistent/wsdiag.log")], 3, "LOGS_NOT_FOUND"),
    ],
)
def test_json_output_holds_to_the_schema(
    capsys: pytest.CaptureFixture[str], paths: list[Path], exit_code: int, first_code: str
) -> None:
    code, out = run(capsys, paths, js=True)
    doc = json.loads(out)
    validate(doc)
    assert doc["schema"] == "wsdiag.logs/1"
    assert (code, doc["exit_code"]) == (exit_code, exit_code)
    assert doc["findings"][0]["code"] == first_code


def test_json_of_the_whole_field_report(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, [VPC, HOME, PCOIP], js=True)
    doc = json.loads(out)
    validate(doc)
    assert code == 2
    assert [s["outcome"] for s in doc["sessions"]] == [
        "connecting",
        "no-endpoint-reachable",
        "broker-error",
    ]
    first = doc["sessions"][0]
    assert first["region"] == "ap-northeast-1"
    assert first["attempted"]["host"] == "privatelink.prod.ap-northeast-1.highlander.aws.a2z.com"
    assert [e["port"] for e in first["reachable"]] == [4195, 443, 4195, 443]
    assert doc["sessions"][2]["errors"][0]["code"] == "RESOURCE_NOT_FOUND"
    assert doc["client_version"] == "5.29.1.5595"


def test_text_timeline(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, [VPC, HOME, PCOIP])
    assert code == 2
    assert "\x1b[" not in out  # not a terminal: no colour
    for expected in (
        "prod-ap-northeast-1-7f73a8ab-a674-49a0-81e8-465b2e99c9f1",
        "privatelink.prod.ap-northeast-1.highlander.aws.a2z.com  "
        "QUIC/4195 QUIC/443 TCP/4195 TCP/443",
        "no endpoint reachable (2025-08-28T05:05:17.238Z)",
        "RESOURCE_NOT_FOUND: Resource was not found. (PerformResourceActionConnect)",
        "LOGS_PCOIP_RESOURCE_NOT_FOUND",
        "client 5.29.1.5595",
    ):
        assert expected in out
    # Sessions in time order, findings after the timeline.
    assert (
        out.index("04:29:37")
        < out.index("05:05:17")
        < out.index("05:29:49")
        < out.index("Findings:")
    )


def test_since_window(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, [VPC, HOME, PCOIP], since="2025-08-28T05:10Z", js=True)
    doc = json.loads(out)
    assert [s["outcome"] for s in doc["sessions"]] == ["broker-error"]
    assert doc["since"] == "2025-08-28T05:10:00Z"
    assert code == 2


def test_since_excluding_every_file_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    old = tmp_path / "old.log"
    old.write_bytes(VPC.read_bytes())
    os.utime(old, (1_000_000, 1_000_000))
    code, out = run(capsys, [tmp_path], since="1h")
    assert code == 3
    assert "modified since" in out


def test_bad_since_raises_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(WsdiagError):
        logs_command([VPC], "yesterday", False)
    assert capsys.readouterr().out == ""


def test_control_characters_never_reach_the_terminal(tmp_path: Path) -> None:
    evil_host = "privatelink.\x1b]0;pwned\x07\x1b[2J\u202eevil.com"
    line = (
        '2025-08-28T04:29:38.638Z { Version: "5.29\x1b[31m" }: [INF] Supported endpoint: '
        f'"hostname: {evil_host}, transport: QUIC, port: 4195, gatewayType: NLB", '
        "session ID: prod-eu-west-1-1"
    )
    path = tmp_path / "evil\x1b[1m.log"
    path.write_text(line + "\n", encoding="utf-8")
    result = collect([path], None)
    out = render_text(result, colour=False)
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b]0;pwned\\x07" in out
    assert "\\u202e" in out
    # JSON escapes them by itself (ensure_ascii).
    assert "\x1b" not in json.dumps(to_json(result))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "HOME": "/nonexistent-wsdiag-home"}
    return subprocess.run(
        [sys.executable, "-m", "wsdiag", "logs", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )


def test_cli_logs_subprocess() -> None:
    proc = _cli(str(VPC.relative_to(ROOT)), str(HOME_GZ.relative_to(ROOT)), "--json")
    assert proc.returncode == 2, proc.stderr
    doc = json.loads(proc.stdout)
    validate(doc)
    assert len(doc["sessions"]) == 2
    assert proc.stderr == ""


def test_cli_logs_bad_since_subprocess() -> None:
    proc = _cli(str(VPC.relative_to(ROOT)), "--since", "soon")
    assert proc.returncode == 3
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "--since" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_logs_without_any_logs_subprocess() -> None:
    proc = _cli()
    assert proc.returncode == 3
    assert "LOGS_NOT_FOUND" in proc.stdout
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("kind", ["fifo", "/dev/zero"])
def test_a_path_that_is_not_a_regular_file_is_unreadable_not_missing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    """``wsdiag logs FIFO`` and ``logs /dev/zero`` said LOGS_NOT_FOUND ("no log files were
    found") first; the file exists and was refused as not a regular file."""
    import os

    path = Path("/dev/zero")
    if kind == "fifo":
        path = tmp_path / "client.log"
        os.mkfifo(path)
    code, out = run(capsys, [path], js=True)
    doc = json.loads(out)
    validate(doc)
    assert code == 3
    assert [f["code"] for f in doc["findings"]] == ["LOGS_UNREADABLE"]
    assert "not a regular file" in doc["findings"][0]["message"]


def test_a_log_directory_reads_only_what_looks_like_the_clients_logs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``wsdiag logs DIR`` read a README.md beside the logs as a client log. A file found
    in a folder is read when its name is a log's or a line of it is in the client's format."""
    (tmp_path / "README.md").write_text("# Notes\n\nConnecting WorkSpace using QUIC\n")
    (tmp_path / "settings.json").write_text('{"a": 1}\n')
    (tmp_path / "renamed-export").write_bytes(VPC.read_bytes())  # content in the format
    (tmp_path / "client.log").write_bytes(VPC.read_bytes())
    _, out = run(capsys, [tmp_path], js=True)
    doc = json.loads(out)
    validate(doc)
    read = {Path(f["path"]).name for f in doc["files"]}
    assert read == {"renamed-export", "client.log"}
    skipped = {Path(s["path"]).name: s["reason"] for s in doc["skipped"]}
    assert skipped == {"README.md": "not-a-client-log", "settings.json": "not-a-client-log"}
