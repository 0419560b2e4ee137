"""A tiny authoritative DNS server on loopback whose answers the test controls.

Runs in a thread of the test process; the zone is a plain dict the test changes between
runs. Packets are parsed and built by dnspython, not by hand.

    zone = {"name.example": ["127.1.2.3"], "gone.example": NXDOMAIN, "*": DROP,
            "slow.example": Reply(["127.1.2.4"], delay=0.8),
            "bogus.example": Reply(["127.1.2.6"], rcode=SERVFAIL, ede=(10, "no RRSIG"),
                                   answer_with_cd=True),  # a validator's DNSSEC failure
            "alias.example": Reply(cname="name.example"),  # the chain's records included
            "mixed.example": Reply(["127.1.2.5"], extra={"other.example": ["127.6.6.6"]})}

A ``Reply`` is sent after ``delay`` seconds (from a timer thread, so other queries are
answered meanwhile), to every query (each retransmission gets its own late answer).
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass, field

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

NXDOMAIN = "nxdomain"
SERVFAIL = "servfail"
REFUSED = "refused"
DROP = "drop"  # never answer: the resolver sees silence
GARBAGE = "garbage"  # answer with bytes that are not DNS


@dataclass(frozen=True)
class Reply:
    """An answer with more to it than a list of addresses."""

    addresses: list[str] = field(default_factory=list)
    delay: float = 0.0  # seconds before the answer is sent
    cname: str | None = None  # the name is an alias: CNAME, then the target's records
    extra: dict[str, list[str]] = field(default_factory=dict)  # records owned by other names
    rcode: str = ""  # "servfail", "refused", "nxdomain": this rcode instead of the records
    ede: tuple[int, str] | None = None  # an RFC 8914 extended error attached (EDNS queries)
    # A validating resolver's view: with the CD bit set the records are sent, whatever
    # ``rcode`` says (RFC 4035 section 3.2.2)
    answer_with_cd: bool = False


Behaviour = str | list[str] | Reply  # a keyword above, addresses (A/AAAA by family), a Reply


@dataclass
class DnsServer:
    host: str
    zone: dict[str, Behaviour] = field(default_factory=dict)
    port: int = 0
    queries: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        if family == socket.AF_INET6:  # "fe80::53%d0": the scope goes into the 4-tuple
            info = socket.getaddrinfo(self.host, self.port, family, socket.SOCK_DGRAM)
            self._sock.bind(info[0][4])
        else:
            self._sock.bind((self.host, self.port))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        """As ``--nameserver`` takes it: ``127.0.0.1:5353`` or ``[::1]:5353``."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

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
                query = dns.message.from_wire(data)
                behaviour = self._lookup(query.question[0].name.to_text(True).lower())
                reply = self._answer(query)
                if reply is None:
                    continue
                if isinstance(behaviour, Reply) and behaviour.delay > 0:
                    timer = threading.Timer(behaviour.delay, self._send, (reply, peer))
                    timer.daemon = True
                    timer.start()
                else:
                    self._sock.sendto(reply, peer)

    def _send(self, reply: bytes, peer: tuple[str, int]) -> None:
        if not self._stop.is_set():
            with contextlib.suppress(OSError):
                self._sock.sendto(reply, peer)

    def _answer(self, query: dns.message.Message) -> bytes | None:
        q = query.question[0]
        name = q.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(q.rdtype)
        self.queries.append((name, rdtype))
        behaviour = self._lookup(name)
        if behaviour == DROP:
            return None
        if behaviour == GARBAGE:
            return b"\x00\x01garbage"
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.AA
        if behaviour == NXDOMAIN:
            reply.set_rcode(dns.rcode.NXDOMAIN)
        elif behaviour == SERVFAIL:
            reply.set_rcode(dns.rcode.SERVFAIL)
        elif behaviour == REFUSED:
            reply.set_rcode(dns.rcode.REFUSED)
        elif isinstance(behaviour, list):
            _records(reply, q.name, rdtype, behaviour)
        elif isinstance(behaviour, Reply):
            cd = bool(query.flags & dns.flags.CD)
            codes = {NXDOMAIN: dns.rcode.NXDOMAIN, SERVFAIL: dns.rcode.SERVFAIL,
                     REFUSED: dns.rcode.REFUSED}  # fmt: skip
            if behaviour.rcode and not (cd and behaviour.answer_with_cd):
                reply.set_rcode(codes[behaviour.rcode])
            else:
                self._reply(reply, q.name, rdtype, behaviour)
            if behaviour.ede is not None and query.edns >= 0:
                code, text = behaviour.ede
                reply.use_edns(0, options=[dns.edns.EDEOption(code, text)])
        return reply.to_wire()

    def _reply(
        self, reply: dns.message.Message, qname: dns.name.Name, rdtype: str, behaviour: Reply
    ) -> None:
        owner, seen = qname, 0
        while isinstance(behaviour, Reply) and behaviour.cname is not None and seen < 20:
            target = dns.name.from_text(behaviour.cname)
            reply.answer.append(
                dns.rrset.from_text_list(owner, 60, "IN", "CNAME", [target.to_text()])
            )
            owner, seen = target, seen + 1
            behaviour = self._lookup(target.to_text(True).lower())  # type: ignore[assignment]
        if isinstance(behaviour, Reply):
            _records(reply, owner, rdtype, behaviour.addresses)
            for name, addresses in behaviour.extra.items():
                _records(reply, dns.name.from_text(name), rdtype, addresses)
        elif isinstance(behaviour, list):
            _records(reply, owner, rdtype, behaviour)


def _records(
    reply: dns.message.Message, owner: dns.name.Name, rdtype: str, addresses: list[str]
) -> None:
    want = [a for a in addresses if (":" in a) == (rdtype == "AAAA")]
    if want and rdtype in ("A", "AAAA"):
        reply.answer.append(dns.rrset.from_text_list(owner, 60, "IN", rdtype, want))


def zone_from_json(spec: dict[str, object]) -> dict[str, Behaviour]:
    """A zone written as JSON: name -> [addresses] | "servfail" | "nxdomain" | "drop" |
    {"addresses": [...], "delay": 3.0} (a Reply)."""
    zone: dict[str, Behaviour] = {}
    for name, value in spec.items():
        if isinstance(value, dict):
            zone[name] = Reply(list(value.get("addresses", [])), delay=float(value.get("delay", 0)))
        elif isinstance(value, list):
            zone[name] = [str(a) for a in value]
        else:
            zone[name] = str(value)
    return zone


def main(argv: list[str] | None = None) -> None:
    """``python -m tests.support.dnsserver --listen IP --zone FILE``: serve one zone on
    port 53 of IP until SIGTERM (the namespace lab's scripted resolvers); prints "ready"."""
    import argparse
    import json
    import signal
    import sys
    import time

    p = argparse.ArgumentParser()
    p.add_argument("--listen", required=True)
    p.add_argument("--zone", required=True)
    p.add_argument("--port", type=int, default=53)
    args = p.parse_args(argv)
    with open(args.zone) as fh:
        zone = zone_from_json(json.load(fh))
    server = DnsServer(args.listen, zone, port=args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    try:
        while not stop.is_set():
            time.sleep(0.2)
    finally:
        server.close()
        sys.stdout.flush()


if __name__ == "__main__":
    main()
