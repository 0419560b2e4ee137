"""The result ids a fact's basis names. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from wsdiag.vocab.results import DnsResult, ProbeResult

# fact -> ids of the DNS/probe results behind it (``Evidence.basis``)
Basis = Mapping[str, tuple[str, ...]]


def ids(results: Iterable[ProbeResult | DnsResult | None]) -> tuple[str, ...]:
    """The distinct ids of ``results`` in order, Nones skipped."""
    return tuple(dict.fromkeys(x.id for x in results if x is not None))
