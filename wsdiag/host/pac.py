"""Proxy auto-config (PAC) and WPAD: where the OS says the PAC is, and what a PAC answer means.

Pure parsers of each OS's setting (tested on recorded values) and the result types. The
OS reads are in ``wsdiag.host.system``; fetching and evaluating the script happens in a
killable subprocess in ``wsdiag.host.pac_eval``.

What wsdiag assumes (not documented by AWS): the WorkSpaces client honours the PAC the OS is
configured with for its HTTPS sign-in traffic, as WinINet/WinHTTP, CFNetwork and libproxy
based programs do. WPAD is looked up only where the OS has auto-detection switched on, and
only by DNS (``http://wpad.<domain>/wpad.dat``); DHCP option 252 is not read.
"""

from __future__ import annotations

import struct
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class PacKind(StrEnum):
    URL = "url"  # http(s):// or file:// URL
    FILE = "file"  # a local path (--pac FILE, a Windows AutoConfigURL that is a path)
    WPAD = "wpad"  # auto-detection: http://wpad.<domain>/wpad.dat candidates


@dataclass(frozen=True)
class PacSource:
    kind: PacKind
    location: str  # the URL or path; "" for WPAD
    origin: str  # where the setting came from: "--pac", "WinINet (HKCU policy)", "scutil" …


class HopKind(StrEnum):
    DIRECT = "DIRECT"
    PROXY = "PROXY"  # an HTTP proxy (CONNECT for https)
    HTTPS = "HTTPS"  # an HTTPS proxy
    SOCKS = "SOCKS"


@dataclass(frozen=True)
class ChainEntry:
    """One entry of a FindProxyForURL answer ("PROXY a:3128; DIRECT" has two)."""

    kind: HopKind
    host: str | None = None
    port: int | None = None

    def __str__(self) -> str:
        if self.kind is HopKind.DIRECT:
            return self.kind.value
        return f"{self.kind} {self.host}:{self.port}"


@dataclass(frozen=True)
class PacAnswer:
    """FindProxyForURL("https://<host>/", host): the chain, or a problem (then unknown)."""

    host: str
    chain: tuple[ChainEntry, ...] = ()
    raw: str = ""
    problem: str = ""
    broken: bool = False  # the PAC answered, but with entries that are no usable hop


@dataclass(frozen=True)
class PacResult:
    """The PAC evaluation for a run. ``used`` is the PAC actually evaluated (the WPAD URL
    found, the fetched URL), ``answers`` per host; a host without an answer is unknown."""

    sources: tuple[PacSource, ...]
    used: str | None = None
    answers: Mapping[str, PacAnswer] = field(default_factory=dict)
    problem: str = ""  # why no PAC was evaluated ("" when one was)

    def chain_for(self, host: str) -> tuple[ChainEntry, ...] | None:
        """The host's proxy chain, or None when unknown (never "direct" by default)."""
        answer = self.answers.get(host)
        return answer.chain if answer is not None and not answer.problem else None


def chain_from_pypac(entries: Iterable[str]) -> tuple[ChainEntry, ...]:
    """Pure: ``pypac.parser.parse_pac_value`` output ("DIRECT", "http://h:p",
    "https://h:p", "socks5://h:p") -> chain entries. Unparsable entries are skipped."""
    kinds = {
        "http": HopKind.PROXY,
        "https": HopKind.HTTPS,
        "socks4": HopKind.SOCKS,
        "socks5": HopKind.SOCKS,
        "socks": HopKind.SOCKS,
    }
    chain: list[ChainEntry] = []
    for entry in entries:
        if entry.strip().upper() == "DIRECT":
            chain.append(ChainEntry(HopKind.DIRECT))
            continue
        try:  # "http://[bad:3128": urlsplit itself raises (Invalid IPv6 URL)
            parts = urllib.parse.urlsplit(entry)
            port = parts.port
        except ValueError:
            continue
        kind = kinds.get(parts.scheme.lower())
        if kind is not None and parts.hostname:
            chain.append(ChainEntry(kind, parts.hostname, port))
    return tuple(chain)


