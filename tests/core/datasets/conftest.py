"""Builders of tiny official dataset layouts (empty placeholder files: indexers read names only)."""

from __future__ import annotations

from pathlib import Path

import pytest

BU3DFE_CODES = ("AN", "DI", "FE", "HA", "SA", "SU")


def _touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def _make_bu3dfe(root: Path, subjects=(("F0001", "WH"), ("M0002", "AE"), ("F0003", "BL")), raw=True) -> Path:
    """Each subject: NE00 + 6 expressions x 4 intensities of _F3D.wrl, plus _RAW.wrl and _F2D.bmp siblings."""
    for subject, race in subjects:
        names = [f"NE00{race}"] + [f"{c}{i:02d}{race}" for c in BU3DFE_CODES for i in range(1, 5)]
        for name in names:
            _touch(root / subject / f"{subject}_{name}_F3D.wrl")
            if raw:
                _touch(root / subject / f"{subject}_{name}_RAW.wrl")
                _touch(root / subject / f"{subject}_{name}_F2D.bmp")
    return root


def _make_sequence(folder: Path, n: int, ext: str = ".wrl") -> Path:
    for i in range(n):
        _touch(folder / f"{i:03d}{ext}")
    return folder


@pytest.fixture
def touch():
    """touch(path): create an empty file and its folders."""
    return _touch


@pytest.fixture
def make_sequence():
    """make_sequence(folder, n, ext=".wrl"): n frame files 000.ext ... in folder."""
    return _make_sequence


@pytest.fixture
def bu3dfe_root(tmp_path: Path) -> Path:
    """3 subjects x (NE00 + 6 x 4) = 75 _F3D.wrl models, with _RAW.wrl and _F2D.bmp siblings."""
    return _make_bu3dfe(tmp_path / "BU3DFE")
