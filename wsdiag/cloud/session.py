"""One gather's read-only AWS calls: within a budget, never raising, outcomes only.

Every call:
- has connect and read timeouts from the budget and at most 2 attempts (botocore's standard
  retry mode), and runs in a daemon thread the caller stops waiting for at ``until``;
- ends as a ``Call`` holding its action and outcome only (``classify``). An error's message
  is never kept: botocore's text carries the caller's ARN (often a person's name), so a
  denied call is reported by its action name alone, whatever ``--no-redact`` says;
- is skipped once an earlier one showed that the rest would end the same way.

Credentials come from the standard chain (profile, SSO, environment, container role),
except the instance-metadata lookup, which is removed from this session's chain (on a
laptop it costs a second of silence): a profile that asks for the instance role
(``credential_source = Ec2InstanceMetadata``) still gets it through botocore's own
source-profile path. The user's environment is never modified. botocore and boto3 are
imported inside the functions that use them.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from wsdiag.budgets import (
    AWS_MAX_CALL_TIMEOUT,
    AWS_MAX_PAGES,
    AWS_MIN_CALL_TIMEOUT,
    AWS_THREADS,
)
from wsdiag.vocab.cloud import Call, Outcome

_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedAccess",
    "Forbidden",
}
_REJECTED = {
    "AuthFailure",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "UnrecognizedClientException",
    "SignatureDoesNotMatch",
    "InvalidToken",
}
# Outcomes after which every further call would end the same way: the rest are skipped.
_FUTILE = {Outcome.UNREACHABLE, Outcome.NO_CREDENTIALS, Outcome.REJECTED, Outcome.TIMEOUT}
_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9.]{0,63}$")  # an error code; anything else is dropped


def classify(exc: BaseException) -> tuple[Outcome, str]:
    """An exception from botocore -> (outcome, error code). The code is kept only if it
    looks like one (letters, digits, dots): no message text, ever."""
    from botocore.exceptions import (
        ClientError,
        ConnectionClosedError,
        EndpointConnectionError,
        NoCredentialsError,
        PartialCredentialsError,
        ProfileNotFound,
        ReadTimeoutError,
        TokenRetrievalError,
    )

    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        code = code if _CODE.match(code) else ""
        if code in _DENIED:
            return Outcome.DENIED, ""
        if code in _REJECTED:
            return Outcome.REJECTED, code
        return Outcome.ERROR, code
    if isinstance(exc, ReadTimeoutError):
        return Outcome.TIMEOUT, ""
    if isinstance(exc, (EndpointConnectionError, ConnectionClosedError)):
        return Outcome.UNREACHABLE, ""
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError, ProfileNotFound)):
        return Outcome.NO_CREDENTIALS, type(exc).__name__
    if isinstance(exc, TokenRetrievalError):
        return Outcome.REJECTED, type(exc).__name__
    return Outcome.ERROR, type(exc).__name__


@dataclass
class Session:
    """The calls of one gather: the clients, the clock and the record of outcomes."""

    region: str
    until: float
    make: Callable[[str, float], Any]  # (service, per-call timeout s) -> a boto3 client
    calls: list[Call] = field(default_factory=list)
    clients: dict[str, Any] = field(default_factory=dict)
    stop: Outcome | None = None  # set by a futile outcome: the rest are skipped
    lock: threading.Lock = field(default_factory=threading.Lock)

    def left(self) -> float:
        return self.until - time.monotonic()

    def client(self, service: str) -> Any:
        with self.lock:
            if service not in self.clients:
                # Two attempts of connect + read must fit in what is left.
                t = min(max(self.left() / 4, AWS_MIN_CALL_TIMEOUT), AWS_MAX_CALL_TIMEOUT)
                self.clients[service] = self.make(service, t)
            return self.clients[service]

    def record(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)
            if call.outcome in _FUTILE and self.stop is None:
                self.stop = call.outcome

    def run(self, action: str, fn: Callable[[Any], Any]) -> Any | None:
        """``fn(client)`` for ``action`` ("ec2:DescribeVpcEndpoints"), within the budget:
        its result, or None with the outcome recorded."""
        if self.stop is not None or self.left() < AWS_MIN_CALL_TIMEOUT:
            self.record(Call(action, Outcome.SKIPPED))
            return None
        box: dict[str, Any] = {}
        t0 = time.monotonic()

        def work() -> None:
            try:
                box["value"] = fn(self.client(action.split(":")[0]))
            except BaseException as exc:
                box["error"] = exc

        worker = threading.Thread(target=work, name=f"wsdiag-aws-{action}", daemon=True)
        worker.start()
        worker.join(max(self.left(), 0.0))
        ms = round((time.monotonic() - t0) * 1000, 1)
        if worker.is_alive():  # abandoned: a daemon thread, ended by its own timeouts
            self.record(Call(action, Outcome.TIMEOUT, ms=ms))
            return None
        if "error" in box:
            outcome, code = classify(box["error"])
            self.record(Call(action, outcome, code, ms))
            return None
        self.record(Call(action, Outcome.OK, ms=ms))
        return box.get("value")

    def pages(
        self, action: str, fn: Callable[[Any, dict[str, Any]], dict[str, Any]], key: str
    ) -> list[Any] | None:
        """A NextToken listing, AWS_MAX_PAGES pages at most: the items under ``key``."""

        def every(client: Any) -> list[Any]:
            items: list[Any] = []
            token: dict[str, Any] = {}
            for _ in range(AWS_MAX_PAGES):
                page = fn(client, token)
                items.extend(page.get(key, []))
                if not page.get("NextToken"):
                    break
                token = {"NextToken": page["NextToken"]}
            return items

        return self.run(action, every)


def parallel(jobs: Sequence[Callable[[], None]], until: float) -> None:
    """Run independent reads AWS_THREADS at a time, waiting no later than ``until``."""
    pending = list(jobs)
    while pending:
        batch, pending = pending[:AWS_THREADS], pending[AWS_THREADS:]
        threads = [threading.Thread(target=j, daemon=True) for j in batch]
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(until - time.monotonic(), 0.0))


def client_maker(profile: str | None, region: str) -> Callable[[str, float], Any]:
    """(service, timeout s) -> a boto3 client of one botocore session without the
    instance-metadata credential lookup. Raises botocore's ProfileNotFound for an unknown
    profile (the caller records it as a call outcome)."""
    import boto3
    import botocore.session
    from botocore.config import Config

    core = botocore.session.Session(profile=profile)
    # Read the profile now: an unknown name fails here, once, not in every call.
    core.get_scoped_config()
    resolver = core.get_component("credential_provider")
    resolver.remove("iam-role")  # IMDS: ~1 s of silence off EC2 (see the module docstring)
    session = boto3.session.Session(botocore_session=core, region_name=region)

    def make(service: str, timeout: float) -> Any:
        config = Config(
            connect_timeout=timeout,
            read_timeout=timeout,
            retries={"mode": "standard", "max_attempts": 2},
        )
        return session.client(service, config=config)

    return make
