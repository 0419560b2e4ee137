"""The one adapter over a typer internal (wsdiag/cli_values.py): it must keep typer's
pydantic conversion (~0.1 s and ~13 MB) out of every command's start-up. These tests fail
when typer changes the internal it uses, so the pinned range in pyproject.toml can move only
with the adapter."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest
import typer
from typer import _coercion

PROBE = r"""
import json, sys
from wsdiag.cli import _command
from wsdiag.cli_values import _Bad  # noqa: F401  (the module imports cleanly)

command = _command([])  # the whole app
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


COMMANDS = ["check", "watch", "bundle", "show", "logs", "summarize"]


@pytest.mark.parametrize(
    ("argv", "built"),
    [
        (["check", "--region", "eu-west-1"], ["check"]),
        (["summarize", "-"], ["summarize"]),
        (["show"], ["show"]),
        ([], COMMANDS),
        (["--help"], COMMANDS),
        (["--version", "check"], COMMANDS),
        (["chek"], COMMANDS),  # a mistyped command: the error names the real ones
        (["-", "check"], COMMANDS),
    ],
)
def test_a_start_builds_only_the_command_it_runs(argv: list[str], built: list[str]) -> None:
    from wsdiag.cli import _command

    assert sorted(_command(argv).commands) == sorted(built)


def test_shell_completion_offers_every_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from wsdiag.cli import _command

    monkeypatch.setenv("_WSDIAG_COMPLETE", "bash_complete")
    assert sorted(_command(["check"]).commands) == sorted(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_a_command_alone_reads_and_helps_as_in_the_whole_app(name: str) -> None:
    from wsdiag.cli import _command

    texts = []
    for argv in ([name], []):
        group = _command(argv)
        with group.make_context("wsdiag", [name]) as parent:
            command = group.commands[name]
            with command.make_context(name, [], parent=parent, resilient_parsing=True) as ctx:
                texts.append((command.get_help(ctx), sorted(p.name or "" for p in command.params)))
    assert texts[0] == texts[1]
