"""What a rule is: a row of data, and how a row makes a finding of a facts value. Pure.

Both wings write their findings as these rows: the check's (``wsdiag.rules``, over the run's
evidence and environment) and the client logs' (``wsdiag.logs.rows``, over what the logs
say). A row declares its code, severity, owner, the facts (with the values) that trigger it,
a "when" for the docs, and message/remediation templates. Where the templates need values
(names, addresses), ``fire`` computes them from the facts value alone; a row never sees a raw
probe result or log line. ``fire`` may still veto, for conditions no fact names; a condition
that is a fact is declared in ``facts``, so the README's generated "when" column says it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, Protocol, TypeVar

from wsdiag.vocab.evidence import Evidence
from wsdiag.vocab.model import Environment, Owner, Severity, Tri
from wsdiag.vocab.results import Finding

Y, N, U = Tri.YES, Tri.NO, Tri.UNKNOWN
NOT_YES = (N, U)
NOT_NO = (Y, U)


class Facts(Protocol):
    """A facts value a row can read: each fact by its name, and the result ids behind it."""

    def fact(self, name: str) -> object:
        """The fact's value (a Tri or another enum; None where it has none). Raises
        AttributeError for a name the value does not have."""
        ...

    def basis_of(self, name: str) -> tuple[str, ...]:
        """The ids of the results (probes, DNS, log sessions) behind the fact; () if none."""
        ...


FactsT = TypeVar("FactsT", bound=Facts)
Declared = tuple[tuple[str, tuple[StrEnum, ...]], ...]  # (fact name, the values that trigger)


@dataclass(frozen=True)
class Fire:
    """A rule's answer when it fires: template values, extra basis, a lower severity."""

    params: Mapping[str, object] = field(default_factory=dict)
    basis: tuple[str, ...] = ()  # more fact names (basis keys) behind this finding
    severity: Severity | None = None  # None: the row's


@dataclass(frozen=True, kw_only=True)
class FindingRule(Generic[FactsT]):
    """One row. Written with keyword arguments: a reader never counts positions to tell the
    "when" from the message."""

    name: str  # the rule's name, in the report's ``findings[].rule``
    code: str  # stable, SCREAMING_SNAKE: fleets key on it
    severity: Severity  # the most it can be; ``fire`` may lower it (see ``when``)
    owner: Owner  # who acts on it; every row of one code names the same owner
    when: str  # for the docs: the condition in words, beside the declared facts
    message: str  # str.format template over Fire.params
    remediation: str
    facts: Declared = ()  # all must hold
    fire: Callable[[FactsT], Fire | None] | None = None  # None: the facts alone decide
    basis: tuple[str, ...] | None = None  # basis keys behind it; None: the facts'
    never_with: tuple[str, ...] = ()  # codes that must not appear with this one
    # A row that makes one finding per item its facts hold (--aws: one per client path):
    # each Fire is one finding, and ``fire`` is not used. Read by ``apply_each``.
    each: Callable[[FactsT], Sequence[Fire]] | None = None


def apply(rule: FindingRule[FactsT], facts: FactsT) -> Finding | None:
    """The finding this row makes of these facts, or None (a row with ``each``: its first)."""
    found = apply_each(rule, facts)
    return found[0] if found else None


def apply_each(rule: FindingRule[FactsT], facts: FactsT) -> tuple[Finding, ...]:
    """Every finding this row makes of these facts: one (or none) for a plain row, one per
    Fire its ``each`` gives."""
    if not all(facts.fact(name) in values for name, values in rule.facts):
        return ()
    if rule.each is not None:
        return tuple(_finding(rule, facts, fired) for fired in rule.each(facts))
    fired = rule.fire(facts) if rule.fire is not None else Fire()
    return (_finding(rule, facts, fired),) if fired is not None else ()


def _finding(rule: FindingRule[FactsT], facts: FactsT, fired: Fire) -> Finding:
    keys = rule.basis if rule.basis is not None else tuple(n for n, _ in rule.facts)
    keys = tuple(dict.fromkeys(keys + fired.basis))
    basis = tuple((k, facts.basis_of(k)) for k in keys)
    probes = tuple(dict.fromkeys(i for _, ids in basis for i in ids))
    return Finding(
        code=rule.code,
        severity=fired.severity or rule.severity,
        message=rule.message.format(**fired.params),
        remediation=rule.remediation.format(**fired.params),
        probes=probes,
        rule=rule.name,
        owner=rule.owner,
        basis=basis,
    )


def facts_text(facts: Declared) -> str:
    """The declared trigger as docs print it: ``endpoint_quic=no, no_route≠yes,
    environment=home``."""
    parts = []
    for name, values in facts:
        others = [v for v in type(values[0]) if v not in values]
        if len(values) == 1:
            parts.append(f"{name}={values[0]}")
        elif len(others) == 1:
            parts.append(f"{name}≠{others[0]}")
        else:
            parts.append(f"{name}∈{{{','.join(values)}}}")
    return ", ".join(parts)


@dataclass(frozen=True, kw_only=True)
class EnvRule:
    """First match wins; the report names the rule that fired."""

    name: str
    when: Callable[[Evidence], bool]
    environment: Environment
    text: str  # for the docs: the condition in words
