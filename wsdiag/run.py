"""Composition root: inputs -> plan -> run -> evidence (with the sources') -> rules ->
Report. The only place that wires the pure layers to the network."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from wsdiag import __version__
from wsdiag.budgets import (
    AWS_BUDGET_SHARE,
    BACKGROUND_DELAY,
    HOST_PATHS_GRACE,
    RUN_GUARD,
)
from wsdiag.check.catalog import load_catalog
from wsdiag.check.plan import make_plan
from wsdiag.check.runner import RunResult, real_probes, real_sampler, run_plan
from wsdiag.check.sampling import SampleFn
from wsdiag.clock import ms_since, run_budget
from wsdiag.errors import WsdiagError
from wsdiag.host.proxy import discover_safely
from wsdiag.lane import Lane, Priority, Quiet
from wsdiag.vocab.logs import LogContext
from wsdiag.vocab.model import Catalog, Inputs, Plan, Role, Transport

if TYPE_CHECKING:
    from wsdiag.cloud.source import CloudSource
    from wsdiag.evidence.machine import MachineFacts
    from wsdiag.probes.registry import ProbeFn, ResolveFn
    from wsdiag.vocab.evidence import Evidence
    from wsdiag.vocab.machine import HostPaths
    from wsdiag.vocab.observed import Observed
    from wsdiag.vocab.report import Diagnosis, Report
    from wsdiag.vocab.results import DnsResult, Finding

# Modules a run needs only once the network has answered: imported in the run's lane while
# the probes wait (wsdiag.run._after_network), so a silent network does not pay for them
# after its timeout, and the first packet does not wait for them.
AFTER_NETWORK = (
    "wsdiag.host.paths",
    "wsdiag.host.facts",
    "wsdiag.host.client",
    "wsdiag.vocab.observed",
    "wsdiag.evidence.build",
    "wsdiag.evidence.machine",
    "wsdiag.evidence.logs",
    "wsdiag.rules.verdict",
    "wsdiag.logs.context",
    "wsdiag.host.identity",
    "wsdiag.vocab.report",
    "wsdiag.render.report",
    "wsdiag.render.formats",
    "wsdiag.redact",
)

CLOUD_MODULES = ("boto3", "botocore.config", "wsdiag.cloud.gather", "wsdiag.rules.cloud")


def _quiet_libraries() -> None:
    # aioquic logs handshake aborts as WARNINGs; with logging unconfigured Python would
    # print them on stderr. The probe result already carries the same information.
    for name in ("quic", "aioquic"):
        logger = logging.getLogger(name)
        logger.propagate = False
        if not logger.handlers:  # once: run_check may run many times in one process
            logger.addHandler(logging.NullHandler())


async def _run(
    plan: Plan,
    resolve: ResolveFn,
    probes: dict[Transport, ProbeFn],
    budget: float,
    late: float,
    logs: LogContext,
    lane: Lane,
    sample: SampleFn | None = None,
    where: list[tuple[str, str]] | None = None,
    quiet: Quiet | None = None,
) -> tuple[RunResult, HostPaths | None]:
    """The run, and what the report needs after it, done in the run's lane while DNS and
    the probes wait, within the same deadline: the imports of the rules and renderers, then
    (once every lookup has ended) this machine's paths to what DNS answered. Queued
    BACKGROUND_DELAY after the runner starts (the first packets and the quick answers are
    in by then, so a connect's measured time is the network's, not this work's CPU), or
    when the runner ends, if sooner; last in the lane (Priority.AFTER_NETWORK), after the
    probe kinds and the trust roots the probes wait for. After the last probe result only
    pure work is left. None: the paths were not gathered in time (their facts are then
    unknown)."""
    loop = asyncio.get_running_loop()
    until = time.monotonic() + budget
    answers: Future[tuple[DnsResult, ...]] = Future()
    gathering: list[Future[HostPaths]] = []

    def start() -> None:
        if not gathering:
            gathering.append(
                lane.submit(
                    Priority.AFTER_NETWORK, _after_network, plan, answers, logs, until, where
                )
            )

    def dns_done(dns: tuple[DnsResult, ...]) -> None:
        if not answers.done():
            answers.set_result(dns)

    loop.call_later(BACKGROUND_DELAY, start)
    # A last guard on top of the runner's own deadline handling: never hang.
    run = await asyncio.wait_for(
        run_plan(plan, resolve, probes, budget, late, on_dns=dns_done, sample=sample, quiet=quiet),
        # a late private answer moves the default deadline (never a given one)
        budget + RUN_GUARD + (0.0 if plan.deadline_fixed else plan.dns_os_budget),
    )
    dns_done(tuple(run.dns))  # the deadline ended a lookup: what is left of them
    start()  # not queued yet: the runner ended first
    wait = max(until - time.monotonic(), 0.0) + HOST_PATHS_GRACE
    try:
        return run, await asyncio.wait_for(asyncio.wrap_future(gathering[0]), wait)
    except Exception:  # late (or a bug in gathering): the facts stay unknown, never a guess
        return run, None


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
    cloud: CloudSource | None = None,
) -> Report:
    """One run, ``since`` a monotonic time (``wsdiag.clock.STARTED`` for a CLI run, so the
    deadline counts start-up, logs and catalogs; None: now, as ``watch`` runs do).
    ``cloud`` (--aws): read after the probes, in its own share of the deadline (budgets.py
    AWS_BUDGET_SHARE); its findings are shown, never counted in the verdict.
    Raises WsdiagError (one line) for inputs that cannot be planned."""
    since = time.monotonic() if since is None else since
    started = datetime.now(UTC).isoformat(timespec="seconds")
    plan, logs = _planned(inputs, catalogs, logs)
    # duration_ms is what the network costs: probing and classifying, not Python start-up.
    t0 = time.perf_counter()
    probe_deadline, total = _deadlines(plan.deadline, inputs.deadline, cloud is not None)
    run, gathered, where, moved = _probed(plan, logs, cloud, since, probe_deadline, inputs)
    # Pure from here on: everything below was imported during the run (AFTER_NETWORK).
    from wsdiag.evidence.build import collect
    from wsdiag.evidence.logs import LogsSource
    from wsdiag.evidence.machine import PathsSource
    from wsdiag.host.identity import host_facts
    from wsdiag.render.report import SCHEMA
    from wsdiag.vocab.observed import Observed
    from wsdiag.vocab.report import Report

    results = Observed(plan, tuple(run.dns), tuple(run.probes), samples=run.samples, where=where)
    # The sources, registered here. This machine's paths were gathered while the probes
    # waited (``_after_network``: PathsSource.gather needs only DNS); here they are cut to
    # the endpoint name the facts describe. The logs' record and the cloud (--aws, in its
    # share of the deadline) are gathered now.
    machine = PathsSource()
    paths = machine.described(gathered, results) if gathered is not None else None
    client = collect(LogsSource(logs), results, since + total + moved)  # pure: no I/O
    extra, aws = client.facts.findings, None
    if cloud is not None:
        from wsdiag.rules.cloud import cloud_findings

        aws = collect(cloud, results, since + total + moved)
        extra += cloud_findings(aws.facts)
    facts = machine.facts(paths, results)
    # The logs' facts the rows read (the regions they name: REGION_MISMATCH), by source name.
    sources = {"logs": client.facts}
    evidence, diagnosis = judge(results, datetime.now(UTC), facts, paths, extra, sources)
    return Report(
        schema=SCHEMA,
        tool_version=__version__,
        region=plan.region.code,
        endpoint_hosts=tuple(pt.host for pt in plan.targets if pt.target.role is Role.ENDPOINT),
        diagnosis=diagnosis,
        evidence=evidence,
        dns=results.dns,
        probes=results.probes,
        duration_ms=ms_since(t0),
        started_at=started,
        region_source=region_source,
        logs=client.section,
        proxy=plan.proxy,
        host=replace(
            host_facts(logs.owner, logs.evidence is not None),
            runs_in=where[0],
            runs_in_why=where[1],
        ),
        paths=paths,
        process_ms=round((time.monotonic() - since) * 1000, 1),
        cloud=aws.section if aws is not None else None,
    )


def _planned(
    inputs: Inputs, catalogs: Sequence[Path], logs: LogContext | None
) -> tuple[Plan, LogContext]:
    """The plan (catalog, the logs' private names, the proxy and PAC, the OS's DNS) and the
    logs scoped to the window and region. Raises WsdiagError for inputs that cannot be
    planned, or a public-roots file that cannot be used."""
    catalog = load_catalog(catalogs)
    # Only the client sessions of the window and of this region count (issue 19 item 1).
    from wsdiag.logs.context import scope_logs  # pure and light: vocabulary imports only

    logs = scope_logs(logs or LogContext(), inputs.region, datetime.now(UTC))
    if logs.private_hosts and not inputs.log_endpoint_hosts:
        inputs = replace(inputs, log_endpoint_hosts=logs.private_hosts)
    # The proxy is an input of the plan: found first, then applied to the planned names.
    config = discover_safely()
    plan = make_plan(catalog, inputs, config)
    plan = _with_pac(catalog, inputs, plan, config is not None and config.source == "environment")
    plan = _with_os_dns(plan)
    _quiet_libraries()
    _check_public_roots(plan)
    return plan, logs


def _probed(
    plan: Plan,
    logs: LogContext,
    cloud: CloudSource | None,
    since: float,
    probe_deadline: float,
    inputs: Inputs,
) -> tuple[RunResult, HostPaths | None, tuple[str, str], float]:
    """The network part: (the runner's results, this machine's paths gathered beside them
    or None, where this process runs, what a late start added to the budget in s). Raises
    WsdiagError should the run outlast its own guard."""
    # The work beside the network, one job at a time, the next packet's needs first; the
    # heaviest import yields while the loop reads DNS answers (``quiet``).
    lane, quiet = Lane(), Quiet()
    # With --aws, boto3 (~0.2 s) imports while DNS waits: the cloud's share goes to its calls.
    resolve, probes = real_probes(plan, CLOUD_MODULES if cloud is not None else (), lane, quiet)
    try:
        now = time.monotonic()
        budget, late = run_budget(probe_deadline, inputs.deadline is not None, since, now)
        moved = budget - max(since + probe_deadline - now, 0.0)  # what a late start added
        seen_where: list[tuple[str, str]] = []  # filled beside the probes
        # What the imports and the plan made lives as long as the run: the one full garbage
        # collection a check triggered fell in it (35-45 ms with the interpreter held, in
        # the lab as the probes started) and only scanned all that again. Unfrozen after,
        # so that watch's runs leave nothing frozen (the CLI freezes before its exit).
        gc.freeze()
        sampler = real_sampler(plan)
        run, gathered = asyncio.run(
            _run(plan, resolve, probes, budget, late, logs, lane, sampler, seen_where, quiet)
        )
    except TimeoutError:
        raise WsdiagError("the run did not finish within its deadline (internal error)") from None
    finally:
        gc.unfreeze()
        lane.close()  # its thread ends with what it still holds
    return run, gathered, (seen_where[0] if seen_where else _where()), moved


def judge(
    observed: Observed,
    now: datetime,
    machine: MachineFacts,
    paths: HostPaths | None,
    extra: tuple[Finding, ...] = (),
    sources: Mapping[str, object] | None = None,
) -> tuple[Evidence, Diagnosis]:
    """The evidence from what the run observed and the sources' facts (``machine``: this
    machine's, from ``paths``; ``sources``: any other source's whose facts the rows read,
    by name), then the rules' diagnosis; ``extra``: findings of other sources (the logs',
    the cloud's), shown but never setting the verdict. ``now`` (UTC) is the clock
    certificates are judged against. Pure.

    Behind an http proxy the client's own paths decide (``wsdiag.evidence.client_paths``):
    one Evidence per route the client's DCV TCP stream may take (through the proxy, on its
    answers to CONNECT with direct QUIC; direct; both where the route is undocumented),
    judged and combined by the rules (``diagnose_routes``)."""
    from wsdiag.evidence.build import build
    from wsdiag.evidence.client_paths import stream_route, views
    from wsdiag.rules.verdict import diagnose_routes

    route = stream_route(observed, paths)
    evidences = [
        build(v.observed, now, machine, sources, route, v.through_proxy)
        for v in views(observed, route)
    ]
    return diagnose_routes(evidences, extra=extra)


def _where() -> tuple[str, str]:
    """Where this process runs (wsdiag.host.where): WSL, a container, or the machine."""
    import os

    from wsdiag.host.where import detect

    found = detect(Path("/"), os.environ)
    return str(found.runs_in), found.why


def _with_os_dns(plan: Plan) -> Plan:
    """The plan with the OS's DNS: the servers it would ask for the private name (unless
    --nameserver chose them) and how long its resolver waits (wsdiag.host.dns_os). Read
    from this machine's configuration; never raises (unreadable: no servers, no patience)."""
    import platform

    from wsdiag.host.dns_os import os_budget, servers_for
    from wsdiag.host.resolvers import read_os_view

    system = platform.system()
    try:
        view = read_os_view(system)
    except Exception:  # a reader's bug must not stop the run: the lookups still run
        return plan
    budget, _why = os_budget(system, view)
    endpoint = next((pt.host for pt in plan.targets if pt.target.role is Role.ENDPOINT), "")
    servers = servers_for(endpoint, system, view) if endpoint and not plan.nameservers else ()
    from wsdiag.host.families import routable_families

    # Neither family routable: the no-route rules say so; the order stays the default's.
    families = routable_families() or plan.families
    return replace(plan, dns_os_budget=budget, os_servers=servers, families=families)


