"""Finding, checking and loading the Surrey Face Model (SFM) used by the synthetic dataset generators.

The two data files (``sfm_shape_3448.bin``, ``expression_blendshapes_3448.bin``) are public
(github.com/patrikhuber/eos, ``share/``) but never part of this repository. They are looked for, in order:

1. the folder the user gives (``--sfm DIR``), else the folder in the ``SMILE_SFM_DIR`` environment variable;
2. ``../shared/sfm`` beside the checkout (relative to the repository root, then to the current folder);
3. the per-user cache ``platformdirs.user_cache_dir("smile-vlm")/sfm``;
4. a download from the eos repository at :data:`EOS_COMMIT` into that cache.

Every file found or downloaded is checked against its published sha256 before eos reads it, so a missing,
truncated or corrupt file stops with a message naming the file and what to do (never a crash in eos).

Model conventions: millimetres, 3448 vertices, 6736 triangles, the face looks along +z with y up.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

#: The eos commit the data files are taken from.
EOS_COMMIT = "ce984207a51c2edd2e7568a64fec9b98ef61aeed"
SHAPE_FILE = "sfm_shape_3448.bin"
BLENDSHAPE_FILE = "expression_blendshapes_3448.bin"
#: File name -> published sha256 of the public data file.
SFM_FILES: Mapping[str, str] = {
    SHAPE_FILE: "43750338ae533e7fb981e924b6f67ebde3d292f15ec4fc886ae5af14308ad980",
    BLENDSHAPE_FILE: "a77c81712fc5e8b08a1be4cd2824d51514e5bde6578109ae5240dfb3489efd43",
}
#: Environment variable naming a folder that holds the two files.
ENV_VAR = "SMILE_SFM_DIR"
#: Seconds before a download attempt gives up.
DOWNLOAD_TIMEOUT_S = 10.0
#: The blendshapes in file order; every generator refers to expressions by these names.
EXPRESSIONS: tuple[str, ...] = ("anger", "disgust", "fear", "happiness", "sadness", "surprise")
N_VERTICES = 3448


class ModelFileError(ValueError):
    """A model file is missing, truncated or corrupt. The message names the file and what to do."""

    def __init__(self, path: object, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def download_url(name: str, commit: str = EOS_COMMIT) -> str:
    """Raw-file URL of data file ``name`` in the eos repository at ``commit``."""
    return f"https://raw.githubusercontent.com/patrikhuber/eos/{commit}/share/{name}"


def repo_root() -> Path:
    """The checkout folder: the parent of the folder holding the ``core`` package."""
    return Path(__file__).resolve().parent.parent.parent


def shared_dirs_for(name: str, cwd: Path | None = None) -> list[Path]:
    """``../shared/<name>`` relative to the repository root, then relative to ``cwd`` (duplicates removed)."""
    cwd = Path.cwd() if cwd is None else Path(cwd)
    out: list[Path] = []
    for base in (repo_root(), cwd.resolve()):
        candidate = (base.parent / "shared" / name).resolve()
        if candidate not in out:
            out.append(candidate)
    return out


def cache_dir_for(name: str) -> Path:
    """The per-user cache folder of face model ``name`` (``sfm``, ``ict``)."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("smile-vlm")) / name


def default_shared_dirs(cwd: Path | None = None) -> list[Path]:
    """``../shared/sfm`` relative to the repository root, then relative to ``cwd``."""
    return shared_dirs_for("sfm", cwd)


def default_cache_dir() -> Path:
    """The per-user download cache for the SFM files."""
    return cache_dir_for("sfm")


