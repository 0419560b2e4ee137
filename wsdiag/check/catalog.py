"""Load and validate the probe catalog (TOML) into model types.

Validation is strict (unknown keys are errors) because a typo in an organisation's
catalog file would otherwise silently drop a probe, and a missing probe can turn into a
false "ready". Every error names the file and the key.
"""

from __future__ import annotations

import re
import reprlib
import string
import tomllib
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from wsdiag.errors import WsdiagError
from wsdiag.host.readfile import ReadRefused, read_bytes
from wsdiag.quality.bounds import Bound, QualityBounds
from wsdiag.vocab.model import Catalog, Check, Need, Region, Role, Target, Transport

SCHEMA = "wsdiag.catalog/1"
MAX_CATALOG_BYTES = 1 << 20  # the shipped catalog is a few kB; an organisation's is smaller
_TOP_KEYS = {"schema", "quic", "targets", "regions", "quality"}
# [quality]: the session-quality score's bounds, [good, poor] each (wsdiag.budgets)
_QUALITY_KEYS = {"rtt_ms": 10_000.0, "jitter_ms": 10_000.0, "loss_percent": 100.0}
_TARGET_KEYS = {"id", "host", "role", "need", "checks", "purpose", "requires", "all_addresses"}
_REGION_KEYS = {"name", "airport", "airport_borrowed"}
_PLACEHOLDERS = {"region", "airport", "directory_id"}
_REQUIRES = {"directory_id"}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*$")
# Values a template is test-filled with: the longest real ones, so a host that passes here
# passes with every region and directory id the plan can be given.
_SAMPLE = {"region": "ap-southeast-5", "airport": "dub", "directory_id": "d-" + "9" * 60}
# Limits on a merged catalog. Each target is 2 DNS queries plus a probe per check and (for
# the endpoint) per address: beyond these a resolver rate-limits the run into a false
# "silent", and the run deadline cannot cover the work. The built-in catalog has 14
# targets, 30 regions, at most 4 checks per target.
MAX_TARGETS = 64
MAX_REGIONS = 128
MAX_CHECKS = 8


_SHORT = reprlib.Repr()
_SHORT.maxstring = _SHORT.maxother = 60  # a value echoed in a one-line error


def short(value: object) -> str:
    """``repr`` of a value from a file, cut to about 60 characters for a one-line error."""
    return _SHORT.repr(value)


class CatalogError(WsdiagError):
    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))  # always one line


def _builtin_text() -> tuple[str, str]:
    """The shipped catalog: package data after install, the repo's probes/ in a checkout."""
    try:
        res = resources.files("wsdiag.catalogs").joinpath("catalog.toml")
        return str(res), res.read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        path = Path(__file__).resolve().parents[2] / "probes" / "catalog.toml"
        try:
            return str(path), path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CatalogError(f"built-in catalog not found ({path}): {exc.strerror}") from None


def load_catalog(extra: Sequence[Path] = ()) -> Catalog:
    """The built-in catalog, with each file in ``extra`` merged over it in order.

    Raises CatalogError (one line, naming the file and key) for anything it cannot use."""
    docs = [_builtin_doc()]
    for path in extra:
        try:
            # Regular files only, size-capped: a FIFO would block, /dev/zero never end.
            text = read_bytes(Path(path), max_size=MAX_CATALOG_BYTES).decode("utf-8")
        except (ReadRefused, UnicodeDecodeError) as exc:
            reason = exc.detail if isinstance(exc, ReadRefused) else "not UTF-8 text"
            raise CatalogError(f"catalog {path}: cannot read: {reason}") from None
        docs.append((str(path), _toml(str(path), text)))
    return catalog_from_docs(docs)


def _builtin_doc() -> tuple[str, dict[str, Any]]:
    name, text = _builtin_text()
    return name, _toml(name, text)


def _toml(name: str, text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except RecursionError:  # x = [[[... thousands deep: tomllib recurses per level
        raise CatalogError(f"catalog {name}: not valid TOML: nested too deep") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"catalog {name}: not valid TOML: {exc}") from None


def catalog_from_docs(docs: Sequence[tuple[str, Any]]) -> Catalog:
    """Parsed TOML documents ``[(source name, document), ...]``, the first complete, the
    rest merged over it in order (a target with the same id replaces it). Pure; raises
    CatalogError."""
    regions: dict[str, Region] = {}
    targets: dict[str, Target] = {}
    alpn: list[str] = []
    quality = QualityBounds()
    for i, (name, doc) in enumerate(docs):
        more_regions, more_targets, more_alpn = _parse(name, doc, partial=i > 0)
        quality = _quality(name, doc.get("quality", {}), quality)
        regions.update(more_regions)
        targets.update(more_targets)  # same id replaces: an organisation's override wins
        alpn = more_alpn or alpn
    return check_merged(
        Catalog(
            regions=regions,
            targets=tuple(targets.values()),
            quic_alpn=tuple(alpn or ("h3",)),
            sources=tuple(name for name, _ in docs),
            quality=quality,
        )
    )


