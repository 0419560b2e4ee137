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
from wsdiag.check.names import dialed_by
from wsdiag.check.observed import Observed
from wsdiag.check.plan import make_plan
from wsdiag.check.runner import RunResult, real_probes, run_plan
from wsdiag.clock import run_budget
from wsdiag.errors import WsdiagError
from wsdiag.host.identity import host_facts
from wsdiag.host.paths import destinations, gather_paths, internet_target_ids
from wsdiag.host.proxy import discover_safely
from wsdiag.logs.context import client_logs
from wsdiag.probes.registry import ProbeFn, ResolveFn
from wsdiag.render.report import SCHEMA
from wsdiag.vocab.logs import LogContext
from wsdiag.vocab.machine import HostPaths
from wsdiag.vocab.model import Catalog, Inputs, Plan, Role, Transport
from wsdiag.vocab.report import Report

# Modules a run needs only once the network has answered: imported in the background while
# the lookups wait, so a silent network does not pay for them after its timeout.
AFTER_NETWORK = ("wsdiag.rules.classify", "wsdiag.render.formats", "wsdiag.redact")

HOST_FACTS_BUDGET = 2.0  # seconds: routes of a few dozen addresses and the process list


def _quiet_libraries() -> None:
    # aioquic logs handshake aborts as WARNINGs; with logging unconfigured Python would
    # print them on stderr. The probe result already carries the same information.
    for name in ("quic", "aioquic"):
        logger = logging.getLogger(name)
        logger.propagate = False
        if not logger.handlers:  # once: run_check may run many times in one process
            logger.addHandler(logging.NullHandler())


async def _run(
    plan: Plan, resolve: ResolveFn, probes: dict[Transport, ProbeFn], budget: float, late: float
) -> RunResult:
    # A last guard on top of the runner's own deadline handling: never hang.
    return await asyncio.wait_for(run_plan(plan, resolve, probes, budget, late), budget + RUN_GUARD)


def _check_public_roots(plan: Plan) -> None:
    """A public-roots file (--public-roots, $WSDIAG_PUBLIC_ROOTS) that cannot be used is a
    one-line error before any probe: the probe kinds load it again in the background, where
    a failure could only be a failed probe. Raises wsdiag.host.trust.TrustError."""
    import os

    from wsdiag.host.trust import load_public_roots, public_roots_path

    path = public_roots_path(plan.public_roots, os.environ)
    if path is not None:
        load_public_roots(path)


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
    config = discover_safely()
    plan = make_plan(catalog, inputs, config)
    plan = _with_pac(catalog, inputs, plan, config is not None and config.source == "environment")
    _quiet_libraries()
    # The network stack and what the report needs afterwards import while DNS waits.
    _check_public_roots(plan)
    resolve, probes = real_probes(plan, AFTER_NETWORK)
    # duration_ms is what the network costs: probing and classifying, not Python start-up.
    t0 = time.perf_counter()
    try:
        budget, late = run_budget(
            plan.deadline, inputs.deadline is not None, since, time.monotonic()
        )
        run = asyncio.run(_run(plan, resolve, probes, budget, late))
    except TimeoutError:
        raise WsdiagError("the run did not finish within its deadline (internal error)") from None
    from wsdiag.rules.classify import diagnose  # imported during the run (AFTER_NETWORK)

    results = Observed(plan, tuple(run.dns), tuple(run.probes))
    paths = _host_paths(results, logs)
    results = replace(results, machine=paths)
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
        paths=paths,
        process_ms=round((time.monotonic() - since) * 1000, 1),
    )


def _with_pac(catalog: Catalog, inputs: Inputs, plan: Plan, env_proxy: bool) -> Plan:
    """The plan again with the PAC's route, where ``--pac`` is given or (no proxy in the
    environment) the OS has one; the PAC's time comes out of the run deadline (a third at
    most). Unchanged where no PAC applies."""
    if not inputs.use_proxy or (env_proxy and not inputs.pac):
        return plan
    from wsdiag.host.pac_route import pac_route

    hosts = [
        pt.host
        for pt in plan.targets
        if not pt.skip_reason and pt.target.role in (Role.AUTH, Role.ENDPOINT)
    ]
    t0 = time.monotonic()
    found = pac_route(inputs.pac, hosts, plan.deadline / 3)
    if found is None:
        return plan
    left = max(plan.timeout, plan.deadline - (time.monotonic() - t0))
    return replace(make_plan(catalog, inputs, found), deadline=left)


def _host_paths(results: Observed, logs: LogContext) -> HostPaths:
    """Routes to what was tested and the client session: no packets, a short budget of its
    own (reading the routing table and the process list is local and quick)."""
    plan = results.plan
    dests = destinations(
        results.dns,
        dialed_by(results, results.endpoint_id()),
        internet_target_ids(plan.targets),
        plan.proxy,
    )
    proxy = (plan.proxy.host, plan.proxy.port) if plan.proxy.host and plan.proxy.port else None
    version = logs.evidence.client_version if logs.evidence is not None else None
    return gather_paths(dests, time.monotonic() + HOST_FACTS_BUDGET, proxy, version)
