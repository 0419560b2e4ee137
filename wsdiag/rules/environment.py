"""Evidence -> the kind of network this machine is in. Pure; the rows are the docs' table."""

from __future__ import annotations

from wsdiag.rules.host import HOST_ENV_RULES
from wsdiag.rules.local import LOCAL_ENV_RULES
from wsdiag.rules.rows import EnvRule
from wsdiag.vocab.model import Environment, Tri
from wsdiag.vocab.results import Evidence

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
        "no-resolver-config",
        lambda e: e.dns_configured is N,
        Environment.UNKNOWN,
        "no resolver configuration",
    ),
    *LOCAL_ENV_RULES,
    EnvRule(
        "no-route",
        lambda e: e.no_route is Y,
        Environment.OFFLINE,
        'every connection failed with "network unreachable"',
    ),
    EnvRule(
        "resolver-silent",
        lambda e: e.resolver_reachable is N,
        Environment.UNKNOWN,
        "no DNS query was answered",
    ),
    EnvRule(
        "endpoint-only",
        lambda e: _endpoint_ok(e) and e.internet_reachable is N,
        Environment.CLOSED,
        "endpoint resolves privately and answers; internet does not",
    ),
    EnvRule(
        "endpoint-and-443-only",
        lambda e: _endpoint_ok(e) and e.internet_reachable is Y and e.beyond_443 is N,
        Environment.MINIMAL_EGRESS,
        "endpoint ok, internet 443 ok (through the proxy, where there is one), "
        "health-check host on 4195 not",
    ),
    EnvRule(
        "endpoint-and-open-egress",
        lambda e: _endpoint_ok(e) and e.internet_reachable is Y and e.beyond_443 is Y,
        Environment.OPEN_EGRESS,
        "endpoint ok, internet ok, 4195 to the internet ok",
    ),
    *HOST_ENV_RULES,
    EnvRule(
        "internet-without-endpoint",
        lambda e: _endpoint_bad(e) and e.internet_reachable is Y and _not_ours(e),
        Environment.HOME,
        "endpoint name missing or public (or no answer from the resolver), its path not "
        "through a tunnel; internet ok",
    ),
    EnvRule(
        "private-answer-silent",
        lambda e: _endpoint_bad(e) and e.internet_reachable is Y,
        Environment.UNKNOWN,
        "private answer but the endpoint silent, no tunnel connected: not home (the "
        "resolver knows the VPC's zone), not the VPC",
    ),
    EnvRule(
        "nothing-reachable",
        lambda e: _endpoint_bad(e) and e.internet_reachable is N,
        Environment.OFFLINE,
        "endpoint bad and internet unreachable",
    ),
    EnvRule("undecided", lambda e: True, Environment.UNKNOWN, "anything else"),
)


def environment_of(e: Evidence) -> tuple[Environment, str]:
    rule = next(r for r in ENVIRONMENT_RULES if r.when(e))
    return rule.environment, rule.name
