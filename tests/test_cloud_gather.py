"""``--aws`` against moto's server on loopback (fixtures built here, tests/support/cloud.py),
and botocore's Stubber where moto lacks a field or the real shape (said at each use)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

pytest.importorskip("boto3")
pytest.importorskip("moto")

from botocore.exceptions import ClientError
from botocore.stub import Stubber

from tests.support.cloud import Fixture, Spec, aws_env, build, moto_server
from tests.support.dnsserver import NXDOMAIN, DnsServer
from wsdiag.cloud.codec import section_json
from wsdiag.cloud.gather import ACTIONS, gather
from wsdiag.cloud.session import classify
from wsdiag.vocab.cloud import FoundBy, Outcome

REGION = "eu-west-1"
ARN = "arn:aws:sts::123456789012:assumed-role/Admin/jane.doe@example.com"
REPO = Path(__file__).resolve().parent.parent
SCHEMA = REPO / "wsdiag" / "schema" / "report.schema.json"


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    with moto_server() as url:
        for key, value in aws_env(url, str(tmp_path)).items():
            monkeypatch.setenv(key, value)
        yield url


def later(seconds: float = 30.0) -> float:
    return time.monotonic() + seconds


def test_reads_the_endpoint_side_found_by_service_name(moto: str) -> None:
    fx = build(moto, Spec(region=REGION, prefix_list=("192.0.2.0/24",)))
    sec = gather(REGION, later())
    assert sec.found_by is FoundBy.SERVICE_NAME
    assert sec.endpoint is not None and sec.endpoint.id == fx.endpoint
    assert {c.outcome for c in sec.calls} == {Outcome.OK}, [c.text() for c in sec.calls]
    assert {c.action for c in sec.calls} <= set(ACTIONS)
    assert sorted(a for e in sec.enis for a in e.addresses) == sorted(fx.addresses)
    assert {r.group_id for r in sec.rules} == {fx.group}
    assert dict(sec.prefix_lists) and next(iter(dict(sec.prefix_lists).values())) == (
        "192.0.2.0/24",
    )
    assert {a.id for a in sec.acls} == {fx.acl}
    assert {t.id for t in sec.route_tables} == {fx.route_table}
    assert any(
        r.destination == "0.0.0.0/0" and r.target.startswith("vgw-")
        for t in sec.route_tables
        for r in t.routes
    )
    inbound = [r for r in sec.resolver_endpoints if r.direction == "INBOUND"]
    assert inbound and len(inbound[0].addresses) == 2
    assert any(fx.vpc in r.vpc_ids for r in sec.resolver_rules)


def test_found_by_an_interface_holding_a_resolved_address(moto: str) -> None:
    fx = build(moto, Spec(region=REGION, service="com.example.other"))  # not the service name
    sec = gather(REGION, later(), resolved=(fx.addresses[0], "10.99.0.1"))
    assert sec.found_by is FoundBy.ADDRESS and sec.endpoint is not None
    assert sec.endpoint.id == fx.endpoint


def test_no_endpoint_found(moto: str) -> None:
    build(moto, Spec(region=REGION, service="com.example.other"))
    sec = gather(REGION, later(), resolved=("10.99.0.1",))
    assert (sec.found_by, sec.endpoint) == (FoundBy.NONE, None)


def test_an_unknown_profile_is_an_outcome(moto: str) -> None:
    sec = gather(REGION, later(), profile="no-such-profile")
    assert [c.text() for c in sec.calls] == ["credentials: no-credentials (ProfileNotFound)"]


def test_instance_metadata_is_not_asked(moto: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without keys the chain ends at once, never waiting on 169.254.169.254."""
    from wsdiag.cloud.session import client_maker

    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    before = dict(os.environ)
    make = client_maker(None, REGION)
    assert dict(os.environ) == before  # the user's environment is left as it was
    sec = gather(REGION, later(), make=make)
    assert sec.calls[0].outcome is Outcome.NO_CREDENTIALS
    assert {c.outcome for c in sec.calls[1:]} <= {Outcome.SKIPPED}


# --- the Stubber: the real shapes, and what moto lacks ---------------------------------------

ENDPOINT = {
    "VpcEndpointId": "vpce-0abc12345678def01",
    "ServiceName": f"com.amazonaws.{REGION}.prod.highlander",
    "State": "available",
    "PrivateDnsEnabled": True,
    "VpcId": "vpc-1",
    "SubnetIds": ["subnet-1"],
    "Groups": [{"GroupId": "sg-0abc", "GroupName": "ws"}],
    "NetworkInterfaceIds": ["eni-1"],
    # The real shape (moto's differs): vpce-<id>-<suffix>.prod.highlander.<region>.vpce...
    "DnsEntries": [
        {
            "DnsName": "vpce-0abc12345678def01-1a2b3c4d.prod.highlander."
            f"{REGION}.vpce.amazonaws.com",
            "HostedZoneId": "Z1",
        }
    ],
}


