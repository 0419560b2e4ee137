"""Rows about TLS: is it the endpoint at each address, is sign-in traffic decrypted on the
way, does the OS trust it, is the clock right. Pure; the facts come from
``wsdiag.evidence.tls``.

Sources: AWS documents TLS decryption and inspection as unsupported for WorkSpaces traffic
(FACTS §1.1, §7); the endpoint is never judged by OS trust or issuer, since the client hands
its DCV viewer a private CA certificate of its own (``highlanderPCACert``, FACTS §2); only
positive evidence (no TLS at all, or a certificate naming only non-AWS hosts) says that
something else answers at an endpoint address.
"""

from __future__ import annotations

from wsdiag.rules.facts import CheckFacts, CheckRule
from wsdiag.vocab.model import Owner, Severity
from wsdiag.vocab.rows import FindingRule, Fire, N, Y


def _pairs(items: tuple[tuple[str, str], ...]) -> str:
    return "; ".join(f"{a}: {why}" for a, why in items)


def _other(c: CheckFacts) -> Fire | None:
    e = c.evidence
    hit = e.tls.other
    if not hit:
        return None
    total = len(e.endpoint_addresses) or len(hit)
    return Fire(
        {
            "host": e.endpoint_host,
            "items": _pairs(hit),
            "addresses": ", ".join(a for a, _ in hit),
            "share": "the only address" if total == 1 else f"{len(hit)} of {total} addresses",
        },
        basis=tuple(f"endpoint_addresses[{a}]" for a, _ in hit),
    )


def _issuers(c: CheckFacts) -> Fire:
    e = c.evidence
    return Fire({"host": e.endpoint_host, "items": _pairs(e.tls.issuers)})


def _shown(c: CheckFacts) -> Fire | None:
    e = c.evidence
    if not e.tls.shown:
        return None
    by_cert: dict[str, list[str]] = {}  # one line per certificate, its addresses together
    for address, what in e.tls.shown:
        by_cert.setdefault(what, []).append(address)
    items = "; ".join(f"{', '.join(a)}: {what}" for what, a in by_cert.items())
    return Fire({"host": e.endpoint_host, "items": items})


def _inspected(c: CheckFacts) -> Fire | None:
    e = c.evidence
    if not e.tls.inspected:
        return None
    return Fire(
        {
            "hosts": ", ".join(e.tls.inspected),
            "issuers": ", ".join(e.tls.inspected_by) or "an unknown issuer",
        }
    )


def _untrusted(c: CheckFacts) -> Fire | None:
    e = c.evidence
    needed, other = e.tls.untrusted_needed, e.tls.untrusted_other
    if not needed and not other:
        return None
    hosts = (*needed, *other)
    what = "registration and sign-in fail" if needed else "only supporting services are affected"
    return Fire(
        {"n": len(hosts), "hosts": ", ".join(hosts), "what": what},
        basis=("tls_untrusted_other",),
        severity=Severity.ERROR if needed else Severity.WARNING,
    )


def _skew(c: CheckFacts) -> Fire:
    e = c.evidence
    way = {
        "ahead": " (ahead: they read as expired)",
        "behind": " (behind: they read as not yet valid)",
    }.get(e.tls.skew, "")
    return Fire({"way": way})


TLS_RULES: tuple[CheckRule, ...] = (
    FindingRule(
        name="endpoint-address-other",
        code="ENDPOINT_ADDRESS_OTHER",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="something else answers at an endpoint address (no TLS at all on 443/4195, or a "
        "certificate naming only non-AWS hosts): a device on the local network, a portal; "
        "that address does not count as usable",
        message="Something else answers at {share} of {host}: {items}. It is not the WorkSpaces "
        "endpoint (a device on the local network, a portal), and every session that DNS "
        "sends to {addresses} fails.",
        remediation="If this network's own range overlaps the endpoint subnet (a home LAN on the "
        "same /24), renumber the local network or connect through a VPN that routes the endpoint "
        "subnet; otherwise find what holds {addresses} on the path to the VPC.",
        facts=(("endpoint_other", (Y,)),),
        fire=_other,
        basis=("endpoint_other",),
    ),
    FindingRule(
        name="tls-inspected",
        code="TLS_INSPECTED",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="a needed sign-in domain's certificate chain does not end in a public root (the "
        "Mozilla list certifi ships, or --public-roots): TLS decryption on the way",
        message="TLS to {hosts} is decrypted on the way: the certificate chain ends in {issuers}, "
        "not in a public root. AWS does not support TLS decryption and inspection for "
        "WorkSpaces traffic, so registration, sign-in and streaming fail.",
        remediation="Exempt these names from TLS decryption/inspection on the firewall or proxy: "
        "{hosts} (better, every WorkSpaces domain of the AWS allow-list).",
        facts=(("tls_inspected", (Y,)),),
        fire=_inspected,
    ),
    FindingRule(
        name="tls-untrusted",
        code="TLS_UNTRUSTED",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="a certificate chain this machine does not trust: an error for needed domains (the "
        "client rejects it), a warning for supporting ones; not reported when the clock is off",
        message="{n} host(s) presented a certificate chain this machine does not trust ({hosts}); "
        "the WorkSpaces client rejects such connections: {what}. Usually a TLS-inspecting "
        "proxy or firewall.",
        remediation="Exempt the WorkSpaces domains from TLS inspection; the client requires the "
        "services' own (Amazon Trust Services) certificates.",
        facts=(("clock_skew", (N,)),),
        fire=_untrusted,
        basis=("tls_untrusted_needed",),
    ),
    FindingRule(
        name="clock-skew",
        code="CLOCK_SKEW",
        severity=Severity.ERROR,
        owner=Owner.DESKTOP,
        when="most certificates seen are out of their validity window at once: this machine's "
        "clock is off (never read as interception)",
        message="This machine's clock is off: most certificates the services presented are outside "
        "their validity period{way}. TLS, and with it sign-in, fails until the clock is right.",
        remediation="Set the date, time and time zone correctly (turn on automatic time "
        "synchronisation), then run again.",
        facts=(("clock_skew", (Y,)),),
        fire=_skew,
    ),
    FindingRule(
        name="endpoint-issuers-differ",
        code="ENDPOINT_ISSUERS_DIFFER",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="the endpoint's addresses present certificates from different issuers",
        message="The addresses of {host} present certificates from different issuers: {items}. One "
        "endpoint has one certificate: something on the path answers for some addresses.",
        remediation="Check what answers at each address (a TLS-inspecting firewall on some paths, "
        "a device on the local network).",
        facts=(("endpoint_issuers_differ", (Y,)),),
        fire=_issuers,
    ),
    FindingRule(
        name="endpoint-certificate",
        code="ENDPOINT_CERTIFICATE",
        severity=Severity.INFO,
        owner=Owner.AWS,
        when="the certificate each endpoint address presented (shown, not judged: the client "
        "trusts the gateway through its own CA)",
        message="The endpoint {host} presented: {items}. Shown only: the WorkSpaces client trusts "
        "the streaming gateway through a CA of its own, not the OS store.",
        remediation="Nothing to change.",
        facts=(("endpoint_issuers_differ", (N,)),),
        fire=_shown,
        basis=("endpoint_certificate",),
    ),
)
