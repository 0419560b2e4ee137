"""What one sample of a path measured, as the sampler hands it on. Pure data."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from wsdiag.vocab.model import Transport, Via


class RttSource(StrEnum):
    """Where a sample's round-trip time comes from."""

    KERNEL = "kernel"  # Linux TCP_INFO tcpi_rtt: the SYN to SYN-ACK time the kernel took
    TIMER = "timer"  # a monotonic timer around the handshake in wsdiag's event loop
    # through an HTTP proxy: the time until the proxy answered CONNECT (TCP to the proxy
    # included): the proxy's round trip to the endpoint plus ours to it, not the session's
    CONNECT_ANSWER = "connect-answer"


@dataclass(frozen=True)
class Sample:
    """One handshake repeated on an answered path.

    ``rtt_ms``: the round trip (ms) when it answered, else None. ``elapsed_ms``: the timer's
    reading to the answer (a TCP sample slower than SAMPLE_RETRANSMIT_MS was retransmitted).
    ``judged``: its whole timeout fell inside the run, so a missing answer was seen as
    missing (only judged samples count for loss: a sample the run's end cut short is
    neither answered nor lost)."""

    rtt_ms: float | None
    elapsed_ms: float | None = None
    judged: bool = True
    source: RttSource = RttSource.TIMER


@dataclass(frozen=True)
class PathSamples:
    """Every sample of one path (an endpoint address, a transport, a port; or the proxy),
    in the order they were sent. ``owns_loss``: the sample owns retransmission (one QUIC
    Initial, a TCP SYN with a timeout below the kernel's first retransmit), so a missing
    answer is a lost packet; through a proxy it is not (the proxy's TCP retransmits)."""

    id: str  # the path's probe id, e.g. "endpoint/quic/4195@10.20.1.10"
    transport: Transport
    port: int
    address: str | None
    via: Via
    samples: tuple[Sample, ...]
    owns_loss: bool
