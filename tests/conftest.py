"""Suite-wide guards."""

from __future__ import annotations

import os
import signal
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


@pytest.fixture(autouse=True, scope="session")
def _ctrl_c_reaches_children() -> Iterator[None]:
    """A suite started with SIGINT ignored (a background job of a non-interactive shell,
    `pytest &`) would pass that on to every child it starts (an ignored signal survives
    exec; a handler does not), and the tests that press Ctrl-C on wsdiag would wait in
    vain. wsdiag is right to keep a SIGINT it was started without; the suite's children
    are started with Ctrl-C at its default."""
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, previous)
