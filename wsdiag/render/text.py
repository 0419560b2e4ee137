"""The terminal report: the answer, what to do by owner, the paths. Laid out for a width.

Words are never split: every line is built from whole words (host names, addresses and
finding codes included) and wraps with a hanging indent; a single word wider than the line
(none in practice at 80 columns) stays whole and overflows. The layout is pure
(``layout`` -> lines of styled words); rich only turns styles into colour, imported when
a report is rendered so that `wsdiag --help` does not pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wsdiag.render import advice as adv
from wsdiag.render import paths as pv
from wsdiag.render.quality import sentences as quality_sentences
from wsdiag.terminal import escape
from wsdiag.vocab.model import ProxyMode, Role, Severity, Status, Verdict, Via
from wsdiag.vocab.report import Report
from wsdiag.vocab.results import Finding, ProbeResult

# Control and bidi characters from the network or a file never reach the terminal raw:
# one escaping for every renderer (wsdiag.terminal).
clean = escape


HEADLINE = {
    Verdict.READY: "READY: this machine can stream WorkSpaces over the VPC endpoint",
    Verdict.DEGRADED: "DEGRADED: streaming should work, with the caveats below",
    Verdict.BLOCKED: "BLOCKED: WorkSpaces cannot stream from this network as it is",
    Verdict.UNKNOWN: "UNKNOWN: wsdiag could not tell; see what would decide it below",
}
ENVIRONMENT_TEXT = {
    "closed": "closed network: VPC endpoint reachable, no internet",
    "minimal-egress": "minimal egress: VPC endpoint plus internet on 443 only",
    "captive": "captive portal or DNS hijack: nothing else seen is real",
    "open-egress": "VPC endpoint plus open internet egress",
    "home": "outside the VPC: internet only",
    "vpn": "VPN connected, the endpoint not reached through it",
    "offline": "offline: neither the endpoint nor the internet answers",
    "unknown": "environment unknown",
}
VERDICT_STYLE = {
    Verdict.READY: "bold green",
    Verdict.DEGRADED: "bold yellow",
    Verdict.BLOCKED: "bold red",
    Verdict.UNKNOWN: "bold yellow",
}
STATUS_STYLE = {Status.OPEN: "green", Status.SKIPPED: "dim", Status.ERROR: "yellow"}
SEVERITY_MARK = {
    Severity.ERROR: ("✗", "x", "red"),
    Severity.WARNING: ("!", "!", "yellow"),
    Severity.INFO: ("i", "i", "cyan"),
}

Word = tuple[str, str]  # (text without whitespace, rich style or "")


@dataclass
class Block:
    """A paragraph: ``first`` prefixes its first line, ``rest`` every continuation line."""

    first: list[Word]
    words: list[Word]
    rest: int = 0  # continuation indent in columns; 0: under the first word after `first`
    blank: bool = False  # an empty line

    @staticmethod
    def gap() -> Block:
        return Block([], [], blank=True)


@dataclass
class Layout:
    ascii_only: bool = False
    blocks: list[Block] = field(default_factory=list)

    def add(
        self, indent: int, words: list[Word], mark: Word | None = None, rest: int | None = None
    ) -> None:
        first: list[Word] = [(" " * indent, "")] if indent else []
        if mark is not None:
            first.append((mark[0] + " ", mark[1]))
        width = sum(len(w) for w, _ in first)
        self.blocks.append(Block(first, words, width if rest is None else rest))

    def mark(self, sev: Severity) -> Word:
        uni, asc, style = SEVERITY_MARK[sev]
        return (asc if self.ascii_only else uni, style)

    def ok(self, good: bool) -> Word:
        if good:
            return ("+" if self.ascii_only else "✓", "green")
        return ("x" if self.ascii_only else "✗", "red")

    def state(self, state: str) -> Word:
        """A target's mark: ✓ ok, ○ expected (neither works nor is a fault), ? unmeasured
        (the run deadline cut it short: no measured failure), ✗ otherwise."""
        if state == "expected":
            return ("-" if self.ascii_only else "○", "cyan")
        if state == "unmeasured":
            return ("?", "yellow")
        return self.ok(state == "ok")

    @property
    def dash(self) -> str:
        return "-" if self.ascii_only else pv.EN_DASH


def words(text: str, style: str = "") -> list[Word]:
    return [(w, style) for w in clean(text).split()]


def wrap(block: Block, width: int) -> list[list[Word]]:
    """Lines of whole words, each no wider than ``width`` unless one word alone is (a
    continuation line gives up its indent first). Pure."""
    if block.blank:
        return [[]]
    lines: list[list[Word]] = []
    line = list(block.first)
    used = sum(len(w) for w, _ in line)
    bare = True  # no word on this line yet
    for w, style in block.words:
        need = len(w) + (0 if bare else 1)
        if not bare and used + need > width:
            lines.append(line)
            # A word longer than the indented line (a vpce-… name is 77 characters) gives up
            # indent rather than overflow.
            indent = block.rest if block.rest + len(w) <= width else max(0, width - len(w))
            line, used, bare = [(" " * indent, "")], indent, True
            need = len(w)
        if not bare:
            line.append((" ", ""))
        line.append((w, style))
        used += need
        bare = False
    lines.append(line)
    return lines


def layout(report: Report, verbose: bool = False, ascii_only: bool = False) -> Layout:
    """The report as blocks of words, independent of width and colour."""
    out = Layout(ascii_only)
    d = report.diagnosis
    out.add(0, words(HEADLINE[d.verdict], VERDICT_STYLE[d.verdict]))
    bounded = adv.scope(report)
    if bounded:  # --nameserver: the verdict is that resolver's answers', said at once
        out.add(0, words(bounded, "bold"))
    facts = _facts(report)
    sep = " -" if ascii_only else " ·"
    out.add(
        0, [(clean(x) + (sep if i < len(facts) - 1 else ""), "dim") for i, x in enumerate(facts)]
    )
    advice = adv.advise(report)
    out.blocks.append(Block.gap())
    out.add(0, [("WHAT TO DO", "bold")])
    out.add(2, words(advice.first, "bold"))
    if advice.decide and advice.decide != advice.first:
        out.add(2, words(advice.decide))
    for group in advice.groups:
        out.add(2, words(group.title + ":", "bold"))
        for f in group.findings:
            _finding(out, f, 4)
    _paths(out, report, verbose)
    if report.evidence.quality is not None:  # absent in reports from before it
        out.blocks.append(Block.gap())
        out.add(0, [("SESSION QUALITY", "bold")])
        unprobed = pv.endpoint_unprobed(report)
        for line in quality_sentences(report.evidence.quality, verbose, unprobed):
            out.add(2, words(line))
    machine = report.paths.sentences() if report.paths is not None else []
    machine += [report.proxy.pac_note] if report.proxy.pac_note else []
    if report.host.runs_in == "container":  # a note, never a finding (issue 16)
        machine.append(
            f"Note: wsdiag ran inside a container ({report.host.runs_in_why}): its network "
            "may be the host's or its own."
        )
    if machine:  # routes per path, tunnels, the client (wsdiag.host.paths), the PAC used
        out.blocks.append(Block.gap())
        out.add(0, [("THIS MACHINE", "bold")])
        for line in machine:
            out.add(2, words(clean(line)))
    if report.cloud is not None:  # --aws: its findings are in the owners' groups above
        from wsdiag.cloud.source import summary

        out.blocks.append(Block.gap())
        out.add(0, [("THE ENDPOINT'S SIDE (AWS, read-only)", "bold")])
        out.add(2, words(clean(summary(report.cloud))))
    if advice.notes:
        out.blocks.append(Block.gap())
        out.add(0, [("NOTES", "bold")])
        for f in advice.notes:
            _finding(out, f, 2, f"({f.owner})" if f.owner else "")
    if report.logs and report.logs.comparison:
        out.blocks.append(Block.gap())
        out.add(0, [("CLIENT LOGS", "bold")])
        if report.host.logs_user:  # as SYSTEM/root: never the name (redact.user hides it)
            out.add(2, words("read from the console user's profile"))
        out.add(2, words(report.logs.comparison))
    out.blocks.append(Block.gap())
    tail = f"exit code {d.verdict.exit_code} ({d.verdict}); --json or --html FILE for details"
    out.add(0, words(tail + ("" if verbose else ", -v for every probe"), "dim"))
    return out


def _facts(report: Report) -> list[str]:
    env = ENVIRONMENT_TEXT.get(str(report.diagnosis.environment), "environment unknown")
    facts = [
        env,
        f"region {report.region}"
        + (" (from the client's logs)" if report.region_source == "logs" else ""),
        # the whole process's time (start-up, logs, probes), as the user waited for it
        f"{(report.process_ms or report.duration_ms) / 1000:.2f} s",
        f"wsdiag {report.tool_version}",
    ]
    proxy = report.proxy
    if proxy.mode is ProxyMode.PROXY:
        facts.append(f"TCP 443 via proxy {proxy.url or ''}")  # QUIC never goes through it
    elif proxy.mode is ProxyMode.UNTESTED:
        facts.append(f"proxy {proxy.url or ''} not tested")
    elif proxy.mode is ProxyMode.DISABLED:
        facts.append("--no-proxy: all direct")
    return facts


def _finding(out: Layout, f: Finding, indent: int, tag: str = "") -> None:
    head = [(f.code, "bold"), (tag + ":", "dim")] if tag else [(f.code + ":", "bold")]
    out.add(indent, head + words(f.message), out.mark(f.severity))
    if f.remediation:
        out.add(indent + 2, [("fix:", "bold"), *words(f.remediation)], rest=indent + 7)


def _paths(out: Layout, report: Report, verbose: bool) -> None:
    out.blocks.append(Block.gap())
    out.add(0, [("PATHS", "bold")])
    views = pv.target_views(report)
    for role in (Role.ENDPOINT, Role.AUTH, Role.HEALTH):
        group = [v for v in views if v.role is role and v.state != "skipped"]
        one, many = pv.GROUP_TITLE[role]
        good = [v for v in group if v.state == "ok"]
        if good and not verbose:
            _collapsed(out, good, one if len(good) == 1 else f"{len(good)} {many}")
            group = [v for v in group if v.state != "ok"]
        # Targets failing the same way share one line: the hosts are the list to act on.
        alike: dict[object, list[pv.TargetView]] = {}
        for v in group:
            key = v.target_id if verbose or role is Role.ENDPOINT else _signature(v)
            alike.setdefault(key, []).append(v)
        for same in alike.values():
            _expanded(out, same, one if len(same) == 1 else f"{len(same)} {many}", verbose)
    skipped = [v for v in views if v.state == "skipped"]
    if skipped:
        reasons: dict[str, list[str]] = {}
        for v in skipped:
            reasons.setdefault(v.reason, []).append(v.target_id)
        text = "; ".join(f"{', '.join(ids)} ({why})" for why, ids in reasons.items())
        out.add(2, words(f"Not tested: {text}.", "dim"))


def _signature(v: pv.TargetView) -> object:
    if v.state == "dns":
        return v.reason
    return (v.state, *((p.transport, p.port, p.status, pv.probe_note(p)) for p in v.probes))


def _collapsed(out: Layout, good: list[pv.TargetView], label: str) -> None:
    probes = [p for v in good for p in v.probes if p.status is not Status.SKIPPED]
    total = len(good)
    everywhere, some = [], []
    for kind in pv.kinds(probes):
        n = len({p.target_id for p in probes if f"{p.transport}/{p.port}" == kind})
        if n == total:
            everywhere.append(kind)
        else:
            some.append(f"{kind} open ({n} of {total})")
    if all(v.proxied for v in good):
        # Each kind says which way it was tested: only TCP/TLS goes through the proxy, QUIC
        # (UDP) never does (issue 19 item 5); the endpoint's TCP was tested both ways.
        how = {k: _route_words(k, probes) for k in pv.kinds(probes)}
        ways: dict[str, list[str]] = {}
        for k in everywhere:
            ways.setdefault(how[k], []).append(k)
        some = [s.replace(" open (", f" open {how[s.split()[0]]} (", 1) for s in some]
        parts = [f"{', '.join(ks)} open {way}" for way, ks in ways.items()] + some
    else:
        parts = ([", ".join(everywhere) + " open"] if everywhere else []) + some
    times = pv.ms_range(probes, out.dash)
    head = words(label) + _host_words(good[0]) if total == 1 else words(label + ":")
    tail = [(part + ",", "green") for part in parts[:-1]] + [(parts[-1], "green")]
    if times:
        tail[-1] = (tail[-1][0] + ",", "green")
        tail.append((times, ""))
    out.add(2, head + tail, out.ok(True))


def _route_words(kind: str, probes: list[ProbeResult]) -> str:
    """How the open probes of ``kind`` ("tcp/443") went: "via proxy", "direct", or "direct
    and via proxy". QUIC is always direct, whatever a probe says."""
    vias = {p.via for p in probes if f"{p.transport}/{p.port}" == kind}
    if kind.startswith("quic/") or Via.PROXY not in vias:
        return "direct"
    return "via proxy" if vias == {Via.PROXY} else "direct and via proxy"


