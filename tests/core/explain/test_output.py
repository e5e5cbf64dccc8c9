"""Saving evidence maps (core.explain.output): a PLY of the scan as read with a per-vertex 'saliency' property, a PNG
of the views with the map over them."""

from __future__ import annotations

import numpy as np
import pytest
import trimesh

from core import scans
from core.explain import saliency
from core.explain.output import write_png, write_ply, write_result
from core.scans.types import Scan

from .conftest import face, sequence


def _ply_saliency(path) -> np.ndarray:
    loaded = trimesh.load(path, process=False)
    return np.asarray(loaded.metadata["_ply_raw"]["vertex"]["data"]["saliency"])


def test_the_ply_is_the_scan_as_read_with_a_saliency_property(tiny_analyzer, tmp_path):
    source = tmp_path / "scan.obj"
    scan = face(0.1)
    trimesh.Trimesh(scan.vertices * 0.001 + 5.0, scan.faces, process=False).export(source)  # metres, elsewhere
    result = saliency(tiny_analyzer, source, "happiness")
    out = write_ply(result, tmp_path / "out.ply")
    header = out.read_bytes().split(b"end_header")[0].decode()
    assert "property float saliency" in header and "binary_little_endian" in header
    back, stored = scans.load(out), scans.load(source)
    assert np.array_equal(back.vertices, stored.vertices) and np.array_equal(back.faces, stored.faces)
    assert np.array_equal(_ply_saliency(out), result.values)


def test_a_point_cloud_ply_has_no_faces_and_keeps_its_points(tiny_analyzer, tmp_path):
    cloud = Scan(face(0.1, n=20).vertices, None, "cloud")
    result = saliency(tiny_analyzer, cloud, "anger")
    out = write_result(result, tmp_path / "cloud.PLY")
    back = scans.load(out)
    assert back.faces is None and np.array_equal(back.vertices, cloud.vertices)
    assert np.array_equal(_ply_saliency(out), result.values)


@pytest.mark.parametrize("what", ["scan", "sequence"])
def test_the_png_shows_every_view(tiny_analyzer, tmp_path, what):
    from matplotlib.image import imread

    x = face(0.1) if what == "scan" else sequence(3)
    result = saliency(tiny_analyzer, x, "surprise")
    out = write_png(result, tmp_path / f"{what}.png")
    image = imread(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert image.shape[1] >= 3 * 200 and image.shape[0] >= 300
    assert len(np.unique(image.reshape(-1, image.shape[-1]), axis=0)) > 50  # a picture, not a blank canvas


def test_other_suffixes_are_refused(tiny_analyzer, tmp_path):
    result = saliency(tiny_analyzer, face(0.1), "fear")
    with pytest.raises(ValueError, match=r"out\.jpg.*\.ply or a \.png"):
        write_result(result, tmp_path / "out.jpg")
    assert not (tmp_path / "out.jpg").exists()
