"""Can a command write where it was told to? Asked before any work, so a read-only or full output folder is one
line naming it ("permission denied writing /data/cache") instead of an error half-way through, or a traceback.

``check_writable_folder(path)``: ``path`` is a folder the command writes into (it may not exist yet: then the
nearest folder above it that exists must let us create it). ``check_writable_file(path)``: a file written through
a temporary beside it (core.config_io's atomic writers), so its folder must be writable. Nothing is created when
the answer is yes; when ``os.access`` says no, a temporary file is tried in that folder to confirm it (access()
can be wrong on network shares and under ACLs) and removed at once, and its error is the one reported.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from core.errors import describe_os_error, printable


def _nearest_existing(path: Path) -> Path:
    """``path`` itself when it exists, else the nearest folder above it that does."""
    probe = path
    while not os.path.lexists(probe) and probe.parent != probe:
        probe = probe.parent
    return probe


def _refusal(folder: Path) -> OSError | None:
    """Why a file cannot be created in ``folder`` (an OSError with its errno), or None when it can."""
    if os.access(folder, os.W_OK | os.X_OK):
        return None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".smile-vlm-write-check.", dir=folder)
    except OSError as exc:
        return exc
    os.close(fd)
    os.unlink(tmp)
    return None


def check_writable_folder(path: str | os.PathLike[str], what: str = "output folder") -> None:
    """ValueError in one line (the cause and ``path``) when the command could not write into folder ``path``."""
    target = Path(os.path.abspath(path))
    if target.exists() and not target.is_dir():
        raise ValueError(f"{printable(target)}: the {what} is a file, not a folder")
    _check_creatable(target, target, what)


def check_writable_file(path: str | os.PathLike[str], what: str = "output file") -> None:
    """ValueError in one line when file ``path`` could not be written (atomically: its folder must take a new file).
    A folder in its place is refused too."""
    target = Path(os.path.abspath(path))
    if target.is_dir():
        raise ValueError(f"{printable(target)}: the {what} is a folder")
    _check_creatable(target, target.parent, what)


def _check_creatable(target: Path, folder: Path, what: str) -> None:
    """ValueError naming ``target`` unless a file can be created in ``folder`` (or, when it does not exist yet, in
    the nearest folder above it, where it would be made)."""
    anchor = _nearest_existing(folder)
    if not anchor.is_dir():
        raise ValueError(f"{printable(target)}: cannot create the {what}; {printable(anchor)} is a file, not a folder")
    refusal = _refusal(anchor)
    if refusal is None:
        return
    code = refusal.errno if refusal.errno is not None else errno.EACCES
    line = describe_os_error(OSError(code, os.strerror(code), str(target)), "writing")
    if anchor != folder:
        line += f" (cannot create folders in {printable(anchor)})"
    raise ValueError(line)
