"""Writing generated scans in the datasets' own formats (deterministic bytes for the same arrays).

WRL (BU-3DFE/BU-4DFE) and BNT (Bosphorus) go through core.scans; OBJ frames through trimesh's exporter
with 3 decimals (micrometres, far below the simulated scanner noise) and no header, normals or texture.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.synth.rangegrid import RangeGrid

OBJ_DIGITS = 3


def obj_text(vertices: np.ndarray, faces: np.ndarray) -> str:
    """Wavefront OBJ text of a triangle mesh (v and f lines only)."""
    import trimesh

    mesh = trimesh.Trimesh(vertices=np.asarray(vertices, dtype=np.float64), faces=np.asarray(faces, dtype=np.int64),
                           process=False, validate=False)
    return trimesh.exchange.obj.export_obj(mesh, include_normals=False, include_color=False,
                                           include_texture=False, digits=OBJ_DIGITS, header=None)


def write_mesh(path: Path, vertices: np.ndarray, faces: np.ndarray, fmt: str) -> None:
    """Write a (V, 3) mm mesh with (F, 3) faces as ``fmt`` ("obj" or "wrl") to ``path``."""
    if fmt == "obj":
        path.write_bytes(obj_text(vertices, faces).encode("ascii"))
    elif fmt == "wrl":
        from core.scans import save_wrl

        save_wrl(path, np.asarray(vertices, dtype=np.float32), np.asarray(faces, dtype=np.int64))
    else:
        raise ValueError(f"{path}: unknown mesh format {fmt!r} (expected obj or wrl)")


def write_bnt(path: Path, grid: RangeGrid) -> None:
    """Write a range grid as a Bosphorus .bnt file."""
    from core.scans import save_bnt

    save_bnt(path, grid.data, grid.nrows, grid.ncols, grid.zmin)