def _deadlines(deadline: float, given: float | None, aws: bool) -> tuple[float, float]:
    """(the probes' deadline, the whole run's) in seconds from the start. With --aws the
    cloud gets AWS_BUDGET_SHARE of the run: added to the default deadline (the probes keep
    theirs), carved out of a --deadline the user gave."""
    if not aws:
        return deadline, deadline
    total = deadline if given is not None else deadline / (1 - AWS_BUDGET_SHARE)
    return total * (1 - AWS_BUDGET_SHARE), total


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
    servers = [(ns.ip, ns.port) for ns in plan.nameservers]
    found = pac_route(inputs.pac, hosts, plan.deadline / 3, servers)
    if found is None:
        return plan
    left = max(plan.timeout, plan.deadline - (time.monotonic() - t0))
    return replace(make_plan(catalog, inputs, found), deadline=left)


def _after_network(
    plan: Plan,
    answers: Future[tuple[DnsResult, ...]],
    logs: LogContext,
    until: float,
    where: list[tuple[str, str]] | None = None,
) -> HostPaths:
    """The AFTER_NETWORK imports (an import error is left for the caller's own import to
    raise), where this process runs (into ``where``), then, once ``answers`` holds every
    lookup's result, this machine's paths (``PathsSource.gather``). Raises TimeoutError
    when the lookups have not ended by ``until``."""
    import importlib

    for name in AFTER_NETWORK:
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    if where is not None:
        where.append(_where())
    from wsdiag.evidence.machine import PathsSource

    dns = answers.result(timeout=max(until - time.monotonic(), 0.0))
    version = logs.evidence.client_version if logs.evidence is not None else None
    return PathsSource(version).gather(plan, dns, (), until)
