"""The client's log line formats and message patterns: pure, no state.

Three heads are known (the Windows/macOS 5.x client, the Linux 2024.x client, the DCV
viewer), see :mod:`wsdiag.logs.parse` for examples. Every quantifier in this module's
patterns is bounded, so matching a line is linear in its length; ``test_logs_linear``
walks the compiled patterns to hold this.
"""

from __future__ import annotations

import json
import re

# A line is only worth a regular expression if it contains one of these. Each marker covers
# a family of messages; keep the list short, every marker costs a pass over the bytes.
MARKERS = (
    "ndpoint",  # Supported/Reachable endpoint(s), No endpoints…, "… endpoints:" block header
    "hostname:",  # endpoint lines inside a block
    "ResourceAction",  # PerformResourceActionRequest, Error while calling PerformResourceAction…
    "Code: ",  # broker errors: "… Error. Code: RESOURCE_NOT_FOUND; Message: …"
    "rror while calling",  # "Error while calling X: CODE" for actions without the marker above
    "WorkSpace using",  # "Connecting WorkSpace using QUIC"
    "ws-broker-service.",  # the broker URL names the region (PCoIP sessions have no prod- id)
    "ERR",  # [ERR], [ERROR], "] ERROR component -": errors with or without a Code: token
    "FTL",  # Windows/macOS fatal
    "FATAL",
    "stream request",  # Linux: "Received stream request. Action = \"STREAM\"" starts an attempt
)
BMARKERS = tuple(m.encode() for m in MARKERS)
VERSION_MARK = '{ Version: "'
BVERSION_MARK = VERSION_MARK.encode()


