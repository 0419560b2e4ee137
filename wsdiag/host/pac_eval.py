"""Fetch and evaluate a PAC script in a child process that is killed at the deadline.

JavaScript evaluation (an endless loop in a PAC), its ``dnsResolve()`` and the fetch's name
lookup can all block beyond any socket timeout, so the whole of it runs in
``python -m wsdiag.host.pac_eval``: the parent sends one JSON request on stdin, the child
prints one JSON line per fact as it learns it, and whatever the child had not printed when
the deadline comes stays unknown. ``pypac`` (with its ``dukpy`` JS engine) is imported only
in the child, only when a PAC is configured.

On the wire: the PAC URL (or each WPAD candidate) is fetched directly, never through a proxy,
with ``fetch_timeout``; it counts as one more target of the run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from typing import Any

from wsdiag.host.pac import PacAnswer, PacKind, PacResult, PacSource, parse_answer

MAX_PAC_BYTES = 1 << 20  # a PAC is a few KB; more is not a PAC


def evaluate_pac(
    sources: PacSource | Sequence[PacSource],
    hosts: Iterable[str],
    deadline: float,
    fetch_timeout: float = 3.0,
    nameservers: Sequence[tuple[str, int]] = (),
) -> PacResult:
    """FindProxyForURL("https://<host>/", host) for each host, with the first source that
    loads. ``deadline`` is a ``time.monotonic()`` value; the child is killed when it passes
    and hosts without an answer by then are unknown. ``nameservers`` ((IP, port), the run's
    ``--nameserver``): the PAC's dnsResolve()/isResolvable() ask them, not the OS resolver,
    each lookup within ``fetch_timeout`` s. Never raises."""
    srcs = (sources,) if isinstance(sources, PacSource) else tuple(sources)
    names = list(dict.fromkeys(hosts))
    if not srcs:
        return PacResult((), problem="no PAC configured")
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return PacResult(srcs, problem="the run deadline passed before the PAC was read")
    request = {
        "sources": [[s.kind.value, s.location] for s in srcs],
        "hosts": names,
        "fetch_timeout": min(fetch_timeout, remaining),
        "nameservers": [[ip, port] for ip, port in nameservers],
        "dns_timeout": min(fetch_timeout, remaining),
    }
    try:
        proc = subprocess.Popen(
            child_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=_child_env(),
        )
    except OSError as exc:
        return PacResult(srcs, problem=f"the PAC evaluator could not start ({exc.strerror})")
    timed_out = False
    try:
        out, _ = proc.communicate(json.dumps(request), timeout=remaining)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        out, _ = proc.communicate()
    return result_from_lines(srcs, names, out.splitlines(), timed_out)


CHILD_ENV = "WSDIAG_PAC_CHILD"  # set: the single-file binary starts as the PAC evaluator


def child_command() -> list[str]:
    """How to start the evaluator: this module under the same Python, or, in the single-file
    binary (where sys.executable is wsdiag itself and there is no ``-m``), the binary with
    CHILD_ENV set (wsdiag/__main__.py reads it)."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "wsdiag.host.pac_eval"]


def _child_env() -> dict[str, str]:
    """The environment with this wsdiag's directory first on PYTHONPATH, so the child runs
    the same code however the parent was started (installed, from a checkout, a test)."""
    import os
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[2])
    path = os.environ.get("PYTHONPATH", "")
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (root, path) if p),
        CHILD_ENV: "1",
    }


def result_from_lines(
    sources: tuple[PacSource, ...], hosts: Sequence[str], lines: Iterable[str], timed_out: bool
) -> PacResult:
    """Pure: the child's JSON lines -> the result; hosts it did not answer get a problem."""
    used: str | None = None
    problem = ""
    answers: dict[str, PacAnswer] = {}
    for line in lines:
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if not isinstance(msg, dict):
            continue
        if "pac" in msg:
            used, problem = msg["pac"], str(msg.get("problem", ""))
        elif "host" in msg and msg["host"] in hosts:
            if msg.get("error"):
                answers[msg["host"]] = PacAnswer(msg["host"], problem=str(msg["error"]))
            else:
                raw = str(msg.get("raw", ""))
                chain, bad = parse_answer(raw)
                if bad:
                    why = (
                        f"FindProxyForURL answered {raw[:120]!r}: "
                        + ", ".join(repr(b) for b in bad[:3])
                        + " is no proxy address"
                    )
                    answers[msg["host"]] = PacAnswer(msg["host"], (), raw, why, broken=True)
                    continue
                empty = "" if chain else f"FindProxyForURL returned nothing usable ({raw[:80]!r})"
                answers[msg["host"]] = PacAnswer(msg["host"], chain, raw, empty)
        elif "problem" in msg:
            problem = str(msg["problem"])
    why = "FindProxyForURL did not answer before the deadline (the PAC evaluator was stopped)"
    if not timed_out:
        why = problem or "the PAC evaluator gave no answer"
    for host in hosts:
        answers.setdefault(host, PacAnswer(host, problem=why))
    if timed_out and not problem and used is None:
        problem = "the PAC could not be fetched before the deadline"
    return PacResult(sources, used, answers, problem)


# ---- the child ---------------------------------------------------------------------------


def _emit(msg: dict[str, Any]) -> None:
    print(json.dumps(msg), flush=True)


