"""Open an HTML file in headless Chromium the way a person would, with nothing able to leave.

Chromium runs inside a fresh, empty network namespace (only a loopback, down) made here and
removed afterwards with every process in it, so neither the page nor the browser's own
background traffic (time sync, component updates) can reach a network. It prints the DOM
after load (``--dump-dom``), takes a screenshot, and writes a net log (``--log-net-log``);
``page_requests`` reads the requests the page made from that log.

As root Chromium needs ``--no-sandbox`` (its sandbox refuses to run as root).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PREFIX = "wh"  # namespaces made here: wh<hex>
# Quiet the browser's own background work; what is left cannot leave the namespace anyway.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--hide-scrollbars",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
)


@dataclass(frozen=True)
class Page:
    dom: str  # the serialised DOM after load
    requests: tuple[str, ...]  # URLs the page itself asked for
    screenshot: Path | None


def chromium() -> str | None:
    for name in ("chromium", "chromium-browser"):
        if path := shutil.which(name):
            return path
    return None


def unavailable_reason() -> str | None:
    """Why a browser test cannot run here, or None."""
    if chromium() is None:
        return "chromium not installed (sh scripts/lab-deps.sh installs it as root)"
    if os.geteuid() != 0:
        return "not root: cannot create the empty network namespace chromium runs in"
    if shutil.which("ip") is None:
        return "iproute2 (ip) not installed"
    return None


def _ip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20, check=False)


@contextlib.contextmanager
def empty_namespace() -> Iterator[str]:
    """A network namespace with no interface but a downed loopback; removed on exit."""
    name = f"{PREFIX}{secrets.token_hex(3)}"
    made = _ip("netns", "add", name)
    if made.returncode != 0:
        raise RuntimeError(f"ip netns add {name}: {made.stderr.strip()}")
    try:
        yield name
    finally:
        # Everything in this namespace was started here (chromium and its helpers).
        for pid in _ip("netns", "pids", name).stdout.split():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid), signal.SIGKILL)
        _ip("netns", "del", name)


def _run(html: Path, args: list[str], timeout: float) -> tuple[str, tuple[str, ...]]:
    """Chromium with ``args`` on ``html`` in a fresh empty namespace: (stdout, requests)."""
    exe = chromium()
    if exe is None:
        raise RuntimeError("chromium not installed")
    with tempfile.TemporaryDirectory(prefix="wh-chromium-") as d, empty_namespace() as ns:
        netlog = Path(d) / "netlog.json"
        cmd = [
            "ip",
            "netns",
            "exec",
            ns,
            exe,
            *FLAGS,
            f"--user-data-dir={d}/profile",
            f"--log-net-log={netlog}",
            *args,
            html.resolve().as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"chromium did not finish within {timeout:g} s") from exc
        if proc.returncode != 0:
            raise RuntimeError(f"chromium exit {proc.returncode}: {proc.stderr[-600:]}")
        return proc.stdout, page_requests(netlog)


def open_page(
    html: Path,
    screenshot: Path | None = None,
    size: tuple[int, int] = (1000, 1400),
    timeout: float = 90.0,
) -> Page:
    """Load ``html`` (a local file) in headless Chromium in an empty namespace.

    Raises RuntimeError when Chromium fails or times out (its stderr tail in the message)."""
    args = [f"--window-size={size[0]},{size[1]}", "--dump-dom"]
    if screenshot is not None:
        args.append(f"--screenshot={screenshot}")
    dom, requests = _run(html, args, timeout)
    if "<html" not in dom:
        raise RuntimeError("chromium printed no DOM")
    return Page(dom, requests, screenshot)


def print_pages(html: Path, pdf: Path, timeout: float = 90.0) -> int:
    """Print ``html`` to ``pdf`` as Chromium does (its default paper); the number of pages."""
    _run(html, ["--no-pdf-header-footer", f"--print-to-pdf={pdf}"], timeout)
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf.read_bytes()))


def page_requests(netlog: Path) -> tuple[str, ...]:
    """URLs of the requests a page made, from a Chromium net log (JSON).

    Every URL request starts with a URL_REQUEST_START_JOB event carrying its URL and
    initiator. The browser's own background fetches have the initiator "not an origin"; a
    request from a page has the page's origin as initiator ("null" for a file:// page). A
    log cut short by the browser's exit lacks its closing brackets: those are added."""
    text = netlog.read_text(errors="replace").rstrip().rstrip(",")
    try:
        log = json.loads(text)
    except json.JSONDecodeError:
        log = json.loads(text + "]}")
    names = {v: k for k, v in log["constants"]["logEventTypes"].items()}
    urls = []
    for event in log.get("events", []):
        params = event.get("params") or {}
        if (
            names.get(event["type"]) == "URL_REQUEST_START_JOB"
            and "url" in params
            and params.get("initiator") != "not an origin"
        ):
            urls.append(params["url"])
    return tuple(urls)
