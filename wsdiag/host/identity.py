"""The OS-calling part of "which machine, which account, whose view": host facts, other users'
client logs when running as SYSTEM/root, and the Windows proxy a SYSTEM run should use.

Everything that interprets what the OS returns is in wsdiag.host.users (pure, tested on
recorded inputs); this module only asks the OS. Every call degrades to "unknown" rather
than failing a check.
"""

from __future__ import annotations

import contextlib
import functools
import getpass
import os
import platform
import socket
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from wsdiag import __version__
from wsdiag.host import users
from wsdiag.redact import Redaction
from wsdiag.vocab.model import Account, HostIdentity

_INET = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings"
_PROFILES = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion\ProfileList"


@functools.cache
def account() -> tuple[Account, str | None]:
    """(kind, name) of the account this process runs as."""
    try:
        name: str | None = getpass.getuser()
    except Exception:  # no USER/LOGNAME and no passwd entry (a container's random uid)
        name = None
    euid = os.geteuid() if hasattr(os, "geteuid") else None
    return users.account_kind(platform.system(), euid, name, os.environ), name


def os_version() -> str:
    system = platform.system()
    try:
        if system == "Darwin":
            return f"macOS {platform.mac_ver()[0]}"
        if system == "Windows":
            release, version, _, _ = platform.win32_ver()
            return f"Windows {release} {version}".strip()
        if system == "Linux":
            return platform.freedesktop_os_release().get("PRETTY_NAME") or platform.release()
    except OSError:
        pass
    return platform.release()


def host_facts(logs_user: str | None = None, logs_read: bool = False) -> HostIdentity:
    """This machine and account now, plus whose logs (``logs_user``) and proxy were used."""
    kind, name = account()
    view = proxy_view()
    return HostIdentity(
        name=socket.gethostname() or None,
        os=platform.system(),
        os_version=os_version(),
        tool_version=__version__,
        account=kind,
        user=name,
        time=datetime.now(UTC).isoformat(timespec="seconds"),
        logs_user=logs_user,
        logs_read=logs_read,
        proxy_view=view.view if view else "own",
        proxy_user=view.user if view else None,
    )


def redaction(
    no_redact: bool,
    redact_host: bool,
    facts: HostIdentity | None = None,
    read: Iterable[str | os.PathLike[str]] = (),
) -> Redaction:
    """The redaction for output of this run: the names and homes of this account, of the
    logs owner and proxy user (as SYSTEM/root), and of whoever owns ``read`` (the files and
    folders whose content or names go into the output: as root, the profile the logs came
    from). Windows adds the account's ``DOMAIN\\user`` and UPN forms. ``no_redact`` ->
    none; ``redact_host`` also hides the host name. Case is folded where the OS folds it."""
    if no_redact:
        return Redaction()
    facts = facts or host_facts()
    system = platform.system()
    names = [facts.user, facts.logs_user, facts.proxy_user] + [
        os.environ.get(v) for v in ("USER", "LOGNAME", "USERNAME")
    ]
    homes = [os.environ.get("HOME"), os.environ.get("USERPROFILE")]
    with contextlib.suppress(RuntimeError, KeyError):  # no HOME and no passwd entry
        homes.append(str(Path.home()))
    root = users.profile_root(system, os.environ)
    if root is not None:
        homes += [str(root / n) for n in (facts.logs_user, facts.proxy_user) if n]
    for path in read:
        name, home = _owner(os.fspath(path))
        names.append(name)
        homes.append(home)
    if system == "Windows":
        names += users.windows_names(*_windows_account_names())
    # A profile folder's name may differ from the account's ("jane.CORP", "jdoe.000").
    for home in list(homes):
        found = users.profile_owner(system, root, home) if home else None
        if found:
            names.append(found[0])
    return Redaction.of(
        names,
        homes,
        socket.gethostname() if redact_host else None,
        fold_case=system in ("Windows", "Darwin"),
    )


