"""Redaction of anything wsdiag writes for others to read: user names, home paths, host name.

Pure: a :class:`Redaction` is built from facts (wsdiag.host.identity collects them) and
applied to a report's values (:meth:`Redaction.values`, before any renderer sees them), to a
JSON-shaped value, and once more to each rendered output (:meth:`Redaction.text`), because
renderers and the CLI add strings of their own. Default on: a report or bundle is made to
be shared (tickets, fleet dashboards), and a user name or a host name like "JANES-MACBOOK"
identifies a person.

What is replaced:
- credentials in URLs: ``http://user:pass@proxy`` -> ``http://***@proxy``;
- each home directory: its last component becomes ``***`` (``/home/jane.doe/x`` ->
  ``/home/***/x``, ``C:\\Users\\Jane\\AppData`` -> ``C:\\Users\\***\\AppData``);
- each user name as a whole word (not inside a longer word: "jane" in "janet" stays);
  system accounts (root, SYSTEM ...) are not personal and stay. A name under
  SHORT_NAME characters ("al", "ws") is replaced only in a path position (after ``/`` or
  ``\\``) and after "for ", so that it never eats a host name ("ws" in
  ``ws.example``), a word ("dns") or a finding code;
- with ``host``: the host name and its first label, as whole words.

Every spelling an output can hold is matched, character by character: the name in NFC and
NFD (macOS stores file names decomposed), percent-encoded (``%2Fhome%2Fjane%2F``,
``o%27brien``, ``j%C3%B6rg``, in either hex case), HTML-escaped (``o&#39;brien``,
``&amp;``, ``&quot;``) and JSON-escaped (``o\\u0027brien``, ``j\\u00f6rg``). Case is
ignored when ``fold_case`` (Windows and macOS file systems and account names are
case-insensitive). On Linux a home path and a short name are matched as written, a name of
SHORT_NAME characters or more in any case ("Cloudsdk's" for the account cloudsdk: text
capitalises it), hex escapes in either case.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

MASK = "***"
# Accounts that name no person: redacting "root" would also garble every "root" in a text.
SYSTEM_ACCOUNTS = frozenset(
    {
        "root",
        "system",
        "localsystem",
        "systemprofile",
        "nobody",
        "daemon",
        "local service",
        "network service",
        "administrator",
        "admin",
        "wheel",
        "ssm-user",
    }
)
# Accounts that OS images create under the OS's own name: the name is a person's account
# only in lower case; capitalised it is the OS ("Ubuntu 24.04.1 LTS" in the host block),
# so on a case-sensitive system it is matched as written, never in another case.
CASED_WORDS = frozenset({"ubuntu", "debian", "fedora", "centos", "almalinux", "rocky"})
_MIN_NAME = 2  # a one-letter "name" would erase that letter everywhere
SHORT_NAME = 4  # names shorter than this are replaced only in path positions and after "for "
T = TypeVar("T")

# --- spellings ----------------------------------------------------------------------------

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;"}
# Characters no encoder wsdiag meets escapes (RFC 3986 "unreserved"): matched as written.
_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")


def _hex(n: int, width: int) -> str:
    """Regex for the hex digits of ``n``, each letter in either case (``%2f`` = ``%2F``)."""
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{n:0{width}x}")


def _char(ch: str) -> str:
    """Regex for one character in every spelling: itself, percent-encoded UTF-8, an HTML
    entity (named for the five markupsafe writes, decimal, hex) and a JSON ``\\uXXXX``."""
    if ch in _PLAIN:
        return re.escape(ch)
    alts = [re.escape(ch), "".join("%" + _hex(b, 2) for b in ch.encode("utf-8", "replace"))]
    if ch == " ":
        alts.append(r"\+")  # form encoding
    if ch in _ENTITIES:
        alts.append(re.escape(_ENTITIES[ch]))
    alts += [f"&#0*{ord(ch)};", f"&#[xX]0*{_hex(ord(ch), 1)};"]
    if ord(ch) <= 0xFFFF:
        alts.append(r"\\u" + _hex(ord(ch), 4))
    return "(?:" + "|".join(alts) + ")"


def _spelled(text: str) -> str:
    """Regex for ``text`` in every spelling, each character in NFC or NFD (mixed too)."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        one = _char(ch)
        nfd = unicodedata.normalize("NFD", ch)
        if nfd != ch:
            one = f"(?:{one}|{''.join(_char(c) for c in nfd)})"
        out.append(one)
    return "".join(out)


