"""The catalog (validation, overrides) and the plan (golden), both pure."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsdiag.check.catalog import CatalogError, load_catalog
from wsdiag.check.plan import check_nameservers, expand, make_plan, split_nameserver
from wsdiag.errors import WsdiagError
from wsdiag.vocab.model import (
    Check,
    DnsOutcome,
    Inputs,
    Need,
    PlannedTarget,
    Role,
    Target,
    Transport,
)
from wsdiag.vocab.results import DnsResult


def test_builtin_catalog_is_complete() -> None:
    cat = load_catalog()
    assert {"us-east-1", "eu-west-1", "ap-northeast-1", "us-gov-west-1"} <= set(cat.regions)
    assert all(r.airport for r in cat.regions.values())
    endpoint = next(t for t in cat.targets if t.role is Role.ENDPOINT)
    assert endpoint.host == "privatelink.prod.{region}.highlander.aws.a2z.com"
    assert {(c.transport, c.port) for c in endpoint.checks} == {
        (Transport.TCP, 443),
        (Transport.TCP, 4195),
        (Transport.QUIC, 443),
        (Transport.QUIC, 4195),
    }
    assert endpoint.all_addresses


GOLDEN_EU_WEST_1 = [
    ("endpoint", "privatelink.prod.eu-west-1.highlander.aws.a2z.com", None),
    ("ws-broker", "ws-broker-service.eu-west-1.amazonaws.com", None),
    ("login", "<directory_id>.awsapps.com", "no --directory-id given"),
    ("workspaces-api", "workspaces.eu-west-1.amazonaws.com", None),
    ("ws-client-service", "ws-client-service.eu-west-1.amazonaws.com", None),
    ("client-metrics", "skylight-client-ds.eu-west-1.amazonaws.com", None),
    ("connectivity", "connectivity.amazonworkspaces.com", None),
    ("updates", "d2td7dqidlhjx7.cloudfront.net", None),
    ("captcha", "opfcaptcha-prod.s3.amazonaws.com", None),
    ("s3", "s3.amazonaws.com", None),
    ("log-service", "fls-na.amazon.com", None),
    ("device-metrics", "device-metrics-us-2.amazon.com", None),
    ("smartcard", "smartcard.eu-west-1.signin.aws", None),
    ("health-check", "drp-dub.amazonworkspaces.com", None),
]


def test_plan_golden() -> None:
    plan = make_plan(load_catalog(), Inputs(region="eu-west-1"))
    assert [(p.target.id, p.host, p.skip_reason) for p in plan.targets] == GOLDEN_EU_WEST_1
    assert plan.deadline == 5.0  # 2 x 2 s + 1 s


def test_plan_inputs() -> None:
    plan = make_plan(
        load_catalog(),
        Inputs(
            region=" AP-Northeast-1 ",
            directory_id="d-90670a1b2c",
            endpoint_hosts=("vpce-0abc.prod.highlander.ap-northeast-1.vpce.amazonaws.com.",),
            log_endpoint_hosts=(
                "privatelink.prod.ap-northeast-1.highlander.aws.a2z.com",
                "bad host!",
            ),
        ),
    )
    hosts = {p.target.id: p.host for p in plan.targets}
    assert hosts["login"] == "d-90670a1b2c.awsapps.com"
    assert hosts["endpoint"] == "vpce-0abc.prod.highlander.ap-northeast-1.vpce.amazonaws.com"
    assert hosts["endpoint-2"] == "privatelink.prod.ap-northeast-1.highlander.aws.a2z.com"
    assert "endpoint-3" not in hosts  # the garbled log host is dropped, not fatal
    assert hosts["health-check"] == "drp-nrt.amazonworkspaces.com"


def test_region_without_own_health_host_borrows_one() -> None:
    region = load_catalog().regions["us-east-2"]
    assert (region.airport, region.airport_borrowed) == ("iad", True)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (Inputs(region="mars-1"), "unknown region 'mars-1'; known regions: af-south-1"),
        (Inputs(region="eu-west-1", timeout=0), "--timeout"),
        (Inputs(region="eu-west-1", timeout=0.05), "--timeout must be between 0.5 and 60"),
        (Inputs(region="eu-west-1", timeout=2, deadline=1), "--deadline"),
        (Inputs(region="eu-west-1", directory_id="d_1!"), "--directory-id"),
        (Inputs(region="eu-west-1", endpoint_hosts=("no spaces allowed",)), "--endpoint-host"),
        (Inputs(region="eu-west-1", vpc_cidrs=("10.0.0.0/33",)), "--vpc-cidr"),
        (Inputs(region="eu-west-1", nameservers=("resolver.example",)), "--nameserver"),
    ],
)
def test_bad_inputs_are_one_line_errors(inputs: Inputs, message: str) -> None:
    with pytest.raises(WsdiagError) as err:
        make_plan(load_catalog(), inputs)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.2", ("10.0.0.2", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("::1", ("::1", 53)),
        ("[::1]:5353", ("::1", 5353)),
        ("[fd00::2]", ("fd00::2", 53)),
    ],
)
def test_nameserver_forms(text: str, expected: tuple[str, int]) -> None:
    assert split_nameserver(text) == expected
    assert check_nameservers((text,))


@pytest.mark.parametrize(
    ("text", "what"),
    [
        # fresh report item 16: the limited broadcast's send failed with EACCES, read as
        # "this machine's own firewall" (LOCAL_FIREWALL_BLOCKS)
        ("255.255.255.255", "the broadcast address"),
        ("255.255.255.255:5353", "the broadcast address"),
        ("224.0.0.251", "a multicast address"),  # mDNS's group: many answer, or none
        ("239.1.2.3:53", "a multicast address"),
        ("ff02::fb", "a multicast address"),
        ("[ff05::1:3]:547", "a multicast address"),
        ("0.0.0.0", "the unspecified address"),  # the kernel sends it to this machine
        ("::", "the unspecified address"),
        ("[::]:5353", "the unspecified address"),
    ],
)
def test_a_nameserver_no_resolver_can_have_is_refused(text: str, what: str) -> None:
    with pytest.raises(WsdiagError) as err:
        check_nameservers(("127.0.0.1", text))
    assert str(err.value) == f"--nameserver: {text!r} is {what}, not a resolver's address"


@pytest.mark.parametrize(
    "text", ["10.0.0.255", "192.168.1.255", "10.255.255.255", "fe80::1%eth0", "127.0.0.53"]
)
def test_addresses_a_resolver_may_have_are_kept(text: str) -> None:
    """A directed broadcast depends on a netmask no option gives (10.0.0.255 is a host in a
    /16); a scope is the edge's to check (wsdiag.cli_options.check_scopes)."""
    assert len(check_nameservers((text,))) == 1


