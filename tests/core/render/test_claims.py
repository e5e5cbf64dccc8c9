"""Per-entry claims of the render cache (core.render.claims)."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.render import claims as claims_module
from core.render.claims import Claims

ROOT = Path(__file__).resolve().parents[3]


def test_a_claim_is_exclusive_until_released(tmp_path):
    mine, theirs = Claims(tmp_path / "claims"), Claims(tmp_path / "claims")
    claim = mine.try_claim("abc")
    assert claim is not None and claim.path.is_file()
    assert f"pid {os.getpid()}" in claim.path.read_text()
    assert theirs.try_claim("abc") is None
    other = theirs.try_claim("def")
    assert other is not None
    other.release()
    claim.release()
    assert not claim.path.exists()  # released claims leave no file
    again = theirs.try_claim("abc")
    assert again is not None
    with again:
        assert mine.try_claim("abc") is None
    assert not again.path.exists()


def test_a_claimer_that_opened_a_removed_lock_file_does_not_share_the_claim(tmp_path):
    claims = Claims(tmp_path)
    claim = claims.try_claim("k")
    stale_fd = os.open(claim.path, os.O_RDWR)  # opened just before the owner removed the file
    claim.release()
    try:
        assert claims_module._try_lock(stale_fd)  # it can lock the removed file...
        assert not claims_module._same_file(claim.path, stale_fd)  # ...but sees it is not the claim any more
    finally:
        os.close(stale_fd)
    assert claims.try_claim("k") is not None


def test_a_killed_owner_frees_its_claim_and_sweep_removes_the_file(tmp_path):
    code = (f"import sys, time; sys.path.insert(0, {str(ROOT)!r}); from core.render.claims import Claims; "
            f"c = Claims({str(tmp_path)!r}).try_claim('k'); print('held', flush=True); time.sleep(120)")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "held"
        claims = Claims(tmp_path)
        assert claims.try_claim("k") is None
        assert claims.sweep() == 0 and (tmp_path / "k.lock").exists()  # held: not swept
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
    assert (tmp_path / "k.lock").exists()  # a kill -9 leaves the file, not the lock
    assert claims.sweep() == 1 and not (tmp_path / "k.lock").exists()
    claim = claims.try_claim("k")
    assert claim is not None
    claim.release()


def test_a_filesystem_without_locks_lets_every_claim_through_with_one_warning(tmp_path, monkeypatch, capsys):
    def no_locks(fd):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(claims_module, "_try_lock", no_locks)
    claims = Claims(tmp_path)
    first, second = claims.try_claim("k"), claims.try_claim("k")
    assert first is not None and second is not None and not claims.supported
    first.release()
    second.release()
    err = capsys.readouterr().err
    assert err.count("does not support file locks") == 1 and str(tmp_path) in err
    assert claims.sweep() == 0


def test_other_lock_errors_are_raised(tmp_path, monkeypatch):
    def broken(fd):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(claims_module, "_try_lock", broken)
    with pytest.raises(OSError) as info:
        Claims(tmp_path).try_claim("k")
    assert info.value.errno == errno.EIO


def test_sweep_of_a_missing_folder_is_a_no_op(tmp_path):
    assert Claims(tmp_path / "none").sweep() == 0 and not (tmp_path / "none").exists()
