"""Output formats: line/jamf for "last line" fields, json-line within SSM's budget, host block,
redaction, and "unknown" with a reason when no report could be made."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.test_check_loopback import (  # noqa: F401  (lab: a pytest fixture)
    AUTH_DEAD,
    EP_A,
    EP_B,
    HEALTH_DEAD,
    NET,
    PRIVATE,
    REGION,
    SCHEMA_VALIDATOR,
    Lab,
    lab,
)
from wsdiag.render.formats import (
    LINE_MAX,
    Format,
    compact,
    error_output,
    render_jamf,
    render_line,
    requested_format,
)
from wsdiag.vocab.model import USUAL_CAUSE

ROOT = Path(__file__).resolve().parent.parent
REPORTS = sorted((ROOT / "examples" / "reports").glob("*.json"))
FIXTURES = ROOT / "tests" / "fixtures" / "logs"
ORG = ROOT / "examples" / "org-catalog.toml"
VERDICTS = ("ready", "degraded", "blocked", "unknown")
JSON_LINE_BUDGET = 20_000  # bytes; SSM Run Command keeps the first 24,000 characters
VPCE = "vpce-0123456789abcdef0-abcdefgh.prod.highlander.eu-west-1.vpce.amazonaws.com"


@pytest.mark.parametrize("path", REPORTS, ids=[p.stem for p in REPORTS])
def test_line_of_every_lab_scenario_fits_with_the_verdict_first(path: Path) -> None:
    report = json.loads(path.read_text())
    line = render_line(report)
    assert len(line) <= LINE_MAX and "\n" not in line and line.isascii()
    assert line.split()[0] == report["verdict"]
    assert f"env={report['environment']}" in line
    for f in report["findings"]:  # the actionable ones; notes (info, any owner) stay in the JSON
        assert (f["code"] in line) == (f["severity"] != "info")
    jamf = render_jamf(report)
    assert jamf.startswith(f"<result>{report['verdict']} ") and jamf.endswith("</result>")


@pytest.mark.parametrize("path", REPORTS, ids=[p.stem for p in REPORTS])
def test_json_line_drops_only_empty_fields_and_holds_to_the_schema(path: Path) -> None:
    report = json.loads(path.read_text())
    small = compact(report)
    SCHEMA_VALIDATOR.validate(small)
    for key in ("probes", "dns"):
        for full, kept in zip(report[key], small[key], strict=True):
            # each OS server asked alone: its null, empty and false fields left out
            for s_full, s_kept in zip(
                full.get("servers", []), kept.get("servers", []), strict=True
            ):
                assert s_kept.items() <= s_full.items()
                assert all(
                    s_full[k] in (None, "", [], False) or k == "order"
                    for k in s_full.keys() - s_kept.keys()
                )
            full = {k: v for k, v in full.items() if k != "servers"}
            kept = {k: v for k, v in kept.items() if k != "servers"}
            assert kept.items() <= full.items()
            # certificate chains are left out of json-line (findings name the issuers), and a
            # probe's host where a dns entry of its target names it
            named = {(d["target"], d["host"]) for d in report["dns"]}
            for k in full.keys() - kept.keys() - {"certs"}:
                assert (
                    full[k] in (None, "", [])
                    or (key == "probes" and k == "host" and (full["target"], full[k]) in named)
                    or (
                        key == "probes"
                        and k == "cause"
                        and USUAL_CAUSE.get(full["status"]) == full[k]
                    )
                    or (
                        key == "dns"
                        and k == "id"
                        and full[k] == f"{full['target']}/dns/{full['type']}"
                    )
                ), k
    # a finding's probes only where its basis lists the same ids
    for full_f, kept_f in zip(report["findings"], small["findings"], strict=True):
        if "probes" not in kept_f:
            assert set(full_f["probes"]) == {i for ids in full_f["basis"].values() for i in ids}
        assert {k: v for k, v in full_f.items() if k != "probes"} == {
            k: v for k, v in kept_f.items() if k != "probes"
        }
    assert {
        k: v for k, v in report.items() if k not in ("probes", "dns", "findings", "evidence")
    } == {k: v for k, v in small.items() if k not in ("probes", "dns", "findings", "evidence")}
    # evidence facts that are unknown are left out (a reader's default)
    assert small["evidence"] == {k: v for k, v in report["evidence"].items() if v != "unknown"}


def test_unknown_says_why() -> None:
    report = json.loads((ROOT / "examples" / "reports" / "closed.json").read_text())
    report["verdict"] = "unknown"
    assert "reason: " + report["findings"][0]["message"][:40] in render_line(report)
    assert render_line({}).startswith("unknown env=unknown host=- region=- findings=- reason:")


_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=3000)


@given(st.sampled_from(VERDICTS), _text, st.lists(st.tuples(_text, _text), max_size=40))
def test_line_is_always_one_ascii_line_within_budget(
    verdict: str, host: str, findings: list[tuple[str, str]]
) -> None:
    report = {
        "verdict": verdict,
        "environment": "closed",
        "region": "eu-west-1",
        "host": {"name": host},
        "findings": [
            {"code": c, "message": m, "remediation": m, "severity": "error"} for c, m in findings
        ],
    }
    line = render_line(report)
    assert len(line) <= LINE_MAX and line.isascii() and line.isprintable()
    assert line.split(" ")[0] == verdict
    jamf = render_jamf(report)
    assert jamf.count("<") == 2 and jamf.count(">") == 2  # escaped inside


@pytest.mark.parametrize(
    ("argv", "fmt"),
    [
        (["check", "--format", "line"], Format.LINE),
        (["check", "--format=jamf", "-r", "x"], Format.JAMF),
        (["check", "--json"], None),
        (["check", "--format"], None),
        (["check", "--format", "xml"], None),
    ],
)
def test_requested_format_read_without_the_parser(argv: list[str], fmt: Format | None) -> None:
    assert requested_format(argv) is fmt


def test_error_output() -> None:
    assert error_output(Format.LINE, "usage error: x\ny") == "unknown reason: usage error: x y\n"
    assert error_output(Format.JAMF, "a <b>") == "<result>unknown reason: a &lt;b&gt;</result>\n"
    assert error_output(Format.JSON, "x") is None and error_output(None, "x") is None


def _wsdiag(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wsdiag", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )


@pytest.mark.parametrize("fmt", ["line", "jamf"])
def test_usage_errors_print_unknown_on_stdout_too(fmt: str) -> None:
    proc = _wsdiag("check", "--format", fmt, "--regoin", "eu-west-1")
    assert proc.returncode == 3
    assert proc.stderr.count("\n") == 1 and "No such option" in proc.stderr
    last = proc.stdout.splitlines()[-1]
    assert "unknown reason: usage error: No such option: --regoin" in last
    assert last.startswith("unknown" if fmt == "line" else "<result>unknown")


def test_contradicting_json_and_format_is_a_usage_error() -> None:
    proc = _wsdiag("check", "--json", "--format", "line", "--region", REGION)
    assert proc.returncode == 3 and "contradict" in proc.stderr
    assert proc.stdout.startswith("unknown reason: ")


def _home_with_logs(tmp: Path, user: str) -> tuple[Path, dict[str, str]]:
    """A home directory for a person-like user, holding the client's logs (fixtures)."""
    home = tmp / "home" / user
    logs = home / ".local" / "share" / "Amazon Web Services" / "Amazon WorkSpaces" / "logs"
    logs.mkdir(parents=True)
    # Dated yesterday: a check counts only the last week's sessions (issue 19 item 1), and
    # the budget is about logs that count.
    yesterday = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
    for name in ("field-report-vpc-session.log", "field-report-home-no-endpoint.log"):
        text = (FIXTURES / name).read_text().replace("2025-08-28", yesterday)
        (logs / name).write_text(text)
    # newest of all profiles on this machine (run as root, every profile's logs compete)
    future = time.time() + 3600
    os.utime(logs / "field-report-vpc-session.log", (future, future))
    return home, {"HOME": str(home), "USER": user, "LOGNAME": user, "XDG_DATA_HOME": ""}