def _owner(path: str) -> tuple[str | None, str | None]:
    """(account name, home) of whoever owns ``path``: its owner's passwd entry on POSIX
    (as root the logs read may be anyone's), else the profile it lies in."""
    found = users.profile_owner(
        platform.system(), users.profile_root(platform.system(), os.environ), path
    )
    try:
        import pwd

        entry = pwd.getpwuid(os.stat(path).st_uid)
    except (ImportError, OSError, KeyError):
        return found if found else (None, None)
    if entry.pw_uid == 0:  # root's files name no person (a profile path still may)
        return found if found else (None, None)
    return entry.pw_name, entry.pw_dir


def _windows_account_names() -> tuple[str | None, str | None]:
    """(NameSamCompatible ``DOMAIN\\user``, NameUserPrincipal ``user@domain``) of this
    account from secur32's GetUserNameExW; (None, None) when the OS will not say (a local
    account has no UPN)."""
    out: list[str | None] = []
    try:
        import ctypes

        get = ctypes.windll.secur32.GetUserNameExW  # type: ignore[attr-defined,unused-ignore]
    except (ImportError, AttributeError, OSError):
        return None, None
    for kind in (2, 8):  # EXTENDED_NAME_FORMAT: NameSamCompatible, NameUserPrincipal
        size = ctypes.c_ulong(512)
        buf = ctypes.create_unicode_buffer(size.value)
        try:
            ok = get(kind, buf, ctypes.byref(size))
        except OSError:
            ok = 0
        out.append(buf.value if ok else None)
    return out[0], out[1]


# --- other users' logs -------------------------------------------------------------------


def _newest_mtime(dirs: list[Path]) -> float | None:
    best: float | None = None
    for d in dirs:
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue
        for e in entries:
            try:
                if e.is_file():
                    best = max(best or 0.0, e.stat().st_mtime)
            except OSError:
                continue
    return best


def console_user() -> str | None:
    """The account at this machine's screen: the ``/dev/console`` owner (macOS), the one
    active seat session in logind (Linux), the console session's user (Windows); None when
    there is none, several, or the OS will not say. The decisions are in wsdiag.host.users."""
    system = platform.system()
    try:
        if system == "Darwin":
            import pwd

            uid = os.stat("/dev/console").st_uid
            return users.macos_console_user(uid, pwd.getpwuid(uid).pw_name)
        if system == "Linux":
            return _logind_console_user()
        if system == "Windows":
            return users.windows_console_user(*_wts_console())
    except (OSError, KeyError, ValueError, subprocess.SubprocessError):
        return None
    return None


def _logind_console_user() -> str | None:
    from wsdiag.budgets import CONSOLE_USER_TIMEOUT

    def run(*args: str) -> str:
        done = subprocess.run(
            ["loginctl", *args],
            capture_output=True,
            text=True,
            timeout=CONSOLE_USER_TIMEOUT,
            check=False,
        )
        return done.stdout if done.returncode == 0 else ""

    ids = [
        line.split()[0] for line in run("list-sessions", "--no-legend").splitlines() if line.split()
    ]
    if not ids:
        return None
    props = ("Name", "Seat", "Active", "Class", "Remote")
    shown = run("show-session", *ids, *(a for p in props for a in ("-p", p)))
    return users.linux_console_user(users.parse_loginctl_show(shown))


def _wts_console() -> tuple[int | None, str | None]:
    """(WTSGetActiveConsoleSessionId, that session's WTSUserName); (None, None) off Windows."""
    try:
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined,unused-ignore]
        wtsapi32 = ctypes.windll.wtsapi32  # type: ignore[attr-defined,unused-ignore]
    except (ImportError, AttributeError, OSError):
        return None, None
    sid = int(kernel32.WTSGetActiveConsoleSessionId()) & 0xFFFFFFFF
    if sid == users.WTS_NO_CONSOLE:
        return sid, None
    buf = ctypes.c_wchar_p()
    size = ctypes.c_ulong()
    wts_user_name = 5  # WTS_INFO_CLASS.WTSUserName
    if not wtsapi32.WTSQuerySessionInformationW(
        None, sid, wts_user_name, ctypes.byref(buf), ctypes.byref(size)
    ):
        return sid, None
    try:
        return sid, buf.value
    finally:
        wtsapi32.WTSFreeMemory(buf)