# Where a word may start: after no letter or digit (an underscore counts as one: finding
# codes are UPPER_SNAKE), or right after an escape (%2F, \x1b, \u202e) whose hex digits
# would otherwise look like the end of a word.
_BEFORE = r"(?:(?<!\w)|(?<=%[0-9A-Fa-f]{2})|(?<=\\x[0-9A-Fa-f]{2})|(?<=\\u[0-9A-Fa-f]{4}))"
# Where it may end: not before a letter, digit or combining mark.
_AFTER = r"(?![\w\u0300-\u036f])"
# A short name: after a path separator (any spelling) or "for ", and not continued by a
# host name's next label ("ws.example") nor preceded by "//" (a URL's host).
_SEP = r"(?:\\\\|[\\/]|%2[fF]|%5[cC])"
_SHORT_BEFORE = r"(?:(?<=[\\/])(?<!//)|(?<=%2[fF])|(?<=%5[cC])|(?<=\bfor ))"
_SHORT_AFTER = r"(?![\w\u0300-\u036f]|[.-]\w)"


def _names_rule(names: Iterable[str], flags: int, fold_long: bool = False) -> Rule | None:
    """One pattern for every name: long ones as whole words, short ones in path positions.
    ``fold_long`` (a case-sensitive system, ``flags`` without IGNORECASE): long names match
    in any case all the same. The account "cloudsdk" is written "Cloudsdk's" in a log's
    text, and that is the same person; two Linux accounts differing only in case are rare,
    and masking both hides no one. A name that is long enough to be masked as a word is long
    enough to be masked capitalised; short names keep their path-only rule as written, and
    CASED_WORDS (an OS's own name) as written too."""
    names = sorted(names, key=len, reverse=True)  # longest first: "jane.doe" before "jane"

    def word(n: str) -> str:
        folded = fold_long and n.lower() not in CASED_WORDS
        return f"(?i:{_spelled(n)})" if folded else _spelled(n)

    long = [word(n) for n in names if len(n) >= SHORT_NAME]
    short = [_spelled(n) for n in names if len(n) < SHORT_NAME]
    parts = []
    if long:
        parts.append(_BEFORE + "(?:" + "|".join(long) + ")" + _AFTER)
    if short:
        parts.append(_SHORT_BEFORE + "(?:" + "|".join(short) + ")" + _SHORT_AFTER)
    if not parts:
        return None
    return re.compile("|".join(parts), flags), _mask_all


def _mask_all(_m: re.Match[str]) -> str:
    return MASK


def _mask_leaf(m: re.Match[str]) -> str:
    """The matched home path with its last component masked, separators as written."""
    return m["head"] + MASK


# user[:password]@ inside a URL (a proxy setting echoed in a log, an environment dump).
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@:]+(?::[^\s/@]*)?@")


def _mask_credentials(m: re.Match[str]) -> str:
    return f"{m[1]}{MASK}@"


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _home_pattern(home: str, flags: int) -> Rule | None:
    parts = re.split(r"[\\/]", home)
    if len(parts) < 2 or not parts[-1] or not "".join(parts[:-1]).strip(":"):
        return None  # "/" or "C:\" are not a person's home
    # Either separator, in any spelling: a Windows path may be written with "/" in a log,
    # or percent-encoded in a URL.
    head = _SEP.join(_spelled(p) for p in parts[:-1]) + _SEP
    body = f"(?P<head>{head})(?P<leaf>{_spelled(parts[-1])})" + _SHORT_AFTER
    return re.compile(body, flags), _mask_leaf


def _clean(name: str | None) -> str | None:
    if not name:
        return None
    name = unicodedata.normalize("NFC", name.strip())
    if len(name) < _MIN_NAME or name.lower() in SYSTEM_ACCOUNTS:
        return None
    return name


