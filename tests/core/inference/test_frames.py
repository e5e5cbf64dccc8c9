import threading

import numpy as np
import pytest
import trimesh

from core.dynamic import rank_pool, rank_pool_weights, sample_indices
from core.inference import AnalysisStopped, Analyzer, FrameProbabilities, FrameWindow, analyze_frames
from core.inference.frames import (
    frame_probabilities,
    pool,
    pool_windows,
    pooling_matrix,
    prepare_frames,
    render_buffer,
    render_frames,
    render_prepared,
)

from .conftest import face, sequence


@pytest.fixture(scope="module")
def analyzer(tiny_checkpoint):
    return Analyzer(tiny_checkpoint, device="cpu")  # render settings: 3 views of 32 px, n_frames 4


def test_window_setting_parses_and_prints():
    assert FrameWindow.parse(None) == FrameWindow.parse("cumulative") == FrameWindow()
    assert FrameWindow.parse("last:5") == FrameWindow.parse("5") == FrameWindow.parse(5) == FrameWindow(5)
    assert str(FrameWindow()) == "cumulative" and str(FrameWindow(5)) == "last:5"
    assert FrameWindow.parse(FrameWindow(3)) == FrameWindow(3)
    assert FrameWindow().starts(4).tolist() == [0, 0, 0, 0]
    assert FrameWindow(3).starts(6).tolist() == [0, 0, 0, 1, 2, 3]
    for bad in ("1", 1, "0", "last:x", "all", 2.5, True):
        with pytest.raises(ValueError, match="window|K >= 2"):
            FrameWindow.parse(bad)


def test_pooling_matrix_samples_each_window_like_the_one_shot_analysis():
    starts, ends = FrameWindow(6).starts(20), np.arange(20)
    a, pooled = pooling_matrix(starts, ends, 20, 4)
    dense = a.toarray()
    assert dense.shape == (20, 20)
    assert pooled.tolist() == [1, 2, 3] + [4] * 17
    assert dense[0].tolist() == [1.0] + [0.0] * 19  # a one-frame window: the frame itself
    for t in range(1, 20):
        idx = starts[t] + sample_indices(t - starts[t] + 1, 4)
        expected = np.zeros(20)
        expected[idx] = rank_pool_weights(len(idx))
        assert np.array_equal(dense[t], expected)
    with pytest.raises(ValueError, match="does not lie"):
        pooling_matrix(np.array([3]), np.array([2]), 5, 4)


def test_pooled_windows_equal_rank_pooling_each_window_on_its_own():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(9, 2, 6, 6, 3), dtype=np.uint8)
    images[:, :, :2] = 0  # background
    for window in (FrameWindow(), FrameWindow(3)):
        dynamic, pooled = pool_windows(images, window, 4)
        assert dynamic.shape == images.shape and dynamic.dtype == np.uint8
        starts = window.starts(9)
        assert np.array_equal(dynamic[0], images[0])
        for t in range(1, 9):
            idx = starts[t] + sample_indices(t - starts[t] + 1, 4)
            for v in range(2):
                assert np.array_equal(dynamic[t, v], rank_pool(images[idx, v]))


def test_a_static_window_gives_a_blank_image_as_rank_pooling_does():
    images = np.repeat(np.random.default_rng(1).integers(0, 256, size=(1, 1, 4, 4, 3), dtype=np.uint8), 5, axis=0)
    dynamic, _ = pool(images, np.array([0, 1]), np.array([4, 3]), 8)
    assert not dynamic.any()


def test_pool_refuses_bad_frames():
    with pytest.raises(ValueError, match="uint8"):
        pool_windows(np.zeros((3, 1, 4, 4, 3), np.float32), None, 4)
    with pytest.raises(ValueError, match="uint8"):
        pool_windows(np.zeros((3, 4, 4, 3), np.uint8), None, 4)


def test_score_views_gives_each_row_as_analyze_views(analyzer):
    rng = np.random.default_rng(2)
    views = rng.integers(0, 256, size=(3, 3, 32, 32, 3), dtype=np.uint8)
    labels, probs, weights = analyzer.score_views(views)
    assert labels == analyzer.labels and probs.shape == (3, len(labels)) and weights.shape == (3, 3)
    for i in range(3):
        one = analyzer.analyze_views(views[i])
        assert np.allclose(probs[i], list(one.probabilities.values()), atol=1e-5)
        assert np.allclose(weights[i], one.view_weights, atol=1e-5)
    with pytest.raises(ValueError, match="N, V, S, S, 3"):
        analyzer.score_views(views[0])


def _check_curves(result: FrameProbabilities, n: int, labels) -> None:
    assert len(result) == n and result.probabilities.shape == (n, len(labels)) and result.labels == tuple(labels)
    assert np.allclose(result.probabilities.sum(axis=1), 1.0, atol=1e-6)
    assert result.view_weights.shape == (n, 3) and np.allclose(result.view_weights.sum(axis=1), 1.0, atol=1e-6)
    assert result.sequence.shape == (len(labels),) and result.sequence_top in labels
    assert len(result.top) == n and len(result.frames_list()) == n


