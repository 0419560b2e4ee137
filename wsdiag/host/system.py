"""The OS-only reads of wsdiag.host, in one place: each returns raw values, never raises.

Everything here is I/O against one operating system's API or tool; what the values mean is
decided by pure parsers elsewhere (``interfaces``, ``pac``), tested on recorded inputs of
every OS. Only the Linux paths can run on the development machine; the Windows registry
and adapter reads and macOS ``scutil`` are exercised on those systems only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from typing import Any

from wsdiag.budgets import HOST_TOOL_TIMEOUT

# Internet Settings keys in the order WinINet applies them (policies before preferences).
_INTERNET_SETTINGS = (
    ("HKCU", r"Software\Policies\Microsoft\Windows\CurrentVersion\Internet Settings"),
    ("HKLM", r"Software\Policies\Microsoft\Windows\CurrentVersion\Internet Settings"),
    ("HKCU", r"Software\Microsoft\Windows\CurrentVersion\Internet Settings"),
    ("HKLM", r"Software\Microsoft\Windows\CurrentVersion\Internet Settings"),
)
_CONNECTIONS = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings\Connections"


def windows_adapter_descriptions() -> tuple[dict[str, str], str]:
    """Windows: {friendly name (psutil's interface name): adapter description}, problem.

    psutil names Windows interfaces by FriendlyName and has no description; ``ifaddr``
    (GetAdaptersAddresses via ctypes) gives both: the adapter's ``nice_name`` is the
    Description and each of its IPs carries the FriendlyName. Adapters without an IP are
    not listed, and they carry no route either.
    """
    try:
        import ifaddr

        adapters = ifaddr.get_adapters()
    except Exception as exc:  # missing package or API failure: descriptions unknown
        return {}, f"adapter descriptions could not be read ({type(exc).__name__})"
    from wsdiag.host.interfaces import descriptions_from_adapters

    return descriptions_from_adapters(adapters), ""


def windows_internet_settings() -> list[tuple[str, str, str, object]]:
    """Windows: (hive, key, value name, data) of every proxy auto-config value present.

    Reads AutoConfigURL from the four Internet Settings keys, the per-user WinINet
    ``DefaultConnectionSettings`` blob (auto-detect flag) and the machine's WinHTTP
    ``WinHttpSettings`` blob. Values that are absent or unreadable are left out.
    """
    if sys.platform != "win32":
        return []
    import winreg

    hives = {"HKCU": winreg.HKEY_CURRENT_USER, "HKLM": winreg.HKEY_LOCAL_MACHINE}
    wanted = [(h, k, "AutoConfigURL") for h, k in _INTERNET_SETTINGS]
    wanted += [
        ("HKCU", _CONNECTIONS, "DefaultConnectionSettings"),
        ("HKLM", _CONNECTIONS, "WinHttpSettings"),
    ]
    found: list[tuple[str, str, str, object]] = []
    for hive, key, name in wanted:
        try:
            with winreg.OpenKey(hives[hive], key) as handle:
                data, _type = winreg.QueryValueEx(handle, name)
        except OSError:
            continue
        found.append((hive, key, name, data))
    return found


def scutil_proxy() -> str | None:
    """macOS: the text of ``scutil --proxy`` (the SystemConfiguration proxy dictionary)."""
    return _run(["scutil", "--proxy"]) if sys.platform == "darwin" else None


@dataclass(frozen=True)
class DesktopUser:
    """The account whose desktop settings a root run reads (uid, gid, name, home)."""

    uid: int
    gid: int
    name: str
    home: str


def gsettings_proxy(as_user: DesktopUser | None = None) -> tuple[str, str] | None:
    """Linux desktop: (mode, autoconfig-url) of org.gnome.system.proxy as GVariant text.

    gsettings (through dconf) writes ``$XDG_RUNTIME_DIR/dconf/user`` or, without one,
    ``$HOME/.cache/dconf/user`` (into the current folder when HOME is relative): it runs
    with both XDG_RUNTIME_DIR and XDG_CACHE_HOME in a temporary folder removed afterwards.
    As root, root's settings are not the desktop's: it runs as the desktop user (``as_user``,
    else :func:`desktop_user`), and with none found the setting is not read (None)."""
    if not sys.platform.startswith("linux") or shutil.which("gsettings") is None:
        return None
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        as_user = as_user or desktop_user()
        if as_user is None:
            return None
    with tempfile.TemporaryDirectory(prefix="wsdiag-gsettings-") as scratch:
        env = {**os.environ, "XDG_RUNTIME_DIR": scratch, "XDG_CACHE_HOME": scratch}
        ids: dict[str, object] = {}
        if as_user is not None:
            try:
                os.chown(scratch, as_user.uid, as_user.gid)
            except OSError:
                return None
            env.update(HOME=as_user.home, USER=as_user.name, LOGNAME=as_user.name)
            env.pop("XDG_CONFIG_HOME", None)  # root's, not the user's
            env.pop("DBUS_SESSION_BUS_ADDRESS", None)
            ids = {"user": as_user.uid, "group": as_user.gid, "extra_groups": []}
        keys = ("mode", "autoconfig-url")
        mode, url = (
            _run(["gsettings", "get", "org.gnome.system.proxy", k], env, ids) for k in keys
        )
    return None if mode is None else (mode, url or "''")


def desktop_user() -> DesktopUser | None:
    """Linux, as root: the person whose desktop session is newest, by their runtime folder
    ``/run/user/<uid>`` (systemd-logind makes one per logged-in user) and a dconf database
    in their home; None when no such account (a server, nobody logged in)."""
    try:
        import pwd
    except ImportError:
        return None
    found: list[tuple[float, DesktopUser]] = []
    try:
        entries = list(os.scandir("/run/user"))
    except OSError:
        return None
    for entry in entries:
        if not entry.name.isdigit() or int(entry.name) < 1000:  # system accounts below
            continue
        try:
            pw = pwd.getpwuid(int(entry.name))
            dconf = os.stat(os.path.join(pw.pw_dir, ".config", "dconf", "user"))
            started = entry.stat().st_mtime
        except (KeyError, OSError):
            continue
        if dconf.st_uid == pw.pw_uid:
            found.append((started, DesktopUser(pw.pw_uid, pw.pw_gid, pw.pw_name, pw.pw_dir)))
    return max(found, key=lambda f: f[0])[1] if found else None


def _run(
    args: list[str], env: dict[str, str] | None = None, ids: dict[str, Any] | None = None
) -> str | None:
    try:
        proc = subprocess.run(
            args,
            capture_output=True,
            text=True,
            timeout=HOST_TOOL_TIMEOUT,
            check=False,
            env=env,
            **(ids or {}),
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None


# --- name resolution -------------------------------------------------------------------

_NRPT = r"SOFTWARE\Policies\Microsoft\Windows NT\DNSClient\DnsPolicyConfig"
MAX_CONFIG_BYTES = 1 << 20  # a hosts file or resolv.conf larger than 1 MiB is not read


def hosts_file_path() -> str:
    """Where this OS keeps its hosts file."""
    if sys.platform == "win32":
        import os

        root = os.environ.get("SYSTEMROOT", r"C:\Windows")
        return root + r"\System32\drivers\etc\hosts"
    return "/etc/hosts"


def read_small_text(path: str) -> tuple[str | None, str]:
    """(text, problem) of a small configuration file: a regular file only, at most
    MAX_CONFIG_BYTES, undecodable bytes replaced. Never raises, never blocks on a FIFO."""
    import os
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        return None, f"{path}: {exc.strerror or exc}"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, f"{path}: not a regular file"
        if info.st_size > MAX_CONFIG_BYTES:
            return None, f"{path}: larger than {MAX_CONFIG_BYTES} bytes"
        data = os.read(fd, MAX_CONFIG_BYTES + 1)[:MAX_CONFIG_BYTES]
    except OSError as exc:
        return None, f"{path}: {exc.strerror or exc}"
    finally:
        os.close(fd)
    return data.decode("utf-8", "replace"), ""


def scutil_dns() -> str | None:
    """macOS: the text of ``scutil --dns`` (resolvers incl. /etc/resolver/ and VPN scopes)."""
    return _run(["scutil", "--dns"]) if sys.platform == "darwin" else None


def resolvectl_status() -> str | None:
    """Linux with systemd-resolved: the text of ``resolvectl status`` (per-link DNS)."""
    if not sys.platform.startswith("linux") or shutil.which("resolvectl") is None:
        return None
    return _run(["resolvectl", "--no-pager", "status"])


def windows_nrpt_values() -> list[tuple[object, object]]:
    """Windows: (Name, GenericDNSServers) of each NRPT rule in the policy registry."""
    if sys.platform != "win32":
        return []
    import winreg

    out: list[tuple[object, object]] = []
    try:
        root = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, _NRPT)
    except OSError:
        return out
    with root:
        for i in range(256):  # bounded: a policy has a handful of rules
            try:
                name = winreg.EnumKey(root, i)
            except OSError:
                break
            try:
                with winreg.OpenKey(root, name) as rule:
                    names = winreg.QueryValueEx(rule, "Name")[0]
                    servers = winreg.QueryValueEx(rule, "GenericDNSServers")[0]
            except OSError:
                continue
            out.append((names, servers))
    return out


_TCPIP_INTERFACES = r"SYSTEM\CurrentControlSet\Services\Tcpip\Parameters\Interfaces"


def windows_interface_dns_values() -> list[tuple[str, object, object]]:
    """Windows: (interface GUID, NameServer, DhcpNameServer) per adapter in the registry
    (the values dnspython's own Windows reader uses); [] elsewhere or when unreadable."""
    if sys.platform != "win32":
        return []
    import winreg

    out: list[tuple[str, object, object]] = []
    try:
        root = winreg.OpenKey(winreg.HKEY_LOCAL_MACHINE, _TCPIP_INTERFACES)
    except OSError:
        return out
    with root:
        for i in range(256):  # bounded: a machine has a few dozen adapters at most
            try:
                guid = winreg.EnumKey(root, i)
            except OSError:
                break
            values: list[object] = []
            try:
                with winreg.OpenKey(root, guid) as key:
                    for value in ("NameServer", "DhcpNameServer"):
                        try:
                            values.append(winreg.QueryValueEx(key, value)[0])
                        except OSError:
                            values.append(None)
            except OSError:
                continue
            out.append((guid, values[0], values[1]))
    return out