def _host_words(v: pv.TargetView) -> list[Word]:
    """'host (address):' or 'host:' with one address or none; 'host (N addresses):'."""
    addrs = v.addresses
    if len(addrs) == 1:
        return [(clean(v.host), "bold"), (f"({addrs[0]}):", "")]
    if addrs:
        return [(clean(v.host), "bold"), (f"({', '.join(addrs)}):", "")]
    return [(clean(v.host) + ":", "bold")]


def _expanded(out: Layout, same: list[pv.TargetView], label: str, verbose: bool) -> None:
    v = same[0]
    mark = out.state(v.state)
    calm = v.state == "expected"  # its statuses are what was tested, not a fault: no red
    if len(same) > 1:  # one line for the kind of failure, the hosts beneath
        what = v.reason if v.state == "dns" else None
        head = words(label + ":") + (
            words(what + "; not probed")
            if what
            else _cells(out, v.probes, verbose, with_ms=False, calm=calm)
        )
        out.add(2, head, mark)
        hosts = [
            (clean(x.host) + ("," if i < len(same) - 1 else ""), "") for i, x in enumerate(same)
        ]
        out.add(6, hosts)
    elif v.state == "dns":
        host: Word = (clean(v.host) + ":", "bold")
        out.add(2, [*words(label), host, *words(v.reason + "; not probed")], mark)
    elif v.role is not Role.ENDPOINT and len(v.addresses) <= 1:
        cells = _cells(out, v.probes, verbose, calm=calm)
        out.add(2, words(label) + _host_words(v) + cells, mark)
    else:
        out.add(2, [*words(label), (clean(v.host) + ":", "bold")], mark)
        for addr in v.addresses:
            row = [p for p in v.probes if p.address == addr]
            out.add(6, [(f"{addr}:", ""), *_cells(out, row, verbose)], rest=8 + len(addr))
        # CONNECT <private name>:port through the proxy has no address: its own row, so a
        # failure there is shown where the mark says there is one
        through = [p for p in v.probes if p.address is None and p.status is not Status.SKIPPED]
        if through:
            out.add(6, [("through the proxy:", ""), *_cells(out, through, verbose)], rest=8)
    if calm:
        out.add(4, words(v.reason, "cyan"))
    elif v.state == "unmeasured":
        out.add(4, words(v.reason, "yellow"))