def _parse(
    name: str, doc: Any, partial: bool = False
) -> tuple[dict[str, Region], dict[str, Target], list[str]]:
    def fail(key: str, msg: str) -> CatalogError:
        return CatalogError(f"catalog {name}: {key}: {msg}")

    if not isinstance(doc, dict):
        raise fail("(top)", "must be a table")

    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise fail(sorted(unknown)[0], _unknown_key(_TOP_KEYS))
    if doc.get("schema", SCHEMA) != SCHEMA:
        raise fail("schema", f"expected {SCHEMA!r}, got {short(doc['schema'])}")

    alpn: list[str] = []
    quic = doc.get("quic", {})
    if not isinstance(quic, dict) or set(quic) - {"alpn"}:
        raise fail("quic", "only the key 'alpn' (a list of strings) is allowed")
    if "alpn" in quic:
        alpn = quic["alpn"]
        if not (
            isinstance(alpn, list)
            and 0 < len(alpn) <= 8
            and all(isinstance(a, str) and 0 < len(a) < 256 for a in alpn)
        ):
            raise fail("quic.alpn", "must be a list of 1 to 8 protocol names (strings)")

    regions: dict[str, Region] = {}
    raw_regions = doc.get("regions", {})
    if not isinstance(raw_regions, dict):
        raise fail("regions", "must be a table of region tables")
    if len(raw_regions) > MAX_REGIONS:
        raise fail("regions", f"{len(raw_regions)} regions; at most {MAX_REGIONS}")
    for code, body in raw_regions.items():
        regions[code] = _region(code, body, fail)
    if not partial and not regions:
        raise fail("regions", "no regions defined")

    targets: dict[str, Target] = {}
    raw_targets = doc.get("targets", [])
    if not isinstance(raw_targets, list):
        raise fail("targets", "must be an array of tables ([[targets]])")
    if len(raw_targets) > MAX_TARGETS:
        raise fail(
            "targets",
            f"{len(raw_targets)} targets; at most {MAX_TARGETS} can be "
            "probed within one run's deadline",
        )
    for i, body in enumerate(raw_targets):
        t = _target(f"targets[{i}]", body, fail)
        if t.id in targets:
            raise fail(f"targets[{i}].id", f"duplicate id {t.id!r}")
        targets[t.id] = t
    if not partial and not any(t.role is Role.ENDPOINT for t in targets.values()):
        raise fail("targets", "no target with role = 'endpoint'")
    return regions, targets, alpn


def _quality(name: str, table: Any, before: QualityBounds) -> QualityBounds:
    """``[quality]`` over ``before``: each key a [good, poor] pair, 0 <= good < poor (loss
    in percent, 0-100). Raises CatalogError naming the file and key."""
    if not isinstance(table, dict):
        raise CatalogError(f"catalog {name}: quality: must be a table")
    unknown = set(table) - set(_QUALITY_KEYS)
    if unknown:
        raise CatalogError(
            f"catalog {name}: quality.{sorted(unknown)[0]}: {_unknown_key(set(_QUALITY_KEYS))}"
        )
    got: dict[str, Bound] = {}
    for key, most in _QUALITY_KEYS.items():
        if key not in table:
            continue
        pair = table[key]
        ok = (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in pair)
            and 0 <= pair[0] < pair[1] <= most
        )
        if not ok:
            raise CatalogError(
                f"catalog {name}: quality.{key}: must be [good, poor] with "
                f"0 <= good < poor <= {most:g}, got {short(pair)}"
            )
        scale = 0.01 if key == "loss_percent" else 1.0
        got[key] = Bound(float(pair[0]) * scale, float(pair[1]) * scale)
    return QualityBounds(
        rtt_ms=got.get("rtt_ms", before.rtt_ms),
        jitter_ms=got.get("jitter_ms", before.jitter_ms),
        loss=got.get("loss_percent", before.loss),
        good_score=before.good_score,
        fair_score=before.fair_score,
    )


def _unknown_key(known: set[str]) -> str:
    return f"unknown key (known: {', '.join(sorted(known))})"


def _region(code: str, body: Any, fail: Any) -> Region:
    key = f"regions.{code}"
    if not _REGION_RE.match(code):
        raise fail(key, "not a region code like 'eu-west-1'")
    if not isinstance(body, dict):
        raise fail(key, "must be a table")
    unknown = set(body) - _REGION_KEYS
    if unknown:
        raise fail(f"{key}.{sorted(unknown)[0]}", _unknown_key(_REGION_KEYS))
    airport = body.get("airport")
    if airport is not None and not (isinstance(airport, str) and re.fullmatch("[a-z]{3}", airport)):
        raise fail(f"{key}.airport", "must be a three-letter code like 'dub'")
    borrowed = body.get("airport_borrowed", False)
    if not isinstance(borrowed, bool):
        raise fail(f"{key}.airport_borrowed", "must be true or false")
    name = body.get("name", code)
    if not isinstance(name, str):
        raise fail(f"{key}.name", "must be a string")
    return Region(code=code, name=name, airport=airport, airport_borrowed=borrowed)


