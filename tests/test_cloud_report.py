"""The cloud section after the run: ``wsdiag show`` reads a ``--aws`` report back (moto's
server on loopback, as tests/test_cloud_gather.py builds it), and the HTML page shows the
calls, each cloud finding under its owner with its AWS console links (render/console.py),
and nothing it would load."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import browser
from tests.support.render_checks import check_html
from tests.test_show import one_error_line, show
from wsdiag.cloud.codec import section_from_json, section_json
from wsdiag.render.console import PAGES, links, url
from wsdiag.render.html import render_html
from wsdiag.render.report import report_from_json
from wsdiag.vocab.cloud import (
    AclEntry,
    Call,
    CloudSection,
    Endpoint,
    Eni,
    FoundBy,
    NetworkAcl,
    Outcome,
    ResolverEndpoint,
    ResolverRule,
    Route,
    RouteTable,
    SgRule,
)
from wsdiag.vocab.codec import DecodeError
from wsdiag.vocab.model import Owner, Severity
from wsdiag.vocab.results import Finding

ROOT = Path(__file__).resolve().parent.parent
REGION = "eu-west-1"
SG, VPCE, RTB, ACL = (
    "sg-0123456789abcdef0",
    "vpce-0a1b2c3d4e5f60718",
    "rtb-0fedcba987654321",
    "acl-0aa11bb22cc33dd44",
)
RSLVR = "rslvr-in-0123456789abcdef0"

SECTION = CloudSection(
    region=REGION,
    found_by=FoundBy.ADDRESS,
    calls=(
        Call("ec2:DescribeVpcEndpoints", Outcome.OK, ms=12.5),
        Call("ec2:DescribeSecurityGroupRules", Outcome.DENIED),
        Call("route53resolver:ListResolverRules", Outcome.ERROR, "ThrottlingException", 3.0),
    ),
    endpoint=Endpoint(
        VPCE,
        "com.amazonaws.eu-west-1.prod.highlander",
        "available",
        False,
        "vpc-0123456789abcdef0",
        ("subnet-0123456789abcdef0",),
        (SG,),
        ("eni-0123456789abcdef0",),
        ("vpce-0a1b2c3d4e5f60718-abcdefgh.prod.highlander.eu-west-1.vpce.amazonaws.com",),
    ),
    enis=(Eni("eni-0123456789abcdef0", "subnet-0123456789abcdef0", ("10.20.1.10",)),),
    rules=(
        SgRule(SG, "sgr-1", "tcp", 4195, 4195, cidr="10.0.0.0/8"),
        SgRule(SG, "sgr-2", "udp", 4195, 4195, prefix_list="pl-0123456789abcdef0"),
        SgRule(SG, "sgr-3", "-1", -1, -1, group_ref="sg-0fffffffffffffff0"),
        SgRule(SG, "sgr-4", "tcp", 443, 443),
    ),
    prefix_lists=(("pl-0123456789abcdef0", ("192.0.2.0/24",)),),
    acls=(
        NetworkAcl(
            ACL,
            ("subnet-0123456789abcdef0",),
            (
                AclEntry(100, False, "17", True, "0.0.0.0/0", (4195, 4195)),
                AclEntry(32767, True, "-1", False, "0.0.0.0/0"),
            ),
        ),
    ),
    route_tables=(RouteTable(RTB, (), True, (Route("10.20.0.0/16", "local", True),)),),
    resolver_endpoints=(ResolverEndpoint(RSLVR, "INBOUND", "", "OPERATIONAL", ("10.20.1.53",)),),
    resolver_rules=(ResolverRule("rslvr-rr-1", "a2z.com.", "FORWARD", ("vpc-0123456789abcdef0",)),),
    directory_endpoint=VPCE,
    other_enis=(("10.9.9.9", "eni-0999999999999999f"),),
    profile="support",
    client_cidr="192.0.2.10/32",
)


def test_the_section_reads_back_as_written() -> None:
    again = section_from_json(json.loads(json.dumps(section_json(SECTION))))
    assert section_json(again) == section_json(SECTION)
    assert again.rules == SECTION.rules and again.acls == SECTION.acls
    assert again.calls == SECTION.calls


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda d: d.pop("calls"), "cloud.calls: missing"),
        (
            lambda d: d["calls"][1].update(outcome="maybe"),
            'cloud.calls[1].outcome: "maybe" is not one of "ok", "denied", "no-credentials", '
            '"credentials-rejected", ...',
        ),
        (
            lambda d: d["endpoint"].update(private_dns="no"),
            "cloud.endpoint.private_dns: expected a boolean",
        ),
        (
            lambda d: d["network_acls"][0]["entries"][0].update(ports=[1]),
            "cloud.network_acls[0].entries[0].ports: expected [from, to]",
        ),
        (
            lambda d: d["inbound_rules"][0].update(from_port=True),
            "cloud.inbound_rules[0].from_port: expected an integer",
        ),
        (lambda d: d.update(denied=[]), "cloud.denied: not the calls' denied actions"),
        (
            lambda d: d["prefix_lists"].update(x=[1]),
            "cloud.prefix_lists.x: expected an array of strings",
        ),
    ],
)
def test_a_broken_block_names_its_place(change: Any, why: str) -> None:
    doc = json.loads(json.dumps(section_json(SECTION)))
    change(doc)
    with pytest.raises(DecodeError) as exc:
        section_from_json(doc)
    assert str(exc.value) == why


# --- console links ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resource", "want"),
    [
        (
            SG,
            f"https://eu-west-1.console.aws.amazon.com/vpcconsole/home?region=eu-west-1#SecurityGroup:groupId={SG}",
        ),
        (
            VPCE,
            f"https://eu-west-1.console.aws.amazon.com/vpcconsole/home?region=eu-west-1#EndpointDetails:vpcEndpointId={VPCE}",
        ),
        (
            RTB,
            f"https://eu-west-1.console.aws.amazon.com/vpcconsole/home?region=eu-west-1#RouteTableDetails:RouteTableId={RTB}",
        ),
        (
            ACL,
            f"https://eu-west-1.console.aws.amazon.com/vpcconsole/home?region=eu-west-1#NetworkAclDetails:networkAclId={ACL}",
        ),
        (
            RSLVR,
            "https://eu-west-1.console.aws.amazon.com/route53resolver/home?region=eu-west-1#/inbound-endpoints",
        ),
        ("sg-0abc", None),  # too short for an id
        ("sg-0123456789ABCDEF0", None),  # ids are lower-case hex
        ('sg-0123456789abcdef0"><script>', None),
        ("sg-0123456789abcdef0#x", None),
        ("igw-0123456789abcdef0", None),  # no page in the table
    ],
)
def test_console_urls(resource: str, want: str | None) -> None:
    assert url(REGION, resource) == want


@pytest.mark.parametrize(
    "region", ["cn-north-1", "us-gov-west-1", "eu-west-1.evil.example", "EU-WEST-1", ""]
)
def test_no_link_for_a_region_of_another_form_or_partition(region: str) -> None:
    assert url(region, SG) is None


@given(st.text(max_size=40), st.sampled_from(sorted(PAGES)))
def test_whatever_the_text_a_url_is_of_the_table_or_none(noise: str, kind: str) -> None:
    for resource in (noise, f"{kind}-{noise}"):
        got = url(REGION, resource)
        assert got is None or (
            got.startswith(f"https://{REGION}.console.aws.amazon.com/")
            and re.fullmatch(r"[A-Za-z0-9/?=&#:._-]+", got.removeprefix("https://"))
        )


def finding(code: str, message: str, remediation: str = "", owner: Owner = Owner.AWS) -> Finding:
    return Finding(code, Severity.WARNING, message, remediation, owner=owner)


def test_a_finding_links_the_ids_of_the_section_it_names() -> None:
    f = finding(
        "CLOUD_PATH_DENIED",
        f"UDP 4195 is silent; {SG} admits only TCP 4195; sg-0ddddddddddddddd0 is not ours",
        f"add to {SG} the rule; see {ACL}",
    )
    assert [x.label for x in links(f, SECTION)] == [f"security group {SG}", f"network ACL {ACL}"]
    assert links(finding("DNS_NXDOMAIN", f"{SG}"), SECTION) == ()  # not a cloud finding
    resolver = links(finding("CLOUD_NO_INBOUND_RESOLVER", "x does not resolve"), SECTION)
    assert [x.label for x in resolver] == [f"Resolver inbound endpoints {RSLVR}"]


# --- a real --aws run against moto -------------------------------------------------------------


@pytest.fixture
def aws_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Any]]:
    pytest.importorskip("boto3")
    pytest.importorskip("moto")
    from tests.support.cloud import aws_env, moto_server
    from tests.support.dnsserver import NXDOMAIN, DnsServer
    from tests.test_cloud_gather import loopback_fixture, wsdiag

    with moto_server() as moto:
        fx = loopback_fixture(moto)
        name = f"privatelink.prod.{REGION}.highlander.aws.a2z.com"
        with DnsServer("127.0.0.53", {name: list(fx.addresses), "*": NXDOMAIN}) as dns:
            proc = wsdiag(
                "check",
                "--region",
                REGION,
                "--no-logs",
                "--nameserver",
                dns.address,
                "--timeout",
                "0.5",
                "--deadline",  # room for the cloud's share on a busy machine
                "20",
                "--json",
                "--aws",
                "--client-cidr",
                "192.0.2.10",
                env=aws_env(moto, str(tmp_path)),
            )
    assert proc.stderr == "", proc.stderr
    out = tmp_path / "aws.json"
    out.write_text(proc.stdout)
    yield out, fx


def test_an_aws_report_round_trips_through_show(
    aws_report: tuple[Path, Any], tmp_path: Path
) -> None:
    path, fx = aws_report
    doc = json.loads(path.read_text())
    assert doc["cloud"]["endpoint"]["id"] == fx.endpoint
    again = show(str(path), "--format", "json")
    assert again.stdout == path.read_text()  # byte for byte: the cloud block too
    text = show(str(path))
    assert "THE ENDPOINT'S SIDE (AWS, read-only)" in text.stdout
    assert "CLOUD_PATH_DENIED" in text.stdout.split("AWS administrator")[1]
    page_path = tmp_path / "aws.html"
    show(str(path), "--html", str(page_path))
    page = page_path.read_text()
    dom = check_html(page, doc)
    sg = f"https://{REGION}.console.aws.amazon.com/vpcconsole/home?region={REGION}#SecurityGroup:groupId={fx.group}"
    assert sg in dom.links
    assert f"#EndpointDetails:vpcEndpointId={fx.endpoint}" in " ".join(dom.links)
    # the calls by action and outcome; the owner's group holds the denial with its link
    for call in doc["cloud"]["calls"]:
        action, outcome = call["action"], call["outcome"]
        row = f'<tr data-action="{action}"><td><code>{action}</code></td><td>{outcome}</td></tr>'
        assert row in page
    aws = page.split('data-owner="aws"')[1].split("</section>")[0]
    assert 'data-code="CLOUD_PATH_DENIED"' in aws and sg.replace("&", "&amp;") in aws
    for secret in ("testing", "arn:aws", "123456789012"):
        assert secret not in page and secret not in path.read_text()
    if browser.unavailable_reason() is None:
        opened = browser.open_page(page_path)
        assert opened.requests == (), opened.requests
        check_html(opened.dom, doc)


def test_a_contradicted_path_prints_the_reachability_command_in_html() -> None:
    doc = json.loads((ROOT / "examples" / "reports" / "udp-blocked.json").read_text())
    report = report_from_json(doc)
    cmd = (
        "aws ec2 create-network-insights-path --region eu-west-1 --source vgw-0123456789abcdef0 "
        "--source-ip 192.0.2.10 --destination eni-0123456789abcdef0 --protocol udp "
        "--destination-port 4195"
    )
    f = Finding(
        "CLOUD_ALLOWS_SILENT_PATH",
        Severity.WARNING,
        f"UDP 4195 to 10.20.1.10 is silent, yet {SG} admits all traffic",
        f"Follow UDP 4195. To have AWS check the VPC side: `{cmd}`.",
        owner=Owner.NETWORK,
    )
    report = dataclasses.replace(
        report,
        cloud=SECTION,
        diagnosis=dataclasses.replace(report.diagnosis, findings=(*report.diagnosis.findings, f)),
    )
    page = render_html(report)
    network = page.split('data-owner="network"')[1].split("</section>")[0]
    assert f"<code>{cmd}</code>" in network
    assert "SecurityGroup:groupId=" + SG in network


def test_a_broken_cloud_block_is_one_line_and_exit_3(tmp_path: Path) -> None:
    doc = json.loads((ROOT / "examples" / "reports" / "minimal-egress.json").read_text())
    cloud = json.loads(json.dumps(section_json(SECTION)))
    cloud["calls"][0]["outcome"] = "fine"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**doc, "cloud": cloud}))
    one_error_line(show(str(bad)), 'cloud.calls[0].outcome: "fine" is not one of')
    good = tmp_path / "good.json"
    good.write_text(json.dumps({**doc, "cloud": section_json(SECTION)}))
    assert (
        show(str(good)).returncode
        == {"ready": 0, "degraded": 1, "blocked": 2, "unknown": 3}[doc["verdict"]]
    )
