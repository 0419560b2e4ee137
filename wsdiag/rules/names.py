"""Rows about names as the OS resolves them, captive portals and overlay addresses. Pure.

- The OS (getaddrinfo) answers differently from the resolver wsdiag asked: the reason read
  from the OS's configuration (hosts file -> desktop; per-domain resolver, link-local
  resolver, unknown -> network). The client dials the OS's answer, so where the OS answered
  this is informational; where the OS fails and the resolver answers, it blocks.
- Unrelated names (the endpoint, the broker, a CDN name) resolving to one and the same
  address: a captive portal or DNS hijack (blocked, owner user), taking precedence over the
  path and TLS findings about those names.
- RFC 6598 shared space (100.64.0.0/10): not a public answer; an overlay (zero-trust client,
  CGNAT) that either answers the endpoint paths or does not.
"""

from __future__ import annotations

from wsdiag.rules.facts import CheckFacts, CheckRule, FireFn
from wsdiag.vocab.evidence import NameDivergence, usable
from wsdiag.vocab.model import DnsOutcome, Owner, Severity
from wsdiag.vocab.rows import FindingRule, Fire, N, Y


def _answers(d: NameDivergence) -> str:
    os = ", ".join(d.os_addresses) if d.os_outcome is DnsOutcome.ANSWER else str(d.os_outcome)
    dns = ", ".join(d.dns_addresses) or str(d.dns_outcome or "no answer")
    return f"{d.host}: the OS says {os}, the resolver says {dns}"


def _differs(hosts_file: bool) -> FireFn:
    def fire(c: CheckFacts) -> Fire:
        e = c.evidence
        hit = [
            d
            for d in e.name_divergences
            if d.os_outcome is DnsOutcome.ANSWER and (d.reason == "hosts-file") is hosts_file
        ]
        whys = "; ".join(dict.fromkeys(d.detail for d in hit if d.detail)) or "reason not known"
        return Fire({"names": "; ".join(_answers(d) for d in hit), "why": whys})

    return fire


def _os_failed(c: CheckFacts) -> Fire:
    e = c.evidence
    hit = [d for d in e.name_divergences if d.os_outcome is not DnsOutcome.ANSWER]
    whys = "; ".join(dict.fromkeys(d.detail for d in hit if d.detail)) or "reason not known"
    return Fire(
        {"names": "; ".join(_answers(d) for d in hit), "why": whys},
        severity=None if any(d.needed for d in hit) else Severity.WARNING,
    )


def _given(c: CheckFacts) -> Fire:
    return Fire({"servers": ", ".join(c.evidence.nameservers_given) or "given"})


def _captive(c: CheckFacts) -> Fire:
    e = c.evidence
    return Fire({"address": e.captive_address, "names": ", ".join(e.captive_hosts)})


def _overlay(c: CheckFacts) -> Fire | None:
    e = c.evidence
    units = [a for a in e.endpoint_addresses if a.address in e.endpoint_overlay]
    if not units or any(usable(a) is not Y for a in units):
        return None
    return Fire({"host": e.endpoint_host, "addresses": ", ".join(a.address for a in units)})


def _overlay_silent(c: CheckFacts) -> Fire | None:
    e = c.evidence
    units = [a for a in e.endpoint_addresses if a.address in e.endpoint_overlay]
    dead = [a for a in units if a.answered is N or usable(a) is N]
    if not dead:
        return None
    return Fire(
        {"host": e.endpoint_host, "addresses": ", ".join(a.address for a in dead)},
        severity=None if e.endpoint_usable is N else Severity.WARNING,
    )


# The findings a captive portal explains: every path and TLS finding about its names.
_CAPTIVE_EXPLAINS = (
    "ENDPOINT_UNREACHABLE",
    "ENDPOINT_TCP_BLOCKED",
    "ENDPOINT_ADDRESS_SILENT",
    "ENDPOINT_ADDRESS_PARTIAL",
    "ENDPOINT_QUIC_BLOCKED",
    "ENDPOINT_4195_BLOCKED",
    "ENDPOINT_443_BLOCKED",
    "ENDPOINT_PUBLIC_ANSWER",
    "ENDPOINT_HIGH_RTT",
    "AUTH_UNREACHABLE",
    "OPTIONAL_DOMAINS_UNREACHABLE",
    "TLS_UNTRUSTED",
    "HEALTH_CHECK_BLOCKED",
    "ENDPOINT_OVERLAY_SILENT",
    "ENDPOINT_OVERLAY",
    # the TLS rows (branch tls2): a portal's own certificate is neither inspection nor a
    # device on the LAN nor a skewed clock
    "TLS_INSPECTED",
    "ENDPOINT_ADDRESS_OTHER",
    "ENDPOINT_ISSUERS_DIFFER",
    "ENDPOINT_CERTIFICATE",
    "CLOCK_SKEW",
)

