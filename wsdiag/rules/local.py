"""Rows that read this machine's own firewall: sends it refused (EPERM/EACCES) never left,
so they say nothing about the network; "connect to a network" would be wrong. Pure (the
facts come from ``wsdiag.evidence.route``)."""

from __future__ import annotations

from wsdiag.rules.rows import EnvRule, FindingRule, Fire, Y
from wsdiag.vocab.model import Environment, Owner, Severity
from wsdiag.vocab.results import Evidence


def _nothing_left(e: Evidence) -> bool:
    return e.local_block is Y and Y not in (e.endpoint_reachable, e.internet_reachable)


# First in wsdiag.rules.environment: before "no-route", which a local block must never reach.
LOCAL_ENV_RULES: tuple[EnvRule, ...] = (
    EnvRule(
        "local-firewall",
        _nothing_left,
        Environment.UNKNOWN,
        "this machine's own firewall refused the sends, nothing reached the endpoint or the "
        "internet: the network behind it was not measured",
    ),
)


def _blocked(e: Evidence, _env: Environment) -> Fire:
    hosts = ", ".join(e.local_blocked) or "some hosts"
    return Fire({"hosts": hosts})


LOCAL_RULES: tuple[FindingRule, ...] = (
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
