""".npz members checked before they are inflated (core.scans.npz): the npz_member_bytes cap on the zip entry and on
the .npy header, zip bombs, pickled objects."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest

from core.scans import ScanError, ScanLimits, load, load_sequence
from core.scans.npz import check_npz

MIB = 1024 * 1024


def _npy_header(shape, descr: str = "<f4") -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}".encode()
    header += b" " * (64 - (10 + len(header) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header


def _zeros_bomb(path, n_bytes: int, faces: bool = True) -> None:
    """A .npz whose 'vertices' member is ``n_bytes`` of zeros, deflated (about 1000:1), written in chunks."""
    rows = n_bytes // 12
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("vertices.npy", "w", force_zip64=True) as member:
            member.write(_npy_header((rows, 3)))
            chunk = bytes(MIB)
            left = rows * 12
            while left:
                member.write(chunk[: min(left, MIB)])
                left -= min(left, MIB)
        if faces:
            buffer = io.BytesIO()
            np.save(buffer, np.array([[0, 1, 2]]))
            archive.writestr("faces.npy", buffer.getvalue())


def _refused_without_inflating(read, path) -> ScanError:
    tracemalloc.start()
    try:
        with pytest.raises(ScanError) as err:
            read(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MIB, f"{peak} bytes allocated before the refusal"
    return err.value


def test_a_zip_bomb_member_is_refused_by_its_declared_size(tmp_path):
    path = tmp_path / "bomb.npz"
    _zeros_bomb(path, 300 * MIB)  # 300 MiB of zeros, well under 1 MiB on disk
    assert path.stat().st_size < MIB
    for read in (load, load_sequence):
        error = _refused_without_inflating(read, path)
        assert "bomb.npz" in str(error) and "'vertices'" in str(error)
        assert "limit of 268435456" in str(error) and "npz_member_bytes" in str(error)


def test_the_cap_is_what_refuses_it(tmp_path):
    path = tmp_path / "zeros.npz"
    _zeros_bomb(path, 4 * MIB)
    with pytest.raises(ScanError, match=r"zeros\.npz: the array 'vertices' declares \d+ bytes, more than the limit"):
        load(path, ScanLimits(npz_member_bytes=MIB))
    # within the cap the same file reads (no vertex cap here: all 349,525 points, at the origin, as stored)
    scan = load(path, ScanLimits(max_vertices=None, max_faces=None))
    assert scan.n_vertices == 4 * MIB // 12 and not scan.vertices.any()


def test_a_header_claiming_a_huge_shape_is_refused_by_the_cap(tmp_path):
    """The zip entry is small and honest; only the .npy header inside claims 10^9 x 3 floats."""
    path = tmp_path / "huge-header.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("vertices.npy", _npy_header((10**9, 3), "<f8") + bytes(96))
    with pytest.raises(ScanError) as err:
        load(path)
    message = str(err.value)
    assert "huge-header.npz" in message and "'vertices'" in message and "(1000000000, 3)" in message
    assert "limit" in message
    # with no cap, the header is still checked against the bytes that follow
    with pytest.raises(ScanError, match="bytes follow"):
        load(path, ScanLimits.unlimited())


def test_check_npz_checks_every_member_without_reading_the_data(tmp_path):
    good = tmp_path / "good.npz"
    np.savez_compressed(good, neutral=np.zeros((10, 3)), names=np.array(["a", "bc"]))
    check_npz(good, MIB)
    with pytest.raises(ScanError, match=r"'names' has dtype <U2, not a plain numeric type"):
        check_npz(good, MIB, numeric_only=True)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, neutral=np.zeros(3), stuff=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(ScanError, match=r"pickled\.npz: the array 'stuff' holds Python objects"):
        check_npz(pickled, MIB)
    bomb = tmp_path / "bomb.npz"
    _zeros_bomb(bomb, 8 * MIB, faces=False)
    error = _refused_without_inflating(lambda p: check_npz(p, MIB), bomb)
    assert "'vertices' declares" in str(error)
    check_npz(bomb, None)  # no cap: the member is plausible (zeros deflate ~1000:1)


def test_a_member_claiming_more_than_deflate_can_hold_is_refused(tmp_path):
    path = tmp_path / "lie.npz"
    buffer = io.BytesIO()
    np.save(buffer, np.zeros((4, 3), np.float32))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("vertices.npy", buffer.getvalue())
    data = bytearray(path.read_bytes())
    central = data.rfind(b"PK\x01\x02")
    data[central + 24: central + 28] = struct.pack("<I", 50 * MIB)  # uncompressed size in the directory
    path.write_bytes(bytes(data))
    with pytest.raises(ScanError, match=r"lie\.npz: the array 'vertices' claims 52428800 bytes, more than its"):
        load(path)
