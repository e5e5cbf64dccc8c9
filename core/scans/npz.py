""".npz archives read without trusting them: every member's declared size is checked before it is inflated.

A member (an ``.npy`` file inside the zip) is refused, with a :class:`ScanError` naming the file and the member,
when the size its zip entry records, or the size its .npy header announces (shape x dtype), exceeds ``max_bytes``
(``npz_member_bytes`` in resources/scans.json); when its zip entry claims more than its compressed bytes can hold
(DEFLATE expands at most ~1032:1; a stored member is as long as it says); when the header announces more data than
the entry holds; or when its dtype is not a plain number (object arrays would be unpickled: never). Only the .npy
header of a member is inflated before those checks, so a zip bomb or a header claiming 10^9 rows costs nothing.

:func:`read_npz_member` reads one checked member; :func:`check_npz` checks every member of an archive, for
callers that then read it with ``np.load(path, allow_pickle=False)``.
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np

from core.scans.types import ScanError

#: DEFLATE cannot expand data more than about 1032:1; a zip entry claiming more is lying.
MAX_DEFLATE_RATIO = 1032
#: Where the cap comes from, for the messages.
_CAP_SOURCE = "npz_member_bytes in resources/scans.json"
_NUMERIC_KINDS = "fiu"


def check_npz(path: str | Path, max_bytes: int | None, numeric_only: bool = False) -> None:
    """Check every member of the .npz at ``path`` (sizes, headers; see the module docstring) without inflating
    its data. ``numeric_only`` also refuses non-numeric dtypes (strings pass otherwise; objects never do).
    ScanError naming the file and the member."""
    path = Path(path)
    size = path.stat().st_size
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.is_dir():
                    continue
                what = _what(info.filename)
                _check_entry(info, size, max_bytes, path, what)
                with archive.open(info) as member:
                    if info.filename.endswith(".npy"):
                        _read_header(member, info.file_size, max_bytes, path, what, numeric_only)
    except zipfile.BadZipFile as exc:
        raise ScanError(path, f"not a valid .npz (zip) file ({exc})") from None


def read_npz_member(archive: zipfile.ZipFile, name: str, archive_size: int, path: Path,
                    max_bytes: int | None) -> np.ndarray:
    """The numeric array stored as ``name`` in an open archive, its sizes checked before it is inflated."""
    info = archive.getinfo(name)
    what = _what(name)
    _check_entry(info, archive_size, max_bytes, path, what)
    with archive.open(info) as member:
        return read_npy_stream(member, info.file_size, path, what, max_bytes)


def read_npy_stream(f: BinaryIO, size: int, path: Path, what: str, max_bytes: int | None = None) -> np.ndarray:
    """Read one .npy stream of ``size`` bytes (header included) safely: numeric dtype only, the data the header
    announces no more than ``max_bytes`` and present in the bytes that are there, before anything is allocated."""
    shape, fortran, dtype, count = _read_header(f, size, max_bytes, path, what, numeric_only=True)
    nbytes = count * dtype.itemsize
    raw = f.read(nbytes)
    if len(raw) != nbytes:
        raise ScanError(path, f"{what} is truncated")
    array = np.frombuffer(raw, dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran else "C")


def _what(name: str) -> str:
    return f"the array {name.removesuffix('.npy')!r}"


def _check_entry(info: zipfile.ZipInfo, archive_size: int, max_bytes: int | None, path: Path, what: str) -> None:
    if max_bytes is not None and info.file_size > max_bytes:
        raise ScanError(path, f"{what} declares {info.file_size} bytes, more than the limit of {max_bytes} "
                              f"({_CAP_SOURCE})")
    if info.compress_size > archive_size:
        raise ScanError(path, f"{what} claims {info.compress_size} bytes, more than the file holds")
    if info.compress_type == zipfile.ZIP_STORED:
        plausible = info.file_size == info.compress_size
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        plausible = info.file_size <= MAX_DEFLATE_RATIO * info.compress_size + 1024
    else:
        raise ScanError(path, f"{what} uses an unsupported zip compression (method {info.compress_type})")
    if not plausible:
        stored = info.compress_size
        raise ScanError(path, f"{what} claims {info.file_size} bytes, more than its {stored} stored bytes can hold")


def _read_header(f: BinaryIO, size: int, max_bytes: int | None, path: Path, what: str, numeric_only: bool):
    """(shape, fortran order, dtype, element count) of the .npy header at ``f``, checked against ``size`` (the
    stream's length, header included) and ``max_bytes``; ``f`` is left at the start of the data."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(f)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = fmt.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    except (ValueError, EOFError, SyntaxError, TypeError) as exc:
        raise ScanError(path, f"{what} is not a valid .npy array ({exc})") from None
    if dtype.hasobject:
        raise ScanError(path, f"{what} holds Python objects (dtype {dtype}); they are never unpickled")
    if numeric_only and (dtype.fields is not None or dtype.kind not in _NUMERIC_KINDS):
        raise ScanError(path, f"{what} has dtype {dtype}, not a plain numeric type")
    count = math.prod(shape)
    nbytes = count * dtype.itemsize
    if max_bytes is not None and nbytes > max_bytes:
        raise ScanError(path, f"{what}: the header announces shape {shape} of {dtype} ({nbytes} bytes), more than "
                              f"the limit of {max_bytes} ({_CAP_SOURCE})")
    available = size - f.tell()
    if nbytes > available:
        raise ScanError(path, f"{what}: the header announces shape {shape} ({nbytes} bytes), {available} bytes follow")
    return shape, fortran, dtype, count


__all__ = ["MAX_DEFLATE_RATIO", "check_npz", "read_npy_stream", "read_npz_member"]