def test_json_line_of_the_largest_report_keeps_its_budget(lab: Lab, tmp_path: Path) -> None:  # noqa: F811
    """Client logs and an organisation catalog included, against real loopback servers."""
    _, env = _home_with_logs(tmp_path, "wo.jane.doe")
    sizes = {}
    for name, endpoint, auth, health in (
        ("closed", [EP_A, EP_B], AUTH_DEAD, HEALTH_DEAD),
        ("open", [EP_A, EP_B], None, None),
    ):
        lab.zone(endpoint, **({"auth": auth, "health": health} if auth else {}))
        zone = dict(lab.dns.zone)
        zone[VPCE] = [EP_A, EP_B]
        lab.dns.zone = zone
        proc = _wsdiag(
            "check",
            "--region",
            REGION,
            "--format",
            "json-line",
            "--nameserver",
            lab.dns.address,
            "--vpc-cidr",
            f"127.{NET}.1.0/24",
            "--directory-id",
            "d-1234567890",
            "--timeout",
            "1",
            "--probes",
            str(ORG),
            env={**lab.env, **env},
        )
        assert proc.stderr == ""
        assert proc.stdout.count("\n") == 1 and proc.stdout.isascii()
        report = json.loads(proc.stdout)
        SCHEMA_VALIDATOR.validate(report)
        assert report["logs"] and report["logs"]["files"], "the client logs were read"
        assert any(f["code"].startswith("LOGS_") for f in report["findings"]), "and count"
        assert any(p["target"] == "corp-idp" for p in report["probes"]), "org catalog used"
        assert report["host"]["view"]["logs"] == "own"
        assert "wo.jane.doe" not in proc.stdout and "home paths" in report["host"]["redacted"]
        sizes[name] = len(proc.stdout.encode())
        if os.environ.get("WO_DUMP"):
            Path(os.environ["WO_DUMP"], f"{name}.json").write_text(proc.stdout)
        line = render_line(report)
        assert line.split()[0] == report["verdict"] and len(line) <= LINE_MAX
    print(f"json-line sizes (bytes): {sizes}")
    assert max(sizes.values()) <= JSON_LINE_BUDGET, sizes


