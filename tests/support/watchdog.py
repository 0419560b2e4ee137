"""Fail, never hang: a test block that runs longer than a generous bound raises (SIGALRM).
The bound guards against hangs; time budgets are measured in bench/, not asserted."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def watchdog(seconds: int = 20, what: str = "the block") -> Iterator[None]:
    """Raise TimeoutError in the block after ``seconds`` (main thread only: signals are
    delivered there; elsewhere the block runs unguarded)."""
    if threading.current_thread() is not threading.main_thread():  # pragma: no cover
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"{what} did not finish within {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
