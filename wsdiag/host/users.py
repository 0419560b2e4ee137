"""Pure helpers for running as SYSTEM/root: which account, whose profiles, which proxy.

No I/O here: wsdiag.host.identity does the OS calls and hands the results to these
functions, so every OS's layout and every recorded tool output is tested on any machine.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath, PurePosixPath, PureWindowsPath

from wsdiag.host.platform import client_log_dirs
from wsdiag.vocab.model import Account

# Profile directories that belong to no person (Windows, macOS, Linux).
NOT_PROFILES = frozenset(
    n.lower()
    for n in (
        "Public",
        "Default",
        "Default User",
        "All Users",
        "defaultuser0",
        "WDAGUtilityAccount",
        "Shared",
        ".localized",
        "Guest",
        "lost+found",
    )
)
# Local/domain accounts (S-1-5-21-...) and Entra ID accounts (S-1-12-1-...) are people;
# S-1-5-18/19/20 (SYSTEM, LOCAL SERVICE, NETWORK SERVICE) have loaded hives too, but are not.
_PERSON_SID = re.compile(r"^S-1-(5-21|12-1)-[0-9-]+$", re.IGNORECASE)


def is_person_sid(sid: str) -> bool:
    """Does this Windows security identifier name a person's account (not a service's)?"""
    return bool(_PERSON_SID.match(sid)) and not sid.lower().endswith("_classes")


def account_kind(
    system: str, euid: int | None, username: str | None, env: Mapping[str, str]
) -> Account:
    """The kind of account: ``euid`` from os.geteuid() (None on Windows), ``username``
    from getpass.getuser(). On Windows LocalSystem runs with USERNAME "<MACHINE>$" or
    "SYSTEM" and a profile under ...\\config\\systemprofile."""
    if system == "Windows":
        profile = env.get("USERPROFILE", "").lower().replace("/", "\\")
        name = (username or "").lower()
        if (
            name in ("system", "localsystem")
            or name.endswith("$")
            or profile.endswith("\\config\\systemprofile")
        ):
            return Account.SYSTEM
        return Account.USER if username else Account.UNKNOWN
    if euid is None:
        return Account.UNKNOWN
    return Account.ROOT if euid == 0 else Account.USER


def profile_root(system: str, env: Mapping[str, str]) -> PurePath | None:
    """Where user profiles live: ``C:\\Users`` (from %PUBLIC% or %SystemDrive%), /Users,
    /home. None for an OS without a WorkSpaces client."""
    if system == "Windows":
        public = env.get("PUBLIC", "").strip()
        if public:
            return PureWindowsPath(public).parent
        return PureWindowsPath((env.get("SystemDrive") or "C:") + "\\", "Users")
    if system == "Darwin":
        return PurePosixPath("/Users")
    if system == "Linux":
        return PurePosixPath("/home")
    return None


def is_profile(name: str) -> bool:
    return bool(name) and not name.startswith(".") and name.lower() not in NOT_PROFILES


def profile_log_dirs(
    system: str, root: PurePath, names: Iterable[str]
) -> list[tuple[str, list[PurePath]]]:
    """(user, the client's log directories in that user's profile) for each profile name
    under ``root``; the profile directory's name stands for the user."""
    return [
        (n, list(client_log_dirs(system, {}, root / n))) for n in sorted(names) if is_profile(n)
    ]


def profile_owner(system: str, root: PurePath | None, path: str) -> tuple[str, str] | None:
    """(profile folder name, profile folder) of the profile ``path`` lies in, when it lies
    under ``root`` (``/home/jane/...`` -> ``("jane", "/home/jane")``); None otherwise.
    Compared case-insensitively on Windows and macOS, whose file systems are."""
    if root is None:
        return None
    flavour = PureWindowsPath if system == "Windows" else PurePosixPath
    p, r = flavour(path), flavour(str(root))
    fold = system in ("Windows", "Darwin")
    parts, top = p.parts, r.parts
    if len(parts) <= len(top):
        return None
    same = [a.lower() if fold else a for a in parts[: len(top)]] == [
        a.lower() if fold else a for a in top
    ]
    if not same or not is_profile(parts[len(top)]):
        return None
    return parts[len(top)], str(flavour(*parts[: len(top) + 1]))


def windows_names(sam: str | None, upn: str | None) -> list[str]:
    """The names a Windows account goes by besides USERNAME: ``DOMAIN\\user`` (the
    NameSamCompatible form) gives ``user``, a UPN ``first.last@corp.example`` gives
    ``first.last`` (the part that names the person; the domain does not)."""
    out = []
    if sam and "\\" in sam:
        out.append(sam.rsplit("\\", 1)[1])
    if upn and "@" in upn:
        out.append(upn.split("@", 1)[0])
    return [n for n in out if n]


def newest(candidates: Iterable[tuple[str, float]]) -> str | None:
    """The user whose newest client log is the most recent (mtime, seconds): the session a
    person had last is the one the ticket is about. None when there are none."""
    best: tuple[float, str] | None = None
    for user, mtime in candidates:
        if best is None or mtime > best[0]:
            best = (mtime, user)
    return best[1] if best else None


# --- the console user: whose profile a SYSTEM/root run reads (issue 19 item 1) ----------
# Not "whoever logged last": a short-lived or service account's profile says nothing about the
# person at the keyboard. One console user, or none: with several, none is guessed.

# macOS: /dev/console belongs to root at the login window, to _mbsetupuser during setup.
_MAC_NOT_PEOPLE = frozenset({"root", "_mbsetupuser", "loginwindow"})
WTS_NO_CONSOLE = 0xFFFFFFFF  # WTSGetActiveConsoleSessionId: no session attached to the console


