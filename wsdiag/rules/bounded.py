"""Findings about work wsdiag bounded on purpose: endpoint addresses past the fan-out cap.
Pure rule rows (see rows.py)."""

from __future__ import annotations

from wsdiag.budgets import MAX_ENDPOINT_ADDRESSES
from wsdiag.rules.rows import FindingRule, Fire
from wsdiag.vocab.model import Environment, Owner, Severity
from wsdiag.vocab.results import Evidence


def _unprobed(e: Evidence, _env: Environment) -> Fire | None:
    if not e.endpoint_unprobed:
        return None
    total = MAX_ENDPOINT_ADDRESSES + e.endpoint_unprobed
    return Fire(
        {
            "host": e.endpoint_host,
            "total": f"{total:,}",
            "probed": MAX_ENDPOINT_ADDRESSES,
            "left": f"{e.endpoint_unprobed:,}",
        }
    )


BOUNDED_RULES: tuple[FindingRule, ...] = (
    FindingRule(
        "endpoint-addresses-not-probed",
        "ENDPOINT_ADDRESSES_NOT_PROBED",
        Severity.WARNING,
        Owner.NETWORK,
        f"the private name has more than {MAX_ENDPOINT_ADDRESSES} IPv4 addresses: only the "
        "first are probed, so the verdict cannot be 'ready'",
        "{host} resolves to {total} IPv4 addresses; wsdiag probed the first {probed} (in "
        "answer order) and left {left} unprobed. An interface endpoint has one address per "
        "subnet, a handful at most: this answer is broken or not the endpoint's.",
        "Check the private hosted zone or the DNS forwarder that answers for this name: it "
        "should return only the endpoint's interface addresses.",
        fire=_unprobed,
        basis=("endpoint_unprobed", "endpoint_all_addresses"),
    ),
)
