"""JSON from the vocabulary's dataclasses and back: one definition, the dataclass, for both
directions. Pure, standard library only.

``encode(value)`` gives a JSON-shaped value: a dataclass becomes an object of its fields in
declaration order, then the properties its class lists in ``JSON_COMPUTED`` (values derived
from the fields, written for readers, ignored when read back); a class's ``JSON_ORDER`` names
keys to write first (a published order kept when fields were added); enums give their ``.value``,
tuples and lists arrays, mappings objects, datetimes ISO 8601 to the second. A field's
``metadata`` (the helpers below) renames its key, leaves it out, leaves it out when empty,
writes a tuple of (key, values) pairs as an object, or merges a nested dataclass's keys into
its parent's object.

``decode(cls, data)`` is the inverse, typed by the annotations. A field absent from the data
takes its default: every field added after a schema's first version has one, so older
documents still read. ``hooks`` (type -> function) replace both directions for the few
types whose JSON is not their fields (a computed block, a filtered list).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

_KEY = "json.key"
_OMIT = "json.omit"
_DENSE = "json.dense"
_PAIRS = "json.pairs"
_FLAT = "json.flat"
KNOWN_ONLY = "json.known_only"
EMPTY: tuple[object, ...] = (None, "", (), [], {})

Hooks = Mapping[type, Callable[[Any], Any]]
T = TypeVar("T")


class DecodeError(ValueError):
    """A document that does not have the shape of the dataclass read from it. The message
    names the place: ``probes[3].status: 'opne' is not a Status``."""


def key(name: str) -> dict[str, object]:
    """Metadata: the field's key in JSON is ``name``."""
    return {_KEY: name}


def omit() -> dict[str, object]:
    """Metadata: the field is never written; read as its default (or, where a hook puts
    it in the data, from there)."""
    return {_OMIT: True}


def dense(name: str | None = None) -> dict[str, object]:
    """Metadata: the field is left out when None, "" or empty (read back as its default)."""
    return {_DENSE: True, **({_KEY: name} if name else {})}


def known_only() -> dict[str, object]:
    """Metadata: a tri-state fact added after the schema's first version, written only when
    known (``yes``/``no``), so a report that never measured it keeps its first-version shape;
    read back as unknown when absent."""
    return {KNOWN_ONLY: True}


def pairs() -> dict[str, object]:
    """Metadata: a tuple of ``(key, values)`` pairs, written as an object of arrays."""
    return {_PAIRS: True}


def flat() -> dict[str, object]:
    """Metadata: a nested dataclass whose keys are written into its parent's object."""
    return {_FLAT: True}


def json_key(f: dataclasses.Field[Any]) -> str:
    return str(f.metadata.get(_KEY, f.name))


def keys(cls: type) -> tuple[str, ...]:
    """The keys an instance of dataclass ``cls`` may write (flattened ones included), in order."""
    out: list[str] = []
    for f in dataclasses.fields(cls):
        if f.metadata.get(_OMIT):
            continue
        if f.metadata.get(_FLAT):
            out += keys(hints(cls)[f.name])
        else:
            out.append(json_key(f))
    return (*out, *getattr(cls, "JSON_COMPUTED", ()))


def encode(value: Any, hooks: Hooks | None = None) -> Any:
    """``value`` as JSON-shaped data (dicts, lists, str, int, float, bool, None)."""
    hooks = hooks or {}
    hook = hooks.get(type(value))
    if hook is not None:
        return hook(value)
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _encode_fields(value, hooks)
    if isinstance(value, list | tuple):
        return [encode(v, hooks) for v in value]
    if isinstance(value, Mapping):
        return {str(k): encode(v, hooks) for k, v in value.items()}
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    return value


def _encode_fields(obj: Any, hooks: Hooks) -> dict[str, Any]:
    out: dict[str, Any] = {}
    fields, computed, first = _plan(type(obj))
    for name, json_name, how in fields:
        value = getattr(obj, name)
        if how is _DENSE and value in EMPTY:
            continue
        if how is _FLAT:
            out.update(encode(value, hooks))
        elif how is _PAIRS:
            out[json_name] = {k: encode(v, hooks) for k, v in value}
        else:
            out[json_name] = encode(value, hooks)
    for name in computed:
        out[name] = encode(getattr(obj, name), hooks)
    if first:  # the keys it names first, then the others in field order
        out = {**{k: out[k] for k in first if k in out}, **out}
    return out