def test_host_block_and_redaction_options(lab: Lab, tmp_path: Path) -> None:  # noqa: F811
    lab.zone([EP_A])
    home, env = _home_with_logs(tmp_path, "wo.jane.doe")
    base = [
        "check",
        "--region",
        REGION,
        "--nameserver",
        lab.dns.address,
        "--timeout",
        "1",
        "--vpc-cidr",
        f"127.{NET}.1.0/24",
    ]
    hidden = json.loads(_wsdiag(*base, "--json", "--redact-host", env={**lab.env, **env}).stdout)
    assert hidden["host"]["name"] == "***"
    assert hidden["host"]["redacted"] == [
        "URL credentials",
        "user names",
        "home paths",
        "host name",
    ]
    assert hidden["host"]["account"] in ("root", "user")
    assert hidden["host"]["tool_version"] == hidden["tool_version"]
    kept = _wsdiag(*base, "--format", "json", "--no-redact", env={**lab.env, **env}).stdout
    assert str(home) in kept  # the logs' file paths, kept as they are
    assert json.loads(kept)["host"]["redacted"] == []


def test_unknown_reason_is_what_left_it_unmeasured() -> None:
    report = {
        "verdict": "unknown",
        "findings": [
            {"code": "ENDPOINT_ADDRESS_SILENT", "severity": "warning", "message": "one AZ silent"},
            {
                "code": "PROXY_UNSUPPORTED_SCHEME",
                "severity": "warning",
                "message": "socks untested",
            },
            {"code": "NOT_MEASURED", "severity": "info", "message": "could not measure x"},
        ],
    }
    line = render_line(report)
    assert "reason: socks untested" in line and "reason: one AZ" not in line


def test_unknown_with_nothing_to_act_on_gives_what_would_measure_it_as_the_fix() -> None:
    """NOT_MEASURED is a note (info, whoever owns it: not in findings=), yet the line of an
    unknown verdict still carries its step."""
    fix = "Run `wsdiag check -v` and read where each unmeasured probe stopped."
    report = {
        "verdict": "unknown",
        "findings": [
            {
                "code": "NOT_MEASURED",
                "severity": "info",
                "owner": "user",
                "message": "Could not measure: QUIC to the endpoint",
                "remediation": fix,
            },
        ],
    }
    line = render_line(report)
    assert " findings=- reason: Could not measure: QUIC" in line
    assert line.endswith(f" fix: {fix}")
    # where someone acts, the line's fix is theirs, never the note's
    acted = {"code": "X_BLOCKED", "severity": "warning", "owner": "network", "remediation": "Y."}
    report["findings"].insert(0, acted)  # type: ignore[attr-defined]
    assert render_line(report).endswith(
        " findings=X_BLOCKED reason: Could not measure: QUIC to the endpoint fix: Y."
    )


@pytest.mark.parametrize("code", ["PAC_NOT_USED", "PAC_ANSWER_BROKEN"])
def test_unknown_reason_names_the_pac_that_could_not_be_used(code: str) -> None:
    """Fresh report item 17: a broken PAC's run said only NOT_MEASURED's "Could not measure:
    registration reachable"; the PAC's own finding says what to fix."""
    report = {
        "verdict": "unknown",
        "findings": [
            {"code": "NOT_MEASURED", "severity": "info", "message": "could not measure x"},
            {"code": code, "severity": "warning", "message": "the PAC script does not run"},
        ],
    }
    assert "reason: the PAC script does not run" in render_line(report)


def test_json_line_keeps_a_cause_its_status_does_not_imply() -> None:
    probe = {"id": "e/tcp/443", "target": "e", "transport": "tcp", "port": 443}
    report = {
        "probes": [
            {**probe, "status": "refused", "cause": "refused"},
            {**probe, "status": "filtered", "cause": "timeout"},
            {**probe, "status": "unreachable", "cause": "local-block"},
            {**probe, "status": "refused", "cause": "other"},
        ]
    }
    kept = [p.get("cause") for p in compact(report)["probes"]]
    assert kept == [None, None, "local-block", "other"]
