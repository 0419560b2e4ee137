"""The one adapter over a typer internal (wsdiag/cli_values.py): it must keep typer's
pydantic conversion (~0.1 s and ~13 MB) out of every command's start-up. These tests fail
when typer changes the internal it uses, so the pinned range in pyproject.toml can move only
with the adapter."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import typer
from typer import _coercion

PROBE = r"""
import json, sys
from wsdiag.cli import _command
from wsdiag.cli_values import _Bad  # noqa: F401  (the module imports cleanly)

command = _command()
out = {}
for name, args in [
    ("check", ["--region", "eu-west-1", "--timeout", "1.5", "--nameserver", "127.0.0.1",
               "--nameserver", "::1", "--probes", "x.toml", "--no-logs", "--format", "LINE"]),
    ("bundle", ["-o", "b.zip", "--deadline", "3"]),
    ("show", ["r.json", "--html", "p.html"]),
]:
    with command.commands[name].make_context(name, args) as ctx:
        out[name] = {k: [type(v).__name__, v] for k, v in ctx.params.items()}
out["pydantic"] = "pydantic" in sys.modules
print(json.dumps(out, default=lambda v: [type(v).__name__, str(v)]))
"""


def test_typer_still_has_the_hook_the_adapter_uses() -> None:
    # RuntimeParam is a frozen dataclass (parameter_info, annotation) whose _coerce_value
    # converts one value; typer's click parameters cache one in ``_runtime_param``.
    assert dataclasses.is_dataclass(_coercion.RuntimeParam)
    names = [f.name for f in dataclasses.fields(_coercion.RuntimeParam)]
    assert names[:2] == ["parameter_info", "annotation"]
    assert callable(getattr(_coercion.RuntimeParam, "_coerce_value", None))
    assert issubclass(typer.BadParameter, typer.TyperException)


def test_options_convert_without_pydantic() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, check=True
    )
    out = json.loads(proc.stdout)
    assert out["pydantic"] is False, "typer's pydantic conversion ran: cli_values no longer applies"
    check = out["check"]
    assert check["timeout"] == ["float", 1.5]
    assert check["nameserver"] == ["list", ["127.0.0.1", "::1"]]
    assert check["probes"] == ["list", [["PosixPath", "x.toml"]]]
    assert check["no_logs"] == ["bool", True]
    assert check["fmt"] == ["str", "LINE"] and check["region"] == ["str", "eu-west-1"]
    assert out["bundle"]["output"] == ["PosixPath", ["PosixPath", "b.zip"]]
    assert out["bundle"]["deadline"] == ["float", 3.0]
    assert out["show"]["report"] == ["str", "r.json"] and out["show"]["html"][1] == [
        "PosixPath",
        "p.html",
    ]
