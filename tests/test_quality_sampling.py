"""Sampling the answered endpoint paths (wsdiag.check.sampling) inside the runner.

Plan level (stand-in probes, recorded): --samples 0 sends exactly the plan; samples go only
to endpoint addresses the plan probed and that answered; a hung sample never holds the run.
Real sockets: TCP and QUIC samples to servers on loopback (kernel RTT for TCP).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from tests.support.certs import make_ca
from tests.support.servers import start_quic_server, start_tcp_server
from tests.synth import plan_for
from wsdiag.check.plan import expand
from wsdiag.check.runner import run_plan
from wsdiag.probes.registry import load
from wsdiag.probes.sample import for_plan as sampler_for
from wsdiag.quality.samples import RttSource, Sample
from wsdiag.vocab.model import DnsOutcome, DnsSpec, Plan, Role, Status, Transport
from wsdiag.vocab.results import DnsResult, ProbeResult

ENDPOINT = ("10.0.1.10", "10.0.2.10")
Sent = tuple[str, str | None, int]  # (kind, address, port)


def resolver(endpoint: tuple[str, ...]):  # type: ignore[no-untyped-def]
    async def answer(spec: DnsSpec, budget: float) -> DnsResult:
        addrs = (
            (endpoint if spec.target_id == "endpoint" else ("10.9.9.9",))
            if spec.rdtype == "A"
            else ()
        )
        outcome = DnsOutcome.ANSWER if addrs else DnsOutcome.NO_ANSWER
        return DnsResult(spec.id, spec.target_id, spec.host, spec.rdtype, outcome, addrs)

    return answer


def planned(plan: Plan, endpoint: tuple[str, ...]) -> Counter[Sent]:
    """What the plan sends without sampling: every probe not skipped, once."""
    out: Counter[Sent] = Counter()
    for pt in plan.targets:
        answers = [
            DnsResult(
                s.id,
                s.target_id,
                s.host,
                s.rdtype,
                DnsOutcome.ANSWER if s.rdtype == "A" else DnsOutcome.NO_ANSWER,
                (endpoint if pt.target.role is Role.ENDPOINT else ("10.9.9.9",))
                if s.rdtype == "A"
                else (),
            )
            for s in pt.dns
        ]
        for spec in (*pt.probes, *(expand(pt, answers) if pt.dns else ())):
            if spec.skip_reason is None:
                out[(str(spec.transport), spec.address, spec.port)] += 1
    return out


def recording(
    sent: Counter[Sent], status: dict[str | None, Status] | None = None, wait: float = 0.0
):  # type: ignore[no-untyped-def]
    async def probe(base: ProbeResult, timeout: float) -> ProbeResult:
        sent[(str(base.transport), base.address, base.port)] += 1
        if base.target_id != "endpoint":
            await asyncio.sleep(wait)  # a slower internet: the run waits, samples run
        got = (status or {}).get(base.address, Status.OPEN)
        return replace(base, status=got)

    return probe


def sample_recorder(sent: Counter[Sent], hang: bool = False):  # type: ignore[no-untyped-def]
    async def sample(base: ProbeResult, timeout: float) -> Sample:
        sent[(f"sample-{base.transport}", base.address, base.port)] += 1
        if hang:
            await asyncio.sleep(3600)
        return Sample(1.0, 1.0)

    return sample


@pytest.mark.parametrize("samples", [0, 5])
def test_samples_0_sends_exactly_the_plan(samples: int) -> None:
    plan = plan_for(samples=samples)
    sent: Counter[Sent] = Counter()
    probes = {t: recording(sent, wait=0.2) for t in Transport}
    run = asyncio.run(run_plan(plan, resolver(ENDPOINT), probes, sample=sample_recorder(sent)))
    probed = Counter({k: v for k, v in sent.items() if not k[0].startswith("sample-")})
    assert probed == planned(plan, ENDPOINT)  # sampling never changes the planned probes
    sampled = {k: v for k, v in sent.items() if k[0].startswith("sample-")}
    if samples == 0:
        assert sampled == {} and run.samples == ()
    else:
        # only the endpoint's addresses the plan probed, TCP and QUIC, at most N each
        assert {(k[1], k[2]) for k in sampled} <= {(a, p) for a in ENDPOINT for p in (443, 4195)}
        assert all(v <= samples for v in sampled.values())
        assert {p.id for p in run.samples} <= {p.id for p in run.probes}


def test_a_silent_path_is_never_sampled() -> None:
    plan = plan_for(samples=5)
    sent: Counter[Sent] = Counter()
    silent = {ENDPOINT[1]: Status.FILTERED}
    probes = {t: recording(sent, silent, wait=0.2) for t in Transport}
    asyncio.run(run_plan(plan, resolver(ENDPOINT), probes, sample=sample_recorder(sent)))
    assert not [k for k in sent if k[0].startswith("sample-") and k[1] == ENDPOINT[1]]
    assert [k for k in sent if k[0].startswith("sample-") and k[1] == ENDPOINT[0]]


def test_a_hung_sample_never_holds_the_run() -> None:
    """The run ends with its planned work: samples still in flight are dropped (neither
    answered nor lost), and nothing waits on them."""
    plan = replace(plan_for(samples=5), deadline=30.0)
    sent: Counter[Sent] = Counter()
    probes = {t: recording(sent, wait=0.1) for t in Transport}

    async def main() -> object:
        return await asyncio.wait_for(
            run_plan(plan, resolver(ENDPOINT), probes, sample=sample_recorder(sent, hang=True)),
            10.0,  # the deadline is 30 s: ending before 10 means it did not wait on them
        )

    run = asyncio.run(main())
    assert [k for k in sent if k[0].startswith("sample-")]  # samples were sent ...
    assert all(p.samples == () for p in run.samples)  # type: ignore[attr-defined]


# --- real sockets on loopback -----------------------------------------------------------

NET = random.randint(64, 250)
EP = f"127.{NET}.7.10"


def _can_bind_low_ports() -> bool:
    s = socket.socket()
    try:
        s.bind((f"127.{NET}.7.250", 443))
    except PermissionError:
        return False
    finally:
        s.close()
    return True


def test_real_tcp_and_quic_samples_on_loopback(tmp_path: Path) -> None:
    if not _can_bind_low_ports():
        pytest.skip("binding ports 443/4195 needs root")
    pki = make_ca(tmp_path)
    leaf = pki.issue("server", ["endpoint.test"], [EP])
    n = 8
    plan = plan_for(samples=n)

    async def main() -> object:
        servers = [await start_tcp_server(EP, port) for port in (443, 4195)]
        quic = [
            await start_quic_server(EP, port, leaf.cert_path, leaf.key_path) for port in (443, 4195)
        ]
        real = load(plan)
        sample = sampler_for(plan)
        finished: list[Sample] = []
        enough = asyncio.Event()

        async def counted(base: ProbeResult, timeout: float) -> Sample:
            got = await sample(base, timeout)
            finished.append(got)
            if len(finished) >= 4 * n:
                enough.set()
            return got

        async def internet(base: ProbeResult, timeout: float) -> ProbeResult:
            # the run waits on this until every sample is back (or 10 s pass): a window
            # that does not depend on how busy the machine is
            if base.target_id != "endpoint":
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(enough.wait(), 10.0)
                return replace(base, status=Status.OPEN)
            return await real[base.transport](base, timeout)

        probes = {t: internet for t in Transport}
        try:
            return await run_plan(
                replace(plan, deadline=30.0, timeout=12.0), resolver((EP,)), probes, sample=counted
            )
        finally:
            for s, _ in servers:
                s.close()
            for q, _ in quic:
                q.close()

    run = asyncio.run(main())
    by_id = {p.id: p for p in run.samples}  # type: ignore[attr-defined]
    assert set(by_id) == {f"endpoint/{t}/{p}@{EP}" for t in ("tcp", "quic") for p in (443, 4195)}
    for pid, p in by_id.items():
        answered = [s for s in p.samples if s.rtt_ms is not None]
        assert len(p.samples) == n and len(answered) == n, (pid, p.samples)
        want = RttSource.KERNEL if "/tcp/" in pid else RttSource.TIMER
        assert {s.source for s in p.samples} == {want}
        assert all(s.rtt_ms is not None and s.rtt_ms >= 0 for s in p.samples)
