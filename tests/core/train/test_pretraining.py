"""Pretraining end to end on a tiny synthetic multi-view set (CPU, fake frozen text encoder)."""

import json

import pytest
import torch

import core.train.pretraining as pretraining
from core.datasets import ManifestRow, write_manifest
from core.model.checkpoint import load_checkpoint
from core.train import PretrainConfig, load_run, pretrain, read_log
from core.train.pretraining import _render_config

from pretrain_helpers import (
    TEXT_DIM,
    fake_build_text_encoder,
    make_dataset,
    state_digest,
    tiny_settings,
    write_height_field_obj,
)


@pytest.fixture(scope="module")
def fake_text():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pretraining, "build_text_encoder", fake_build_text_encoder)
        yield


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("synthetic"))


@pytest.fixture(scope="module")
def reference(fake_text, data, tmp_path_factory):
    """An uninterrupted 3-epoch run with language (category prompts)."""
    config = PretrainConfig.from_dict(tiny_settings(*data, epochs=3, keep_checkpoints=2))
    run_dir = tmp_path_factory.mktemp("runs") / "reference"
    summary = pretrain(config, run_dir)
    return config, run_dir, summary


def test_run_writes_log_config_and_checkpoints(reference):
    config, run_dir, summary = reference
    assert summary.status == "done" and summary.epochs_completed == 3 and summary.step == 9
    assert summary.supervision == "category-prompts" and summary.samples_per_s > 0
    events = read_log(run_dir / "log.jsonl")
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert kinds.count("step") == 9 and kinds.count("epoch_end") == 3 and kinds.count("checkpoint") == 3
    start = events[0]
    assert start["supervision"] == "category-prompts" and start["config"] == config.to_dict()
    assert start["classes"] == ["happiness", "sadness", "surprise", "anger"]  # the prompt set's order
    for e in events:
        if e["event"] == "step":
            assert set(e) >= {"epoch", "step", "loss", "mv_bt", "vl_align", "red_min", "lr", "samples_per_s", "time"}
            assert e["lr"] == config.lr
    assert [e["step"] for e in events if e["event"] == "step"] == list(range(1, 10))
    assert json.loads((run_dir / "config.json").read_text()) == config.to_dict()
    assert sorted(p.name for p in run_dir.glob("*.ckpt")) == ["epoch_002.ckpt", "epoch_003.ckpt", "last.ckpt"]
    assert [e["path"].rsplit("/", 1)[1] for e in events if e["event"] == "checkpoint"] == [
        "epoch_001.ckpt", "epoch_002.ckpt", "epoch_003.ckpt"
    ]


def test_every_loss_term_goes_down(reference):
    _, run_dir, _ = reference
    ends = [e for e in read_log(run_dir / "log.jsonl") if e["event"] == "epoch_end"]
    for term in ("loss", "mv_bt", "vl_align", "red_min"):
        assert ends[-1][term] < ends[0][term], (term, ends[0][term], ends[-1][term])


def test_checkpoint_loads_with_weights_only_and_load_run(reference):
    config, run_dir, _ = reference
    raw = torch.load(run_dir / "last.ckpt", weights_only=True)
    assert raw["epoch"] == 3 and raw["step"] == 9 and raw["config"]["supervision"] == "category-prompts"
    assert raw["extra"]["supervision"] == "category-prompts" and raw["extra"]["batch_in_epoch"] == 0
    assert set(raw["rng"]) >= {"torch", "numpy", "python"}
    assert raw["optimizer"]["state"], "Adam state is saved"
    run = load_run(run_dir)
    assert run.config == config and run.epoch == 3 and run.step == 9 and not run.model.training
    assert run.classes == ("happiness", "sadness", "surprise", "anger") and run.model.text_dim == TEXT_DIM
    assert state_digest(run.model.state_dict()) == state_digest(raw["model"])
    assert run.events[-1]["event"] == "done"
    x = torch.randint(0, 256, (2, 3, 3, 32, 32), dtype=torch.uint8)
    assert run.model.encode_views(x).shape == (3, 2, 16)
    with pytest.raises(FileNotFoundError, match="epoch_009.ckpt"):
        load_run(run_dir, "epoch_009.ckpt")


