"""core.cli.writable: can a command write where it was told to, asked before any work (issue 14, item 3).

The read-only folders themselves are tried for real in test_read_only_output.py (as an unprivileged process)."""

from __future__ import annotations

import errno
import os

import pytest

import core.cli.writable as writable
from core.cli.writable import check_writable_file, check_writable_folder


def test_writable_places_pass_and_nothing_is_created(tmp_path):
    check_writable_folder(tmp_path)
    check_writable_folder(tmp_path / "new" / "deeper")
    check_writable_file(tmp_path / "new" / "m.csv")
    (tmp_path / "old.csv").write_text("x")
    check_writable_file(tmp_path / "old.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.csv"]


def test_a_file_where_a_folder_must_be_is_one_line(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ValueError, match=r"f: the render cache folder is a file, not a folder$"):
        check_writable_folder(tmp_path / "f", "render cache folder")
    with pytest.raises(ValueError, match=r"f/sub: cannot create the output folder; .*/f is a file, not a folder$"):
        check_writable_folder(tmp_path / "f" / "sub")
    with pytest.raises(ValueError, match=r"f/m.csv: cannot create the manifest; .*/f is a file, not a folder$"):
        check_writable_file(tmp_path / "f" / "m.csv", "manifest")
    with pytest.raises(ValueError, match=r": the manifest is a folder$"):
        check_writable_file(tmp_path, "manifest")


def test_access_saying_no_is_confirmed_by_a_real_try(tmp_path, monkeypatch):
    """access() can be wrong (network shares, ACLs): a folder that takes a file passes, and the try leaves nothing."""
    monkeypatch.setattr(writable.os, "access", lambda *a, **k: False)
    check_writable_folder(tmp_path / "run")
    check_writable_file(tmp_path / "m.csv")
    assert list(tmp_path.iterdir()) == []


def test_the_refusal_of_the_real_try_is_the_cause_named(tmp_path, monkeypatch):
    def read_only(*_a, **_k):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path))

    monkeypatch.setattr(writable.os, "access", lambda *a, **k: False)
    monkeypatch.setattr(writable.tempfile, "mkstemp", read_only)
    with pytest.raises(ValueError) as err:
        check_writable_folder(tmp_path / "a" / "b")
    assert str(err.value) == f"read-only file system writing {tmp_path}/a/b (cannot create folders in {tmp_path})"
    with pytest.raises(ValueError) as err:
        check_writable_file(tmp_path / "m.csv")
    assert str(err.value) == f"read-only file system writing {tmp_path}/m.csv"
