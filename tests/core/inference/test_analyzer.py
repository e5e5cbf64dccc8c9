import warnings

import numpy as np
import pytest
import trimesh

from core.inference import Analyzer, checkpoint_render_config
from core.model import CheckpointError, ModelConfig, load_checkpoint
from core.prompts import PromptSet, default_prompt_set, save_prompt_set

from .conftest import TINY, face, make_checkpoint, sequence


@pytest.fixture(scope="module")
def analyzer(tiny_checkpoint):
    return Analyzer(tiny_checkpoint, device="cpu")


def _check(result, labels, n_views=3, size=32):
    assert list(result.probabilities) == list(labels)
    assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-6)
    assert all(0.0 <= p <= 1.0 for p in result.probabilities.values())
    assert result.top == max(result.probabilities, key=result.probabilities.get)
    assert len(result.view_weights) == n_views and sum(result.view_weights) == pytest.approx(1.0, abs=1e-6)
    assert result.views.shape == (n_views, size, size, 3) and result.views.dtype == np.uint8
    assert result.embedding.shape == (TINY.embed_dim,) and np.isfinite(result.embedding).all()


def test_scan(analyzer):
    assert analyzer.device.type == "cpu"
    result = analyzer.analyze(face(0.1))
    _check(result, default_prompt_set().labels)
    assert result.source == "face(bump=0.1)"
    assert result.views.any()


def test_sequence_of_scans_uses_dynamic_images(analyzer):
    frames = sequence(4)
    result = analyzer.analyze(frames)
    _check(result, default_prompt_set().labels)
    static = analyzer.analyze(frames[-1])
    assert not np.array_equal(result.views, static.views)
    single = analyzer.analyze(frames[:1])
    assert np.array_equal(single.views, analyzer.analyze(frames[0]).views)


def test_files_folders_and_npz(analyzer, tmp_path):
    mesh = face(0.1)
    trimesh.Trimesh(mesh.vertices, mesh.faces, process=False).export(tmp_path / "scan.obj")
    result = analyzer.analyze(tmp_path / "scan.obj")
    _check(result, analyzer.labels)
    assert result.source == str(tmp_path / "scan.obj")
    folder = tmp_path / "seq"
    folder.mkdir()
    frames = sequence(3)
    for i, f in enumerate(frames):
        trimesh.Trimesh(f.vertices, f.faces, process=False).export(folder / f"{i:03d}.obj")
    _check(analyzer.analyze(folder), analyzer.labels)
    np.savez(tmp_path / "seq.npz", vertices=np.stack([f.vertices for f in frames]), faces=frames[0].faces)
    from_npz = analyzer.analyze(str(tmp_path / "seq.npz"))
    assert np.array_equal(from_npz.views, analyzer.analyze(folder).views)


def test_bad_inputs(analyzer, tmp_path):
    with pytest.raises(ValueError, match="gone.obj"):
        analyzer.analyze(tmp_path / "gone.obj")
    with pytest.raises(ValueError, match="cannot analyse"):
        analyzer.analyze(42)
    with pytest.raises(ValueError, match="not a Scan"):
        analyzer.analyze([face(), "x"])
    with pytest.raises(ValueError, match="uint8"):
        analyzer.analyze_views(np.zeros((3, 32, 32, 3), np.float32))


def test_set_prompts_after_one_edit_encodes_exactly_one_string(tiny_checkpoint):
    analyzer = Analyzer(tiny_checkpoint, device="cpu")
    ps = default_prompt_set()
    edited = ps.with_class("happiness", ("a grinning face",) + ps.classes["happiness"][1:])
    before = analyzer.text.misses
    assert analyzer.set_prompts(edited) == 1
    assert analyzer.text.misses - before == 1 and analyzer.text.last_encoded == ["a grinning face"]
    assert analyzer.set_prompts(ps) == 0  # going back costs nothing
    smaller = PromptSet("two", {"happy": ["a person smiling happily"], "sad": ["a person looking down sadly"]})
    assert analyzer.set_prompts(smaller) == 0
    result = analyzer.analyze(face())
    _check(result, ("happy", "sad"))


def test_class_score_is_cosine_to_mean_of_normalised_prompt_embeddings(tiny_checkpoint):
    import torch
    import torch.nn.functional as F

    analyzer = Analyzer(tiny_checkpoint, prompts=PromptSet("p", {"a": ["x one", "x two"], "b": ["y"]}), device="cpu")
    result = analyzer.analyze(face())
    feats = analyzer.text.encode(["x one", "x two", "y"])
    with torch.no_grad():
        e = F.normalize(analyzer.model.project_text(feats), dim=-1)
    m = torch.stack([e[:2].mean(0), e[2]])
    z = torch.from_numpy(result.embedding)
    cos = F.cosine_similarity(z[None], m)
    assert result.similarities["a"] == pytest.approx(cos[0].item(), abs=1e-5)
    probs = torch.softmax(cos / 0.07, dim=0)
    assert result.probabilities["b"] == pytest.approx(probs[1].item(), abs=1e-5)


