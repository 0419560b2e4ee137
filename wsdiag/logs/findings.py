"""What the client's own logs say is wrong: the LOGS_* rows (``wsdiag.logs.rows``) applied to
the facts of a LogSummary and of reading the files, by the one ``apply`` of
``wsdiag.vocab.rows``. Pure.

Every finding names the rule that produced it and, where a session is behind it, that session
(in ``probes``, as ``logs/session/<key>``).
"""

from __future__ import annotations

from collections.abc import Sequence

from wsdiag.logs.facts import LogFacts, ReadFacts
from wsdiag.logs.files import ReadProblem
from wsdiag.logs.rows import LOG_RULES, READ_RULES
from wsdiag.vocab.logs import LogSummary
from wsdiag.vocab.results import Finding
from wsdiag.vocab.rows import apply


def _read_findings(facts: ReadFacts) -> list[Finding]:
    return [f for rule in READ_RULES if (f := apply(rule, facts))]


def problem_findings(problems: Sequence[ReadProblem]) -> tuple[Finding, ...]:
    """The findings about reading the files alone, in the problems' order."""
    return tuple(f for p in problems for f in _read_findings(ReadFacts.of(p)))


def log_findings(
    summary: LogSummary | None, problems: Sequence[ReadProblem] = ()
) -> tuple[Finding, ...]:
    """All findings, most severe first; ties keep row order, the files' problems first."""
    found = [f for p in problems for f in _read_findings(ReadFacts.of(p))]
    facts = LogFacts.of(summary)
    found += [f for rule in LOG_RULES if (f := apply(rule, facts))]
    return tuple(sorted(found, key=lambda f: -f.severity.rank))


def no_logs_findings(searched: Sequence[str], since: str | None = None) -> tuple[Finding, ...]:
    """No client log file where wsdiag looked (``searched``: the places, in order), or none
    modified since ``since`` (ISO 8601)."""
    return tuple(_read_findings(ReadFacts.nothing_found(tuple(searched), since)))


def not_counted_findings(n: int, when: str, age: str, why: str, region: str) -> tuple[Finding, ...]:
    """The note for ``n`` sessions left out of a check (``wsdiag.logs.scope``): the newest
    one's time and age, why (``older than …``, ``for <region>``), the region checked."""
    return tuple(_read_findings(ReadFacts.left(n, when, age, why, region)))