_PLANS: dict[type, tuple[tuple[tuple[str, str, str], ...], tuple[str, ...], tuple[str, ...]]] = {}


def _plan(
    cls: type,
) -> tuple[tuple[tuple[str, str, str], ...], tuple[str, ...], tuple[str, ...]]:
    """(field, key, how) for each written field, the computed names, the keys first:
    read once per class (``dataclasses.fields`` and its metadata cost, per object)."""
    plan = _PLANS.get(cls)
    if plan is None:
        written = tuple(
            (
                f.name,
                json_key(f),
                next((m for m in (_FLAT, _PAIRS, _DENSE) if f.metadata.get(m)), ""),
            )
            for f in dataclasses.fields(cls)
            if not f.metadata.get(_OMIT)
        )
        plan = _PLANS[cls] = (
            written,
            tuple(getattr(cls, "JSON_COMPUTED", ())),
            tuple(getattr(cls, "JSON_ORDER", ())),
        )
    return plan


_HINTS: dict[type, dict[str, Any]] = {}


def hints(cls: type) -> dict[str, Any]:
    """The resolved annotations of dataclass ``cls`` (cached: resolving costs)."""
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = typing.get_type_hints(cls)
    return found


def decode(cls: type[T], data: Any, hooks: Hooks | None = None, at: str = "") -> T:
    """An instance of ``cls`` (a dataclass, or any type ``encode`` writes) from ``data``.
    Raises DecodeError, naming where, on a value of the wrong shape or a missing field that
    has no default."""
    return typing.cast(T, _decode(cls, data, hooks or {}, at))


def decode_all(cls: type[T], data: Any, hooks: Hooks | None = None, at: str = "") -> tuple[T, ...]:
    """A tuple of ``cls`` from an array (see ``decode``)."""
    if not isinstance(data, list):
        raise DecodeError(f"{at or 'document'}: expected an array, not {kind(data)}")
    return tuple(decode(cls, v, hooks, f"{at}[{i}]") for i, v in enumerate(data))


