"""Inside the namespace lab: `--format line` of every scenario (verdict first, <= 2,048
characters), and `wsdiag watch` showing the verdict change when the router's firewall changes
between two runs (open egress -> closed: an nft rule set flipped).

Needs what tests/test_lab.py needs (root, iproute2, nftables, dnsmasq); skips without it,
fails under CI=true. The lab uses its own prefix ("wo" + 4 hex digits) and is removed after.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.lab.scenarios import BY_NAME, SCENARIOS, Scenario
from tests.lab.topology import REPO_ROOT, Lab, list_namespaces, unavailable_reason
from tests.support.processes import stop_process
from wsdiag.rules.docs import every_code
from wsdiag.vocab.model import Severity

pytestmark = pytest.mark.lab
REGION = "eu-west-1"
REGIONS = tuple(dict.fromkeys(s.region for s in SCENARIOS))


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"network lab required under CI=true but unavailable: {reason}")
        pytest.skip(reason)
    with Lab(regions=REGIONS, prefix="wo" + secrets.token_hex(2)) as built:
        prefix = built.prefix
        yield built
    left = [n for n in list_namespaces() if n.startswith(prefix + "-")]
    assert not left, f"namespaces left behind: {left}"


_INFO_CODES = {
    code for code, rows in every_code().items() if all(r.severity is Severity.INFO for r in rows)
}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_line_format_of_every_scenario(lab: Lab, scenario: Scenario) -> None:
    shape = scenario.shape
    lab.apply(shape)
    # the scenario exactly as tests/test_lab.py runs it (its options, proxy, trust and the
    # client log it gives the laptop), in the line format
    args = [a.format(region=scenario.region) for a in shape.args]
    argv = lab.wsdiag_argv(scenario.region, *args, *([] if shape.client_log else ["--no-logs"]))
    argv[argv.index("--json")] = "--format=line"
    proc = subprocess.run(
        argv,
        cwd=REPO_ROOT,
        env=lab.wsdiag_env(shape.trusts_lab_ca, shape.public_roots, shape.proxy, shape.client_log),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert proc.returncode == scenario.expect.exit_code, proc.stdout + proc.stderr
    assert proc.stdout.count("\n") == 1 and proc.stdout.isascii()
    line = proc.stdout.rstrip("\n")
    assert len(line) <= 2048 and line.split()[0] == scenario.expect.verdict, line
    assert f"env={scenario.expect.environment} " in line
    # the line lists what someone must act on: info codes stay in the JSON (issue 19 item 8)
    acted = [c for c in scenario.expect.findings if c not in _INFO_CODES]
    if scenario.expect.environment == "home":
        # at home the consequences (NXDOMAIN, a public answer) are notes: the line carries
        # the user's one action (issue 19 item 2)
        acted = ["HOME_NETWORK"]
    assert all(code in line for code in acted), line


def test_watch_shows_the_verdict_change_when_the_firewall_changes(lab: Lab) -> None:
    lab.apply(BY_NAME["open-egress"].shape)
    argv = lab.wsdiag_argv(REGION, "--no-logs")
    at = argv.index("check")
    argv[at : at + 1] = ["watch", "--interval", "4s", "--count", "2"]
    argv.remove("--json")
    proc = subprocess.Popen(
        argv,
        cwd=REPO_ROOT,
        env=lab.wsdiag_env(),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert " ready " in first and "open-egress" in first, first
        started = time.monotonic()
        lab.apply(BY_NAME["closed"].shape)  # the internet is now dropped at the router
        assert time.monotonic() - started < 3, "the rules must change before the next run"
        rest, err = proc.communicate(timeout=60)
    finally:
        stop_process(proc)
    lines = rest.splitlines()
    change = next((ln for ln in lines if " CHANGE " in ln), None)
    assert change is not None, rest + err
    assert "verdict ready -> blocked" in change and "environment open-egress -> closed" in change
    assert "+AUTH_UNREACHABLE" in change
    assert lines[-1].startswith("watched 2 run(s), 1 change(s); worst verdict blocked (exit 2)")
    assert proc.returncode == 2
