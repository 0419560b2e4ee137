"""The run's one clock: the process's own start, so the deadline and ``process_ms`` count
Python's start-up, the imports, the client's logs and the catalog, not only the probes.

Monotonic seconds throughout (``time.monotonic``, which asyncio's loop also uses). The start
is read from the OS where it says when this process began (Linux: /proc/self/stat against
the boot-time clock); elsewhere it is when wsdiag was first imported, a few tens of
milliseconds later (the interpreter's own start-up).
"""

from __future__ import annotations

import os
import time


def _process_age() -> float:
    """Seconds since this process started, or 0.0 where the OS does not say."""
    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read(4096)
        # Field 22 (starttime, clock ticks since boot) counts from after the ")" that ends
        # the command name, which may itself hold spaces and parentheses.
        fields = stat[stat.rindex(b")") + 2 :].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")
        age = time.clock_gettime(time.CLOCK_BOOTTIME) - started
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0
    return age if 0.0 <= age < 60.0 else 0.0  # a wild value (clock change): not believed


STARTED = time.monotonic() - _process_age()


def elapsed() -> float:
    """Seconds since the process started."""
    return time.monotonic() - STARTED


def run_budget(deadline: float, explicit: bool, since: float, now: float) -> tuple[float, float]:
    """(budget, lag) in seconds: what the runner has from ``now`` for a run whose
    ``deadline`` counts from ``since`` (monotonic seconds both), and how late the run starts
    beyond a normal start (``START_ALLOWANCE``; 0.0 when on time). A default deadline is
    extended by the lag, at most ``MAX_START_LAG`` (a loaded machine's slow start must not
    eat the probes' time); an ``explicit`` one (--deadline) is the caller's wall and never
    moves. Pure: the clock is the caller's."""
    from wsdiag.budgets import MAX_START_LAG, START_ALLOWANCE

    lag = max(now - since - START_ALLOWANCE, 0.0)
    extension = 0.0 if explicit else min(lag, MAX_START_LAG)
    return max(since + deadline + extension - now, 0.0), lag


def ms_since(t0: float) -> float:
    """Milliseconds since ``t0`` (a ``time.perf_counter()`` reading), to 0.1 ms: how every
    probe and run reports its duration."""
    return round((time.perf_counter() - t0) * 1000, 1)
