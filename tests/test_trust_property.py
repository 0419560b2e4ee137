"""Hypothesis properties of issue 18's "done when": over generated names, spellings and
hostile strings, every output (text, line, jamf, json, json-line, HTML, CSV, bundle) is
escaped (no raw C0/C1 control, no bidirectional or other format character) and redacted
(no spelling of the name), while finding codes, target host names and addresses survive.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import html
import io
import json
import tempfile
import unicodedata
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from wsdiag.bundle import build_parts, write_bundle
from wsdiag.fleet.summarize import render_csv, render_text, summarize
from wsdiag.redact import CASED_WORDS, MASK, SHORT_NAME, SYSTEM_ACCOUNTS, Redaction
from wsdiag.render.formats import Format, render
from wsdiag.render.html import render_page
from wsdiag.render.report import report_from_json
from wsdiag.vocab.report import Report

ROOT = Path(__file__).resolve().parent.parent
BASE = json.loads((ROOT / "examples" / "reports" / "tls-inspected-trusted.json").read_text())
# What redaction must never eat: codes, target names (short labels among them), addresses.
SURVIVORS = (
    "DNS_NXDOMAIN",
    "ENDPOINT_TCP_BLOCKED",
    "privatelink.prod.eu-west-1.highlander.aws.a2z.com",
    "ws.example",
    "dns.corp.example",
    "10.0.1.5",
    "fd00::1",
    "127.0.0.1:4195",
    "admin",
)
LETTERS = "abcdefghijklmnopqrstuvwxyzéöüøåçñ"
names = (
    st.text(alphabet=LETTERS + "'&. -", min_size=2, max_size=12)
    .map(str.strip)
    .filter(lambda n: len(n) >= 2 and n[0] in LETTERS and n[-1] in LETTERS)
    .filter(lambda n: n.lower() not in SYSTEM_ACCOUNTS)
)


def spellings(name: str, fold: bool = True) -> set[str]:
    """Every way an output may write ``name``."""
    out = set()
    for form in {unicodedata.normalize("NFC", name), unicodedata.normalize("NFD", name)}:
        out |= {
            form,
            quote(form, safe=""),
            quote(form, safe="").lower(),
            html.escape(form),  # &#x27;
            form.replace("&", "&amp;").replace("'", "&#39;"),  # markupsafe's
            json.dumps(form)[1:-1],  # \u00f6
        }
        if fold:
            out.add(form.upper())
    return out


def absent(out: str, name: str) -> bool:
    low = out.lower()
    return not any(s.lower() in low for s in spellings(name))


@given(name=names, fold=st.booleans(), data=st.data())
def test_no_spelling_of_a_name_survives_and_codes_hosts_addresses_do(
    name: str, fold: bool, data: st.DataObject
) -> None:
    text = " ".join(SURVIVORS)
    assume(all(s.lower() not in text.lower() for s in spellings(name)))
    r = Redaction.of([name], [f"/home/{name}"], fold_case=fold)
    sp = data.draw(st.sampled_from(sorted(spellings(name, fold))))
    places = [f"/home/{sp}/x", f"C:\\Users\\{sp}\\AppData", f"logs for {sp}.", f"%2F{sp}%2F"]
    if len(name) >= SHORT_NAME:
        places += [f"user {sp} said", f"{sp}@corp.example", f"CORP\\{sp}", f"({sp})"]
    out = r.text(f"{text} " + " ".join(places) + f" {text}")
    for place in places:  # each place lost the name ("for" holds "fo": look at the places)
        assert (place.lower() not in out.lower()) if fold else (place not in out), (place, out)
    assert out.count(MASK) >= len(places)
    for survivor in SURVIVORS:
        assert out.count(survivor) == 2, (survivor, out)


# --- every output ----------------------------------------------------------------------

HOSTILE = [
    "\x1b[31m",
    "\x1b]0;title\x07",
    "\x9b2J",
    "\x85",
    "\u202e",
    "\u2066",
    "\u200b",
    "\ufeff",
    "\u2028",
    "\x00",
    "\r",
    "\t",
    "\x7f",
    "\udce9",
    "=HYPERLINK(1)",
    "@x",
    "<b>&'\"",
]


def raw_controls(text: str) -> list[str]:
    """Characters a terminal or browser would act on, not show: C0 (newline aside), DEL,
    C1, and bidi/format/separator characters and lone surrogates."""
    return [
        c
        for c in text
        if (c < " " and c != "\n")
        or "\x7f" <= c <= "\x9f"
        or unicodedata.category(c) in ("Cf", "Zl", "Zp", "Cs")
    ]


def hostile_report(junk: str, name: str) -> Report:
    report = report_from_json(BASE)
    # the name as a word (a name glued to other letters is another word, and stays)
    evil = f"{junk}/home/{name}/x {junk} {name} {junk}"
    probes = tuple(
        dataclasses.replace(
            p,
            detail=evil,
            certs=tuple(dataclasses.replace(c, issuer=evil, subject_cn=evil) for c in p.certs),
        )
        for p in report.probes
    )
    findings = tuple(
        dataclasses.replace(f, message=f"{f.message} {evil}", remediation=evil)
        for f in report.diagnosis.findings
    )
    return dataclasses.replace(
        report,
        region=f"eu-west-1{junk}",
        probes=probes,
        diagnosis=dataclasses.replace(report.diagnosis, findings=findings),
    )


def outputs(report: Report, r: Redaction, tmp: Path) -> dict[str, str]:
    out = {str(f): render(report, f, r) for f in Format}
    out["html"] = render_page(report, r)
    (tmp / "reports").mkdir(exist_ok=True)
    (tmp / "reports" / "r.json").write_text(out["json"])
    s = summarize([str(tmp / "reports")])
    out["csv"], out["summary-text"] = render_csv(s), render_text(s)
    parts = build_parts(report, out["text"], [], None, False, r)
    write_bundle(tmp / "b.zip", parts, r)
    with zipfile.ZipFile(tmp / "b.zip") as zf:
        for info in zf.infolist():
            out[f"bundle:{info.filename}"] = zf.read(info).decode("utf-8")
    return out


@functools.cache
def clean_outputs() -> str:
    """Every output of the base report, lower case, nothing redacted: the words wsdiag
    writes itself."""
    with tempfile.TemporaryDirectory() as tmp:
        out = outputs(report_from_json(BASE), Redaction(), Path(tmp))
    # and the words a redacting run adds: its host block lists what it hid ("home paths"
    # holds the name "me p")
    kinds = Redaction.of(["x" * 9], ["/home/x"], host="h.example").kinds
    return "\n".join([*out.values(), *kinds]).lower()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=names.filter(lambda n: len(n) >= SHORT_NAME),
    junk=st.lists(st.sampled_from(HOSTILE) | st.text(max_size=3), max_size=6).map("".join),
    spelling=st.sampled_from(["nfc", "nfd", "percent"]),
)
def test_every_output_is_escaped_and_redacted(
    tmp_path: Path, name: str, junk: str, spelling: str
) -> None:
    vocabulary = clean_outputs()  # a name that is a word of wsdiag's own (a code, "python")
    assume(all(s.lower() not in vocabulary for s in spellings(name)))
    shown = {
        "nfc": name,
        "nfd": unicodedata.normalize("NFD", name),
        "percent": quote(name, safe=""),
    }[spelling]
    r = Redaction.of([name], [f"/home/{name}"])
    report = hostile_report(junk, shown)
    out = outputs(report, r, tmp_path)
    for kind, text in out.items():
        assert not raw_controls(text), (kind, sorted(set(raw_controls(text))))
        assert absent(text, name), kind
    for kind in ("text", "json", "html", "bundle:report.json", "line"):
        assert "TLS_INSPECTED" in out[kind] or "tls_inspected" in out[kind], kind
        if kind != "line":
            assert BASE["endpoint_hosts"][0] in out[kind], kind
    cells = [c for row in csv.reader(io.StringIO(out["csv"])) for c in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]


# --- a Linux name in another case (FRESH-REPORT item 23b) -------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "out"),
    [
        # the report's case: user cloudsdk, the log says "Cloudsdk's"
        ("cloudsdk", "Cloudsdk's WorkSpaces logs", "***'s WorkSpaces logs"),
        ("cloudsdk", "CLOUDSDK and cloudsdk and CloudSDK", "*** and *** and ***"),
        ("jane", "Jane's laptop", "***'s laptop"),  # a name of SHORT_NAME letters: a word
        ("jane", "janet and Janeway", "janet and Janeway"),  # inside a longer word: stays
        # shorter names keep the path-only rule, in any case
        ("al", "Al said /home/al/x and /home/Al/x", "Al said /home/***/x and /home/Al/x"),
        ("ws", "WS ws.example", "WS ws.example"),
        # an OS image's default account named as its OS: the OS's name is no person
        (
            "ubuntu",
            "Ubuntu 24.04.1 LTS, /home/ubuntu, ubuntu",
            "Ubuntu 24.04.1 LTS, /home/***, ***",
        ),
    ],
)
def test_a_linux_name_is_redacted_in_any_case_in_text(name: str, text: str, out: str) -> None:
    assert Redaction.of([name], [f"/home/{name}"], fold_case=False).text(text) == out


@given(name=names.filter(lambda n: len(n) >= SHORT_NAME), data=st.data())
def test_no_case_of_a_long_linux_name_survives(name: str, data: st.DataObject) -> None:
    assume(name.lower() not in CASED_WORDS)
    r = Redaction.of([name], fold_case=False)
    spelled = data.draw(
        st.sampled_from([name.upper(), name.title(), name.capitalize(), name.swapcase()])
    )
    out = r.text(f"user {spelled} said")
    assert spelled not in out.split() and out.count(MASK) == 1, out