def _fetch(url: str, timeout: float) -> str:
    import urllib.parse
    import urllib.request

    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"unsupported PAC URL scheme {parts.scheme!r}")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # PACs load direct
    with opener.open(url, timeout=timeout) as response:
        data: bytes = response.read(MAX_PAC_BYTES + 1)
    if len(data) > MAX_PAC_BYTES:
        raise ValueError("larger than 1 MB")
    return data.decode("utf-8", "replace")


def _candidates(kind: str, location: str) -> list[tuple[str, str]]:
    """(how to load, where) for one source; WPAD expands to its DNS candidate URLs."""
    if kind == PacKind.WPAD:
        from pypac.wpad import proxy_urls_from_dns

        return [("url", u) for u in proxy_urls_from_dns()]
    return [("file" if kind == PacKind.FILE else "url", location)]


def _load(sources: list[list[str]], timeout: float) -> tuple[str | None, str | None, str]:
    """(script, where it came from, problem) for the first source that loads."""
    problems = []
    for kind, location in sources:
        cands = _candidates(kind, location)
        if not cands:
            problems.append("WPAD: this machine has no DNS domain to search")
        for how, where in cands:
            try:
                if how == "file":
                    with open(where, encoding="utf-8", errors="replace") as handle:
                        return handle.read(MAX_PAC_BYTES), where, ""
                return _fetch(where, timeout), where, ""
            except (OSError, ValueError) as exc:
                problems.append(f"{where}: {getattr(exc, 'reason', None) or exc}")
    return None, None, "the PAC could not be loaded (" + "; ".join(problems) + ")"


def _child() -> None:
    import warnings

    warnings.simplefilter("ignore")  # pypac warns on entries it skips; the chain shows it
    request = json.loads(sys.stdin.read())
    script, used, problem = _load(request["sources"], float(request["fetch_timeout"]))
    _emit({"pac": used, "problem": problem})
    if script is None:
        return
    from pypac.parser import PACFile

    servers = [(str(ip), int(port)) for ip, port in request.get("nameservers") or ()]
    if servers:
        _resolve_with(servers, float(request.get("dns_timeout") or request["fetch_timeout"]))
    try:
        pac = PACFile(script)
    except Exception as exc:  # MalformedPacError and whatever the JS engine raises
        _emit({"problem": f"the PAC script does not run ({type(exc).__name__}: {exc})"[:300]})
        return
    for host in request["hosts"]:
        try:
            raw = str(pac.find_proxy_for_url(f"https://{host}/", host))
        except Exception as exc:
            _emit({"host": host, "error": f"FindProxyForURL failed ({type(exc).__name__})"})
            continue
        _emit({"host": host, "raw": raw})  # parsed by the parent (pac.parse_answer)


def _resolve_with(servers: list[tuple[str, int]], timeout: float) -> None:
    """Route the PAC's DNS functions (dnsResolve, isResolvable, their -Ex forms, and through
    them isInNet, isInNetEx) to ``servers`` instead of the OS resolver: ``--nameserver``
    promises the OS is not asked. pypac injects the functions of its
    ``parser_functions.function_injections`` and ``parser_functions_ex.function_injections``
    into the JS context when a PACFile is built, and isInNet looks dnsResolve up in its
    module, so both the tables and the module names are replaced (before PACFile()).
    myIpAddress() would resolve this machine's name: it answers the local address that routes
    to the first server instead (a UDP connect, which sends nothing)."""
    import ipaddress
    import socket

    import dns.exception
    import dns.nameserver
    import dns.resolver
    import pypac.parser_functions as pf
    import pypac.parser_functions_ex as pfx

    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [dns.nameserver.Do53Nameserver(ip, port) for ip, port in servers]
    resolver.timeout = resolver.lifetime = timeout

    def addresses(host: object, rdtype: str) -> list[str]:
        name = str(host)
        try:
            ipaddress.ip_address(name)
            return [name]
        except ValueError:
            pass
        try:
            answer = resolver.resolve(name, rdtype, search=False, raise_on_no_answer=False)
        except (dns.exception.DNSException, ValueError):
            return []
        return [str(r.address) for r in answer.rrset] if answer.rrset else []

    def dns_resolve(host: object) -> str:
        found = [a for a in addresses(host, "A") if ":" not in a]
        return found[0] if found else ""

    def dns_resolve_ex(host: object) -> str:
        return ";".join(addresses(host, "AAAA") + addresses(host, "A"))

    def my_ip() -> str:
        ip, port = servers[0]
        family = socket.AF_INET6 if ":" in ip else socket.AF_INET
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect((ip, port))
                return str(sock.getsockname()[0])
        except OSError:
            return "127.0.0.1"

    plain = {
        "dnsResolve": dns_resolve,
        "isResolvable": lambda host: dns_resolve(host) != "",
        "myIpAddress": my_ip,
    }
    extended = {
        "dnsResolveEx": dns_resolve_ex,
        "isResolvableEx": lambda host: dns_resolve_ex(host) != "",
        "myIpAddressEx": my_ip,
    }
    for module, table in ((pf, plain), (pfx, extended)):
        for name, func in table.items():
            setattr(module, name, func)
            module.function_injections[name] = func


def child_main() -> None:
    """The evaluator's entry: a JSON request on stdin, one JSON line per host on stdout."""
    _child()


if __name__ == "__main__":
    _child()