class StopAfter:
    """A stop_event that becomes set once it has been polled ``n`` times (once per step)."""

    def __init__(self, n):
        self.n, self.calls = n, 0

    def is_set(self):
        self.calls += 1
        return self.calls >= self.n


def test_stop_mid_epoch_then_resume_gives_identical_weights(reference, data, tmp_path):
    config, ref_dir, _ = reference
    run_dir = tmp_path / "interrupted"
    stopped = pretrain(config, run_dir, stop_event=StopAfter(4))
    assert stopped.status == "stopped" and stopped.step == 4 and stopped.epochs_completed == 1
    ckpt = load_checkpoint(run_dir / "last.ckpt")
    assert (ckpt.epoch, ckpt.step, ckpt.extra["batch_in_epoch"]) == (1, 4, 1)
    assert read_log(run_dir / "log.jsonl")[-1]["event"] == "stopped"

    resumed = pretrain(config, run_dir, resume=True)
    assert resumed.status == "done" and resumed.step == 9
    events = read_log(run_dir / "log.jsonl")
    restart = [e for e in events if e["event"] == "start"][-1]
    assert restart["resumed_from"]["step"] == 4
    final = load_checkpoint(run_dir / "last.ckpt").model_state
    assert state_digest(final) == state_digest(load_checkpoint(ref_dir / "last.ckpt").model_state)
    ref_steps = [e["loss"] for e in read_log(ref_dir / "log.jsonl") if e["event"] == "step"]
    assert [e["loss"] for e in events if e["event"] == "step"] == ref_steps


def test_existing_run_needs_resume_and_same_settings(reference):
    config, run_dir, _ = reference
    with pytest.raises(ValueError, match="already holds a training run.*--resume"):
        pretrain(config, run_dir)
    changed = PretrainConfig.from_dict({**config.to_dict(), "lr": 5e-4})
    with pytest.raises(ValueError, match="cannot resume with changed settings: lr"):
        pretrain(changed, run_dir, resume=True)
    done = pretrain(config, run_dir, resume=True)  # all epochs trained already
    assert done.status == "done" and done.step == 9


def test_no_language_logs_only_mv_bt(fake_text, data, tmp_path):
    config = PretrainConfig.from_dict(
        tiny_settings(*data, epochs=1, prompts="none", loss={"beta": 1.0}, checkpoint_every=2, num_workers=1)
    )
    assert config.loss.beta == 0.0 and config.supervision == "none"
    summary = pretrain(config, tmp_path / "run")
    assert summary.supervision == "none" and set(summary.losses) == {"loss", "mv_bt"}
    events = read_log(tmp_path / "run" / "log.jsonl")
    assert events[0]["supervision"] == "none" and events[0]["config"]["supervision"] == "none"
    steps = [e for e in events if e["event"] == "step"]
    assert steps and all("vl_align" not in e and "red_min" not in e and "mv_bt" in e for e in steps)
    assert all(name.startswith(("model.fusion.", "model.text_proj.")) for name in events[0]["frozen"])
    assert any(name.startswith("model.fusion.") for name in events[0]["frozen"])
    saved = [(e["path"].rsplit("/", 1)[1], e["step"]) for e in events if e["event"] == "checkpoint"]
    assert saved == [("last.ckpt", 2), ("epoch_001.ckpt", 3)]  # every 2 steps, and at the epoch's end
    ckpt = load_checkpoint(tmp_path / "run" / "last.ckpt")
    assert ckpt.extra["supervision"] == "none" and ckpt.config["supervision"] == "none"


