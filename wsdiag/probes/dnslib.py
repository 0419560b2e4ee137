"""dnspython as wsdiag uses it: plain DNS over UDP and TCP. Import this before any ``dns.*``
module that checks optional features at import time.

dnspython decides at import whether DNS over QUIC (aioquic) and over HTTPS (httpx) are
available, and when aioquic is installed (wsdiag's QUIC probe needs it) importing
``dns.asyncquery`` imports aioquic's whole HTTP/3 stack: ~150 ms and several MB before the
first query, in a run that may never send a QUIC packet. wsdiag never speaks DoQ or DoH,
so those features are turned off with dnspython's own switch (``dns._features.force``,
"a workaround for any cases where importlib.metadata is ineffective"). IDNA 2008 is
off too: every name wsdiag resolves was checked to be an ASCII host name first
(plan.check_host), and the check would cost an importlib.metadata lookup.
"""

from __future__ import annotations

try:
    import dns._features as _features

    for _feature in ("doq", "doh", "idna"):
        _features.force(_feature, False)
except (ImportError, AttributeError):  # a dnspython without the switch: slower, not wrong
    pass
