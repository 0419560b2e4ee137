"""Where the client keeps its logs, for every OS, computed on any OS."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from wsdiag.host.platform import client_log_dirs, default_log_dirs

WIN_HOME = PureWindowsPath(r"C:\Users\alice")
MAC_HOME = PurePosixPath("/Users/alice")
LINUX_HOME = PurePosixPath("/home/alice")


@pytest.mark.parametrize(
    ("system", "env", "home", "expected"),
    [
        (
            "Windows",
            {"LOCALAPPDATA": r"D:\Profiles\alice\AppData\Local"},
            WIN_HOME,
            [
                r"D:\Profiles\alice\AppData\Local\Amazon Web Services\Amazon WorkSpaces\logs",
                r"D:\Profiles\alice\AppData\Local\Amazon Web Services\Amazon WorkSpaces\1.0\Logs",
            ],
        ),
        (
            "Windows",
            {},  # no LOCALAPPDATA: the profile default
            WIN_HOME,
            [
                r"C:\Users\alice\AppData\Local\Amazon Web Services\Amazon WorkSpaces\logs",
                r"C:\Users\alice\AppData\Local\Amazon Web Services\Amazon WorkSpaces\1.0\Logs",
            ],
        ),
        (
            "Darwin",
            {"LOCALAPPDATA": r"C:\ignored"},
            MAC_HOME,
            [
                "/Users/alice/Library/Application Support/Amazon Web Services/Amazon WorkSpaces"
                "/logs",
                "/Users/alice/Library/Logs/Amazon Web Services/Amazon WorkSpaces/1.0",
            ],
        ),
        (
            "Linux",
            {},
            LINUX_HOME,
            ["/home/alice/.local/share/Amazon Web Services/Amazon WorkSpaces/logs"],
        ),
        (
            "Linux",
            {"XDG_DATA_HOME": "/data/alice"},
            LINUX_HOME,
            [
                "/data/alice/Amazon Web Services/Amazon WorkSpaces/logs",
                "/home/alice/.local/share/Amazon Web Services/Amazon WorkSpaces/logs",
            ],
        ),
        (
            "Linux",  # XDG set to the default: listed once
            {"XDG_DATA_HOME": "/home/alice/.local/share"},
            LINUX_HOME,
            ["/home/alice/.local/share/Amazon Web Services/Amazon WorkSpaces/logs"],
        ),
        (
            "Linux",  # a relative XDG_DATA_HOME is invalid per the spec: ignored
            {"XDG_DATA_HOME": "data"},
            LINUX_HOME,
            ["/home/alice/.local/share/Amazon Web Services/Amazon WorkSpaces/logs"],
        ),
        ("FreeBSD", {}, LINUX_HOME, []),
    ],
)
def test_client_log_dirs(
    system: str, env: dict[str, str], home: PureWindowsPath | PurePosixPath, expected: list[str]
) -> None:
    got = client_log_dirs(system, env, home)
    assert [str(p) for p in got] == expected
    assert all(type(p) is type(home) for p in got)


def test_default_log_dirs_are_real_paths() -> None:
    dirs = default_log_dirs()
    assert all(isinstance(p, Path) and p.is_absolute() for p in dirs)
