"""Evidence -> findings -> verdict. Pure.

Every finding rule that matches adds one finding. A finding's severity decides the
verdict: any ERROR -> blocked; else any fact needed for "ready" unknown -> unknown; else
any WARNING -> degraded; else ready, and only where every endpoint address answered both
4195 paths. So a false "ready" needs every needed fact to be a measured YES.
"""

from __future__ import annotations

from wsdiag.rules.bounded import BOUNDED_RULES
from wsdiag.rules.chain import ADVISORY_CODES, CHAIN_RULES
from wsdiag.rules.endpoint import DNS_RULES, ENDPOINT_RULES
from wsdiag.rules.environment import environment_of
from wsdiag.rules.facts import (
    MUST_BE_YES,
    READY_FACTS,
    READY_ONLY_IF_YES,
    CheckFacts,
    CheckRule,
    unmeasured,
)
from wsdiag.rules.host import HOST_RULES
from wsdiag.rules.internet import INTERNET_RULES
from wsdiag.rules.local import LOCAL_RULES
from wsdiag.rules.names import NAME_RULES
from wsdiag.rules.quality import QUALITY_CODES, QUALITY_RULES
from wsdiag.rules.refusals import REFUSAL_RULES
from wsdiag.rules.tls import TLS_RULES
from wsdiag.vocab.model import Owner, ProxyMode, Severity, Verdict
from wsdiag.vocab.report import Diagnosis
from wsdiag.vocab.results import Evidence, Finding
from wsdiag.vocab.rows import FindingRule, Fire, Y, apply


def _not_measured(c: CheckFacts) -> Fire:
    e = c.evidence
    unknown = unmeasured(e)
    causes = (
        "errors, the run deadline or a proxy wsdiag does not test"
        if e.proxy.mode is ProxyMode.UNTESTED
        else "errors or the run deadline"
    )
    fix = (
        "Test those paths another way: run again with --no-proxy to measure direct egress, "
        "or point HTTPS_PROXY at the http:// proxy the client uses."
        if e.proxy.mode is ProxyMode.UNTESTED
        else "Run `wsdiag check -v` and read where each unmeasured probe stopped. 'deadline': "
        "the run ran out of time (run again with a longer --timeout and --deadline); "
        "any other error is local to this machine or wsdiag (hand the --json output to "
        "support)."
    )
    return Fire(
        {"unknown": ", ".join(unknown), "causes": causes, "fix": fix},
        basis=tuple(READY_FACTS[label] for label in unknown),
    )


NOT_MEASURED = FindingRule(
    name="not-measured",
    code="NOT_MEASURED",
    severity=Severity.INFO,
    owner=Owner.USER,
    when="which needed facts could not be measured (dropped when an error finding explains why)",
    message="Could not measure: {unknown} ({causes}); wsdiag does not guess, so the verdict cannot "
    "be 'ready'.",
    remediation="{fix}",
    facts=(("needed_unmeasured", (Y,)),),
    fire=_not_measured,
    basis=(),
)

FINDING_RULES: tuple[CheckRule, ...] = (
    *CHAIN_RULES,
    *NAME_RULES,
    *DNS_RULES,
    *ENDPOINT_RULES,
    *REFUSAL_RULES,
    *INTERNET_RULES,
    *TLS_RULES,
    *HOST_RULES,
    *LOCAL_RULES,
    *BOUNDED_RULES,
    *QUALITY_RULES,
    NOT_MEASURED,
)


def verdict_of(e: Evidence, findings: tuple[Finding, ...]) -> Verdict:
    # A poor session quality is shown always, and judged only with --quality-verdict.
    severities = {
        f.severity
        for f in findings
        if ((e.quality is not None and e.quality.counts) or f.code not in QUALITY_CODES)
        and f.code not in ADVISORY_CODES  # the OS's own answer already decides
    }
    if Severity.ERROR in severities:
        return Verdict.BLOCKED
    if e.runs_in_wsl is Y:
        return Verdict.UNKNOWN  # WSL's network is not Windows': at most unknown
    if unmeasured(e) or any(getattr(e, a) is not Y for a in MUST_BE_YES):
        return Verdict.UNKNOWN
    if Severity.WARNING in severities:
        return Verdict.DEGRADED
    if any(getattr(e, a) is not Y for a in READY_ONLY_IF_YES):
        return Verdict.UNKNOWN
    return Verdict.READY


def findings_of(c: CheckFacts) -> tuple[Finding, ...]:
    """Every row's finding, in row order; a finding removes those its row's ``never_with``
    names (a captive portal explains the path findings about its names)."""
    fired = [(rule, f) for rule in FINDING_RULES if (f := apply(rule, c))]
    explained = {code for rule, _ in fired for code in rule.never_with}
    found = [f for _, f in fired if f.code not in explained]
    if any(f.severity is Severity.ERROR for f in found):
        # A blocking finding already explains why; "could not measure" would only repeat it.
        found = [f for f in found if f.code != NOT_MEASURED.code]
    return tuple(found)


def diagnose(e: Evidence, extra: tuple[Finding, ...] = ()) -> Diagnosis:
    """Evidence -> Diagnosis. ``extra`` findings (the client's logs, the cloud's) describe
    the past or the other side: they are shown, but only our own rules set the verdict.
    Findings are listed most severe first; ties keep row order, our own before the others'."""
    environment, env_rule = environment_of(e)
    own = findings_of(CheckFacts.of(e, environment))
    # most severe first; inside WSL the first finding says the network is not Windows'
    shown = tuple(sorted(own + extra, key=lambda f: (f.code != "RUNS_IN_WSL", -f.severity.rank)))
    return Diagnosis(environment, verdict_of(e, own), shown, env_rule)
