"""Facial action units (FACS) on the ICT Face Model, and every synthetic class as a set of AUs.

The table is data, ``resources/action_units.json`` (its ``_sources`` cite where each part comes from):

* ``action_units``: AU code -> name and the ICT expression shapes it moves, per side: ``L`` (the subject's
  left, +x), ``R`` (right) and ``C`` (central shapes with no side, e.g. jawOpen), each a {shape: weight}.
* ``expressions``: the six basic emotions as EMFACS-style prototypes; ``bp4d_tasks``: T1..T8;
  ``micro_expressions``: the 4DME classes. A prototype has ``required`` {AU: typical intensity},
  ``optional`` {AU: [intensity, probability]} and ``alternatives`` [{AU: intensity}, ...] (one used).

A *unit* is one AU on one side (``AU12L``, ``AU12R``) or a central AU (``AU26``); the generators drive the
face with per-unit weights, so left/right asymmetry is a difference of two weights.
:func:`unit_shape_matrix` gives the (units, ICT shapes) weights that turn unit weights into shape weights.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.config_io import read_json_object

SIDES = ("L", "R", "C")
MICRO_KINDS = ("positive", "surprise", "negative", "repression", "others")


def default_table_path() -> Path:
    """``resources/action_units.json`` in the checkout."""
    return Path(__file__).resolve().parent.parent.parent / "resources" / "action_units.json"


@dataclass(frozen=True)
class ActionUnit:
    """One AU: code (``AU12``), name, and per side the ICT shapes it moves: ((side, ((shape, w), ...)), ...)."""

    code: str
    name: str
    sides: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]

    @property
    def lateral(self) -> bool:
        """True when the AU has a left and a right part (it can be asymmetric or one-sided)."""
        names = {s for s, _ in self.sides}
        return "L" in names and "R" in names


@dataclass(frozen=True)
class Prototype:
    """A class as AUs: required ((AU, intensity), ...), optional ((AU, intensity, probability), ...),
    alternatives (((AU, intensity), ...), ...) of which one set is used."""

    required: tuple[tuple[str, float], ...] = ()
    optional: tuple[tuple[str, float, float], ...] = ()
    alternatives: tuple[tuple[tuple[str, float], ...], ...] = ()

    def aus(self) -> set[str]:
        """Every AU the prototype may use."""
        out = {a for a, _ in self.required} | {a for a, _, _ in self.optional}
        for alt in self.alternatives:
            out |= {a for a, _ in alt}
        return out


@dataclass(frozen=True)
class MicroClass:
    """A 4DME class: a prototype of its own, or one of ``from_expressions`` (plus a ``mask`` for repression),
    or one AU of ``one_of`` at ``intensity`` (others)."""

    prototype: Prototype | None = None
    from_expressions: tuple[str, ...] = ()
    mask: tuple[tuple[str, float], ...] = ()
    one_of: tuple[str, ...] = ()
    intensity: float = 0.8


@dataclass(frozen=True, eq=False)
class AuTable:
    """The whole table. units: ((AU, side), ...) in a fixed order (AU order of the file, then L, R, C)."""

    action_units: tuple[ActionUnit, ...]
    expressions: Mapping[str, Prototype]
    bp4d_tasks: Mapping[str, Prototype]
    micro: Mapping[str, MicroClass]
    source: str

    @property
    def units(self) -> tuple[tuple[str, str], ...]:
        return tuple((au.code, side) for au in self.action_units for side, _ in au.sides)

    @property
    def unit_names(self) -> tuple[str, ...]:
        return tuple(code if side == "C" else f"{code}{side}" for code, side in self.units)

    def au(self, code: str) -> ActionUnit:
        for au in self.action_units:
            if au.code == code:
                return au
        raise ValueError(f"{self.source}: unknown action unit {code!r}")

    def unit_indices(self, code: str, side: str | None = None) -> list[int]:
        """Indices of the units of AU ``code`` (one side only when ``side`` is "L" or "R"; central parts
        always belong to it)."""
        out = [i for i, (c, s) in enumerate(self.units) if c == code and (side is None or s in (side, "C"))]
        if not out:
            raise ValueError(f"{self.source}: unknown action unit {code!r}")
        return out


def _fail(src: object, where: str, message: str) -> ValueError:
    return ValueError(f"{src}: {where}: {message}")


def _intensity(value: Any, src: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 2.0:
        raise _fail(src, where, f"an intensity must be a number in [0, 2], got {value!r}")
    return float(value)


def _prototype(data: Any, known: set[str], src: object, where: str) -> Prototype:
    if not isinstance(data, Mapping):
        raise _fail(src, where, "must be an object with required / optional / alternatives")
    allowed = {"required", "optional", "alternatives"}
    unknown = sorted(k for k in data if k not in allowed and not str(k).startswith("_"))
    if unknown:
        raise _fail(src, where, f"unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(allowed))})")

    def au_map(value: Any, name: str) -> tuple[tuple[str, float], ...]:
        if not isinstance(value, Mapping):
            raise _fail(src, f"{where}.{name}", "must be an object {AU: intensity}")
        for code in value:
            if code not in known:
                raise _fail(src, f"{where}.{name}", f"unknown action unit {code!r}")
        return tuple((str(k), _intensity(v, src, f"{where}.{name}.{k}")) for k, v in value.items())

    required = au_map(data.get("required", {}), "required")
    optional = []
    for code, pair in dict(data.get("optional", {})).items():
        if code not in known:
            raise _fail(src, f"{where}.optional", f"unknown action unit {code!r}")
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise _fail(src, f"{where}.optional.{code}", f"must be [intensity, probability], got {pair!r}")
        p = pair[1]
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise _fail(src, f"{where}.optional.{code}", f"probability must be in [0, 1], got {p!r}")
        optional.append((str(code), _intensity(pair[0], src, f"{where}.optional.{code}"), float(p)))
    alts = data.get("alternatives", [])
    if not isinstance(alts, list):
        raise _fail(src, f"{where}.alternatives", "must be a list of {AU: intensity} objects")
    alternatives = tuple(au_map(a, f"alternatives[{i}]") for i, a in enumerate(alts))
    if not required and not alternatives:
        raise _fail(src, where, "needs at least one required AU or a list of alternatives")
    return Prototype(required, tuple(optional), alternatives)


def _action_units(data: Any, src: object) -> tuple[ActionUnit, ...]:
    if not isinstance(data, Mapping) or not data:
        raise _fail(src, "action_units", "must be a non-empty object {AU: {...}}")
    out = []
    for code, spec in data.items():
        where = f"action_units.{code}"
        if not isinstance(spec, Mapping):
            raise _fail(src, where, "must be an object")
        sides = []
        for side in SIDES:
            if side in spec:
                shapes = spec[side]
                if not isinstance(shapes, Mapping) or not shapes:
                    raise _fail(src, f"{where}.{side}", "must be a non-empty object {ICT shape: weight}")
                sides.append((side, tuple((str(k), _intensity(v, src, f"{where}.{side}.{k}"))
                                          for k, v in shapes.items())))
        if not sides:
            raise _fail(src, where, "names no ICT shape (give L and R, or C)")
        if ("L" in spec) != ("R" in spec):
            raise _fail(src, where, "a lateral AU needs both L and R")
        out.append(ActionUnit(str(code), str(spec.get("name", code)), tuple(sides)))
    return tuple(out)


def _micro(data: Any, expressions: Mapping[str, Prototype], known: set[str], src: object) -> dict[str, MicroClass]:
    if not isinstance(data, Mapping):
        raise _fail(src, "micro_expressions", "must be an object")
    missing = [k for k in MICRO_KINDS if k not in data]
    if missing:
        raise _fail(src, "micro_expressions", f"missing class(es) {', '.join(missing)}")
    out: dict[str, MicroClass] = {}
    for name in MICRO_KINDS:
        spec, where = data[name], f"micro_expressions.{name}"
        if not isinstance(spec, Mapping):
            raise _fail(src, where, "must be an object")
        if name in ("negative", "repression"):
            froms = tuple(spec.get("from_expressions", ()))
            bad = [e for e in froms if e not in expressions]
            if not froms or bad:
                raise _fail(src, f"{where}.from_expressions", f"must name expressions of this file, got {list(froms)!r}")
            mask = ()
            if name == "repression":
                mask = _prototype({"required": spec.get("mask", {})}, known, src, f"{where}.mask").required
            out[name] = MicroClass(from_expressions=froms, mask=mask)
        elif name == "others":
            one_of = tuple(str(a) for a in spec.get("one_of", ()))
            if not one_of or any(a not in known for a in one_of):
                raise _fail(src, f"{where}.one_of", f"must list known action units, got {list(one_of)!r}")
            emotional = set().union(*(p.aus() for p in expressions.values()))
            inside = sorted(set(one_of) & emotional)
            if inside:
                raise _fail(src, f"{where}.one_of", f"{', '.join(inside)} belong(s) to an emotion prototype; "
                                                    "others must be AUs outside every emotion prototype")
            out[name] = MicroClass(one_of=one_of,
                                   intensity=_intensity(spec.get("intensity", 0.8), src, f"{where}.intensity"))
        else:
            proto = {k: v for k, v in spec.items() if k in ("required", "optional", "alternatives")}
            out[name] = MicroClass(prototype=_prototype(proto, known, src, where))
    return out


def load_table(path: str | os.PathLike[str] | None = None) -> AuTable:
    """Read and check the AU table (default resources/action_units.json); ValueError naming the file and entry."""
    src = default_table_path() if path is None else Path(path)
    data = read_json_object(src, "action-unit table")
    aus = _action_units(data.get("action_units"), src)
    known = {a.code for a in aus}

    def section(key: str) -> dict[str, Prototype]:
        value = data.get(key)
        if not isinstance(value, Mapping) or not value:
            raise _fail(src, key, "must be a non-empty object")
        return {str(k): _prototype(v, known, src, f"{key}.{k}") for k, v in value.items()}

    expressions = section("expressions")
    tasks = section("bp4d_tasks")
    micro = _micro(data.get("micro_expressions"), expressions, known, src)
    return AuTable(aus, expressions, tasks, micro, str(src))


def unit_shape_matrix(table: AuTable, shape_names: tuple[str, ...] | list[str]) -> np.ndarray:
    """(units, shapes) weights: unit u moves ICT shape s by matrix[u, s] at unit weight 1.

    ValueError when an AU names a shape the model does not have.
    """
    index = {name: i for i, name in enumerate(shape_names)}
    out = np.zeros((len(table.units), len(shape_names)))
    u = 0
    for au in table.action_units:
        for side, shapes in au.sides:
            for shape, w in shapes:
                if shape not in index:
                    raise ValueError(f"{table.source}: action_units.{au.code}.{side}: the face model has no "
                                     f"expression shape {shape!r}")
                out[u, index[shape]] += w
            u += 1
    return out
