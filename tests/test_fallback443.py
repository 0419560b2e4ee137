"""The 443 fallback by client OS and version: one table for the host's client and the logs'."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsdiag.fallback443 import FALLBACK_FROM, client_has_443_fallback, version_numbers


@pytest.mark.parametrize(
    ("os", "version", "has"),
    [
        ("Windows", "5.23.0.1234", True),
        ("Windows", "5.22.2", False),
        ("Darwin", "5.23", True),
        ("Darwin", "5.9.1", False),
        ("Darwin", "6.0", True),
        ("Linux", "2024.7.1", True),
        ("Linux", "2024.6.9", False),
        ("Linux", "2025.1", True),
        ("Linux", "4.7", False),
        # a version the machine's OS contradicts (a Windows/macOS log read on Linux): the
        # numbering names the client
        ("Linux", "5.29.1.5595", True),
        ("Windows", "2024.8", True),
        ("Windows", None, None),
        ("Windows", "beta", None),
        ("Windows", "5", None),  # one number says nothing about 5.23
        ("FreeBSD", "5.23", None),
        # the logs do not name the OS: a year-numbered version is the Linux client's
        (None, "2024.7.1", True),
        (None, "2024.6.0", False),
        (None, "5.29.1.5595", True),
        (None, "5.22.0.1", False),
        (None, "4.7.0", False),
        (None, "dev-build", None),
    ],
)
def test_fallback_by_os_and_version(os: str | None, version: str | None, has: bool | None) -> None:
    assert client_has_443_fallback(os, version) is has


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5.29.1.5595", (5, 29, 1, 5595)), ("2024.7", (2024, 7)), ("v5", None), ("", None)],
)
def test_version_numbers(text: str, expected: tuple[int, ...] | None) -> None:
    assert version_numbers(text) == expected


@given(st.sampled_from(sorted(FALLBACK_FROM)), st.integers(0, 3000), st.integers(0, 99))
def test_the_threshold_is_where_the_table_says(os: str, major: int, minor: int) -> None:
    # the numbering names the client where the OS contradicts it: years are Linux's
    client = os if (os == "Linux") is (major >= 2000) else ("Linux" if major >= 2000 else "Windows")
    assert client_has_443_fallback(os, f"{major}.{minor}.0") is (
        (major, minor) >= FALLBACK_FROM[client]
    )
