"""The five generators: layouts and names, what the dataset indexers, loaders and renderer make of the
output, where each expression moves the face, and the micro-expression timing."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np
import pytest

from core.datasets import index_dataset
from core.render import render_views
from core.scans import load, load_sequence
from core.synth.config import MICRO_CLASSES, RACE_CODES, load_config
from core.synth.face import face_regions, make_population, make_subject, rng_for
from core.synth.generators import (
    BOSPHORUS_CODES,
    BU3DFE_CODES,
    BU4DFE_FOLDERS,
    ME4D_MANIFEST,
    micro_clip,
    plan_subjects,
)
from core.synth.model import EXPRESSIONS, N_VERTICES
from core.synth.runner import INFO_FILE, RunConfig, generate

from .conftest import SHARED_SFM

#: Every capture artefact off (vertex order and count of the model kept), no head motion.
CLEAN = {"artefacts": {"rotation_deg": 0.0, "translation_mm": 0.0, "noise_mm": 0.0, "holes_mean": 0.0,
                       "frame_holes_mean": 0.0, "occlusion_probability": 0.0, "spurious_mean": 0.0}}
STILL = {"motion": {"drift_deg": 0.0, "drift_mm": 0.0}}


def _files(out: Path) -> list[str]:
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())


def _ibug_vertices() -> dict[int, int]:
    """ibug 68-point landmark number -> SFM vertex index (from ../shared/sfm/ibug_to_sfm.txt)."""
    path = SHARED_SFM / "ibug_to_sfm.txt"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\s*(\d+)\s*=\s*(\d+)", line)
        if m:
            out[int(m[1])] = int(m[2])
    return out


# ------------------------------------------------------------------------------------------ layouts


def test_bu3dfe_layout_and_names(generated):
    out, result = generated("bu3dfe")
    files = _files(out)
    scans = [f for f in files if f.endswith(".wrl")]
    assert len(scans) == 25 == result.n_files and files == sorted(scans + [INFO_FILE])
    subject = result.items[0].subject
    assert re.fullmatch(r"[FM]0001", subject)
    pattern = re.compile(rf"{subject}/{subject}_(?P<code>[A-Z]{{2}})(?P<level>\d\d)(?P<race>[A-Z]{{2}})_F3D\.wrl")
    found = set()
    races = set()
    for f in scans:
        m = pattern.fullmatch(f)
        assert m, f
        found.add((m["code"], int(m["level"])))
        races.add(m["race"])
    assert found == {("NE", 0)} | {(c, lv) for c in BU3DFE_CODES.values() for lv in (1, 2, 3, 4)}
    assert len(races) == 1 and races <= set(RACE_CODES)


def test_subject_ids_count_females_and_males_separately():
    cfg = load_config("bu3dfe")
    plans = plan_subjects("bu3dfe", cfg, 12, seed=0)
    for sex in "FM":
        codes = [p.code for p in plans if p.sex == sex]
        assert codes == [f"{sex}{i:04d}" for i in range(1, len(codes) + 1)]
    assert {p.sex for p in plans} == {"F", "M"}
    assert [p.code for p in plan_subjects("bosphorus", load_config("bosphorus"), 3, 0)] == ["bs000", "bs001", "bs002"]
    assert [p.code for p in plan_subjects("4dme", load_config("4dme"), 2, 0)] == ["S001", "S002"]
    plans4 = plan_subjects("bu4dfe", load_config("bu4dfe"), 3, 0)
    assert all(re.fullmatch(r"[FM]00\d", p.code) for p in plans4)


def test_bu4dfe_layout(generated):
    out, result = generated("bu4dfe")
    subject = result.items[0].subject
    assert re.fullmatch(r"[FM]001", subject)
    frames = [f"{t:03d}.obj" for t in range(5)]
    expected = sorted([f"{subject}/{BU4DFE_FOLDERS[e]}/{fr}" for e in EXPRESSIONS for fr in frames] + [INFO_FILE])
    assert _files(out) == expected
    assert {BU4DFE_FOLDERS[e] for e in EXPRESSIONS} == {"Angry", "Disgust", "Fear", "Happy", "Sad", "Surprise"}
    assert result.n_files == 6 * 5


def test_bp4d_layout(generated):
    out, result = generated("bp4d")
    subject = result.items[0].subject
    frames = [f"{t:03d}.obj" for t in range(3)]
    expected = sorted([f"{subject}/T{k}/{fr}" for k in range(1, 9) for fr in frames] + [INFO_FILE])
    assert _files(out) == expected


def test_4dme_layout_and_manifest(generated):
    out, result = generated("4dme")
    files = _files(out)
    assert ME4D_MANIFEST in files and INFO_FILE in files
    clips = sorted({f.rsplit("/", 1)[0] for f in files if f.endswith(".obj")})
    assert clips == [f"S001/EP{k:02d}" for k in range(1, 6)]
    with open(out / ME4D_MANIFEST, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5
    for row in rows:
        assert row["label"] in MICRO_CLASSES
        assert row["kind"] == "4d" and int(row["n_frames"]) == 7
        assert 0 <= int(row["onset"]) <= int(row["apex"]) <= int(row["offset"]) < 7
        assert row["subject"] == "S001"


def test_bosphorus_layout(generated):
    out, result = generated("bosphorus")
    expected = sorted(["bs000/bs000_N_N_0.bnt"] + [f"bs000/bs000_E_{c}_0.bnt" for c in BOSPHORUS_CODES.values()]
                      + [INFO_FILE])
    assert _files(out) == expected
    assert "bs000/bs000_E_HAPPY_0.bnt" in expected


# ------------------------------------------------------------------------------------------ readers


@pytest.mark.parametrize("generator", ["bu3dfe", "bu4dfe", "bp4d", "bosphorus"])
def test_indexer_reads_every_file(generated, generator):
    out, result = generated(generator)
    index = index_dataset(out, generator)
    assert index.skipped == ()
    assert len(index.rows) == len(result.items)
    truth = {(str((out / it.path).resolve()), it.subject, it.label) for it in result.items}
    got = {(str(Path(r.path).resolve()), r.subject, r.label) for r in index.rows}
    if generator == "bp4d":  # BP4D rows are labelled by task; compare the paths and subjects only
        truth = {t[:2] for t in truth}
        got = {g[:2] for g in got}
    assert got == truth


def test_4dme_manifest_indexes_as_csv(generated):
    out, result = generated("4dme")
    index = index_dataset(out / ME4D_MANIFEST, "csv")
    assert index.skipped == () and len(index.rows) == 5
    assert sorted((Path(r.path).resolve(), r.label) for r in index.rows) == sorted(
        ((out / it.path).resolve(), it.label) for it in result.items)


@pytest.mark.parametrize("generator", ["bu3dfe", "bosphorus"])
def test_static_scans_load_and_render(generated, generator):
    out, result = generated(generator)
    for item in result.items:
        scan = load(out / item.path)
        assert scan.vertices.shape[1] == 3 and len(scan.vertices) > 1000
        assert np.isfinite(scan.vertices).all()
    img = render_views(load(out / result.items[-1].path), yaws=(-30, 0, 30), size=48)
    assert img.shape == (3, 48, 48, 3)
    fg = img[..., 1] > 0
    assert fg.mean(axis=(1, 2)).min() > 0.2


@pytest.mark.parametrize("generator", ["bu4dfe", "bp4d", "4dme"])
def test_sequences_load_and_render(generated, generator):
    out, result = generated(generator)
    item = result.items[0]
    frames = load_sequence(out / item.path)
    assert len(frames) == item.n_frames
    assert all(f.faces is not None and len(f.faces) > 1000 for f in frames)
    img = render_views(frames[len(frames) // 2], yaws=(0,), size=48)
    assert (img[0, ..., 1] > 0).mean() > 0.2


def test_renderer_sees_the_expression(generated):
    out, result = generated("bu3dfe")
    subject = result.items[0].subject
    by_code = {Path(it.path).name.split("_")[1][:4]: out / it.path for it in result.items}
    neutral, surprise = (render_views(load(by_code[c]), yaws=(0,), size=64)[0] for c in ("NE00", "SU04"))
    assert np.abs(neutral.astype(int) - surprise.astype(int)).mean() > 1.0, subject


# ------------------------------------------------------------------------------------------ expressions


@pytest.fixture(scope="module")
def clean_bu3dfe(sfm_model, tmp_path_factory):
    """A 1-subject BU-3DFE set without capture artefacts: scan vertices correspond to model vertices."""
    out = tmp_path_factory.mktemp("clean") / "bu3dfe"
    result = generate(RunConfig("bu3dfe", 1, out, seed=11), load_config("bu3dfe", None, CLEAN), sfm_model)
    return {Path(it.path).name.split("_")[1][:4]: load(out / it.path).vertices.astype(np.float64)
            for it in result.items}


def _near(mean: np.ndarray, vertices: list[int], radius: float) -> np.ndarray:
    d = np.linalg.norm(mean[:, None, :] - mean[vertices][None, :, :], axis=2).min(axis=1)
    return d < radius


def _face(mean: np.ndarray) -> np.ndarray:
    return np.isin(np.arange(len(mean)), face_regions(mean).frontal)


def test_happiness_moves_the_mouth_corners_and_cheeks(clean_bu3dfe, sfm_model):
    lm = _ibug_vertices()
    mean = sfm_model.mean
    face = _face(mean)
    corners = _near(mean, [lm[49], lm[55]], 25.0) & face  # mouth corners and the cheeks beside them
    disp = np.linalg.norm(clean_bu3dfe["HA04"] - clean_bu3dfe["NE00"], axis=1)
    assert clean_bu3dfe["HA04"].shape == (N_VERTICES, 3)
    assert disp[corners].mean() > 2.0 * disp[face & ~corners].mean()
    # the corners go up and outwards (a smile), by millimetres
    d = clean_bu3dfe["HA04"] - clean_bu3dfe["NE00"]
    assert d[lm[49], 1] > 1.0 and d[lm[55], 1] > 1.0
    assert d[lm[55], 0] - d[lm[49], 0] > 1.0


def test_surprise_raises_the_brows_and_drops_the_jaw(clean_bu3dfe, sfm_model):
    lm = _ibug_vertices()
    mean = sfm_model.mean
    face = _face(mean)
    brows = _near(mean, [lm[k] for k in range(18, 28)], 12.0) & face
    jaw = _near(mean, [lm[9], lm[57], lm[58], lm[59]], 25.0) & face
    d = clean_bu3dfe["SU04"] - clean_bu3dfe["NE00"]
    disp = np.linalg.norm(d, axis=1)
    assert disp[jaw].mean() > 2.0 * disp[face & ~jaw & ~brows].mean()
    assert d[lm[9], 1] < -5.0  # the chin drops
    brow_up = d[brows, 1].mean()
    happy_brow_up = (clean_bu3dfe["HA04"] - clean_bu3dfe["NE00"])[brows, 1].mean()
    assert brow_up > 1.5 and brow_up > 2.0 * happy_brow_up


def test_intensity_levels_grow(clean_bu3dfe):
    rms = [np.sqrt(((clean_bu3dfe[f"HA0{k}"] - clean_bu3dfe["NE00"]) ** 2).sum(axis=1).mean()) for k in (1, 2, 3, 4)]
    assert rms == sorted(rms) and rms[3] > 2.5 * rms[0]


# ------------------------------------------------------------------------------------------ micro-expressions


def _frame_displacements(folder: Path) -> np.ndarray:
    """(T,) largest vertex displacement of each frame from frame 0 (clean, motionless sequences)."""
    frames = [f.vertices.astype(np.float64) for f in load_sequence(folder)]
    return np.array([np.linalg.norm(f - frames[0], axis=1).max() for f in frames])


def test_micro_expressions_are_brief_and_weaker_than_posed_apexes(sfm_model, tmp_path):
    me = generate(RunConfig("4dme", 1, tmp_path / "4dme", seed=2),
                  load_config("4dme", None, {**CLEAN, **STILL, "frames": 12, "clips_per_subject": 3}), sfm_model)
    bu = generate(RunConfig("bu4dfe", 1, tmp_path / "bu4dfe", seed=2),
                  load_config("bu4dfe", None, {**CLEAN, **STILL, "frames": 8,
                                               "expressions": ["happiness", "surprise"]}), sfm_model)
    micro_peaks = []
    for item in me.items:
        info = dict(item.info)
        onset, offset = int(info["onset"]), int(info["offset"])
        disp = _frame_displacements(tmp_path / "4dme" / item.path)
        active = np.flatnonzero(disp > 0.05)
        assert len(active) > 0, item
        assert active.min() >= onset and active.max() <= offset  # nothing moves outside the annotation
        limit = 8 if item.label != "repression" else 8 + 2 + 4  # a repression's masking smile outlasts it
        assert offset - onset + 1 <= limit
        micro_peaks.append(disp.max())
    macro_peaks = [_frame_displacements(tmp_path / "bu4dfe" / it.path).max() for it in bu.items]
    assert max(micro_peaks) < min(macro_peaks)
    assert np.median(micro_peaks) < 0.5 * np.median(macro_peaks)


@pytest.mark.parametrize("label", MICRO_CLASSES)
def test_micro_clip_classes(sfm_model, label):
    cfg = load_config("4dme")
    regions = face_regions(sfm_model.mean)
    population = make_population(cfg.identity, sfm_model.n_components)
    subject = make_subject(sfm_model, cfg.identity, cfg.style, population, "S001", "F", "AE", rng_for(0, 9))
    for k in range(5):
        weights, rprofile, regional, info = micro_clip(cfg, label, subject, regions, rng_for(1, k, 7))
        assert weights.shape == (cfg.frames, len(EXPRESSIONS))
        onset, apex, offset = int(info["onset"]), int(info["apex"]), int(info["offset"])
        assert 0 < onset <= apex <= offset < cfg.frames - 1
        total = np.abs(weights).sum(axis=1) + (0 if rprofile is None else np.abs(rprofile))
        assert np.all(total[:onset] == 0) and np.all(total[offset + 1:] == 0)
        assert weights.max() <= cfg.intensity[1] * max(1.0, cfg.mask_ratio[1]) + 1e-9
        used = set(np.flatnonzero(np.abs(weights).max(axis=0) > 0))
        if label == "positive":
            assert used == {EXPRESSIONS.index("happiness")} and info["emotion"] == "happiness"
        elif label == "surprise":
            assert used == {EXPRESSIONS.index("surprise")}
        elif label == "negative":
            assert len(used) == 1 and EXPRESSIONS[used.pop()] in cfg.negative_expressions
        elif label == "repression":
            assert EXPRESSIONS.index("happiness") in used and len(used) == 2
            smile = weights[:, EXPRESSIONS.index("happiness")]
            negative = weights[:, [i for i in used if EXPRESSIONS[i] != "happiness"][0]]
            assert np.flatnonzero(smile)[-1] >= np.flatnonzero(negative)[-1]
        else:  # others: a regional one-sided movement, no prototype blendshape weight
            assert rprofile is not None and regional is not None
            assert regional.shape == (N_VERTICES, 3)
            size = np.linalg.norm(regional, axis=1)
            moved = np.flatnonzero(size > 1e-9)
            assert set(moved) <= set(regions.brows)  # the default: a brow movement
            assert info["emotion"].split(" ")[0] in cfg.others_expressions
            x = subject.neutral[:, 0] - subject.neutral[:, 0].mean()
            left, right = size[x > 0].sum(), size[x < 0].sum()
            assert max(left, right) > 5.0 * min(left, right)  # one side
            assert np.all(weights == 0)


def test_others_follow_their_settings(sfm_model):
    cfg = load_config("4dme", None, {"others_expressions": ["disgust"], "others_regions": ["mouth"]})
    regions = face_regions(sfm_model.mean)
    population = make_population(cfg.identity, sfm_model.n_components)
    subject = make_subject(sfm_model, cfg.identity, cfg.style, population, "S001", "F", "AE", rng_for(0, 9))
    for k in range(3):
        _, _, regional, info = micro_clip(cfg, "others", subject, regions, rng_for(1, k, 7))
        moved = np.flatnonzero(np.linalg.norm(regional, axis=1) > 1e-9)
        assert set(moved) <= set(regions.mouth) and info["emotion"].startswith("disgust (lower face")
    with pytest.raises(ValueError, match="others_regions"):
        load_config("4dme", None, {"others_regions": ["ears"]})
    with pytest.raises(ValueError, match="others_expressions"):
        load_config("4dme", None, {"others_expressions": []})
