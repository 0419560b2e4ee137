"""Outputs under hostile input, as a user runs them (issue 18, defects 1-4, 8, 12, 13).

Real runs of `python -m wsdiag` (check pointed at a loopback test DNS server, logs and
summarize on files made here), each with a name or string the old code let through:
- `check -o` / `--html` refuse a link or a device with one line and exit 3;
- `--html` for a user named o'brien: the old page kept `o&#39;brien` (redacted after
  escaping);
- `wsdiag logs` text and `--json` were never redacted; as root, the owner of the profile
  whose logs were read is redacted too;
- the bundle's log tail kept `%2Fhome%2F<name>%2F` and NFD spellings;
- `summarize --format csv` wrote formula cells and raw ESC, `--format json` lone surrogates;
- certificate names with ESC/OSC/BEL and bidi controls reached the HTML file raw.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import random
import shutil
import subprocess
import sys
import time
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.dnsserver import DnsServer
from tests.test_bundle import LOG_DIR, person
from wsdiag.render.report import report_from_json

__all__ = ["person"]  # the fixture: a real local user with the newest client logs
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "logs"
REPORTS = ROOT / "examples" / "reports"


@pytest.fixture()
def dns() -> Iterator[DnsServer]:
    with DnsServer(f"127.{random.randint(64, 250)}.0.53") as server:
        yield server


def wsdiag(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wsdiag", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def check_args(dns: DnsServer) -> list[str]:
    return ["--region", "eu-west-1", "--nameserver", dns.address, "--timeout", "0.5"]


def person_env(tmp_path: Path, name: str) -> tuple[dict[str, str], Path]:
    """HOME, USER and LOGNAME of ``name``, with the client's logs in that home."""
    home = tmp_path / "home" / name
    logs = home / LOG_DIR
    logs.mkdir(parents=True)
    shutil.copy(FIXTURES / "field-report-vpc-session.log", logs / "client.log")
    future = time.time() + 7200
    os.utime(logs / "client.log", (future, future))
    env = {"HOME": str(home), "USER": name, "LOGNAME": name, "XDG_DATA_HOME": ""}
    return env, logs


# --- defect 1: the CLI refuses, in one line -----------------------------------------------


@pytest.mark.parametrize("option", ["--output", "--html"])
def test_check_refuses_to_write_through_a_link(tmp_path: Path, dns: DnsServer, option: str) -> None:
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    target = tmp_path / "out"
    target.symlink_to(victim)
    proc = wsdiag("check", *check_args(dns), "--no-logs", option, str(target))
    assert proc.returncode == 3
    (line,) = proc.stderr.splitlines()
    assert line.startswith("wsdiag: error: cannot write ") and "symbolic link" in line
    assert victim.read_text() == "precious\n" and target.is_symlink()


def test_check_output_writes_the_report_and_nothing_on_stdout(
    tmp_path: Path, dns: DnsServer
) -> None:
    out = tmp_path / "last.json"
    proc = wsdiag("check", *check_args(dns), "--no-logs", "--json", "-o", str(out))
    assert proc.stdout == "" and proc.returncode in (0, 1, 2, 3)
    assert json.loads(out.read_text())["exit_code"] == proc.returncode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.json"]


