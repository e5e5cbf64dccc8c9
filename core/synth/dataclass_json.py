"""JSON <-> frozen settings dataclasses, driven by the type hints: nested dataclasses are objects,
(name, value) pairs are objects, tuples are lists; every value is type-checked with a message naming it."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any


def _convert(value: Any, hint: Any, name: str) -> Any:
    origin = typing.get_origin(hint)
    if dataclasses.is_dataclass(hint):
        if not isinstance(value, Mapping):
            raise ValueError(f"{name}: must be an object, got {value!r}")
        return _build(hint, value, name)
    if hint is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{name}: must be true or false, got {value!r}")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name}: must be an integer, got {value!r}")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name}: must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"{name}: must be a string, got {value!r}")
        return value
    if origin is tuple:
        args = typing.get_args(hint)
        # (name, value) pairs are written as a JSON object
        if len(args) == 2 and args[1] is Ellipsis and typing.get_origin(args[0]) is tuple:
            inner = typing.get_args(args[0])
            if len(inner) == 2 and inner[0] is str:
                if not isinstance(value, Mapping):
                    raise ValueError(f"{name}: must be an object of name: value, got {value!r}")
                return tuple((str(k), _convert(v, inner[1], f"{name}.{k}")) for k, v in value.items())
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            raise ValueError(f"{name}: must be a list, got {value!r}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(v, args[0], f"{name}[{i}]") for i, v in enumerate(value))
        if len(value) != len(args):
            raise ValueError(f"{name}: must be a list of {len(args)} values, got {list(value)!r}")
        return tuple(_convert(v, a, f"{name}[{i}]") for i, (v, a) in enumerate(zip(value, args)))
    raise TypeError(f"{name}: unsupported setting type {hint!r}")


def _build(cls: type, data: Mapping[str, Any], name: str) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - fields)
    if unknown:
        raise ValueError(f"{name}: unknown setting(s) {', '.join(unknown)} (known: {', '.join(sorted(fields))})")
    kwargs = {k: _convert(v, hints[k], f"{name}.{k}" if name else k) for k, v in data.items()}
    return cls(**kwargs)


def config_from_dict(cls: type, data: Mapping[str, Any]) -> Any:
    """Build dataclass ``cls`` from a JSON-like mapping (missing keys keep their defaults)."""
    return _build(cls, data, "")


def config_to_dict(obj: Any) -> Any:
    """JSON-ready form of a config dataclass: (name, value) pairs become objects, tuples lists."""
    if dataclasses.is_dataclass(obj):
        hints = typing.get_type_hints(type(obj))
        return {f.name: _to_json(getattr(obj, f.name), hints[f.name]) for f in dataclasses.fields(obj)}
    raise TypeError(f"not a config dataclass: {obj!r}")


def _to_json(value: Any, hint: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return config_to_dict(value)
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis and typing.get_origin(args[0]) is tuple:
            inner = typing.get_args(args[0])
            if len(inner) == 2 and inner[0] is str:
                return {k: _to_json(v, inner[1]) for k, v in value}
        if len(args) == 2 and args[1] is Ellipsis:
            return [_to_json(v, args[0]) for v in value]
        return [_to_json(v, a) for v, a in zip(value, args)]
    return value
