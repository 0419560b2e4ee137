"""The HTML report: one self-contained page to attach to a ticket (``wsdiag check --html``).

No script, font or image is loaded from anywhere: inline CSS and an inline SVG path
diagram, and a Content-Security-Policy of ``default-src 'none'`` so the page cannot fetch
anything even if a value slipped through. Jinja2 renders it with autoescaping on; the
report itself is embedded as JSON (``|tojson``) for tools. Jinja2 is imported only here,
and this module only by ``--html``. The diagram's geometry is computed here (pure); the
template only draws it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from wsdiag.redact import Redaction
from wsdiag.render import advice as adv
from wsdiag.render import paths as pv
from wsdiag.render.report import client_logs_json, to_json
from wsdiag.render.text import ENVIRONMENT_TEXT, HEADLINE
from wsdiag.vocab.model import DnsOutcome, ProxyMode, Role, Status, Transport
from wsdiag.vocab.report import Report
from wsdiag.vocab.results import Finding, ProbeResult

WIDTH = 980  # SVG user units; the page scales it to fit
X_MACHINE, X_HUB, X_LABEL, X_CHIPS = 12, 170, 345, 700
CHIP_W, CHIP_GAP, ROW_H, HEAD_H = 64, 6, 20, 26


@dataclass(frozen=True)
class Chip:
    """One probe in the diagram: ``status`` names its CSS class (status-open ...)."""

    probe_id: str
    label: str
    status: str
    title: str
    x: int
    y: int
    expected: bool = False  # a failure the report calls expected: drawn neutral, not red


@dataclass(frozen=True)
class Row:
    label: str
    y: int
    head: bool = False  # a section heading (the target group)
    status: str = ""  # the heading's overall status, for its link line
    note: bool = False  # a line of explanation under a target
    calm: bool = False  # the note explains an expected failure (neutral, not red)


@dataclass(frozen=True)
class Link:
    """A line between two boxes: x1,y1 -> x2,y2, coloured by ``status``."""

    x1: int
    y1: int
    x2: int
    y2: int
    status: str


@dataclass
class Diagram:
    rows: list[Row] = field(default_factory=list)
    chips: list[Chip] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    hubs: list[tuple[str, str, int, str]] = field(default_factory=list)  # label, sub, y, status
    height: int = 0
    machine_y: int = 0


def _overall(statuses: list[str]) -> str:
    if not statuses or all(s == "skipped" for s in statuses):
        return "skipped"
    ran = [s for s in statuses if s != "skipped"]
    if all(s == "expected" for s in ran):  # failed as the report says it would
        return "expected"
    ran = [s for s in ran if s != "expected"]
    if "failed" in ran:  # a lookup that failed: nothing behind it was probed
        return "failed"
    if "unmeasured" in ran and all(s in ("open", "unmeasured") for s in ran):
        return "unmeasured"  # the deadline cut what did not open: no failure measured
    return (
        "open"
        if all(s == "open" for s in ran)
        else ("partial" if any(s == "open" for s in ran) else "failed")
    )


def diagram(report: Report) -> Diagram:
    """Rows for every target (every probe one chip), hubs for the resolver and the proxy,
    links from this machine through them. Pure geometry in SVG user units."""
    d = Diagram()
    y = 10
    views = pv.target_views(report)
    portal = pv.held(report)
    sections = [
        (Role.ENDPOINT, "streaming endpoint"),
        (Role.AUTH, "sign-in domains"),
        (Role.HEALTH, "health-check host"),
    ]
    heads: dict[str, int] = {}
    for role, title in sections:
        mine = [v for v in views if v.role is role and v.state != "skipped"]
        if not mine:
            continue
        head_y = y
        y += HEAD_H
        statuses: list[str] = []
        for v in mine:
            calm = v.state == "expected"
            unmeasured = v.state == "unmeasured"  # paths.target_views: nothing failed measured
            for label, probes in _target_rows(v):
                d.rows.append(Row(label, y))
                for i, p in enumerate(probes):
                    chip = _chip(p, X_CHIPS + i * (CHIP_W + CHIP_GAP), y, portal, calm)
                    d.chips.append(chip)
                    shown = "unmeasured" if unmeasured and chip.status != "open" else chip.status
                    statuses.append("expected" if calm else shown)
                y += ROW_H
            if unmeasured:  # which probes the deadline cut, on a line of its own
                d.rows.append(Row(f"  {v.reason}", y, note=True))
                y += ROW_H
            if v.state == "dns":  # why it was not probed, on a line of its own
                d.rows.append(Row(f"  {v.reason}; not probed", y, note=True))
                y += ROW_H
                statuses.append("failed")
            if calm:  # what the failure means, on a line of its own
                d.rows.append(Row(f"  {v.reason}", y, note=True, calm=True))
                y += ROW_H
        sub = _section_sub(report, role)
        d.rows.append(Row(f"{title}{sub}", head_y, head=True, status=_overall(statuses)))
        heads[title] = head_y
        y += 8
    skipped = [v for v in views if v.state == "skipped"]
    if skipped:
        d.rows.append(Row("not tested", y, head=True, status="skipped"))
        y += HEAD_H
        for v in skipped:
            d.rows.append(Row(f"{v.target_id} ({v.reason})", y))
            for i, p in enumerate(v.probes):
                d.chips.append(_chip(p, X_CHIPS + i * (CHIP_W + CHIP_GAP), y))
            y += ROW_H
    d.height = max(y + 10, 200)
    d.machine_y = 30
    _hubs(d, report, heads)
    return d


def _target_rows(v: pv.TargetView) -> list[tuple[str, list[ProbeResult]]]:
    if v.role is Role.ENDPOINT and v.addresses:  # the heading names the host
        rows = [(f"address {a}", [p for p in v.probes if p.address == a]) for a in v.addresses]
        rest = [p for p in v.probes if p.address not in v.addresses]
        return rows + ([("no address", rest)] if rest else [])
    return [(v.host, list(v.probes))]


def _section_sub(report: Report, role: Role) -> str:
    if role is Role.ENDPOINT and report.endpoint_hosts:
        return " " + ", ".join(report.endpoint_hosts)
    if role is Role.AUTH and report.proxy.mode is ProxyMode.PROXY:
        # QUIC never goes through an HTTP proxy: the heading says which part did
        quic = any(
            p.transport is Transport.QUIC and p.status is not Status.SKIPPED
            for v in pv.target_views(report)
            if v.role is Role.AUTH
            for p in v.probes
        )
        return f" (TCP via proxy {report.proxy.url or ''}{'; QUIC direct' if quic else ''})"
    if role is Role.AUTH and report.proxy.mode is ProxyMode.UNTESTED:
        return " (behind a proxy wsdiag does not test)"
    return ""


def _chip(p: ProbeResult, x: int, y: int, portal: bool = False, calm: bool = False) -> Chip:
    """One probe's chip. Green only for what was tested and works: an open connection whose
    certificate did not verify is ``untrusted``, and under a captive portal every open path
    is ``held`` (the portal answered, not the service). ``calm``: its target's failure is
    the expected one (``paths.health_expected``), drawn neutral with its meaning in the
    title; the status stays what was measured."""
    note = pv.probe_note(p)
    bits = [p.id, str(p.status)]
    if p.ms is not None and p.status is Status.OPEN:
        bits.append(f"{p.ms:.0f} ms")
    status = str(p.status)
    if p.status is Status.OPEN and portal:
        status, note = "held", (note + ", " if note else "") + "held by a captive portal"
    elif p.status is Status.OPEN and p.tls_trusted is False:
        status = "untrusted"
    if calm:
        note = (note + ", " if note else "") + pv.EXPECTED_WHY
    bits += [x for x in (p.phase, p.detail, note) if x]
    return Chip(p.id, f"{p.transport}/{p.port}", status, " · ".join(bits), x, y, calm)


def _hubs(d: Diagram, report: Report, heads: dict[str, int]) -> None:
    """This machine -> resolver; -> each section (the sign-in domains through the proxy)."""
    mx, my = X_MACHINE + 130, d.machine_y
    resolvers = sorted({r.resolver for r in report.dns if r.resolver})
    ep = next((r for r in report.dns if r.target_id == "endpoint" and r.rdtype == "A"), None)
    dns_status = (
        "skipped" if ep is None else "open" if ep.outcome is DnsOutcome.ANSWER else "failed"
    )
    if dns_status == "open" and pv.held(report):  # the portal's answer, not the zone's
        dns_status = "held"
    d.hubs.append(("resolver", ", ".join(resolvers) or "system", my, dns_status))
    d.links.append(Link(mx, my, X_HUB, my, dns_status))
    proxied = report.proxy.mode in (ProxyMode.PROXY, ProxyMode.UNTESTED)
    if proxied:
        py = my + 60
        d.hubs.append(("proxy", report.proxy.url or "", py, "open"))
        d.links.append(Link(mx, my + 10, X_HUB, py, "open"))
    for row in (r for r in d.rows if r.head and r.label != "not tested"):
        if proxied and row.label.startswith("sign-in"):
            d.links.append(Link(X_HUB + 150, my + 60, X_LABEL - 6, row.y + 8, row.status))
        else:
            d.links.append(Link(mx, my + 16, X_LABEL - 6, row.y + 8, row.status))


def render_html(report: Report, data: dict[str, Any] | None = None) -> str:
    """The whole page as one string (UTF-8 text, no external references); ``data`` is the
    JSON object embedded for tools (default: the report's JSON as ``--format json`` gives
    it before redaction)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("wsdiag.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_shown,
    )
    env.filters["ticks"] = _ticks
    advice = adv.advise(report)
    d = report.diagnosis
    return env.get_template("report.html.j2").render(
        report=report,
        headline=HEADLINE[d.verdict],
        scope=adv.scope(report),  # --nameserver: whose answers the verdict is
        verdict=str(d.verdict),
        environment=ENVIRONMENT_TEXT.get(str(d.environment), str(d.environment)),
        advice=advice,
        diagram=diagram(report),
        width=WIDTH,
        x=dict(machine=X_MACHINE, hub=X_HUB, label=X_LABEL, chips=X_CHIPS, chip_w=CHIP_W),
        facts=_host_facts(report),
        data=to_json(report) if data is None else data,
        quality=_quality(report),
        cloud=_cloud(report),
        console=_console(report),
    )


