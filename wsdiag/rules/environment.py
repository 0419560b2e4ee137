"""Evidence -> the kind of network this machine is in. Pure; the rows are the docs' table."""

from __future__ import annotations

from wsdiag.rules.host import HOST_ENV_RULES
from wsdiag.rules.local import LOCAL_ENV_RULES
from wsdiag.vocab.evidence import Evidence
from wsdiag.vocab.model import Environment, Tri
from wsdiag.vocab.rows import EnvRule

Y, N = Tri.YES, Tri.NO


def _endpoint_ok(e: Evidence) -> bool:
    return (e.endpoint_resolves, e.endpoint_private, e.endpoint_reachable) == (Y, Y, Y)


def _endpoint_bad(e: Evidence) -> bool:
    return N in (e.endpoint_resolves, e.endpoint_private, e.endpoint_reachable)


def _not_ours(e: Evidence) -> bool:
    """The evidence says this is not the VPC's network: the private name has no private
    answer here, and its path (where known) does not use a tunnel."""
    return (
        e.endpoint_resolves is N or e.endpoint_private is N or e.endpoint_resolves is Tri.UNKNOWN
    ) and e.endpoint_via_tunnel is not Y


def _internet_untested(e: Evidence) -> bool:
    """Every internet target's 443 stopped at the proxy itself (its name, its port, or its
    407: ``proxy_explains``): nothing beyond the proxy was asked, so "the internet does not
    answer" (closed, offline) would be a guess; the proxy's finding says what failed."""
    return (
        e.internet_reachable is N and bool(e.targets) and all(t.proxy_explains for t in e.targets)
    )


# Not a fact of one Evidence: the rules' judgement over the two routes' Evidences
# (``wsdiag.rules.verdict.diagnose_routes``), which asks for it through ``environment_of``.
UNDECIDED_ENV = EnvRule(
    name="client-path-undocumented",
    when=lambda e: False,
    environment=Environment.UNKNOWN,
    text="an http proxy, and which way the client streams TCP is not documented: the two "
    "routes lead to different verdicts",
)

ENVIRONMENT_RULES: tuple[EnvRule, ...] = (
    EnvRule(
        name="no-resolver-config",
        when=lambda e: e.dns_configured is N,
        environment=Environment.UNKNOWN,
        text="no resolver configuration",
    ),
    *LOCAL_ENV_RULES,
    EnvRule(
        name="no-route",
        when=lambda e: e.no_route is Y,
        environment=Environment.OFFLINE,
        text='every connection failed with "network unreachable"',
    ),
    EnvRule(
        name="resolver-silent",
        when=lambda e: e.resolver_reachable is N,
        environment=Environment.UNKNOWN,
        text="no DNS query was answered",
    ),
    EnvRule(
        name="captive-portal",
        # Before the endpoint rules: the portal's own address answers for the private name and
        # for the internet alike, so "endpoint ok, internet ok" would be read off the portal.
        when=lambda e: e.captive_portal is Y,
        environment=Environment.CAPTIVE,
        text="unrelated names all resolve to one address (a captive portal or DNS hijack)",
    ),
    UNDECIDED_ENV,
    EnvRule(
        name="internet-behind-proxy-untested",
        # Before endpoint-only and nothing-reachable: HTTPS_PROXY=http://proxy.invalid:3128
        # was "closed" while the broker's QUIC answered directly (fresh report item 15).
        when=_internet_untested,
        environment=Environment.UNKNOWN,
        text="every sign-in probe stopped at the proxy (its name, its port or a 407): the "
        "internet beyond it was not tested",
    ),
    EnvRule(
        name="endpoint-only",
        when=lambda e: _endpoint_ok(e) and e.internet_reachable is N,
        environment=Environment.CLOSED,
        text="endpoint resolves privately and answers; internet does not",
    ),
    EnvRule(
        name="endpoint-and-443-only",
        when=lambda e: _endpoint_ok(e) and e.internet_reachable is Y and e.beyond_443 is N,
        environment=Environment.MINIMAL_EGRESS,
        text="endpoint ok, internet 443 ok (through the proxy, where there is one), "
        "health-check host on 4195 not",
    ),
    EnvRule(
        name="endpoint-and-open-egress",
        when=lambda e: _endpoint_ok(e) and e.internet_reachable is Y and e.beyond_443 is Y,
        environment=Environment.OPEN_EGRESS,
        text="endpoint ok, internet ok, 4195 to the internet ok",
    ),
    *HOST_ENV_RULES,
    EnvRule(
        name="internet-without-endpoint",
        when=lambda e: (
            _endpoint_bad(e) and e.internet_reachable is Y and _not_ours(e) and e.home_evidence is Y
        ),
        environment=Environment.HOME,
        text="endpoint name missing (NXDOMAIN) or public, from a resolver on the LAN, at a "
        "public address or a local stub; no tunnel up, its path not through one; internet ok",
    ),
    EnvRule(
        name="not-home-by-evidence",
        when=lambda e: (
            _endpoint_bad(e)
            and e.internet_reachable is Y
            and e.endpoint_private is not Y
            and e.home_evidence is not Y
        ),
        environment=Environment.UNKNOWN,
        text="no usable private answer, and nothing shows a home network (the name failed or "
        "timed out, or a private resolver off the LAN or a tunnel says otherwise): not home",
    ),
    EnvRule(
        name="private-answer-silent",
        when=lambda e: _endpoint_bad(e) and e.internet_reachable is Y,
        environment=Environment.UNKNOWN,
        text="private answer but the endpoint silent, no tunnel connected: not home (the "
        "resolver knows the VPC's zone), not the VPC",
    ),
    EnvRule(
        name="nothing-reachable",
        when=lambda e: _endpoint_bad(e) and e.internet_reachable is N,
        environment=Environment.OFFLINE,
        text="endpoint bad and internet unreachable",
    ),
    EnvRule(
        name="undecided", when=lambda e: True, environment=Environment.UNKNOWN, text="anything else"
    ),
)


def environment_of(e: Evidence, undecided: bool = False) -> tuple[Environment, str]:
    """The first row that matches ``e``; ``undecided``: an undocumented route's two
    verdicts differ, which ``UNDECIDED_ENV`` stands for in the rows' order."""
    rule = next(r for r in ENVIRONMENT_RULES if (undecided and r is UNDECIDED_ENV) or r.when(e))
    return rule.environment, rule.name
