"""Writing generated scans in the datasets' own formats (deterministic bytes for the same arrays).

WRL (BU-3DFE/BU-4DFE) and BNT (Bosphorus) go through core.scans; OBJ frames and whole heads are written here
with 3 decimals (micrometres, far below the simulated scanner noise) and no header, normals or texture, as
trimesh's exporter writes them; PLY (whole heads) through trimesh. Every file is written atomically (a temporary,
then a rename), so a full disk or a kill never leaves an empty or truncated scan under a scan's name.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.config_io import write_bytes_atomic
from core.synth.rangegrid import RangeGrid

OBJ_DIGITS = 3


def obj_text(vertices: np.ndarray, faces: np.ndarray) -> str:
    """Wavefront OBJ text of a triangle mesh: ``v x y z`` lines with OBJ_DIGITS decimals, then 1-based
    ``f a b c`` lines and a final blank line (the bytes trimesh's exporter writes for such a mesh, about 50x
    faster: one C-level format of the whole array)."""
    v = np.asarray(vertices, dtype=np.float64).reshape(-1, 3)
    f = np.asarray(faces, dtype=np.int64).reshape(-1, 3) + 1
    vertex_line = f"v %.{OBJ_DIGITS}f %.{OBJ_DIGITS}f %.{OBJ_DIGITS}f\n"
    vertex_text = (vertex_line * len(v)) % tuple(v.ravel().tolist())
    return vertex_text + ("f %d %d %d\n" * len(f)) % tuple(f.ravel().tolist()) + "\n"


def write_mesh(path: Path, vertices: np.ndarray, faces: np.ndarray, fmt: str) -> None:
    """Write a (V, 3) mm mesh with (F, 3) faces as ``fmt`` ("obj", "wrl" or binary "ply") to ``path``."""
    if fmt == "obj":
        write_bytes_atomic(path, obj_text(vertices, faces).encode("ascii"))
    elif fmt == "ply":
        import trimesh

        mesh = trimesh.Trimesh(vertices=np.asarray(vertices, dtype=np.float64), faces=np.asarray(faces, dtype=np.int64),
                               process=False, validate=False)
        write_bytes_atomic(path, trimesh.exchange.ply.export_ply(mesh, encoding="binary", include_attributes=False))
    elif fmt == "wrl":
        from core.scans import save_wrl

        save_wrl(path, np.asarray(vertices, dtype=np.float32), np.asarray(faces, dtype=np.int64))
    else:
        raise ValueError(f"{path}: unknown mesh format {fmt!r} (expected obj, wrl or ply)")


def write_bnt(path: Path, grid: RangeGrid) -> None:
    """Write a range grid as a Bosphorus .bnt file."""
    from core.scans import save_bnt

    save_bnt(path, grid.data, grid.nrows, grid.ncols, grid.zmin)