def test_labels_missing_from_prompts_fail_before_training(fake_text, tmp_path):
    manifest, cache = make_dataset(tmp_path / "d", per_class=2, classes=("happiness", "neutral", "contempt"))
    config = PretrainConfig.from_dict(tiny_settings(manifest, cache, batch_size=2))
    with pytest.raises(ValueError, match=r"manifest.csv: labels with no prompts.*contempt \(2 samples\), neutral \(2"):
        pretrain(config, tmp_path / "run")
    assert not (tmp_path / "run").exists()
    ok = PretrainConfig.from_dict(
        tiny_settings(manifest, cache, batch_size=2, epochs=1, prompts="none")
    )  # the same data trains without language
    assert pretrain(ok, tmp_path / "run").status == "done"


def test_too_small_for_a_batch_is_a_clear_error(fake_text, data, tmp_path):
    config = PretrainConfig.from_dict(tiny_settings(*data, batch_size=64))
    with pytest.raises(ValueError, match="fewer than one batch of 64"):
        pretrain(config, tmp_path / "run")
    assert read_log(tmp_path / "run" / "log.jsonl")[-1]["event"] == "error"


def test_missing_renders_are_rendered_into_the_default_cache(fake_text, tmp_path):
    rows = []
    (tmp_path / "scans").mkdir()
    for k, smile in enumerate((0.0, 1.0)):
        for i in range(3):
            path = write_height_field_obj(tmp_path / "scans" / f"s{i}_{k}.obj", smile + 0.1 * i)
            rows.append(ManifestRow(path, f"S{i}", ("sadness", "happiness")[k], None, "3d", 1, "t", "c"))
    broken = tmp_path / "scans" / "broken.obj"
    broken.write_text("this is not a mesh\n")
    rows.append(ManifestRow(broken, "S9", "happiness", None, "3d", 1, "t", "c"))
    manifest = write_manifest(rows, tmp_path / "manifest.csv")
    settings = tiny_settings(manifest, "", epochs=1, batch_size=3, prompts="none")
    summary = pretrain(PretrainConfig.from_dict(settings), tmp_path / "runs" / "a")
    assert summary.status == "done" and summary.step == 2  # 6 usable samples, the broken one left out
    cache_dir = tmp_path / "runs" / "cache"  # RUN_DIR/../cache
    assert len(list(cache_dir.glob("*/*.npy"))) == 6
    warnings = [e for e in read_log(tmp_path / "runs" / "a" / "log.jsonl") if e["event"] == "warning"]
    assert warnings and "broken.obj" in warnings[0]["message"]


def test_render_settings_follow_the_model():
    cfg = PretrainConfig.from_dict({"model": {"n_views": 5, "image_size": 48}})
    render = _render_config(cfg)
    assert render.size == 48 and render.yaws == (-30.0, -15.0, 0.0, 15.0, 30.0)
    cfg = PretrainConfig.from_dict({"model": {"n_views": 2}, "render": {"yaws": [-20, 20], "pitch": 10}})
    assert _render_config(cfg).yaws == (-20.0, 20.0) and _render_config(cfg).pitch == 10.0
    with pytest.raises(ValueError, match="2 views but model.n_views is 3"):
        _render_config(PretrainConfig.from_dict({"render": {"yaws": [-20, 20]}}))


def test_sigterm_while_rendering_stops_cleanly(fake_text, data, tmp_path, monkeypatch):
    import os
    import signal
    import time

    from core.render import RenderCache

    def render_then_get_killed(self, rows, progress=True):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler interrupts this
        raise AssertionError("SIGTERM did not stop the rendering")

    monkeypatch.setattr(RenderCache, "render_manifest", render_then_get_killed)
    before = signal.getsignal(signal.SIGTERM)
    summary = pretrain(PretrainConfig.from_dict(tiny_settings(*data)), tmp_path / "run")
    assert summary.status == "stopped" and summary.checkpoint is None and summary.step == 0
    assert signal.getsignal(signal.SIGTERM) is before  # the handler is uninstalled
    last = read_log(tmp_path / "run" / "log.jsonl")[-1]
    assert last["event"] == "stopped" and "SIGTERM before training started" in last["message"]


