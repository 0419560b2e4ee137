"""Evidence -> findings -> verdict. Pure.

Every finding rule that matches adds one finding. A finding's severity decides the
verdict: any ERROR -> blocked; else any fact needed for "ready" unknown -> unknown; else
any WARNING -> degraded; else ready, and only where every endpoint address answered both
4195 paths. So a false "ready" needs every needed fact to be a measured YES.
"""

from __future__ import annotations

from wsdiag.rules.bounded import BOUNDED_RULES
from wsdiag.rules.endpoint import DNS_RULES, ENDPOINT_RULES
from wsdiag.rules.environment import environment_of
from wsdiag.rules.host import HOST_RULES
from wsdiag.rules.internet import INTERNET_RULES
from wsdiag.rules.local import LOCAL_RULES
from wsdiag.rules.names import NAME_RULES
from wsdiag.rules.rows import FindingRule, Fire, U, Y, apply
from wsdiag.rules.tls import TLS_RULES
from wsdiag.vocab.model import Environment, Owner, ProxyMode, Severity, Verdict
from wsdiag.vocab.report import Diagnosis
from wsdiag.vocab.results import Evidence, Finding

# Every one of these must be a measured YES or NO for a verdict of ready or degraded:
# streaming paths we could not measure are never assumed to work.
READY_FACTS: dict[str, str] = {
    "DNS configuration": "dns_configured",
    "private name resolves": "endpoint_resolves",
    "private address": "endpoint_private",
    "endpoint reachable": "endpoint_reachable",
    "every endpoint address": "endpoint_all_addresses",
    "QUIC to the endpoint": "endpoint_quic",
    "port 4195 on the endpoint": "endpoint_4195",
    "TCP to the endpoint": "endpoint_usable",
    "both 4195 paths of every endpoint address": "endpoint_complete",
    "registration reachable": "auth_reachable",
}

# ... and these must be YES: a NO here without an error finding would be a gap in the rules,
# and a gap must read "unknown", never "ready".
MUST_BE_YES = (
    "dns_configured",
    "endpoint_resolves",
    "endpoint_private",
    "endpoint_reachable",
    "endpoint_usable",
    "auth_reachable",
)
# ... and this must be YES for "ready" (a NO degrades through the per-address findings; a NO
# that none of them names is such a gap too).
READY_ONLY_IF_YES = ("endpoint_complete",)


def unmeasured(e: Evidence) -> list[str]:
    return [label for label, attr in READY_FACTS.items() if getattr(e, attr) is U]


def _not_measured(e: Evidence, _env: Environment) -> Fire | None:
    unknown = unmeasured(e)
    if not unknown:
        return None
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
    "not-measured",
    "NOT_MEASURED",
    Severity.INFO,
    Owner.USER,
    "which needed facts could not be measured (dropped when an error finding explains why)",
    "Could not measure: {unknown} ({causes}); wsdiag does not guess, so the verdict cannot "
    "be 'ready'.",
    "{fix}",
    fire=_not_measured,
    basis=(),
)

FINDING_RULES: tuple[FindingRule, ...] = (
    *NAME_RULES,
    *DNS_RULES,
    *ENDPOINT_RULES,
    *INTERNET_RULES,
    *TLS_RULES,
    *HOST_RULES,
    *LOCAL_RULES,
    *BOUNDED_RULES,
    NOT_MEASURED,
)
SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def verdict_of(e: Evidence, findings: tuple[Finding, ...]) -> Verdict:
    severities = {f.severity for f in findings}
    if Severity.ERROR in severities:
        return Verdict.BLOCKED
    if unmeasured(e) or any(getattr(e, a) is not Y for a in MUST_BE_YES):
        return Verdict.UNKNOWN
    if Severity.WARNING in severities:
        return Verdict.DEGRADED
    if any(getattr(e, a) is not Y for a in READY_ONLY_IF_YES):
        return Verdict.UNKNOWN
    return Verdict.READY


def findings_of(e: Evidence, environment: Environment) -> tuple[Finding, ...]:
    """Every row's finding, in row order; a finding removes those its row's ``never_with``
    names (a captive portal explains the path findings about its names)."""
    fired = [(rule, f) for rule in FINDING_RULES if (f := apply(rule, e, environment))]
    explained = {code for rule, _ in fired for code in rule.never_with}
    found = [f for _, f in fired if f.code not in explained]
    if any(f.severity is Severity.ERROR for f in found):
        # A blocking finding already explains why; "could not measure" would only repeat it.
        found = [f for f in found if f.code != NOT_MEASURED.code]
    return tuple(found)


def diagnose(e: Evidence, extra: tuple[Finding, ...] = ()) -> Diagnosis:
    """Evidence -> Diagnosis. ``extra`` findings (the client's logs) describe the past: they
    are shown, but only our own rules set the verdict."""
    environment, env_rule = environment_of(e)
    own = findings_of(e, environment)
    shown = tuple(sorted(own + extra, key=lambda f: SEVERITY_ORDER[f.severity]))
    return Diagnosis(environment, verdict_of(e, own), shown, env_rule)
