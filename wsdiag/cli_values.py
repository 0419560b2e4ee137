"""Option values without pydantic, the one module that touches a typer internal (its
pinned range in pyproject.toml; tests/test_cli_values.py fails when typer changes it).

typer (0.2x) converts every option's value through a
pydantic TypeAdapter, and importing pydantic for that costs ~0.1 s and ~13 MB of a
`wsdiag check` that has 0.35 s of start-up and 60 MB in all (README, "Budgets").

wsdiag's options are plain strings, numbers and paths, so this module gives each such
option a converter of its own, through typer's per-option hook (``_runtime_param``, the
cache typer fills on first use). An option of any other shape, a constraint (min/max,
a parser, a click type), or a typer without the hook keeps typer's own conversion.

It also keeps type noise out of ``--help`` (:func:`readable_arguments`): typer prints an
argument as ``PATH <list[Path]>`` and a required one as ``{REPORT}`` in the usage line,
where a named metavar already says what to give.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class _Bad(ValueError):
    """A value the option cannot take; the message is shown as is."""


def _path(value: Any) -> Path:
    """As typer converts a Path option with its defaults: an existing path must be readable.
    An empty name is refused: ``Path("")`` is ``.``, so ``-o ''`` said "cannot write .: is a
    directory" about a folder nobody named."""
    if isinstance(value, str) and not value:
        raise _Bad("an empty file name")
    path = Path(value)
    if os.path.exists(path) and not os.access(path, os.R_OK):
        raise _Bad(f"{str(path)!r} is not readable.")
    return path


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"{value!r} is not a flag value")
    return value


_PLAIN: dict[Any, Callable[[Any], Any]] = {str: str, float: float, int: int, Path: _path}
_CONSTRAINTS = (
    "min",
    "max",
    "parser",
    "click_type",
    "exists",
    "resolve_path",
    "allow_dash",
    "mode",
    "encoding",
    "lazy",
    "atomic",
    "writable",
    "path_type",
    "formats",
)


def _converter(annotation: Any, info: Any) -> Callable[[Any], Any] | None:
    """The plain converter for an option, or None to leave it to typer."""
    if any(getattr(info, name, None) not in (None, False) for name in _CONSTRAINTS):
        return None
    if getattr(info, "dir_okay", True) is not True or getattr(info, "file_okay", True) is not True:
        return None
    if annotation in _PLAIN:
        return _PLAIN[annotation]
    if getattr(annotation, "__origin__", None) is list:
        (item,) = getattr(annotation, "__args__", (None,))
        one = _PLAIN.get(item)
        if one is not None:
            return lambda values: [one(v) for v in values]
    return None


def plain_values(commands: Iterable[Any]) -> None:
    """Give every plain option of ``commands`` (click commands typer built) its own
    converter. Never raises: where typer's internals differ, typer's conversion stays."""
    try:
        from typer._click.core import Context
        from typer._click.exceptions import BadParameter
        from typer._coercion import RuntimeParam
    except ImportError:
        return

    @dataclass(frozen=True)
    class Plain(RuntimeParam):
        convert: Callable[[Any], Any] = str

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            try:
                return self.convert(value)
            except _Bad as exc:
                raise BadParameter(str(exc), ctx=ctx, param=param) from None
            except (TypeError, ValueError):
                what = getattr(self.annotation, "__name__", "value")
                raise BadParameter(
                    f"{value!r} is not a valid {what}", ctx=ctx, param=param
                ) from None

    for command in commands:
        params = list(getattr(command, "params", ()))
        # --help is made on first use and cached: make it now, to convert it too (where
        # typer's internals differ, its own conversion stays)
        with contextlib.suppress(Exception):
            params.append(
                command.get_help_option(
                    Context(command, **getattr(command, "context_settings", {}))
                )
            )
        for param in params:
            desc = getattr(param, "type_descriptor", None)
            if desc is None or getattr(param, "_runtime_param", 0) is not None:
                continue
            convert: Callable[[Any], Any] | None
            if desc.annotation is bool:
                # a flag (True/False, or None when absent); any other bool keeps typer's
                convert = _flag if getattr(param, "is_flag", False) else None
            else:
                convert = _converter(desc.annotation, desc.parameter_info)
            if convert is not None:
                param._runtime_param = Plain(desc.parameter_info, desc.annotation, convert)


def readable_arguments(commands: Iterable[Any]) -> None:
    """Every positional argument of ``commands`` that has a metavar shows just that in
    ``--help``: ``PATH...`` (several), ``REPORT``, ``[PATH]...`` in the usage line (click's
    own spelling). Never raises: where typer's internals differ, its spelling stays (and
    tests/test_cli_values.py fails)."""
    for command in commands:
        for param in getattr(command, "params", ()):
            metavar = getattr(param, "metavar", None)
            if getattr(param, "param_type_name", "") != "argument" or not metavar:
                continue
            many = "..." if getattr(param, "nargs", 1) != 1 else ""
            usage = (metavar if param.required else f"[{metavar}]") + many
            # instance attributes shadow typer's methods for this one parameter
            param.display_type_rich = lambda ctx: None
            param._rich_display_name = lambda name=metavar + many: name
            param._usage_display_name = lambda usage=usage: usage
