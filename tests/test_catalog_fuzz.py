"""Random mutations of the real catalogs and random option values: a one-line error or a
plan, never anything else (issue: "validation that cannot crash").

The catalogs are mutated as parsed TOML documents (what tomllib can produce: tables, arrays,
strings, integers, floats incl. nan/inf, booleans, dates), so every shape a file can have
reaches the validator without writing TOML back."""

from __future__ import annotations

import copy
import datetime as dt
import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wsdiag.check.catalog import CatalogError, _builtin_doc, catalog_from_docs, short
from wsdiag.check.options import check_timing
from wsdiag.check.plan import check_host, make_plan
from wsdiag.errors import WsdiagError
from wsdiag.vocab.model import Inputs, Role

ROOT = Path(__file__).resolve().parent.parent
ORG = ("org-catalog.toml", tomllib.loads((ROOT / "examples" / "org-catalog.toml").read_text()))
BUILTIN = _builtin_doc()

scalars = st.one_of(
    st.text(alphabet="{}[]:/.-_ az09é\x00", max_size=30),
    st.sampled_from(
        [
            "endpoint",
            "auth",
            "health",
            "needed",
            "tcp/443",
            "quic/0",
            "tls/99999",
            "{region}",
            "{",
            "}",
            "a}b",
            "{0}",
            "{region!r}",
            "{region:>9}",
            "{directory_id}.awsapps.com",
            "directory_id",
            "eu-west-1",
            "dub",
        ]
    ),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.just(dt.datetime(2026, 1, 1)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


@st.composite
def mutated(draw: st.DrawFn, base: tuple[str, Any]) -> tuple[str, Any]:
    name, doc = base
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        action = draw(st.sampled_from(["replace", "delete", "duplicate"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[path[-1]]))
        else:
            parent[path[-1]] = draw(values)
    return name, doc


def _mostly(valid: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Valid values three times in four, so most examples reach the plan."""
    return st.one_of(valid, valid, valid, odd)


options = st.fixed_dictionaries(
    {
        "region": _mostly(
            st.sampled_from(["eu-west-1", "us-east-2", "ap-southeast-5", "EU-WEST-1"]),
            st.sampled_from(["xx", "", "eu-west-1\x00"]),
        ),
        "directory_id": _mostly(
            st.sampled_from([None, "d-123"]), st.sampled_from(["D-9", "bad id", "{x}", "x" * 300])
        ),
        "endpoint_hosts": _mostly(
            st.sampled_from([(), ("a.example.com",)]),
            st.lists(st.sampled_from(["bad host", "x." * 200, "{region}.a", ""]), max_size=2).map(
                tuple
            ),
        ),
        "timeout": _mostly(st.floats(0.5, 60), st.floats(allow_nan=True, allow_infinity=True)),
        "deadline": _mostly(
            st.one_of(st.none(), st.floats(60, 300)), st.floats(allow_nan=True, allow_infinity=True)
        ),
        "vpc_cidrs": _mostly(
            st.sampled_from([(), ("10.0.0.0/16",)]),
            st.lists(st.sampled_from(["10.0.0.1/33", "x", "::/0"]), max_size=2).map(tuple),
        ),
        "nameservers": _mostly(
            st.sampled_from([(), ("127.0.0.1:5353", "::1")]),
            st.lists(
                st.sampled_from(["1.2.3.4:0", "[::1]:99999", "host", "1.2.3.4:x"]), max_size=2
            ).map(tuple),
        ),
    }
)


def _plan_or_error(docs: list[tuple[str, Any]], opts: dict[str, Any]) -> None:
    try:
        catalog = catalog_from_docs(docs)
        plan = make_plan(catalog, Inputs(**opts))
    except CatalogError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 600
        return
    except WsdiagError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 600
        return
    # A plan the runner can execute: finite times, one endpoint, real host names.
    assert math.isfinite(plan.timeout) and 0 < plan.timeout <= plan.deadline
    assert math.isfinite(plan.deadline)
    roles = [pt.target.role for pt in plan.targets]
    assert Role.ENDPOINT in roles
    for pt in plan.targets:
        if not pt.skip_reason:
            assert check_host(pt.host, "planned host") == pt.host


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(st.just(BUILTIN), mutated(BUILTIN)),
    st.one_of(st.just(ORG), mutated(ORG)),
    st.booleans(),
    options,
)
def test_random_catalogs_and_options_never_crash(
    builtin: tuple[str, Any],
    org: tuple[str, Any],
    with_org: bool,
    opts: dict[str, Any],
) -> None:
    _plan_or_error([builtin, org] if with_org else [builtin], opts)


def test_known_crashers_are_one_line_errors() -> None:
    base = copy.deepcopy(BUILTIN[1])
    cases: list[tuple[str, Any]] = []
    for host in ("privatelink.{region.x", "a}b.{region}.com", "{region!r}.a", "{0}.a"):
        doc = copy.deepcopy(base)
        doc["targets"][1]["host"] = host
        cases.append((host, doc))
    doc = copy.deepcopy(base)
    doc["targets"][0]["requires"] = ["directory_id"]
    cases.append(("requires as a list", doc))
    for label, bad in cases:
        try:
            catalog_from_docs([("t.toml", bad)])
        except CatalogError as exc:
            assert "t.toml" in str(exc), label
        else:
            raise AssertionError(f"{label}: accepted")


def test_org_catalog_that_moves_the_endpoint_role_is_refused() -> None:
    org = {
        "targets": [
            {"id": "endpoint", "host": "x.example.com", "role": "auth", "checks": ["tls/443"]}
        ]
    }
    try:
        catalog_from_docs([BUILTIN, ("org.toml", org)])
    except CatalogError as exc:
        assert "exactly one target with role = 'endpoint'" in str(exc)
    else:
        raise AssertionError("a catalog without an endpoint target was accepted")


def test_oversized_catalog_is_one_line_error() -> None:
    org = {
        "targets": [
            {"id": f"t{i}", "host": f"h{i}.example.com", "role": "auth", "checks": ["tls/443"]}
            for i in range(5000)
        ]
    }
    try:
        catalog_from_docs([BUILTIN, ("big.toml", org)])
    except CatalogError as exc:
        assert "at most" in str(exc) and "\n" not in str(exc)
    else:
        raise AssertionError("5000 targets accepted")


def test_echoed_values_are_short() -> None:
    assert len(short("x" * 10_000)) < 80


@settings(max_examples=1500, deadline=None)
@given(options)
def test_random_options_on_the_real_catalogs(opts: dict[str, Any]) -> None:
    _plan_or_error([BUILTIN, ORG], opts)


@pytest.mark.parametrize(
    ("timeout", "deadline", "ok"),
    [
        (2.0, None, True),
        (0.5, None, True),  # MIN_TIMEOUT: a loaded 2-core laptop still measures a LAN handshake
        (0.05, None, False),  # fresh report item 4: a healthy network came out "blocked"
        (0.49, None, False),
        (60.0, 300.0, True),
        (2.0, 2.0, True),
        (1e-9, None, False),
        (0.0, None, False),
        (-1.0, None, False),
        (61.0, None, False),
        (math.nan, None, False),
        (math.inf, None, False),
        (2.0, math.nan, False),
        (2.0, math.inf, False),
        (2.0, 1.0, False),
        (2.0, 301.0, False),
    ],
)
def test_timing_bounds(timeout: float, deadline: float | None, ok: bool) -> None:
    if ok:
        t, d = check_timing(timeout, deadline)
        assert (t, d) == (timeout, deadline if deadline is not None else 2 * timeout + 1)
    else:
        with pytest.raises(WsdiagError) as err:
            check_timing(timeout, deadline)
        if deadline is None:  # the message names the range a user may give
            assert "--timeout must be between 0.5 and 60 seconds" in str(err.value)
            assert "\n" not in str(err.value)