# A FindProxyForURL answer's keywords and the URL scheme each means (Mozilla's PAC
# "Return value format"; HTTP/HTTPS/SOCKS4/SOCKS5 as Chrome and pypac read them).
_ANSWER_SCHEMES = {
    "PROXY": "http",
    "HTTP": "http",
    "HTTPS": "https",
    "SOCKS": "socks5",
    "SOCKS4": "socks4",
    "SOCKS5": "socks5",
}


def parse_answer(raw: str) -> tuple[tuple[ChainEntry, ...], tuple[str, ...]]:
    """Pure: a FindProxyForURL answer ("PROXY a:3128; DIRECT") -> (the chain, the entries
    that are no usable hop, each cut to 80 characters). An entry is "KEYWORD host:port" or
    DIRECT; a host that is no host (``[bad:3128``), an unknown keyword or a port out of
    range makes an unusable entry, never a skipped one: dropping it would turn
    "PROXY [bad:3128; DIRECT" into DIRECT."""
    chain: list[ChainEntry] = []
    bad: list[str] = []
    for entry in raw.split(";"):
        text = entry.strip()
        if not text:
            continue
        if text.upper() == "DIRECT":
            chain.append(ChainEntry(HopKind.DIRECT))
            continue
        words = text.split()
        scheme = _ANSWER_SCHEMES.get(words[0].upper()) if len(words) == 2 else None
        hop = chain_from_pypac([f"{scheme}://{words[1]}"]) if scheme else ()
        if hop:
            chain.append(hop[0])
        else:
            bad.append(text[:80])
    return tuple(chain), tuple(bad)


def explicit_source(value: str) -> PacSource:
    """Pure: ``--pac URL|FILE`` -> a source (file:// URLs become a FILE)."""
    parts = urllib.parse.urlsplit(value)
    if parts.scheme in ("http", "https"):
        return PacSource(PacKind.URL, value, "--pac")
    if parts.scheme == "file":
        return PacSource(PacKind.FILE, urllib.parse.unquote(parts.path), "--pac")
    return PacSource(PacKind.FILE, value, "--pac")


@dataclass(frozen=True)
class ConnectionSettings:
    """WinINet ``DefaultConnectionSettings`` / WinHTTP ``WinHttpSettings`` blob, decoded."""

    flags: int
    proxy_server: str = ""
    bypass: str = ""
    autoconfig_url: str = ""

    @property
    def auto_detect(self) -> bool:  # "Automatically detect settings" (PROXY_TYPE_AUTO_DETECT)
        return bool(self.flags & 0x08)

    @property
    def uses_autoconfig_url(self) -> bool:  # "Use setup script" (PROXY_TYPE_AUTO_PROXY_URL)
        return bool(self.flags & 0x04)


def parse_connection_settings(blob: bytes) -> ConnectionSettings | None:
    """Pure: decode the binary value. Layout (little-endian DWORDs): version, change counter,
    flags, then length-prefixed proxy server, bypass list and auto-config URL. Returns None
    for a blob too short or with lengths that run past its end."""
    try:
        _version, _counter, flags = struct.unpack_from("<III", blob, 0)
        offset, texts = 12, []
        for _ in range(3):
            (length,) = struct.unpack_from("<I", blob, offset)
            if length > len(blob) - offset - 4:
                return None
            texts.append(blob[offset + 4 : offset + 4 + length].decode("latin-1"))
            offset += 4 + length
    except struct.error:
        return None
    return ConnectionSettings(flags, *texts)


def sources_from_windows(values: Iterable[tuple[str, str, str, object]]) -> list[PacSource]:
    """Pure: ``system.windows_internet_settings()`` rows -> sources in the order Windows tries
    them: WPAD when "Automatically detect settings" is on, then the first AutoConfigURL
    (policies before preferences), then WinHTTP's own setting."""
    sources: list[PacSource] = []
    url: PacSource | None = None
    for hive, key, name, data in values:
        where = f"{hive} {'policy' if 'Policies' in key else 'settings'}"
        if name == "AutoConfigURL" and isinstance(data, str) and data.strip() and url is None:
            url = _url_or_path(data.strip(), f"WinINet AutoConfigURL ({where})")
        elif isinstance(data, bytes) and (cs := parse_connection_settings(data)) is not None:
            api = "WinINet" if name == "DefaultConnectionSettings" else "WinHTTP"
            if cs.auto_detect:
                sources.append(PacSource(PacKind.WPAD, "", f"{api} automatic detection"))
            if cs.uses_autoconfig_url and cs.autoconfig_url and api == "WinHTTP":
                sources.append(_url_or_path(cs.autoconfig_url, "WinHTTP settings"))
            elif cs.uses_autoconfig_url and cs.autoconfig_url and url is None:
                url = _url_or_path(cs.autoconfig_url, "WinINet connection settings")
    wpad = [s for s in sources if s.kind is PacKind.WPAD][:1]
    rest = [s for s in sources if s.kind is not PacKind.WPAD]
    return wpad + ([url] if url else []) + rest


