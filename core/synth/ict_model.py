"""Finding, checking and loading the ICT Face Model Light (skin surface) used by the synthetic generators.

The model comes from ICT-FaceKit (github.com/ICT-VGL/ICT-FaceKit at :data:`ICT_COMMIT`, MIT licence) and is
never part of this repository. It is read either from one compact file, :data:`NPZ_FILE` (checked against
:data:`NPZ_SHA256`), or straight from ICT-FaceKit's ``FaceXModel/`` OBJ folder, which is converted on load into
the very arrays the npz holds (as :file:`convert_ict.py` made it). Search order of :func:`locate_ict`:

1. the folder the user gives (``--face-model-dir DIR``), else the folder in the ``SMILE_ICT_DIR`` variable;
2. ``../shared/ict`` beside the checkout (relative to the repository root, then to the current folder);
3. the per-user cache ``platformdirs.user_cache_dir("smile-vlm")/ict``.

A folder qualifies when it holds the npz, is a ``FaceXModel`` folder, or has a ``FaceXModel/`` subfolder.
A missing, truncated or corrupt file stops with a :class:`ModelFileError` naming the file and what to do.

Model conventions (after loading): millimetres, the face looks along +z with y up; only the skin surface is
kept: vertices ``[0, N_FACE)`` are the face, ``[N_FACE, N_SKIN)`` the head and neck.
"""

from __future__ import annotations

import json
import os
import threading
import warnings
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.synth.model import ModelFileError, cache_dir_for, sha256_file, shared_dirs_for

#: The ICT-FaceKit commit the model is taken from.
ICT_COMMIT = "da5f95a607f5e6b37755b38d3385d7f2853732e5"
NPZ_FILE = "ict_face_model_light.npz"
NPZ_SHA256 = "e2ebef2ca758d255488e2911926a0c097ca49440613573e78b027a672998021b"
#: Environment variable naming a folder that holds the npz or a FaceXModel folder.
ENV_VAR = "SMILE_ICT_DIR"
N_SKIN = 11248  # face + head and neck (ICT-FaceKit README, "Face Model Topology")
N_FACE = 9409  # full face area
N_NARROW = 6706  # narrow face area
OBJ_FOLDER = "FaceXModel"
NEUTRAL_OBJ = "generic_neutral_mesh.obj"
INDICES_JSON = "vertex_indices.json"
#: Expression shapes appended after vertex_indices.json's list when their OBJ files exist.
EXTRA_EXPRESSIONS = ("cheekRaiser_L", "cheekRaiser_R")
_MM_PER_CM = 10.0


@dataclass(frozen=True, eq=False)
class IctModel:
    """The skin surface of the ICT Face Model Light as read-only numpy arrays (millimetres).

    neutral:          (V, 3) float64 generic neutral mesh.
    faces:            (F, 3) int64 triangles.
    identity_modes:   (K, V, 3) float32 identity PCA modes as offsets; identity = neutral + sum c_k mode_k.
    expression_modes: (E, V, 3) float32 expression shapes as offsets (weight 1 = full shape).
    expression_names: the E names, ARKit style (browDown_L ... noseSneer_R, cheekRaiser_L/R).
    landmarks68:      (68,) int64 Multi-PIE landmark vertices (index 30 = nose tip).
    n_face / n_narrow_face: vertices [0, n) are the full / narrow face area.
    checksums:        file name -> sha256 of the file(s) read.
    source:           "npz" or "FaceXModel".
    """

    neutral: np.ndarray
    faces: np.ndarray
    identity_modes: np.ndarray
    expression_modes: np.ndarray
    expression_names: tuple[str, ...]
    landmarks68: np.ndarray
    n_face: int
    n_narrow_face: int
    checksums: Mapping[str, str]
    source: str

    @property
    def n_vertices(self) -> int:
        return int(self.neutral.shape[0])

    @property
    def n_components(self) -> int:
        return int(self.identity_modes.shape[0])

    @property
    def nose_tip(self) -> int:
        """Vertex index of the nose tip (landmark 30)."""
        return int(self.landmarks68[30])

    def expression(self, name: str) -> np.ndarray:
        """(V, 3) offsets of expression ``name``; ValueError listing the known names otherwise."""
        if name not in self.expression_names:
            raise ValueError(f"unknown expression {name!r}; known: {', '.join(self.expression_names)}")
        return self.expression_modes[self.expression_names.index(name)]


