"""Rows about streaming behind an HTTP proxy (issue 17): the route the client's DCV TCP
stream takes (``wsdiag.evidence.client_paths``, the table ``wsdiag.clientpaths``), the proxy's
answers to ``CONNECT <private name>:4195/443`` read one by one (RFC 9110 §15: 403/405 its
policy, 500/502/503/504 its own reach, 407 credentials), and a private name that does not
resolve behind a proxy (Private DNS names off, as AWS advises for proxies). Pure.

Severity of a proxy's answer follows the route: where the client streams through the proxy
(``tcp_via_proxy``) the answer is its path (an error when no TCP path opens through it);
where it streams direct, the answer is information.
"""

from __future__ import annotations

import re

from wsdiag.fallback443 import FALLBACK_FROM
from wsdiag.rules.facts import CheckFacts, CheckRule, FireFn, proxy_readings
from wsdiag.vocab.evidence import Evidence
from wsdiag.vocab.model import DnsOutcome, Owner, Refusal, Severity
from wsdiag.vocab.rows import NOT_YES, FindingRule, Fire, N, U, Y

FALLBACK_CLIENTS = (
    f"Windows and macOS {'.'.join(map(str, FALLBACK_FROM['Windows']))} or later, Linux "
    f"{'.'.join(map(str, FALLBACK_FROM['Linux']))} or later"
)
# The endpoint's own names (S1: *.prod.highlander.<region>.vpce.amazonaws.com)
VPCE_NAME = re.compile(r"^vpce-[a-z0-9-]+\.prod\.highlander\.[a-z0-9-]+\.vpce\.amazonaws\.com$")
_SQUID_NAMES = "acl workspaces dstdomain .highlander.aws.a2z.com .vpce.amazonaws.com"


def _answers(e: Evidence, reading: Refusal) -> str:
    """ ":4195 HTTP 403, :443 HTTP 403" """
    return ", ".join(f":{port} HTTP {code}" for port, code in proxy_readings(e, reading))


def _severity(c: CheckFacts) -> Severity | None:
    """A proxy's answer on the client's path: the row's own severity where no TCP path
    opens through the proxy, else a warning; off its path: information where the direct
    path works or the route is known to be direct, else a warning."""
    e = c.evidence
    if c.tcp_via_proxy is Y:
        return None if e.endpoint_usable is N else Severity.WARNING
    if e.stream_tcp == "direct" or e.endpoint_usable is Y:
        return Severity.INFO
    return Severity.WARNING


def _on_path(c: CheckFacts) -> str:
    if c.tcp_via_proxy is not Y:
        return " The client's stream does not take this path here (see the route's finding)."
    return ""


def _policy_4195(c: CheckFacts) -> Fire:
    e = c.evidence
    also = " (CONNECT to 443 opens)" if e.proxy_stream_443 is Y else ""
    who = ""
    if c.tcp_via_proxy is Y:
        who = (
            f" Clients with the 443 fallback ({FALLBACK_CLIENTS}) stream over CONNECT :443 "
            "instead; older clients cannot stream through this proxy."
        )
        # DCV authenticates over TCP: for a client without the fallback 4195 was the way
        stuck = e.client_fallback_443 is N
        if stuck:
            who += f" {e.stream_client} has no 443 fallback: it cannot stream here."
        severity = None if stuck or e.endpoint_usable is N else Severity.WARNING
    else:
        severity = _severity(c) or Severity.WARNING
    return Fire(
        {
            "url": e.proxy.url,
            "answers": _answers(e, Refusal.POLICY),
            "host": e.endpoint_host,
            "also": also,
            "who": who + _on_path(c),
        },
        basis=("proxy_stream_4195", "proxy_stream_443", "client_fallback_443"),
        severity=severity,
    )


def _reading(reading: Refusal) -> FireFn:
    def fire(c: CheckFacts) -> Fire:
        e = c.evidence
        return Fire(
            {
                "url": e.proxy.url,
                "answers": _answers(e, reading),
                "host": e.endpoint_host,
                "path": _on_path(c),
            },
            basis=("proxy_stream_4195", "proxy_stream_443"),
            severity=_severity(c),
        )

    return fire