def other_users_logs() -> tuple[str, list[Path]] | None:
    """Run as SYSTEM/root: (user, existing log dirs) of the console user's profile (the
    person at the screen, not whoever logged last: a short-lived account's profile says
    nothing about them); None for an ordinary account, with no console user or several,
    when it is this account, or when their profile has no client logs."""
    kind, me = account()
    if kind not in (Account.SYSTEM, Account.ROOT):
        return None
    system = platform.system()
    root = users.profile_root(system, os.environ)
    person = console_user()
    if root is None or person is None or person == me:
        return None
    for user, dirs in users.profile_log_dirs(system, root, [person]):
        existing = [Path(d) for d in dirs if Path(d).is_dir()]
        if existing and _newest_mtime(existing) is not None:
            return user, existing
    return None


# --- the proxy a SYSTEM run should use (Windows) ----------------------------------------


@dataclass(frozen=True)
class ProxyView:
    view: str  # "user" | "machine (WinHTTP)"
    user: str | None
    proxies: Mapping[str, str]
    bypass: Callable[[str], bool]


@functools.cache
def proxy_view() -> ProxyView | None:
    """On Windows as SYSTEM: the signed-in user's proxy (their loaded registry hive), else
    the machine's WinHTTP proxy. None everywhere else: the process's own view is right
    (macOS proxy settings are machine-wide; Linux's live in each user's environment, which
    root cannot read reliably)."""
    if platform.system() != "Windows" or account()[0] is not Account.SYSTEM:
        return None
    try:
        return _windows_user_proxy() or _winhttp_proxy()
    except Exception:  # unreadable settings: fall back to the own view, never fail the run
        return None


def _windows_user_proxy() -> ProxyView | None:
    import winreg  # type: ignore[import-not-found,unused-ignore]

    logs = other_users_logs()
    with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, _PROFILES) as plist:  # type: ignore[attr-defined,unused-ignore]
        i = 0
        while True:
            try:
                sid = winreg.EnumKey(plist, i)  # type: ignore[attr-defined,unused-ignore]
            except OSError:
                return None
            i += 1
            if not users.is_person_sid(sid):
                continue
            with winreg.OpenKey(plist, sid) as k:  # type: ignore[attr-defined,unused-ignore]
                path = str(winreg.QueryValueEx(k, "ProfileImagePath")[0])  # type: ignore[attr-defined,unused-ignore]
            user = path.rstrip("\\").rsplit("\\", 1)[-1]
            if logs and user.lower() != logs[0].lower():
                continue
            try:  # HKU\<SID> is loaded only while that user is signed in
                key = winreg.OpenKey(winreg.HKEY_USERS, sid + "\\" + _INET)  # type: ignore[attr-defined,unused-ignore]
            except OSError:
                continue
            with key:
                values = {
                    n: _value(winreg, key, n)
                    for n in ("ProxyEnable", "ProxyServer", "ProxyOverride")
                }
            wp = users.parse_user_proxy(
                values["ProxyEnable"], values["ProxyServer"], values["ProxyOverride"]
            )
            return ProxyView("user", user, wp.proxies(), wp.bypassed)


def _value(winreg: object, key: object, name: str) -> object:
    try:
        return winreg.QueryValueEx(key, name)[0]  # type: ignore[attr-defined]
    except OSError:
        return None


def _winhttp_proxy() -> ProxyView:
    import winreg  # type: ignore[import-not-found,unused-ignore]

    try:
        with winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, _INET + r"\Connections") as k:  # type: ignore[attr-defined,unused-ignore]
            wp = users.parse_winhttp_blob(bytes(winreg.QueryValueEx(k, "WinHttpSettings")[0]))  # type: ignore[attr-defined,unused-ignore]
    except (OSError, ValueError):
        out = subprocess.run(
            ["netsh", "winhttp", "show", "proxy"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
        wp = users.parse_netsh_winhttp(out)
    return ProxyView("machine (WinHTTP)", None, wp.proxies(), wp.bypassed)
