"""Findings about work wsdiag bounded on purpose: endpoint addresses past the fan-out cap.
Pure rule rows (see wsdiag.vocab.rows)."""

from __future__ import annotations

from wsdiag.budgets import MAX_ENDPOINT_ADDRESSES
from wsdiag.rules.facts import CheckFacts, CheckRule
from wsdiag.vocab.model import Owner, Severity
from wsdiag.vocab.rows import FindingRule, Fire, Y


def _unprobed(c: CheckFacts) -> Fire:
    e = c.evidence
    total = MAX_ENDPOINT_ADDRESSES + e.endpoint_unprobed
    return Fire(
        {
            "host": e.endpoint_host,
            "total": f"{total:,}",
            "probed": MAX_ENDPOINT_ADDRESSES,
            "left": f"{e.endpoint_unprobed:,}",
        }
    )


BOUNDED_RULES: tuple[CheckRule, ...] = (
    FindingRule(
        name="endpoint-addresses-not-probed",
        code="ENDPOINT_ADDRESSES_NOT_PROBED",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when=f"the private name has more than {MAX_ENDPOINT_ADDRESSES} IPv4 addresses: only the "
        "first are probed, so the verdict cannot be 'ready'",
        message="{host} resolves to {total} IPv4 addresses; wsdiag probed the first {probed} (in "
        "answer order) and left {left} unprobed. An interface endpoint has one address per "
        "subnet, a handful at most: this answer is broken or not the endpoint's.",
        remediation="Check the private hosted zone or the DNS forwarder that answers for this "
        "name: it should return only the endpoint's interface addresses.",
        facts=(("endpoint_capped", (Y,)),),
        fire=_unprobed,
        basis=("endpoint_unprobed", "endpoint_all_addresses"),
    ),
)
