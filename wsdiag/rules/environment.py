"""Evidence -> the kind of network this machine is in. Pure; the rows are the docs' table."""

from __future__ import annotations

from wsdiag.rules.host import HOST_ENV_RULES
from wsdiag.vocab.model import Environment, Tri
from wsdiag.vocab.results import Evidence
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


ENVIRONMENT_RULES: tuple[EnvRule, ...] = (
    EnvRule(
        name="no-resolver-config",
        when=lambda e: e.dns_configured is N,
        environment=Environment.UNKNOWN,
        text="no resolver configuration",
    ),
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
    EnvRule(
        name="client-path-undocumented",
        when=lambda e: e.stream_undecided,
        environment=Environment.UNKNOWN,
        text="an http proxy, and which way the client streams TCP is not documented: the two "
        "routes lead to different verdicts",
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


def environment_of(e: Evidence) -> tuple[Environment, str]:
    rule = next(r for r in ENVIRONMENT_RULES if r.when(e))
    return rule.environment, rule.name
