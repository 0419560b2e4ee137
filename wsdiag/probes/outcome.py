"""The one way a probe turns what it saw into a result: status, phase, timings."""

from __future__ import annotations

from dataclasses import replace

from wsdiag.clock import ms_since
from wsdiag.probes.errors import Failure
from wsdiag.vocab.model import Fault, Phase, Status
from wsdiag.vocab.results import ProbeResult


def outcome(
    base: ProbeResult,
    status: Status,
    phase: Phase,
    t0: float,
    *,
    errno: int | None = None,
    cause: Fault = Fault.NONE,
    detail: str = "",
    ms: float | None = None,
    trusted: bool | None = None,
) -> ProbeResult:
    """``base`` with the outcome; ``ms`` defaults to the time since ``t0``; ``cause`` is the
    error map's reading of the socket error that ended it (``errors.failure_of``)."""
    return replace(
        base,
        status=status,
        phase=phase,
        errno=errno,
        cause=cause,
        detail=detail,
        ms=ms if ms is not None else ms_since(t0),
        tls_trusted=trusted,
    )


def failed(
    base: ProbeResult,
    f: Failure,
    phase: Phase,
    t0: float,
    *,
    where: str = "",
    ms: float | None = None,
) -> ProbeResult:
    """``base`` ended by the socket failure ``f`` (``errors.failure_of``) at ``phase``: its
    status, cause and errno, the detail after ``where`` (e.g. "TLS: ")."""
    return outcome(
        base, f.status, phase, t0, errno=f.errno, cause=f.cause, detail=where + f.detail, ms=ms
    )
