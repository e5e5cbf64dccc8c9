"""The fixed PCA + LR baseline as a benchmark method: templates, features cached once per data set, folds."""

import json

import numpy as np
import pytest

import core.eval.pca_lr as pca_lr
from core.datasets import ManifestRow
from core.eval.config import MethodSpec, SynthSettings
from core.eval.folds import subject_folds
from core.eval.metrics import classification_metrics
from core.eval.pca_lr import USER_TEMPLATE_NOTE, BaselineRun, Template, load_template, run_baselines
from core.synth.model import ModelFileError

from .eval_helpers import BASIC, GRID, _obj, face_points

METHOD = MethodSpec("pca_lr", "PCA + LR", kind="pca_lr", evals=("classifier",))
GRID_TEMPLATE = Template(GRID, "grid", "template: a test grid")


def _rows(tmp_path, name, subjects, labels, kind="3d"):
    rows = []
    for s in range(subjects):
        for i, label in enumerate(labels):
            seed = 1000 * s + i + (7 if name == "other" else 0)
            if kind == "3d":
                path = tmp_path / name / f"S{s}_{i}.obj"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(_obj(face_points(label, seed)))
            else:
                path = tmp_path / name / f"S{s}" / f"seq{i}"
                path.mkdir(parents=True, exist_ok=True)
                for f in range(3):
                    (path / f"{f:03d}.obj").write_text(_obj(face_points(label, seed, neutral=f == 0)))
            rows.append(ManifestRow(path=path, subject=f"{name}-S{s}", label=label, intensity=None, kind=kind,
                                    n_frames=1 if kind == "3d" else 3, dataset=name, code=f"T{i}"))
    return rows


def _run(rows, name="exp", dataset="bu3dfe", classes=BASIC, cross=None, synth=SynthSettings(4, {}, "sfm"), k=3):
    plan = subject_folds([r.subject for r in rows], [r.label for r in rows], k, seed=0)
    return BaselineRun(name, name.upper(), {"name": name}, dataset, rows, tuple(classes), plan, METHOD, synth, cross)


@pytest.fixture
def grid_template(monkeypatch):
    calls = []

    def fake(dataset, synth, models=None):
        calls.append((dataset, synth))
        return GRID_TEMPLATE

    monkeypatch.setattr(pca_lr, "load_template", fake)
    return calls


def test_folds_are_scored_like_the_classifier_and_reused(tmp_path, grid_template, monkeypatch):
    rows = _rows(tmp_path, "bu3dfe", 6, BASIC)
    target = _rows(tmp_path, "other", 2, ["happiness", "surprise"], kind="4d")
    moving = _rows(tmp_path, "bu4dfe", 6, BASIC, kind="4d")
    runs = [_run(rows), _run(rows[: 6 * 3], name="sub", k=2),  # two experiments on one data set
            _run(moving, name="dyn", dataset="bu4dfe", cross=("DYN -> OTHER", "other", target, ("T0", "T1")))]
    extracted = []
    real = pca_lr._extract
    monkeypatch.setattr(pca_lr, "_extract", lambda rs, *a: extracted.append(len(rs)) or real(rs, *a))
    out = run_baselines("tiny", runs, tmp_path / "features", tmp_path / "runs")
    # one registration pass per data set (and per cross target): Subset "sub" reuses the bu3dfe features
    assert sorted(extracted) == [len(target), len(moving), len(rows)]
    assert (out.trained, out.reused, out.notes, out.method_notes) == (3 + 2 + 3, 0, [], {})
    folds = out.results["exp"]["pca_lr"]
    assert [r["fold"] for r in folds] == [0, 1, 2]
    for r in folds:
        assert set(r["train_subjects"]).isdisjoint(r["test_subjects"])
        m = r["metrics"]["classifier"]
        assert m == classification_metrics(r["y_true"], r["predictions"]["classifier"], BASIC).to_dict()
        assert m["accuracy"] >= 0.75  # the class bumps survive registration; chance is 1/6
        assert r["history"] == [] and r["template"] == "template: a test grid"
    stored = json.loads((tmp_path / "runs" / "exp" / "pca_lr" / "fold_00.json").read_text())
    assert stored["key"] == folds[0]["key"] and stored["predictions"]["classifier"] == folds[0]["predictions"][
        "classifier"]
    cross = out.results["dyn"]["pca_lr"][0]["cross"]
    assert cross["codes"] == ["T0", "T1", "T0", "T1"] and len(cross["predictions"]["classifier"]) == 4
    assert np.mean([p == y for p, y in zip(cross["predictions"]["classifier"], cross["labels"])]) >= 0.5
    assert len(list((tmp_path / "features").glob("*.npy"))) == 3

    again = run_baselines("tiny", runs, tmp_path / "features", tmp_path / "runs")
    assert (again.trained, again.reused) == (0, 8) and len(extracted) == 3
    assert again.results["exp"]["pca_lr"][1]["key"] == folds[1]["key"]
    # stored folds gone: the features come from the cache, not from a new registration
    for path in (tmp_path / "runs").rglob("fold_*.json"):
        path.unlink()
    third = run_baselines("tiny", runs, tmp_path / "features", tmp_path / "runs")
    assert third.trained == 8 and len(extracted) == 3
    assert [r["metrics"] for r in third.results["exp"]["pca_lr"]] == [r["metrics"] for r in folds]


