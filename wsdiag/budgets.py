"""Every time and size budget of a run, in one place, each with why it has that value.

Seconds unless named otherwise. ``bench/`` measures what a run costs against these; tests
never assert timings.
"""

from __future__ import annotations

# --- the user's knobs -----------------------------------------------------------------------
DEFAULT_TIMEOUT = 2.0  # per probe and per DNS lookup: a VPN resolver with a cold cache fits
MAX_TIMEOUT = 60.0  # beyond this a "check" is a hang to the person waiting for it
# A probe shorter than this cannot tell a slow resolver or a distant endpoint from a silent
# one: it would blame the network for wsdiag's own impatience.
MIN_TIMEOUT = 0.05
# The whole run: long enough for the slowest timeout's DNS + connect phases, short enough
# that an engine's job (SSM, Intune) never waits on wsdiag for long.
MAX_DEADLINE = 300.0
# Default whole-run deadline = DNS (one timeout) + the probes (one timeout) + this slack for
# process scheduling on a busy laptop: 2 x timeout + 1.
DEADLINE_SLACK = 1.0

# --- DNS --------------------------------------------------------------------------------------
# A query is re-sent on the same socket every timeout x this share (so about three sends
# per lookup), while it keeps listening for an answer to any of them: one lost datagram is
# not a "timeout", and a slow answer to the first send still counts.
DNS_RETRANSMIT_SHARE = 1 / 3
DNS_MIN_RETRANSMIT = 0.2  # never re-send faster than this: a slow resolver is not flooded
# Servers after the first start one by one within this share of the lifetime, so the last
# one still has at least (1 - share) of the timeout to answer, and a good server after dead
# ones is heard; the first server is asked alone for a while, as the OS resolver would.
DNS_STAGGER_SHARE = 0.5
# The runner's guard over a lookup: the lookup ends itself at its budget; this grace only
# catches a lookup that does not (a bug), and never extends a silent network's cost.
DNS_GUARD_GRACE = 0.05

# --- probes -----------------------------------------------------------------------------------
TLS_MIN_BUDGET = 0.05  # a handshake started with less time left than this cannot finish
# QUIC's own idle timer is set beyond our timeout, so that aioquic never decides for us.
QUIC_IDLE_MARGIN = 10.0
MAX_PROXY_HEAD = 8192  # bytes: a proxy's answer to CONNECT (status lines + headers)

# --- fan-out -----------------------------------------------------------------------------------
# The endpoint addresses probed: the first this many, in answer order. An interface endpoint
# has one address per subnet (availability zone), a handful at most; thousands are a broken
# or hostile answer, and four probes each would outlast any deadline (2,000 addresses cost
# 10.8 s and 420 MB before this cap). The rest are reported as not probed: never "ready".
MAX_ENDPOINT_ADDRESSES = 16
# Probes in flight at once. Each holds a socket (macOS allows 256 descriptors per process by
# default) and QUIC setup costs CPU the event loop needs for the deadline. The default
# catalog with a full endpoint (16 addresses x 4 checks + the internet's ~20) fits, so a
# normal run never waits for a slot; an organisation's large catalog queues, and what the
# deadline then cuts short is reported as such.
MAX_CONCURRENT_PROBES = 96

# --- the run ------------------------------------------------------------------------------------
# The composition root's last guard over the runner (which ends itself at the deadline):
# if this ever fires, it is a bug, reported as an internal error rather than a hang.
RUN_GUARD = 5.0
# The client's logs are context, not the diagnosis: reading them (inside the run deadline,
# which counts from the process start) stops after this share of the deadline, at most
# LOGS_READ_MAX, so a log directory built to be slow costs a fraction of the default
# deadline's slack (start-up ~0.3 s + logs <= 0.5 s < DEADLINE_SLACK), never the probes' time.
LOGS_DEADLINE_SHARE = 0.15
LOGS_READ_MAX = 0.5
# The evidence sources gathered after the probes (wsdiag.run): this machine's paths are the
# routes of a few dozen addresses and the process list, read locally without a packet.
HOST_FACTS_BUDGET = 2.0
