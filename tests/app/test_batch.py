from pathlib import Path

import numpy as np
import pytest

from app.controllers.analysis import RenderJob, compose_views, load_input, prepare_input
from app.controllers.batch import BatchController, batch_inputs, collect_folder
from core.datasets import ManifestRow
from core.inference.export import ExportMeta, read_csv, read_json

from .conftest import face, write_scan, write_sequence


def npz_sequence(path, n_frames=4):
    scans = [face(b) for b in np.linspace(0, 0.3, n_frames)]
    np.savez(path, vertices=np.stack([s.vertices for s in scans]), faces=scans[0].faces)
    return str(path)


def render(qtbot, prepared):
    job = RenderJob(prepared)
    with qtbot.waitSignal(job.finished, timeout=30_000) as sig:
        job.start()
    return sig.args[0]


def test_collect_folder(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / ".hidden").mkdir()
    for name in ("b.obj", "sub/a.ply", ".hidden/c.obj", "notes.txt", "seq.npz"):
        (tmp_path / name).write_bytes(b"x")
    assert collect_folder(tmp_path) == [str(tmp_path / n) for n in ("b.obj", "seq.npz", "sub/a.ply")]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no scan file"):
        collect_folder(tmp_path / "empty")
    with pytest.raises(ValueError, match="not a folder"):
        collect_folder(tmp_path / "b.obj")


def test_views_are_those_of_the_analyzer(qtbot, analyzer, tmp_path):
    """The split pipeline (load+prepare in a worker, render on the GUI thread, compose) gives Analyzer.render's views."""
    r = analyzer.render_config
    scan_path = write_scan(tmp_path / "a.obj")
    prepared = prepare_input(load_input(scan_path), r)
    views = compose_views(render(qtbot, prepared), prepared.dynamic)
    expected, _ = analyzer.render(scan_path)
    assert views.shape == (3, r.size, r.size, 3)
    np.testing.assert_array_equal(views, expected)

    seq = write_sequence(tmp_path / "seq", 6)
    prepared = prepare_input(load_input(seq), r)
    assert prepared.dynamic and len(prepared.geometries) == min(6, r.n_frames)
    views = compose_views(render(qtbot, prepared), True)
    expected, _ = analyzer.render(seq)
    assert views.shape == expected.shape
    assert np.abs(views.astype(int) - expected.astype(int)).max() <= 1  # float sums rounded in another order
    assert views.std() > 0


def run_batch(qtbot, analyzer, paths, out, cancel_after=None):
    batch = BatchController()
    progress = []
    batch.progress.connect(lambda d, t, p: progress.append((d, t, p)))
    if cancel_after is not None:
        batch.progress.connect(lambda d, t, p: batch.cancel() if d >= cancel_after else None)
    with qtbot.waitSignal(batch.finished, timeout=120_000) as sig:
        batch.start(paths, analyzer, out, ExportMeta("tiny.ckpt", analyzer.prompt_set.name, analyzer.labels))
        assert batch.running
    assert not batch.running
    return sig.args[0], progress


