"""Output formats for the tools admins already run. Pure: a report (or its JSON) in, text out.

- ``text``: for a person (wsdiag.render.text.render_text).
- ``json``: the wsdiag.report/1 object, indented; ``json-line``: the same object on one line,
  compacted: in ``probes[]`` and ``dns[]`` items, fields that are null, "" or [] are left
  out (the schema reads an absent field as null/empty). SSM keeps 24,000 characters of
  output; the one-line form of the largest lab report (client logs and an organisation
  catalog included) was 20.8 kB in full and is 17.5 kB compacted (budget: 20 kB). The
  certificate chains (``probes[].certs``, ~16 kB on that report) are left out of json-line
  too: the findings name the issuers and addresses; ``--format json`` keeps every one.
- ``line``: ONE line of at most 2,048 characters for "last line of output" fields (Intune
  remediations, RMM custom fields). Shape::

      <verdict> [dns=nameserver-only] env=<environment> host=<name> region=<region>
                findings=<CODES|-> [reason: <why>] [fix: <first fix>]   (all on one line)

  The first word is always the verdict (ready, degraded, blocked, unknown). ``dns=
  nameserver-only`` (LINE_SCOPE) follows it where --nameserver was given: the verdict is
  that resolver's answers', not this machine's own resolver's (NAMESERVER_GIVEN). ``reason:``
  appears when the verdict is unknown (what left it unmeasured; ``fix:`` is then that
  finding's remediation where no one has an action); a run that could not
  start at all (usage error, no region, internal error) prints
  ``unknown reason: <one-line error>`` on stdout too, so the last line is never empty.
- ``jamf``: ``<result>LINE</result>`` for a Jamf Pro extension attribute.

All JSON is written ASCII-safe (``ensure_ascii``) and every non-ASCII character in ``line``
and ``jamf`` becomes ``?``: collectors in other code pages must read them unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from wsdiag.redact import MASK, Redaction
from wsdiag.render.advice import nameserver_given
from wsdiag.render.format_names import Format as Format  # re-exported: its old home
from wsdiag.vocab.model import USUAL_CAUSE
from wsdiag.vocab.report import Report

LINE_MAX = 2048  # Intune keeps the last 2,048 characters of a detection script's output
# After the verdict word where --nameserver was given (render.advice.NAMESERVER_GIVEN):
# stable, so a collector can tell such a verdict from one about this machine's own DNS.
LINE_SCOPE = "dns=nameserver-only"


def report_json(report: Report, redaction: Redaction) -> dict[str, Any]:
    """The report's JSON object with names redacted and the host block saying what was."""
    from wsdiag.render.report import to_json

    out: dict[str, Any] = redaction.json(to_json(report))
    host = out.get("host")
    if isinstance(host, dict):
        host["redacted"] = redaction.kinds
        view = host.get("view") or {}
        for key, name in (("logs", report.host.logs_user), ("proxy", report.host.proxy_user)):
            if name and str(view.get(key, "")).startswith("user "):
                view[key] = f"user {redaction.user(name)}"
        if report.host.logs_user and redaction.enabled:
            # The logs as SYSTEM/root are the console user's (issue 19 item 1): say whose
            # role, not whose name; --no-redact names them.
            view["logs"] = "console user"
        if redaction.host:
            host["name"] = MASK
    return out


_EMPTY: tuple[object, ...] = (None, "", [])


