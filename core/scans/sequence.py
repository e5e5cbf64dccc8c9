"""4D sequences (a folder of frame files, or one .npz) and single scans stored as .npz.

``.npz`` layout (numpy.savez / savez_compressed): ``vertices`` (V, 3) for one scan or (T, V, 3) for a
sequence of T frames sharing the topology ``faces`` (F, 3) integer (optional: without it the frames are
point clouds). Each member's .npy header is checked against the size the zip directory records for it,
and that size against what the compressed bytes can hold (DEFLATE expands at most ~1032:1), before any
array is allocated; nothing is unpickled.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from core.scans.frames import list_frames
from core.scans.meshes import read_npy_stream
from core.scans.types import Scan, ScanError

# DEFLATE cannot expand data more than about 1032:1; a zip entry claiming more is lying.
_MAX_DEFLATE_RATIO = 1032


def load_sequence(path: str | Path) -> list[Scan]:
    """Frames of a 4D sequence, in order.

    path: a folder of frame files (any format :func:`core.scans.load` reads, sorted numerically by
    :func:`core.scans.frames.list_frames`; each frame's ``source`` is its file), or a ``.npz`` with
    ``vertices`` (T, V, 3) [+ ``faces`` (F, 3)] (frame sources ``"seq.npz[t]"``).
    """
    from core.scans import load, read_guarded  # the package's dispatcher (the package imports this module)

    path = Path(path)
    if path.is_dir():
        frames = list_frames(path)
        if not frames:
            raise ScanError(path, "the folder holds no frame file (.wrl, .obj, .ply, .bnt, ... named by frame number)")
        return [load(frame) for frame in frames]
    if not path.exists():
        raise ScanError(path, "no such file or folder")
    if path.suffix.lower() != ".npz":
        raise ScanError(path, "a sequence is a folder of frame files or one .npz file")
    return read_guarded(read_npz_sequence, path)


def read_npz(path: str | Path) -> Scan:
    """One scan from a .npz holding ``vertices`` (V, 3) [+ ``faces`` (F, 3)]."""
    path = Path(path)
    vertices, faces = _read_npz_arrays(path)
    if vertices.ndim == 3:
        raise ScanError(path, f"holds a sequence of {vertices.shape[0]} frames, not one scan (use load_sequence)")
    return Scan(vertices, faces, str(path))


def read_npz_sequence(path: str | Path) -> list[Scan]:
    """Frames of a .npz sequence: ``vertices`` (T, V, 3) (a (V, 3) array is one frame) [+ ``faces``]."""
    path = Path(path)
    vertices, faces = _read_npz_arrays(path)
    if vertices.ndim == 2:
        vertices = vertices[None]
    if len(vertices) == 0:
        raise ScanError(path, "the sequence has no frame")
    return [Scan(frame, faces, f"{path}[{t}]") for t, frame in enumerate(vertices)]


def _read_npz_arrays(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "vertices.npy" not in names:
                held = ", ".join(n.removesuffix(".npy") for n in names) or "nothing"
                raise ScanError(path, f"no 'vertices' array (the file holds: {held})")
            vertices = _member(archive, "vertices.npy", size, path)
            faces = _member(archive, "faces.npy", size, path) if "faces.npy" in names else None
    except zipfile.BadZipFile as exc:
        raise ScanError(path, f"not a valid .npz (zip) file ({exc})") from None
    if not (vertices.ndim in (2, 3) and vertices.shape[-1] == 3):
        raise ScanError(path, f"'vertices' must be (V, 3) or (T, V, 3), got shape {vertices.shape}")
    if faces is not None and faces.dtype.kind not in "iu":
        raise ScanError(path, f"'faces' must hold integers, got {faces.dtype}")
    return vertices, faces


def _member(archive: zipfile.ZipFile, name: str, archive_size: int, path: Path) -> np.ndarray:
    info = archive.getinfo(name)
    what = f"the array {name.removesuffix('.npy')!r}"
    if info.compress_size > archive_size:
        raise ScanError(path, f"{what} claims {info.compress_size} bytes, more than the file holds")
    if info.compress_type == zipfile.ZIP_STORED:
        plausible = info.file_size == info.compress_size
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        plausible = info.file_size <= _MAX_DEFLATE_RATIO * info.compress_size + 1024
    else:
        raise ScanError(path, f"{what} uses an unsupported zip compression (method {info.compress_type})")
    if not plausible:
        stored = info.compress_size
        raise ScanError(path, f"{what} claims {info.file_size} bytes, more than its {stored} stored bytes can hold")
    with archive.open(info) as member:
        return read_npy_stream(member, info.file_size, path, what)