def test_bundle_as_the_issue_reproduces_it(tmp_path: Path, dns: DnsServer) -> None:
    """`echo precious > v; ln -s "$PWD/v" out.zip.part; wsdiag bundle -o out.zip`."""
    victim = tmp_path / "v"
    victim.write_text("precious\n")
    (tmp_path / "out.zip.part").symlink_to(victim)
    proc = wsdiag("bundle", "-o", "out.zip", *check_args(dns), "--no-logs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert victim.read_text() == "precious\n"  # the old writer: "PK\x03\x04..."
    assert zipfile.is_zipfile(tmp_path / "out.zip")


# --- defect 2: HTML redacted before escaping -------------------------------------------


def test_html_page_holds_no_escaped_spelling_of_the_name(tmp_path: Path, dns: DnsServer) -> None:
    """The issue's case: a PAC file in the home of o'brien&co that wsdiag cannot use; the
    page names it (the proxy hub, a finding), the old page as ``o&#39;brien&amp;co``."""
    env, _ = person_env(tmp_path, "o'brien&co")
    pac = Path(env["HOME"]) / "proxy.pac"
    pac.write_text("garbage((\n")
    page = tmp_path / "report.html"
    proc = wsdiag(
        "check", *check_args(dns), "--no-logs", "--pac", str(pac), "--html", str(page), env=env
    )
    assert proc.returncode in (0, 1, 2, 3) and page.exists(), proc.stderr
    html = page.read_text()
    assert "/home/***/proxy.pac" in html  # the path was there, redacted
    for spelling in ("brien", "o&#39;", "&amp;co"):
        assert spelling not in html.lower()
    assert "/home/***/proxy.pac" in proc.stdout and "brien" not in proc.stdout


# --- defect 3: wsdiag logs redacted ----------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_logs_output_is_redacted(tmp_path: Path, fmt: str) -> None:
    env, _ = person_env(tmp_path, "wo.jane.doe")
    extra = ["--json"] if fmt == "json" else []
    proc = wsdiag("logs", *extra, env=env)
    assert proc.returncode in (0, 1, 2), proc.stderr
    assert "jane" not in proc.stdout.lower()
    assert "/home/***/" in proc.stdout
    if fmt == "json":
        assert json.loads(proc.stdout)["files"][0]["path"].startswith(str(tmp_path / "home"))
    kept = wsdiag("logs", *extra, "--no-redact", env=env)
    assert "wo.jane.doe" in kept.stdout  # the test above could fail


def test_logs_as_root_redacts_whose_logs_were_read(tmp_path: Path, person: Path) -> None:
    root_home = tmp_path / "roothome"
    root_home.mkdir()
    env = {"HOME": str(root_home), "USER": "root", "LOGNAME": "root"}
    for extra in ([], ["--json"]):
        proc = wsdiag("logs", str(person / LOG_DIR), *extra, env=env)
        assert proc.returncode in (0, 1, 2), proc.stderr
        assert "jane" not in proc.stdout.lower() and "/home/***/" in proc.stdout


# --- defect 4: spellings in the bundle's log tail --------------------------------------


def test_bundle_tail_holds_no_percent_encoded_nor_nfd_spelling(
    tmp_path: Path, dns: DnsServer
) -> None:
    name = "jörg.müller"
    env, logs = person_env(tmp_path, name)
    nfd = unicodedata.normalize("NFD", name)
    home = str(tmp_path / "home" / name)
    with (logs / "client.log").open("a", encoding="utf-8") as fh:
        fh.write(f"GET https://x.example/p?f=%2F{home[1:].replace('/', '%2F')}%2Fa.txt\n")
        fh.write("opened file:///home/j%C3%B6rg.m%C3%BCller/x and j%c3%b6rg.m%c3%bcller\n")
        fh.write(f"nfd {nfd} and /home/{nfd}/Library\n")
    proc = wsdiag("bundle", "-o", str(tmp_path / "b.zip"), *check_args(dns), env=env)
    assert proc.returncode == 0, proc.stderr
    with zipfile.ZipFile(tmp_path / "b.zip") as zf:
        tail = zf.read("client-log-tail.txt").decode()
        assert "f=%2F" in tail and "nfd ***" in tail
        for info in zf.infolist():
            data = unicodedata.normalize("NFC", zf.read(info).decode()).lower()
            for spelling in ("jörg", "j%c3%b6rg", "m%c3%bcller", "müller"):
                assert spelling not in data, (info.filename, spelling)


# --- defects 8 and 13: summarize -------------------------------------------------------


def _hostile_report(tmp_path: Path, name: bytes) -> Path:
    doc = json.loads((REPORTS / "closed.json").read_text())
    doc["region"] = '=HYPERLINK("http://evil.example","x")'
    doc["host"]["name"] = "@SUM(1+1)\x1b]0;pwned\x07"
    doc["findings"][0]["code"] = "-2+3\u202eCODE"
    doc["tool_version"] = "+1\x9b31m"
    path = Path(os.fsdecode(bytes(tmp_path) + b"/" + name))
    path.write_text(json.dumps(doc))
    return path


def test_summarize_csv_neutralises_formulas_and_escapes_controls(tmp_path: Path) -> None:
    _hostile_report(tmp_path, b"=cmd|' -C calc'!A0.json")
    proc = wsdiag("summarize", "--format", "csv", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.reader(io.StringIO(proc.stdout)))
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert not [c for c in proc.stdout if (c < " " and c != "\n") or "\x7f" <= c <= "\x9f"]
    assert "\u202e" not in proc.stdout and "\\x1b]0;pwned\\x07" in proc.stdout


def test_summarize_json_is_strict_for_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    _hostile_report(tmp_path, b"caf\xe9-\xff.json")
    (tmp_path / "broken-\xe9.json").write_bytes(b"{not json")
    proc = subprocess.run(
        [sys.executable, "-m", "wsdiag", "summarize", "--format", "json", str(tmp_path)],
        capture_output=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode("ascii")  # ensure_ascii, and nothing else
    doc = json.loads(out)

    def strings(v: object) -> Iterator[str]:
        if isinstance(v, str):
            yield v
        elif isinstance(v, dict):
            for k, x in v.items():
                yield k
                yield from strings(x)
        elif isinstance(v, list):
            for x in v:
                yield from strings(x)

    for s in strings(doc):
        s.encode("utf-8")  # strict: a lone surrogate ("\udce9") raises here
    wheres = [h["where"] for h in doc["worst_hosts"]]
    assert any("caf\\xe9-\\xff.json" in w for w in wheres), wheres


# --- defect 12: HTML escapes controls ---------------------------------------------------


def test_html_escapes_terminal_and_bidi_controls_from_certificate_names() -> None:
    from wsdiag.render.html import render_html

    report = report_from_json(json.loads((REPORTS / "tls-inspected-trusted.json").read_text()))
    evil = "Corp\x1b]0;owned\x07 CA\u202egpj.exe\x9b2J\u2066x\u200b"
    probes = tuple(
        dataclasses.replace(p, certs=tuple(dataclasses.replace(c, issuer=evil) for c in p.certs))
        for p in report.probes
    )
    assert any(p.certs for p in probes)
    message = dataclasses.replace(report.diagnosis.findings[0], message=f"issued by {evil}")
    diagnosis = dataclasses.replace(
        report.diagnosis, findings=(message, *report.diagnosis.findings[1:])
    )
    page = render_html(dataclasses.replace(report, probes=probes, diagnosis=diagnosis))
    bad = [c for c in page if (c < " " and c not in "\n") or "\x7f" <= c <= "\x9f"]
    assert not bad
    assert not [c for c in page if unicodedata.category(c) in ("Cf", "Zl", "Zp")]
    assert "Corp\\x1b]0;owned\\x07 CA\\u202egpj.exe" in page
