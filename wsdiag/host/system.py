"""The OS-only reads of wsdiag.host, in one place: each returns raw values, never raises.

Everything here is I/O against one operating system's API or tool; what the values mean is
decided by pure parsers elsewhere (``interfaces``, ``pac``), tested on recorded inputs of
every OS. Only the Linux paths can run on the development machine; the Windows registry
and adapter reads and macOS ``scutil`` are exercised on those systems only.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

_TOOL_TIMEOUT = 3.0  # seconds; scutil/gsettings answer in milliseconds when they work

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
    wanted += [("HKCU", _CONNECTIONS, "DefaultConnectionSettings"),
               ("HKLM", _CONNECTIONS, "WinHttpSettings")]
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


def gsettings_proxy() -> tuple[str, str] | None:
    """Linux desktop: (mode, autoconfig-url) of org.gnome.system.proxy as GVariant text."""
    if not sys.platform.startswith("linux") or shutil.which("gsettings") is None:
        return None
    mode = _run(["gsettings", "get", "org.gnome.system.proxy", "mode"])
    url = _run(["gsettings", "get", "org.gnome.system.proxy", "autoconfig-url"])
    return None if mode is None else (mode, url or "''")


def _run(args: list[str]) -> str | None:
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=_TOOL_TIMEOUT,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout if proc.returncode == 0 else None