def _decode(tp: Any, data: Any, hooks: Hooks, at: str) -> Any:
    hook = hooks.get(tp) if isinstance(tp, type) else None
    if hook is not None:
        # A block read by a hook is a dataclass's object (null only where the field is
        # optional, handled above): anything else is named here, before the hook's code.
        if dataclasses.is_dataclass(tp) and not isinstance(data, dict):
            raise DecodeError(f"{at or 'document'}: expected an object, not {kind(data)}")
        try:
            return hook(data)
        except DecodeError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # The boundary: Python's own words ("'NoneType' object has no attribute
            # 'get'") say nothing to the reader of a report; say where, in words.
            raise DecodeError(f"{at or 'document'}: {_why(exc)}") from None
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        (inner, *more) = [a for a in args if a is not type(None)]
        if more:
            raise DecodeError(f"{at}: a union of {tp} cannot be read")
        return _decode(inner, data, hooks, at)
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(data, list):
            raise DecodeError(f"{at}: expected an array, not {kind(data)}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v, hooks, f"{at}[{i}]") for i, v in enumerate(data))
        if len(args) != len(data):
            raise DecodeError(f"{at}: expected {len(args)} items, not {len(data)}")
        return tuple(
            _decode(a, v, hooks, f"{at}[{i}]")
            for i, (a, v) in enumerate(zip(args, data, strict=True))
        )
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        vt = (typing.get_args(tp) or (str, Any))[1]
        if not isinstance(data, dict):
            raise DecodeError(f"{at}: expected an object, not {kind(data)}")
        return {k: _decode(vt, v, hooks, f"{at}.{k}") for k, v in data.items()}
    if tp is Any or tp is object:
        return data
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _decode_fields(tp, data, hooks, at)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(data)
        except ValueError:
            raise DecodeError(f"{at}: {shown(data)} is not {one_of(tp)}") from None
    if tp is dt.datetime:
        try:
            return dt.datetime.fromisoformat(data)
        except (TypeError, ValueError):
            raise DecodeError(f"{at}: {shown(data)} is not an ISO 8601 time") from None
    return _scalar(tp, data, at)


def _scalar(tp: Any, data: Any, at: str) -> Any:
    if tp is float and isinstance(data, int | float) and not isinstance(data, bool):
        try:
            return float(data)
        except OverflowError:  # an integer beyond a double (the JSON readers refuse it)
            raise DecodeError(f"{at}: {shown(data)} is too large for a number") from None
    if tp is int and isinstance(data, int) and not isinstance(data, bool):
        return data
    if tp in (str, bool) and isinstance(data, tp):
        return data
    name = _WORDS.get(tp) or getattr(tp, "__name__", str(tp))
    raise DecodeError(f"{at}: expected {name}, not {kind(data)}")


# What a scalar field holds, as a reader of the JSON would say it (not Python's type name).
_WORDS: dict[object, str] = {
    float: "a number",
    int: "a whole number",
    str: "a string",
    bool: "true or false",
}
_MAX_SHOWN = 40  # characters of a wrong value quoted in a message
_MAX_CHOICES_CHARS = 60  # of an enum's values listed in a message


def shown(data: Any) -> str:
    """A wrong value as its JSON text (``"opne"``, ``null``, ``true``), at most _MAX_SHOWN
    characters: the reader's spelling, not Python's (``None``, ``True``)."""
    try:
        text = json.dumps(data, ensure_ascii=True, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        text = kind(data)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def one_of(tp: type[enum.Enum]) -> str:
    """``one of "open", "closed", ...``: the values an enum field may hold, as many as fit
    in _MAX_CHOICES_CHARS characters."""
    values = [shown(m.value) for m in tp]
    kept: list[str] = []
    for v in values:
        if kept and sum(len(k) + 2 for k in kept) + len(v) > _MAX_CHOICES_CHARS:
            break
        kept.append(v)
    more = ", ..." if len(kept) < len(values) else ""
    return "one of " + ", ".join(kept) + more


def _decode_fields(cls: type, data: Any, hooks: Hooks, at: str) -> Any:
    if not isinstance(data, dict):
        raise DecodeError(f"{at or 'document'}: expected an object, not {kind(data)}")
    types_of = hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        if f.metadata.get(_FLAT):
            values[f.name] = _decode(types_of[f.name], data, hooks, at)
            continue
        name = json_key(f)
        here = f"{at}.{name}" if at else name  # the key as the document spells it
        if name not in data:
            if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING:
                continue
            if not f.metadata.get(_DENSE):
                raise DecodeError(f"{here}: missing")
            values[f.name] = _empty(types_of[f.name])  # a dense field left out is empty
            continue
        raw = data[name]
        if f.metadata.get(_PAIRS):
            if not isinstance(raw, dict):
                raise DecodeError(f"{here}: expected an object, not {kind(raw)}")
            # tuple[tuple[K, V], ...]: each value named by its key, as the document has it
            key_tp, value_tp = typing.get_args(typing.get_args(types_of[f.name])[0])
            values[f.name] = tuple(
                (_decode(key_tp, k, hooks, here), _decode(value_tp, v, hooks, f"{here}.{k}"))
                for k, v in raw.items()
            )
            continue
        values[f.name] = _decode(types_of[f.name], raw, hooks, here)
    return cls(**values)


def _empty(tp: Any) -> Any:
    if type(None) in typing.get_args(tp):
        return None
    return {str: "", tuple: ()}.get(typing.get_origin(tp) or tp)


def kind(data: Any) -> str:
    """``an object``, ``an array``, ``a string``, ``a boolean``, ``null``, ``a number``: a
    JSON value's kind as a message names it."""
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(
        type(data), "null" if data is None else "a number"
    )


def _why(exc: BaseException) -> str:
    """A hook's failure in words. A KeyError names the missing key; the others carry only
    Python's view of a value of the wrong type, which is said in general terms."""
    if isinstance(exc, KeyError):
        return f"missing {shown(exc.args[0]) if exc.args else 'a key'}"
    return "a value in it is of the wrong kind (not the object, array, string or number read)"