@dataclass(frozen=True)
class Redaction:
    """What to hide. ``Redaction()`` hides nothing (``--no-redact``)."""

    users: tuple[str, ...] = ()
    homes: tuple[str, ...] = ()
    host: str | None = None  # set only with --redact-host
    enabled: bool = False  # built by of(): redacting, even if no name was known
    fold_case: bool = True
    _rules: tuple[Rule, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def of(
        cls,
        users: Iterable[str | None] = (),
        homes: Iterable[str | None] = (),
        host: str | None = None,
        fold_case: bool = True,
    ) -> Redaction:
        """Build one, dropping empty values, system accounts and one-letter names.
        ``fold_case``: names and homes match whatever their case (False for Linux, where
        "Jane" and "jane" are two accounts); a host name always does (DNS ignores case)."""
        names = tuple(dict.fromkeys(n for n in map(_clean, users) if n))
        dirs = tuple(dict.fromkeys(h.rstrip("/\\") for h in homes if h and h.rstrip("/\\")))
        flags = re.IGNORECASE if fold_case else 0
        rules: list[Rule] = [(_URL_CREDENTIALS, _mask_credentials)]
        for home in sorted(dirs, key=len, reverse=True):  # longest first: nested homes
            rule = _home_pattern(home, flags)
            if rule:
                rules.append(rule)
        named = _names_rule(names, flags, fold_long=not fold_case)
        if named:
            rules.append(named)
        if host:
            labels = [h for h in dict.fromkeys((host, host.split(".")[0])) if len(h) >= 2]
            host_rule = _names_rule(labels, re.IGNORECASE)
            if host_rule:
                rules.append(host_rule)
        return cls(names, dirs, host or None, True, fold_case, tuple(rules))

    @property
    def kinds(self) -> list[str]:
        """What this redaction hides, for manifests and the report's host block."""
        out = ["URL credentials"] if self.enabled else []
        if self.users:
            out.append("user names")
        if self.homes:
            out.append("home paths")
        if self.host:
            out.append("host name")
        return out

    def text(self, value: str) -> str:
        """``value`` with every rule applied: a rendered output's final pass."""
        for pattern, mask in self._rules:
            if pattern is _URL_CREDENTIALS and ("@" not in value or "://" not in value):
                # It cannot match without both (it is tried at every word otherwise: ~9 ms
                # of a check's rendering, every value and the whole text, on a busy laptop).
                continue
            value = pattern.sub(mask, value)
        return value

    def user(self, name: str | None) -> str | None:
        """A user name as shown: ``***`` when redacting (even a system account's, for
        uniformity in "whose logs"), else the name."""
        if name is None:
            return None
        return MASK if self.enabled else name

    def json(self, value: Any) -> Any:
        """A copy of a JSON-shaped value with every string (values and keys) redacted."""
        if not self._rules:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {
                self.text(k) if isinstance(k, str) else k: self.json(v) for k, v in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.json(v) for v in value]
        return value

    def values(self, value: T) -> T:
        """A copy of ``value`` (a report: frozen dataclasses, tuples, dicts) with every
        string redacted, for the renderers to work from; enums, numbers and dates stay.
        Objects without a string to change are returned as they are."""
        if not self._rules:
            return value
        out: T = self._walk(value)
        return out

    def _walk(self, v: Any) -> Any:
        if isinstance(v, Enum):  # StrEnums are str: their value is vocabulary, not data
            return v
        if isinstance(v, str):
            return self.text(v)
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            changes = {}
            for f in dataclasses.fields(v):
                if f.init:
                    old = getattr(v, f.name)
                    new = self._walk(old)
                    if new is not old:
                        changes[f.name] = new
            return dataclasses.replace(v, **changes) if changes else v
        if isinstance(v, tuple | list | frozenset):
            items = [self._walk(x) for x in v]
            if all(a is b for a, b in zip(items, v, strict=True)):
                return v
            return type(v)(items) if not hasattr(v, "_fields") else type(v)(*items)
        if isinstance(v, dict):
            return {self._walk(k): self._walk(x) for k, x in v.items()}
        return v
