"""End to end: the real ``wsdiag check`` inside simulated networks (Linux namespaces).

Needs root, iproute2, nftables and dnsmasq (``scripts/lab-deps.sh``). Without them the tests
skip, except under CI (``CI=true``), where a lab that cannot run is a failure: a green CI
must mean the scenarios ran.

One lab serves the whole module: a scenario only swaps the client's resolver, its default
route and the router's rules (stateless, client-side only), which leaves nothing behind for
the next one. Building it takes about half a second, so this is for speed, not necessity.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.lab.scenarios import BY_NAME, SCENARIOS, Observed, Scenario
from tests.lab.topology import Lab, list_namespaces, unavailable_reason
from tests.support.render_checks import check_html, check_text
from wsdiag.render.html import render_html
from wsdiag.render.report import report_from_json

pytestmark = pytest.mark.lab

REGIONS = tuple(dict.fromkeys(s.region for s in SCENARIOS))


@dataclass(frozen=True)
class Timing:
    scenario: str
    region: str
    environment: str
    verdict: str
    exit_code: int
    seconds: float
    wsdiag_seconds: float


_TIMINGS: list[Timing] = []


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"network lab required under CI=true but unavailable: {reason}")
        pytest.skip(reason)
    started = time.monotonic()
    with Lab(regions=REGIONS) as built:
        build = built.build_seconds
        prefix = built.prefix
        yield built
    # Cleanup is part of the contract: prove it, don't assume it.
    left = [n for n in list_namespaces() if n.startswith(prefix + "-")]
    assert not left, f"namespaces left behind: {left}"
    _summary(request, build, time.monotonic() - started)


def _summary(request: pytest.FixtureRequest, build: float, total: float) -> None:
    lines = [f"lab: built in {build:.2f}s, whole module {total:.1f}s"]
    lines += [
        f"  {t.scenario:<22} {t.region:<15} env={t.environment:<15} verdict={t.verdict:<9}"
        f" exit={t.exit_code} {t.seconds:5.2f}s (wsdiag {t.wsdiag_seconds:.2f}s)"
        for t in _TIMINGS
    ]
    # Straight to the terminal, past output capture: the closing note needs these figures
    # from ordinary runs, not only from -rA or failures.
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capman = plugins.get_plugin("capturemanager")
    if reporter is not None:
        with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
            reporter.write_line("")
            for line in lines:
                reporter.write_line(line)
    if path := os.environ.get("WSDIAG_LAB_TIMINGS"):
        with open(path, "w") as fh:
            json.dump({"build_s": build, "total_s": total,
                       "scenarios": [t.__dict__ for t in _TIMINGS]}, fh, indent=2)  # fmt: skip


def describe(report: dict[str, Any] | None) -> str:
    """A compact picture of a report for assertion messages."""
    if report is None:
        return "(no JSON report)"
    probes = ", ".join(f"{p.get('id')}={p.get('status')}" for p in report.get("probes", []))
    dns = ", ".join(
        f"{d.get('host')}/{d.get('type')}={d.get('outcome')}{d.get('addresses') or ''}"
        for d in report.get("dns", [])
    )
    findings = ", ".join(
        f"{f.get('code')}({f.get('severity')})" for f in report.get("findings", [])
    )
    return (
        f"environment={report.get('environment')} verdict={report.get('verdict')}\n"
        f"findings: {findings}\ndns: {dns}\nprobes: {probes}"
    )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(lab: Lab, scenario: Scenario) -> None:
    started = time.monotonic()
    lab.apply(scenario.shape)
    run = lab.run_wsdiag(
        scenario.region,
        *(a.format(region=scenario.region) for a in scenario.shape.args),
        trusts_lab_ca=scenario.shape.trusts_lab_ca,
        public_roots=scenario.shape.public_roots,
        proxy=scenario.shape.proxy,
        client_log=scenario.shape.client_log,
    )
    seconds = time.monotonic() - started
    report = run.report
    _TIMINGS.append(
        Timing(
            scenario.name,
            scenario.region,
            str(report.get("environment")) if report else "-",
            str(report.get("verdict")) if report else "-",
            run.exit_code,
            seconds,
            run.seconds,
        )
    )
    print(f"{scenario.name}: exit {run.exit_code} in {seconds:.2f}s\n{describe(report)}")
    context = (
        f"{scenario.name} ({scenario.story})\n{describe(report)}\nstderr: {run.stderr[-1500:]}"
    )

    assert report is not None, f"wsdiag printed no JSON; exit {run.exit_code}\n{context}"
    assert report.get("schema") == "wsdiag.report/1", context
    assert report.get("region") == scenario.region, context
    scenario.check(Observed(report), scenario.region)  # what was really seen, first
    want = scenario.expect
    got = (report.get("environment"), report.get("verdict"), run.exit_code)
    codes = {f.get("code") for f in report.get("findings", [])}
    met = (
        got == (want.environment, want.verdict, want.exit_code)
        and set(want.findings) <= codes
        and not set(want.absent) & codes
    )
    if scenario.pending:
        assert not met, f"{scenario.name} now gives its truth: remove pending\n{context}"
        pytest.xfail(f"{scenario.pending}; today: {got}, findings {sorted(map(str, codes))}")
    assert got == (want.environment, want.verdict, want.exit_code), context
    missing = set(want.findings) - codes
    assert not missing, f"missing findings {sorted(missing)}\n{context}"
    unwanted = set(want.absent) & codes
    assert not unwanted, f"unexpected findings {sorted(unwanted)}\n{context}"
    # What a person sees of this real run: 80/120-column text, and the HTML page.
    check_text(report)
    check_html(render_html(report_from_json(report), report), report)


# The scenarios whose verdict turns on the laptop's trust settings: a printed command that
# left them out read minimal-egress as blocked (TLS_INSPECTED) and both TLS-inspection
# scenarios as ready.
PRINTED = ("minimal-egress", "tls-inspected", "tls-inspected-trusted")


@pytest.mark.parametrize("name", PRINTED)
def test_the_printed_command_gives_the_scenarios_verdict(lab: Lab, name: str) -> None:
    scenario = BY_NAME[name]
    lab.apply(scenario.shape)
    argv = [*shlex.split(lab.user_command(scenario.region, scenario.shape)), "--no-logs"]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == scenario.expect.exit_code, (proc.stdout[-2000:], proc.stderr)
