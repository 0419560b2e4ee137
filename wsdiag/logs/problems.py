"""Findings about reading the logs themselves: files missing, unreadable, read in part.
Pure: from the reader's ReadProblems to Findings."""

from __future__ import annotations

from collections.abc import Sequence

from wsdiag.logs.files import ProblemKind, ReadProblem
from wsdiag.vocab.model import Owner, Severity
from wsdiag.vocab.results import Finding


def problem_findings(problems: Sequence[ReadProblem]) -> list[Finding]:
    out: list[Finding] = []
    for p in problems:
        if p.kind is ProblemKind.NOT_FOUND:
            out.append(
                Finding(
                    code="LOGS_NOT_FOUND",
                    severity=Severity.WARNING,
                    message=f"{p.path}: {p.detail}.",
                    remediation="Check the path; give the client's log file or directory.",
                    rule="files",
                )
            )
        elif p.kind in (ProblemKind.TOO_LARGE, ProblemKind.LONG_LINES):
            out.append(
                Finding(
                    code="LOGS_READ_IN_PART",
                    severity=Severity.WARNING if p.kind is ProblemKind.TOO_LARGE else Severity.INFO,
                    message=f"Read {p.path} only in part: {p.detail}.",
                    remediation=(
                        "Nothing to do for skipped long lines (no client message is that "
                        "long). For a file over the size cap, pass a smaller copy of its "
                        "relevant part."
                    ),
                    rule="files",
                )
            )
        elif p.kind is ProblemKind.NOT_REGULAR:
            out.append(
                Finding(
                    code="LOGS_UNREADABLE",
                    severity=Severity.WARNING,
                    message=f"Did not read {p.path}: {p.detail}.",
                    remediation="Give the client's log files or their directory, nothing else.",
                    rule="files",
                )
            )
        else:
            out.append(
                Finding(
                    code="LOGS_UNREADABLE",
                    severity=Severity.WARNING,
                    message=f"Could not read {p.path}: {p.detail}.",
                    remediation=(
                        "Run wsdiag as the user who runs the WorkSpaces client, or copy the "
                        "logs somewhere readable and pass that path."
                    ),
                    rule="files",
                )
            )
    return out


def no_logs_finding(searched: Sequence[str]) -> Finding:
    where = "; ".join(searched) if searched else "no known location on this OS"
    return Finding(
        code="LOGS_NOT_FOUND",
        severity=Severity.WARNING,
        message=f"No WorkSpaces client log files were found (looked in: {where}).",
        remediation=(
            "Start the WorkSpaces client and connect once, or pass the log file or directory "
            "as an argument."
        ),
        rule="files",
        owner=Owner.USER,
    )
