"""Who refused (issue 17): a firewall that answers the endpoint's paths with ICMP
"administratively prohibited" is named by its address, and the owner is that network, not the
endpoint's security group (security groups and network ACLs drop silently: AWS VPC user guide,
"Control traffic to resources using security groups"). Pure rows."""

from __future__ import annotations

from wsdiag.rules.facts import CheckFacts, CheckRule
from wsdiag.vocab.model import Owner, Severity
from wsdiag.vocab.rows import FindingRule, Fire, Y


def _refused(c: CheckFacts) -> Fire | None:
    e = c.evidence
    if not e.endpoint_refused_by:
        return None
    who = "; ".join(f"{addr} refuses {', '.join(paths)}" for addr, paths in e.endpoint_refused_by)
    firewalls = ", ".join(addr for addr, _ in e.endpoint_refused_by)
    return Fire({"host": e.endpoint_host, "who": who, "firewalls": firewalls})


REFUSAL_RULES: tuple[CheckRule, ...] = (
    FindingRule(
        name="endpoint-prohibited",
        code="ENDPOINT_PROHIBITED",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="a firewall answers the endpoint's failed paths with ICMP administratively "
        "prohibited (3/9, 3/10, 3/13; ICMPv6 1/1), TCP still usable: names its address",
        message="A firewall refuses streaming paths to {host} out loud (ICMP administratively "
        "prohibited): {who}. Streaming falls back to what is left (TCP 443 needs a client with "
        "the 443 fallback: Windows and macOS 5.23 or later, Linux 2024.7 or later).",
        remediation="Ask the owner of the firewall at {firewalls} (this network's, not the "
        "endpoint's security group: those drop silently) to allow TCP and UDP 443 and 4195 to "
        "the endpoint's addresses.",
        facts=(("endpoint_prohibited_all", (Y,)), ("endpoint_usable", (Y,))),
        fire=_refused,
        never_with=(
            "ENDPOINT_QUIC_BLOCKED",
            "ENDPOINT_4195_BLOCKED",
            "ENDPOINT_443_BLOCKED",
            "ENDPOINT_ADDRESS_PARTIAL",
        ),
    ),
)
