"""wsdiag.lane: one daemon thread, jobs by priority then submission order; results and
exceptions handed to their futures; the thread ends after close() and comes back on a
later submit. Ordering is decided by the queue, never by timing: the first job holds the
thread on an Event while the rest are queued."""

from __future__ import annotations

import threading

import pytest

from wsdiag.lane import Lane, Priority, current

WAIT = 10.0  # seconds: a bound for a hung lane, never a measured duration


def test_jobs_run_by_priority_then_in_order_one_at_a_time() -> None:
    lane = Lane("wsdiag-test-lane")
    gate = threading.Event()
    ran: list[str] = []
    threads: set[str] = set()

    def job(name: str) -> str:
        threads.add(threading.current_thread().name)
        ran.append(name)
        return name

    first = lane.submit(Priority.PROBE_KINDS, gate.wait, WAIT)  # holds the thread
    later = [
        lane.submit(Priority.AFTER_NETWORK, job, "after-1"),
        lane.submit(Priority.TRUST, job, "trust"),
        lane.submit(Priority.AFTER_NETWORK, job, "after-2"),
        lane.submit(Priority.PROBE_KINDS, job, "quic"),
        lane.submit(Priority.WARM, job, "warm"),
    ]
    gate.set()
    lane.close()
    assert first.result(WAIT) is True
    assert [f.result(WAIT) for f in later] == ["after-1", "trust", "after-2", "quic", "warm"]
    assert ran == ["quic", "trust", "warm", "after-1", "after-2"]
    assert threads == {"wsdiag-test-lane"}


def test_an_exception_goes_to_its_future_and_the_lane_goes_on() -> None:
    lane = Lane()

    def broken() -> None:
        raise ValueError("bad job")

    bad = lane.submit(Priority.PROBE_KINDS, broken)
    good = lane.submit(Priority.PROBE_KINDS, lambda: 42)
    lane.close()
    with pytest.raises(ValueError, match="bad job"):
        bad.result(WAIT)
    assert good.result(WAIT) == 42


def test_a_job_cancelled_before_it_starts_is_skipped() -> None:
    lane = Lane()
    gate = threading.Event()
    ran: list[int] = []
    lane.submit(Priority.PROBE_KINDS, gate.wait, WAIT)
    skipped = lane.submit(Priority.TRUST, ran.append, 1)
    kept = lane.submit(Priority.TRUST, ran.append, 2)
    assert skipped.cancel()
    gate.set()
    lane.close()
    kept.result(WAIT)
    assert ran == [2]


def test_a_job_queues_more_in_its_own_lane_and_the_thread_is_a_daemon() -> None:
    lane = Lane()
    inner: list[object] = []

    def outer() -> bool:
        here = current()
        assert here is lane
        inner.append(here.submit(Priority.TRUST, lambda: "queued from inside"))
        return threading.current_thread().daemon

    assert current() is None  # not in a lane here
    daemon = lane.submit(Priority.PROBE_KINDS, outer)
    assert daemon.result(WAIT) is True
    lane.close()
    queued = inner[0]
    assert hasattr(queued, "result") and queued.result(WAIT) == "queued from inside"


def test_after_close_the_thread_ends_and_a_later_submit_starts_one() -> None:
    lane = Lane()
    first = lane.submit(Priority.PROBE_KINDS, threading.current_thread)
    lane.close()
    one = first.result(WAIT)
    one.join(WAIT)
    assert not one.is_alive()
    second = lane.submit(Priority.PROBE_KINDS, threading.current_thread)
    lane.close()
    other = second.result(WAIT)
    assert other is not one
    other.join(WAIT)
    assert not other.is_alive()


def test_quiet_waits_until_over_or_at_most_its_bound() -> None:
    """``Quiet.wait`` returns True once ``over()`` was called (before or while it waits),
    False when its bound passed first; the bound here is tiny, the over() case is decided by
    an Event, never by a measured time."""
    from wsdiag.lane import Quiet

    assert Quiet().wait(0.0) is False  # nothing said: the bound decides
    done = Quiet()
    done.over()
    assert done.wait(WAIT) is True  # said before: returns at once
    later = Quiet()
    waiting = threading.Event()
    got: list[bool] = []

    def waiter() -> None:
        waiting.set()
        got.append(later.wait(WAIT))

    t = threading.Thread(target=waiter)
    t.start()
    assert waiting.wait(WAIT)
    later.over()
    t.join(WAIT)
    assert got == [True]


def test_only_the_heavy_kind_waits_for_the_runs_lookups(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """load_in_background hands ``quiet`` to QUIC's build only (aioquic: ``heavy``); the
    TCP/TLS kind, which every sign-in probe needs right after its name, never waits."""
    from wsdiag.check.catalog import load_catalog
    from wsdiag.check.plan import make_plan
    from wsdiag.lane import Quiet
    from wsdiag.probes import registry
    from wsdiag.vocab.model import Inputs, Transport

    assert [t for t, k in registry.KINDS.items() if k.heavy] == [Transport.QUIC]
    seen: dict[str, object] = {}

    def build(path: str, plan: object, after: object = None) -> None:
        seen[path] = after

    monkeypatch.setattr(registry, "_build", build)
    lane, quiet = Lane(), Quiet()
    registry.load_in_background(
        make_plan(load_catalog(), Inputs("eu-west-1"), None), (), lane, quiet
    )
    lane.close()
    done = lane.submit(Priority.AFTER_NETWORK, lambda: None)  # behind the builds
    lane.close()
    done.result(WAIT)
    assert seen == {"wsdiag.probes.tcp:for_plan": None, "wsdiag.probes.quic:for_plan": quiet}


def test_a_waiting_job_holds_the_lane_until_quiet_is_over() -> None:
    from wsdiag.lane import Quiet

    lane, quiet = Lane(), Quiet()
    order: list[str] = []
    tcp = lane.submit(Priority.PROBE_KINDS, order.append, "tcp")
    quic = lane.submit(Priority.PROBE_KINDS, lambda: (quiet.wait(WAIT), order.append("quic")))
    after = lane.submit(Priority.AFTER_NETWORK, order.append, "after")
    tcp.result(WAIT)
    assert not quic.done() and not after.done()
    quiet.over()
    after.result(WAIT)
    lane.close()
    assert order == ["tcp", "quic", "after"]