def test_checkpoints_record_the_full_render_settings_with_canonical_faces(reference):
    from core.inference import checkpoint_render_config
    from core.model.checkpoint import load_checkpoint
    from core.scans.canonical import CanonicalSettings

    config, run_dir, _ = reference
    ckpt = load_checkpoint(run_dir / "last.ckpt")
    assert ckpt.extra["render"] == _render_config(config).to_dict()
    assert ckpt.extra["render"]["canonical"] == CanonicalSettings.default().to_dict()
    assert checkpoint_render_config(ckpt) == _render_config(config)  # the analyzer renders as training did


def test_render_canonical_settings_are_laid_over_the_defaults():
    from core.scans.canonical import CanonicalSettings

    assert _render_config(PretrainConfig.from_dict({})).canonical == CanonicalSettings.default()
    cfg = PretrainConfig.from_dict({"render": {"canonical": {"orientation": "y-up", "registration": {"keep": 0.7}}}})
    canonical = _render_config(cfg).canonical
    assert canonical.orientation == "y-up" and canonical.registration.keep == 0.7
    assert canonical.crop == CanonicalSettings.default().crop
    with pytest.raises(ValueError, match="unknown orientation"):
        _render_config(PretrainConfig.from_dict({"render": {"canonical": {"orientation": "sideways"}}}))


def test_steps_redone_after_a_hard_kill_are_marked(reference, tmp_path):
    """A kill after steps 4-6 were logged but before their epoch's checkpoint: the resume from the epoch-1 checkpoint
    redoes them and marks them (issue 14, item 8); the result still equals the uninterrupted run."""
    import shutil

    config, ref_dir, _ = reference
    run_dir = tmp_path / "killed"
    stopped = pretrain(config, run_dir, stop_event=StopAfter(3))  # epoch 1 done, last.ckpt at step 3
    assert stopped.step == 3
    kept = []
    for e in read_log(ref_dir / "log.jsonl"):  # the log a process killed right after step 6 leaves
        kept.append(e)
        if e["event"] == "step" and e["step"] == 6:
            break
    kept = [e for e in kept if not (e["event"] in ("epoch_end", "checkpoint") and e["step"] > 3)]
    (run_dir / "log.jsonl").write_text("".join(json.dumps(e) + "\n" for e in kept))

    resumed = pretrain(config, run_dir, resume=True)
    assert resumed.status == "done" and resumed.step == 9
    events = read_log(run_dir / "log.jsonl")
    restart = [e for e in events if e["event"] == "start"][-1]
    assert restart["redoes_steps"] == [4, 6]
    after = events[events.index(restart):]
    steps = [(e["step"], e.get("redo", False)) for e in after if e["event"] == "step"]
    assert steps == [(4, True), (5, True), (6, True), (7, False), (8, False), (9, False)]
    final = load_checkpoint(run_dir / "last.ckpt").model_state
    assert state_digest(final) == state_digest(load_checkpoint(ref_dir / "last.ckpt").model_state)
    shutil.rmtree(run_dir)


def test_sigterm_after_the_last_step_does_not_stop_a_finished_run(fake_text, data, tmp_path, monkeypatch):
    """SIGTERM while the finished run writes its model card (issue 14, item 8: exit 143 after completion)."""
    import os
    import signal

    from core.model import card

    real = card.write_run_card

    def card_then_sigterm(run_dir):
        os.kill(os.getpid(), signal.SIGTERM)
        return real(run_dir)

    monkeypatch.setattr(pretraining, "write_run_card", card_then_sigterm)
    before = signal.getsignal(signal.SIGTERM)
    summary = pretrain(PretrainConfig.from_dict(tiny_settings(*data, epochs=1)), tmp_path / "run")
    assert summary.status == "done" and (tmp_path / "run" / "last.card.json").is_file()
    assert signal.getsignal(signal.SIGTERM) is before
    assert read_log(tmp_path / "run" / "log.jsonl")[-1]["event"] == "done"
