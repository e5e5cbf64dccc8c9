"""saliency(analyzer, scan_or_sequence, class_name) (core.explain.saliency): what it returns, that it sees what the
Analyzer sees, works for scans, point clouds and 4D sequences, on the scan as stored, from a worker thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from scipy.stats import spearmanr

from core.explain import ExplainInput, VertexSaliency, prepare, saliency
from core.scans.types import Scan

from .conftest import face, sequence


def _check_result(result: VertexSaliency, n_vertices: int, n_views: int = 3) -> None:
    assert result.values.shape == (n_vertices,) and result.values.dtype == np.float32
    assert result.per_view.shape == (n_views, n_vertices) and result.image_maps.shape[0] == n_views
    for arr in (result.values, result.per_view, result.image_maps):
        assert arr.min() >= 0.0 and arr.max() <= 1.0
    assert result.peak > 0 and result.values.max() == pytest.approx(1.0)
    assert not result.values[~result.seen].any() and not result.per_view[~result.input.seen].any()
    assert result.view_weights.sum() == pytest.approx(1.0)


def test_a_scan_gives_one_value_per_vertex_of_the_class_the_analyzer_predicts(tiny_analyzer):
    scan = face(0.1)
    analysed = tiny_analyzer.analyze(scan)
    result = saliency(tiny_analyzer, scan)
    _check_result(result, len(scan.vertices))
    assert result.class_name == analysed.top
    assert result.probability == pytest.approx(analysed.probabilities[analysed.top], abs=1e-5)
    assert result.score == pytest.approx(analysed.similarities[analysed.top], abs=1e-5)
    assert np.allclose(result.view_weights, analysed.view_weights, atol=1e-6)
    assert np.array_equal(result.input.views, analysed.views)  # exactly what the Analyzer saw
    assert 0.3 < result.seen.mean() <= 1.0 and result.input.seen.sum(axis=1).min() > 0
    summary = result.summary()
    assert summary["class"] == analysed.top and summary["vertices"] == len(scan.vertices)


def test_each_class_has_its_own_map_from_one_prepared_input(tiny_analyzer):
    inp = prepare(tiny_analyzer, face(0.15))
    assert isinstance(inp, ExplainInput) and not inp.is_sequence
    results = {c: saliency(tiny_analyzer, inp, c) for c in tiny_analyzer.labels[:3]}
    assert len({r.values.tobytes() for r in results.values()}) == 3
    again = saliency(tiny_analyzer, face(0.15), tiny_analyzer.labels[0])
    assert np.array_equal(again.values, results[tiny_analyzer.labels[0]].values)


def test_a_4d_sequence_is_shown_on_its_first_frame(tiny_analyzer):
    frames = sequence(4)
    frames[0] = Scan(frames[0].vertices, frames[0].faces, "first frame")
    result = saliency(tiny_analyzer, frames, "surprise")
    _check_result(result, len(frames[0].vertices))
    assert result.input.is_sequence and result.input.n_frames == 4 and result.scan is frames[0]
    assert np.array_equal(result.input.views, tiny_analyzer.render(frames)[0])  # the dynamic images


def test_sequence_files_and_folders_are_read(tiny_analyzer, tmp_path):
    import trimesh

    frames = sequence(3)
    np.savez(tmp_path / "seq.npz", vertices=np.stack([f.vertices for f in frames]), faces=frames[0].faces)
    (tmp_path / "seq").mkdir()
    for i, f in enumerate(frames):
        trimesh.Trimesh(f.vertices, f.faces, process=False).export(tmp_path / "seq" / f"frame_{i:03d}.obj")
    a = saliency(tiny_analyzer, tmp_path / "seq.npz", "anger")
    b = saliency(tiny_analyzer, tmp_path / "seq", "anger")
    assert a.input.n_frames == b.input.n_frames == 3 and a.input.source.endswith("seq.npz")
    assert np.allclose(a.values, b.values, atol=1e-5)


def test_a_point_cloud_gets_values_on_the_points_the_views_see(tiny_analyzer):
    scan = face(0.1, n=24)
    cloud = Scan(scan.vertices, None, "cloud")
    result = saliency(tiny_analyzer, cloud, "happiness")
    _check_result(result, len(cloud.vertices))
    assert result.seen.mean() > 0.5


def test_values_belong_to_the_scan_as_stored_whatever_its_units_and_place(tiny_analyzer):
    """Bounding-box framing (this checkpoint's): a scan in metres somewhere else gets the same values."""
    scan = face(0.1)
    moved = Scan(scan.vertices * 0.001 + np.float32([0.5, 1.0, -2.0]), scan.faces, "moved")
    a, b = saliency(tiny_analyzer, scan, "fear"), saliency(tiny_analyzer, moved, "fear")
    assert np.array_equal(a.seen, b.seen)
    assert np.allclose(a.values, b.values, atol=1e-3)


def test_an_unknown_class_is_refused_naming_the_input_and_the_classes(tiny_analyzer):
    with pytest.raises(ValueError, match=r"face\(bump=0.1\).*unknown class 'joy'.*happiness"):
        saliency(tiny_analyzer, face(0.1), "joy")
    with pytest.raises(ValueError, match="cannot explain"):
        saliency(tiny_analyzer, 42)


def test_a_worker_thread_gets_the_same_map_while_the_analyzer_is_used_elsewhere(tiny_analyzer):
    scan = face(0.12)
    expected = saliency(tiny_analyzer, scan, "sadness").values
    out: dict = {}

    def work():
        try:
            out["values"] = saliency(tiny_analyzer, scan, "sadness").values
        except Exception as exc:  # reported below
            out["error"] = exc

    worker = threading.Thread(target=work)
    worker.start()
    for _ in range(5):
        tiny_analyzer.analyze_views(tiny_analyzer.render(scan)[0])
    worker.join(120)
    assert "error" not in out and np.array_equal(out["values"], expected)


def test_a_canonical_face_stored_in_metres_z_up_gets_the_same_evidence(default_analyzer, au12_faces):
    """The default model (canonical faces): the face as stored in metres and z-up, and in millimetres and y-up, give
    nearly the same map on the same vertices (two registrations differ by a fraction of a millimetre)."""
    scan = au12_faces[0].active
    rot = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    stored = Scan((scan.vertices @ rot.T * 0.001).astype(np.float32), scan.faces, "metres, z-up")
    a, b = saliency(default_analyzer, scan, "happiness"), saliency(default_analyzer, stored, "happiness")
    _check_result(a, len(scan.vertices))
    both = a.seen & b.seen
    assert both.sum() > 0.9 * max(a.seen.sum(), b.seen.sum())
    assert spearmanr(a.values[both], b.values[both]).statistic > 0.9
