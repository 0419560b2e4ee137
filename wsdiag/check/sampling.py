"""Samples of the endpoint paths that answered, while the run waits for its other probes.

When an endpoint path answers (QUIC or TCP, 4195 or 443, per address; through the proxy,
its CONNECT), its handshake is repeated ``plan.samples`` times, one start every
SAMPLE_INTERVAL, none waiting on another. Samples never extend the run: ``stop`` (the
runner calls it once every planned lookup and probe has finished, or at the deadline)
cancels what is still in flight; such a sample is dropped, neither answered nor lost. A
silent path is never sampled, and nothing is sent to an address the plan did not probe.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from wsdiag.budgets import SAMPLE_INTERVAL, SAMPLE_TIMEOUT
from wsdiag.quality.samples import PathSamples, Sample
from wsdiag.vocab.model import ProbeSpec, Role, Status, Transport, Via
from wsdiag.vocab.results import ProbeResult

# (the answered path's result, the sample's timeout in seconds) -> the sample
SampleFn = Callable[[ProbeResult, float], Awaitable[Sample]]
SAMPLED = (Transport.TCP, Transport.QUIC)


def samples_path(spec: ProbeSpec, result: ProbeResult) -> bool:
    """Is this answered probe a streaming path to sample? The endpoint's TCP and QUIC
    probes that answered: direct to an address, or through the proxy's CONNECT."""
    return (
        spec.role is Role.ENDPOINT
        and spec.transport in SAMPLED
        and result.status is Status.OPEN
        and (spec.address is not None or spec.via is Via.PROXY)
    )


@dataclass
class _Path:
    result: ProbeResult
    started: list[tuple[float, asyncio.Task[Sample]]] = field(default_factory=list)
    driver: asyncio.Task[None] | None = None


class Sampler:
    """Samples for one run; ``count`` 0 never samples."""

    def __init__(self, sample: SampleFn | None, count: int, deadline: float) -> None:
        self.sample, self.count, self.deadline = sample, count, deadline
        self.paths: dict[str, _Path] = {}
        self.stopped = False

    def answered(self, spec: ProbeSpec, result: ProbeResult) -> None:
        """A planned probe finished: sample its path if it is one and answered."""
        if self.stopped or self.sample is None or self.count <= 0:
            return
        if not samples_path(spec, result) or result.id in self.paths:
            return
        path = _Path(result)
        self.paths[result.id] = path
        path.driver = asyncio.create_task(self._drive(path))

    async def _drive(self, path: _Path) -> None:
        assert self.sample is not None
        loop = asyncio.get_running_loop()
        first = loop.time()
        for i in range(self.count):
            start = first + i * SAMPLE_INTERVAL
            if start > loop.time():
                await asyncio.sleep(start - loop.time())
            budget = min(SAMPLE_TIMEOUT, self.deadline - loop.time())
            if budget <= 0:
                return
            task = asyncio.create_task(self._one(path.result, budget))
            path.started.append((loop.time(), task))

    async def _one(self, result: ProbeResult, budget: float) -> Sample:
        assert self.sample is not None
        try:
            got = await self.sample(result, budget)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug in a sample is no fact about the path
            return Sample(None, None, judged=False)
        # a sample with less than its full timeout could not see a missing answer as missing
        return got if budget >= SAMPLE_TIMEOUT else replace(got, judged=False)

    async def stop(self) -> tuple[PathSamples, ...]:
        """Cancel what is in flight; every path's finished samples, in send order."""
        self.stopped = True
        end = asyncio.get_running_loop().time()
        tasks: list[asyncio.Task[object]] = []
        for path in self.paths.values():
            if path.driver is not None:
                path.driver.cancel()
                tasks.append(path.driver)
            for _, t in path.started:
                if not t.done():
                    t.cancel()
                tasks.append(t)
        await asyncio.gather(*tasks, return_exceptions=True)
        out = []
        for pid, path in self.paths.items():
            # Judged for loss only if its whole timeout fell before the end: an answered
            # sample sent later would count, a lost one sent as late could not.
            done = [
                t.result() if at + SAMPLE_TIMEOUT <= end else replace(t.result(), judged=False)
                for at, t in path.started
                if not t.cancelled() and t.exception() is None
            ]
            r = path.result
            out.append(
                PathSamples(
                    id=pid,
                    transport=r.transport,
                    port=r.port,
                    address=r.address,
                    via=r.via,
                    samples=tuple(done),
                    owns_loss=r.via is Via.DIRECT,
                )
            )
        return tuple(out)