def _cells(
    out: Layout,
    probes: tuple[ProbeResult, ...] | list[ProbeResult],
    verbose: bool,
    with_ms: bool = True,
    calm: bool = False,
) -> list[Word]:
    """Per probe one unit that wraps whole ('tcp/443 open 19 ms'), then its note and, with
    -v, where it stopped, as ordinary words; cells separated by ' ·'. ``calm``: a failure
    the report calls expected, shown without the red of a fault."""
    cells: list[Word] = []
    sep = " -" if out.ascii_only else " ·"
    for i, p in enumerate(probes):
        style = "cyan" if calm else STATUS_STYLE.get(p.status, "red")
        # a probe the deadline cut was not measured: "error" would read as a failure
        head = f"{p.transport}/{p.port} {'not measured' if pv.cut(p) else p.status}"
        if with_ms and p.status is Status.OPEN and p.ms is not None:
            head += f" {p.ms:.0f} ms"
        cell: list[Word] = [(head, style)]
        note = pv.probe_note(p)
        if note:
            cell += words(f"({note})", style)
        if verbose and p.status is not Status.OPEN and (p.phase or p.detail):
            cell += words(f"[{' '.join(x for x in (p.phase, p.detail) if x)}]", style)
        if i < len(probes) - 1:
            cell[-1] = (cell[-1][0] + sep, cell[-1][1])
        cells += cell
    return cells


def render_text(
    report: Report,
    *,
    width: int = 80,
    color: bool = False,
    verbose: bool = False,
    ascii_only: bool = False,
) -> str:
    """The report as text for a terminal ``width`` columns wide (min 40), ANSI colours when
    ``color``; ``ascii_only`` for streams that cannot encode ✓/✗. Returns the whole text."""
    width = max(40, width)
    lines = [line for b in layout(report, verbose, ascii_only).blocks for line in wrap(b, width)]
    if not color:
        return "\n".join("".join(w for w, _ in line).rstrip() for line in lines) + "\n"
    import io

    from rich.console import Console
    from rich.text import Text

    buf = io.StringIO()
    console = Console(
        file=buf,
        width=10_000,
        force_terminal=True,
        color_system="standard",
        highlight=False,
        markup=False,
        emoji=False,
        soft_wrap=True,
    )
    for line in lines:
        text = Text()
        for w, style in line:
            text.append(w, style=style or None)
        text.rstrip()
        console.print(text)
    return buf.getvalue()
