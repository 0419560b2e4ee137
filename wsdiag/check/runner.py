"""Run a plan: every target concurrently (resolve, then probe), one whole-run deadline.

The runner decides nothing: ids, routes, timeouts and skips come from the plan, and a
target's per-address probes from ``plan.expand`` over its DNS answers. What it owns is
time: each lookup and probe gets min(its timeout, time left), a probe's own bug cannot
cancel its siblings, and whatever has not finished when the deadline falls is reported as
an error with phase "deadline", never as success and never silently dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

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
    sample: SampleFn | None = None,
) -> RunResult:
    """Every lookup and probe of ``plan``; results in plan order. Never raises for a probe's
    failure; returns within ``budget`` seconds (plus scheduling): what is left of the run
    deadline when the runner starts (None: all of ``plan.deadline``). With ``sample``, the
    endpoint paths that answer are sampled ``plan.samples`` times while the planned work
    lasts (wsdiag.check.sampling), never longer."""
    loop = asyncio.get_running_loop()
    t0 = time.perf_counter()
    # A list so that a late answer within the OS's DNS budget can move it (see one_dns).
    deadline = [loop.time() + (plan.deadline if budget is None else max(budget, 0.0))]
    dns_out: dict[str, DnsResult | None] = {}
    dns_specs: dict[str, DnsSpec] = {}
    probe_out: dict[str, ProbeResult] = {}
    pending: dict[str, ProbeResult] = {}
    slots = asyncio.Semaphore(MAX_CONCURRENT_PROBES)  # mechanism: the size is a budget
    sampler = Sampler(sample, plan.samples, deadline[0])

    patient: dict[object, float] = {}  # patient lookups in flight -> the latest they may end

    def remaining() -> float:
        return max(deadline[0] - loop.time(), 0.0)

    def waiting() -> float:
        """Time left for the run as a whole: the deadline, or a patient lookup's end."""
        return max(max(patient.values(), default=0.0), deadline[0]) - loop.time()

    async def one_probe(spec: ProbeSpec) -> None:
        base = planned(spec)
        if spec.skip_reason is not None:
            probe_out[spec.id] = base
            return
        pending[spec.id] = base
        async with slots:  # the budget starts once a slot is free: waiting is not silence
            budget = min(spec.timeout, remaining())
            result = await _run_one(probes[spec.transport], base, budget, spec.timeout)
        probe_out[spec.id] = result
        pending.pop(spec.id, None)
        sampler.answered(spec, result)

    async def one_dns(spec: DnsSpec) -> DnsResult:
        dns_out[spec.id], dns_specs[spec.id] = None, spec
        left = remaining()
        allowed = min(spec.timeout, left)
        # The private name may take the OS resolver's own budget (the lookup uses it only
        # when its server answered another query of this run); the run's deadline then
        # grows by the extra DNS time actually spent, so its probes keep their time.
        patience = (
            max(plan.dns_os_budget - spec.timeout, 0.0)
            if spec.patient and left >= spec.timeout
            else 0.0
        )
        started = loop.time()
        key = object()
        if patience:  # the run waits for it past the deadline while it may still answer
            patient[key] = started + left + patience
        try:
            result = await _lookup(resolve, spec, allowed + patience)
        finally:
            patient.pop(key, None)
        over = loop.time() - started - allowed
        if patience and over > 0:
            deadline[0] = max(deadline[0], started + left + min(over, patience))
        dns_out[spec.id] = result
        return result

    async def one_target(pt: PlannedTarget) -> None:
        async def direct() -> None:
            answers = await asyncio.gather(*(one_dns(s) for s in pt.dns))
            await asyncio.gather(*(one_probe(s) for s in expand(pt, answers, plan.families)))

        await asyncio.gather(direct(), *(one_probe(s) for s in pt.probes))

    # Skips are recorded now: a deadline cannot cut short what never runs.
    probe_out.update(
        (s.id, planned(s)) for pt in plan.targets for s in pt.probes if s.skip_reason is not None
    )
    tasks = [asyncio.create_task(one_target(pt)) for pt in plan.targets]
    unfinished: set[asyncio.Task[None]] = set(tasks)
    while unfinished and waiting() > 0:  # again when a late DNS answer moved the deadline
        _, unfinished = await asyncio.wait(unfinished, timeout=waiting())
    for task in unfinished:
        task.cancel()
    await asyncio.gather(*unfinished, return_exceptions=True)
    samples = await sampler.stop()  # the planned work is over: so are the samples
    return RunResult(
        dns=_finish_dns(dns_out, dns_specs),
        probes=sorted(
            _finish_probes(probe_out, pending, loop.time() >= deadline[0]).values(),
            key=result_order(plan),
        ),
        duration_ms=ms_since(t0),
        samples=samples,
    )


async def _lookup(resolve: ResolveFn, spec: DnsSpec, budget: float) -> DnsResult:
    """One lookup within ``budget`` seconds; never raises (a bug is an error result). A
    budget beyond ``spec.timeout`` is patience the lookup uses only on its own evidence."""
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
        return _dns_error(spec, f"silent for {budget:.2f} s before the run deadline")
    return result


async def _run_one(fn: ProbeFn, base: ProbeResult, budget: float, timeout: float) -> ProbeResult:
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
            detail=f"silent for {budget:.2f} s before the run deadline",
        )
    return result


def _finish_probes(
    out: dict[str, ProbeResult], pending: dict[str, ProbeResult], past_deadline: bool
) -> dict[str, ProbeResult]:
    """Whatever the deadline cut short is an error, so it can never count as "open"."""
    if past_deadline:
        phase, why = Phase.DEADLINE, "cut short by the run deadline"
    else:
        phase, why = Phase.INTERNAL, "the probe ended without a result (internal error)"
    for pid, base in pending.items():
        out.setdefault(pid, replace(base, status=Status.ERROR, phase=phase, detail=why))
    return out


def _finish_dns(out: dict[str, DnsResult | None], specs: dict[str, DnsSpec]) -> list[DnsResult]:
    return [
        res if res is not None else _dns_error(specs[rid], "cut short by the run deadline")
        for rid, res in out.items()
    ]


def real_sampler(plan: Plan) -> SampleFn | None:
    """The sample function for ``plan`` (None with --samples 0)."""
    if plan.samples <= 0:
        return None
    from wsdiag.probes.sample import for_plan

    return for_plan(plan)


def real_probes(plan: Plan, warm: Sequence[str] = ()) -> tuple[ResolveFn, dict[Transport, ProbeFn]]:
    """The network implementations, imported here so --help never pays for them: the name
    lookups now, the probe kinds (aioquic, ssl), then the ``warm`` modules, in a thread
    while the lookups wait on the network."""
    from wsdiag.probes.registry import load_in_background, load_resolve

    return load_resolve(plan), load_in_background(plan, warm)
