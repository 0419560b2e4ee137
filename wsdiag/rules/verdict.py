"""Evidence -> findings -> verdict. Pure.

Every finding rule that matches adds one finding. A finding's severity decides the
verdict: any ERROR -> blocked; else any fact needed for "ready" unknown -> unknown; else
any WARNING -> degraded; else ready, and only where every endpoint address answered both
4195 paths. So a false "ready" needs every needed fact to be a measured YES.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from wsdiag.rules.bounded import BOUNDED_RULES
from wsdiag.rules.chain import ADVISORY_CODES, CHAIN_RULES
from wsdiag.rules.endpoint import ENDPOINT_RULES
from wsdiag.rules.endpoint_name import DNS_RULES
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
from wsdiag.rules.streaming import FALLBACK_CLIENTS, STREAMING_RULES, UNDECIDED
from wsdiag.rules.tls import TLS_RULES
from wsdiag.vocab.evidence import Evidence
from wsdiag.vocab.model import Environment, Owner, ProxyMode, Severity, Tri, Verdict
from wsdiag.vocab.report import Diagnosis
from wsdiag.vocab.results import Finding
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
    *STREAMING_RULES,
    *LOCAL_RULES,
    *BOUNDED_RULES,
    *QUALITY_RULES,
    NOT_MEASURED,
)


def verdict_of(e: Evidence, findings: tuple[Finding, ...], undecided: bool = False) -> Verdict:
    """``undecided``: an undocumented route's two verdicts differ (``_both``)."""
    # A poor session quality is shown always, and judged only with --quality-verdict.
    severities = {
        f.severity
        for f in findings
        if ((e.quality is not None and e.quality.counts) or f.code not in QUALITY_CODES)
        and f.code not in ADVISORY_CODES  # the OS's own answer already decides
    }
    if Severity.ERROR in severities:
        return Verdict.BLOCKED
    if undecided:  # both outcomes given (STREAM_PATH_UNKNOWN): which is not known
        return Verdict.UNKNOWN
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


@dataclass(frozen=True)
class _Judged:
    evidence: Evidence
    environment: Environment
    rule: str
    findings: tuple[Finding, ...]
    verdict: Verdict


def _judge(e: Evidence) -> _Judged:
    environment, env_rule = environment_of(e)
    own = findings_of(CheckFacts.of(e, environment))
    return _Judged(e, environment, env_rule, own, verdict_of(e, own))


# What decides a verdict, for the two outcomes' summary: its errors, else its warnings.
_DECIDING = {Verdict.BLOCKED: Severity.ERROR, Verdict.DEGRADED: Severity.WARNING}


def _why(j: _Judged) -> str:
    rank = _DECIDING.get(j.verdict)
    codes = [f.code for f in j.findings if rank is not None and f.severity is rank]
    if j.verdict is Verdict.UNKNOWN:
        codes = [f.code for f in j.findings if f.severity is not Severity.INFO] or ["NOT_MEASURED"]
    return ", ".join(dict.fromkeys(codes))


def _verdict_words(j: _Judged) -> str:
    """ "degraded", or "degraded for clients with the 443 fallback (…), blocked for older
    ones" where the proxy carries 443 only and the client's version is not known."""
    codes = {f.code for f in j.findings}
    split = (
        j.verdict is Verdict.DEGRADED
        and "PROXY_DENIES_CONNECT_4195" in codes
        and j.evidence.client_fallback_443 is Tri.UNKNOWN
    )
    if split:
        return (
            f"degraded for clients with the 443 fallback ({FALLBACK_CLIENTS}), blocked for "
            "older ones"
        )
    return str(j.verdict)


def _both(proxied: _Judged, direct: _Judged) -> _Judged:
    """An undocumented route: where the two routes agree on the verdict, that verdict with
    the findings of both (one per code); else the verdict is unknown, the findings the two
    share (at the lower severity) and STREAM_PATH_UNKNOWN with both outcomes. The proxy's
    view is the evidence shown (its direct TCP probes stay in the report)."""
    if proxied.verdict is direct.verdict:
        seen = {f.code for f in proxied.findings}
        found = proxied.findings + tuple(f for f in direct.findings if f.code not in seen)
        return _Judged(proxied.evidence, proxied.environment, proxied.rule, found, proxied.verdict)
    outcomes = tuple(
        (route, _verdict_words(j), _why(j)) for route, j in (("proxy", proxied), ("direct", direct))
    )
    e = proxied.evidence
    environment, env_rule = environment_of(e, undecided=True)
    theirs = {f.code: f for f in direct.findings}
    shared = [
        min(f, theirs[f.code], key=lambda x: x.severity.rank)
        for f in proxied.findings
        if f.code in theirs
    ]
    undecided = apply(UNDECIDED, CheckFacts.of(e, environment, outcomes))
    found = ((undecided,) if undecided else ()) + tuple(shared)
    return _Judged(e, environment, env_rule, found, verdict_of(e, found, undecided=True))


def _shown(j: _Judged, extra: tuple[Finding, ...]) -> Diagnosis:
    # most severe first; inside WSL the first finding says the network is not Windows'
    shown = tuple(
        sorted(j.findings + extra, key=lambda f: (f.code != "RUNS_IN_WSL", -f.severity.rank))
    )
    return Diagnosis(j.environment, j.verdict, shown, j.rule)


def diagnose(e: Evidence, extra: tuple[Finding, ...] = ()) -> Diagnosis:
    """Evidence -> Diagnosis. ``extra`` findings (the client's logs, the cloud's) describe
    the past or the other side: they are shown, but only our own rules set the verdict.
    Findings are listed most severe first; ties keep row order, our own before the others'."""
    return _shown(_judge(e), extra)


def diagnose_routes(
    evidences: Sequence[Evidence], extra: tuple[Finding, ...] = ()
) -> tuple[Evidence, Diagnosis]:
    """The Evidence of each route the client's DCV TCP stream may take (built by
    ``wsdiag.evidence.client_paths.views``) -> (the Evidence shown, its Diagnosis).

    One Evidence (no proxy path probed, or the route decided: direct, or through the proxy
    on its answers to CONNECT with direct QUIC): that one, judged as ``diagnose`` does.
    Two (an undocumented route: through the proxy first, then direct): both judged and
    combined (``_both``). Raises ValueError for none or more than two."""
    if len(evidences) == 1:
        return evidences[0], diagnose(evidences[0], extra)
    if len(evidences) != 2 or not evidences[0].tcp_through_proxy:
        raise ValueError("one Evidence per route: one, or through the proxy then direct")
    j = _both(_judge(evidences[0]), _judge(evidences[1]))
    return j.evidence, _shown(j, extra)
