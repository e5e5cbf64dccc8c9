import hashlib

import pytest

from core.release.install import install_default_model, verify


def _shipped(tmp_path, payload=b"weights"):
    folder = tmp_path / "shipped"
    folder.mkdir()
    (folder / "model.ckpt").write_bytes(payload)
    (folder / "model.sha256").write_text(hashlib.sha256(payload).hexdigest() + "  model.ckpt\n")
    (folder / "model.card.json").write_text("{}")
    (folder / "model.card.md").write_text("# card")
    return folder


def test_install_copies_checked_files_once(tmp_path):
    src = _shipped(tmp_path)
    dest = tmp_path / "data" / "models" / "default"
    installed = install_default_model(dest, src)
    assert installed.read_bytes() == b"weights"
    assert {p.name for p in dest.iterdir()} == {"model.ckpt", "model.sha256", "model.card.json", "model.card.md"}
    mtime = installed.stat().st_mtime_ns
    assert install_default_model(dest, src) == installed and installed.stat().st_mtime_ns == mtime  # up to date


def test_a_damaged_installed_copy_is_replaced(tmp_path):
    src = _shipped(tmp_path)
    dest = tmp_path / "dest"
    install_default_model(dest, src)
    (dest / "model.ckpt").write_bytes(b"half")
    install_default_model(dest, src)
    assert (dest / "model.ckpt").read_bytes() == b"weights"


def test_a_damaged_shipped_model_is_refused_naming_the_file(tmp_path):
    src = _shipped(tmp_path)
    (src / "model.ckpt").write_bytes(b"tampered")
    with pytest.raises(ValueError, match="does not match") as err:
        install_default_model(tmp_path / "dest", src)
    assert str(src / "model.ckpt") in str(err.value)
    (src / "model.sha256").write_text("not a digest\n")
    with pytest.raises(ValueError, match="64 hex"):
        verify(src)