def _url_or_path(value: str, origin: str) -> PacSource:
    source = explicit_source(value)
    return PacSource(source.kind, source.location, origin)


def parse_scutil_proxy(text: str) -> dict[str, str]:
    """Pure: the top-level ``key : value`` pairs of ``scutil --proxy`` (nested arrays and
    dictionaries such as ExceptionsList are skipped)."""
    values: dict[str, str] = {}
    depth = 0
    for line in text.splitlines():
        stripped = line.strip()
        if stripped == "}":
            depth -= 1
            continue
        opens = stripped.endswith("{")
        if depth == 1 and " : " in stripped and not opens:
            key, _, value = stripped.partition(" : ")
            values[key.strip()] = value.strip()
        if opens:
            depth += 1
    return values


def sources_from_scutil(text: str) -> list[PacSource]:
    """Pure: macOS ``scutil --proxy`` -> the PAC URL (if enabled), then WPAD (if enabled)."""
    values = parse_scutil_proxy(text)
    sources = []
    url = values.get("ProxyAutoConfigURLString", "")
    if values.get("ProxyAutoConfigEnable") == "1" and url:
        sources.append(_url_or_path(url, "macOS proxy settings (scutil --proxy)"))
    if values.get("ProxyAutoDiscoveryEnable") == "1":
        sources.append(PacSource(PacKind.WPAD, "", "macOS auto proxy discovery"))
    return sources


def parse_gvariant_string(text: str) -> str:
    """Pure: a GVariant string literal as ``gsettings get`` prints it -> the string."""
    value = text.strip()
    if value.startswith("@s "):
        value = value[3:].strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        inner = value[1:-1]
        return inner.replace("\\'", "'").replace('\\"', '"').replace("\\\\", "\\")
    return value


def sources_from_gsettings(mode: str, url: str) -> list[PacSource]:
    """Pure: GNOME ``org.gnome.system.proxy`` mode/autoconfig-url -> sources. Mode 'auto'
    with an empty URL means WPAD (libproxy's reading)."""
    if parse_gvariant_string(mode) != "auto":
        return []
    pac_url = parse_gvariant_string(url)
    if pac_url:
        return [_url_or_path(pac_url, "GNOME proxy settings (autoconfig-url)")]
    return [PacSource(PacKind.WPAD, "", "GNOME proxy settings (automatic, no URL)")]


def discover_sources(
    explicit: str | None = None, reads: Mapping[str, object] | None = None
) -> list[PacSource]:
    """The PAC sources of this machine in the order the OS tries them; ``--pac`` alone when
    given. ``reads`` replaces the OS reads (keys "windows", "scutil", "gsettings") for tests.
    Reads the registry / runs scutil or gsettings (3 s timeout each); never raises."""
    if explicit:
        return [explicit_source(explicit)]
    if reads is None:
        from wsdiag.host import system

        reads = {
            "windows": system.windows_internet_settings(),
            "scutil": system.scutil_proxy(),
            "gsettings": system.gsettings_proxy(),
        }
    found: list[PacSource] = []
    windows = reads.get("windows")
    if isinstance(windows, list):
        found += sources_from_windows(windows)
    scutil = reads.get("scutil")
    if isinstance(scutil, str):
        found += sources_from_scutil(scutil)
    gsettings = reads.get("gsettings")
    if isinstance(gsettings, tuple) and len(gsettings) == 2:
        found += sources_from_gsettings(str(gsettings[0]), str(gsettings[1]))
    return found
