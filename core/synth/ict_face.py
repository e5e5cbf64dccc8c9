"""The ICT Face Model prepared for the generators: closed eyes and mouth, action-unit displacements, crops.

:func:`prepare_ict` turns an :class:`~core.synth.ict_model.IctModel` (skin surface, millimetres) into an
:class:`IctFace`:

* the open boundaries of the eyes (the eyeballs were dropped) and of the mouth are closed by a fan around
  one new vertex each: a scanner sees the eye's surface, and the dark mouth interior, not a hole into the
  head. The new vertex is the mean of its boundary loop plus a fixed offset along +z (eyes
  :data:`EYE_OFFSET_MM` forward, the mouth :data:`MOUTH_OFFSET_MM` inward). Being a mean, it is linear in the
  vertices, so every identity mode and action unit carries it along and the caps follow every expression;
* ``units``: the displacement of each action-unit unit (``AU12L``, ``AU26``, ...) at weight 1, from the AU
  table's ICT shape weights (core.synth.action_units);
* ``basis``: the 100 identity modes as a (V * 3, K) matrix (coefficients ~ N(0, 1)), like the SFM's.

:func:`crop_mask` picks the vertices a capture keeps (core.synth.ict_config.FieldOfViewConfig) and
:func:`crop` cuts a mesh to them. Shapes are (V, 3) float64 millimetres, face along +z, y up.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from core.synth.action_units import AuTable, unit_shape_matrix
from core.synth.ict_config import FieldOfViewConfig
from core.synth.ict_model import IctModel

EYE_OFFSET_MM = 1.5
MOUTH_OFFSET_MM = -8.0


@dataclass(frozen=True, eq=False)
class IctFace:
    """mean: (V, 3) neutral with caps; faces: (F, 3); basis: (V * 3, K) identity modes; units: (U, V, 3) AU
    unit displacements; unit_names: (U,); table: the AU table; tip: nose-tip vertex; n_skin: vertices of the
    skin surface (the cap centres follow: cap c is vertex n_skin + c, the mean of cap_loops[c] plus its offset);
    checksums: of the model files."""

    mean: np.ndarray
    faces: np.ndarray
    basis: np.ndarray
    units: np.ndarray
    unit_names: tuple[str, ...]
    table: AuTable
    tip: int
    n_skin: int
    cap_loops: tuple[np.ndarray, ...]
    checksums: Mapping[str, str]
    source: str

    @property
    def n_components(self) -> int:
        return int(self.basis.shape[1])

    @property
    def n_vertices(self) -> int:
        return int(self.mean.shape[0])


def boundary_loops(faces: np.ndarray) -> list[np.ndarray]:
    """The mesh's boundary loops, each as vertex indices in the order of the faces' edges (a -> b as the
    adjacent face walks it)."""
    f = np.asarray(faces, dtype=np.int64)
    directed = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]])
    pairs = set(map(tuple, directed.tolist()))
    nxt = {a: b for a, b in directed.tolist() if (b, a) not in pairs}
    loops, seen = [], set()
    for start in sorted(nxt):
        if start in seen:
            continue
        loop, v = [], start
        while v not in seen and v in nxt:
            seen.add(v)
            loop.append(v)
            v = nxt[v]
        loops.append(np.asarray(loop, dtype=np.int64))
    return loops


def _caps(neutral: np.ndarray, faces: np.ndarray, tip: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(averaging matrix (C, V), offsets (C, 3), cap faces (*, 3)) closing the eye and mouth openings: the
    loops above the nose tip are eyes, the one below it and near the midline the mouth; others (the neck's
    cut) stay open."""
    ref = neutral[tip]
    rows, offsets, cap_faces = [], [], []
    n = neutral.shape[0]
    for loop in boundary_loops(faces):
        centre = neutral[loop].mean(axis=0) - ref
        if centre[1] > 0 and abs(centre[0]) < 60:
            offset = EYE_OFFSET_MM
        elif -80 < centre[1] < 0 and abs(centre[0]) < 10:
            offset = MOUTH_OFFSET_MM
        else:
            continue
        c = n + len(rows)
        row = np.zeros(n)
        row[loop] = 1.0 / len(loop)
        rows.append(row)
        offsets.append([0.0, 0.0, offset])
        # the boundary edge a -> b belongs to a skin face walking it a -> b; the cap walks it b -> a
        cap_faces.extend([b, a, c] for a, b in zip(loop, np.roll(loop, -1)))
    if not rows:
        return np.zeros((0, n)), np.zeros((0, 3)), np.zeros((0, 3), dtype=np.int64)
    return np.stack(rows), np.asarray(offsets), np.asarray(cap_faces, dtype=np.int64)


_CACHE: dict[tuple[int, str], IctFace] = {}  # (model, the table's content)
_LOCK = threading.Lock()


def prepare_ict(model: IctModel, table: AuTable) -> IctFace:
    """The generator-ready face of ``model`` with the AU table ``table`` (cached per model and table)."""
    key = (id(model), repr((table.action_units, sorted(table.expressions.items()), sorted(table.bp4d_tasks.items()),
                            sorted(table.micro.items()))))
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    tip = int(model.nose_tip)
    avg, offsets, cap_faces = _caps(model.neutral, model.faces, tip)

    def with_caps(x: np.ndarray, offset: bool) -> np.ndarray:
        extra = np.einsum("cv,...vd->...cd", avg, x)
        if offset:
            extra = extra + offsets
        return np.concatenate([x, extra], axis=-2)

    mean = with_caps(np.asarray(model.neutral, dtype=np.float64), True)
    identity = with_caps(np.asarray(model.identity_modes, dtype=np.float64), False)
    basis = identity.reshape(identity.shape[0], -1).T.copy()
    shapes = unit_shape_matrix(table, model.expression_names)
    units = with_caps(np.tensordot(shapes, np.asarray(model.expression_modes, dtype=np.float64), axes=1), False)
    faces = np.vstack([np.asarray(model.faces, dtype=np.int64), cap_faces])
    for arr in (mean, basis, units, faces):
        arr.setflags(write=False)
    face = IctFace(mean=mean, faces=faces, basis=basis, units=units, unit_names=table.unit_names, table=table,
                   tip=tip, n_skin=model.n_vertices, cap_loops=tuple(np.flatnonzero(row) for row in avg),
                   checksums=dict(model.checksums), source=model.source)
    with _LOCK:
        _CACHE[key] = face
    return face


def crop_mask(neutral: np.ndarray, tip: int, fov: FieldOfViewConfig, rng: np.random.Generator) -> np.ndarray:
    """(V,) bool: the vertices of a face with neutral shape ``neutral`` that the capture keeps.

    Always draws three jitter values from ``rng`` (so the stream does not depend on whole_head).
    """
    jitter = fov.jitter_mm * rng.standard_normal(3)
    if fov.whole_head:
        return np.ones(neutral.shape[0], dtype=bool)
    rel = neutral - neutral[tip]
    return ((rel[:, 2] >= -(fov.back_mm + jitter[0])) & (rel[:, 1] <= fov.top_mm + jitter[1])
            & (rel[:, 1] >= -(fov.bottom_mm + jitter[2])))


def crop(faces: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(kept vertex indices (V',), faces (F', 3) re-indexed onto them): the faces whose three vertices are
    in ``mask``, and the vertices those faces use."""
    f = np.asarray(faces, dtype=np.int64)
    keep_faces = f[mask[f].all(axis=1)]
    used = np.zeros(mask.shape[0], dtype=bool)
    used[keep_faces.ravel()] = True
    remap = np.cumsum(used) - 1
    return np.flatnonzero(used), remap[keep_faces]