def _console(report: Report) -> Any:
    """The template's ``console(finding)``: its AWS console links (render.console), none
    without a cloud section."""
    from wsdiag.render.console import links

    section = report.cloud

    def of(f: Finding) -> tuple[Any, ...]:  # render.console.Link
        return () if section is None else links(f, section)

    return of


def _cloud(report: Report) -> dict[str, Any] | None:
    """The cloud section's block: its one-line summary, each call as action and outcome
    (never AWS's text: the section keeps none), the resources read with their console
    links."""
    from wsdiag.cloud.source import summary
    from wsdiag.render.console import known_ids, url

    section = report.cloud
    if section is None:
        return None
    ids = sorted(known_ids(section))
    return {
        "summary": summary(section),
        "calls": [(c.action, str(c.outcome)) for c in section.calls],
        "resources": [(i, u) for i in ids if (u := url(section.region, i)) is not None],
    }


def _quality(report: Report) -> dict[str, Any] | None:
    """The session-quality block: sentences, and per path a row with an inline SVG of its
    RTT spread (markup built here from numbers only, so it is marked safe)."""
    from markupsafe import Markup

    from wsdiag.render.quality import rtt_svg, sentences

    q = report.evidence.quality
    if q is None:
        return None
    scale = max(
        (p.figures.rtt_ms.max for p in q.paths if p.figures.rtt_ms is not None), default=0.0
    )

    def ms(v: float | None) -> str:
        return "-" if v is None else f"{v:.0f} ms"

    rows = [
        {
            "id": p.id,
            "svg": Markup(rtt_svg(p.figures, scale)),
            "p50": ms(p.figures.rtt_ms.p50 if p.figures.rtt_ms else None),
            "p95": ms(p.figures.rtt_ms.p95 if p.figures.rtt_ms else None),
            "jitter": ms(p.figures.jitter_ms),
            "loss": "-" if p.figures.loss is None else f"{100 * p.figures.loss:.1f} %",
            "sent": p.figures.sent,
        }
        for p in q.paths
    ]
    lines = sentences(q, unprobed=pv.endpoint_unprobed(report))
    return {"grade": str(q.score.grade), "lines": lines, "rows": rows}


