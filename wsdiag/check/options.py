"""Bounds on the numbers a user gives (seconds): checked once, before anything runs. Pure."""

from __future__ import annotations

import math

from wsdiag.budgets import DEADLINE_SLACK, MAX_DEADLINE, MAX_SAMPLES, MAX_TIMEOUT, MIN_TIMEOUT
from wsdiag.errors import WsdiagError


def default_deadline(timeout: float) -> float:
    """Seconds for the whole run: DNS, then the connect phase, then slack for process
    scheduling on a busy laptop."""
    return 2 * timeout + DEADLINE_SLACK


def check_timing(timeout: float, deadline: float | None) -> tuple[float, float]:
    """(timeout, deadline) in seconds, validated; ``deadline`` None means the default.

    Raises WsdiagError (one line) for NaN, infinity or values out of bounds."""
    if not (math.isfinite(timeout) and MIN_TIMEOUT <= timeout <= MAX_TIMEOUT):
        raise WsdiagError(
            f"--timeout must be between {MIN_TIMEOUT:g} and {MAX_TIMEOUT:g} seconds (a shorter "
            "one cannot tell a busy machine's handshake from a silent network)"
        )
    if deadline is None:
        return timeout, default_deadline(timeout)
    if not (math.isfinite(deadline) and timeout <= deadline <= MAX_DEADLINE):
        raise WsdiagError(
            f"--deadline must be between the timeout ({timeout:g} s) and {MAX_DEADLINE:g} seconds"
        )
    return timeout, deadline


def check_samples(samples: int) -> int:
    """--samples: 0 (off) to MAX_SAMPLES per answered endpoint path. Raises WsdiagError."""
    if not 0 <= samples <= MAX_SAMPLES:
        raise WsdiagError(f"--samples must be between 0 (off) and {MAX_SAMPLES}")
    return samples
