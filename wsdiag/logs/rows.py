"""The LOGS_* codes as rows: severity, who acts, and when each fires (the README's findings
table is generated from these, with the check's rows). Pure data."""

from __future__ import annotations

from dataclasses import dataclass

from wsdiag.vocab.model import Owner, Severity


@dataclass(frozen=True)
class LogRule:
    """What the docs say about one LOGS_* code, and who acts on it."""

    code: str
    severity: Severity  # the most it can be
    owner: Owner
    when: str


LOG_RULES: tuple[LogRule, ...] = (
    LogRule(
        "LOGS_NO_ENDPOINT_REACHABLE",
        Severity.ERROR,
        Owner.NETWORK,
        'the last session logged "No endpoints are reachable"',
    ),
    LogRule(
        "LOGS_PCOIP_RESOURCE_NOT_FOUND",
        Severity.ERROR,
        Owner.AWS,
        "the broker refused a PCoIP WorkSpace (RESOURCE_NOT_FOUND): PCoIP cannot use the "
        "VPC endpoint and its internet fallback is off",
    ),
    LogRule(
        "LOGS_QUIC_UNREACHABLE",
        Severity.WARNING,
        Owner.NETWORK,
        "the last session reached the endpoint over TCP only; QUIC was offered",
    ),
    LogRule(
        "LOGS_4195_UNREACHABLE",
        Severity.WARNING,
        Owner.AWS,
        "the last session reached the endpoint on 443 only; 4195 was offered",
    ),
    LogRule(
        "LOGS_BROKER_ERROR",
        Severity.WARNING,
        Owner.AWS,
        "the broker returned an error code in the last session",
    ),
    LogRule(
        "LOGS_CLIENT_TOO_OLD_FOR_443_FALLBACK",
        Severity.WARNING,
        Owner.DESKTOP,
        "the client predates the 443 fallback (Windows/macOS < 5.23, Linux < 2024.7); "
        "info unless its last session found no endpoint",
    ),
    LogRule("LOGS_NOT_FOUND", Severity.WARNING, Owner.USER, "no client log files found"),
    LogRule("LOGS_UNREADABLE", Severity.WARNING, Owner.USER, "a log file could not be read"),
    LogRule(
        "LOGS_VPC_ENDPOINT_IN_USE",
        Severity.INFO,
        Owner.USER,
        "the client was given a PrivateLink endpoint: streaming needs a route to the VPC",
    ),
    LogRule(
        "LOGS_INTERNET_ENDPOINT_IN_USE",
        Severity.INFO,
        Owner.AWS,
        "the client was given public streaming gateways, not a PrivateLink endpoint",
    ),
    LogRule(
        "LOGS_NO_SESSIONS",
        Severity.INFO,
        Owner.USER,
        "the logs record no streaming session in the period read",
    ),
    LogRule(
        "LOGS_CLIENT_ERROR",
        Severity.ERROR,
        Owner.DESKTOP,
        "the client logged an error (no broker code) before trying any endpoint, or "
        "with no session at all",
    ),
    LogRule(
        "LOGS_UNKNOWN_FORMAT",
        Severity.WARNING,
        Owner.USER,
        "lines in no known format, and no session found in the rest",
    ),
    LogRule(
        "LOGS_READ_IN_PART",
        Severity.WARNING,
        Owner.USER,
        "a log file read only in part: size or gzip-expansion cap (warning), or lines "
        "over 64 kB that span read blocks skipped (info)",
    ),
)
OWNERS = {r.code: r.owner for r in LOG_RULES}