def render_page(report: Report, redaction: Redaction) -> str:
    """The page ``--html`` writes: the report's values redacted before the template sees
    them, the embedded JSON as ``--format json`` gives it, then the whole page redacted
    once more (the escaped spellings too, ``o&#39;brien``) for what the template adds."""
    from wsdiag.render.formats import report_json

    return redaction.text(render_html(redaction.values(report), report_json(report, redaction)))


def _shown(value: Any) -> Any:
    """Every ``{{ value }}`` before autoescaping: a string's controls (ESC, OSC, BEL, C1)
    and bidirectional/format characters written as the text format writes them
    (``\\x1b``, ``\\u202e``), so that ``cat report.html`` runs nothing and a browser
    reorders no name. Lines stay lines. Markup (``|tojson``, ``|ticks``) is already safe:
    JSON escapes every control, ``_ticks`` escapes its text the same way."""
    from markupsafe import Markup

    if isinstance(value, str) and not isinstance(value, Markup):
        return shown_text(value)
    return value


def shown_text(text: str) -> str:
    """``text`` with every control and bidirectional character escaped as
    :func:`wsdiag.terminal.escape` does, newlines kept."""
    from wsdiag.terminal import escape

    return "\n".join(escape(line) for line in text.split("\n"))


def _ticks(text: str) -> Any:
    """Escape ``text``, then show `quoted commands` as code (the advice quotes them so)."""
    import re

    from markupsafe import Markup, escape

    safe = str(escape(shown_text(str(text))))
    return Markup(re.sub(r"`([^`<>]+)`", r"<code>\1</code>", safe))


def _host_facts(report: Report) -> list[tuple[str, str]]:
    facts = [
        ("region", f"{report.region} (from {report.region_source})"),
        ("endpoint name", ", ".join(report.endpoint_hosts)),
        ("proxy", str(report.proxy.mode) + (f" {report.proxy.url}" if report.proxy.url else "")),
        ("started", report.started_at),
        ("duration", f"{report.duration_ms / 1000:.2f} s"),
        ("wsdiag", report.tool_version),
    ]
    for key, value in (client_logs_json(report.logs) if report.logs else {}).items():
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            facts.append((f"client logs: {key}", str(value)))
    return facts
