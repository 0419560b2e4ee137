"""IPv4-embedded IPv6 addresses (RFC 6052) and DNS64 discovery (RFC 7050). Pure.

A DNS64 resolver (RFC 6147) answers an AAAA query for a name that has only A records with
AAAA records that embed each IPv4 address under a NAT64 prefix; RFC 7050 discovers the
prefix by asking for ``ipv4only.arpa`` AAAA, whose A records are 192.0.0.170 and .171.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

IPV4ONLY = "ipv4only.arpa"  # RFC 7050 section 2.2
IPV4ONLY_ADDRESSES = ("192.0.0.170", "192.0.0.171")  # RFC 7050 section 2.2
WELL_KNOWN = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052 section 2.1
PREFIX_LENGTHS = (32, 40, 48, 56, 64, 96)  # RFC 6052 section 2.2


def embedded(address: str, length: int) -> str | None:
    """The IPv4 address ``address`` embeds under a /``length`` prefix (RFC 6052 section
    2.2: bits 64-71, the "u" octet, are skipped for prefixes shorter than /96); None for
    an IPv4 address, text that is not an address, or a length RFC 6052 does not define."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if ip.version != 6 or length not in PREFIX_LENGTHS:
        return None
    octets = ip.packed
    if length == 96:
        v4 = octets[12:16]
    else:
        start = length // 8
        # the octets after the prefix, the u octet (index 8) left out
        after = [octets[i] for i in range(start, 16) if i != 8]
        v4 = bytes(after[:4])
    return str(ipaddress.IPv4Address(v4))


def prefix_of(address: str, length: int) -> str:
    """The /``length`` network ``address`` lies in, as text ("fd00:64::/96")."""
    ip = ipaddress.IPv6Address(address.split("%", 1)[0])
    return str(ipaddress.IPv6Network(f"{ip}/{length}", strict=False))


def discovered_prefix(aaaa: Iterable[str]) -> str:
    """The NAT64 prefix an ``ipv4only.arpa`` AAAA answer reveals (RFC 7050 section 3),
    "" when no address embeds one of its well-known IPv4 addresses."""
    for address in aaaa:
        for length in (96, 64, 56, 48, 40, 32):
            if embedded(address, length) in IPV4ONLY_ADDRESSES:
                return prefix_of(address, length)
    return ""


def synthesized_from(address: str, prefix: str) -> str | None:
    """The IPv4 address ``address`` was synthesized from under ``prefix`` (a network such
    as "fd00:64::/96"), None when it is not inside that prefix."""
    try:
        net = ipaddress.IPv6Network(prefix)
        ip = ipaddress.IPv6Address(address.split("%", 1)[0])
    except ValueError:
        return None
    if ip not in net:
        return None
    return embedded(address, net.prefixlen)


def matches_answer(aaaa: Iterable[str], a: Iterable[str]) -> str:
    """A prefix under which every IPv6 address of ``aaaa`` embeds one of the IPv4 addresses
    of ``a`` (the name's own A records): synthesis seen without RFC 7050's help; "" when
    there is none. The same name's A and AAAA answers are both needed."""
    v4 = set(a)
    v6 = list(aaaa)
    if not v4 or not v6:
        return ""
    for length in (96, 64, 56, 48, 40, 32):
        if all(embedded(x, length) in v4 for x in v6):
            prefixes = {prefix_of(x, length) for x in v6}
            if len(prefixes) == 1:
                return prefixes.pop()
    return ""
