"""The vocabulary of what a run found: DNS and probe results and findings. Frozen
dataclasses and enums, no I/O; the words they are built from (statuses, roles, the plan)
are in wsdiag.vocab.model, what the evidence decided from them in wsdiag.vocab.evidence,
the report in wsdiag.vocab.report."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

from wsdiag.vocab import codec
from wsdiag.vocab.model import (
    DnsOutcome,
    Fault,
    Owner,
    Phase,
    ProbeSpec,
    Severity,
    Status,
    Transport,
    Via,
)

# --- results ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ede:
    """An RFC 8914 extended DNS error: its INFO-CODE and EXTRA-TEXT."""

    code: int
    text: str = ""


@dataclass(frozen=True)
class ServerAnswer:
    """What one of the servers the OS would use said for the private name, asked alone
    (EDNS on, so RFC 8914 extended errors come back), with the follow-up questions that tell
    a validating resolver and a broken forwarder apart (wsdiag.probes.dns_servers)."""

    server: str  # "10.0.0.2", "127.0.0.1:5353", "[::1]:5353"
    order: int  # its place in the list the OS asks (0: asked first)
    source: str  # where the OS keeps it: "resolv.conf", "systemd-resolved eth0", "--nameserver"
    outcome: DnsOutcome  # for the private name's A record
    addresses: tuple[str, ...] = ()
    ms: float | None = None  # until its answer; None: nothing came back
    # RFC 8914 extended DNS errors it attached
    ede: tuple[Ede, ...] = ()
    # After a SERVFAIL: the same query with CD (checking disabled, RFC 4035 section 3.2.2)
    cd_outcome: DnsOutcome | None = None
    cd_ms: float | None = None
    plain_again: DnsOutcome | None = None  # the query without CD again, beside the CD one
    # SOA of the zone's apex (a2z.com) and of the region's gateway zone, asked of this server
    # when the private name got no answer: does its forwarder for a2z.com answer at all?
    soa_apex: DnsOutcome | None = None
    soa_region: DnsOutcome | None = None
    # RFC 7050: the /96 it synthesizes IPv6 answers under (ipv4only.arpa AAAA), "" if none
    dns64_prefix: str = ""
    answered_other: bool = False  # it answered another query of this run (not this name)


@dataclass(frozen=True)
class DnsResult:
    id: str  # e.g. "endpoint/dns/A"
    target_id: str = field(metadata=codec.key("target"))
    host: str
    rdtype: str = field(metadata=codec.key("type"))  # "A" | "AAAA"
    outcome: DnsOutcome
    addresses: tuple[str, ...] = ()
    resolver: str | None = None  # the nameserver that answered (or was tried)
    detail: str = ""
    ms: float | None = None
    # configured servers that sent nothing back before another one answered (in the
    # configured order): the OS resolver would wait on each before trying the next
    dead_servers: tuple[str, ...] = field(default=(), metadata=codec.omit())
    # rdtype "OS" only: why this OS's answer can differ from a resolver's, read from its
    # configuration (wsdiag.host.resolvers.Divergence: hosts-file, per-domain-resolver ...)
    reason: str = field(default="", metadata=codec.dense())
    # the error map's reading of the socket error, where one ended it (absent: none)
    cause: Fault = field(default=Fault.NONE, metadata=codec.dense())
    # The private name's A lookup only: each server the OS would use, asked alone
    servers: tuple[ServerAnswer, ...] = field(default=(), metadata=codec.dense())
    # Answered after --timeout, within the OS resolver's own budget (the server had answered
    # another query of this run): the client gets it, slowly; ``ms`` says how slowly.
    # True, or None (not late: left out of the JSON)
    late: bool | None = field(default=None, metadata=codec.dense())


class TlsSeen(StrEnum):
    """What a TLS handshake on one address and port showed."""

    CERT = "cert"  # a handshake completed; the certificate is recorded
    NOT_TLS = "not-tls"  # TCP accepted, the answer was not TLS at all (HTTP, a banner)
    REFUSED = "tls-refused"  # TLS spoken but the handshake refused (an alert)
    CLOSED = "closed"  # reset or closed during the handshake: a firewall or the server
    NONE = "none"  # no TCP, or no answer before the timeout: nothing learned


@dataclass(frozen=True)
class CertSummary:
    """One certificate as a report shows it. Times are UTC; names as the certificate has them."""

    subject_cn: str  # "" when the subject has no CN
    sans: tuple[str, ...]  # DNS names and IP addresses, in certificate order
    issuer: str  # RFC 4514 string of the issuer name
    issuer_cn: str  # the issuer's CN, "" if none: the short name a person recognises
    not_before: dt.datetime
    not_after: dt.datetime
    sha256: str  # hex, lower case, of the DER
    self_issued: bool  # subject == issuer

    def names(self) -> tuple[str, ...]:
        """The hosts this certificate names: SANs, else the CN (pre-SAN certificates)."""
        if self.sans:
            return self.sans
        return (self.subject_cn,) if self.subject_cn else ()

    def valid_at(self, now: dt.datetime) -> bool:
        return self.not_before <= now <= self.not_after


@dataclass(frozen=True)
class ProbeResult:
    id: str  # e.g. "endpoint/quic/4195@10.0.1.5" or "ws-broker/tls/443"
    target_id: str = field(metadata=codec.key("target"))
    host: str
    address: str | None
    transport: Transport
    port: int
    status: Status
    phase: Phase = Phase.NONE  # where it stopped
    errno: int | None = None
    quic_error: int | None = None  # peer's CONNECTION_CLOSE code, when that is what we saw
    detail: str = ""
    ms: float | None = None  # connect RTT / handshake time
    tls_trusted: bool | None = None  # TLS only: did the chain verify against the system store
    alpn: str | None = None
    datagrams_rx: int | None = None  # QUIC only
    via: Via = Via.DIRECT
    proxy_status: int | None = None  # the proxy's HTTP status for CONNECT, when it answered
    # What a TLS handshake showed (verification off, SNI = host): sign-in TLS probes, and the
    # endpoint's TCP probes, which also handshake to tell the endpoint from something else.
    tls_seen: TlsSeen | None = None
    tls_public_root: bool | None = None  # sign-in TLS: the chain ends in a public root
    certs: tuple[CertSummary, ...] = ()  # the chain as presented, leaf first
    path_mtu: int | None = None  # QUIC: the path MTU (bytes) the OS learned after EMSGSIZE
    # Why it failed, as the one error map read the socket error and, where the error queue
    # named a sender, ``icmp``/``offender`` refined it (``status`` is the coarse outcome);
    # evidence reads this, never ``errno``. Absent in JSON where none ended the probe.
    cause: Fault = field(default=Fault.NONE, metadata=codec.dense())
    # The ICMP error the socket's error queue named (wsdiag.host.errqueue.IcmpKind value:
    # "prohibited", "port-unreachable", "host-unreachable", "local" ...), None: none read.
    icmp: str | None = field(default=None, metadata=codec.dense())
    # The address that sent that ICMP error; None: not known (no queue on this OS, or a
    # local error). This machine's own address: its own firewall (``icmp`` "local").
    offender: str | None = field(default=None, metadata=codec.dense())


def planned(spec: ProbeSpec) -> ProbeResult:
    """The result of ``spec`` before its probe runs: an error until the probe says otherwise,
    or skipped with the spec's reason."""
    skipped = spec.skip_reason is not None
    return ProbeResult(
        id=spec.id,
        target_id=spec.target_id,
        host=spec.host,
        address=spec.address,
        transport=spec.transport,
        port=spec.port,
        status=Status.SKIPPED if skipped else Status.ERROR,
        detail=spec.skip_reason or "",
        via=spec.via,
    )


@dataclass(frozen=True)
class Finding:
    code: str  # stable, SCREAMING_SNAKE; documented in the README
    severity: Severity
    message: str  # one plain sentence for a person
    remediation: str = ""  # the admin step that fixes it
    probes: tuple[str, ...] = ()  # ids of the probe/DNS results behind it
    rule: str = ""  # classification rule that produced it
    owner: Owner | None = None  # who acts; None only for findings not yet given one
    # fact -> ids of the probe/DNS results behind it: why this finding, traceable in the JSON
    basis: tuple[tuple[str, tuple[str, ...]], ...] = field(default=(), metadata=codec.pairs())
