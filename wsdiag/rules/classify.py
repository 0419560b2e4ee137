"""Evidence -> environment, verdict and findings: the entry point the composition root and
the tests use. The rows live in environment.py (environment), endpoint.py (DNS and the
endpoint), internet.py (sign-in, proxy, health check); verdict.py judges. Pure."""

from __future__ import annotations

from wsdiag.rules.environment import ENVIRONMENT_RULES, environment_of
from wsdiag.rules.verdict import FINDING_RULES, READY_FACTS, diagnose, unmeasured, verdict_of

__all__ = [
    "ENVIRONMENT_RULES",
    "FINDING_RULES",
    "READY_FACTS",
    "diagnose",
    "environment_of",
    "unmeasured",
    "verdict_of",
]