def sha256_file(path: Path) -> str:
    """Hex sha256 of the file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _where_to_put(cache_dir: Path) -> str:
    urls = " and ".join(download_url(n) for n in SFM_FILES)
    return (
        f"download {urls} (sha256 in core/synth/model.py) and put both files in {cache_dir}, "
        f"or in a folder given with --sfm DIR (or --face-model sfm --face-model-dir DIR) or the {ENV_VAR} "
        "environment variable"
    )


def verify_file(path: Path, name: str, hint: str) -> str:
    """Check ``path`` against the published sha256 of ``name``; returns the digest.

    Raises ModelFileError naming the file when it is missing, not a file, or its checksum differs
    (``hint`` says what to do).
    """
    if not path.exists():
        raise ModelFileError(path, f"model file is missing; {hint}")
    if not path.is_file():
        raise ModelFileError(path, f"not a file; {hint}")
    try:
        digest = sha256_file(path)
    except OSError as exc:
        raise ModelFileError(path, f"cannot be read ({exc.strerror or exc}); {hint}") from None
    if digest != SFM_FILES[name]:
        size = path.stat().st_size
        raise ModelFileError(
            path,
            f"sha256 mismatch (file truncated or corrupt: {size} bytes, sha256 {digest[:16]}..., "
            f"expected {SFM_FILES[name][:16]}...); replace it with a fresh copy: {hint}",
        )
    return digest


def fetch_url(url: str, timeout: float = DOWNLOAD_TIMEOUT_S) -> bytes:
    """The bytes at ``url`` (urllib, ``timeout`` seconds). Raises OSError on any network failure."""
    request = urllib.request.Request(url, headers={"User-Agent": "smile-vlm"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - fixed https URL
        return response.read()


def _download(name: str, cache_dir: Path, fetch: Callable[[str, float], bytes]) -> None:
    """Download ``name`` into ``cache_dir`` (atomic rename after the checksum matches)."""
    url = download_url(name)
    hint = _where_to_put(cache_dir)
    try:
        data = fetch(url, DOWNLOAD_TIMEOUT_S)
    except (OSError, urllib.error.URLError, ValueError) as exc:
        raise ModelFileError(
            cache_dir / name, f"model file not found and the download from {url} failed ({exc}); {hint}"
        ) from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != SFM_FILES[name]:
        raise ModelFileError(
            cache_dir / name,
            f"downloaded {len(data)} bytes from {url} but the sha256 does not match "
            f"({digest[:16]}..., expected {SFM_FILES[name][:16]}...); {hint}",
        )
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".part", dir=cache_dir)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, cache_dir / name)
    except OSError as exc:
        raise ModelFileError(cache_dir / name, f"cannot write the downloaded file ({exc}); {hint}") from None


def locate_model(
    sfm_dir: str | os.PathLike[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    shared_dirs: Sequence[Path] | None = None,
    cache_dir: Path | None = None,
    download: bool = True,
    fetch: Callable[[str, float], bytes] | None = None,
) -> Path:
    """The folder holding both verified model files (see the module docstring for the search order).

    sfm_dir / ``env[ENV_VAR]``: a folder the user named; it must hold both valid files (no fallback).
    shared_dirs / cache_dir: override the default search places (tests). download: allow fetching
    missing cache files with ``fetch(url, timeout) -> bytes`` (default :func:`fetch_url`).
    Raises ModelFileError naming the missing or corrupt file and where to put a good copy.
    """
    env = os.environ if env is None else env
    cache = default_cache_dir() if cache_dir is None else Path(cache_dir)
    hint = _where_to_put(cache)
    chosen = sfm_dir if sfm_dir not in (None, "") else env.get(ENV_VAR) or None
    if chosen is not None:
        folder = Path(os.path.expanduser(os.fspath(chosen)))
        origin = "--sfm" if sfm_dir not in (None, "") else ENV_VAR
        if not folder.is_dir():
            raise ModelFileError(folder, f"model folder given by {origin} does not exist or is not a folder; {hint}")
        for name in SFM_FILES:
            verify_file(folder / name, name, hint)
        return folder
    for folder in default_shared_dirs() if shared_dirs is None else shared_dirs:
        present = [name for name in SFM_FILES if (folder / name).exists()]
        if not present:
            continue
        for name in SFM_FILES:
            verify_file(folder / name, name, hint)
        return folder
    for name in SFM_FILES:
        path = cache / name
        if path.is_file():
            try:
                verify_file(path, name, hint)
                continue
            except ModelFileError:
                if not download:
                    raise
        elif not download:
            raise ModelFileError(path, f"model file not found in any search place; {hint}")
        _download(name, cache, fetch_url if fetch is None else fetch)
        verify_file(path, name, hint)
    return cache


@dataclass(frozen=True, eq=False)
class SfmModel:
    """The shape model and blendshapes as numpy arrays.

    mean:        (V, 3) float64 mean face, millimetres.
    basis:       (V*3, K) float64 PCA basis scaled by sqrt(eigenvalue) (coefficients ~ N(0, 1)).
    eigenvalues: (K,) float64.
    faces:       (F, 3) int64 triangles.
    expressions: (6, V, 3) float64 blendshape offsets in :data:`EXPRESSIONS` order.
    checksums:   file name -> sha256 of the file it came from.
    """

    mean: np.ndarray
    basis: np.ndarray
    eigenvalues: np.ndarray
    faces: np.ndarray
    expressions: np.ndarray
    checksums: Mapping[str, str]

    @property
    def n_vertices(self) -> int:
        return int(self.mean.shape[0])

    @property
    def n_components(self) -> int:
        return int(self.basis.shape[1])

    def expression(self, name: str) -> np.ndarray:
        """(V, 3) blendshape offsets of expression ``name``."""
        return self.expressions[EXPRESSIONS.index(name)]


_CACHE: dict[tuple[str, str, str], SfmModel] = {}
_CACHE_LOCK = threading.Lock()


def load_model(folder: str | os.PathLike[str], *, verify: bool = True) -> SfmModel:
    """Read the two model files of ``folder`` with eos into an :class:`SfmModel` (cached per folder).

    The checksums are verified first (ModelFileError naming the file otherwise).
    """
    import eos

    folder = Path(folder)
    hint = _where_to_put(folder)
    sums = {}
    for name in SFM_FILES:
        sums[name] = verify_file(folder / name, name, hint) if verify else SFM_FILES[name]
    key = (str(folder.resolve()), sums[SHAPE_FILE], sums[BLENDSHAPE_FILE])
    with _CACHE_LOCK:
        if key in _CACHE:
            return _CACHE[key]
    try:
        shape_model = eos.morphablemodel.load_model(str(folder / SHAPE_FILE)).get_shape_model()
    except Exception as exc:  # eos raises RuntimeError subclasses for unreadable archives
        raise ModelFileError(folder / SHAPE_FILE, f"eos cannot read the shape model ({exc}); {hint}") from None
    try:
        blendshapes = eos.morphablemodel.load_blendshapes(str(folder / BLENDSHAPE_FILE))
    except Exception as exc:
        raise ModelFileError(folder / BLENDSHAPE_FILE, f"eos cannot read the blendshapes ({exc}); {hint}") from None
    mean = np.asarray(shape_model.get_mean(), dtype=np.float64).reshape(-1, 3)
    basis = np.asarray(shape_model.get_rescaled_pca_basis(), dtype=np.float64)
    eigenvalues = np.asarray(shape_model.get_eigenvalues(), dtype=np.float64)
    faces = np.asarray(shape_model.get_triangle_list(), dtype=np.int64).reshape(-1, 3)
    by_name = {b.name.strip().lower(): np.asarray(b.deformation, dtype=np.float64) for b in blendshapes}
    missing = [e for e in EXPRESSIONS if e not in by_name]
    if missing:
        raise ModelFileError(folder / BLENDSHAPE_FILE, f"blendshapes {', '.join(missing)} are missing; {hint}")
    n = mean.shape[0]
    expressions = np.stack([by_name[e].reshape(n, 3) for e in EXPRESSIONS])
    for arr in (mean, basis, eigenvalues, faces, expressions):
        arr.setflags(write=False)
    model = SfmModel(mean, basis, eigenvalues, faces, expressions, dict(sums))
    with _CACHE_LOCK:
        _CACHE[key] = model
    return model


def find_and_load(sfm_dir: str | os.PathLike[str] | None = None, **kwargs: object) -> SfmModel:
    """:func:`locate_model` then :func:`load_model` (the file checks run once)."""
    folder = locate_model(sfm_dir, **kwargs)  # type: ignore[arg-type]
    return load_model(folder, verify=False)
