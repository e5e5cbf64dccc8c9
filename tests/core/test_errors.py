"""core.errors: printable paths and one-line OS errors."""

import errno

from core.errors import describe_os_error, printable


def test_printable_escapes_what_is_not_utf8():
    assert printable("/data/S\udcff01") == "/data/S\\xff01"
    assert printable(b"/data/\xfe") == "/data/\\xfe"
    assert printable(ValueError("bad name /a\udcfe")) == "bad name /a\\xfe"
    assert printable("/data/Ünicode") == "/data/Ünicode"


def test_os_errors_become_the_cause_and_the_path():
    assert describe_os_error(OSError(errno.ENOSPC, "No space left on device", "/d/x.ckpt")) == (
        "no space left on device writing /d/x.ckpt"  # only writing meets a full disk
    )
    assert describe_os_error(PermissionError(errno.EACCES, "Permission denied", "/d/x")) == "permission denied at /d/x"
    assert describe_os_error(OSError(errno.EACCES, "Permission denied", "/d/\udcff"), "reading") == (
        "permission denied reading /d/\\xff"
    )
    assert describe_os_error(OSError(errno.EROFS, "Read-only file system", "/ro/out"), "writing") == (
        "read-only file system writing /ro/out"
    )
    assert describe_os_error(OSError(errno.EXDEV, "Invalid cross-device link", "/a", None, "/b")) == (
        "Invalid cross-device link at /a -> /b"
    )
    assert describe_os_error(OSError("no errno at all")) == "no errno at all"
