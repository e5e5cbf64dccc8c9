"""Per-entry claims, so that runs rendering into one cache folder at the same time share the work.

A run that is about to render an entry first claims it: it takes an exclusive, non-blocking lock on
``CLAIMS/<entry key>.lock`` (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows). Another run that finds the
claim held skips the row and comes back to it at the end, by when the entry is usually written; the owner writes
the entry before it lets the claim go, so whoever takes the claim next sees it. The operating system drops the lock
when its process dies (also ``kill -9``), so a claim never outlives its owner; the lock file it leaves behind is
harmless, taken by the next run that wants the entry, and removed by :meth:`Claims.sweep`.

Lock files are removed only by a process that holds their lock, and a claimer checks after locking that the path
still names the file it locked (else it retries), so a removal can never hand one entry to two runs. On a network
filesystem ``flock`` is carried out as a POSIX record lock (Linux NFS: NLM or NFSv4 locks), which works between
hosts. A filesystem without locks (some FUSE mounts) makes every claim succeed: runs then render what they find
missing, as before claims, and one warning says so. Owner, host and time are written into the lock file for whoever
looks at a cache while it is being filled.
"""

from __future__ import annotations

import errno
import os
import socket
import sys
import time
from pathlib import Path

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EDEADLK):
                return False
            raise
        return True

    _REMOVE_WHILE_LOCKED = False  # Windows cannot remove an open file; removed after closing, when no one has it open
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return False
            raise
        return True

    _REMOVE_WHILE_LOCKED = True

#: errno values that mean "this filesystem has no locks" rather than "someone holds it".
_NO_LOCKS = {errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL}


class Claim:
    """A held claim on one entry; :meth:`release` (or leaving a ``with`` block) removes the lock file and lets it
    go. A claim taken on a filesystem without locks holds nothing."""

    def __init__(self, path: Path, fd: int | None):
        self.path = path
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        if _REMOVE_WHILE_LOCKED:
            _unlink(self.path)
        os.close(fd)
        if not _REMOVE_WHILE_LOCKED:
            _unlink(self.path)

    def __enter__(self) -> Claim:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class Claims:
    """The claims of one cache folder, kept in ``folder`` (created on the first claim)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self.supported = True

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.lock"

    def try_claim(self, key: str) -> Claim | None:
        """Claim entry ``key``: a held :class:`Claim`, or None when another live run holds it."""
        if not self.supported:
            return Claim(self.path(key), None)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.path(key)
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
            try:
                locked = _try_lock(fd)
            except OSError as exc:
                os.close(fd)
                if exc.errno not in _NO_LOCKS:
                    raise
                self._no_locks(exc)
                return Claim(path, None)
            if not locked:
                os.close(fd)
                return None
            if _same_file(path, fd):
                _write_owner(fd)
                return Claim(path, fd)
            os.close(fd)  # its previous owner removed the file after we opened it: claim the current one

    def sweep(self) -> int:
        """Remove lock files that no live run holds (left by killed runs); returns how many went."""
        if not self.supported:
            return 0
        try:
            names = [n for n in os.listdir(self.folder) if n.endswith(".lock")]
        except OSError:
            return 0
        removed = 0
        for name in names:
            path = self.folder / name
            try:
                fd = os.open(path, os.O_RDWR)
            except OSError:
                continue
            try:
                if _try_lock(fd) and _same_file(path, fd):
                    if _REMOVE_WHILE_LOCKED:
                        removed += _unlink(path)
                    else:  # pragma: no cover - Windows
                        os.close(fd)
                        fd = -1
                        removed += _unlink(path)
            except OSError:
                pass
            finally:
                if fd >= 0:
                    os.close(fd)
        return removed

    def _no_locks(self, exc: OSError) -> None:
        self.supported = False
        print(f"warning: {self.folder}: the filesystem does not support file locks ({exc.strerror}); runs rendering "
              "into this cache at the same time may render the same scans", file=sys.stderr)


def _same_file(path: Path, fd: int) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def _write_owner(fd: int) -> None:
    text = f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
    try:
        os.ftruncate(fd, 0)
        os.write(fd, text.encode("utf-8"))
    except OSError:  # informational only; Windows refuses writes to a locked byte range
        pass


def _unlink(path: Path) -> int:
    try:
        os.unlink(path)
    except OSError:
        return 0
    return 1
