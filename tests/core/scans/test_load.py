"""load(): dispatch on the extension, and the same refusals for every format."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from core.scans import SCAN_EXTENSIONS, ScanError, load, save_bnt, save_wrl


def test_extension_is_case_insensitive(tmp_path, mesh):
    vertices, faces = mesh
    save_wrl(tmp_path / "UPPER.WRL", vertices, faces)
    trimesh.Trimesh(vertices, faces, process=False).export(tmp_path / "mixed.Obj", file_type="obj")
    for name in ("UPPER.WRL", "mixed.Obj"):
        scan = load(tmp_path / name)
        assert scan.source == str(tmp_path / name)
        np.testing.assert_allclose(scan.vertices, vertices, atol=1e-6)
        np.testing.assert_array_equal(scan.faces, faces)


def test_every_format_reads_the_same_surface(tmp_path, mesh):
    """One mesh in every format: same vertex count everywhere, stored units kept (no normalisation)."""
    vertices, faces = mesh
    paths = [tmp_path / "m.wrl", tmp_path / "m.npz"]
    save_wrl(paths[0], vertices, faces)
    np.savez(paths[1], vertices=vertices, faces=faces)
    for ext in (".obj", ".ply", ".stl", ".off"):
        paths.append(tmp_path / f"m{ext}")
        trimesh.Trimesh(vertices, faces, process=False).export(paths[-1])
    for path in paths:
        scan = load(path)
        assert scan.n_vertices == len(vertices) and len(scan.faces) == len(faces), path.name
        np.testing.assert_allclose(np.sort(scan.vertices, axis=0), np.sort(vertices, axis=0), atol=1e-6)


def test_missing_file_folder_and_unknown_extension(tmp_path):
    (tmp_path / "scan.wrl").mkdir()
    (tmp_path / "notes.txt").write_text("1 2 3\n")
    (tmp_path / "noext").write_text("1 2 3\n")
    cases = [("absent.wrl", "no such file"), ("scan.wrl", "folder"), ("notes.txt", "unknown"), ("noext", "unknown")]
    for name, reason in cases:
        with pytest.raises(ScanError, match=reason) as err:
            load(tmp_path / name)
        assert name in str(err.value)
        assert err.value.path == str(tmp_path / name)


GARBAGE = {
    "empty": b"",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8,
    "text": b"Dear reader,\nthis is a letter, not a scan.\n",
    "zeros": b"\0" * 4096,
}


@pytest.mark.parametrize("ext", sorted(SCAN_EXTENSIONS))
@pytest.mark.parametrize("kind", sorted(GARBAGE))
def test_garbage_under_every_extension_raises_scanerror(tmp_path, ext, kind):
    path = tmp_path / f"{kind}{ext}"
    path.write_bytes(GARBAGE[kind])
    with pytest.raises(ScanError) as err:
        load(path)
    assert path.name in str(err.value)


# .xyz and .obj carry no counts: cut at a line boundary they are valid smaller scans, so they are left out.
@pytest.mark.parametrize("ext", sorted(SCAN_EXTENSIONS - {".xyz", ".obj"}))
def test_truncated_files_of_every_format_raise_scanerror(tmp_path, mesh, ext):
    vertices, faces = mesh
    path = tmp_path / f"whole{ext}"
    if ext in (".wrl", ".vrml"):
        save_wrl(path, vertices, faces)
    elif ext == ".bnt":
        save_bnt(path, np.column_stack([vertices, np.zeros((len(vertices), 2))]), 4, 5, -1e9)
    elif ext == ".npy":
        np.save(path, vertices)
    elif ext == ".npz":
        np.savez(path, vertices=vertices, faces=faces)
    else:
        trimesh.Trimesh(vertices, faces, process=False).export(path, file_type=ext[1:])
    load(path)  # the whole file reads
    data = path.read_bytes()
    cut = tmp_path / f"cut{ext}"
    cut.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ScanError) as err:
        load(cut)
    assert cut.name in str(err.value)
