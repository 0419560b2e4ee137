"""Checks of a rendered report as a person (and a browser) sees it, shared by the renderer
tests and the namespace lab: text fits the width with whole words; the HTML is one
self-contained page whose diagram has one node per probe in its JSON status."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from wsdiag.render.report import report_from_json
from wsdiag.render.text import render_text

CSP = "default-src 'none'; style-src 'unsafe-inline'"
# The one kind of link a page may hold: an AWS console page (render/console.py), which a
# click opens and loading never requests.
CONSOLE = re.compile(
    r"https://[a-z]{2}-[a-z]+-[1-9]\.console\.aws\.amazon\.com/[A-Za-z0-9/?=&#:._-]+"
)


def check_text(doc: dict[str, Any], widths: tuple[int, ...] = (80, 120)) -> None:
    """No line wider than the width; the same words as unwrapped; the verdict first."""
    report = report_from_json(doc)
    unwrapped = render_text(report, width=100_000).split()
    for width in widths:
        text = render_text(report, width=width)
        long = [line for line in text.splitlines() if len(line) > width]
        assert not long, f"{len(long)} line(s) wider than {width}: {long[0]!r}"
        assert text.split() == unwrapped, f"wrapping at {width} changed the words"
        assert text.startswith(doc["verdict"].upper() + ":")


class Dom(HTMLParser):
    """The parts of a page the tests look at: probe nodes, the verdict, metas, the JSON,
    and every attribute that could load something."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.probes: list[dict[str, str]] = []
        self.metas: list[dict[str, str]] = []
        self.loads: list[str] = []  # src/href/xlink:href/srcset/action attribute values
        self.verdict = ""
        self.verdict_class = ""
        self.json_text = ""
        self.script_types: list[str] = []
        self.hubs: list[str] = []  # the diagram's resolver/proxy nodes, in order
        self.links: list[str] = []  # <a href> values: navigation on a click, never a load
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "data-probe-id" in a:
            self.probes.append(a)
        if "data-hub" in a:
            self.hubs.append(a["data-hub"])
        if tag == "meta":
            self.metas.append(a)
        if tag == "a" and "href" in a and set(a) <= {"href", "rel"}:
            self.links.append(a["href"])
            a = {k: v for k, v in a.items() if k != "href"}
        for key in ("src", "href", "xlink:href", "srcset", "action", "poster", "data"):
            if key in a:
                self.loads.append(f"{tag} {key}={a[key]}")
        if tag in ("link", "iframe", "object", "embed", "img", "image", "use", "base"):
            self.loads.append(tag)
        if tag == "script":
            self.script_types.append(a.get("type", ""))
            if a.get("id") == "wsdiag-report":
                self._in = "json"
        if a.get("id") == "verdict":
            self._in, self.verdict_class = "verdict", a.get("class", "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "h1"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "json":
            self.json_text += data
        elif self._in == "verdict":
            self.verdict += data


def _shown_status(p: dict[str, Any], doc: dict[str, Any]) -> str:
    if p["status"] != "open":
        return str(p["status"])
    if doc.get("environment") == "captive":
        return "held"
    return "untrusted" if p.get("tls_trusted") is False else "open"


def check_html(page: str, doc: dict[str, Any]) -> Dom:
    """The page against its report's JSON: verdict, one node per probe with the status's
    class, the embedded JSON equal to the report, the CSP, and nothing that loads."""
    dom = Dom()
    dom.feed(page)
    assert dom.verdict.startswith(doc["verdict"].upper() + ":"), dom.verdict
    assert dom.verdict_class == f"verdict-{doc['verdict']}"
    csp = [
        m.get("content")
        for m in dom.metas
        if m.get("http-equiv", "").lower() == "content-security-policy"
    ]
    assert csp == [CSP]
    assert not dom.loads, f"the page references something to load: {dom.loads}"
    odd = [u for u in dom.links if not CONSOLE.fullmatch(u)]
    assert not odd, f"links other than AWS console pages: {odd}"
    assert bool(dom.links) <= bool(doc.get("cloud")), "console links come from the cloud section"
    assert dom.script_types == ["application/json"], "no executable script"
    assert "url(" not in page and "@import" not in page
    assert json.loads(dom.json_text) == doc
    # Green only for what works: an open path is "held" under a captive portal and
    # "untrusted" where its certificate did not verify (issue 19 item 3).
    want = {p["id"]: _shown_status(p, doc) for p in doc["probes"]}
    assert len(want) == len(doc["probes"]), "probe ids are unique"
    got = [(n["data-probe-id"], n["class"].split()) for n in dom.probes]
    assert sorted(i for i, _ in got) == sorted(want), "one diagram node per probe"
    for probe_id, classes in got:
        assert "probe" in classes and f"status-{want[probe_id]}" in classes, (probe_id, classes)
        assert [c for c in classes if c.startswith("status-")] == [f"status-{want[probe_id]}"]
    return dom