def _target(key: str, body: Any, fail: Any) -> Target:
    if not isinstance(body, dict):
        raise fail(key, "must be a table")
    unknown = set(body) - _TARGET_KEYS
    if unknown:
        raise fail(f"{key}.{sorted(unknown)[0]}", _unknown_key(_TARGET_KEYS))
    for required in ("id", "host", "role", "checks"):
        if required not in body:
            raise fail(f"{key}.{required}", "missing")
    tid = body["id"]
    if not (isinstance(tid, str) and _ID_RE.match(tid)):
        raise fail(f"{key}.id", "must be lower-case letters, digits and '-'")
    key = f"{key} ({tid})"
    host = body["host"]
    if not isinstance(host, str) or not host:
        raise fail(f"{key}.host", "must be a non-empty string")
    _template(f"{key}.host", host, fail)
    try:
        role = Role(body["role"])
    except ValueError:
        raise fail(f"{key}.role", f"must be one of {', '.join(r.value for r in Role)}") from None
    try:
        need = Need(body.get("need", "expected"))
    except ValueError:
        raise fail(f"{key}.need", f"must be one of {', '.join(n.value for n in Need)}") from None
    checks = body["checks"]
    if not isinstance(checks, list) or not 0 < len(checks) <= MAX_CHECKS:
        raise fail(
            f"{key}.checks",
            f"must be a list of 1 to {MAX_CHECKS} checks like ['tcp/443', 'quic/443']",
        )
    parsed = tuple(_check(f"{key}.checks", c, fail) for c in checks)
    if len(set(parsed)) != len(parsed):
        raise fail(f"{key}.checks", "lists the same check twice")
    requires = body.get("requires")
    if requires is not None and not (isinstance(requires, str) and requires in _REQUIRES):
        raise fail(f"{key}.requires", f"must be one of {', '.join(sorted(_REQUIRES))}")
    if "{directory_id}" in host and requires != "directory_id":
        raise fail(f"{key}.requires", "a host with {directory_id} needs requires = 'directory_id'")
    purpose = body.get("purpose", "")
    all_addresses = body.get("all_addresses", False)
    if not isinstance(purpose, str):
        raise fail(f"{key}.purpose", "must be a string")
    if not isinstance(all_addresses, bool):
        raise fail(f"{key}.all_addresses", "must be true or false")
    return Target(
        id=tid,
        host=host,
        role=role,
        need=need,
        checks=parsed,
        purpose=purpose,
        requires=requires,
        all_addresses=all_addresses,
    )


def _template(key: str, host: str, fail: Any) -> None:
    """A host template must format with the known placeholders, bare (no conversion or
    format spec), and give a DNS host name when filled: a stray '{' or '}' is caught here,
    not as a crash in the plan."""
    try:
        parts = list(string.Formatter().parse(host))
    except ValueError as exc:
        raise fail(key, f"not a valid template ({exc}); write placeholders as {{region}}") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in _PLACEHOLDERS:
            raise fail(
                key,
                f"unknown placeholder {{{name}}} (known: "
                f"{', '.join('{' + p + '}' for p in sorted(_PLACEHOLDERS))})",
            )
        if spec or conversion:
            raise fail(key, f"placeholder {{{name}}} must not have a format spec or conversion")
    if not _HOST_RE.match(host.format(**_SAMPLE)):
        raise fail(key, f"{short(host)} does not give a DNS host name when filled in")


def check_merged(catalog: Catalog) -> Catalog:
    """Invariants the plan and the rules rely on, checked on the whole merged catalog (an
    organisation's file can change any target). Raises CatalogError naming the files."""
    files = ", ".join(catalog.sources)
    endpoints = [t for t in catalog.targets if t.role is Role.ENDPOINT]
    if len(endpoints) != 1:
        found = ", ".join(t.id for t in endpoints) or "none"
        raise CatalogError(
            f"catalog {files}: needs exactly one target with role = 'endpoint' (found: {found})"
        )
    if len(catalog.targets) > MAX_TARGETS:
        raise CatalogError(
            f"catalog {files}: {len(catalog.targets)} targets; at most "
            f"{MAX_TARGETS} can be probed within one run's deadline"
        )
    if len(catalog.regions) > MAX_REGIONS:
        raise CatalogError(
            f"catalog {files}: {len(catalog.regions)} regions; at most {MAX_REGIONS}"
        )
    return catalog


# Every registered probe kind (Transport), so a new kind needs no edit here.
_KINDS = [t.value for t in Transport]
_CHECK_RE = re.compile(rf"({'|'.join(map(re.escape, _KINDS))})/(\d{{1,5}})")
_KINDS_TEXT = f"{', '.join(_KINDS[:-1])} or {_KINDS[-1]}"


def _check(key: str, text: Any, fail: Any) -> Check:
    m = _CHECK_RE.fullmatch(text) if isinstance(text, str) else None
    if not m or not 0 < int(m.group(2)) < 65536:
        raise fail(key, f"{short(text)} is not 'transport/port' (transport {_KINDS_TEXT})")
    return Check(Transport(m.group(1)), int(m.group(2)))
