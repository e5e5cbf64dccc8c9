"""4D sequences (a folder of frame files, or one .npz) and single scans stored as .npz.

``.npz`` layout (numpy.savez / savez_compressed): ``vertices`` (V, 3) for one scan or (T, V, 3) for a
sequence of T frames sharing the topology ``faces`` (F, 3) integer (optional: without it the frames are
point clouds). Each member's sizes are checked before it is inflated (:mod:`core.scans.npz`: the
``npz_member_bytes`` cap, what the compressed bytes can hold, the .npy header against the entry); nothing is
unpickled.

Both kinds are capped like single scans (:mod:`core.scans.limits`), each frame at its share of
``max_sequence_vertices``; the frames of a .npz, sharing one triangle list, are decimated alike so that they
still share one (:func:`core.scans.decimate.cap_frames`).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from core.scans.decimate import cap_frames
from core.scans.frames import list_frames
from core.scans.limits import ScanLimits
from core.scans.npz import read_npz_member
from core.scans.types import Scan, ScanError


def load_sequence(path: str | Path, limits: ScanLimits | None = None) -> list[Scan]:
    """Frames of a 4D sequence, in order.

    path: a folder of frame files (any format :func:`core.scans.load` reads, sorted numerically by
    :func:`core.scans.frames.list_frames`; each frame's ``source`` is its file), or a ``.npz`` with
    ``vertices`` (T, V, 3) [+ ``faces`` (F, 3)] (frame sources ``"seq.npz[t]"``).
    limits: the caps (None: resources/scans.json's; :meth:`ScanLimits.unlimited`: none), each frame getting its
    share of ``max_sequence_vertices``.
    """
    from core.scans import load, read_guarded  # the package's dispatcher (the package imports this module)

    path = Path(path)
    limits = ScanLimits.default() if limits is None else limits
    if path.is_dir():
        frames = list_frames(path)
        if not frames:
            raise ScanError(path, "the folder holds no frame file (.wrl, .obj, .ply, .bnt, ... named by frame number)")
        each = _per_frame(limits, len(frames), path)
        return [load(frame, each) for frame in frames]
    if not path.exists():
        raise ScanError(path, "no such file or folder")
    if path.suffix.lower() != ".npz":
        raise ScanError(path, "a sequence is a folder of frame files or one .npz file")
    return read_guarded(lambda p: read_npz_sequence(p, limits), path)


def read_npz(path: str | Path, limits: ScanLimits | None = None) -> Scan:
    """One scan from a .npz holding ``vertices`` (V, 3) [+ ``faces`` (F, 3)], as stored (not capped; members
    declaring more than ``limits.npz_member_bytes`` are refused)."""
    path = Path(path)
    vertices, faces = _read_npz_arrays(path, ScanLimits.default() if limits is None else limits)
    if vertices.ndim == 3:
        raise ScanError(path, f"holds a sequence of {vertices.shape[0]} frames, not one scan (use load_sequence)")
    return Scan(vertices, faces, str(path))


def read_npz_sequence(path: str | Path, limits: ScanLimits | None = None) -> list[Scan]:
    """Frames of a .npz sequence: ``vertices`` (T, V, 3) (a (V, 3) array is one frame) [+ ``faces``], capped
    alike with ``limits`` (None: resources/scans.json's)."""
    path = Path(path)
    limits = ScanLimits.default() if limits is None else limits
    vertices, faces = _read_npz_arrays(path, limits)
    if vertices.ndim == 2:
        vertices = vertices[None]
    if len(vertices) == 0:
        raise ScanError(path, "the sequence has no frame")
    frames = [Scan(frame, faces, f"{path}[{t}]") for t, frame in enumerate(vertices)]
    del vertices  # the frames hold what they need (float32 copies, or views of a float32 array)
    return cap_frames(frames, _per_frame(limits, len(frames), path))


def _per_frame(limits: ScanLimits, n_frames: int, path: Path) -> ScanLimits:
    try:
        return limits.per_frame(n_frames)
    except ValueError as exc:
        raise ScanError(path, str(exc)) from None


def _read_npz_arrays(path: Path, limits: ScanLimits) -> tuple[np.ndarray, np.ndarray | None]:
    size = path.stat().st_size
    cap = limits.npz_member_bytes
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "vertices.npy" not in names:
                held = ", ".join(n.removesuffix(".npy") for n in names) or "nothing"
                raise ScanError(path, f"no 'vertices' array (the file holds: {held})")
            vertices = read_npz_member(archive, "vertices.npy", size, path, cap)
            faces = read_npz_member(archive, "faces.npy", size, path, cap) if "faces.npy" in names else None
    except zipfile.BadZipFile as exc:
        raise ScanError(path, f"not a valid .npz (zip) file ({exc})") from None
    if not (vertices.ndim in (2, 3) and vertices.shape[-1] == 3):
        raise ScanError(path, f"'vertices' must be (V, 3) or (T, V, 3), got shape {vertices.shape}")
    if faces is not None and faces.dtype.kind not in "iu":
        raise ScanError(path, f"'faces' must hold integers, got {faces.dtype}")
    return vertices, faces

