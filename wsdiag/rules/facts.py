"""What the check's rows read: the run's Evidence, the environment the environment rules
decided, and the facts the rules layer derives from both. Pure.

A derived fact is a condition a row would otherwise test inside ``fire`` ("an address that
answers TCP but not QUIC", "the environment is home", "a proxied target failed at the
proxy"); declared as a fact it shows in the README's generated "when" column. Each is
computed here from Evidence fields alone, once per run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import StrEnum

from wsdiag.vocab.evidence import AddressEvidence, Evidence, complete, usable
from wsdiag.vocab.logs import ClientLogFacts
from wsdiag.vocab.model import DnsOutcome, Environment, Need, ProxyMode, Refusal, Tri, refusal_of
from wsdiag.vocab.rows import FindingRule, Fire

Y, N, U = Tri.YES, Tri.NO, Tri.UNKNOWN

# Every one of these must be a measured YES or NO for a verdict of ready or degraded:
# streaming paths we could not measure are never assumed to work.
READY_FACTS: dict[str, str] = {
    "DNS configuration": "dns_configured",
    "private name resolves": "endpoint_resolves",
    "private address": "endpoint_private",
    "endpoint reachable": "endpoint_reachable",
    "every endpoint address": "endpoint_all_addresses",
    "QUIC to the endpoint": "endpoint_quic",
    "port 4195 on the endpoint": "endpoint_4195",
    "TCP to the endpoint": "endpoint_usable",
    "both 4195 paths of every endpoint address": "endpoint_complete",
    "registration reachable": "auth_reachable",
}

# ... and these must be YES: a NO here without an error finding would be a gap in the rules,
# and a gap must read "unknown", never "ready".
MUST_BE_YES = (
    "dns_configured",
    "endpoint_resolves",
    "endpoint_private",
    "endpoint_reachable",
    "endpoint_usable",
    "auth_reachable",
)
# ... and this must be YES for "ready" (a NO degrades through the per-address findings; a NO
# that none of them names is such a gap too).
READY_ONLY_IF_YES = ("endpoint_complete",)


def unmeasured(e: Evidence) -> list[str]:
    """The labels of the READY_FACTS that are UNKNOWN, in table order."""
    return [label for label, name in READY_FACTS.items() if getattr(e, name) is U]


HIGH_RTT_MS = 250.0  # DCV: above 250 ms RTT the session is usable but degraded (admin guide)


class Defect(StrEnum):
    """What is definitely wrong with one endpoint address (see ``defects``)."""

    SILENT = "silent"  # no path answered
    OTHER = "other"  # something else answers there (ENDPOINT_ADDRESS_OTHER)
    NO_TCP = "no-tcp"  # no TCP path answers: DCV cannot authenticate there
    NO_QUIC = "no-quic"  # TCP answers, neither QUIC path does
    NO_4195 = "no-4195"  # TCP answers, neither 4195 path does
    PARTIAL = "partial"  # a 4195 path missing otherwise
    NO_443 = "no-443"  # only 443 paths missing


def defects(a: AddressEvidence) -> frozenset[Defect]:
    """What is definitely wrong with one address. Unknowns are not defects; the verdict's
    "every path measured" fact catches them."""
    if a.answered is N:
        return frozenset({Defect.SILENT})
    if a.other:  # something else answers there: ENDPOINT_ADDRESS_OTHER says so
        return frozenset({Defect.OTHER})
    if usable(a) is N:
        return frozenset({Defect.NO_TCP})
    out = set()
    if usable(a) is Y and (a.quic443, a.quic4195) == (N, N):
        out.add(Defect.NO_QUIC)
    if usable(a) is Y and (a.tcp4195, a.quic4195) == (N, N):
        out.add(Defect.NO_4195)
    if complete(a) is N and not out:
        out.add(Defect.PARTIAL)
    if usable(a) is Y and complete(a) is Y and N in (a.tcp443, a.quic443):
        out.add(Defect.NO_443)
    return frozenset(out)


def with_defect(e: Evidence, *wanted: Defect) -> list[AddressEvidence]:
    """The endpoint addresses with any of these defects, in answer order."""
    return [a for a in e.endpoint_addresses if defects(a) & set(wanted)]


LOGIN_TARGET = "login"  # the catalog's {directory_id}.awsapps.com target


def _directory_missing(e: Evidence) -> Tri:
    login = next((t for t in e.targets if t.id == LOGIN_TARGET), None)
    if login is None or login.dns is None:
        return U
    if login.dns is not DnsOutcome.NXDOMAIN:
        return N
    others = [t.dns for t in e.targets if t.id != LOGIN_TARGET and t.dns is not None]
    if DnsOutcome.ANSWER in others:
        return Y  # the same resolver answers the public names: only this one is missing
    return N if others else U


def _auth_dns_only(e: Evidence) -> Tri:
    failed = [t for t in e.targets if t.need is Need.NEEDED and t.usable is N]
    if not failed:
        return N
    return Tri.of(all(t.dns not in (None, DnsOutcome.ANSWER) for t in failed))


def log_facts(e: Evidence) -> ClientLogFacts | None:
    """The client logs' facts (``wsdiag.evidence.logs``), None where no logs were read."""
    logs = e.sources.get("logs")
    return logs if isinstance(logs, ClientLogFacts) and logs.read else None


