"""Meshes read through trimesh (.obj .ply .stl .off) and point clouds (.xyz text, .npy arrays).

* OBJ, PLY, OFF: vertices in file order (trimesh with ``process=False``; OBJ with ``maintain_order`` so
  texture coordinates never split a vertex); polygons are triangulated by trimesh. A file with
  vertices but no faces (a PLY point cloud, an OBJ of ``v`` lines) is a point cloud (``faces=None``).
* STL stores every triangle with its own three corners; corners with exactly equal coordinates are merged
  (first occurrence first), which turns the triangle soup into an indexed mesh without moving anything.
* ``.xyz``: one point per line, ``x y z`` (spaces, tabs or commas), further columns ignored, blank lines
  and ``#`` comments skipped.
* ``.npy``: a (V, 3) float or integer array. The header is checked against the file size before the
  data is read, and nothing is unpickled.

Before trimesh reads an OFF, ASCII PLY or OBJ file, core.scans.mesh_checks checks it against its own
declarations (element counts, corner counts, indices), which trimesh reads leniently. A text OBJ, OFF or ASCII
PLY above 32 MiB is read in blocks by core.scans.text_mesh instead (same arrays, a fraction of trimesh's memory).

Every failure (including whatever trimesh raises, or an empty scene it returns for a file that is not a
mesh at all) becomes a :class:`ScanError` naming the file.
"""

from __future__ import annotations

import gc
import io
import re
from pathlib import Path

import numpy as np

from core.scans.mesh_checks import check_mesh_text
from core.scans.npz import read_npy_stream
from core.scans.text_mesh import read_text_mesh
from core.scans.types import Scan, ScanError

#: Extensions read through trimesh.
TRIMESH_EXTENSIONS = (".obj", ".ply", ".stl", ".off")

#: Above this many vertices a read frees trimesh's cyclic garbage at once (megabytes per 100k vertices).
COLLECT_ABOVE_VERTICES = 500_000
#: The bytes a text file may hold (printable, tab, newlines, form feed); anything else means binary data.
TEXT_BYTES = bytes(range(0x20, 0x7F)) + bytes(range(0x80, 0x100)) + b"\t\n\r\x0c"
_DATA_LINE = re.compile(r"^[ \t\r\x0c]*[^#\s]", re.MULTILINE)


def read_trimesh(path: str | Path) -> Scan:
    """Read an OBJ/PLY/STL/OFF file: a mesh, or a point cloud when the file has no faces."""
    import trimesh

    path = Path(path)
    file_type = path.suffix.lower().lstrip(".")
    if path.stat().st_size == 0:
        raise ScanError(path, "empty file")
    streamed = read_text_mesh(path, file_type)  # a big text OBJ/OFF/PLY, in blocks; None: the trimesh path below
    if streamed is not None:
        return Scan(*streamed, str(path))
    check_mesh_text(path, file_type)  # counts, corner counts and indices against the file's own declarations
    try:
        loaded = trimesh.load(str(path), file_type=file_type, process=False, maintain_order=True)
    except Exception as exc:  # trimesh raises many kinds of errors on malformed files
        raise ScanError(path, f"not a readable {file_type.upper()} file ({type(exc).__name__}: {exc})") from None
    meshes, clouds = _split(list(loaded.geometry.values()) if isinstance(loaded, trimesh.Scene) else [loaded])
    del loaded
    if not meshes and not clouds:
        raise ScanError(path, f"no mesh or point data in this {file_type.upper()} file")
    v, f = _arrays(meshes, clouds, file_type == "stl")
    # trimesh's meshes hold reference cycles (their caches), so what they hold besides v and f (float64 vertices,
    # the file's raw data) would wait for the cyclic collector: for a big file freed now, before the scan is merged,
    # capped or rendered (a full collection costs ~0.3 s with torch loaded: not worth it for an ordinary scan)
    del meshes, clouds
    if len(v) > COLLECT_ABOVE_VERTICES:
        gc.collect()
    if f is not None and file_type == "stl":
        v, f = _merge_identical_vertices(v, f)
    return Scan(v, f, str(path))


def _split(parts: list) -> tuple[list, list[np.ndarray]]:
    """(trimesh meshes with triangles, point arrays of the rest) of a loaded file's geometry."""
    import trimesh

    meshes, clouds = [], []
    for g in parts:
        if isinstance(g, trimesh.Trimesh) and len(g.faces):
            meshes.append(g)
        elif isinstance(g, (trimesh.Trimesh, trimesh.PointCloud)) and len(g.vertices):
            clouds.append(np.asarray(g.vertices))
    return meshes, clouds


def _arrays(meshes: list, clouds: list[np.ndarray], as_float32: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """(vertices, faces) of trimesh's meshes (loose points beside a mesh are not part of the surface), else (points,
    None). One mesh: trimesh's arrays as they are, no copies (vertices as float32 with ``as_float32``)."""
    if not meshes:
        return np.concatenate(clouds), None
    if len(meshes) == 1:
        v, f = np.asarray(meshes[0].vertices), np.asarray(meshes[0].faces, dtype=np.int64)
    else:
        vertices, faces, offset = [], [], 0
        for m in meshes:
            vertices.append(np.asarray(m.vertices))
            faces.append(np.asarray(m.faces, dtype=np.int64) + offset)
            offset += len(m.vertices)
        v, f = np.concatenate(vertices), np.concatenate(faces)
    if as_float32:
        with np.errstate(over="ignore", invalid="ignore"):
            v = v.astype(np.float32)
    return v, f


def _merge_identical_vertices(vertices: np.ndarray, faces: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge vertices with exactly equal coordinates (as the Scan stores them, float32: what a binary STL holds),
    keeping first-occurrence order; faces re-indexed. Given float32, the sort takes half the memory."""
    unique, first, inverse = np.unique(vertices, axis=0, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return unique[order], rank[inverse.reshape(-1)][faces]


def read_xyz(path: str | Path) -> Scan:
    """Read a text point cloud: ``x y z [ignored columns]`` per line."""
    path = Path(path)
    data = path.read_bytes()
    if not data.strip():
        raise ScanError(path, "empty file")
    if data.translate(None, TEXT_BYTES):
        raise ScanError(path, "binary data in a text point cloud")
    text = data.decode("latin-1").replace(",", " ")
    if not _DATA_LINE.search(text):
        raise ScanError(path, "no points (only blank or comment lines)")
    try:
        points = np.loadtxt(io.StringIO(text), usecols=(0, 1, 2), comments="#", ndmin=2, dtype=np.float64)
    except (ValueError, IndexError) as exc:
        raise ScanError(path, f"every line must start with three numbers x y z ({exc})") from None
    if len(points) == 0:
        raise ScanError(path, "no points")
    return Scan(points, None, str(path))


def read_npy(path: str | Path) -> Scan:
    """Read a (V, 3) point array saved with numpy.save."""
    path = Path(path)
    with path.open("rb") as f:
        size = f.seek(0, 2)
        f.seek(0)
        points = read_npy_stream(f, size, path, "the array")
    if points.ndim != 2 or points.shape[1] != 3:
        raise ScanError(path, f"a point cloud .npy must hold a (V, 3) array, got shape {points.shape}")
    return Scan(points, None, str(path))