def test_batch_folder_to_csv_and_back(qtbot, analyzer, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for name in ("a.obj", "b.ply", "c.xyz", "d.wrl"):
        write_scan(data / name)
    (data / "bad.obj").write_text("this is not a mesh\n")
    npz_sequence(data / "seq.npz")
    paths = collect_folder(data)
    outcome, progress = run_batch(qtbot, analyzer, paths, tmp_path / "out.csv")
    assert not outcome.cancelled and outcome.error is None and outcome.n_failed == 1
    assert [d for d, _, _ in progress] == list(range(1, 7))
    rows = read_csv(outcome.out_path)
    assert [r["path"] for r in rows] == paths  # one row per input, in input order
    for row in rows:
        if row["path"].endswith("bad.obj"):
            assert row["top"] is None and "bad.obj" in row["error"]
            continue
        assert row["error"] is None
        assert list(row["probabilities"]) == list(analyzer.labels)
        assert sum(row["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)  # 4 significant digits each
        assert list(row["view_weights"]) == ["left_-30deg", "front_0deg", "right_+30deg"]  # the model's yaws
        assert sum(row["view_weights"].values()) == pytest.approx(1.0, abs=1e-3)
        assert row["top"] == max(row["probabilities"], key=row["probabilities"].get)
        assert row["checkpoint"] == "tiny.ckpt"
    # the same input alone gives the same numbers (order and overlap do not mix results up)
    alone = analyzer.analyze(paths[0])
    assert rows[0]["probabilities"] == pytest.approx(alone.probabilities, rel=1e-3)
    assert "1 failed" in outcome.summary() and str(outcome.out_path) in outcome.summary()
    prompts = (tmp_path / "out.prompts.csv").read_text().splitlines()  # the prompt texts, beside the results
    assert prompts[0] == "prompt_set,label,prompt"
    assert len(prompts) - 1 == sum(len(v) for v in analyzer.prompt_set.classes.values())
    assert "prompts in out.prompts.csv" in outcome.summary()
    assert outcome.table.accuracy is None and len(outcome.table.rows) == 6  # no manifest: no labels


def test_batch_of_manifest_rows_to_json(qtbot, analyzer, tmp_path):
    seq = write_sequence(tmp_path / "seq", 4)
    scan = write_scan(tmp_path / "x.off")
    rows = [ManifestRow(scan, "S1", "happiness", 2, "3d", 1, "user", "x"),
            ManifestRow(seq, "S1", "surprise", None, "4d", 4, "user", "seq")]
    outcome, _ = run_batch(qtbot, analyzer, batch_inputs(rows), tmp_path / "out.json")
    doc = read_json(outcome.out_path)
    assert [r["path"] for r in doc["results"]] == [scan, seq]
    assert all(r["error"] is None for r in doc["results"])
    assert [(r["subject"], r["label"], r["intensity"]) for r in doc["results"]] == [
        ("S1", "happiness", 2), ("S1", "surprise", None)]
    assert doc["prompt_set"] == analyzer.prompt_set.name and list(doc["prompts"]) == list(analyzer.labels)
    assert [v["yaw_deg"] for v in doc["views"]] == list(analyzer.render_config.yaws)
    table = outcome.table
    assert [r.truth for r in table.rows] == ["happiness", "surprise"]
    assert table.n_scored == 2 and table.accuracy == sum(r.correct for r in table.rows) / 2


def test_cancel_keeps_what_finished(qtbot, analyzer, tmp_path):
    paths = [write_scan(tmp_path / f"s{i}.obj", face(0.02 * i)) for i in range(10)]
    outcome, progress = run_batch(qtbot, analyzer, paths, tmp_path / "part.csv", cancel_after=2)
    assert outcome.cancelled
    assert 2 <= len(outcome.records) < 10
    rows = read_csv(outcome.out_path)
    assert [r["path"] for r in rows] == paths[: len(rows)]
    assert "cancelled after" in outcome.summary()


def test_start_refuses_bad_requests(qtbot, analyzer, tmp_path):
    batch = BatchController()
    with pytest.raises(ValueError, match="empty"):
        batch.start([], analyzer, tmp_path / "o.csv")
    with pytest.raises(ValueError, match=r"\.csv or \.json"):
        batch.start(["a.obj"], analyzer, tmp_path / "o.txt")
    assert not batch.running


def test_analyse_folder_on_a_bu4dfe_tree_analyses_sequences(qtbot, analyzer, tmp_path):
    """Issue 14, item 16: a BU-4DFE tree (subject/expression/frames) gives one input per sequence (its frames
    rank-pooled), each with its manifest label, and the accuracy against them."""
    from core.inference.batch_inputs import folder_inputs

    root = tmp_path / "BU4DFE"
    for subject in ("F001", "M002"):
        for expression in ("Happy", "Surprise"):
            write_sequence(root / subject / expression, 3)
    found = folder_inputs(root)
    assert found.fmt == "bu4dfe" and len(found.inputs) == 4
    outcome, _ = run_batch(qtbot, analyzer, found.inputs, tmp_path / "bu4dfe.csv")
    assert outcome.n_failed == 0 and [r.path for r in outcome.records] == [str(i.path) for i in found.inputs]
    rows = read_csv(outcome.out_path)
    assert [(Path(r["path"]).relative_to(root).as_posix(), r["subject"], r["label"]) for r in rows] == [
        ("F001/Happy", "F001", "happiness"), ("F001/Surprise", "F001", "surprise"),
        ("M002/Happy", "M002", "happiness"), ("M002/Surprise", "M002", "surprise")]
    # each sequence is scored as the analyzer scores it: dynamic images of its frames
    alone = analyzer.analyze(rows[0]["path"])
    assert rows[0]["probabilities"] == pytest.approx(alone.probabilities, abs=2e-3)
    table = outcome.table
    assert table.n_scored == 4 and table.accuracy == pytest.approx(table.n_correct / 4)
    assert "accuracy" in outcome.summary() and "on 4 labelled" in outcome.summary()
