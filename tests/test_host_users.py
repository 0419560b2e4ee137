"""Running as SYSTEM/root: account kinds, user profiles, Windows proxy settings (pure parts,
on recorded inputs of each OS) and redaction."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsdiag.host.users import (
    WinProxy,
    account_kind,
    is_person_sid,
    newest,
    parse_netsh_winhttp,
    parse_user_proxy,
    parse_winhttp_blob,
    profile_log_dirs,
    profile_root,
)
from wsdiag.redact import MASK, Redaction
from wsdiag.vocab.model import Account


@pytest.mark.parametrize(
    ("system", "euid", "name", "env", "kind"),
    [
        ("Windows", None, "WS-PC01$", {}, Account.SYSTEM),
        ("Windows", None, "SYSTEM", {}, Account.SYSTEM),
        (
            "Windows",
            None,
            "x",
            {"USERPROFILE": r"C:\WINDOWS\system32\config\systemprofile"},
            Account.SYSTEM,
        ),
        ("Windows", None, "jane.doe", {"USERPROFILE": r"C:\Users\jane.doe"}, Account.USER),
        ("Windows", None, None, {}, Account.UNKNOWN),
        ("Linux", 0, "root", {}, Account.ROOT),
        ("Darwin", 0, "root", {}, Account.ROOT),
        ("Linux", 1000, "jane", {}, Account.USER),
        ("Linux", None, "jane", {}, Account.UNKNOWN),
    ],
)
def test_account_kind(
    system: str, euid: int | None, name: str | None, env: dict[str, str], kind: Account
) -> None:
    assert account_kind(system, euid, name, env) is kind


def test_profile_roots_per_os() -> None:
    assert profile_root("Windows", {"PUBLIC": r"D:\Users\Public"}) == PureWindowsPath(r"D:\Users")
    assert profile_root("Windows", {"SystemDrive": "E:"}) == PureWindowsPath(r"E:\Users")
    assert profile_root("Windows", {}) == PureWindowsPath(r"C:\Users")
    assert profile_root("Darwin", {}) == PurePosixPath("/Users")
    assert profile_root("Linux", {}) == PurePosixPath("/home")
    assert profile_root("FreeBSD", {}) is None


def test_profile_log_dirs_skip_non_person_profiles() -> None:
    names = ["Public", "Default", "All Users", "jane.doe", "defaultuser0", ".hidden", "ops"]
    got = profile_log_dirs("Windows", PureWindowsPath(r"C:\Users"), names)
    assert [u for u, _ in got] == ["jane.doe", "ops"]
    assert got[0][1][0] == PureWindowsPath(
        r"C:\Users\jane.doe\AppData\Local\Amazon Web Services\Amazon WorkSpaces\logs"
    )
    mac = profile_log_dirs("Darwin", PurePosixPath("/Users"), ["Shared", "jane"])
    assert [u for u, _ in mac] == ["jane"]
    assert str(mac[0][1][0]).startswith("/Users/jane/Library/Application Support/")
    linux = profile_log_dirs("Linux", PurePosixPath("/home"), ["lost+found", "jane"])
    assert linux == [
        (
            "jane",
            [PurePosixPath("/home/jane/.local/share/Amazon Web Services/Amazon WorkSpaces/logs")],
        )
    ]


@pytest.mark.parametrize(
    ("sid", "person"),
    [
        ("S-1-5-21-3623811015-3361044348-30300820-1013", True),
        ("S-1-12-1-1234567-2345678-3456789-4567890", True),  # Entra ID
        ("S-1-5-18", False),
        ("S-1-5-19", False),
        ("S-1-5-20", False),
        (".DEFAULT", False),
        ("S-1-5-21-3623811015-3361044348-30300820-1013_Classes", False),
    ],
)
def test_person_sids(sid: str, person: bool) -> None:
    assert is_person_sid(sid) is person


def test_newest_session_wins() -> None:
    assert newest([("a", 10.0), ("b", 30.0), ("c", 20.0)]) == "b"
    assert newest([]) is None


# Recorded: `netsh winhttp reset proxy` leaves this (Microsoft's documentation).
DIRECT_BLOB = bytes.fromhex("1800000000000000010000000000000000000000")


def _blob(server: str, bypass: str, flags: int = 3) -> bytes:
    # netsh winhttp set proxy proxy-server="..." bypass-list="...": same layout, flags 3.
    def le(n: int) -> bytes:
        return n.to_bytes(4, "little")

    return (
        le(0x28)
        + le(5)
        + le(flags)
        + le(len(server))
        + server.encode()
        + le(len(bypass))
        + bypass.encode()
    )


def test_winhttp_blob() -> None:
    assert parse_winhttp_blob(DIRECT_BLOB) == WinProxy(None)
    wp = parse_winhttp_blob(_blob("proxy.corp.example:8080", "*.corp.example;<local>"))
    assert wp == WinProxy("proxy.corp.example:8080", ("*.corp.example", "<local>"))
    assert wp.proxies() == {"https": "http://proxy.corp.example:8080"}
    assert parse_winhttp_blob(_blob("p:1", "", flags=1)) == WinProxy(None)  # set, not enabled
    with pytest.raises(ValueError):
        parse_winhttp_blob(DIRECT_BLOB[:10])
    with pytest.raises(ValueError):
        parse_winhttp_blob(_blob("proxy:8080", "x")[:-3])


NETSH_DIRECT = (
    "\r\nCurrent WinHTTP proxy settings:\r\n\r\n    Direct access (no proxy server).\r\n\r\n"
)
NETSH_PROXY = """
Current WinHTTP proxy settings:

    Proxy Server(s) :  http=proxy:80;https=sproxy:8443
    Bypass List     :  *.corp.example;<local>

