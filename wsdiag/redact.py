"""Redaction of anything wsdiag writes for others to read: user names, home paths, host name.

Pure: a :class:`Redaction` is built from facts (wsdiag.host.identity collects them) and
applied to text or to a JSON-shaped value. Default on: a report or bundle is made to be
shared (tickets, fleet dashboards), and a user name or a host name like "JANES-MACBOOK"
identifies a person.

What is replaced, case-insensitively:
- credentials in URLs: ``http://user:pass@proxy`` -> ``http://***@proxy``;
- each home directory: its last component becomes ``***`` (``/home/jane.doe/x`` ->
  ``/home/***/x``, ``C:\\Users\\Jane\\AppData`` -> ``C:\\Users\\***\\AppData``);
- each user name as a whole word (not inside a longer word: "al" in "also" stays);
  system accounts (root, SYSTEM ...) are not personal and stay;
- with ``host``: the host name and its first label, as whole words.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

MASK = "***"
# Accounts that name no person: redacting "root" would also garble every "root" in a text.
SYSTEM_ACCOUNTS = frozenset(
    {
        "root",
        "system",
        "localsystem",
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
_MIN_NAME = 2  # a one-letter "name" would erase that letter everywhere


def _word(text: str) -> re.Pattern[str]:
    # Word = not glued to letters/digits on either side; dots and dashes count as separators
    # so "jane.doe" is found in "/home/jane.doe/" and in "user jane.doe".
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(text)}(?![A-Za-z0-9])", re.IGNORECASE)


def _mask_leaf(m: re.Match[str]) -> str:
    """The matched home path with its last component masked, separators as written."""
    path = m[0]
    cut = max(path.rfind("/"), path.rfind("\\"))
    return path[: cut + 1] + MASK


def _mask_all(_m: re.Match[str]) -> str:
    return MASK


# user[:password]@ inside a URL (a proxy setting echoed in a log, an environment dump).
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/@:]+(?::[^\s/@]*)?@")


def _mask_credentials(m: re.Match[str]) -> str:
    return f"{m[1]}{MASK}@"


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _home_pattern(home: str) -> Rule | None:
    cut = max(home.rfind("/"), home.rfind("\\"))
    if not home[cut + 1 :] or cut < 1:  # "/" or "C:" are not a person's home
        return None
    # Either separator anywhere: a Windows path may be written with "/" in a log.
    body = r"[\\/]".join(re.escape(part) for part in re.split(r"[\\/]", home))
    return re.compile(body + r"(?![A-Za-z0-9._-])", re.IGNORECASE), _mask_leaf


@dataclass(frozen=True)
class Redaction:
    """What to hide. ``Redaction()`` hides nothing (``--no-redact``)."""

    users: tuple[str, ...] = ()
    homes: tuple[str, ...] = ()
    host: str | None = None  # set only with --redact-host
    enabled: bool = False  # built by of(): redacting, even if no name was known
    _rules: tuple[Rule, ...] = field(default=(), repr=False, compare=False)

    @classmethod
    def of(
        cls,
        users: Iterable[str | None] = (),
        homes: Iterable[str | None] = (),
        host: str | None = None,
    ) -> Redaction:
        """Build one, dropping empty values, system accounts and one-letter names."""
        names = tuple(
            dict.fromkeys(
                u.strip()
                for u in users
                if u
                and u.strip()
                and len(u.strip()) >= _MIN_NAME
                and u.strip().lower() not in SYSTEM_ACCOUNTS
            )
        )
        dirs = tuple(dict.fromkeys(h.rstrip("/\\") for h in homes if h and h.rstrip("/\\")))
        rules: list[Rule] = [(_URL_CREDENTIALS, _mask_credentials)]
        for home in sorted(dirs, key=len, reverse=True):  # longest first: nested homes
            rule = _home_pattern(home)
            if rule:
                rules.append(rule)
        rules += [(_word(n), _mask_all) for n in sorted(names, key=len, reverse=True)]
        if host:
            short = host.split(".")[0]
            rules += [(_word(h), _mask_all) for h in dict.fromkeys((host, short)) if len(h) >= 2]
        return cls(names, dirs, host or None, True, tuple(rules))

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
        for pattern, mask in self._rules:
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