def default_shared_dirs(cwd: Path | None = None) -> list[Path]:
    """``ict/`` inside the workstation bundle (the template face of canonical faces ships there, with its MIT
    licence), then ``../shared/ict`` relative to the repository root, then relative to ``cwd``."""
    from core.bundle import bundle_root

    root = bundle_root()
    return ([root / "ict"] if root is not None else []) + shared_dirs_for("ict", cwd)


def default_cache_dir() -> Path:
    """The per-user folder for the model file."""
    return cache_dir_for("ict")


def _where_to_put(cache_dir: Path) -> str:
    return (
        f"put {NPZ_FILE} (sha256 {NPZ_SHA256}) in {cache_dir} or in a folder given with --face-model-dir DIR "
        f"or the {ENV_VAR} environment variable, or put there ICT-FaceKit's {OBJ_FOLDER}/ folder "
        f"(github.com/ICT-VGL/ICT-FaceKit at commit {ICT_COMMIT}, MIT licence), which is converted on load"
    )


def _is_obj_folder(folder: Path) -> bool:
    return (folder / NEUTRAL_OBJ).is_file() and (folder / INDICES_JSON).is_file()


def _model_folder(folder: Path) -> Path | None:
    """``folder`` if it holds the npz or is a FaceXModel folder, its FaceXModel/ subfolder if that is one."""
    if (folder / NPZ_FILE).is_file() or _is_obj_folder(folder):
        return folder
    return folder / OBJ_FOLDER if _is_obj_folder(folder / OBJ_FOLDER) else None


def locate_ict(
    face_model_dir: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    shared_dirs: Sequence[Path] | None = None,
    cache_dir: Path | None = None,
) -> Path:
    """The folder holding the npz or a FaceXModel OBJ folder (see the module docstring for the search order).

    face_model_dir / ``env[ENV_VAR]``: a folder the user named; it must qualify (no fallback).
    shared_dirs / cache_dir: override the default search places (tests). Checksums are checked on load.
    Raises ModelFileError naming the folder and where to put the model.
    """
    env = os.environ if env is None else env
    cache = default_cache_dir() if cache_dir is None else Path(cache_dir)
    hint = _where_to_put(cache)
    chosen = face_model_dir if face_model_dir not in (None, "") else env.get(ENV_VAR) or None
    if chosen is not None:
        folder = Path(os.path.expanduser(os.fspath(chosen)))
        origin = "--face-model-dir" if face_model_dir not in (None, "") else ENV_VAR
        found = _model_folder(folder)
        if not folder.is_dir() or found is None:
            what = f"holds neither {NPZ_FILE} nor a {OBJ_FOLDER} folder" if folder.is_dir() else "does not exist"
            raise ModelFileError(folder, f"face model folder given by {origin} {what}; {hint}")
        return found
    places = list(default_shared_dirs() if shared_dirs is None else shared_dirs) + [cache]
    for folder in places:
        found = _model_folder(Path(folder))
        if found is not None:
            return found
    searched = ", ".join(str(p) for p in places)
    raise ModelFileError(cache / NPZ_FILE, f"ICT face model not found (searched {searched}); {hint}")


def _check(path: Path, ok: bool, what: str, hint: str) -> None:
    if not ok:
        raise ModelFileError(path, f"{what}; replace it with a fresh copy: {hint}")