BROKEN = [
    ("not toml", "schema = ", "not valid TOML"),
    ("unknown top key", "colour = 1", "colour: unknown key"),
    ("wrong schema", 'schema = "wsdiag.catalog/9"', "schema: expected"),
    (
        "unknown target key",
        '[[targets]]\nid="x"\nhost="a.example"\nrole="auth"\nchecks=["tls/443"]\nport=443',
        "targets[0].port: unknown key",
    ),
    (
        "bad check",
        '[[targets]]\nid="x"\nhost="a.example"\nrole="auth"\nchecks=["udp/443"]',
        "'udp/443' is not 'transport/port'",
    ),
    (
        "port out of range",
        '[[targets]]\nid="x"\nhost="a.example"\nrole="auth"\nchecks=["tcp/70000"]',
        "is not 'transport/port'",
    ),
    (
        "bad role",
        '[[targets]]\nid="x"\nhost="a.example"\nrole="vpn"\nchecks=["tcp/1"]',
        "targets[0] (x).role: must be one of",
    ),
    (
        "missing host",
        '[[targets]]\nid="x"\nrole="auth"\nchecks=["tcp/1"]',
        "targets[0].host: missing",
    ),
    (
        "bad placeholder",
        '[[targets]]\nid="x"\nhost="{zone}.example"\nrole="auth"\nchecks=["tcp/1"]',
        "unknown placeholder {zone}",
    ),
    (
        "directory without requires",
        '[[targets]]\nid="x"\nhost="{directory_id}.example"\nrole="auth"\nchecks=["tcp/1"]',
        "requires",
    ),
    (
        "duplicate id",
        '[[targets]]\nid="x"\nhost="a.example"\nrole="auth"\nchecks=["tcp/1"]\n'
        '[[targets]]\nid="x"\nhost="b.example"\nrole="auth"\nchecks=["tcp/1"]',
        "duplicate id",
    ),
    ("bad region code", '[regions.moon]\nname="Moon"', "regions.moon: not a region code"),
    ("bad airport", '[regions.eu-west-9]\nairport="DUBLIN"', "airport: must be a three-letter"),
    ("bad alpn", "[quic]\nalpn = []", "quic.alpn"),
]


