"""``--aws`` beside the lab's ``udp-blocked`` network: moto's server runs INSIDE the client's
namespace (on its own 127.0.0.1, started here and stopped after), holding a VPC that
matches the lab (endpoint interfaces 10.20.1.10 and 10.20.2.10, the client on 10.30.0.2).

- a group lacking UDP 4195 -> UDP 4195 is *explained*, naming the group and its rule;
- a group allowing everything -> the silent UDP paths are *contradicted*, owner network;
and in both the verdict is the scenario's own: the cloud explains, it never judges."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from tests.lab.hosts import CLIENT_ADDR, ENDPOINT_ADDRS, VPC_CIDR
from tests.lab.scenarios import SCENARIOS
from tests.lab.topology import Lab, list_namespaces, unavailable_reason
from tests.support.cloud import Spec, aws_env
from tests.support.processes import stop_process

pytestmark = pytest.mark.lab
pytest.importorskip("moto")

REPO = Path(__file__).resolve().parent.parent
UDP_BLOCKED = next(s for s in SCENARIOS if s.name == "udp-blocked")
CLIENT_NET = "10.30.0.0/16"
COMMON = {
    "region": UDP_BLOCKED.region,
    "vpc": VPC_CIDR,
    "subnets": ("10.20.1.0/24", "10.20.2.0/24"),
    "addresses": ENDPOINT_ADDRS,
    "return_route": CLIENT_NET,
}
LACKS_UDP_4195 = Spec(
    **COMMON,  # type: ignore[arg-type]
    ingress=(
        ("tcp", 443, 443, CLIENT_NET),
        ("tcp", 4195, 4195, CLIENT_NET),
        ("udp", 443, 443, CLIENT_NET),
    ),
)
ALLOWS_ALL = Spec(**COMMON, ingress=(("-1", -1, -1, "0.0.0.0/0"),))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"network lab required under CI=true but unavailable: {reason}")
        pytest.skip(reason)
    with Lab(regions=(UDP_BLOCKED.region,)) as built:
        prefix = built.prefix
        built.apply(UDP_BLOCKED.shape)
        yield built
    left = [n for n in list_namespaces() if n.startswith(prefix + "-")]
    assert not left, f"namespaces left behind: {left}"


def run_with_moto(lab: Lab, spec: Spec, tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the fixture moto built, wsdiag's report), moto serving in the client's namespace."""
    spec_file = tmp_path / "spec.json"
    spec_file.write_text(json.dumps(asdict(spec)))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    ns = lab.names.cli
    server = subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, "-m", "tests.support.cloud", str(spec_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
        env=env,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line, "moto's helper printed nothing"
        fixture = json.loads(line)
        # room for the cloud's share of the deadline on a busy machine
        argv = lab.wsdiag_argv(spec.region, "--aws", "--no-logs", "--deadline", "20")
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            cwd=REPO,
            env=lab.wsdiag_env() | aws_env(fixture["url"], str(tmp_path)),
            timeout=120,
            check=False,
        )
        assert proc.stdout, proc.stderr
        return fixture, json.loads(proc.stdout)
    finally:
        if server.stdin is not None:
            server.stdin.close()
        stop_process(server)


def paths(report: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["code"] == code]


def test_a_group_lacking_udp_4195_explains_it(lab: Lab, tmp_path: Path) -> None:
    fixture, report = run_with_moto(lab, LACKS_UDP_4195, tmp_path)
    want = UDP_BLOCKED.expect
    assert (report["environment"], report["verdict"]) == (want.environment, want.verdict)
    assert report["cloud"]["found_by"] == "address"
    denied = [f for f in paths(report, "CLOUD_PATH_DENIED") if "UDP 4195" in f["message"]]
    assert len(denied) == 1, report["findings"]
    message = denied[0]["message"]
    assert fixture["group"] in message and "admits only TCP 4195 from 10.30.0.0/16" in message
    assert any(rule in message for rule in fixture["rule_ids"]), message
    assert f"--protocol udp --port 4195 --cidr {CLIENT_ADDR}/32" in denied[0]["remediation"]
    assert denied[0]["owner"] == "aws"
    # UDP 443 is allowed by the group, and still silent: the lab's router drops it
    between = paths(report, "CLOUD_ALLOWS_SILENT_PATH")
    assert [f["owner"] for f in between] == ["network"] and "UDP 443" in between[0]["message"]


def test_a_group_allowing_everything_points_at_the_network(lab: Lab, tmp_path: Path) -> None:
    fixture, report = run_with_moto(lab, ALLOWS_ALL, tmp_path)
    want = UDP_BLOCKED.expect
    assert (report["environment"], report["verdict"]) == (want.environment, want.verdict)
    assert not paths(report, "CLOUD_PATH_DENIED")
    between = paths(report, "CLOUD_ALLOWS_SILENT_PATH")
    assert sorted(f["message"].split(" to ")[0] for f in between) == ["UDP 4195", "UDP 443"]
    assert {f["owner"] for f in between} == {"network"}
    assert all(fixture["route_table"] in f["message"] for f in between)
    assert all("create-network-insights-path" in f["remediation"] for f in between)