def _answer_rule(
    *, name: str, code: str, fact: str, fire: FireFn, when: str, message: str, remediation: str
) -> CheckRule:
    """A row of the proxy's answers to ``CONNECT <private name>`` (one reading of them,
    ``fact`` its flag in CheckFacts): an error at most, owner network, its severity lowered
    by ``fire`` off the client's path (``_severity``); the fire names the CONNECT probes
    behind the answers, so the row declares no basis of its own."""
    return FindingRule(
        name=name,
        code=code,
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when=when,
        message=message,
        remediation=remediation,
        facts=((fact, (Y,)),),
        fire=fire,
        basis=(),
    )


def _proxy_failed(c: CheckFacts) -> Fire | None:
    e = c.evidence
    if e.proxy_stream_answers or c.target_proxy_down is Y:
        return None  # the proxy's answer (or the proxy being down) has its own finding
    return Fire({"url": e.proxy.url, "host": e.endpoint_host})


def _via_proxy(c: CheckFacts) -> Fire:
    e = c.evidence
    if e.stream_tcp == "proxy":
        how = f"{e.stream_client} sends DCV's TCP stream through the proxy ({e.stream_source})"
    else:
        how = (
            "Judged as a client that sends DCV's TCP stream through the proxy would be (which "
            "way this one does is not documented)"
        )
    return Fire({"how": how[:1].upper() + how[1:], "url": e.proxy.url, "host": e.endpoint_host})


def _outcome(route: str, verdict: str, why: str) -> str:
    where = "through the proxy" if route == "proxy" else "direct"
    return f"{where}: {verdict}" + (f" ({why})" if why else "")


def _undecided(c: CheckFacts) -> Fire:
    e = c.evidence
    outcomes = "; ".join(_outcome(*o) for o in c.stream_outcomes)
    return Fire(
        {
            "client": e.stream_client,
            "source": e.stream_source,
            "url": e.proxy.url,
            "outcomes": outcomes,
        },
        basis=("proxy_stream_4195", "proxy_stream_443", "endpoint_reachable"),
    )


def _vpce_hint(e: Evidence) -> str:
    named = [h for h in e.endpoint_hosts if VPCE_NAME.match(h.lower())]
    if named:
        return f" (the endpoint's own name here: {named[0]})"
    return ""


def _nxdomain_proxy(c: CheckFacts) -> Fire:
    e = c.evidence
    words = {Y: "opens", N: "fails", U: "was not measured"}
    stream = (
        f"CONNECT to {e.endpoint_host} through it: port 4195 {words[e.proxy_stream_4195]}, "
        f"443 {words[e.proxy_stream_443]}"
    )
    # refused by the proxy's policy on both ports: nothing through it carries this name
    dead = (e.proxy_stream_4195, e.proxy_stream_443) == (N, N) and c.proxy_policy_endpoint is Y
    return Fire(
        {"host": e.endpoint_host, "url": e.proxy.url, "stream": stream, "vpce": _vpce_hint(e)},
        basis=("proxy_stream_4195", "proxy_stream_443", "endpoint_a"),
        severity=Severity.ERROR if dead else None,
    )


_ALLOW_NAMES = (
    "AWS lists *.prod.highlander.<region>.vpce.amazonaws.com and "
    "privatelink.prod.<region>.highlander.aws.a2z.com among the names to allow through a proxy"
)

# Made only where both routes were judged (wsdiag.rules.verdict): its fact is set after them.
UNDECIDED: CheckRule = FindingRule(
    name="stream-path-undocumented",
    code="STREAM_PATH_UNKNOWN",
    severity=Severity.WARNING,
    owner=Owner.DESKTOP,
    when="an http proxy, the client's route for DCV's TCP stream is not documented (no "
    "version known, or Linux), and the two routes give different verdicts: both given, "
    "verdict unknown",
    message="Which way {client} sends DCV's TCP stream when the OS has the proxy {url} is "
    "not documented ({source}); QUIC goes direct either way. Both outcomes: {outcomes}.",
    # `check` reads the client's logs from this account's log folder (as root or SYSTEM:
    # the console user's) by default; no option points it at a file (`wsdiag logs PATH`
    # reads one, for a person)
    remediation="Run wsdiag check as the account that runs the WorkSpaces client, after it "
    "has connected once: check reads the client's logs from that account's log folder, and "
    "they give its version and platform (`wsdiag logs` shows what they say), so one answer. "
    "Then fix the path it takes: through the proxy, the proxy's findings; direct, a route "
    "from this network to the endpoint on TCP and UDP 443 and 4195.",
    facts=(("stream_undecided", (Y,)),),
    fire=_undecided,
    basis=(),  # the rules' judgement over two routes; the fire names the probes behind it
)