class _PerOperation:
    """A service's client as gather sees it: each operation answered by its own stub."""

    def __init__(self, stubs: Stubs, service: str) -> None:
        self._stubs, self._service = stubs, service

    def __getattr__(self, op: str) -> Any:
        self._stubs._stub(self._service, op)  # an operation no test answered: a stub error
        return getattr(self._stubs.clients[self._service, op], op)


class Stubs:
    """One stubbed client per (service, operation), answering in the order the test adds:
    gather runs its calls in threads, so one Stubber per service would see them in any order
    (its queue is ordered) and the test would fail now and then."""

    def __init__(self) -> None:
        self.clients: dict[tuple[str, str], Any] = {}
        self.stubs: dict[tuple[str, str], Stubber] = {}

    def _stub(self, service: str, op: str) -> Stubber:
        import boto3

        if (service, op) not in self.stubs:
            client = boto3.client(
                service, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y"
            )
            self.clients[service, op] = client
            self.stubs[service, op] = Stubber(client)
            self.stubs[service, op].activate()
        return self.stubs[service, op]

    def make(self, service: str, _timeout: float) -> Any:
        return _PerOperation(self, service)

    def ok(
        self, service: str, op: str, response: dict[str, Any], params: dict[str, Any] | None = None
    ) -> None:
        self._stub(service, op).add_response(op, response, params)

    def denied(self, service: str, op: str, code: str = "UnauthorizedOperation") -> None:
        message = f"You are not authorized to perform this operation. User: {ARN} is not authorized"
        self._stub(service, op).add_client_error(
            op, service_error_code=code, service_message=message, http_status_code=403
        )

    def rest(self) -> None:
        """The endpoint's details, all empty."""
        self.ok("ec2", "describe_network_interfaces", {"NetworkInterfaces": []})
        self.ok("ec2", "describe_security_group_rules", {"SecurityGroupRules": []})
        self.ok("ec2", "describe_network_acls", {"NetworkAcls": []})
        self.ok("ec2", "describe_route_tables", {"RouteTables": []})
        self.ok("route53resolver", "list_resolver_endpoints", {"ResolverEndpoints": []})
        self.ok("route53resolver", "list_resolver_rules", {"ResolverRules": []})
        self.ok(
            "route53resolver", "list_resolver_rule_associations", {"ResolverRuleAssociations": []}
        )


def test_the_directory_association_finds_the_endpoint() -> None:
    """moto has no AccessEndpointConfig on directories: the Stubber gives the real field."""
    s = Stubs()
    directory = {
        "DirectoryId": "d-1234567890",
        "WorkspaceAccessProperties": {
            "AccessEndpointConfig": {
                "AccessEndpoints": [
                    {
                        "AccessEndpointType": "STREAMING_WSP",
                        "VpcEndpointId": ENDPOINT["VpcEndpointId"],
                    }
                ]
            }
        },
    }
    s.ok(
        "workspaces",
        "describe_workspace_directories",
        {"Directories": [directory]},
        {"DirectoryIds": ["d-1234567890"]},
    )
    s.ok(
        "ec2",
        "describe_vpc_endpoints",
        {"VpcEndpoints": [ENDPOINT]},
        {"VpcEndpointIds": [ENDPOINT["VpcEndpointId"]]},
    )
    s.rest()
    sec = gather(REGION, later(), directory_id="d-1234567890", make=s.make)
    assert sec.found_by is FoundBy.DIRECTORY
    assert sec.directory_endpoint == ENDPOINT["VpcEndpointId"]
    assert sec.endpoint is not None
    assert sec.endpoint.dns_names == (ENDPOINT["DnsEntries"][0]["DnsName"],)  # type: ignore[index]


def test_a_denied_call_is_its_action_name_alone_whatever_the_message() -> None:
    s = Stubs()
    s.ok("ec2", "describe_vpc_endpoints", {"VpcEndpoints": [ENDPOINT]})
    s.ok("ec2", "describe_network_interfaces", {"NetworkInterfaces": []})
    s.denied("ec2", "describe_security_group_rules")
    s.ok("ec2", "describe_network_acls", {"NetworkAcls": []})
    s.ok("ec2", "describe_route_tables", {"RouteTables": []})
    s.denied("route53resolver", "list_resolver_endpoints", "AccessDeniedException")
    s.ok("route53resolver", "list_resolver_rules", {"ResolverRules": []})
    s.ok("route53resolver", "list_resolver_rule_associations", {"ResolverRuleAssociations": []})
    sec = gather(REGION, later(), make=s.make)
    assert set(sec.denied()) == {
        "ec2:DescribeSecurityGroupRules",
        "route53resolver:ListResolverEndpoints",
    }
    shown = json.dumps(section_json(sec))
    assert "arn:" not in shown and "jane" not in shown and "123456789012" not in shown
    call = sec.call("ec2:DescribeSecurityGroupRules")
    assert call is not None and call.text() == "ec2:DescribeSecurityGroupRules: denied"