# Every quantifier below is bounded ({m,n}); test_logs_linear walks the compiled patterns.
TS = (
    r"(?P<date>[0-9]{4}-[0-9]{2}-[0-9]{2})(?P<dsep>[T ])(?P<hh>[0-9]{2}):(?P<mm>[0-9]{2})"
    r"(?P<tsep>[:.])(?P<ss>[0-9]{2})(?:(?P<fsep>[.,])(?P<frac>[0-9]{1,9}))?"
    r"(?P<zone>Z|[+-][0-9]{2}:?[0-9]{2})?"
)
HEAD_REST = (
    r"[ \t]{1,8}(?:"
    # Windows/macOS 5.x: { Version: "5.29.1.5595" }: [INF]
    r"(?:\{[ ]{0,4}Version:[ ]{0,4}\"(?P<ver>[^\"]{0,40})\"[ ]{0,4}\}:?[ \t]{0,8})?"
    r"\[(?P<lvl>[A-Za-z]{3,8})\][ \t]?"
    # Linux 2024.x: [ Native ]: [INFO]
    r"|\[[ ]{0,8}(?P<comp>[A-Za-z][A-Za-z0-9_.-]{0,39})[ ]{0,16}\]:?[ \t]{0,8}"
    r"\[(?P<lvl2>[A-Za-z]{3,8})\][ \t]?"
    # DCV viewer: [ 4242:4243 ] ERROR DCV.Connection -
    r"|\[[ ]{0,8}[0-9]{1,10}:[0-9A-Za-z]{1,20}[ ]{0,8}\][ \t]{1,8}(?P<lvl3>[A-Za-z]{3,8})"
    r"[ \t]{1,8}(?P<comp3>[A-Za-z0-9_.:<>$-]{1,80})[ \t]{1,8}-[ \t]?"
    r")"
)
HEAD = re.compile(f"(?P<ts>{TS})" + HEAD_REST, re.ASCII)
# A line wsdiag knows the shape of: one that starts with a date (every known head does), an
# indented continuation, an endpoint list line, or a blank line. Checked on every line (the
# block path as a lookahead after each newline), so it is kept to the date: the full head
# is matched only on lines that carry a marker.
KNOWN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]|[ \t]|hostname:|\r?(?:\n|\Z)"
KNOWN_LINE = re.compile(KNOWN, re.ASCII)
BUNKNOWN_AFTER_NL = re.compile(b"\n(?!" + KNOWN.encode() + b")", re.ASCII)
BKNOWN_LINE = re.compile(KNOWN.encode(), re.ASCII)
VERSION = re.compile(r"\{ Version: \"([^\"]{1,40})\"")
# The port must be followed by more text: a line cut off right after "port: 41" would
# otherwise yield a wrong port.
ENDPOINT = re.compile(
    r"hostname: (?P<host>[^,\s\"]{1,253}),\s{0,8}transport: (?P<transport>[A-Za-z0-9_]{1,16})"
    r",\s{0,8}port: (?P<port>\d{1,5})(?=[,\s\"])"
    r"(?:,\s{0,8}gatewayType: (?P<gw>[A-Za-z0-9_]{0,32}))?"
    r"(?:,\s{0,8}ipVersion: (?P<ipv>[A-Za-z0-9_]{0,16}))?"
)
SESSION_ID = re.compile(r"session ID: (?P<sid>[A-Za-z0-9][A-Za-z0-9_.-]{0,99})")
START = re.compile(
    r"Starting (?P<proto>[A-Za-z]{1,20}) session using SessionId: "
    r"(?P<sid>[A-Za-z0-9][A-Za-z0-9_.-]{0,99})"
)
ATTEMPT = re.compile(
    r"Attempting to establish connection to (?P<proto>[A-Za-z]{1,20}) WorkSpace endpoint"
)
RECONNECT = re.compile(r"is reconnection: (?P<flag>true|false)", re.IGNORECASE)
CONNECTING_RE = re.compile(r"Connecting WorkSpace using (?P<transport>[A-Za-z0-9_]{1,16})")
REQUEST = re.compile(
    r"PerformResourceActionRequest Type: (?P<type>[A-Za-z_]{1,40}), "
    r"Protocol: (?P<proto>[A-Za-z_]{1,20})"
    r"(?:, Session-Id: (?P<sid>[A-Za-z0-9][A-Za-z0-9_.-]{0,99}))?"
)
REGION = r"[A-Za-z]{2}(?:-[A-Za-z]{1,16}){1,4}-\d{1,2}"
BROKER_REGION = re.compile(r"ws-broker-service\.(?P<region>" + REGION + r")\.")
REGION_IN_SID = re.compile(r"^prod-(?P<region>" + REGION + r")-")
# Anchored at a "Code: " found with str.find; the component before it is found by
# code_source (a backwards scan), not by the pattern: "[\w.]* Error\." searched at every
# '.' of a long dotted line was quadratic.
CODE_AT = re.compile(
    r"Code: (?P<code>[A-Za-z][A-Za-z0-9_.]{0,63})"
    r"(?:;\s{0,8}Message: (?P<msg>[^;]{0,500}))?(?:;\s{0,8}Type: (?P<type>[^;\s]{1,200}))?"
)
MAX_CODE_TOKENS = 8  # "Code: " occurrences tried per line
MAX_SOURCE = 256  # longest component name before " Error. Code:"
RUN_REVERSED = re.compile(rf"[\w.]{{0,{MAX_SOURCE + 1}}}")
ERROR_WHILE = re.compile(
    r"Error while calling (?P<action>[A-Za-z0-9_.]{1,100}): (?P<code>[A-Za-z][A-Za-z0-9_.]{0,63})"
)
ERROR_LEVELS = frozenset(
    {"ERR", "ERROR", "FTL", "FATAL", "CRT", "CRIT", "CRITICAL", "WRN", "WARN", "WARNING"}
)
# Levels whose lines are kept as client errors even without a Code: token.
FAIL_LEVELS = frozenset({"ERR", "ERROR", "FTL", "FATAL"})
CLIENT_ERROR_CODE = "CLIENT_ERROR"  # the code of a client error that names none
MAX_ERROR_TEXT = 300
MAX_JSON_TRIES = 4  # '{' positions tried as the start of an error line's JSON payload
JSON = json.JSONDecoder()


