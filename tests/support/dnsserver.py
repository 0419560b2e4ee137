"""A tiny authoritative DNS server on loopback whose answers the test controls.

Runs in a thread of the test process; the zone is a plain dict the test changes between
runs. Packets are parsed and built by dnspython, not by hand.

    zone = {"name.example": ["127.1.2.3"], "gone.example": NXDOMAIN, "*": DROP}
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

NXDOMAIN = "nxdomain"
SERVFAIL = "servfail"
REFUSED = "refused"
DROP = "drop"  # never answer: the resolver sees silence
Behaviour = str | list[str]  # a keyword above, or addresses (A and AAAA picked by family)


@dataclass
class DnsServer:
    host: str
    zone: dict[str, Behaviour] = field(default_factory=dict)
    port: int = 0
    queries: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind((self.host, self.port))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()

    def __enter__(self) -> DnsServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _lookup(self, name: str) -> Behaviour:
        return self.zone.get(name, self.zone.get("*", NXDOMAIN))

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._sock.recvfrom(4096)
            except (TimeoutError, OSError):
                continue
            with contextlib.suppress(Exception):  # garbage in: no answer, like a real server
                reply = self._answer(dns.message.from_wire(data))
                if reply is not None:
                    self._sock.sendto(reply, peer)

    def _answer(self, query: dns.message.Message) -> bytes | None:
        q = query.question[0]
        name = q.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(q.rdtype)
        self.queries.append((name, rdtype))
        behaviour = self._lookup(name)
        if behaviour == DROP:
            return None
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.AA
        if behaviour == NXDOMAIN:
            reply.set_rcode(dns.rcode.NXDOMAIN)
        elif behaviour == SERVFAIL:
            reply.set_rcode(dns.rcode.SERVFAIL)
        elif behaviour == REFUSED:
            reply.set_rcode(dns.rcode.REFUSED)
        elif isinstance(behaviour, list):
            want = [a for a in behaviour if (":" in a) == (rdtype == "AAAA")]
            if want and rdtype in ("A", "AAAA"):
                reply.answer.append(dns.rrset.from_text_list(q.name, 60, "IN", rdtype, want))
        return reply.to_wire()