"""
NETSH_DE = """
Aktuelle WinHTTP-Proxyeinstellungen:

    Proxyserver :  proxy.firma.example:3128
    Umgehungsliste  :  (none)

"""


def test_netsh_output_in_any_language() -> None:
    assert parse_netsh_winhttp(NETSH_DIRECT) == WinProxy(None)
    wp = parse_netsh_winhttp(NETSH_PROXY)
    assert wp.proxies() == {"https": "http://sproxy:8443"}
    assert wp.bypassed("ws.corp.example") and wp.bypassed("intranet")
    assert not wp.bypassed("ws-broker-service.eu-west-1.amazonaws.com")
    de = parse_netsh_winhttp(NETSH_DE)
    assert de == WinProxy("proxy.firma.example:3128", ())


def test_user_proxy_from_registry_values() -> None:
    assert parse_user_proxy(0, "proxy:8080", None) == WinProxy(None)
    assert parse_user_proxy(1, None, None) == WinProxy(None)
    wp = parse_user_proxy(1, "proxy:8080", "<local>;10.*")
    assert wp.proxies() == {"https": "http://proxy:8080"} and wp.bypassed("10.1.2.3")
    assert parse_user_proxy(1, "ftp=f:21", None).proxies() == {}


# --- redaction ---------------------------------------------------------------------------


def test_redaction_of_names_homes_and_host() -> None:
    r = Redaction.of(
        ["jane.doe", "root", "j"],
        ["/home/jane.doe", r"C:\Users\Jane Doe"],
        host="JANES-MBP.corp.example",
    )
    text = (
        "/home/jane.doe/.local/share/x by jane.doe; C:/Users/Jane Doe/AppData; "
        "also root and j; on JANES-MBP.corp.example aka janes-mbp"
    )
    out = r.text(text)
    assert "jane" not in out.lower() and "JANES" not in out
    assert out.startswith(f"/home/{MASK}/.local/share/x by {MASK};")
    assert f"C:/Users/{MASK}/AppData" in out
    assert "also root and j" in out  # system accounts and one-letter names stay
    assert r.kinds == ["URL credentials", "user names", "home paths", "host name"]
    assert Redaction().text(text) == text and Redaction().user("jane") == "jane"
    assert r.json({"a": ["jane.doe", 1, None], "jane.doe": True}) == {
        "a": [MASK, 1, None],
        MASK: True,
    }


@pytest.mark.parametrize(
    ("text", "out"),
    [
        ("proxy http://svc:s3cret@proxy.corp:3128 set", f"proxy http://{MASK}@proxy.corp:3128 set"),
        ("HTTPS_PROXY=https://bob@p:8443", f"HTTPS_PROXY=https://{MASK}@p:8443"),
        ("mail bob@corp.example, http://proxy:80/x", "mail bob@corp.example, http://proxy:80/x"),
    ],
)
def test_url_credentials_are_redacted(text: str, out: str) -> None:
    assert Redaction.of().text(text) == out
    assert Redaction().text(text) == text


def test_a_name_inside_a_longer_word_stays() -> None:
    r = Redaction.of(["jane"])
    assert r.text("janet jane, jane.x, jane_x") == f"janet {MASK}, {MASK}.x, jane_x"


@pytest.mark.parametrize(
    ("text", "out"),
    [
        # a short name: only in a path position and after "for "
        ("/home/al/x C:\\Users\\al\\y", f"/home/{MASK}/x C:\\Users\\{MASK}\\y"),
        ("logs for al.", f"logs for {MASK}."),
        ("also al, al.example, ws.al.example //al/x", "also al, al.example, ws.al.example //al/x"),
        ("for al.example and /al.corp/", "for al.example and /al.corp/"),
    ],
)
def test_a_short_name_only_in_path_positions(text: str, out: str) -> None:
    assert Redaction.of(["al"]).text(text) == out


@given(
    st.text(alphabet="abcdefghijklmnop.-_", min_size=2, max_size=12),
    st.text(max_size=40),
    st.text(max_size=40),
)
def test_redacted_text_never_holds_the_name(name: str, before: str, after: str) -> None:
    if not any(c.isalnum() for c in name):
        return
    r = Redaction.of([name], [f"/home/{name}"])
    if not r.users:  # a system account name
        return
    out = r.text(f"{before} {name} {after} /home/{name}/x")
    assert f"/home/{name}/" not in out
    if len(name) >= 4:  # a shorter one only in path positions
        assert f" {name} " not in out