def _logs_other_region(e: Evidence) -> Tri:
    logs = log_facts(e)
    if logs is None:
        return U
    region = (e.region or "").lower()
    return Tri.of(bool(logs.log_regions) and region not in logs.log_regions)


def _region_unconfirmed(e: Evidence) -> Tri:
    """No client log names a region (none read, or naming none): only the option (or the
    environment) says the checked region is the directory's."""
    logs = log_facts(e)
    return Tri.of(logs is None or not logs.log_regions)


def region_hint(c: CheckFacts) -> str:
    """For a private name that does not exist (NXDOMAIN): the sentence that says the region
    may be wrong, where no client log decided it (``region_unconfirmed``); "" elsewhere (the
    logs name the checked region, or REGION_MISMATCH names the other)."""
    e = c.evidence
    if c.region_unconfirmed is not Y or e.endpoint_a is not DnsOutcome.NXDOMAIN:
        return ""
    region = e.region or "the checked region"
    return (
        f" If {region} is not the directory's region, run `wsdiag check --region "
        "<the directory's region>`."
    )


def _some(items: object) -> Tri:
    return Tri.of(bool(items))


def proxy_readings(e: Evidence, reading: Refusal) -> list[tuple[int, int]]:
    """(port, HTTP status) of the proxy's answers to CONNECT <private name> read so."""
    return [(port, code) for port, code in e.proxy_stream_answers if refusal_of(code) is reading]


