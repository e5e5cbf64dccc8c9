"""Small synthetic scans and writers of the official file layouts, built byte by byte in the tests."""

from __future__ import annotations

import numpy as np
import pytest


def _grid_mesh(rows: int = 4, cols: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """A bumpy height-field patch facing +z: vertices (rows*cols, 3) float32, triangles (F, 3) int64."""
    r, c = np.mgrid[0:rows, 0:cols]
    x = c.ravel() * 2.5 - 5.0
    y = -(r.ravel() * 2.0) + 3.0
    z = 10.0 + np.sin(x * 0.7) * 1.5 + np.cos(y * 0.9)
    vertices = np.stack([x, y, z], axis=1).astype(np.float32)
    idx = (r * cols + c)[:-1, :-1].ravel()
    upper = np.stack([idx, idx + cols, idx + 1], 1)
    lower = np.stack([idx + 1, idx + cols, idx + cols + 1], 1)
    faces = np.concatenate([upper, lower])
    return vertices, faces.astype(np.int64)


def _bu3dfe_wrl(points: list[str], polygons: list[list[int]], texture: str = "F0001_NE00WH_F3D.bmp") -> str:
    """A VRML file in the BU-3DFE/BU-4DFE style: Transform/children nesting, an ImageTexture, ``solid FALSE``,
    DEF'd Coordinate, and per-corner ``texCoord``/``texCoordIndex`` (a different tex index per corner, as
    the real files have). ``points`` are the literal "x y z" strings; ``polygons`` index them."""
    n_tex = sum(len(p) for p in polygons)
    tex_points = ",\n".join(f"            {(i % 7) / 7:.4f} {(i % 5) / 5:.4f}" for i in range(n_tex))
    coord_index, tex_index, t = [], [], 0
    for polygon in polygons:
        coord_index.append("          " + ", ".join(map(str, polygon)) + ", -1")
        tex_index.append("          " + ", ".join(str(t + i) for i in range(len(polygon))) + ", -1")
        t += len(polygon)
    point_lines = ",\n".join(f"            {p}" for p in points)
    return f"""#VRML V2.0 utf8
# Produced by a 3D scanner export. Brackets in comments [ {{ must not matter.

Transform {{
  translation 0 0 0
  children [
    Shape {{
      appearance Appearance {{
        material Material {{ diffuseColor 1 1 1 }}
        texture ImageTexture {{
          url "{texture}"
        }}
      }}
      geometry IndexedFaceSet {{
        ccw TRUE
        solid FALSE
        convex TRUE
        creaseAngle 0.5
        coord DEF co Coordinate {{
          point [
{point_lines}
          ]
        }}
        texCoord DEF tc TextureCoordinate {{
          point [
{tex_points}
          ]
        }}
        coordIndex [
{chr(10).join(coord_index)}
        ]
        texCoordIndex [
{chr(10).join(tex_index)}
        ]
      }}
    }}
  ]
}}
"""


# The BU-style fixture: 6 stored points (the last one used by no polygon), 3 triangles and 1 quad,
# referenced out of order so that first-use order differs from the stored order.
BU_POINTS = [
    "-57.2424 21.8834 -6.48628",
    "-55.9133 24.1573 -4.90021",
    "-53.0012 20.5517 -3.11",
    "-51.5 25.25 -1.125",
    "-49.75 22.0 0.5",
    "12.5 -3.25 7.0",
]
BU_POLYGONS = [[3, 1, 0], [1, 2, 0], [2, 4, 3, 1], [4, 2, 0]]
BU_TRIANGLES = [[3, 1, 0], [1, 2, 0], [2, 4, 3], [2, 3, 1], [4, 2, 0]]


@pytest.fixture
def grid_mesh():
    """grid_mesh(rows=4, cols=5) -> (vertices (rows*cols, 3) float32, faces (F, 3) int64), facing +z."""
    return _grid_mesh


@pytest.fixture
def mesh():
    """A small triangle mesh (vertices (20, 3) float32, faces (24, 3) int64)."""
    return _grid_mesh()


@pytest.fixture
def bu3dfe_wrl():
    """bu3dfe_wrl(points, polygons) -> the text of a BU-3DFE-style .wrl (see _bu3dfe_wrl)."""
    return _bu3dfe_wrl


@pytest.fixture
def bu_wrl(tmp_path):
    """(path, stored points (6, 3) float32, expected triangles (5, 3)) of a BU-3DFE-style .wrl."""
    path = tmp_path / "F0001_NE00WH_F3D.wrl"
    path.write_text(_bu3dfe_wrl(BU_POINTS, BU_POLYGONS), encoding="utf-8")
    points = np.array([[float(v) for v in p.split()] for p in BU_POINTS], dtype=np.float32)
    return path, points, np.array(BU_TRIANGLES, dtype=np.int64)
