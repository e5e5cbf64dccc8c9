"""Scan I/O: reading 3D face scans and 4D sequences, writing VRML and Bosphorus files, normalising.

``load(path)`` picks the reader from the extension (case-insensitive):

* ``.wrl`` ``.vrml``: VRML 2.0 (BU-3DFE, BU-4DFE), through VTK's importer (:mod:`core.scans.wrl`);
* ``.bnt``: Bosphorus range grid, triangulated (:mod:`core.scans.bnt`);
* ``.obj`` ``.ply`` ``.stl`` ``.off``: trimesh; a file without faces is a point cloud (:mod:`core.scans.meshes`);
* ``.xyz`` ``.npy``: point clouds, ``x y z`` text lines or a (V, 3) array (:mod:`core.scans.meshes`);
* ``.npz``: ``vertices`` (V, 3) [+ ``faces`` (F, 3)] (:mod:`core.scans.sequence`).

``load_sequence(path)`` reads a 4D sequence: a folder of frame files or one ``.npz`` (T, V, 3).
``save_wrl`` / ``save_bnt`` write the BU-3DFE and Bosphorus layouts; ``normalize`` / ``normalization``
centre and scale a scan into [-0.5, 0.5]^3 (:mod:`core.scans.normalize`).

Vertices come back in file units (millimetres for the FER datasets; no normalisation), with
``Scan.source == str(path)``. A scan larger than :class:`ScanLimits` allows (resources/scans.json: 200,000
vertices or 400,000 triangles, 200,000 points) is decimated or thinned right after reading
(:mod:`core.scans.decimate`; ``Scan.decimated_from`` then holds its size as stored); ``limits=ScanLimits.unlimited()``
reads it as stored. Anything that cannot be read (missing file, folder, unknown extension,
truncated, garbage, NaN/inf, indices out of range, a header announcing more data than the file holds)
raises :class:`ScanError` naming the file and the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, TypeVar

from core.scans.bnt import read_bnt, save_bnt
from core.scans.decimate import cap_scan
from core.scans.frames import FRAME_EXTENSIONS, list_frames
from core.scans.limits import ScanLimits
from core.scans.meshes import TRIMESH_EXTENSIONS, read_npy, read_trimesh, read_xyz
from core.scans.normalize import ORIENTATIONS, Normalization, normalization, normalize
from core.scans.sequence import load_sequence, read_npz
from core.scans.types import Scan, ScanError
from core.scans.wrl import read_wrl, save_wrl

T = TypeVar("T")

_READERS = {
    ".wrl": read_wrl,
    ".vrml": read_wrl,
    ".bnt": read_bnt,
    **{ext: read_trimesh for ext in TRIMESH_EXTENSIONS},
    ".xyz": read_xyz,
    ".npy": read_npy,
    ".npz": read_npz,
}

#: Extensions :func:`load` reads.
SCAN_EXTENSIONS = frozenset(_READERS)


def load(path: str | Path, limits: ScanLimits | None = None) -> Scan:
    """Read one scan; the format comes from the extension (see the module docstring). limits: the caps (None:
    resources/scans.json's; :meth:`ScanLimits.unlimited`: as stored, whatever its size)."""
    path = Path(path)
    limits = ScanLimits.default() if limits is None else limits
    if not path.exists():
        raise ScanError(path, "no such file")
    if path.is_dir():
        raise ScanError(path, "is a folder, not a scan file (a folder of frames is read with load_sequence)")
    reader = _READERS.get(path.suffix.lower())
    if reader is None:
        known = " ".join(sorted(SCAN_EXTENSIONS))
        raise ScanError(path, f"unknown scan format {path.suffix or '(no extension)'!r} (known: {known})")
    if reader is read_npz:
        scan = read_guarded(lambda p: read_npz(p, limits), path)
    else:
        scan = read_guarded(reader, path)
    return read_guarded(lambda _: cap_scan(scan, limits), path)


def read_guarded(reader: Callable[[Path], T], path: Path) -> T:
    """``reader(path)``, with every failure turned into a ScanError naming ``path``."""
    try:
        return reader(path)
    except ScanError:
        raise
    except MemoryError:
        raise ScanError(path, "not enough memory to read the file") from None
    except OSError as exc:
        raise ScanError(path, f"cannot read the file ({exc.strerror or exc})") from None
    except Exception as exc:  # a reader's unforeseen failure is still a bad file, never a crash
        raise ScanError(path, f"unreadable ({type(exc).__name__}: {exc})") from exc


__all__ = [
    "FRAME_EXTENSIONS",
    "ORIENTATIONS",
    "SCAN_EXTENSIONS",
    "Normalization",
    "Scan",
    "ScanError",
    "ScanLimits",
    "list_frames",
    "load",
    "load_sequence",
    "normalization",
    "normalize",
    "save_bnt",
    "save_wrl",
]
