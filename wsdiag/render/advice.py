"""What to do, and who does it: the report's findings ordered by owner. Pure, no I/O.

Every renderer (terminal, HTML) shows the same advice in the same order, so the order is
decided here once: the person at the keyboard first (what they can do now), then this
machine's settings, then the network team, then the AWS administrator. Where the person at
the keyboard can do nothing, the first line says whom to escalate to and what to hand them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wsdiag.vocab.model import Owner, ProxyMode, Severity, Status, Verdict
from wsdiag.vocab.report import Report
from wsdiag.vocab.results import Finding, ProbeResult

# Most useful first: what the person at the keyboard can do now comes before any ticket.
OWNER_ORDER: tuple[Owner, ...] = (Owner.USER, Owner.DESKTOP, Owner.NETWORK, Owner.AWS)
OWNER_TITLE: dict[Owner | None, str] = {
    Owner.USER: "You, at this machine",
    Owner.DESKTOP: "This machine's settings (you or desktop support)",
    Owner.NETWORK: "Network team (firewall, proxy, DNS, routes)",
    Owner.AWS: "AWS administrator (VPC endpoint, security group, directory)",
    # Every finding carries its row's owner; None only in a saved report that names none.
    # A team is never guessed: a ticket sent astray costs more than an unassigned line.
    None: "Not yet assigned to a team",
}
ESCALATE_TO: dict[Owner, str] = {
    Owner.DESKTOP: "desktop support (or yourself, if you manage this machine)",
    Owner.NETWORK: "your network team",
    Owner.AWS: "your AWS administrator",
}
HAND_OVER = "`wsdiag bundle` (or the output of `wsdiag check --json`)"
# --nameserver given (wsdiag.rules.names): every answer is that resolver's, not this
# machine's. Every output says so where it gives the verdict: the text and HTML right under
# the headline (SCOPE), ``line``/``jamf`` right after the verdict word (formats.LINE_SCOPE).
NAMESERVER_GIVEN = "NAMESERVER_GIVEN"
SCOPE = (
    "DNS answers from the resolver given with --nameserver only: this machine's own "
    "resolver was not asked (the client may see other answers)."
)


def nameserver_given(codes: object) -> bool:
    """The findings (codes, or Finding objects) say --nameserver was the only resolver asked."""
    if not isinstance(codes, (list, tuple)):
        return False
    return any(getattr(c, "code", c) == NAMESERVER_GIVEN for c in codes)


def scope(report: Report) -> str | None:
    """The sentence that bounds the verdict to the given resolver's answers, or None."""
    return SCOPE if nameserver_given(report.diagnosis.findings) else None


@dataclass(frozen=True)
class Group:
    """The findings one owner acts on, most severe first."""

    owner: Owner | None
    title: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Advice:
    """``first``: the one line to read if nothing else; ``groups``: actionable findings
    (errors and warnings) by owner; ``notes``: the info findings, whoever owns them;
    ``decide``: for an unknown verdict, what would decide it (else None)."""

    first: str
    groups: tuple[Group, ...]
    notes: tuple[Finding, ...]
    decide: str | None


def _actionable(f: Finding) -> bool:
    """An error or a warning. An info finding is a note even where the user owns it
    (LOGS_NO_SESSIONS, NOT_MEASURED): inside WHAT TO DO it would contradict the first line
    ("Nothing to change at this machine" above "You, at this machine: i ...")."""
    return f.severity is not Severity.INFO


def from_logs(f: Finding) -> bool:
    """A finding of the client's logs (the past), not of this run."""
    return f.code.startswith("LOGS_")


def advise(report: Report) -> Advice:
    """Order the report's findings into advice. Pure; never raises on any Report. The live
    run's findings lead within each owner, and only they make the first line: the logs
    describe the past and never set the verdict, so they never lead its advice."""
    findings = sorted(report.diagnosis.findings, key=lambda f: (from_logs(f), -f.severity.rank))
    act = [f for f in findings if _actionable(f)]
    notes = tuple(f for f in findings if not _actionable(f))
    groups = []
    live = []
    for owner in (*OWNER_ORDER, None):
        mine = tuple(f for f in act if f.owner is owner)
        if mine:
            groups.append(Group(owner, OWNER_TITLE[owner], mine))
        now = tuple(f for f in mine if not from_logs(f))
        if now:
            live.append(Group(owner, OWNER_TITLE[owner], now))
    verdict = report.diagnosis.verdict
    decide = what_would_decide(report) if verdict is Verdict.UNKNOWN else None
    given = scope(report) is not None
    first = _first_line(verdict, tuple(live), decide, given)
    return Advice(first, tuple(groups), notes, decide)


def _first_line(
    verdict: Verdict, groups: tuple[Group, ...], decide: str | None, given: bool = False
) -> str:
    if not groups:
        if verdict is Verdict.READY and given:
            return (
                "Nothing to do: streaming should work from here, if this machine's own "
                "resolver answers as the one given with --nameserver did."
            )
        if verdict is Verdict.READY:
            return "Nothing to do: streaming should work from here."
        if decide:
            return decide
        return "No fix to suggest; the paths below say what failed."
    top = groups[0]
    if top.owner is Owner.USER:
        return f"You can fix this now: {_lead(top.findings[0])}"
    if top.owner is None:
        return f"Hand {HAND_OVER} to your IT support; the findings below say what failed."
    return f"Nothing to change at this machine: hand {HAND_OVER} to {ESCALATE_TO[top.owner]}."


def _lead(f: Finding) -> str:
    """The user's step: the remediation's first clause, without asides."""
    text = re.sub(r" \([^)]*\)", "", f.remediation or f.message)
    head = re.split(r"\. |; |, or", text)[0].rstrip(".")
    if "run wsdiag" in head.lower() or "wsdiag check" in head:  # the step is a run itself
        return head + "."
    return head + ", then run wsdiag check again."


def what_would_decide(report: Report) -> str:
    """For an unknown verdict: which measurement is missing and what would supply it.

    A rerun only helps where the run was cut short (the deadline) or a probe erred; silence
    (filtered) is already an answer, and an untested proxy needs testing by other means."""
    probes = report.probes
    cut = [p for p in probes if p.status is Status.ERROR and p.phase == "deadline"]
    erred = [p for p in probes if p.status is Status.ERROR and p.phase != "deadline"]
    parts: list[str] = []
    if report.proxy.mode is ProxyMode.UNTESTED:
        parts.append(
            "the sign-in domains sit behind a proxy wsdiag cannot test: test the proxy "
            "by hand, or run with --no-proxy where direct 443 is allowed"
        )
    if cut:
        parts.append(
            f"the run deadline cut {len(cut)} probe(s) short: run again with a longer --deadline"
        )
    if erred:
        parts.append(
            f"{len(erred)} probe(s) failed locally ({_sample(erred)}): fix that error and run again"
        )
    unknown_dns = [d for d in report.dns if d.outcome.value in ("error", "timeout")]
    if unknown_dns and not parts:
        parts.append(
            "the resolver did not answer the lookups: the endpoint could not be "
            "probed until it does"
        )
    if not parts:
        parts.append("no probe result decides it; hand the --json output to support")
    return "To decide it: " + "; ".join(parts) + "."


def _sample(probes: list[ProbeResult]) -> str:
    p = probes[0]
    return f"{p.host} {p.transport}/{p.port}: {p.detail or p.status}"
