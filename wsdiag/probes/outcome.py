"""The one way a probe turns what it saw into a result: status, phase, timings."""

from __future__ import annotations

from dataclasses import replace

from wsdiag.clock import ms_since
from wsdiag.vocab.model import Phase, Status
from wsdiag.vocab.results import ProbeResult


def outcome(
    base: ProbeResult,
    status: Status,
    phase: Phase,
    t0: float,
    *,
    errno: int | None = None,
    detail: str = "",
    ms: float | None = None,
    trusted: bool | None = None,
) -> ProbeResult:
    """``base`` with the outcome; ``ms`` defaults to the time since ``t0``."""
    return replace(
        base,
        status=status,
        phase=phase,
        errno=errno,
        detail=detail,
        ms=ms if ms is not None else ms_since(t0),
        tls_trusted=trusted,
    )
