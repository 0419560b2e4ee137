"""Rows that read this machine's own firewall: sends it refused (EPERM/EACCES) never left,
so they say nothing about the network; "connect to a network" would be wrong. Pure (the
facts come from ``wsdiag.evidence.route``)."""

from __future__ import annotations

from wsdiag.rules.facts import CheckFacts, CheckRule
from wsdiag.vocab.evidence import Evidence
from wsdiag.vocab.model import Environment, Owner, Severity
from wsdiag.vocab.rows import EnvRule, FindingRule, Fire, Y


def _nothing_left(e: Evidence) -> bool:
    return e.local_block is Y and Y not in (e.endpoint_reachable, e.internet_reachable)


# First in wsdiag.rules.environment: before "no-route", which a local block must never reach.
LOCAL_ENV_RULES: tuple[EnvRule, ...] = (
    EnvRule(
        name="local-firewall",
        when=_nothing_left,
        environment=Environment.UNKNOWN,
        text="this machine's own firewall refused the sends, nothing reached the endpoint or "
        "the internet: the network behind it was not measured",
    ),
)


def _blocked(c: CheckFacts) -> Fire:
    return Fire({"hosts": ", ".join(c.evidence.local_blocked) or "some hosts"})


LOCAL_RULES: tuple[CheckRule, ...] = (
    FindingRule(
        name="local-firewall",
        code="LOCAL_FIREWALL_BLOCKS",
        severity=Severity.WARNING,
        owner=Owner.DESKTOP,
        when="this machine refused to send (EPERM/EACCES): its own firewall, so those paths "
        "are unknown (verdict unknown)",
        message="This machine's own firewall refused wsdiag's connections to {hosts} before "
        "anything was sent, so those paths were not measured; it may block the WorkSpaces "
        "client too. (On Linux, an IPv6 filter on the way answering 'administratively "
        "prohibited' looks the same.)",
        remediation="Allow outbound TCP and UDP 443 and 4195, and DNS, in this machine's "
        "firewall (Windows Defender Firewall, the endpoint-security agent, pf or nftables) "
        "for the WorkSpaces client and for wsdiag, then run wsdiag again.",
        facts=(("local_block", (Y,)),),
        fire=_blocked,
        never_with=("NO_ROUTE",),
    ),
)
