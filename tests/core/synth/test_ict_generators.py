"""The generators on the ICT Face Model (the default): reproducible bytes, the datasets' layouts as the
indexers and loaders read them, whole heads, units, synth.json, and where each class moves the face.

Every set is small (1-2 subjects, few frames) and made once per module."""

from __future__ import annotations

import hashlib
import json
import re
import types
from pathlib import Path

import numpy as np
import pytest

from core.datasets import index_dataset
from core.scans import load, load_sequence
from core.synth.config import RACE_CODES, load_config
from core.synth.generators import BU3DFE_CODES, HEADS_MANIFEST, ME4D_MANIFEST
from core.synth.ict_model import NPZ_FILE, NPZ_SHA256
from core.synth.layout import expression_weights, make_context, make_subject_for, plan_subjects
from core.synth.model import EXPRESSIONS
from core.synth.runner import INFO_FILE, RunConfig, generate

#: Every capture artefact off (the vertices of a subject's scans correspond one to one), no head motion.
CLEAN = {"artefacts": {"rotation_deg": 0.0, "translation_mm": 0.0, "noise_mm": 0.0, "holes_mean": 0.0,
                       "frame_holes_mean": 0.0, "occlusion_probability": 0.0, "spurious_mean": 0.0}}
STILL = {"motion": {"drift_deg": 0.0, "drift_mm": 0.0}}
#: 4DME classes whose ICT clips can be written today (see test_4dme_positive_and_surprise_clips).
ME_CLASSES = {"negative": 0.4, "repression": 0.3, "others": 0.3}

#: name -> (generator, subjects, seed, settings overrides) of the sets the tests share.
SETS = {
    "bu3dfe": ("bu3dfe", 1, 0, None),
    "bu3dfe_again": ("bu3dfe", 1, 0, None),
    "bu3dfe_two": ("bu3dfe", 2, 1, None),
    "heads": ("heads", 1, 0, None),
    "bu4dfe": ("bu4dfe", 1, 2, {**CLEAN, **STILL, "frames": 12, "expressions": ["happiness", "surprise"]}),
    "bp4d": ("bp4d", 1, 0, {"frames": 4, "tasks": ["T1", "T6"]}),
    "4dme": ("4dme", 1, 0, {"frames": 12, "clips_per_subject": 3, "duration_frames": [3, 6],
                            "class_weights": ME_CLASSES}),
    "bosphorus": ("bosphorus", 1, 0, None),
}


@pytest.fixture(scope="module")
def made(ict_face, tmp_path_factory):
    """name -> (output folder, SynthResult), generated on first use."""
    cache: dict[str, tuple[Path, object]] = {}

    def make(name: str):
        if name not in cache:
            generator, subjects, seed, over = SETS[name]
            out = tmp_path_factory.mktemp(f"ict_{name}") / generator
            cfg = load_config(generator, None, over, face_model="ict")
            cache[name] = (out, generate(RunConfig(generator, subjects, out, seed=seed), cfg, ict_face))
        return cache[name]

    return make


