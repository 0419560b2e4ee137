"""Composition root: inputs -> plan -> run -> classify -> Report. The only place that wires
the pure layers to the network."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from wsdiag import __version__
from wsdiag.budgets import RUN_GUARD
from wsdiag.check.catalog import load_catalog
from wsdiag.check.evidence import Results
from wsdiag.check.plan import make_plan
from wsdiag.check.runner import ResolveFn, RunResult, real_probes, run_plan
from wsdiag.errors import WsdiagError
from wsdiag.host.identity import host_facts
from wsdiag.host.proxy import discover_safely
from wsdiag.logs.context import LogContext, client_logs
from wsdiag.model import (
    Inputs,
    Plan,
    Report,
    Role,
    Transport,
)
from wsdiag.probes.registry import ProbeFn
from wsdiag.render.report import SCHEMA

# Modules a run needs only once the network has answered: imported in the background while
# the lookups wait, so a silent network does not pay for them after its timeout.
AFTER_NETWORK = ("wsdiag.rules.classify", "wsdiag.render.formats", "wsdiag.render.redact")


def _quiet_libraries() -> None:
    # aioquic logs handshake aborts as WARNINGs; with logging unconfigured Python would
    # print them on stderr. The probe result already carries the same information.
    for name in ("quic", "aioquic"):
        logger = logging.getLogger(name)
        logger.propagate = False
        if not logger.handlers:  # once: run_check may run many times in one process
            logger.addHandler(logging.NullHandler())


async def _run(plan: Plan, resolve: ResolveFn, probes: dict[Transport, ProbeFn],
               budget: float) -> RunResult:
    # A last guard on top of the runner's own deadline handling: never hang.
    return await asyncio.wait_for(run_plan(plan, resolve, probes, budget), budget + RUN_GUARD)


def run_check(
    inputs: Inputs,
    catalogs: Sequence[Path] = (),
    region_source: str = "option",
    logs: LogContext | None = None,
    since: float | None = None,
) -> Report:
    """One run, ``since`` a monotonic time (``wsdiag.clock.STARTED`` for a CLI run, so the
    deadline counts start-up, logs and catalogs; None: now, as ``watch`` runs do).
    Raises WsdiagError (one line) for inputs that cannot be planned."""
    since = time.monotonic() if since is None else since
    started = datetime.now(UTC).isoformat(timespec="seconds")
    catalog = load_catalog(catalogs)
    logs = logs or LogContext()
    if logs.private_hosts and not inputs.log_endpoint_hosts:
        inputs = replace(inputs, log_endpoint_hosts=logs.private_hosts)
    # The proxy is an input of the plan: found first, then applied to the planned names.
    plan = make_plan(catalog, inputs, discover_safely())
    _quiet_libraries()
    # The network stack and what the report needs afterwards import while DNS waits.
    resolve, probes = real_probes(plan, AFTER_NETWORK)
    # duration_ms is what the network costs: probing and classifying, not Python start-up.
    t0 = time.perf_counter()
    try:
        budget = max(since + plan.deadline - time.monotonic(), 0.0)
        run = asyncio.run(_run(plan, resolve, probes, budget))
    except TimeoutError:
        raise WsdiagError("the run did not finish within its deadline (internal error)") from None
    from wsdiag.rules.classify import diagnose  # imported during the run (AFTER_NETWORK)

    results = Results(plan, tuple(run.dns), tuple(run.probes))
    evidence, diagnosis = diagnose(results, extra=logs.findings)
    return Report(
        schema=SCHEMA,
        tool_version=__version__,
        region=plan.region.code,
        endpoint_hosts=tuple(pt.host for pt in plan.targets if pt.target.role is Role.ENDPOINT),
        diagnosis=diagnosis,
        evidence=evidence,
        dns=results.dns,
        probes=results.probes,
        duration_ms=round((time.perf_counter() - t0) * 1000, 1),
        started_at=started,
        region_source=region_source,
        logs=client_logs(logs, results.probes),
        proxy=plan.proxy,
        host=host_facts(logs.owner, logs.evidence is not None),
        process_ms=round((time.monotonic() - since) * 1000, 1),
    )