@pytest.mark.parametrize(("text", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_catalog_names_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "org.toml"
    path.write_text(text)
    with pytest.raises(CatalogError) as err:
        load_catalog([path])
    assert str(err.value).startswith(f"catalog {path}: ")
    assert message in str(err.value)


def test_override_replaces_by_id_and_adds(tmp_path: Path) -> None:
    path = tmp_path / "org.toml"
    path.write_text(
        '[[targets]]\nid = "ws-broker"\nhost = "broker.corp.example"\nrole = "auth"\n'
        'need = "needed"\nchecks = ["tls/8443"]\n'
        '[[targets]]\nid = "idp"\nhost = "sso.corp.example"\nrole = "auth"\nneed = "needed"\n'
        'checks = ["tls/443"]\n'
        '[regions.eu-south-1]\nname = "Europe (Milan)"\nairport = "fra"\nairport_borrowed = true\n'
    )
    cat = load_catalog([path])
    by_id = {t.id: t for t in cat.targets}
    assert by_id["ws-broker"].host == "broker.corp.example"
    assert by_id["idp"].need.value == "needed"
    assert "eu-south-1" in cat.regions
    assert cat.sources[-1] == str(path)


@given(st.text(max_size=300))
def test_any_text_is_a_catalog_or_a_catalog_error(
    tmp_path_factory: pytest.TempPathFactory, text: str
) -> None:
    path = tmp_path_factory.mktemp("cat") / "x.toml"
    path.write_bytes(text.encode("utf-8", "replace"))
    try:
        load_catalog([path])
    except CatalogError as exc:
        assert "\n" not in str(exc)


@pytest.mark.parametrize(
    ("timeout", "info"),
    [(2.0, 1.0), (5.0, 1.0), (1.0, 1.0), (0.7, 0.7), (0.5, 0.5)],
)
def test_informational_probes_have_their_own_shorter_clock(timeout: float, info: float) -> None:
    """The health-check host, smart-card sign-in and the broker's QUIC (it serves only
    auth_quic, an info finding's fact) cannot change the verdict: INFO_TIMEOUT (or
    --timeout, if smaller); every verdict-bearing probe keeps the full timeout."""
    plan = make_plan(load_catalog(), Inputs(region="eu-west-1", timeout=timeout))
    clocks = {
        (pt.target.id, str(s.transport)): s.timeout
        for pt in plan.targets
        if not pt.skip_reason
        for s in expand(pt, [_answer(pt)]) + pt.probes
    }
    informational = {
        k for k in clocks if k[0] in ("health-check", "smartcard") or k == ("ws-broker", "quic")
    }
    assert ("ws-broker", "quic") in informational and len(informational) == 4
    assert {clocks[k] for k in informational} == {info}
    assert {v for k, v in clocks.items() if k not in informational} == {timeout}
    assert plan.deadline == 2 * timeout + 1  # the run's clock is unchanged


def test_a_spec_names_the_any_of_fact_it_serves() -> None:
    """Only the needed sign-in hosts' QUIC serves "auth_quic"; the endpoint's per-address
    paths never end early (each address counts on its own)."""
    extra = Target("idp", "sso.corp.example", Role.AUTH, Need.NEEDED, (Check(Transport.QUIC, 443),))
    cat = load_catalog()
    cat = replace(cat, targets=(*cat.targets, extra))
    plan = make_plan(cat, Inputs(region="eu-west-1"))
    served = {
        (pt.target.id, s.transport, s.port): s.serves
        for pt in plan.targets
        if not pt.skip_reason
        for s in expand(pt, [_answer(pt)])
    }
    assert {k for k, v in served.items() if v} == {
        ("ws-broker", Transport.QUIC, 443),
        ("idp", Transport.QUIC, 443),
    }
    assert set(served.values()) == {"", "auth_quic"}


def _answer(pt: PlannedTarget) -> DnsResult:
    return DnsResult(
        f"{pt.target.id}/dns/A", pt.target.id, pt.host, "A", DnsOutcome.ANSWER, ("10.0.1.10",)
    )