def _load_npz(path: Path, digest: str, hint: str) -> IctModel:
    keys = ("neutral", "faces", "identity_modes", "expression_modes", "expression_names", "landmarks68",
            "n_face", "n_narrow_face")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in keys if k not in data.files]
            arr = {k: data[k] for k in keys if k in data.files}
            units = str(data["units"]) if "units" in data.files else "cm"
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error) as exc:
        raise ModelFileError(path, f"not a readable npz archive ({exc}): truncated or corrupt? {hint}") from None
    _check(path, not missing, f"arrays {', '.join(missing)} are missing", hint)
    neutral, faces, ids, exprs = arr["neutral"], arr["faces"], arr["identity_modes"], arr["expression_modes"]
    names, marks = arr["expression_names"], arr["landmarks68"]
    _check(path, units == "cm", f"units are {units!r}, expected 'cm'", hint)
    _check(path, neutral.ndim == 2 and neutral.shape[1:] == (3,) and neutral.dtype.kind == "f",
           f"neutral has shape {neutral.shape} {neutral.dtype}, expected (V, 3) float", hint)
    n = neutral.shape[0]
    _check(path, faces.ndim == 2 and faces.shape[1:] == (3,) and faces.dtype.kind in "iu",
           f"faces has shape {faces.shape} {faces.dtype}, expected (F, 3) int", hint)
    _check(path, faces.size == 0 or (faces.min() >= 0 and faces.max() < n), f"faces index outside [0, {n})", hint)
    for key, modes in (("identity_modes", ids), ("expression_modes", exprs)):
        _check(path, modes.ndim == 3 and modes.shape[1:] == (n, 3) and modes.dtype.kind == "f",
               f"{key} has shape {modes.shape} {modes.dtype}, expected (K, {n}, 3) float", hint)
    _check(path, ids.shape[0] > 0, "identity_modes is empty", hint)
    _check(path, names.ndim == 1 and names.dtype.kind == "U" and names.shape[0] == exprs.shape[0],
           f"expression_names has shape {names.shape} {names.dtype}, expected {exprs.shape[0]} strings", hint)
    _check(path, marks.shape == (68,) and marks.dtype.kind in "iu" and marks.min() >= 0 and marks.max() < n,
           f"landmarks68 must be 68 vertex indices in [0, {n})", hint)
    n_face, n_narrow = arr["n_face"], arr["n_narrow_face"]
    _check(path, n_face.shape == n_narrow.shape == () and n_face.dtype.kind in "iu" and n_narrow.dtype.kind in "iu"
           and 0 < int(n_narrow) <= int(n_face) <= n,
           f"n_face/n_narrow_face ({n_face}, {n_narrow}) must be scalars with 0 < narrow <= face <= {n}", hint)
    return _make(neutral, faces, ids, exprs, [str(s) for s in names], marks, int(n_face), int(n_narrow),
                 {NPZ_FILE: digest}, "npz")


def _make(neutral_cm, faces, ids_cm, exprs_cm, names, marks, n_face, n_narrow, sums, source) -> IctModel:
    """Convert to mm and the public dtypes (the same steps for both sources, so both give the same arrays)."""
    neutral = neutral_cm.astype(np.float64) * _MM_PER_CM
    ids = ids_cm.astype(np.float32) * np.float32(_MM_PER_CM)
    exprs = exprs_cm.astype(np.float32) * np.float32(_MM_PER_CM)
    faces = np.ascontiguousarray(faces, dtype=np.int64)
    marks = np.asarray(marks, dtype=np.int64)
    for arr in (neutral, faces, ids, exprs, marks):
        arr.setflags(write=False)
    return IctModel(neutral, faces, ids, exprs, tuple(names), marks, n_face, n_narrow, dict(sums), source)


def _read_obj(path: Path, hint: str, with_faces: bool = False) -> tuple[np.ndarray, list[list[int]]]:
    """(N, 3) float64 vertices of the ``v`` lines (at least N_SKIN) and, if asked, the 0-based polygons."""
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise ModelFileError(path, f"OBJ file is missing or unreadable ({exc.strerror or exc}); {hint}") from None
    chunks = ("\n" + text).split("\nv ")[1:]
    lines = [chunk.partition("\n")[0] for chunk in chunks]
    try:
        with warnings.catch_warnings():  # older numpy warns and stops at bad text, newer raises ValueError
            warnings.simplefilter("ignore")
            flat = np.fromstring(" ".join(lines), dtype=np.float64, sep=" ")
    except ValueError:
        flat = np.empty(0)
    if flat.size != 3 * len(lines):  # extra columns (colours, w) or bad numbers: parse line by line
        try:
            flat = np.array([float(x) for line in lines for x in line.split()[:3]], dtype=np.float64)
        except ValueError as exc:
            raise ModelFileError(path, f"malformed vertex line in OBJ file ({exc}); {hint}") from None
        _check(path, flat.size == 3 * len(lines), "OBJ file has a vertex line with fewer than 3 numbers", hint)
    _check(path, len(lines) >= N_SKIN, f"{len(lines)} vertices in the OBJ file, expected at least {N_SKIN}", hint)
    polys: list[list[int]] = []
    if with_faces:
        try:
            for chunk in ("\n" + text).split("\nf ")[1:]:
                polys.append([int(tok.split("/", 1)[0]) - 1 for tok in chunk.partition("\n")[0].split()])
        except ValueError as exc:
            raise ModelFileError(path, f"malformed face line in OBJ file ({exc}); {hint}") from None
        _check(path, all(p and min(p) >= 0 for p in polys), "OBJ face with no or non-positive vertex indices", hint)
    return flat.reshape(-1, 3), polys