def test_classify_keeps_codes_never_messages() -> None:
    err = ClientError({"Error": {"Code": "AuthFailure", "Message": ARN}}, "DescribeVpcEndpoints")
    assert classify(err) == (Outcome.REJECTED, "AuthFailure")
    odd = ClientError({"Error": {"Code": f"Bad {ARN}", "Message": ARN}}, "DescribeVpcEndpoints")
    assert classify(odd) == (Outcome.ERROR, "")


def test_an_unreachable_api_is_one_outcome_and_the_rest_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with socket.socket() as closed:  # a loopback port nothing listens on
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        for key, value in aws_env(url, str(tmp_path)).items():
            monkeypatch.setenv(key, value)
        sec = gather(REGION, later(5.0))
    assert sec.calls[0].outcome is Outcome.UNREACHABLE
    assert {c.outcome for c in sec.calls[1:]} <= {Outcome.SKIPPED}


# --- the command line, on loopback -----------------------------------------------------------


def wsdiag(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    full |= env | {"PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "wsdiag", *args],
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
        cwd=REPO,
    )


def loopback_fixture(url: str) -> Fixture:
    # The endpoint on loopback addresses nothing listens on: every path fails here.
    return build(
        url,
        Spec(
            region=REGION,
            vpc="127.0.0.0/16",
            subnets=("127.0.5.0/24", "127.0.6.0/24"),
            addresses=("127.0.5.10", "127.0.6.10"),
            ingress=(("tcp", 443, 443, "10.0.0.0/8"), ("tcp", 4195, 4195, "10.0.0.0/8")),
        ),
    )


def test_check_aws_explains_on_loopback_and_keeps_the_verdict(moto: str, tmp_path: Path) -> None:
    fx = loopback_fixture(moto)
    name = f"privatelink.prod.{REGION}.highlander.aws.a2z.com"
    with DnsServer("127.0.0.53", {name: list(fx.addresses), "*": NXDOMAIN}) as dns:
        common = (
            "check",
            "--region",
            REGION,
            "--no-logs",
            "--nameserver",
            dns.address,
            "--timeout",
            "0.5",
            # the cloud's calls get a share of the deadline: room, so that a machine other
            # work keeps busy still reads moto's answers (boto3's import alone ~0.3 s)
            "--deadline",
            "20",
        )
        plain = wsdiag(*common, "--json", env=aws_env(moto, str(tmp_path)))
        proc = wsdiag(
            *common,
            "--json",
            "--aws",
            "--client-cidr",
            "192.0.2.10",
            env=aws_env(moto, str(tmp_path)),
        )
        text = wsdiag(*common, "--aws", env=aws_env(moto, str(tmp_path)))
    assert proc.stderr == "", proc.stderr
    report, before = json.loads(proc.stdout), json.loads(plain.stdout)
    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text())).validate(report)
    assert (report["verdict"], proc.returncode) == (before["verdict"], plain.returncode)
    cloud = report["cloud"]
    assert (cloud["found_by"], cloud["endpoint"]["id"]) == ("address", fx.endpoint)
    assert cloud["client_cidr"] == "192.0.2.10/32"
    denied = [f for f in report["findings"] if f["code"] == "CLOUD_PATH_DENIED"]
    assert denied and all(f["owner"] == "aws" for f in denied)
    assert any(fx.group in f["message"] and "UDP 4195" in f["message"] for f in denied)
    assert "THE ENDPOINT'S SIDE (AWS, read-only)" in text.stdout
    assert f"{fx.endpoint} (available, private DNS off; found by an interface" in text.stdout
    # the text report puts them under the owner who acts
    aws_block = text.stdout.split("AWS administrator")[1]
    assert "CLOUD_PATH_DENIED" in aws_block


def test_check_aws_with_an_unreachable_api_ends_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as closed, DnsServer("127.0.0.53", {"*": NXDOMAIN}) as dns:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
        args = ("check", "--region", REGION, "--no-logs", "--nameserver", dns.address)
        # A deadline with room for botocore's start-up on a busy machine: a refused
        # connection, not the budget, must end the read (the budget gives "timeout").
        limits = ("--timeout", "0.5", "--deadline", "30")
        proc = wsdiag(*args, *limits, "--aws", env=aws_env(url, str(tmp_path)))
    lines = [x for x in proc.stdout.splitlines() if "AWS not read" in x]
    assert lines == ["  AWS not read: ec2:DescribeVpcEndpoints: unreachable; the rest skipped"], (
        proc.stdout
    )
    assert proc.stderr == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--aws-profile", "x"), "--aws-profile needs --aws"),
        (("--client-cidr", "10.0.0.0/8"), "--client-cidr needs --aws"),
        (("--aws", "--client-cidr", "nope"), "--client-cidr 'nope': not an IP network"),
    ],
)
def test_bad_aws_options_are_one_line(args: tuple[str, ...], message: str, tmp_path: Path) -> None:
    proc = wsdiag(
        "check",
        "--region",
        REGION,
        "--no-logs",
        "--nameserver",
        "127.0.0.1:9",
        *args,
        env=aws_env("http://127.0.0.1:9", str(tmp_path)),
    )
    assert proc.returncode == 3 and proc.stderr.strip() == f"wsdiag: error: {message}", proc.stderr
