"""What a rule is: a row of data. Pure.

A finding rule declares its code, severity, owner, the facts (with the values) that
trigger it, a "when" for the docs, and message/remediation templates. Where the templates
need values (names, addresses) or the trigger needs more than fact values, ``fire`` computes
them from the Evidence alone: a rule never sees a raw probe result.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from wsdiag.vocab.model import Environment, Owner, Severity, Tri
from wsdiag.vocab.results import Evidence, Finding

Y, N, U = Tri.YES, Tri.NO, Tri.UNKNOWN
NOT_YES = (N, U)
NOT_NO = (Y, U)


@dataclass(frozen=True)
class Fire:
    """A rule's answer when it fires: template values, extra basis, a lower severity."""

    params: Mapping[str, object] = field(default_factory=dict)
    basis: tuple[str, ...] = ()  # more Evidence.basis keys behind this finding
    severity: Severity | None = None  # None: the row's


FireFn = Callable[[Evidence, Environment], "Fire | None"]


@dataclass(frozen=True)
class FindingRule:
    name: str  # the rule's name, in the report's ``findings[].rule``
    code: str  # stable, SCREAMING_SNAKE: fleets key on it
    severity: Severity  # the most it can be; ``fire`` may lower it (see ``when``)
    owner: Owner
    when: str  # for the docs: the condition in words
    message: str  # str.format template over Fire.params
    remediation: str
    facts: tuple[tuple[str, tuple[Tri, ...]], ...] = ()  # all must hold: (Evidence attr, values)
    fire: FireFn | None = None  # None: the facts alone decide, no parameters
    basis: tuple[str, ...] | None = None  # Evidence.basis keys behind it; None: the facts'
    never_with: tuple[str, ...] = ()  # codes that must not appear with this one


def apply(rule: FindingRule, e: Evidence, environment: Environment) -> Finding | None:
    """The finding this rule makes of this evidence, or None."""
    if not all(e.fact(attr) in values for attr, values in rule.facts):
        return None
    fired = rule.fire(e, environment) if rule.fire is not None else Fire()
    if fired is None:
        return None
    keys = rule.basis if rule.basis is not None else tuple(a for a, _ in rule.facts)
    keys = tuple(dict.fromkeys(keys + fired.basis))
    basis = tuple((k, e.basis.get(k, ())) for k in keys)
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


def facts_text(facts: tuple[tuple[str, tuple[Tri, ...]], ...]) -> str:
    """The declared trigger as docs print it: ``endpoint_quic=no, no_route≠yes``."""
    parts = []
    for attr, values in facts:
        others = [t for t in Tri if t not in values]
        if len(values) == 1:
            parts.append(f"{attr}={values[0]}")
        elif len(others) == 1:
            parts.append(f"{attr}≠{others[0]}")
        else:
            parts.append(f"{attr}∈{{{','.join(values)}}}")
    return ", ".join(parts)


@dataclass(frozen=True)
class EnvRule:
    """First match wins; the report names the rule that fired."""

    name: str
    when: Callable[[Evidence], bool]
    environment: Environment
    text: str  # for the docs: the condition in words