def timestamp_of(head: re.Match[str]) -> str:
    """The line's time: as logged for the Windows/macOS head, else normalised to ISO 8601."""
    if head["tsep"] == ":" and head["dsep"] == "T" and head["fsep"] != ",":
        return head["ts"]
    frac = f".{head['frac']}" if head["frac"] else ""
    return f"{head['date']}T{head['hh']}:{head['mm']}:{head['ss']}{frac}{head['zone'] or ''}"


def code_source(before: str) -> str | None:
    r"""The component in "<component> Error. Code: …": ``before`` is the text up to "Code: ".

    The same answer as the pattern ``(?:^|[\s.])(?P<source>[A-Za-z][\w.]*) Error\.\s*``
    anchored at the end of ``before`` (for component names up to ``MAX_SOURCE`` characters;
    a longer run is no component name and gives ``None``), found by one anchored match on
    the reversed tail instead of a search.
    """
    text = before.rstrip()
    if not text.endswith(" Error."):
        return None
    run_end = len(text) - len(" Error.")
    tail = text[max(0, run_end - MAX_SOURCE - 1) : run_end][::-1]
    run = RUN_REVERSED.match(tail)
    length = run.end() if run is not None else 0
    if length > MAX_SOURCE:
        return None
    start = run_end - length
    # Leftmost valid start: the run's first character if the run begins the text or follows
    # whitespace, else a character right after a '.'; it must be an ASCII letter.
    for i in range(start, run_end):
        ok_before = (i == 0 or text[i - 1].isspace()) if i == start else text[i - 1] == "."
        if ok_before and text[i].isascii() and text[i].isalpha():
            return text[i:run_end]
    return None


def find_code(msg: str) -> tuple[re.Match[str], str | None] | None:
    """The first ``Code: X`` token (with its Message/Type and the component before it)."""
    i = msg.find("Code: ")
    tries = 0
    while i >= 0 and tries < MAX_CODE_TOKENS:
        tries += 1
        m = CODE_AT.match(msg, i)
        if m is not None:
            source = code_source(msg[:i])
            if source is not None or i == 0 or msg[i - 1].isspace() or msg[i - 1] == ".":
                return m, source
        i = msg.find("Code: ", i + 1)
    return None


def json_payload(msg: str) -> dict[str, object] | None:
    """The JSON object that ends ``msg`` (``… {"ExceptionType": …}``), or ``None``.

    Only the first few '{' are tried, each parsed in place (no copies), so a line of
    braces costs a bounded number of linear parses, never one per brace.
    """
    text = msg.rstrip()
    if not text.endswith("}"):
        return None
    i = text.find("{")
    for _ in range(MAX_JSON_TRIES):
        if i < 0:
            return None
        try:
            value, end = JSON.raw_decode(text, i)
        except (ValueError, RecursionError):
            i = text.find("{", i + 1)
            continue
        return value if isinstance(value, dict) and end == len(text) else None
    return None


def pick(obj: dict[str, object], *keys: str) -> str | None:
    nested = obj.get("Payload")
    for where in (obj, nested if isinstance(nested, dict) else {}):
        for key in keys:
            value = where.get(key)
            if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value):
                return str(value)[:MAX_ERROR_TEXT]
    return None


def client_error_text(msg: str) -> tuple[str, str | None]:
    """(code, message) of an error line without a Code: token."""
    text = msg.strip()
    payload = json_payload(text)
    if payload is None:
        return CLIENT_ERROR_CODE, text[:MAX_ERROR_TEXT] or None
    lead = text[: text.find("{")].strip().rstrip(":")
    code = pick(payload, "ExceptionType", "ErrorCode", "errorCode", "code") or CLIENT_ERROR_CODE
    detail = pick(payload, "ErrorMessage", "errorMessage", "message", "Message")
    number = pick(payload, "ErrorCode")
    if number and number != code:
        lead = f"{lead} (ErrorCode {number})".strip()
    message = ": ".join(p for p in (lead, detail) if p)
    return code[:64], message[:MAX_ERROR_TEXT] or None