def test_cumulative_curve_ends_at_the_one_shot_result_and_starts_at_the_scan(analyzer):
    frames = sequence(7)
    result = analyze_frames(analyzer, frames)
    _check_curves(result, 7, analyzer.labels)
    assert str(result.window) == "cumulative" and result.starts.tolist() == [0] * 7
    assert result.pooled.tolist() == [1, 2, 3, 4, 4, 4, 4] and result.n_sampled == 4
    whole = analyzer.analyze(frames)
    assert np.allclose(result.probabilities[-1], list(whole.probabilities.values()), atol=1e-4)
    assert np.allclose(result.sequence, result.probabilities[-1]) and result.sequence_top == whole.top
    first = analyzer.analyze(frames[0])
    assert np.allclose(result.probabilities[0], list(first.probabilities.values()), atol=1e-5)
    entry = result.frame_dict(3)
    assert entry["frame"] == 3 and entry["window"] == [0, 3] and entry["pooled"] == 4
    assert list(entry["probabilities"]) == list(analyzer.labels) and entry["top"] in analyzer.labels
    assert np.array_equal(result.curve(analyzer.labels[1]), result.probabilities[:, 1])
    with pytest.raises(ValueError, match="not a class"):
        result.curve("nonsense")


def test_last_k_windows_score_the_whole_sequence_too(analyzer):
    frames = sequence(6)
    result = analyze_frames(analyzer, frames, "last:3")
    _check_curves(result, 6, analyzer.labels)
    assert result.starts.tolist() == [0, 0, 0, 1, 2, 3] and result.pooled.tolist() == [1, 2, 3, 3, 3, 3]
    whole = analyzer.analyze(frames)
    assert np.allclose(result.sequence, list(whole.probabilities.values()), atol=1e-4)
    assert np.allclose(result.sequence_view_weights, whole.view_weights, atol=1e-4)
    middle = analyzer.analyze(frames[1:4])  # its own framing (frame 1's bounding box) differs a little: close only
    assert result.top[3] in analyzer.labels and np.abs(result.probabilities[3] - list(middle.probabilities.values())
                                                       ).max() < 0.5


def test_split_steps_give_the_same_curves_and_report_progress(analyzer):
    frames = sequence(5)
    calls = []
    prepared = prepare_frames(frames, analyzer.render_config, "seq")
    images = render_prepared(prepared, analyzer.render_config, lambda *a: calls.append(a))
    assert images.shape == (5, 3, 32, 32, 3) and [c[1] for c in calls] == [1, 2, 3, 4, 5]
    result = frame_probabilities(analyzer, images, 2, source="seq", face=prepared.face,
                                 progress=lambda *a: calls.append(a), batch=2)
    assert [c for c in calls if c[0] == "score"] == [("score", 2, 6), ("score", 4, 6), ("score", 6, 6)]
    direct = analyze_frames(analyzer, frames, 2)
    assert np.allclose(result.probabilities, direct.probabilities, atol=1e-6) and result.source == "seq"


def test_rendering_a_range_of_frames_at_a_time_gives_the_same_images(analyzer):
    render = analyzer.render_config
    prepared = prepare_frames(sequence(5), render, "seq")
    out = render_buffer(prepared, render)
    for start, stop in ((0, 2), (2, 2), (2, 5)):
        render_frames(prepared, render, out, start, stop)
    assert np.array_equal(out, render_prepared(prepared, render))
    with pytest.raises(ValueError, match="do not lie"):
        render_frames(prepared, render, out, 3, 6)
    with pytest.raises(ValueError, match="render buffer"):
        render_frames(prepared, render, out[:4], 0, 1)


def test_a_set_stop_event_stops_the_analysis(analyzer):
    stop = threading.Event()

    def progress(stage, done, total):
        if stage == "render" and done == 2:
            stop.set()

    with pytest.raises(AnalysisStopped):
        analyze_frames(analyzer, sequence(5), progress=progress, stop_event=stop)
    stop.clear()
    assert len(analyze_frames(analyzer, sequence(3), stop_event=stop)) == 3


def test_files_a_single_scan_and_bad_inputs(analyzer, tmp_path):
    folder = tmp_path / "seq"
    folder.mkdir()
    for i, f in enumerate(sequence(4)):
        trimesh.Trimesh(f.vertices, f.faces, process=False).export(folder / f"{i:03d}.obj")
    from_folder = analyze_frames(analyzer, folder, 3)
    assert len(from_folder) == 4 and from_folder.source == str(folder)
    scan = analyze_frames(analyzer, face(0.1))
    assert len(scan) == 1 and scan.pooled.tolist() == [1]
    assert np.allclose(scan.sequence, list(analyzer.analyze(face(0.1)).probabilities.values()), atol=1e-5)
    with pytest.raises(ValueError, match="not a Scan"):
        analyze_frames(analyzer, [face(0.0), "frame"])
    with pytest.raises(ValueError, match="no frames"):
        analyze_frames(analyzer, [])
    with pytest.raises(ValueError, match="cannot analyse"):
        analyze_frames(analyzer, 3.5)
