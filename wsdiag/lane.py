"""One background thread per run for the work beside the network, done in priority order.

The interpreter runs one thread at a time. Work started in several threads at once (the
probe kinds' imports, the trust roots, the rules' and renderers' imports, this machine's
paths) is interleaved, so all of it ends late: measured in the lab (2 cores, internet
silent, --timeout 2), aioquic's import, which the first QUIC packet waits for, ended about
0.3 s after the run started instead of about 0.1 s, and a silent network's run ends one
timeout after its last first packet. A ``Lane`` runs its jobs one at a time in one daemon
thread, the most urgent first (``Priority``), then in the order submitted; a job never
preempts one that is running.

Daemon: a job still running when the run is over (a gathering that outlived its wait)
never holds up the process's exit. ``close()`` lets the thread end once it has nothing
left to do; a job submitted after that starts a thread again.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Future
from enum import IntEnum
from typing import Any, TypeVar

T = TypeVar("T")


class Priority(IntEnum):
    """Lower runs first."""

    PROBE_KINDS = 0  # what the next packets need: TCP/TLS, then QUIC (aioquic)
    TRUST = 1  # the trust sources a completed TLS handshake is judged with
    WARM = 2  # modules the caller needs after the network (boto3 with --aws)
    AFTER_NETWORK = 3  # the rules' and renderers' imports, this machine's paths


_here = threading.local()  # .lane: the Lane whose thread this is


def current() -> Lane | None:
    """The Lane running the calling code (called from a job), else None."""
    lane = getattr(_here, "lane", None)
    return lane if isinstance(lane, Lane) else None


class Lane:
    """Jobs run one at a time in one daemon thread named ``name``: lowest ``Priority``
    first, then first submitted. Each job's result (or exception) goes to its Future."""

    def __init__(self, name: str = "wsdiag-lane") -> None:
        self.name = name
        self._cv = threading.Condition()
        self._jobs: list[tuple[int, int, Future[Any], Callable[..., Any], tuple[Any, ...]]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None
        self._closed = False

    def submit(self, priority: Priority, fn: Callable[..., T], *args: Any) -> Future[T]:
        """``fn(*args)`` in the lane's thread, after what it holds of a lower or equal
        priority. Never blocks. A Future cancelled before its job starts skips it."""
        out: Future[T] = Future()
        with self._cv:
            heapq.heappush(self._jobs, (int(priority), next(self._order), out, fn, args))
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name=self.name, daemon=True)
                self._thread.start()
            self._cv.notify()
        return out

    def close(self) -> None:
        """No more work is expected: the thread ends once its queue is empty."""
        with self._cv:
            self._closed = True
            self._cv.notify()

    def _work(self) -> None:
        _here.lane = self
        while True:
            with self._cv:
                while not self._jobs and not self._closed:
                    self._cv.wait()
                if not self._jobs:
                    self._thread = None  # a later submit starts another
                    return
                _, _, out, fn, args = heapq.heappop(self._jobs)
            if not out.set_running_or_notify_cancel():  # given up on before it started
                continue
            try:  # running: a waiter that gives up now cannot cancel it, only stop waiting
                out.set_result(fn(*args))
            except BaseException as exc:  # handed to the waiter, never lost in a thread
                out.set_exception(exc)


class Quiet:
    """Whether the event loop is still reading the run's DNS answers, as a lane job sees it.

    The runner calls ``over()`` once its last lookup has ended (or the run is over). A job
    that would hold the interpreter for long (aioquic's import) calls ``wait(most)`` first:
    it returns once the lookups are over, or ``most`` seconds after it was called. Python
    gives threads no priorities: waiting is the only way to leave the loop the whole
    interpreter while every probe still waits for its name. Thread-safe."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._over = False

    def over(self) -> None:
        with self._cv:
            self._over = True
            self._cv.notify_all()

    def wait(self, most: float) -> bool:
        """True: the lookups are over; False: ``most`` seconds passed first."""
        with self._cv:
            return self._cv.wait_for(lambda: self._over, most)