NAME_RULES: tuple[CheckRule, ...] = (
    FindingRule(
        name="nameserver-given",
        code="NAMESERVER_GIVEN",
        severity=Severity.INFO,
        owner=Owner.USER,
        when="--nameserver given: every name was asked of that resolver only, never of this "
        "machine's own; the verdict is what its answers give, not a claim about this "
        "machine's DNS",
        message="The DNS answers here are from the resolver given with --nameserver ({servers}) "
        "only: this machine's own resolver, the one the WorkSpaces client uses, was not "
        "asked, so the client may see other answers.",
        remediation="Run without --nameserver to check what the client sees.",
        facts=(("nameserver_given", (Y,)),),
        fire=_given,
    ),
    FindingRule(
        name="captive-portal",
        code="CAPTIVE_PORTAL",
        severity=Severity.ERROR,
        owner=Owner.USER,
        when="the endpoint and unrelated names (broker, a CDN name) all resolve to one address: "
        "a captive portal or DNS hijack (takes precedence over path and TLS findings)",
        message="Every name resolves to the same address {address} ({names}): this network is "
        "holding traffic for a login page (captive portal) or rewriting DNS, so nothing "
        "else wsdiag saw about these names is real.",
        remediation="Log in to the network (open a web browser and complete the Wi-Fi / hotel / "
        "guest portal), then run wsdiag again.",
        facts=(("captive_portal", (Y,)),),
        fire=_captive,
        never_with=_CAPTIVE_EXPLAINS,
    ),
    FindingRule(
        name="os-hosts-file",
        code="OS_HOSTS_FILE",
        severity=Severity.INFO,
        owner=Owner.DESKTOP,
        when="the hosts file gives a name another answer than the resolver (the client dials "
        "the hosts file's)",
        message="This machine's hosts file answers for these names, not DNS: {names} ({why}). The "
        "client dials the hosts file's addresses; wsdiag tested those.",
        remediation="Nothing to do while those addresses are right; remove the entries when the "
        "endpoint's addresses change (they are fixed per subnet until the endpoint is "
        "re-created).",
        facts=(("os_consulted", (Y,)), ("os_hosts_file", (Y,))),
        fire=_differs(True),
        basis=("name_divergences",),
    ),
    FindingRule(
        name="os-resolver-differs",
        code="OS_RESOLVER_DIFFERS",
        severity=Severity.INFO,
        owner=Owner.NETWORK,
        when="the OS resolves a name differently from the resolver asked (per-domain resolver, "
        "link-local resolver, reason unknown); the client dials the OS's answer",
        message="The operating system resolves these names differently from the resolver wsdiag "
        "asked: {names} ({why}). The client dials the OS's answer; wsdiag tested those.",
        remediation="Nothing to do if the OS's answer is right (VPN split DNS usually is); to "
        "test a specific resolver run wsdiag with --nameserver IP.",
        facts=(("os_consulted", (Y,)), ("os_answers_differ", (Y,))),
        fire=_differs(False),
        basis=("name_divergences",),
    ),
    FindingRule(
        name="os-name-failed",
        code="OS_NAME_FAILED",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="the OS cannot resolve a name the resolver answers (error for the endpoint or a "
        "needed name, else warning)",
        message="The operating system cannot resolve names the resolver answers: {names} ({why}). "
        "The client resolves through the OS, so it cannot reach them.",
        remediation="Fix the per-domain DNS the OS uses for these names (VPN split DNS, "
        "/etc/resolver/, NRPT, systemd-resolved link domains) or the hosts file.",
        facts=(("os_consulted", (Y,)), ("os_name_failed", (Y,))),
        fire=_os_failed,
        basis=("name_divergences",),
    ),
    FindingRule(
        name="endpoint-overlay",
        code="ENDPOINT_OVERLAY",
        severity=Severity.INFO,
        owner=Owner.NETWORK,
        when="the endpoint answers at RFC 6598 shared addresses (100.64.0.0/10) on its paths: "
        "reached through an overlay",
        message="{host} resolves to {addresses} in shared address space (RFC 6598, 100.64.0.0/10), "
        "and the endpoint's paths answer there: it is reached through an overlay "
        "(a zero-trust or mesh VPN client, or carrier-grade NAT).",
        remediation="Nothing to do; if streaming misbehaves, check the overlay client's settings "
        "for the WorkSpaces names and UDP 4195.",
        fire=_overlay,
        basis=("endpoint_overlay",),
    ),
    FindingRule(
        name="endpoint-overlay-silent",
        code="ENDPOINT_OVERLAY_SILENT",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="an RFC 6598 shared address (100.64.0.0/10) of the endpoint does not answer "
        "(error when no address is usable)",
        message="{host} resolves to {addresses} in shared address space (RFC 6598, 100.64.0.0/10: "
        "a zero-trust or mesh VPN client, or carrier-grade NAT), and that overlay address "
        "did not answer on the endpoint's TCP paths.",
        remediation="Check that the overlay (zero-trust / VPN) client is connected and routes the "
        "WorkSpaces private name and TCP/UDP 443 and 4195 to the VPC.",
        fire=_overlay_silent,
        basis=("endpoint_overlay",),
        never_with=("ENDPOINT_UNREACHABLE", "ENDPOINT_TCP_BLOCKED", "ENDPOINT_OVERLAY"),
    ),
)
