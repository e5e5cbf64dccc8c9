"""Big text meshes (OBJ, OFF, ASCII PLY) read in blocks, so reading peaks near the size of the arrays it returns.

trimesh reads a text mesh whole: the file as one string, a list of its lines, a list of tokens per line; a 2.5-million
vertex OBJ peaks at several GB that way, before :mod:`core.scans.decimate` can cap it. Above
:data:`STREAM_ABOVE_BYTES` this module reads such a file in blocks of :data:`BLOCK_BYTES` (whole lines), parses each
block's numbers with numpy and keeps only the arrays, validating as it goes what :mod:`core.scans.mesh_checks`
checks (counts against the header, corner counts, indices).

It returns exactly what the trimesh path of :func:`core.scans.meshes.read_trimesh` returns (same vertices in file
order, float64 as trimesh gives them, after the cast to a PLY's declared type; same triangles in the same order:
triangles first, then quads split as ``[0, 1, 2]`` and ``[2, 3, 0]``, as ``trimesh.geometry.triangulate_quads``
does; larger polygons are left to trimesh, which with numpy 2 refuses them). Whatever it does not handle exactly like trimesh, and any file that
disagrees with itself, it leaves to the trimesh path (``None``), where mesh_checks names the file and the line:

* OBJ: only ``v`` (3 or 6 numbers), ``vt``, ``vn``, ``f`` lines, whole-line comments and blank lines; faces all triangles or
  all quads; positive indices. Groups, objects, materials, lines, negative indices: trimesh.
* OFF: the keyword ``OFF`` or ``COFF``; triangles and quads.
* ASCII PLY: a ``vertex`` element of scalar properties (x, y, z float or double) and optionally a ``face`` element
  with one ``vertex_indices``/``vertex_index`` list of triangles and quads; no comments or blank lines in the data.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from core.scans.mesh_checks import token_counts

#: Files larger than this are read in blocks; smaller ones go through trimesh as before.
STREAM_ABOVE_BYTES = 32 * 1024 * 1024
#: Bytes per block (whole lines): the transient lists of one block cost about ten times this.
BLOCK_BYTES = 4 * 1024 * 1024

_COMMENT = re.compile(rb"#[^\n]*")
_OBJ_OTHER = re.compile(rb"(?m)^(?![ \t]*(?:(?:v|vt|vn|f)[ \t]|#|\r?$))")
_OBJ_TAIL_COMMENT = re.compile(rb"(?m)^[ \t]*[^#\s][^\n]*#")
_OBJ_V = re.compile(rb"(?m)^[ \t]*v[ \t]+([^\n#]*)")
_OBJ_F = re.compile(rb"(?m)^[ \t]*f[ \t]+([^\n#]*)")
_OBJ_REF_TAIL = re.compile(rb"/\S*")
_PLY_FLOATS = {"float": np.float32, "float32": np.float32, "double": np.float64, "float64": np.float64}


class _Fallback(Exception):
    """The file is one for trimesh (a feature this reader leaves to it, or an inconsistency mesh_checks names)."""


def read_text_mesh(path: Path, file_type: str) -> tuple[np.ndarray, np.ndarray | None] | None:
    """(vertices float64 (V, 3), triangles int64 (F, 3) or None for a point cloud) of a big text OBJ, OFF or ASCII
    PLY; None when the file is small, binary, or anything this reader leaves to trimesh (see the module)."""
    reader = {"obj": _read_obj, "off": _read_off, "ply": _read_ply}.get(file_type)
    if reader is None or path.stat().st_size <= STREAM_ABOVE_BYTES:
        return None
    try:
        return reader(path)
    except (_Fallback, ValueError, OverflowError):
        return None


def _blocks(path: Path, start: int = 0) -> Iterator[bytes]:
    """The file from byte ``start`` in blocks of whole lines (the last one may lack its newline)."""
    with path.open("rb") as f:
        f.seek(start)
        rest = b""
        while chunk := f.read(BLOCK_BYTES):
            chunk = rest + chunk
            cut = chunk.rfind(b"\n") + 1
            rest = chunk[cut:]
            if cut:
                yield chunk[:cut]
        if rest:
            yield rest


def _numbers(lines: list[bytes], dtype: type, exact: int | None = None, first: int | None = None) -> np.ndarray:
    """Rows of numbers, one per line: each line exactly ``exact`` tokens, or its ``first`` tokens (at least)."""
    counts = token_counts(lines)
    if exact is not None and (counts.min() != exact or counts.max() != exact):
        raise _Fallback
    if first is not None and counts.min() < first:
        raise _Fallback
    if counts.min() == counts.max():
        rows = np.array(b" ".join(lines).split(), dtype=dtype).reshape(len(lines), int(counts[0]))
        return rows if first is None else np.ascontiguousarray(rows[:, :first])
    return np.array([line.split()[:first] for line in lines], dtype=dtype)


class _Polygons:
    """Triangles and quads ``n i1 .. in`` collected block by block, split at the end as triangulate_quads does."""

    def __init__(self, n_vertices: int, trailing_ok: bool):
        self.n_vertices, self.trailing_ok = n_vertices, trailing_ok
        self.tri: list[np.ndarray] = []
        self.quad: list[np.ndarray] = []

    def add(self, lines: list[bytes]) -> None:
        if not lines:
            return
        counts = token_counts(lines)
        rows = None
        if counts.min() == counts.max():
            try:
                values = np.array(b" ".join(lines).split(), dtype=np.int64).reshape(len(lines), int(counts[0]))
            except ValueError:  # float colours after the indices
                values = None
            if values is not None and values[:, 0].min() == values[:, 0].max():
                n = int(values[0, 0])
                if 3 <= n <= 4 and (values.shape[1] == 1 + n or (self.trailing_ok and values.shape[1] > 1 + n)):
                    rows = values[:, 1 : 1 + n]
        if rows is not None:
            self._check(rows)
            (self.tri if rows.shape[1] == 3 else self.quad).append(np.ascontiguousarray(rows))
            return
        for line in lines:
            tokens = line.split()
            n = int(tokens[0])
            if not 3 <= n <= 4 or len(tokens) < 1 + n or (len(tokens) > 1 + n and not self.trailing_ok):
                raise _Fallback
            corners = np.array(tokens[1 : 1 + n], dtype=np.int64)
            self._check(corners)
            (self.tri if n == 3 else self.quad).append(corners.reshape(1, -1))

    def _check(self, indices: np.ndarray) -> None:
        if indices.size and (indices.min() < 0 or indices.max() >= self.n_vertices):
            raise _Fallback

    def triangles(self) -> np.ndarray | None:
        tri = np.concatenate(self.tri) if self.tri else np.zeros((0, 3), np.int64)
        quad = np.concatenate(self.quad) if self.quad else np.zeros((0, 4), np.int64)
        faces = np.concatenate([tri, quad[:, [0, 1, 2]], quad[:, [2, 3, 0]]])
        return faces if len(faces) else None


def _fill(vertices: np.ndarray, filled: int, rows: np.ndarray) -> int:
    vertices[filled : filled + len(rows)] = rows
    return filled + len(rows)


# --------------------------------------------------------------------------------------------------------- OFF
def _read_off(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    counts: list[bytes] | None = None
    keyword = False
    vertices = polygons = None
    filled = faces_seen = 0
    for block in _blocks(path):
        lines = [line for line in _COMMENT.sub(b"", block).split(b"\n") if line.strip()]
        if not keyword:
            words = lines[0].split() if lines else []
            if not words or words[0] not in (b"OFF", b"COFF"):
                raise _Fallback
            keyword, lines[0] = True, b" ".join(words[1:])
            lines = [line for line in lines if line.strip()]
        if counts is None:
            if not lines:
                continue
            counts = lines.pop(0).split()
            n_vertices, n_faces = (int(c) for c in counts[:2])
            if len(counts) < 2 or n_vertices < 0 or n_faces < 0:
                raise _Fallback
            vertices = np.empty((n_vertices, 3), np.float64)
            polygons = _Polygons(n_vertices, trailing_ok=True)
        take = min(len(lines), n_vertices - filled)
        if take:
            filled = _fill(vertices, filled, _numbers(lines[:take], np.float64, first=3))
        face_lines = lines[take : take + n_faces - faces_seen]
        polygons.add(face_lines)
        faces_seen += len(face_lines)
        if faces_seen == n_faces and filled == n_vertices:
            break
    if counts is None or filled < n_vertices or faces_seen < n_faces:
        raise _Fallback  # truncated: mesh_checks says so
    return vertices, polygons.triangles()


# ----------------------------------------------------------------------------------------------------- ASCII PLY
def _ply_layout(path: Path) -> tuple[int, int, list[str], list[type], int]:
    """(data offset, vertex count, vertex property names, their float types, face count) of a PLY this reader
    takes; _Fallback otherwise."""
    with path.open("rb") as f:
        head = f.read(64 * 1024)
    end = head.find(b"end_header")
    newline = head.find(b"\n", end)
    if not head.startswith(b"ply") or end < 0 or newline < 0:
        raise _Fallback
    elements: list[tuple[str, int, list[list[str]]]] = []
    ascii_format = False
    for line in head[:end].decode("latin-1").splitlines()[1:]:
        words = line.split()
        if words[:2] == ["format", "ascii"]:
            ascii_format = True
        elif words[:1] == ["element"] and len(words) == 3:
            elements.append((words[1], int(words[2]), []))
        elif words[:1] == ["property"] and elements:
            elements[-1][2].append(words[1:])
        elif words and words[0] not in ("comment", "obj_info", "format"):
            raise _Fallback
    names = [name for name, _, _ in elements]
    if not ascii_format or names not in (["vertex"], ["vertex", "face"]):
        raise _Fallback
    _, n_vertices, vertex_props = elements[0]
    if any(len(p) != 2 for p in vertex_props):
        raise _Fallback
    props = [p[1] for p in vertex_props]
    types = [_PLY_FLOATS.get(p[0]) for p in vertex_props]
    if not all(axis in props and types[props.index(axis)] is not None for axis in "xyz"):
        raise _Fallback
    n_faces = 0
    if len(elements) == 2:
        _, n_faces, face_props = elements[1]
        if len(face_props) != 1 or len(face_props[0]) != 4 or face_props[0][0] != "list" or \
                face_props[0][3] not in ("vertex_indices", "vertex_index"):
            raise _Fallback
    return newline + 1, n_vertices, props, types, n_faces


def _read_ply(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    start, n_vertices, props, types, n_faces = _ply_layout(path)
    columns = [props.index(axis) for axis in "xyz"]
    cast = [types[c] for c in columns]
    vertices = np.empty((n_vertices, 3), np.float64)
    polygons = _Polygons(n_vertices, trailing_ok=False)
    filled = faces_seen = 0
    for block in _blocks(path, start):
        if b"#" in block:
            raise _Fallback
        lines = block.split(b"\n")
        if lines and not lines[-1].strip():
            lines.pop()  # the text after the block's last newline
        lines = lines[: n_vertices - filled + n_faces - faces_seen]
        if any(not line.strip() for line in lines):
            raise _Fallback  # trimesh counts a blank line as an element, mesh_checks skips it
        take = min(len(lines), n_vertices - filled)
        if take:
            rows = _numbers(lines[:take], np.float64, exact=len(props))[:, columns]
            with np.errstate(over="ignore"):  # 1e39 as a float property: inf, as trimesh has it (Scan refuses it)
                for k, dtype in enumerate(cast):  # as trimesh: each property cast to its declared type
                    rows[:, k] = rows[:, k].astype(dtype)
            filled = _fill(vertices, filled, rows)
        polygons.add(lines[take:])
        faces_seen += len(lines) - take
        if filled == n_vertices and faces_seen == n_faces:
            break
    if filled < n_vertices or faces_seen < n_faces:
        raise _Fallback
    return vertices, polygons.triangles()


# ----------------------------------------------------------------------------------------------------------- OBJ
def _read_obj(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    parts: list[np.ndarray] = []
    faces: list[np.ndarray] = []
    width = corners = None
    for block in _blocks(path):
        if _OBJ_OTHER.search(block) or _OBJ_TAIL_COMMENT.search(block):
            raise _Fallback  # groups, materials, lines, comments after data (trimesh refuses those): trimesh
        bodies = _OBJ_V.findall(block)
        if bodies:
            rows = _numbers(bodies, np.float64)
            width = width or rows.shape[1]
            if rows.shape[1] != width or width not in (3, 6):
                raise _Fallback
            parts.append(np.ascontiguousarray(rows[:, :3]))
        bodies = _OBJ_F.findall(block)
        if bodies:
            refs = _OBJ_REF_TAIL.sub(b"", b"\n".join(bodies)).split(b"\n")
            rows = _numbers(refs, np.int64)
            corners = corners or rows.shape[1]
            if rows.shape[1] != corners or corners not in (3, 4) or rows.min() < 1:
                raise _Fallback  # mixed polygons, negative or zero references: trimesh (and mesh_checks)
            faces.append(rows - 1)
    if not parts:
        raise _Fallback
    vertices = np.concatenate(parts)
    del parts
    if not faces:
        return vertices, None
    f = np.concatenate(faces)
    del faces
    if f.max() >= len(vertices):
        raise _Fallback
    if corners == 4:
        f = np.concatenate([f[:, [0, 1, 2]], f[:, [2, 3, 0]]])
    return vertices, f
