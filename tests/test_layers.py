"""The package's layers, declared once, and the test that holds every import to them.

Every ``import``/``from … import`` of a wsdiag module counts: top-level, inside functions,
and under ``TYPE_CHECKING`` (a type-only arrow is still an arrow a reader has to follow).
A module may import its own layer or any lower one; the module graph has no cycle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "wsdiag"

# Lowest first. A prefix names a module or a whole package.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("wsdiag", "wsdiag.errors", "wsdiag.budgets", "wsdiag.clock"),  # no wsdiag imports above
    ("wsdiag.vocab", "wsdiag.quality"),  # the data types of a run and of every report section
    # (wsdiag.quality: the session-quality figures and score, pure, on the vocabulary)
    # pure helpers every layer may use; outfile: the one way a file is written; dns64: RFC
    # 6052 / RFC 7050 address arithmetic
    ("wsdiag.terminal", "wsdiag.redact", "wsdiag.certs", "wsdiag.outfile", "wsdiag.dns64"),
    ("wsdiag.host",),  # this machine, read at the edge
    ("wsdiag.probes",),  # the network, one module per probe kind
    ("wsdiag.cloud",),  # --aws: the endpoint's side (boto3 at the edge, correlation pure)
    ("wsdiag.check",),  # catalog, plan, runner
    ("wsdiag.render",),  # report -> text, JSON, HTML
    ("wsdiag.logs",),  # the client's logs and the `logs` command
    ("wsdiag.evidence",),  # observed -> typed facts; the evidence sources (paths, logs)
    ("wsdiag.rules",),  # evidence -> findings -> verdict
    ("wsdiag.fleet",),  # `summarize`
    ("wsdiag.run", "wsdiag.watch", "wsdiag.bundle", "wsdiag.desktop", "wsdiag.show"),  # roots
    ("wsdiag.cli_values", "wsdiag.cli_options"),  # argv -> inputs
    ("wsdiag.cli_exit",),  # signals, usage and internal errors: how the process ends
    ("wsdiag.cli_read",),  # show, logs, summarize: the commands that read what was collected
    ("wsdiag.cli", "wsdiag.__main__"),
)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    best: tuple[int, int] | None = None  # (prefix length, layer): the longest prefix wins
    for rank, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            covers = module == prefix or module.startswith(prefix + ".")
            if covers and (best is None or len(prefix) > best[0]):
                best = (len(prefix), rank)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS")
    return best[1]


def imports_of(module: str, source: str | None = None) -> Iterator[tuple[str, int]]:
    """(imported wsdiag module, line) for every import in ``module`` (or in ``source``, read
    as that module), at any depth."""
    path = MODULES.get(module)
    package = (
        module if path is not None and path.name == "__init__.py" else module.rpartition(".")[0]
    )
    text = source if source is not None else MODULES[module].read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in MODULES:
                    yield full, node.lineno
                elif base in MODULES and base != module:
                    yield base, node.lineno


GRAPH = {m: sorted({t for t, _ in imports_of(m) if t != m}) for m in MODULES}


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


def test_no_import_goes_up_a_layer() -> None:
    upward = [
        f"{module}:{line} imports {target} (layer {layer_of(target)} > {layer_of(module)})"
        for module in MODULES
        for target, line in imports_of(module)
        if layer_of(target) > layer_of(module)
    ]
    assert not upward, "\n".join(upward)


def cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(graph[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(graph.get(child, []))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_cycle() -> None:
    assert cycles(GRAPH) == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": ["b"], "b": []}, []),
        ({"a": ["b"], "b": ["a"]}, [["a", "b"]]),
        ({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}, [["a", "b", "c"]]),
        ({"a": ["a"]}, []),
    ],
)
def test_cycle_finder(graph: dict[str, list[str]], expected: list[list[str]]) -> None:
    assert cycles(graph) == expected


def test_the_walk_sees_function_level_and_type_checking_imports() -> None:
    # The old vocabulary imported the probe registry inside a property and the results under
    # TYPE_CHECKING: both kinds of arrow must be seen, or the layer test proves nothing.
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from wsdiag.rules import verdict\n"
        "def f():\n    from wsdiag.cli import main\n"
        "from . import model\n"
    )
    found = {target for target, _ in imports_of("wsdiag.vocab.results", source)}
    assert found == {"wsdiag.rules.verdict", "wsdiag.cli", "wsdiag.vocab.model"}


def test_the_rules_never_build_evidence() -> None:
    """The composition root builds the evidence, then calls the rules: the rules read the
    vocabulary (Evidence), never the layers that build it or what it is built from."""
    builders = ("wsdiag.check", "wsdiag.evidence", "wsdiag.probes", "wsdiag.vocab.observed")
    found = [
        f"{module}:{line} imports {target}"
        for module in MODULES
        if module.startswith("wsdiag.rules")
        for target, line in imports_of(module)
        if any(target == b or target.startswith(b + ".") for b in builders)
    ]
    assert not found, "\n".join(found)