def _convert(folder: Path, sums: Mapping[str, str], hint: str) -> IctModel:
    """Read an ICT-FaceKit FaceXModel folder into the arrays of the npz (see the module docstring)."""
    neutral_path, json_path = folder / NEUTRAL_OBJ, folder / INDICES_JSON
    neutral, polys = _read_obj(neutral_path, hint, with_faces=True)
    tris = [[p[0], p[k], p[k + 1]] for p in polys if max(p) < N_SKIN for k in range(1, len(p) - 1)]
    faces = np.asarray(tris, dtype=np.int64).reshape(-1, 3)
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
        names = [str(n) for n in meta["expressions"]]
        marks = np.asarray(meta["idx_to_landmark_verts"], dtype=np.int64)
    except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise ModelFileError(json_path, f"cannot read expressions/idx_to_landmark_verts ({exc!r}); {hint}") from None
    _check(json_path, marks.shape == (68,) and marks.min() >= 0 and marks.max() < N_SKIN,
           f"idx_to_landmark_verts must be 68 vertex indices in [0, {N_SKIN})", hint)
    names += [n for n in EXTRA_EXPRESSIONS if (folder / f"{n}.obj").is_file() and n not in names]
    id_files = sorted(folder.glob("identity[0-9][0-9][0-9].obj"))
    _check(folder / "identity000.obj", bool(id_files), "no identityNNN.obj files in the folder", hint)
    base = neutral[:N_SKIN]

    def modes(files: list[Path]) -> np.ndarray:
        out = np.empty((len(files), N_SKIN, 3), dtype=np.float16)
        for k, path in enumerate(files):
            out[k] = (_read_obj(path, hint)[0][:N_SKIN] - base).astype(np.float16)
        return out

    ids = modes(id_files)
    exprs = modes([folder / f"{n}.obj" for n in names])
    # the npz stores the neutral as float32 and the offsets (from the float64 neutral) as float16: round alike
    return _make(base.astype(np.float32), faces, ids, exprs, names, marks, N_FACE, N_NARROW, sums, OBJ_FOLDER)


_CACHE: dict[tuple[str, tuple[tuple[str, str], ...]], IctModel] = {}
_CACHE_LOCK = threading.Lock()


def load_ict(folder: str | os.PathLike[str], *, verify: bool = True) -> IctModel:
    """Read the npz of ``folder``, or convert its FaceXModel OBJ files, into an :class:`IctModel` (cached).

    verify: check the npz's sha256 first (without it the published digest is assumed). Raises ModelFileError
    naming the file and what is wrong.
    """
    given = Path(folder)
    hint = _where_to_put(given)
    found = _model_folder(given)
    if found is None:
        raise ModelFileError(given / NPZ_FILE, f"neither {NPZ_FILE} nor a {OBJ_FOLDER} folder here; {hint}")
    npz = found / NPZ_FILE
    if npz.is_file():
        try:
            digest = sha256_file(npz) if verify else NPZ_SHA256
        except OSError as exc:
            raise ModelFileError(npz, f"cannot be read ({exc.strerror or exc}); {hint}") from None
        if digest != NPZ_SHA256:
            raise ModelFileError(
                npz, f"sha256 mismatch (file truncated or corrupt: {npz.stat().st_size} bytes, sha256 {digest}, "
                     f"expected {NPZ_SHA256}); replace it with a fresh copy: {hint}")
        sums = {NPZ_FILE: digest}
    else:
        sums = {name: sha256_file(found / name) for name in (NEUTRAL_OBJ, INDICES_JSON)}
    key = (str(found.resolve()), tuple(sorted(sums.items())))
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
    model = _load_npz(npz, sums[NPZ_FILE], hint) if npz.is_file() else _convert(found, sums, hint)
    with _CACHE_LOCK:
        return _CACHE.setdefault(key, model)


def find_and_load_ict(face_model_dir: str | os.PathLike[str] | None = None, **kwargs: object) -> IctModel:
    """:func:`locate_ict` then :func:`load_ict`."""
    folder = locate_ict(face_model_dir, **kwargs)  # type: ignore[arg-type]
    return load_ict(folder)
