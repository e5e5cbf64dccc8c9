"""4D sequences (frame folders and .npz) and single-scan .npz files."""

from __future__ import annotations

import io
import struct
import zipfile

import numpy as np
import pytest

from core.scans import ScanError, load, load_sequence, save_wrl


def test_frame_folder_is_read_in_numeric_order(tmp_path, mesh):
    vertices, faces = mesh
    for t in [10, 2, 0, 1, 7, 3, 9, 4, 8, 5, 6]:  # written out of order; names 0.wrl .. 10.wrl
        save_wrl(tmp_path / f"{t}.wrl", vertices + np.float32(t), faces)
    (tmp_path / "0.bmp").write_bytes(b"texture, not a frame")
    frames = load_sequence(tmp_path)
    assert [f.source for f in frames] == [str(tmp_path / f"{t}.wrl") for t in range(11)]
    for t, frame in enumerate(frames):
        np.testing.assert_array_equal(frame.vertices, vertices + np.float32(t))
        np.testing.assert_array_equal(frame.faces, faces)


def test_npz_sequence_with_shared_faces(tmp_path, mesh):
    vertices, faces = mesh
    motion = np.stack([vertices + [0, 0, 0.5 * t] for t in range(12)]).astype(np.float32)
    path = tmp_path / "seq.npz"
    np.savez_compressed(path, vertices=motion, faces=faces)
    frames = load_sequence(path)
    assert len(frames) == 12
    assert frames[7].source == f"{path}[7]"
    np.testing.assert_array_equal(frames[7].vertices, motion[7])
    assert all(np.array_equal(f.faces, faces) for f in frames)


def test_npz_sequence_without_faces_is_point_clouds(tmp_path):
    path = tmp_path / "clouds.npz"
    np.savez(path, vertices=np.random.default_rng(1).normal(size=(3, 40, 3)))
    frames = load_sequence(path)
    assert len(frames) == 3 and all(f.faces is None for f in frames)


def test_single_scan_npz(tmp_path, mesh):
    vertices, faces = mesh
    np.savez(tmp_path / "one.npz", vertices=vertices, faces=faces.astype(np.int32))
    scan = load(tmp_path / "one.npz")
    np.testing.assert_array_equal(scan.vertices, vertices)
    np.testing.assert_array_equal(scan.faces, faces)
    np.savez(tmp_path / "cloud.npz", vertices=vertices)
    assert load(tmp_path / "cloud.npz").faces is None


def test_load_refuses_a_sequence_npz(tmp_path):
    np.savez(tmp_path / "seq.npz", vertices=np.zeros((4, 5, 3)))
    with pytest.raises(ScanError, match="load_sequence"):
        load(tmp_path / "seq.npz")


def test_folder_without_frames_names_the_folder(tmp_path):
    folder = tmp_path / "F001_Happy"
    folder.mkdir()
    (folder / "000.bmp").write_bytes(b"")
    with pytest.raises(ScanError) as err:
        load_sequence(folder)
    assert "F001_Happy" in str(err.value)


def test_a_bad_frame_is_named(tmp_path, mesh):
    save_wrl(tmp_path / "000.wrl", *mesh)
    (tmp_path / "001.wrl").write_text("#VRML V2.0 utf8\nShape { geometry IndexedFaceSet { coord Coordinate { point [ 0")
    with pytest.raises(ScanError) as err:
        load_sequence(tmp_path)
    assert "001.wrl" in str(err.value)


def test_a_non_finite_frame_is_named(tmp_path):
    motion = np.zeros((5, 4, 3))
    motion[3, 1, 2] = np.inf
    np.savez(tmp_path / "seq.npz", vertices=motion)
    with pytest.raises(ScanError, match=r"seq\.npz\[3\]"):
        load_sequence(tmp_path / "seq.npz")


@pytest.mark.parametrize("name", ["missing", "one.wrl"])
def test_a_sequence_is_a_folder_or_an_npz(tmp_path, mesh, name):
    if name.endswith(".wrl"):
        save_wrl(tmp_path / name, *mesh)
    with pytest.raises(ScanError) as err:
        load_sequence(tmp_path / name)
    assert name in str(err.value)


def _npz(members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array))
    return buffer.getvalue()


def _npy_claiming(shape, payload: bytes) -> bytes:
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}".encode()
    header += b" " * (64 - (10 + len(header) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload


def _lying_zip_size() -> bytes:
    """A stored member whose central-directory entry claims 10 GB uncompressed."""
    data = bytearray(_npz({"vertices.npy": _npy(np.zeros((4, 3)))}))
    central = data.rfind(b"PK\x01\x02")
    data[central + 24 : central + 28] = struct.pack("<I", 0xFFFFFFF0)
    return bytes(data)


V = np.zeros((4, 3))
MALFORMED = {
    "empty": b"",
    "not-a-zip": b"PK\x03\x04 but nothing else follows",
    "png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
    "no-vertices": _npz({"points.npy": _npy(V)}),
    "vertices-wrong-shape": _npz({"vertices.npy": _npy(np.zeros((4, 2)))}),
    "faces-float": _npz({"vertices.npy": _npy(V), "faces.npy": _npy(np.zeros((1, 3)))}),
    "faces-out-of-range": _npz({"vertices.npy": _npy(V), "faces.npy": _npy([[0, 1, 4]])}),
    "faces-wrong-shape": _npz({"vertices.npy": _npy(V), "faces.npy": _npy([[0, 1, 2, 3]])}),
    "pickled-object": _npz({"vertices.npy": _npy(np.array([None, 1], dtype=object))}),
    "header-announces-more": _npz({"vertices.npy": _npy_claiming((10**9, 3), b"\0" * 96)}),
    "header-announces-more-deflated": _npz(
        {"vertices.npy": _npy_claiming((10**9, 3), b"\0" * 96)}, zipfile.ZIP_DEFLATED
    ),
    "zip-size-lie": _lying_zip_size(),
    "truncated-zip": _npz({"vertices.npy": _npy(np.zeros((50, 3)))})[:-40],
    "nan": _npz({"vertices.npy": _npy([[0, 0, 0], [np.nan, 0, 0], [1, 1, 1]])}),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_npz_raises_scanerror_naming_the_file(tmp_path, name):
    path = tmp_path / f"bad-{name}.npz"
    path.write_bytes(MALFORMED[name])
    for reader in (load, load_sequence):
        with pytest.raises(ScanError) as err:
            reader(path)
        assert path.name in str(err.value)
