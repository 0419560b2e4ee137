"""Composition root: inputs -> plan -> run -> evidence (with the sources') -> rules -> Report.
The only place that wires the pure layers to the network."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from wsdiag import __version__
from wsdiag.budgets import AWS_BUDGET_SHARE, HOST_FACTS_BUDGET, RUN_GUARD
from wsdiag.check.catalog import load_catalog
from wsdiag.check.plan import make_plan
from wsdiag.check.runner import RunResult, real_probes, real_sampler, run_plan
from wsdiag.check.sampling import SampleFn
from wsdiag.clock import ms_since
from wsdiag.errors import WsdiagError
from wsdiag.host.identity import host_facts
from wsdiag.host.proxy import discover_safely
from wsdiag.logs.context import scope_logs
from wsdiag.probes.registry import ProbeFn, ResolveFn
from wsdiag.render.report import SCHEMA
from wsdiag.vocab.logs import LogContext
from wsdiag.vocab.model import Catalog, Inputs, Plan, Role, Transport
from wsdiag.vocab.observed import Observed
from wsdiag.vocab.report import Diagnosis, Report
from wsdiag.vocab.results import Evidence, Finding

if TYPE_CHECKING:
    from wsdiag.cloud.source import CloudSource
    from wsdiag.evidence.machine import MachineFacts

# Modules a run needs only once the network has answered: imported in the background while
# the lookups wait, so a silent network does not pay for them after its timeout.
AFTER_NETWORK = (
    "wsdiag.evidence.build",
    "wsdiag.rules.verdict",
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
    sample: SampleFn | None = None,
) -> RunResult:
    # A last guard on top of the runner's own deadline handling: never hang.
    return await asyncio.wait_for(
        run_plan(plan, resolve, probes, budget, sample),
        budget + RUN_GUARD + plan.dns_os_budget,  # a late private answer moves the deadline
    )


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
    catalog = load_catalog(catalogs)
    # Only the client sessions of the window and of this region count (issue 19 item 1).
    logs = scope_logs(logs or LogContext(), inputs.region, datetime.now(UTC))
    # The private name the client itself last tried (in those sessions) is an input of
    # the plan where none was given.
    if logs.private_hosts and not inputs.log_endpoint_hosts:
        inputs = replace(inputs, log_endpoint_hosts=logs.private_hosts)
    # The proxy is an input of the plan: found first, then applied to the planned names.
    config = discover_safely()
    plan = make_plan(catalog, inputs, config)
    plan = _with_pac(catalog, inputs, plan, config is not None and config.source == "environment")
    plan = _with_os_dns(plan)
    _quiet_libraries()
    # The network stack and what the report needs afterwards import while DNS waits.
    _check_public_roots(plan)
    # With --aws, boto3 (~0.2 s) imports then too: the cloud's share goes to its calls.
    warm = AFTER_NETWORK + (CLOUD_MODULES if cloud is not None else ())
    resolve, probes = real_probes(plan, warm)
    # duration_ms is what the network costs: probing and classifying, not Python start-up.
    t0 = time.perf_counter()
    probe_deadline, total = _deadlines(plan.deadline, inputs.deadline, cloud is not None)
    try:
        budget = max(since + probe_deadline - time.monotonic(), 0.0)
        run = asyncio.run(_run(plan, resolve, probes, budget, real_sampler(plan)))
    except TimeoutError:
        raise WsdiagError("the run did not finish within its deadline (internal error)") from None
    from wsdiag.evidence.build import collect  # imported during the run (AFTER_NETWORK)
    from wsdiag.evidence.logs import LogsSource
    from wsdiag.evidence.machine import PathsSource

    where = _where()
    observed = Observed(plan, tuple(run.dns), tuple(run.probes), samples=run.samples, where=where)
    # The sources beside the probes, registered here, each gathered after them in its own
    # budget: this machine's paths and the logs' record in HOST_FACTS_BUDGET, the cloud
    # (--aws) in its share of the run deadline.
    until = time.monotonic() + HOST_FACTS_BUDGET
    version = logs.evidence.client_version if logs.evidence is not None else None
    paths = collect(PathsSource(version), observed, until)
    client = collect(LogsSource(logs), observed, until)
    extra, aws = client.facts.findings, None
    if cloud is not None:
        from wsdiag.rules.cloud import cloud_findings

        aws = collect(cloud, observed, since + total)
        extra += cloud_findings(aws.facts)
    evidence, diagnosis = judge(observed, datetime.now(UTC), paths.facts, extra)
    return Report(
        schema=SCHEMA,
        tool_version=__version__,
        region=plan.region.code,
        endpoint_hosts=tuple(pt.host for pt in plan.targets if pt.target.role is Role.ENDPOINT),
        diagnosis=diagnosis,
        evidence=evidence,
        dns=observed.dns,
        probes=observed.probes,
        duration_ms=ms_since(t0),
        started_at=started,
        region_source=region_source,
        proxy=plan.proxy,
        host=replace(
            host_facts(logs.owner, logs.evidence is not None),
            runs_in=where[0],
            runs_in_why=where[1],
        ),
        process_ms=round((time.monotonic() - since) * 1000, 1),
        logs=client.section,
        paths=paths.section,
        cloud=aws.section if aws is not None else None,
    )


def judge(
    observed: Observed,
    now: datetime,
    machine: MachineFacts,
    extra: tuple[Finding, ...] = (),
    sources: Mapping[str, object] | None = None,
) -> tuple[Evidence, Diagnosis]:
    """The evidence from what the run observed and the sources' facts (``machine``: this
    machine's; ``sources``: any other source's whose facts the rows read, by name), then
    the rules' diagnosis; ``extra``: findings of other sources (the logs', the cloud's),
    shown but never setting the verdict. ``now`` (UTC) is the clock certificates are
    judged against. Pure."""
    from wsdiag.evidence.build import build
    from wsdiag.rules.verdict import diagnose

    evidence = build(observed, now, machine, sources)
    return evidence, diagnose(evidence, extra=extra)


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