@dataclass(frozen=True)
class CheckFacts:
    """The Evidence, the environment and the derived facts. Rows read a fact by its name
    (``fact``): the derived ones here first, then the Evidence's."""

    evidence: Evidence
    environment: Environment
    proxy_mode: ProxyMode
    pac_broken: Tri  # the PAC answered with no usable proxy address
    proxy_invalid: Tri  # the proxy setting is no usable URL (a [ left open, port, no host)
    # a PAC decided this run's route and left the proxied paths untested for another reason
    # (it could not be fetched or evaluated: a syntax error, a loop, binary, no answer)
    pac_untested: Tri
    # some endpoint address has this defect (NO: none has; the addresses may be unknown)
    address_silent: Tri
    address_no_quic: Tri
    address_no_4195: Tri
    address_no_443: Tri
    address_partial: Tri  # a 4195 path missing, or no TCP, at an address
    endpoint_has_v6: Tri  # the private name has an AAAA answer
    endpoint_rtt_high: Tri  # lowest TCP RTT above HIGH_RTT_MS (UNKNOWN: no RTT)
    endpoint_filtered: Tri  # some endpoint probe met silence (not a refusal)
    endpoint_capped: Tri  # addresses past the fan-out cap were never probed
    target_proxy_untested: Tri  # an internet target skipped: a proxy wsdiag cannot speak
    target_proxy_down: Tri  # an internet target's probe failed at the proxy itself
    target_proxy_auth: Tri  # the proxy answered an internet target's CONNECT with 407
    target_proxy_used: Tri  # the proxy carried (or met silence for) an internet probe
    os_hosts_file: Tri  # the OS answers a name from the hosts file, unlike the resolver
    os_answers_differ: Tri  # the OS answers a name otherwise than the resolver (no hosts file)
    os_name_failed: Tri  # the OS fails a name the resolver answers
    needed_unmeasured: Tri  # a fact "ready" needs (READY_FACTS) is UNKNOWN
    # every failed direct endpoint path met a firewall's ICMP "prohibited" (check.refusals)
    endpoint_prohibited_all: Tri
    # --- the client's own paths behind the proxy (wsdiag.evidence.client_paths) ---
    tcp_via_proxy: Tri  # the endpoint's TCP facts are the proxy's answers (its view)
    # the route is undocumented and the two routes' verdicts differ: a judgement of the
    # rules over two Evidences (wsdiag.rules.verdict.diagnose_routes), never a stage's fact
    stream_undecided: Tri
    # the proxy's answers to CONNECT <private name>, read (wsdiag.vocab.model.refusal_of)
    proxy_policy_4195: Tri  # :4195 refused by policy (403/405), :443 not
    proxy_policy_endpoint: Tri  # :443 refused by policy: the name is not allowed
    proxy_upstream: Tri  # 500/502/503/504: the proxy could not resolve or reach the name
    proxy_auth_endpoint: Tri  # 407: the proxy wants credentials
    # <directory id>.awsapps.com is NXDOMAIN while another public WorkSpaces name resolved
    # through the same resolver: the id or alias does not exist (not a network fault)
    directory_missing: Tri = U
    # every needed name that failed, failed at DNS (no address): a resolver fault, not 443
    auth_dns_only: Tri = U
    # the client's logs name regions, none of them the one checked (UNKNOWN: no logs read)
    logs_other_region: Tri = U
    # no client log names any region (none read, or none named): nothing but the option
    # says the checked region is the directory's (a wrong one's private name is NXDOMAIN)
    region_unconfirmed: Tri = U
    # (route, its verdict, what decides it) of each route judged, "proxy" first: where the
    # two differ (``stream_undecided``), for STREAM_PATH_UNKNOWN's message
    stream_outcomes: tuple[tuple[str, str, str], ...] = ()

    @staticmethod
    def of(
        e: Evidence,
        environment: Environment,
        undecided: tuple[tuple[str, str, str], ...] = (),
    ) -> CheckFacts:
        """``undecided``: the two routes' outcomes where an undocumented route's two
        verdicts differ (``wsdiag.rules.verdict``); empty for one route judged."""
        div = e.name_divergences
        os_answered = [d for d in div if d.os_outcome is DnsOutcome.ANSWER]
        policy = {port for port, _ in proxy_readings(e, Refusal.POLICY)}
        return CheckFacts(
            evidence=e,
            environment=environment,
            proxy_mode=e.proxy.mode,
            pac_broken=Tri.of(bool(e.proxy.pac_broken)),
            proxy_invalid=Tri.of(e.proxy.invalid),
            pac_untested=Tri.of(
                e.proxy.source == "pac"
                and e.proxy.mode is ProxyMode.UNTESTED
                and not e.proxy.pac_broken
            ),
            address_silent=_some(with_defect(e, Defect.SILENT)),
            address_no_quic=_some(with_defect(e, Defect.NO_QUIC)),
            address_no_4195=_some(with_defect(e, Defect.NO_4195)),
            address_no_443=_some(with_defect(e, Defect.NO_443)),
            address_partial=_some(with_defect(e, Defect.PARTIAL, Defect.NO_TCP)),
            endpoint_has_v6=_some(e.endpoint_v6),
            endpoint_rtt_high=U
            if e.endpoint_rtt_ms is None
            else Tri.of(e.endpoint_rtt_ms > HIGH_RTT_MS),
            endpoint_filtered=_some("filtered" in e.endpoint_failures),
            endpoint_capped=_some(e.endpoint_unprobed),
            target_proxy_untested=_some([t for t in e.targets if t.proxy_untested]),
            target_proxy_down=_some([t for t in e.targets if t.proxy_down]),
            target_proxy_auth=_some([t for t in e.targets if t.proxy_auth]),
            target_proxy_used=_some([t for t in e.targets if t.proxy_used]),
            os_hosts_file=_some([d for d in os_answered if d.reason == "hosts-file"]),
            os_answers_differ=_some([d for d in os_answered if d.reason != "hosts-file"]),
            os_name_failed=_some([d for d in div if d.os_outcome is not DnsOutcome.ANSWER]),
            needed_unmeasured=_some(unmeasured(e)),
            endpoint_prohibited_all=Tri.of(e.endpoint_all_refused),
            tcp_via_proxy=Tri.of(e.tcp_through_proxy),
            stream_undecided=Tri.of(bool(undecided)),
            proxy_policy_4195=Tri.of(4195 in policy and 443 not in policy),
            proxy_policy_endpoint=Tri.of(443 in policy),
            proxy_upstream=_some(proxy_readings(e, Refusal.UPSTREAM)),
            proxy_auth_endpoint=_some(proxy_readings(e, Refusal.AUTH)),
            directory_missing=_directory_missing(e),
            auth_dns_only=_auth_dns_only(e),
            logs_other_region=_logs_other_region(e),
            region_unconfirmed=_region_unconfirmed(e),
            stream_outcomes=undecided,
        )

    def fact(self, name: str) -> object:
        if name in DERIVED:
            return getattr(self, name)
        return self.evidence.fact(name)

    def basis_of(self, name: str) -> tuple[str, ...]:
        return self.evidence.basis.get(name, ())


# The facts this layer derives (every field but the Evidence itself).
DERIVED = frozenset(f.name for f in fields(CheckFacts) if f.name != "evidence")

CheckRule = FindingRule[CheckFacts]  # a row of the check's wing
FireFn = Callable[[CheckFacts], Fire | None]
