"""Composition root: inputs -> plan -> run -> classify -> Report. The only place that wires
the pure layers to the network."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from wsdiag import __version__
from wsdiag.check.catalog import load_catalog
from wsdiag.check.evidence import Results
from wsdiag.check.plan import make_plan
from wsdiag.check.runner import ProbeFn, ResolveFn, RunResult, real_probes, run_plan
from wsdiag.errors import WsdiagError
from wsdiag.model import (
    Finding,
    Inputs,
    Plan,
    ProbeResult,
    ProxyMode,
    ProxyRoute,
    Report,
    Role,
    Status,
    Transport,
)
from wsdiag.render.report import SCHEMA
from wsdiag.rules.classify import diagnose

if TYPE_CHECKING:
    from wsdiag.probes.tlsid import TrustSources


@dataclass(frozen=True)
class LogContext:
    """What the client's own logs contributed to this check."""

    region: str | None = None
    private_hosts: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    summary: dict[str, object] | None = None


def read_logs(paths: Sequence[Path] | None) -> LogContext:
    from wsdiag.logs.evidence import client_log_evidence

    ev = client_log_evidence(paths)
    if ev is None:
        return LogContext()
    summary = ev.to_json()
    # Only the name the client itself tried or reached (listed first): the session header
    # has been seen to print a variant (".WSP.") that the client never dials.
    return LogContext(ev.region, ev.private_hosts[:1], ev.findings, summary)


def compare_with_logs(logs: LogContext, probes: Sequence[ProbeResult]) -> str | None:
    """One line: what the client reached in its last session vs what we reach now."""
    if not logs.summary or not logs.summary.get("last_session_time"):
        return None
    then = logs.summary.get("last_reachable") or []
    now = sorted({f"{'QUIC' if p.transport is Transport.QUIC else 'TCP'}/{p.port}"
                  for p in probes if p.target_id.startswith("endpoint")
                  and p.status is Status.OPEN})
    version = logs.summary.get("client_version") or "unknown version"
    saw = ", ".join(map(str, then)) if then else "no endpoint reachable"  # type: ignore[call-overload]
    return (f"last client session {logs.summary['last_session_time']} (client {version}) "
            f"reached: {saw}; wsdiag now reaches: {', '.join(now) or 'nothing'}")


def _quiet_libraries() -> None:
    # aioquic logs handshake aborts as WARNINGs; with logging unconfigured Python would
    # print them on stderr. The probe result already carries the same information.
    for name in ("quic", "aioquic"):
        logger = logging.getLogger(name)
        logger.propagate = False
        if not logger.handlers:  # once: run_check may run many times in one process
            logger.addHandler(logging.NullHandler())


def proxy_route(plan: Plan, use_proxy: bool) -> ProxyRoute:
    """The OS's HTTPS proxy, applied to this plan's names (bypass list included)."""
    from wsdiag.host.proxy import discover, route

    hosts = [pt.host for pt in plan.targets
             if not pt.skip_reason and pt.target.role in (Role.AUTH, Role.ENDPOINT)]
    try:
        config = discover()
    except Exception as exc:
        if not use_proxy:
            return ProxyRoute(ProxyMode.DISABLED)
        # Settings we cannot read may name a proxy the client uses: testing direct instead
        # could report a false "blocked", so those paths are left untested (unknown).
        return ProxyRoute(ProxyMode.UNTESTED, url="<unreadable>", source="system",
                          reason=f"the proxy settings could not be read ({exc.__class__.__name__})")
    return route(config, hosts, use_proxy)


async def _run(plan: Plan, resolve: ResolveFn, probes: dict[Transport, ProbeFn]) -> RunResult:
    # A last guard on top of the runner's own deadline handling: never hang.
    return await asyncio.wait_for(run_plan(plan, resolve, probes), plan.deadline + 5)


def _load_trust(option: str | None) -> TrustSources:
    """Public roots and the OS store, loaded before the run (a bad file: one-line error)."""
    import os

    from wsdiag.host.trust import TrustError, public_roots_path
    from wsdiag.probes.tlsid import load_trust

    try:
        return load_trust(public_roots_path(option, os.environ))
    except TrustError as exc:
        raise WsdiagError(str(exc)) from None


def run_check(
    inputs: Inputs,
    catalogs: Sequence[Path] = (),
    region_source: str = "option",
    logs: LogContext | None = None,
) -> Report:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    catalog = load_catalog(catalogs)
    logs = logs or LogContext()
    if logs.private_hosts and not inputs.log_endpoint_hosts:
        inputs = replace(inputs, log_endpoint_hosts=logs.private_hosts)
    plan = make_plan(catalog, inputs)
    plan = replace(plan, proxy=proxy_route(plan, inputs.use_proxy))
    _quiet_libraries()
    trust = _load_trust(inputs.public_roots)
    resolve, probes = real_probes(plan, trust)  # imports the network stack (~0.2 s, once)
    # duration_ms is what the network costs: probing and classifying, not Python start-up.
    t0 = time.perf_counter()
    try:
        run = asyncio.run(_run(plan, resolve, probes))
    except TimeoutError:
        raise WsdiagError("the run did not finish within its deadline (internal error)") from None
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
        logs=({**logs.summary, "comparison": compare_with_logs(logs, results.probes)}
              if logs.summary else None),
        proxy=plan.proxy,
    )
