"""Run a plan: every target concurrently (resolve, then probe), one whole-run deadline.

The runner decides nothing: ids, routes, timeouts and skips come from the plan, and a
target's per-address probes from ``plan.expand`` over its DNS answers. What it owns is
time: each lookup and probe gets min(its timeout, time left), a probe's own bug cannot
cancel its siblings, and whatever has not finished when the deadline falls is reported as
an error with phase "deadline", never as success and never silently dropped (naming a
start-up so late that the machine was too busy). A probe whose any-of fact another
already answered (``ProbeSpec.serves``) ends early: its result could not change it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from wsdiag.budgets import DNS_GUARD_GRACE, DNS_GUARD_SHARE, MAX_CONCURRENT_PROBES
from wsdiag.check.plan import expand, result_order
from wsdiag.check.sampling import SampleFn, Sampler
from wsdiag.clock import ms_since
from wsdiag.probes.registry import ProbeFn, ResolveFn
from wsdiag.quality.samples import PathSamples
from wsdiag.vocab.model import (
    DnsOutcome,
    DnsSpec,
    Phase,
    Plan,
    PlannedTarget,
    ProbeSpec,
    Status,
    Transport,
)
from wsdiag.vocab.results import DnsResult, ProbeResult, planned

if TYPE_CHECKING:
    from wsdiag.lane import Lane, Quiet

# (the lookup, its budget in seconds) -> the result; a parameter so tests can stand in.


@dataclass
class RunResult:
    dns: list[DnsResult]
    probes: list[ProbeResult]
    duration_ms: float
    samples: tuple[PathSamples, ...] = ()  # the answered endpoint paths' samples


def _dns_error(spec: DnsSpec, detail: str) -> DnsResult:
    return DnsResult(
        id=spec.id,
        target_id=spec.target_id,
        host=spec.host,
        rdtype=spec.rdtype,
        outcome=DnsOutcome.ERROR,
        detail=detail[:200],
    )


async def run_plan(
    plan: Plan,
    resolve: ResolveFn,
    probes: Mapping[Transport, ProbeFn],
    budget: float | None = None,
    late: float = 0.0,
    on_dns: Callable[[tuple[DnsResult, ...]], None] | None = None,
    sample: SampleFn | None = None,
    quiet: Quiet | None = None,
) -> RunResult:
    """Every lookup and probe of ``plan``; results in plan order. Never raises for a probe's
    failure; returns within ``budget`` seconds (plus scheduling): what is left of the run
    deadline when the runner starts (None: all of ``plan.deadline``). ``late``: seconds the
    run started late (``wsdiag.clock.run_budget``), named in what the deadline cuts short.
    With ``sample``, the endpoint paths that answer are sampled ``plan.samples`` times while
    the planned work lasts (wsdiag.check.sampling), never longer.

    A probe serving an any-of fact (``ProbeSpec.serves``) ends early, as skipped, once
    another serving the same fact answered: its result could no longer change the fact.
    ``on_dns`` is called once (in the loop, quickly: it starts work, never waits) with every
    lookup's result when the last lookup has ended, so work that needs the answers but no
    probe (this machine's routes to them) runs while the probes wait; an exception it
    raises is ignored (the caller's work is then simply not started). ``quiet``
    (wsdiag.lane.Quiet) is told once the last lookup has ended (or the run is over), for
    background work that leaves the loop the interpreter until then."""
    return await _Run(plan, resolve, probes, budget, late, on_dns, sample, quiet).run()


class _Run:
    """One run's shared state (results so far, the deadline, the facts decided, the probes
    in flight) and the steps that read and move it: the runner owns only time."""

    def __init__(
        self,
        plan: Plan,
        resolve: ResolveFn,
        probes: Mapping[Transport, ProbeFn],
        budget: float | None,
        late: float,
        on_dns: Callable[[tuple[DnsResult, ...]], None] | None,
        sample: SampleFn | None,
        quiet: Quiet | None = None,
    ) -> None:
        self.plan, self.resolve, self.probes, self.late, self.on_dns = (
            plan,
            resolve,
            probes,
            late,
            on_dns,
        )
        self.loop = asyncio.get_running_loop()
        self.t0 = time.perf_counter()
        # Moves when a late answer within the OS's DNS budget arrives (see one_dns).
        self.deadline = self.loop.time() + (plan.deadline if budget is None else max(budget, 0.0))
        self.dns_out: dict[str, DnsResult | None] = {}
        self.dns_specs: dict[str, DnsSpec] = {}
        self.probe_out: dict[str, ProbeResult] = {}
        self.pending: dict[str, ProbeResult] = {}
        self.slots = asyncio.Semaphore(MAX_CONCURRENT_PROBES)  # mechanism: the size is a budget
        self.decided: dict[str, str] = {}  # fact -> the id of the probe that answered it
        self.serving: dict[str, set[asyncio.Future[ProbeResult]]] = {}  # fact -> in flight
        self.sampler = Sampler(sample, plan.samples, self.deadline)
        self.patient: dict[object, float] = {}  # patient lookups -> the latest they may end
        self.looking_up = len(plan.targets)  # targets whose lookups have not all ended
        self.quiet = quiet

    def remaining(self) -> float:
        return max(self.deadline - self.loop.time(), 0.0)

    def waiting(self) -> float:
        """Time left for the run as a whole: the deadline, or a patient lookup's end."""
        return max(max(self.patient.values(), default=0.0), self.deadline) - self.loop.time()

    def ended_early(self, base: ProbeResult, fact: str) -> ProbeResult:
        return replace(
            base,
            status=Status.SKIPPED,
            detail=f"ended early: {self.decided[fact]} answered, which decides {fact}",
        )

    async def one_probe(self, spec: ProbeSpec) -> None:
        base = planned(spec)
        if spec.skip_reason is not None:
            self.probe_out[spec.id] = base
            return
        self.pending[spec.id] = base
        async with self.slots:  # the budget starts once a slot is free: waiting is not silence
            if spec.serves in self.decided:
                result = self.ended_early(base, spec.serves)
            else:
                result = await self.serve(spec, base, min(spec.timeout, self.remaining()))
        self.probe_out[spec.id] = result
        self.pending.pop(spec.id, None)
        self.sampler.answered(spec, result)
        if spec.serves and result.status is Status.OPEN and spec.serves not in self.decided:
            self.decided[spec.serves] = spec.id
            for other in self.serving.pop(spec.serves, set()):
                other.cancel()

    async def serve(self, spec: ProbeSpec, base: ProbeResult, budget: float) -> ProbeResult:
        run = _run_one(self.probes[spec.transport], base, budget, spec.timeout, self.late)
        if not spec.serves:
            return _worded(await run, spec, self.plan.timeout)
        task = asyncio.ensure_future(run)
        self.serving.setdefault(spec.serves, set()).add(task)
        try:
            await asyncio.wait({task})
        except asyncio.CancelledError:  # the deadline: the probe goes with its runner
            task.cancel()
            raise
        finally:
            self.serving.get(spec.serves, set()).discard(task)
        if task.cancelled():
            return self.ended_early(base, spec.serves)
        return _worded(task.result(), spec, self.plan.timeout)

    async def one_dns(self, spec: DnsSpec) -> DnsResult:
        self.dns_out[spec.id], self.dns_specs[spec.id] = None, spec
        left = self.remaining()
        allowed = min(spec.timeout, left)
        # The private name may take the OS resolver's own budget (the lookup uses it only
        # when its server answered another query of this run); the run's deadline then
        # grows by the extra DNS time actually spent, so its probes keep their time.
        patience = (
            max(self.plan.dns_os_budget - spec.timeout, 0.0)
            if spec.patient and left >= spec.timeout
            else 0.0
        )
        fixed = self.plan.deadline_fixed
        if fixed:  # a --deadline given never moves: the patience fits inside it
            patience = min(patience, max(left - allowed, 0.0))
        started = self.loop.time()
        key = object()
        if patience and not fixed:  # the run waits for it past the deadline while it may answer
            self.patient[key] = started + left + patience
        try:
            result = await _lookup(self.resolve, spec, allowed + patience, self.late)
        finally:
            self.patient.pop(key, None)
        over = self.loop.time() - started - allowed
        if patience and over > 0 and not fixed:
            self.deadline = max(self.deadline, started + left + min(over, patience))
        self.dns_out[spec.id] = result
        return result

    def lookups_ended(self) -> None:
        self.looking_up -= 1
        if self.looking_up == 0 and self.quiet is not None:
            self.quiet.over()
        if self.looking_up == 0 and self.on_dns is not None:
            with contextlib.suppress(Exception):
                self.on_dns(tuple(r for r in self.dns_out.values() if r is not None))

    async def one_target(self, pt: PlannedTarget) -> None:
        async def direct() -> None:
            answers = await asyncio.gather(*(self.one_dns(s) for s in pt.dns))
            self.lookups_ended()
            expanded = expand(pt, answers, self.plan.families)
            await asyncio.gather(*(self.one_probe(s) for s in expanded))

        await asyncio.gather(direct(), *(self.one_probe(s) for s in pt.probes))

    async def run(self) -> RunResult:
        plan = self.plan
        # Skips are recorded now: a deadline cannot cut short what never runs.
        self.probe_out.update(
            (s.id, planned(s))
            for pt in plan.targets
            for s in pt.probes
            if s.skip_reason is not None
        )
        tasks = [asyncio.create_task(self.one_target(pt)) for pt in plan.targets]
        unfinished: set[asyncio.Task[None]] = set(tasks)
        try:
            while unfinished and self.waiting() > 0:  # again when a late answer moved it
                _, unfinished = await asyncio.wait(unfinished, timeout=self.waiting())
        finally:
            if self.quiet is not None:
                self.quiet.over()  # nothing waits on this run's lookups any more
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
        samples = await self.sampler.stop()  # the planned work is over: so are the samples
        cut = self.loop.time() >= self.deadline
        return RunResult(
            dns=_finish_dns(self.dns_out, self.dns_specs, self.late),
            probes=sorted(
                _finish_probes(self.probe_out, self.pending, cut, self.late).values(),
                key=result_order(plan),
            ),
            duration_ms=ms_since(self.t0),
            samples=samples,
        )


async def _lookup(resolve: ResolveFn, spec: DnsSpec, budget: float, late: float = 0.0) -> DnsResult:
    """One lookup within ``budget`` seconds; never raises (a bug is an error result). A
    budget beyond ``spec.timeout`` is patience the lookup uses only on its own evidence.
    ``late``: how late the run started, named where the deadline cut the lookup short."""
    try:
        async with asyncio.timeout(budget + max(DNS_GUARD_GRACE, budget * DNS_GUARD_SHARE)):
            result = await resolve(spec, budget)
    except TimeoutError:
        return _dns_error(spec, f"the lookup did not end within its {budget:.2f} s")
    except Exception as exc:
        return _dns_error(spec, f"{exc.__class__.__name__}: {exc}")
    if result.outcome is DnsOutcome.TIMEOUT and budget < spec.timeout:
        # Silent for less than the full timeout (the deadline counts from the process
        # start): not evidence of a silent resolver.
        return _dns_error(spec, f"silent for {budget:.2f} s before the run deadline{busy(late)}")
    return result


def _worded(result: ProbeResult, spec: ProbeSpec, run_timeout: float) -> ProbeResult:
    """A probe on a clock shorter than the run's (informational: ``plan.info_timeout``) says
    how long it listened: its silence is read as any silence within its timeout."""
    if result.status is Status.FILTERED and spec.timeout < run_timeout:
        return replace(result, detail=f"no answer within {spec.timeout:.1f} s")
    return result


def busy(late: float) -> str:
    """What a result cut short adds when the run started ``late`` seconds late."""
    return f": this machine was too busy (started {late:.1f} s late)" if late > 0 else ""


async def _run_one(
    fn: ProbeFn, base: ProbeResult, budget: float, timeout: float, late: float = 0.0
) -> ProbeResult:
    try:
        result = await fn(base, budget)
    except Exception as exc:  # a bug in one probe must not cancel its siblings
        return replace(
            base,
            status=Status.ERROR,
            phase=Phase.INTERNAL,
            detail=f"{exc.__class__.__name__}: {exc}"[:200],
        )
    if result.status is Status.FILTERED and budget < timeout:
        # Silent for less than the full timeout: that is not evidence of a filter.
        return replace(
            result,
            status=Status.ERROR,
            phase=Phase.DEADLINE,
            detail=f"silent for {budget:.2f} s before the run deadline{busy(late)}",
        )
    return result


def _finish_probes(
    out: dict[str, ProbeResult],
    pending: dict[str, ProbeResult],
    past_deadline: bool,
    late: float = 0.0,
) -> dict[str, ProbeResult]:
    """Whatever the deadline cut short is an error, so it can never count as "open"."""
    if past_deadline:
        phase, why = Phase.DEADLINE, f"cut short by the run deadline{busy(late)}"
    else:
        phase, why = Phase.INTERNAL, "the probe ended without a result (internal error)"
    for pid, base in pending.items():
        out.setdefault(pid, replace(base, status=Status.ERROR, phase=phase, detail=why))
    return out


def _finish_dns(
    out: dict[str, DnsResult | None], specs: dict[str, DnsSpec], late: float = 0.0
) -> list[DnsResult]:
    return [
        res
        if res is not None
        else _dns_error(specs[rid], f"cut short by the run deadline{busy(late)}")
        for rid, res in out.items()
    ]


def real_sampler(plan: Plan) -> SampleFn | None:
    """The sample function for ``plan`` (None with --samples 0)."""
    if plan.samples <= 0:
        return None
    from wsdiag.probes.sample import for_plan

    return for_plan(plan)


def real_probes(
    plan: Plan, warm: Sequence[str] = (), lane: Lane | None = None, quiet: Quiet | None = None
) -> tuple[ResolveFn, dict[Transport, ProbeFn]]:
    """The network implementations, imported here so --help never pays for them: the name
    lookups now, the probe kinds (aioquic, ssl), then the ``warm`` modules, in ``lane`` (a
    lane of their own when None) while the lookups wait on the network; aioquic's import
    yields to the loop while ``quiet`` (given to ``run_plan`` too) says it reads answers."""
    from wsdiag.probes.registry import load_in_background, load_resolve

    return load_resolve(plan), load_in_background(plan, warm, lane, quiet)
