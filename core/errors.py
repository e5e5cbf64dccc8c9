"""Errors in one line for people: a path that may not be valid UTF-8, and an OSError as "cause + path".

``describe_os_error(exc)`` turns ENOSPC, EROFS, EACCES, EIO, ... into "no space left on device writing PATH" style
lines (the CLI prints it and exits non-zero instead of a traceback). ``printable(path)`` shows a name that is not
valid UTF-8 with backslash escapes (printing the raw name would raise UnicodeEncodeError itself).
"""

from __future__ import annotations

import errno
import os

#: What an errno means, in the words the CLI prints (others: the system's own strerror).
_CAUSES = {
    errno.ENOSPC: "no space left on device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EROFS: "read-only file system",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EIO: "input/output error (a failing disk or a lost network share?)",
    errno.ENAMETOOLONG: "file name too long",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.EISDIR: "is a folder",
    errno.EMFILE: "too many open files",
    errno.EFBIG: "file too large for the file system",
}

#: Causes that only writing meets: without an action the line says "writing PATH", not "at PATH".
_WRITE_ONLY = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG})


def printable(path: object) -> str:
    """``path`` (or any message) as text that can always be printed: bytes that are not UTF-8 (surrogate escapes of
    a file name) appear as \\xNN escapes."""
    if isinstance(path, BaseException):
        path = str(path)
    if isinstance(path, str):
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if isinstance(path, bytes):
        raw = path
    else:
        try:
            raw = os.fsencode(path)  # type: ignore[arg-type]
        except TypeError:
            return str(path)
    return raw.decode("utf-8", "backslashreplace")


def describe_os_error(exc: OSError, action: str = "") -> str:
    """One line: the cause in plain words and the path(s), e.g. 'no space left on device writing /data/x.ckpt'.

    ``action`` ("writing", "reading", ...) goes between the two; without it, causes that only writing meets (a full
    disk, a read-only file system) say "writing", the others "at"."""
    cause = _CAUSES.get(exc.errno or -1) or printable(exc.strerror or str(exc) or type(exc).__name__).strip()
    paths = [printable(p) for p in (exc.filename, exc.filename2) if p not in (None, "")]
    if not action and exc.errno in _WRITE_ONLY:
        action = "writing"
    where = f" {action} " if action else (" at " if paths else "")
    return cause + (where + " -> ".join(paths) if paths else "")
