"""The HTML report as a person sees it: the lab's reports (examples/reports/*.json) rendered,
checked as markup, and opened in headless Chromium inside an empty network namespace
(DOM after load, a screenshot, and a net log proving the page asked for nothing).

Without chromium or root the browser tests skip with the reason; under CI=true that is a
failure. ``sh scripts/test`` installs chromium (scripts/lab-deps.sh).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.support import browser
from tests.support.render_checks import check_html
from wsdiag.render.html import render_html
from wsdiag.render.report import report_from_json, to_json
from wsdiag.vocab.model import ProxyMode, ProxyRoute, Severity, Transport, Via
from wsdiag.vocab.results import Finding

ROOT = Path(__file__).resolve().parent.parent
REPORTS = ROOT / "examples" / "reports"
EXAMPLES = sorted(REPORTS.glob("*.json"))
# The four ("closed, minimal-egress, home and udp-blocked") and one per-address defect.
IN_BROWSER = ("closed", "minimal-egress", "home", "udp-blocked", "sg-missing-4195")
SCREENSHOTS = ("home", "udp-blocked")  # committed as examples/reports/<name>.png


def doc_of(name: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((REPORTS / f"{name}.json").read_text())
    return data


@pytest.fixture(scope="module")
def chromium_ok() -> None:
    reason = browser.unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"headless chromium required under CI=true but unavailable: {reason}")
        pytest.skip(reason)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_page_matches_its_report(path: Path) -> None:
    doc = json.loads(path.read_text())
    check_html(render_html(report_from_json(doc), doc), doc)


@pytest.mark.parametrize(
    ("mode", "heading"),
    [
        # QUIC never goes through the proxy: the heading says which part did (issue 19 item 5)
        (
            ProxyMode.PROXY,
            "sign-in domains (TCP via proxy http://***@proxy.example:3128; QUIC direct)",
        ),
        (ProxyMode.UNTESTED, "sign-in domains (behind a proxy wsdiag does not test)"),
    ],
)
def test_sign_in_domains_behind_a_proxy_hang_off_a_proxy_node(
    mode: ProxyMode, heading: str
) -> None:
    report = report_from_json(doc_of("minimal-egress"))
    proxy = ProxyRoute(
        mode=mode,
        url="http://***@proxy.example:3128",
        host="proxy.example",
        port=3128,
        source="environment",
    )
    probes = tuple(
        dataclasses.replace(p, via=Via.PROXY, address=None)
        if p.target_id not in ("endpoint", "health-check")
        and p.port == 443
        and p.transport is not Transport.QUIC
        else p
        for p in report.probes
    )
    report = dataclasses.replace(report, proxy=proxy, probes=probes)
    page = render_html(report)
    dom = check_html(page, to_json(report))
    assert dom.hubs == ["resolver", "proxy"]
    assert f">{heading}</text>" in page


def test_values_from_the_network_are_escaped() -> None:
    report = report_from_json(doc_of("home"))
    evil = Finding(
        "HOME_NETWORK",
        Severity.INFO,
        "<script>alert(1)</script><img src=x>",
        "</script><a href='http://x'>y</a>",
    )
    report = dataclasses.replace(
        report, diagnosis=dataclasses.replace(report.diagnosis, findings=(evil,))
    )
    page = render_html(report)
    assert "<script>alert" not in page and "<img" not in page and "<a href" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # the embedded JSON cannot close its own script element
    assert page.count("</script>") == 1


@pytest.mark.usefixtures("chromium_ok")
@pytest.mark.parametrize("name", IN_BROWSER)
def test_opens_in_chromium_with_no_network_request(name: str, tmp_path: Path) -> None:
    doc = doc_of(name)
    html = tmp_path / f"{name}.html"
    html.write_text(render_html(report_from_json(doc), doc), encoding="utf-8")
    shot = tmp_path / f"{name}.png"
    page = browser.open_page(html, screenshot=shot)
    # The DOM after load, as Chromium built it, holds to the report.
    check_html(page.dom, doc)
    assert page.requests == (), f"the page made network requests: {page.requests}"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    if name in SCREENSHOTS and os.environ.get("WSDIAG_UPDATE_SCREENSHOTS"):
        shutil.copyfile(shot, REPORTS / f"{name}.png")


@pytest.mark.usefixtures("chromium_ok")
def test_the_request_check_sees_a_page_that_fetches(tmp_path: Path) -> None:
    """Control: without the CSP, an image on loopback is a request the net log shows; with
    the report's CSP, the same image is never requested. (The namespace has no network.)"""
    body = '<p>control</p><img src="http://127.0.0.1:9/x.png">'
    bare = tmp_path / "bare.html"
    bare.write_text(f"<!DOCTYPE html><html><body>{body}</body></html>")
    assert browser.open_page(bare).requests == ("http://127.0.0.1:9/x.png",)
    csp = tmp_path / "csp.html"
    csp.write_text(
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\"></head>"
        f"<body>{body}</body></html>"
    )
    assert browser.open_page(csp).requests == ()


@pytest.mark.usefixtures("chromium_ok")
@pytest.mark.parametrize("name", ["closed", "home"])
def test_prints_on_one_or_two_pages(name: str, tmp_path: Path) -> None:
    html = tmp_path / f"{name}.html"
    html.write_text(render_html(report_from_json(doc_of(name)), doc_of(name)), encoding="utf-8")
    pages = browser.print_pages(html, tmp_path / f"{name}.pdf")
    assert 1 <= pages <= 2, f"{pages} pages"


def test_committed_screenshots_exist() -> None:
    for name in SCREENSHOTS:
        png = REPORTS / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
