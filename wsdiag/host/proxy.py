"""The machine's HTTPS proxy: found by the standard library, applied to a plan. No network.

``urllib.request.getproxies()`` reads the ``*_proxy`` environment variables or, where none
are set, the Windows registry (Internet Settings) or macOS SystemConfiguration, and
``proxy_bypass(host)`` reads ``no_proxy`` / ProxyOverride / the exceptions list the same
way: wsdiag parses none of those itself. getproxies() does not evaluate PAC files or WPAD;
``wsdiag.host.pac_route`` does, and its route replaces this one where a PAC applies.

Only an ``http://`` proxy for the ``https`` scheme is tested (HTTP CONNECT). Credentials
in the proxy URL are dropped as soon as it is parsed: they are never printed, and never
sent, because the WorkSpaces client does not support proxies that require them either.
"""

from __future__ import annotations

import os
import sys
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from wsdiag.vocab.model import ProxyMode, ProxyRoute

Bypass = Callable[[str], bool]
_DEFAULT_PORTS = {
    "http": 80,
    "https": 443,
    "socks": 1080,
    "socks4": 1080,
    "socks4a": 1080,
    "socks5": 1080,
    "socks5h": 1080,
}


@dataclass(frozen=True)
class ProxyConfig:
    """The HTTPS proxy setting as found, credentials already removed."""

    url: str  # redacted: "http://***@proxy.corp:3128" when the setting had credentials
    scheme: str
    host: str | None
    port: int | None
    source: str  # "environment" | "system"
    bypass: Bypass
    problem: str = ""  # why wsdiag cannot test through it ("" when it can)
    unreadable: bool = False  # the settings could not be read at all (see discover_safely)
    invalid: bool = False  # the setting is no proxy URL (bracket, port, host): ``problem`` says


def discover() -> ProxyConfig | None:
    """The proxy the OS would use for https://, or None. Reads the environment/registry."""
    if sys.platform == "win32":
        from wsdiag.host.identity import proxy_view

        view = proxy_view()  # Windows SYSTEM: the signed-in user's or the WinHTTP proxy
        if view is not None:
            return config_from(view.proxies, view.bypass, "system")
    elif sys.platform != "darwin" and not any(k.lower().endswith("_proxy") for k in os.environ):
        # Here getproxies() reads only the *_proxy variables, and there are none: it would
        # answer {}. Said without importing urllib.request (~10 ms before the first packet).
        return None
    import urllib.request

    proxies = urllib.request.getproxies()
    source = "environment" if urllib.request.getproxies_environment() else "system"
    return config_from(proxies, urllib.request.proxy_bypass, source)


def discover_safely() -> ProxyConfig | None:
    """``discover()``, never raising: settings that cannot be read may name a proxy the
    client uses, so they become a config wsdiag cannot test through (those paths are then
    left untested, unknown), rather than a direct test that could report a false
    "blocked"."""
    try:
        return discover()
    except Exception as exc:
        return ProxyConfig(
            "<unreadable>",
            "",
            None,
            None,
            "system",
            _never,
            f"the proxy settings could not be read ({exc.__class__.__name__})",
            unreadable=True,
        )


def _never(host: str) -> bool:
    return False


def config_from(proxies: Mapping[str, str], bypass: Bypass, source: str) -> ProxyConfig | None:
    """Pure: getproxies()-shaped mapping -> the https proxy, parsed and redacted."""
    raw = (proxies.get("https") or "").strip()
    if not raw:
        return None
    # Without a scheme ("proxy:3128", as curl and Windows accept it) a proxy is HTTP.
    text = raw if "://" in raw else f"http://{raw}"
    try:
        parts = urllib.parse.urlsplit(text)
    except ValueError:  # "http://[bad:3128": an IPv6 bracket left open
        scheme = text.split("://", 1)[0].lower()
        return ProxyConfig(
            f"{scheme}://<unreadable>",
            scheme,
            None,
            None,
            source,
            bypass,
            "the proxy setting is not a valid URL (a [ of an IPv6 address left open?)",
            invalid=True,
        )
    scheme = parts.scheme.lower()
    try:
        host, port = parts.hostname, parts.port
    except ValueError:  # a port not a number or out of range: say so, without echoing it
        return ProxyConfig(
            f"{scheme}://<unreadable>",
            scheme,
            None,
            None,
            source,
            bypass,
            "the proxy setting has no valid port (a number from 1 to 65535)",
            invalid=True,
        )
    if port == 0:  # urlsplit accepts it; no proxy listens there, and 80 would be a guess
        return ProxyConfig(
            f"{scheme}://<unreadable>",
            scheme,
            None,
            None,
            source,
            bypass,
            "the proxy setting has no valid port (0)",
            invalid=True,
        )
    port = port if port is not None else _DEFAULT_PORTS.get(scheme)
    credentials = parts.username is not None or parts.password is not None
    shown_host = f"[{host}]" if host and ":" in host else (host or "")
    url = f"{scheme}://{'***@' if credentials else ''}{shown_host}" + (f":{port}" if port else "")
    problem = ""
    if not host:
        problem = "the proxy setting names no host"
    elif scheme != "http":
        problem = f"wsdiag tests http:// proxies only (HTTP CONNECT), not {scheme}://"
    return ProxyConfig(url, scheme, host, port, source, bypass, problem, invalid=not host)


def route(config: ProxyConfig | None, hosts: Iterable[str], use_proxy: bool) -> ProxyRoute:
    """How this run treats the proxy; ``hosts`` are the planned names to test the bypass on."""
    if config is None:
        return ProxyRoute(ProxyMode.NONE)
    if not use_proxy:
        if config.unreadable:
            return ProxyRoute(ProxyMode.DISABLED)
        return ProxyRoute(ProxyMode.DISABLED, url=config.url, source=config.source)
    bypassed = tuple(h for h in dict.fromkeys(hosts) if _bypassed(config.bypass, h))
    if config.problem:
        return ProxyRoute(
            ProxyMode.UNTESTED,
            url=config.url,
            source=config.source,
            bypassed=bypassed,
            reason=config.problem,
            invalid=config.invalid,
        )
    return ProxyRoute(
        ProxyMode.PROXY,
        url=config.url,
        host=config.host,
        port=config.port,
        source=config.source,
        bypassed=bypassed,
    )


def _bypassed(bypass: Bypass, host: str) -> bool:
    try:
        return bool(bypass(host))
    except Exception:  # an OS settings read that fails: the client would use the proxy
        return False