def compact(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy for json-line (SSM keeps 24,000 characters): without the null/empty fields of
    ``probes[]`` and ``dns[]`` items (and of ``dns[].servers[]``), without evidence facts that
    are ``unknown``, without ``probes[].certs``, and without what a reader
    can rebuild: a probe's ``host`` where a ``dns[]`` entry of its target names it, its
    ``cause`` where its status implies it (``vocab.model.USUAL_CAUSE``), a
    ``dns[]`` entry's ``id`` when it is ``<target>/dns/<type>``, and a finding's ``probes``
    when its ``basis`` lists the same ids."""
    out = dict(obj)
    named = {(d.get("target"), d.get("host")) for d in out.get("dns") or [] if isinstance(d, dict)}

    def keep(key: str, item: dict[str, Any], k: str, v: Any) -> bool:
        if v in _EMPTY or k == "certs":
            return False
        if key == "probes" and k == "host":
            return (item.get("target"), v) not in named
        if key == "probes" and k == "cause":
            return bool(USUAL_CAUSE.get(item.get("status", "")) != v)
        if key == "dns" and k == "id":
            return bool(v != f"{item.get('target')}/dns/{item.get('type')}")
        return True

    for key in ("probes", "dns"):
        items = out.get(key)
        if isinstance(items, list):
            out[key] = [
                {k: v for k, v in item.items() if keep(key, item, k, v)}
                if isinstance(item, dict)
                else item
                for item in items
            ]
    for d in out.get("dns") or []:  # each OS server asked alone (issue 16): the same rule
        if isinstance(d, dict) and isinstance(d.get("servers"), list):
            d["servers"] = [
                # ``order`` is the list's own order: a reader rebuilds it
                {
                    k: v
                    for k, v in srv.items()
                    if v not in _EMPTY and v is not False and k != "order"
                }
                if isinstance(srv, dict)
                else srv
                for srv in d["servers"]
            ]
    evidence = out.get("evidence")
    if isinstance(evidence, dict):  # a fact left out reads "unknown" (the loader's default)
        out["evidence"] = {k: v for k, v in evidence.items() if v != "unknown"}
    findings = out.get("findings")
    if isinstance(findings, list):
        out["findings"] = [
            _without_repeated_probes(f) if isinstance(f, dict) else f for f in findings
        ]
    return out


def expand(obj: dict[str, Any]) -> dict[str, Any]:
    """A json-line object (``compact``) made whole again, as far as it can be: a ``dns[]``
    entry's ``id`` (``<target>/dns/<type>``), a probe's ``host`` (the name its target's DNS
    entry asked, the one that answered its address where several did), ``address`` (null)
    and ``cause`` (the one its status implies, ``vocab.model.USUAL_CAUSE``), a finding's
    ``probes`` (the ids of its basis, in order). Certificate chains are not in
    json-line and stay out. A full ``json`` object comes back unchanged."""
    out = dict(obj)
    # Any shape may come in (a file from elsewhere): what is not the shape json-line writes
    # is passed on untouched, for the decoder to name (never a TypeError here).
    raw_dns = out.get("dns")
    dns = [d for d in raw_dns if isinstance(d, dict)] if isinstance(raw_dns, list) else []
    if isinstance(out.get("dns"), list):
        out["dns"] = [
            _whole_dns({"id": f"{d.get('target')}/dns/{d.get('type')}", **d})
            if isinstance(d, dict)
            else d
            for d in out["dns"]
        ]
    if isinstance(out.get("probes"), list):
        out["probes"] = [_whole_probe(p, dns) if isinstance(p, dict) else p for p in out["probes"]]
    if isinstance(out.get("findings"), list):
        out["findings"] = [
            _with_basis_probes(f) if isinstance(f, dict) else f for f in out["findings"]
        ]
    return out


def _whole_dns(d: dict[str, Any]) -> dict[str, Any]:
    """A dns[] entry whose servers[] lost their ``order`` in json-line: the list's own order."""
    servers = d.get("servers")
    if isinstance(servers, list):
        d["servers"] = [
            {"server": s.get("server"), "order": i, **s} if isinstance(s, dict) else s
            for i, s in enumerate(servers)
        ]
    return d


def _whole_probe(p: dict[str, Any], dns: list[dict[str, Any]]) -> dict[str, Any]:
    status = p.get("status")
    if "cause" not in p and "certs" not in p and isinstance(status, str) and status in USUAL_CAUSE:
        # json-line left out the cause its status implies (``compact``); a whole report
        # always writes ``certs`` (json-line never), so a probe without them is json-line's
        p = {**p, "cause": str(USUAL_CAUSE[status])}
    if "host" in p and "address" in p:
        return p
    same = [d for d in dns if d.get("target") == p.get("target") and isinstance(d.get("host"), str)]
    names = list(dict.fromkeys(d["host"] for d in same))
    answered = [
        d["host"]
        for d in same
        if isinstance(d.get("addresses"), list) and p.get("address") in d["addresses"]
    ]
    host = answered[0] if answered else (names[0] if len(names) == 1 else "")
    return {"host": host, "address": None, **p}


def _with_basis_probes(f: dict[str, Any]) -> dict[str, Any]:
    basis = f.get("basis")
    if "probes" in f or not isinstance(basis, dict):
        return f
    ids = [i for v in basis.values() if isinstance(v, list) for i in v if isinstance(i, str)]
    return {**f, "probes": list(dict.fromkeys(ids))}


def _without_repeated_probes(f: dict[str, Any]) -> dict[str, Any]:
    basis = f.get("basis")
    if not isinstance(basis, dict) or not basis:
        return f
    listed = {i for ids in basis.values() if isinstance(ids, list) for i in ids}
    if set(f.get("probes") or ()) != listed:
        return f
    return {k: v for k, v in f.items() if k != "probes"}


def dumps(obj: Any, one_line: bool = False) -> str:
    """JSON text, ASCII-only, with a final newline."""
    if one_line:
        return json.dumps(obj, ensure_ascii=True, separators=(",", ":")) + "\n"
    return json.dumps(obj, ensure_ascii=True, indent=2) + "\n"


_SPACE = re.compile(r"\s+")
_PUNCT = str.maketrans(
    {
        "\u2014": "-",
        "\u2013": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u00b7": "-",
        "\u2192": "->",
    }
)


def _flat(text: object) -> str:
    """One line, printable ASCII only."""
    s = _SPACE.sub(" ", str(text).translate(_PUNCT)).strip()
    return "".join(c if " " <= c <= "~" else "?" for c in s)


def _fit(line: str, limit: int = LINE_MAX) -> str:
    return line if len(line) <= limit else line[: limit - 3].rstrip() + "..."


# The findings that say why a verdict is unknown, most telling first: a proxy or PAC wsdiag
# could not use names the problem (NOT_MEASURED only says which paths went unmeasured).
_UNKNOWN_CAUSES = (
    "PROXY_UNSUPPORTED_SCHEME",
    "PROXY_URL_INVALID",
    "PAC_NOT_USED",
    "PAC_ANSWER_BROKEN",
    "NOT_MEASURED",
    "DNS_NOT_CONFIGURED",
    "ENDPOINT_ADDRESSES_NOT_PROBED",
)


_SEVERITY_RANK = {"error": 3, "warning": 2, "info": 1}
_OWNER_RANK = {"user": 0, "desktop": 1, "network": 2, "aws": 3}  # advice.OWNER_ORDER


def actionable(f: dict[str, Any]) -> bool:
    """A finding someone acts on: an error or warning (as the text's WHAT TO DO has it);
    every info finding is a note, whoever owns it."""
    return f.get("severity") != "info"


def in_advice_order(findings: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The actionable findings as the text and HTML advice order them: by owner (the user
    first, then this machine's settings, the network team, AWS, an unassigned one last),
    then most severe first; ties keep the report's order."""
    act = [f for f in findings if actionable(f)]
    return sorted(
        act,
        key=lambda f: (
            # the live run's findings before the client logs' (the past), as advice.advise
            str(f.get("code", "")).startswith("LOGS_"),
            _OWNER_RANK.get(str(f.get("owner")), len(_OWNER_RANK)),
            -_SEVERITY_RANK.get(str(f.get("severity")), 0),
        ),
    )


def render_line(report: dict[str, Any]) -> str:
    """The ``line`` format of one report's JSON (a dict as in schema wsdiag.report/1,
    any version: missing fields read as unknown). At most LINE_MAX characters, no newline.

    ``findings=`` lists the actionable codes in advice order (info notes, whoever owns
    them, such as ENDPOINT_CERTIFICATE or LOGS_NO_SESSIONS, are left out: ``--format json``
    keeps them); ``fix:`` is the first action of the first owner, the one the text's WHAT
    TO DO leads with."""
    verdict = _flat(report.get("verdict") or "unknown") or "unknown"
    host = (report.get("host") or {}).get("name") if isinstance(report.get("host"), dict) else None
    findings = [f for f in report.get("findings") or [] if isinstance(f, dict)]
    ordered = in_advice_order(findings)
    codes = ",".join(dict.fromkeys(_flat(f.get("code", "?")) for f in ordered)) or "-"
    scoped = nameserver_given([f.get("code") for f in findings])
    parts = [
        verdict,
        *([LINE_SCOPE] if scoped else []),
        f"env={_flat(report.get('environment') or 'unknown')}",
        f"host={_flat(host or '-').replace(' ', '_')}",
        f"region={_flat(report.get('region') or '-')}",
    ]
    head = " ".join(parts)
    tail = []
    cause: dict[str, Any] | None = None
    if verdict == "unknown":
        # Why it is unknown: what went unmeasured (NOT_MEASURED) or a proxy wsdiag could
        # not test says it; a warning about something else does not.
        first = {f.get("code"): f for f in reversed(findings)}
        cause = next((first[c] for c in _UNKNOWN_CAUSES if c in first), None)
        why = (cause or {}).get("message") or next(
            (f.get("message") for f in findings if f.get("severity") == "error"),
            findings[0].get("message") if findings else "no finding explains it",
        )
        tail.append(f"reason: {_flat(why)}")
    # The live run's action only: the client logs' findings describe the past and never
    # lead the advice (a ready check says no fix rather than an old session's).
    live = [f for f in ordered if not str(f.get("code", "")).startswith("LOGS_")]
    fix = next((f.get("remediation") for f in live if f.get("remediation")), None)
    if not fix and cause is not None:
        # Nobody has an action (NOT_MEASURED is a note): what would measure it is the step.
        fix = cause.get("remediation")
    if fix:
        tail.append(f"fix: {_flat(fix)}")
    # The codes are worth more than the prose: cut the prose first, then the code list.
    rest = " ".join(tail)
    line = f"{head} findings={codes}"
    room = LINE_MAX - len(line) - 1
    if rest and room > 20:
        line += " " + _fit(rest, room)
    return _fit(line)


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_jamf(report: dict[str, Any]) -> str:
    return f"<result>{_xml(render_line(report))}</result>"


def error_output(fmt: Format | None, reason: str) -> str | None:
    """What stdout says when no report could be made (usage error, no region, a bug), for
    the formats whose readers only see stdout; None for the others (stderr has it)."""
    line = _fit(f"unknown reason: {_flat(reason)}")
    if fmt is Format.LINE:
        return line + "\n"
    if fmt is Format.JAMF:
        return f"<result>{_xml(line)}</result>\n"
    return None


def requested_format(argv: Sequence[str]) -> Format | None:
    """The ``--format`` an argument list asks for, read without the parser (which may be
    what failed). None when absent or not a known format."""
    for i, arg in enumerate(argv):
        value = None
        if arg == "--format" and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--format="):
            value = arg.split("=", 1)[1]
        if value is not None:
            try:
                return Format(value.lower())  # any case, as the option takes it
            except ValueError:
                return None
    return None


def render(
    report: Report,
    fmt: Format,
    redaction: Redaction,
    *,
    color: bool = False,
    width: int = 80,
    verbose: bool = False,
    ascii_only: bool = False,
) -> str:
    """The whole output of one check in ``fmt``, newline-terminated; ``width`` (columns),
    ``verbose`` and ``ascii_only`` shape the text format only."""
    # Redacted twice: the report's values before a renderer sees them (a renderer may
    # escape, encode or cut a name into a spelling no later pass would know), then the
    # output, for the strings the renderer adds itself.
    if fmt is Format.TEXT:
        from wsdiag.render.text import render_text

        text = render_text(
            redaction.values(report),
            width=width,
            color=color,
            verbose=verbose,
            ascii_only=ascii_only,
        )
    else:
        obj = report_json(report, redaction)
        if fmt is Format.JSON:
            text = dumps(obj)
        elif fmt is Format.JSON_LINE:
            text = dumps(compact(obj), one_line=True)
        elif fmt is Format.LINE:
            text = render_line(obj) + "\n"
        else:
            text = render_jamf(obj) + "\n"
    return redaction.text(text)
