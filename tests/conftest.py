"""Suite-wide guards."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _no_proxy_from_the_shell() -> Iterator[None]:
    """wsdiag honours the HTTPS proxy in its environment: one set in the developer's shell or
    CI would send the tests' sign-in probes off loopback. Tests that want a proxy set their
    own, pointing at tests.support.proxy on 127.0.0.0/8."""
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.lower().endswith("_proxy"):
                mp.delenv(name)
        yield