def macos_console_user(uid: int | None, name: str | None) -> str | None:
    """The owner of ``/dev/console`` (``uid``, its passwd ``name``) when a person: the
    account logged in at the screen (the approach of Apple's ``scutil``
    ``State:/Users/ConsoleUser`` key, read from the file's owner); None at the login window
    (root), during setup (_mbsetupuser) or when unknown."""
    if uid is None or uid == 0 or not name or name in _MAC_NOT_PEOPLE:
        return None
    return name


def parse_loginctl_show(text: str) -> list[dict[str, str]]:
    """``loginctl show-session ID... -p Name -p Seat -p Active -p Class -p Remote`` output:
    one ``Key=Value`` block per session, blocks separated by blank lines."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
            current = {}
            continue
        key, sep, value = line.partition("=")
        if sep:
            current[key.strip()] = value.strip()
    if current:
        blocks.append(current)
    return blocks


def linux_console_user(sessions: Iterable[Mapping[str, str]]) -> str | None:
    """The one user with an active, local, seated ``user``-class login session (systemd-
    logind: ``Active=yes``, a ``Seat``, ``Remote=no``, ``Class=user``): the person at the
    screen. None when there is none, or several different users (never guessed)."""
    names = {
        s.get("Name", "")
        for s in sessions
        if s.get("Active") == "yes"
        and s.get("Seat")
        and s.get("Remote", "no") == "no"
        and s.get("Class", "user") == "user"
    }
    names.discard("")
    return names.pop() if len(names) == 1 else None


def windows_console_user(session_id: int | None, name: str | None) -> str | None:
    """The user of the session attached to the console (WTSGetActiveConsoleSessionId, then
    WTSQuerySessionInformationW's WTSUserName); None with no console session
    (0xFFFFFFFF), session 0 (services) or no user name."""
    if session_id is None or session_id in (0, WTS_NO_CONSOLE) or not name:
        return None
    return name


# --- proxies ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WinProxy:
    """A Windows proxy setting (WinHTTP's or a user's WinINET one)."""

    server: str | None  # "proxy:8080" or "http=p:80;https=p:8443"; None = direct
    bypass: tuple[str, ...] = ()

    def proxies(self) -> dict[str, str]:
        """getproxies()-shaped: {"https": "http://host:port"} (empty when direct)."""
        if not self.server:
            return {}
        per_scheme = dict(part.split("=", 1) for part in self.server.split(";") if "=" in part)
        if per_scheme:
            https = per_scheme.get("https") or per_scheme.get("http")
        else:
            https = self.server.split(";")[0]
        if not https:
            return {}
        return {"https": https if "://" in https else f"http://{https}"}

    def bypassed(self, host: str) -> bool:
        """WinHTTP/WinINET bypass semantics: ``*`` wildcards, ``<local>`` = no dot."""
        for entry in self.bypass:
            if entry.lower() == "<local>":
                if "." not in host:
                    return True
            elif fnmatch.fnmatchcase(host.lower(), entry.lower()):
                return True
        return False


def _split_bypass(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"[;\s]+", text) if p.strip())


def parse_winhttp_blob(blob: bytes) -> WinProxy:
    """HKLM\\...\\Internet Settings\\Connections\\WinHttpSettings (REG_BINARY), written by
    ``netsh winhttp set proxy``: little-endian DWORDs version, counter, flags (bit 2 =
    proxy set), then length-prefixed ASCII proxy server and bypass list. Language-neutral,
    unlike netsh's output. Raises ValueError on a truncated or foreign blob."""

    def dword(at: int) -> int:
        if at + 4 > len(blob):
            raise ValueError("WinHttpSettings is truncated")
        return int.from_bytes(blob[at : at + 4], "little")

    flags = dword(8)
    n = dword(12)
    server = blob[16 : 16 + n].decode("ascii", "replace")
    m = dword(16 + n)
    bypass = blob[20 + n : 20 + n + m].decode("ascii", "replace")
    if len(blob) < 20 + n + m:
        raise ValueError("WinHttpSettings is truncated")
    if not flags & 2 or not server.strip():
        return WinProxy(None)
    return WinProxy(server.strip(), _split_bypass(bypass))


_NETSH_FIELD = re.compile(r"^\s*[^:\r\n]+?\s*:\s+(.*?)\s*$")


def parse_netsh_winhttp(text: str) -> WinProxy:
    """``netsh winhttp show proxy`` output. The labels are translated on non-English
    Windows, so fields are taken by position: the first indented "label : value" line is
    the proxy server, the second the bypass list; no such line means direct access."""
    values = [
        m[1]
        for line in text.splitlines()[1:]
        if (m := _NETSH_FIELD.match(line)) and line[:1].isspace()
    ]
    if not values or not values[0] or values[0].lower() == "(none)":
        return WinProxy(None)
    bypass = values[1] if len(values) > 1 and values[1].lower() != "(none)" else ""
    return WinProxy(values[0], _split_bypass(bypass))


def parse_user_proxy(enable: object, server: object, override: object) -> WinProxy:
    """A user's WinINET setting: HKU\\<SID>\\...\\Internet Settings ProxyEnable (DWORD),
    ProxyServer, ProxyOverride, as winreg returns them (missing values as None)."""
    text = server.strip() if isinstance(server, str) else ""
    if not (isinstance(enable, int) and enable) or not text:
        return WinProxy(None)
    return WinProxy(text, _split_bypass(override if isinstance(override, str) else ""))
