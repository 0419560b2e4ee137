"""``wsdiag bundle``: one zip for a helpdesk ticket, redacted by default.

Inside: the check report (text, JSON and one HTML page), the client-logs summary, the
newest client log's tail (at most TAIL_BYTES), host facts, proxy/DNS configuration as
wsdiag saw it, versions, and manifest.json listing every file and what was redacted. Every
text that goes in passes through one :class:`~wsdiag.redact.Redaction`; proxy URLs never
hold credentials (wsdiag.host.proxy drops them when parsing).
"""

from __future__ import annotations

import io
import platform
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from wsdiag import __version__
from wsdiag.redact import Redaction
from wsdiag.render.formats import dumps, report_json
from wsdiag.vocab.report import Report

TAIL_BYTES = 256 * 1024
BUNDLE_SCHEMA = "wsdiag.bundle/1"


@dataclass(frozen=True)
class Part:
    name: str
    what: str
    data: bytes


def versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version(), "wsdiag": __version__}
    for dist in ("dnspython", "aioquic", "cryptography", "psutil"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def resolver_config(nameservers: Sequence[str]) -> dict[str, Any]:
    """The resolvers the check used: --nameserver, else the system's as dnspython reads
    them (resolv.conf, the Windows registry)."""
    import dns.resolver

    out: dict[str, Any] = {"given": list(nameservers)}
    try:
        r = dns.resolver.Resolver()
        out["system"] = {
            "nameservers": [str(n) for n in r.nameservers],
            "search": [str(s) for s in r.search],
            "port": r.port,
        }
    except Exception as exc:  # no resolv.conf, unreadable registry: that is a fact too
        out["system"] = {"error": f"{exc.__class__.__name__}: {exc}"}
    return out


def proxy_config() -> dict[str, Any]:
    """The HTTPS proxy setting wsdiag found, credentials already removed."""
    from wsdiag.host.proxy import discover

    try:
        cfg = discover()
    except Exception as exc:
        return {"error": exc.__class__.__name__}
    if cfg is None:
        return {"https": None}
    return {"https": cfg.url, "source": cfg.source, "problem": cfg.problem}


def log_parts(log_dirs: Sequence[Path] | None, redaction: Redaction) -> list[Part]:
    """The logs summary (as `wsdiag logs --json`: every file, streamed, constant memory)
    and the newest file's tail, redacted."""
    from wsdiag.host.readfile import ReadRefused, open_regular
    from wsdiag.logs.files import discover, looks_like_text
    from wsdiag.logs.report import collect, to_json

    now = datetime.now(UTC)
    result = collect(list(log_dirs or []), None)
    parts = [
        Part(
            "logs-summary.json",
            "summary of the client's logs (as wsdiag logs --json)",
            dumps(redaction.json(to_json(result, now))).encode(),
        )
    ]
    files, _, _ = discover(list(log_dirs or []) or None)
    newest = next((f for f in files if not f.compressed and looks_like_text(f)), None)
    if newest is not None:
        try:
            stream, _ = open_regular(newest.path, owner=newest.owner)
            with stream as fh:
                fh.seek(max(0, newest.size - TAIL_BYTES))
                tail = fh.read(TAIL_BYTES)
        except ReadRefused as exc:
            tail = f"(not read: {exc.detail})\n".encode()
        except OSError as exc:
            tail = f"(unreadable: {exc.strerror or exc})\n".encode()
        text = redaction.text(tail.decode("utf-8", "replace"))
        name = redaction.text(str(newest.path))
        parts.append(
            Part(
                "client-log-tail.txt",
                f"last {TAIL_BYTES // 1024} kB of the newest client log ({name})",
                text.encode("utf-8"),
            )
        )
    return parts


def build_parts(
    report: Report,
    text: str,
    nameservers: Sequence[str],
    log_dirs: Sequence[Path] | None,
    read_logs: bool,
    redaction: Redaction,
) -> list[Part]:
    """Every file of the bundle except the manifest: the check as text, JSON and one HTML
    page (what the helpdesk opens first), host, network and version facts, the logs."""
    from wsdiag.render.html import render_page  # Jinja2: only where a page is made

    obj = report_json(report, redaction)
    parts = [
        Part("report.txt", "the check, as `wsdiag check` prints it", text.encode("utf-8")),
        Part("report.json", "the check, schema wsdiag.report/1", dumps(obj).encode()),
        Part(
            "report.html",
            "the check as one self-contained page (as `wsdiag check --html`)",
            render_page(report, redaction).encode("utf-8"),
        ),
        Part(
            "host.json",
            "host facts: machine, OS, account, whose view",
            dumps(obj.get("host")).encode(),
        ),
        Part(
            "network.json",
            "DNS resolvers and proxy setting as wsdiag saw them",
            dumps(
                redaction.json(
                    {
                        "dns": resolver_config(nameservers),
                        "proxy_setting": proxy_config(),
                        "proxy_used": obj.get("proxy"),
                    }
                )
            ).encode(),
        ),
        Part(
            "versions.json",
            "versions of Python, wsdiag and its libraries",
            dumps(versions()).encode(),
        ),
    ]
    if read_logs:
        parts += log_parts(log_dirs, redaction)
    return parts


def write_bundle(path: Path, parts: Sequence[Part], redaction: Redaction) -> Path:
    """Write the zip (parts + manifest.json); returns ``path``. Written whole or not at all
    through :func:`wsdiag.outfile.write_file`: never through a link or a pre-existing
    temporary name, and only over a regular file (run as root, ``-o /dev/null`` must not
    replace a device with a zip). Raises OSError (:class:`wsdiag.outfile.OutputRefused`
    with the reason for a refused target or folder)."""
    from wsdiag.outfile import write_file

    # The final pass: whatever a part's maker added (a file name, an error) is redacted too.
    parts = [
        Part(p.name, p.what, redaction.text(p.data.decode("utf-8", "replace")).encode())
        for p in parts
    ]
    manifest = {
        "schema": BUNDLE_SCHEMA,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "wsdiag": __version__,
        "redacted": redaction.kinds if redaction.enabled else [],
        "redaction": "on" if redaction.enabled else "off (--no-redact)",
        "files": [{"name": p.name, "bytes": len(p.data), "what": p.what} for p in parts],
    }
    # Built in memory (the parts already are: the log tail is at most TAIL_BYTES), so the
    # file on disk is only ever the finished zip.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for p in parts:
            zf.writestr(p.name, p.data)
        zf.writestr("manifest.json", dumps(manifest))
    return write_file(path, buf.getvalue())


def default_name(now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return Path(f"wsdiag-bundle-{stamp}.zip")