STREAMING_RULES: tuple[CheckRule, ...] = (
    UNDECIDED,
    FindingRule(
        name="stream-via-proxy",
        code="STREAM_VIA_PROXY",
        severity=Severity.INFO,
        owner=Owner.NETWORK,
        when="the endpoint's TCP paths judged through the http proxy (CONNECT), QUIC direct; "
        "the direct TCP probes shown, not judged; a proxy's idle timeout may cut long sessions",
        message="{how}; QUIC goes direct to {host}. So the endpoint's TCP paths are the answers "
        "of {url} to CONNECT {host} (ports 4195 and 443); the direct TCP probes are shown, not "
        "judged. AWS: most proxies are not designed for long-running WebSocket "
        "connections, so a proxy's idle or connection-lifetime timeout may cut long sessions.",
        remediation="Give CONNECT tunnels to {host} (4195 and 443) a long idle timeout and no "
        "lifetime cap, no caching and no TLS inspection; or put the private name on the "
        "bypass list with a route to the VPC (AWS does not recommend a proxy for desktop "
        "traffic).",
        facts=(("tcp_via_proxy", (Y,)),),
        fire=_via_proxy,
        basis=("proxy_stream_4195", "proxy_stream_443"),
    ),
    _answer_rule(
        name="proxy-denies-connect-4195",
        code="PROXY_DENIES_CONNECT_4195",
        fact="proxy_policy_4195",
        fire=_policy_4195,
        when="the http proxy refuses CONNECT <private name>:4195 by its policy (403/405; "
        "squid's `http_access deny CONNECT !SSL_ports`), not :443; an error for a client "
        "streaming through it without the 443 fallback, info off the client's path where the "
        "direct path works",
        message="The proxy {url} refuses CONNECT to {host} on port 4195 by its policy "
        "({answers}){also}: squid's default 'http_access deny CONNECT !SSL_ports' allows "
        "CONNECT to 443 only, so a client streaming through the proxy cannot use 4195.{who}",
        remediation="Streaming through the proxy (AWS documents HTTP proxies for TCP 4195, "
        "Private DNS names off): add 4195 to the proxy's CONNECT ports (squid: 'acl SSL_ports "
        "port 443 4195'). Streaming direct: keep the private name off the proxy (bypass list).",
    ),
    _answer_rule(
        name="proxy-denies-endpoint",
        code="PROXY_DENIES_ENDPOINT",
        fact="proxy_policy_endpoint",
        fire=_reading(Refusal.POLICY),
        when="the http proxy refuses CONNECT <private name>:443 by its policy (403/405): the "
        "name is not allowed; an error where no TCP path opens through the proxy on the "
        "client's path",
        message="The proxy {url} refuses CONNECT to {host} by its policy ({answers}): its rules "
        "do not allow this name.{path}",
        remediation="Allow CONNECT to the WorkSpaces streaming names on 443 and 4195 "
        f"({_ALLOW_NAMES}; squid: '{_SQUID_NAMES}', 'acl SSL_ports port 443 4195', "
        "'http_access allow CONNECT workspaces SSL_ports' before the deny rules), or keep the "
        "private name off the proxy.",
    ),
    _answer_rule(
        name="proxy-cannot-reach-endpoint",
        code="PROXY_CANNOT_REACH_ENDPOINT",
        fact="proxy_upstream",
        fire=_reading(Refusal.UPSTREAM),
        when="the http proxy answers CONNECT <private name> with 500/502/503/504: it could not "
        "resolve or reach the name itself (its DNS, its route, the endpoint's group)",
        message="The proxy {url} could not resolve or reach {host} itself ({answers}; squid "
        "says ERR_DNS_FAIL or ERR_CONNECT_FAIL): the proxy's own DNS does not give it the "
        "endpoint's addresses, it has no route to the VPC, or the endpoint's security group "
        "does not admit the proxy's address.{path}",
        remediation="On the proxy host: resolve the name (with Private DNS names off only the "
        "endpoint's own vpce-… name resolves; test it with --endpoint-host), route the VPC's "
        "range, and allow TCP 443 and 4195 from the proxy's address in the endpoint's security "
        "group: through a proxy the stream's source is the proxy, not this machine.",
    ),
    _answer_rule(
        name="proxy-endpoint-auth",
        code="PROXY_ENDPOINT_AUTH",
        fact="proxy_auth_endpoint",
        fire=_reading(Refusal.AUTH),
        when="the http proxy answers CONNECT <private name> with 407: credentials the "
        "WorkSpaces clients cannot send",
        message="The proxy {url} asks for credentials to CONNECT to {host} ({answers}): the "
        "WorkSpaces clients do not support proxies that require authentication (AWS admin "
        "guide, device proxy settings).{path}",
        remediation="Exempt the WorkSpaces names from proxy authentication (squid: "
        f"'{_SQUID_NAMES}' and 'http_access allow CONNECT workspaces' before the proxy_auth "
        "rule), or keep the private name off the proxy.",
    ),
    FindingRule(
        name="proxy-stream-failed",
        code="PROXY_STREAM_FAILED",
        severity=Severity.ERROR,
        owner=Owner.NETWORK,
        when="the client's TCP stream goes through the http proxy and neither CONNECT "
        "<private name>:4195 nor :443 opened, without an HTTP answer (silence, a closed "
        "connection)",
        message="CONNECT to {host} through the proxy {url} opened on neither 4195 nor 443, and the "
        "proxy gave no HTTP answer: DCV authenticates over TCP, so no session starts.",
        remediation="Check the proxy's CONNECT handling for {host} (its logs show the attempt) "
        "and its route to the VPC; or keep the private name off the proxy.",
        facts=(("tcp_via_proxy", (Y,)), ("endpoint_usable", (N,))),
        fire=_proxy_failed,
        basis=("proxy_stream_4195", "proxy_stream_443", "endpoint_usable"),
    ),
    FindingRule(
        name="endpoint-nxdomain-proxy",
        code="ENDPOINT_NXDOMAIN_BEHIND_PROXY",
        severity=Severity.WARNING,
        owner=Owner.NETWORK,
        when="the private name does not exist here, and an http proxy is configured: Private "
        "DNS names may be off on purpose (AWS's advice for proxies); how to test the endpoint's "
        "own name (error where the proxy's policy refuses the name on both ports)",
        message="The private name {host} does not exist for this machine's resolver (NXDOMAIN), "
        "and this machine uses the proxy {url} ({stream}). Private DNS names may be off on "
        "purpose: AWS advises deselecting 'Enable Private DNS Name' when users stream through "
        "a proxy, and the endpoint is then reached by its own vpce-… name through the proxy.",
        remediation="Test the endpoint's own name as the client would: wsdiag check "
        "--endpoint-host <the endpoint's regional DNS name, "
        "vpce-….prod.highlander.<region>.vpce.amazonaws.com: VPC console > Endpoints > "
        "Details>{vpce}; wsdiag then probes it through the proxy. Keep Private DNS names off "
        "while the proxy carries streaming. If streaming is meant to go direct instead, this "
        "machine must resolve {host} through the VPC's DNS (VPN split DNS, a Route 53 "
        "Resolver inbound endpoint).",
        facts=(
            ("proxy_http", (Y,)),
            ("endpoint_resolves", NOT_YES),
            ("endpoint_a", (DnsOutcome.NXDOMAIN,)),
        ),
        fire=_nxdomain_proxy,
        basis=("proxy_http", "endpoint_resolves"),
        never_with=("ENDPOINT_NXDOMAIN",),
    ),
)