def _files(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def _digests(out: Path) -> dict[str, str]:
    return {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in _files(out)}


def _info(out: Path) -> dict:
    return json.loads((out / INFO_FILE).read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------ reproducibility


def test_same_seed_same_bytes(made):
    a, _ = made("bu3dfe")
    b, _ = made("bu3dfe_again")
    da, db = _digests(a), _digests(b)
    assert len(da) == 26 and INFO_FILE in da
    assert da == db


def test_other_seed_other_files(made):
    a, _ = made("bu3dfe")
    c, _ = made("bu3dfe_two")  # seed 1; its first subject has the same id as seed 0's
    da, dc = _digests(a), _digests(c)
    scans_a = {h for f, h in da.items() if f.endswith(".wrl")}
    scans_c = {h for f, h in dc.items() if f.endswith(".wrl")}
    assert len(scans_a) == 25 and not scans_a & scans_c
    assert da[INFO_FILE] != dc[INFO_FILE]


# ------------------------------------------------------------------------------------------ layouts and readers


def test_bu3dfe_official_names_and_index(made):
    out, result = made("bu3dfe_two")
    files = _files(out)
    scans = [f for f in files if f != INFO_FILE]
    assert len(scans) == 50 == result.n_files and files == sorted(scans + [INFO_FILE])
    pattern = re.compile(r"(?P<s>[FM]0001)/(?P=s)_(?P<code>[A-Z]{2})(?P<level>\d\d)(?P<race>[A-Z]{2})_F3D\.wrl")
    found: dict[str, set] = {}
    races: dict[str, set] = {}
    for f in scans:
        m = pattern.fullmatch(f)
        assert m, f
        found.setdefault(m["s"], set()).add((m["code"], int(m["level"])))
        races.setdefault(m["s"], set()).add(m["race"])
    expected = {("NE", 0)} | {(c, lv) for c in BU3DFE_CODES.values() for lv in (1, 2, 3, 4)}
    assert set(found) == {"F0001", "M0001"}
    assert all(codes == expected and len(codes) == 25 for codes in found.values())
    assert all(len(r) == 1 and r <= set(RACE_CODES) for r in races.values())
    index = index_dataset(out, "bu3dfe")
    assert index.skipped == () and len(index.rows) == 50
    assert {(r.subject, r.label, r.intensity) for r in index.rows} == {
        (s, e, lv) for s in ("F0001", "M0001") for e in EXPRESSIONS for lv in (1, 2, 3, 4)
    } | {("F0001", "neutral", 0), ("M0001", "neutral", 0)}
    truth = {(str((out / it.path).resolve()), it.subject, it.label) for it in result.items}
    assert {(str(Path(r.path).resolve()), r.subject, r.label) for r in index.rows} == truth


@pytest.mark.parametrize("name", ["bu4dfe", "bp4d", "bosphorus"])
def test_indexers_read_the_ict_layouts(made, name):
    out, result = made(name)
    index = index_dataset(out, SETS[name][0])
    assert index.skipped == ()
    assert len(index.rows) == len(result.items) > 0
    assert {str(Path(r.path).resolve()) for r in index.rows} == {str((out / it.path).resolve()) for it in result.items}
    for row in index.rows:
        if row.kind == "4d":
            frames = load_sequence(row.path)
            assert len(frames) == row.n_frames == SETS[name][3]["frames"]
            assert all(np.isfinite(f.vertices).all() and len(f.faces) > 1000 for f in frames)
        else:
            scan = load(row.path)
            assert np.isfinite(scan.vertices).all() and len(scan.vertices) > 1000


def test_4dme_manifest_reads_as_csv(made):
    out, result = made("4dme")
    assert result.manifest == out / ME4D_MANIFEST
    index = index_dataset(out / ME4D_MANIFEST, "csv")
    assert index.skipped == () and len(index.rows) == 3
    assert sorted((str(Path(r.path).resolve()), r.label) for r in index.rows) == sorted(
        (str((out / it.path).resolve()), it.label) for it in result.items)
    for row in index.rows:
        assert row.kind == "4d" and row.dataset == "4dme" and row.label in ME_CLASSES
        extras = row.extras
        assert 0 <= int(extras["onset"]) <= int(extras["apex"]) <= int(extras["offset"]) < 12
        frames = load_sequence(row.path)
        assert len(frames) == row.n_frames == 12


def test_heads_manifest_reads_as_csv(made):
    out, result = made("heads")
    assert result.manifest == out / HEADS_MANIFEST
    names = {f for f in _files(out) if f.endswith(".obj")}
    assert names == {"S001/S001_neutral_0.obj"} | {f"S001/S001_{e}_{lv}.obj" for e in EXPRESSIONS
                                                   for lv in (1, 2, 3, 4)}
    index = index_dataset(out / HEADS_MANIFEST, "csv")
    assert index.skipped == () and len(index.rows) == 25
    levels = {(r.label, r.intensity) for r in index.rows if r.label != "neutral"}
    assert levels == {(e, lv) for e in EXPRESSIONS for lv in (1, 2, 3, 4)}
    assert [r.intensity for r in index.rows if r.label == "neutral"] in ([None], [0])
    for row in index.rows:
        assert row.kind == "3d" and row.dataset == "heads" and row.subject == "S001"
        scan = load(row.path)
        assert np.isfinite(scan.vertices).all() and len(scan.vertices) > 5000


def _extent(v: np.ndarray) -> np.ndarray:
    """Robust (x, y, z) extent: 1st to 99th percentile (ignores spurious specks)."""
    return np.percentile(v, 99, axis=0) - np.percentile(v, 1, axis=0)


def test_heads_are_whole_heads(made, ict_face):
    heads, _ = made("heads")
    bu, _ = made("bu3dfe")
    head = load(heads / "S001" / "S001_neutral_0.obj").vertices.astype(np.float64)
    face = load(next((bu / "F0001").glob("F0001_NE00*_F3D.wrl"))).vertices.astype(np.float64)
    eh, ef = _extent(head), _extent(face)
    assert eh[1] > ef[1] + 50 and eh[2] > ef[2] + 40, (eh, ef)
    assert len(head) > len(face) + 1000
    assert len(head) > 0.9 * ict_face.n_vertices  # nearly the whole model (a few holes at most)


def test_bu3dfe_scans_are_in_millimetres(made):
    out, result = made("bu3dfe")
    for item in result.items[:3]:
        width = _extent(load(out / item.path).vertices.astype(np.float64))[0]
        assert 120 <= width <= 200, (item.path, width)


def test_synth_json_records_the_ict_model(made, ict_face):
    out, _ = made("bu3dfe")
    info = _info(out)
    model = info["model"]
    assert model["face_model"] == "ict"
    if ict_face.source == "npz":
        assert model["sha256"] == {NPZ_FILE: NPZ_SHA256}
    assert model["sha256"] == dict(ict_face.checksums)
    table = Path(ict_face.table.source)
    assert model["action_units"] == {"file": "action_units.json",
                                     "sha256": hashlib.sha256(table.read_bytes()).hexdigest()}
    assert "ICT-FaceKit" in model["source"]
    settings = info["settings"]
    from core.synth.config import SFM_ONLY

    assert not set(SFM_ONLY) & set(settings)  # the SFM-only expression settings are not recorded
    assert {"au_style", "field_of_view", "identity", "artefacts"} <= set(settings)
    assert settings["identity"]["n_components"] == 100
    assert settings["field_of_view"]["whole_head"] is False
    assert info["generator"] == "bu3dfe" and info["seed"] == 0 and info["subjects"] == 1 and info["files"] == 25
    heads, _ = made("heads")
    hinfo = _info(heads)
    assert hinfo["settings"]["field_of_view"]["whole_head"] is True and hinfo["manifest"] == HEADS_MANIFEST


def test_heads_needs_the_ict_model(tmp_path):
    """The SFM (anything that is not an IctFace) cannot make whole heads: refused before anything is written."""
    sfm_like = types.SimpleNamespace(n_components=63, mean=np.zeros((10, 3)))
    out = tmp_path / "heads"
    with pytest.raises(ValueError, match="ICT") as exc:
        generate(RunConfig("heads", 1, out), load_config("heads", face_model="sfm"), sfm_like)
    assert "heads" in str(exc.value)
    assert not out.exists()


def test_heads_with_the_real_sfm(tmp_path, sfm_model):
    with pytest.raises(ValueError, match="ICT"):
        generate(RunConfig("heads", 1, tmp_path / "h"), load_config("heads", face_model="sfm"), sfm_model)
    assert not (tmp_path / "h").exists()


# ------------------------------------------------------------------------------------------ 4D


def test_bu4dfe_sequences_start_and_end_neutral(made, ict_face):
    out, result = made("bu4dfe")
    generator, _, seed, over = SETS["bu4dfe"]
    cfg = load_config(generator, None, over, face_model="ict")
    ctx = make_context(generator, ict_face, cfg, seed, out)
    subject = make_subject_for(ctx, plan_subjects(generator, cfg, 1, seed)[0])
    for item in result.items:
        frames = [f.vertices.astype(np.float64) for f in load_sequence(out / item.path)]
        assert len(frames) == 12
        assert all(f.shape == subject.neutral.shape for f in frames)  # artefacts off: every vertex kept
        disp = np.array([np.linalg.norm(f - subject.neutral, axis=1).max() for f in frames])
        peak = disp.max()
        assert peak > 5.0, (item.path, disp)  # a posed apex moves the face by millimetres
        assert disp[0] < 0.25 * peak and disp[-1] < 0.25 * peak, (item.path, disp)
        assert np.linalg.norm(frames[-1] - frames[0], axis=1).max() < 0.05 * peak
        apex = int(dict(item.info)["apex"])
        assert 0 < apex < 11 and disp[apex] > 0.8 * peak


# ------------------------------------------------------------------------------------------ classes


@pytest.fixture(scope="module")
def clean_subjects(ict_face, tmp_path_factory):
    """Two BU-3DFE ICT subjects (seeds 0 and 1), artefacts off and the whole head kept, so their vertices
    are the ICT model's: (subject, context) pairs, built in memory."""
    cfg = load_config("bu3dfe", None, {**CLEAN, "field_of_view": {"whole_head": True}}, face_model="ict")
    out = tmp_path_factory.mktemp("ict_clean")
    pairs = []
    for seed in (0, 1):
        ctx = make_context("bu3dfe", ict_face, cfg, seed, out)
        subject = make_subject_for(ctx, plan_subjects("bu3dfe", cfg, 1, seed)[0])
        assert subject.neutral.shape == (ict_face.n_vertices, 3)
        pairs.append((subject, ctx))
    return pairs


def _regions(neutral: np.ndarray, tip: int) -> dict[str, np.ndarray]:
    rel = neutral - neutral[tip]
    x, y, z = rel.T
    front = z > -70
    return {
        "corners": front & (np.abs(x) >= 15) & (np.abs(x) <= 45) & (y >= -50) & (y <= -15),
        "brows": front & (np.abs(x) <= 70) & (y >= 30) & (y <= 75),
        "nose": front & (np.abs(x) < 30) & (np.abs(y) <= 25) & (z > -45),
        "jaw": front & (np.abs(x) < 40) & (y < -55) & (y > -110),
    }


def _apex(subject, ctx, expression: str) -> np.ndarray:
    """(V, 3) displacement of a level-4-like expression (intensity 1) from the subject's neutral."""
    w = expression_weights(ctx, subject, expression, 1.0, np.zeros(len(ctx.model.unit_names)))
    return subject.shape(w) - subject.neutral


def test_happiness_moves_the_mouth_corners_more_than_the_brows(clean_subjects, ict_face):
    for subject, ctx in clean_subjects:
        r = _regions(subject.neutral, ict_face.tip)
        size = np.linalg.norm(_apex(subject, ctx, "happiness"), axis=1)
        assert size[r["corners"]].mean() > 3.0 * size[r["brows"]].mean(), subject.code
        assert size[r["corners"]].mean() > 3.0


def test_surprise_raises_the_brows_and_drops_the_jaw(clean_subjects, ict_face):
    for subject, ctx in clean_subjects:
        r = _regions(subject.neutral, ict_face.tip)
        d = _apex(subject, ctx, "surprise")
        assert d[r["brows"], 1].mean() > 1.5
        assert d[r["jaw"], 1].mean() < -4.0


def test_anger_lowers_the_brows(clean_subjects, ict_face):
    for subject, ctx in clean_subjects:
        r = _regions(subject.neutral, ict_face.tip)
        anger = _apex(subject, ctx, "anger")[r["brows"], 1].mean()
        surprise = _apex(subject, ctx, "surprise")[r["brows"], 1].mean()
        assert anger < -0.25 and anger < surprise - 2.0


def test_disgust_moves_the_nose_more_than_happiness(clean_subjects, ict_face):
    for subject, ctx in clean_subjects:
        nose = _regions(subject.neutral, ict_face.tip)["nose"]
        disgust = np.linalg.norm(_apex(subject, ctx, "disgust"), axis=1)[nose].mean()
        happy = np.linalg.norm(_apex(subject, ctx, "happiness"), axis=1)[nose].mean()
        assert disgust > 1.3 * happy and disgust > 2.0


def test_each_subject_has_a_style_for_every_class(clean_subjects, ict_face):
    table = ict_face.table
    for subject, _ in clean_subjects:
        assert set(subject.classes) >= set(EXPRESSIONS) | set(table.bp4d_tasks)
        for name, style in subject.classes.items():
            assert style.weights.shape == style.lag.shape == style.speed.shape == (len(table.units),)
            assert np.all(style.weights >= 0) and style.weights.max() > 0.1, name
        # required AUs are always there
        for name, proto in table.expressions.items():
            for code, _ in proto.required:
                assert subject.classes[name].weights[table.unit_indices(code)].max() > 0, (name, code)
    # two subjects perform the same class differently
    (a, _), (b, _) = clean_subjects
    assert not np.allclose(a.classes["happiness"].weights, b.classes["happiness"].weights)


# ------------------------------------------------------------------------------------------ micro classes


@pytest.mark.parametrize("label", ["positive", "surprise"])
def test_4dme_positive_and_surprise_clips(ict_face, tmp_path, label):
    cfg = load_config("4dme", None, {"frames": 5, "clips_per_subject": 1, "duration_frames": [2, 3],
                                     "class_weights": {label: 1.0}}, face_model="ict")
    result = generate(RunConfig("4dme", 1, tmp_path / "me", seed=0), cfg, ict_face)
    rows = index_dataset(tmp_path / "me" / ME4D_MANIFEST, "csv").rows
    assert [r.label for r in rows] == [label] and [it.label for it in result.items] == [label]
    extra = dict(rows[0].extra)
    assert extra["emotion"] == {"positive": "happiness", "surprise": "surprise"}[label]
    required = {"positive": {"AU12"}, "surprise": {"AU1", "AU2"}}[label]
    assert required <= set(extra["aus"].split("+"))