def test_user_data_says_which_template(tmp_path, grid_template):
    rows = _rows(tmp_path, "bu3dfe", 4, BASIC)
    out = run_baselines("tiny", [_run(rows, synth=None, k=2)], tmp_path / "f", tmp_path / "r")
    assert grid_template == [("bu3dfe", None)]
    assert out.method_notes == {"exp": {"pca_lr": USER_TEMPLATE_NOTE}}
    assert out.notes == ["PCA + LR on EXP: the template: a test grid."] and out.trained == 2


def test_missing_face_model_is_a_note_not_a_crash(tmp_path, monkeypatch):
    import core.synth.face_models as face_models

    def missing(name="ict", model_dir=None, au_table=None):
        raise ModelFileError(f"/nowhere/{name}.npz", f"{name.upper()} face model not found")

    monkeypatch.setattr(face_models, "load_face_model", missing)
    rows = _rows(tmp_path, "bu3dfe", 3, BASIC[:2])
    out = run_baselines("tiny", [_run(rows, synth=SynthSettings(3, {}, "ict"), classes=BASIC[:2], k=2)],
                        tmp_path / "f", tmp_path / "r")
    assert out.results == {"exp": {"pca_lr": []}} and out.trained == 0
    assert out.notes == ["PCA + LR was not run on EXP: no registration template (/nowhere/ict.npz: ICT face model "
                         "not found)"]


def test_a_scan_that_cannot_be_read_is_a_note(tmp_path, grid_template):
    rows = _rows(tmp_path, "bu3dfe", 3, BASIC[:2])
    rows[1].path.write_text("this is not a mesh\n")
    out = run_baselines("tiny", [_run(rows, classes=BASIC[:2], k=2)], tmp_path / "f", tmp_path / "r")
    assert out.results == {"exp": {"pca_lr": []}}
    assert len(out.notes) == 1 and out.notes[0].startswith("PCA + LR was not run on EXP: a scan could not be "
                                                           "registered to the template")


@pytest.mark.parametrize("face_model", ["sfm", "ict"])
def test_templates_of_the_face_models(face_model):
    from core.synth.face_models import load_face_model

    try:
        model = load_face_model(face_model)
    except ModelFileError as exc:
        pytest.skip(f"face model files not installed: {exc}")
    models = {}
    t = load_template("bu3dfe", SynthSettings(4, {}, face_model), models)
    assert t.points.ndim == 2 and t.points.shape[1] == 3 and set(models) == {face_model}
    if face_model == "sfm":
        assert np.array_equal(t.points, np.asarray(model.mean)) and "SFM mean face" in t.description
    else:
        assert len(t.points) < len(model.mean) and "ICT mean face cut to the synthetic bu3dfe" in t.description
        user = load_template("bu3dfe", None, models)
        assert user.description.startswith(USER_TEMPLATE_NOTE) and np.array_equal(user.points, t.points)
        assert load_template("bosphorus", None, models).key != user.key  # another field of view