def test_prompts_from_argument_file_and_checkpoint_config(tmp_path):
    path = make_checkpoint(tmp_path / "micro.ckpt", config={"prompt_set": "micro_expressions"})
    assert Analyzer(path, device="cpu").labels[0] == "positive"
    custom = PromptSet("c", {"yes": ["a face"], "no": ["a car"]})
    save_prompt_set(custom, tmp_path / "c.json")
    assert Analyzer(path, prompts=tmp_path / "c.json", device="cpu").labels == ("yes", "no")
    path2 = make_checkpoint(tmp_path / "file.ckpt", config={"prompt_set": str(tmp_path / "c.json")})
    assert Analyzer(path2, device="cpu").prompt_set == custom
    path3 = make_checkpoint(tmp_path / "moved.ckpt", config={"prompt_set": str(tmp_path / "gone.json")})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert Analyzer(path3, device="cpu").labels == default_prompt_set().labels
    assert any("gone.json" in str(w.message) for w in caught)


def test_temperature_and_render_settings_come_from_the_checkpoint(tmp_path):
    hot = make_checkpoint(tmp_path / "hot.ckpt", config={"loss": {"tau": 100.0}, "render": {"pitch": 10.0}})
    a = Analyzer(hot, device="cpu")
    assert a.tau == 100.0 and a.render_config.pitch == 10.0 and a.render_config.size == 32
    probs = list(a.analyze(face()).probabilities.values())
    assert max(probs) - min(probs) < 0.01  # a very high temperature flattens the softmax
    five = ModelConfig(**{**TINY.to_dict(), "n_views": 5})
    ck = load_checkpoint(make_checkpoint(tmp_path / "five.ckpt", config={}, model_config=five))
    assert checkpoint_render_config(ck).yaws == (-30.0, -15.0, 0.0, 15.0, 30.0)
    bad = make_checkpoint(tmp_path / "bad.ckpt", config={"render": {"yaws": [0, 10]}})
    with pytest.raises(CheckpointError, match="contradict"):
        Analyzer(bad, device="cpu")
    bad_tau = make_checkpoint(tmp_path / "tau.ckpt", config={"loss": {"tau": -1}})
    with pytest.raises(CheckpointError, match="tau"):
        Analyzer(bad_tau, device="cpu")


def test_bad_checkpoints(tmp_path):
    (tmp_path / "junk.ckpt").write_bytes(b"junk" * 100)
    with pytest.raises(CheckpointError, match="junk.ckpt"):
        Analyzer(tmp_path / "junk.ckpt", device="cpu")
    wrong = make_checkpoint(tmp_path / "wrong.ckpt", text_dim=512)
    with pytest.raises(CheckpointError, match="512-d features but text encoder 'minilm' gives 384-d"):
        Analyzer(wrong, device="cpu")


def test_checkpoints_without_canonical_settings_keep_the_bounding_box_framing(tiny_checkpoint, tmp_path):
    from core.scans.canonical import CanonicalSettings

    legacy = Analyzer(tiny_checkpoint, device="cpu")
    assert legacy.render_config.canonical == CanonicalSettings.default().replace(orientation="none")
    result = legacy.analyze(face(0.1))
    assert result.face is None and result.to_dict()["face"] is None
    # extra["render"] (the full RenderConfig dict pretraining stores) decides when present
    from core.render import RenderConfig

    full = RenderConfig(size=32, n_frames=4, canonical={"orientation": "y-up"}).to_dict()
    ck = load_checkpoint(make_checkpoint(tmp_path / "full.ckpt"))
    ck.extra["render"] = full
    assert checkpoint_render_config(ck).canonical.orientation == "y-up"
    old_full = {k: v for k, v in full.items() if k != "canonical"}
    ck.extra["render"] = old_full
    assert checkpoint_render_config(ck).canonical.orientation == "none"


def test_face_flag_of_a_face_and_of_a_sphere(canonical_checkpoint):
    from .conftest import ict_scan, sphere_scan

    analyzer = Analyzer(canonical_checkpoint, device="cpu")
    assert analyzer.render_config.canonical.orientation == "auto" and analyzer.render_config.canonical.crop
    good = analyzer.analyze(ict_scan())
    _check(good, analyzer.labels)
    assert good.face is not None and good.face.ok and good.face.residual_mm < 3.0
    assert good.to_dict()["face"] == {"ok": True, "residual_mm": round(good.face.residual_mm, 3), "reason": ""}
    bad = analyzer.analyze(sphere_scan())
    assert not bad.face.ok and bad.to_dict()["face"]["reason"].startswith("no face found")
    views, source, flag = analyzer.render_with_face(sphere_scan())
    assert np.array_equal(views, bad.views) and source == "sphere" and flag == bad.face
    assert analyzer.analyze_views(views).face is None


def test_canonical_settings_can_be_overridden(tiny_checkpoint, canonical_checkpoint):
    from core.scans.canonical import CanonicalSettings

    preset = Analyzer(tiny_checkpoint, device="cpu", canonical={"orientation": "y-up"})
    assert preset.render_config.canonical.orientation == "y-up"
    still_none = Analyzer(tiny_checkpoint, device="cpu", canonical={"crop": False, "orientation": None})
    assert still_none.render_config.canonical.orientation == "none" and not still_none.render_config.canonical.crop
    settings = CanonicalSettings.default().replace(orientation="z-up", radius_mm=80.0)
    assert Analyzer(canonical_checkpoint, device="cpu", canonical=settings).render_config.canonical == settings
    with pytest.raises(ValueError, match="unknown orientation"):
        Analyzer(canonical_checkpoint, device="cpu", canonical={"orientation": "sideways"})
