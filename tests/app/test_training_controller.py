"""app.controllers.training: folders, command lines, the incremental log reader (partial lines), the run state,
past-run listing and the QProcess wrappers (driven by small stand-in processes that write a log like pretrain)."""

import argparse
import json
import sys
import textwrap
from pathlib import Path

import pytest

from app.controllers import training as tr
from app.controllers.training import LogTail, ProcessJob, RunState, TrainingJob, TrainingOptions


def _line(event, **fields):
    return json.dumps({"event": event, "time": fields.pop("time", 100.0), **fields}) + "\n"


# ------------------------------------------------------------------------------------------------ folders, commands
def test_data_dir_env_and_fresh_run_dirs(tmp_path, monkeypatch):
    monkeypatch.setenv(tr.ENV_DATA_DIR, str(tmp_path / "data"))
    assert tr.data_dir() == tmp_path / "data" and tr.runs_dir() == tmp_path / "data" / "runs"
    assert tr.cache_dir() == tmp_path / "data" / "cache"
    a = tr.new_run_dir(now=1_700_000_000)
    b = tr.new_run_dir(now=1_700_000_000)
    assert a.is_dir() and b.is_dir() and a != b
    assert a.parent == tr.runs_dir() and b.name == f"{a.name}-2"
    monkeypatch.delenv(tr.ENV_DATA_DIR)
    assert "smile-vlm" in str(tr.data_dir())


def test_cli_command_default_and_override(monkeypatch):
    monkeypatch.delenv(tr.ENV_CLI, raising=False)
    assert tr.cli_command() == [sys.executable, "-m", "core"]
    monkeypatch.setenv(tr.ENV_CLI, "'/opt/smile vlm/bin/smile-vlm' --quiet")
    assert tr.cli_command() == ["/opt/smile vlm/bin/smile-vlm", "--quiet"]


def test_options_defaults_follow_the_resources():
    from core.train.pretrain_config import default_settings

    s = default_settings()
    d = TrainingOptions.defaults()
    assert (d.epochs, d.batch_size, d.lr, d.prompts) == (s["epochs"], s["batch_size"], s["lr"], s["prompts"])
    assert (d.tau, d.backbone, d.n_views) == (s["loss"]["tau"], s["model"]["backbone"], s["model"]["n_views"])


def test_cli_args_parse_back_to_the_same_config(tmp_path, monkeypatch):
    monkeypatch.delenv(tr.ENV_CLI, raising=False)
    from core.cli import pretrain_cmd
    from core.train.pretrain_config import load_pretrain_config

    manifest = tmp_path / "m.csv"
    manifest.write_text("path,subject,label\n")
    opts = TrainingOptions(data=str(manifest), epochs=3, batch_size=6, lr=3e-4, alpha=0.5, beta=0.25, gamma=2.0,
                           lambd_bt=0.01, lambd_rm=0.02, tau=0.1, embed_dim=24, backbone="resnet18",
                           text_encoder="minilm", n_views=5, image_size=48, prompts="metadata",
                           prompt_set="micro_expressions", device="cpu", num_workers=0, seed=7)
    parser = argparse.ArgumentParser()
    pretrain_cmd.register(parser.add_subparsers(dest="command"))
    command = tr.pretrain_command(opts, tmp_path / "run", cache=tmp_path / "cache")
    assert command[:4] == tr.cli_command() + ["pretrain"]
    args = parser.parse_args(command[3:])
    assert Path(args.out) == tmp_path / "run" and Path(args.cache) == tmp_path / "cache" and args.progress is False
    config = load_pretrain_config(None, pretrain_cmd.overrides_from_args(args))
    assert config.data == str(manifest) and config.epochs == 3 and config.batch_size == 6 and config.lr == 3e-4
    assert (config.loss.alpha, config.loss.beta, config.loss.gamma) == (0.5, 0.25, 2.0)
    assert (config.loss.lambd_bt, config.loss.lambd_rm, config.loss.tau) == (0.01, 0.02, 0.1)
    m = config.model
    assert (m.embed_dim, m.backbone, m.text_encoder, m.n_views, m.image_size) == (24, "resnet18", "minilm", 5, 48)
    assert (config.prompt_set, config.device, config.num_workers, config.seed) == ("micro_expressions", "cpu", 0, 7)
    assert config.supervision == "category-prompts"
    opts.check()  # valid

    resume = tr.resume_command(tmp_path / "run", cache=tmp_path / "cache")
    args = parser.parse_args(resume[3:])
    assert args.resume and Path(args.out) == tmp_path / "run" and args.data is None and args.epochs is None


def test_option_checks_give_clear_messages(tmp_path):
    with pytest.raises(ValueError, match="choose a manifest"):
        TrainingOptions().check()
    with pytest.raises(ValueError, match="manifest file not found"):
        TrainingOptions(data=str(tmp_path / "none.csv")).check()
    manifest = tmp_path / "m.csv"
    manifest.write_text("x")
    with pytest.raises(ValueError, match="backbone"):
        TrainingOptions(data=str(manifest), backbone="vgg99").check()
    with pytest.raises(ValueError, match="batch_size"):
        TrainingOptions(data=str(manifest), batch_size=1).check()
    none = TrainingOptions(data=str(manifest), prompts="none", prompt_set="x")
    assert "--prompt-set" not in none.cli_args() and "none" in none.cli_args()


def test_synth_plans(tmp_path, monkeypatch):
    monkeypatch.delenv(tr.ENV_CLI, raising=False)
    plan = tr.synth_plan("bu3dfe", 3, root=tmp_path)
    assert plan.out == tmp_path / "bu3dfe-3" and plan.manifest == plan.out / "manifest.csv"
    assert [c[3:] for c in plan.commands] == [
        ("synth", "bu3dfe", "--subjects", "3", "--out", str(plan.out)),
        ("index", str(plan.out), "--format", "bu3dfe", "--out", str(plan.manifest)),
    ]
    demo = tr.synth_plan("demo", 2, root=tmp_path)
    assert [c[3:] for c in demo.commands] == [("synth", "demo", "--out", str(tmp_path / "demo"))]
    assert demo.manifest == tmp_path / "demo" / "demo.csv"
    me = tr.synth_plan("4dme", 2, root=tmp_path)
    assert me.commands[1][3:] == ("index", str(me.out / "4dme.csv"), "--format", "csv", "--out", str(me.manifest))
    heads = tr.synth_plan("heads", 2, root=tmp_path)
    assert heads.commands[0][-4:] == ("--subjects", "2", "--out", str(heads.out))
    assert heads.commands[1][3:] == ("index", str(heads.out / "heads.csv"), "--format", "csv", "--out",
                                     str(heads.manifest))
    (tmp_path / "bu3dfe-3").mkdir()
    (tmp_path / "bu3dfe-3" / "partial.wrl").write_text("")  # an earlier generation that did not finish
    assert tr.synth_plan("bu3dfe", 3, root=tmp_path).out == tmp_path / "bu3dfe-3-2"
    (tmp_path / "bu3dfe-3" / "manifest.csv").write_text("")
    assert tr.synth_plan("bu3dfe", 3, root=tmp_path).out == tmp_path / "bu3dfe-3"  # a finished one is reused
    with pytest.raises(ValueError, match="unknown synthetic preset"):
        tr.synth_plan("ck+", 1, root=tmp_path)
    with pytest.raises(ValueError, match="subjects"):
        tr.synth_plan("demo", 0, root=tmp_path)


# ------------------------------------------------------------------------------------------------ log tail
def test_log_tail_handles_partial_lines(tmp_path):
    path = tmp_path / "log.jsonl"
    tail = LogTail(path)
    assert tail.poll() == []  # not created yet
    full = _line("step", step=1, loss=2.0)
    with open(path, "w") as fh:
        fh.write(_line("start", steps_per_epoch=2) + full[:10])
    assert [e["event"] for e in tail.poll()] == ["start"]
    assert tail.pending == full[:10].encode()
    with open(path, "a") as fh:
        fh.write(full[10:-1])
    assert tail.poll() == []  # still no newline
    with open(path, "a") as fh:
        fh.write("\n" + "not json\n" + '["no", "event"]\n' + _line("step", step=2, loss="bad")[:-1])
    events = tail.poll()
    assert [e.get("step") for e in events] == [1]
    assert tail.bad_lines == 2
    assert [e["step"] for e in tail.flush()] == [2]  # a complete last line without its newline


def test_log_tail_reads_in_chunks_and_restarts_on_a_new_file(tmp_path):
    path = tmp_path / "log.jsonl"
    path.write_text("".join(_line("step", step=i, loss=1.0) for i in range(1, 201)))
    tail = LogTail(path, max_bytes=1000)
    steps = []
    while True:
        events = tail.poll()
        steps += [e["step"] for e in events]
        if not tail.behind:
            break
    assert steps == list(range(1, 201))
    path.write_text(_line("start"))  # replaced by a shorter file (a fresh run)
    assert [e["event"] for e in tail.poll()] == ["start"] and tail.restarts == 1


# ------------------------------------------------------------------------------------------------ run state
def _events(*lines):
    return [json.loads(line) for line in lines]


def test_run_state_curves_progress_eta_and_resume():
    state = RunState()
    state.feed(_events(
        _line("start", config={"epochs": 2}, supervision="none", steps_per_epoch=3, n_samples=12, time=0.0),
        *[_line("step", epoch=(s - 1) // 3, step=s, loss=10.0 / s, mv_bt=10.0 / s, samples_per_s=4.0, time=2.0 * s)
          for s in range(1, 5)],
    ))
    assert state.status == "running" and state.total_steps == 6 and state.step == 4 and state.epoch == 1
    assert state.series["loss"][0] == [1, 2, 3, 4] and state.points("vl_align") == 0
    assert state.progress == pytest.approx(4 / 6)
    assert state.eta_seconds() == pytest.approx(2 * 2.0)  # 2 steps left at 2 s per step
    assert state.samples_per_s() == 4.0
    state.feed(_events(_line("checkpoint", path="/r/last.ckpt", epoch=1, step=4),
                       _line("stopped", message="stopped by SIGTERM", epoch=1, step=4)))
    assert state.status == "stopped" and state.checkpoint == "/r/last.ckpt" and state.eta_seconds() is None
    # a resume from step 3 repeats step 4: the later value wins
    state.feed(_events(_line("start", config={"epochs": 2}, steps_per_epoch=3, resumed_from={"step": 3}),
                       _line("step", epoch=1, step=4, loss=0.5), _line("step", epoch=1, step=5, loss=0.4)))
    assert state.series["loss"] == ([1, 2, 3, 4, 5], [10.0, 5.0, 10.0 / 3, 0.5, 0.4])
    state.feed(_events(_line("warning", message="w"), _line("error", message="boom")))
    assert state.status == "error" and state.message == "boom" and state.warnings == ["w"]
    assert tr.format_duration(None) == "–" and tr.format_duration(75) == "1m 15s"


# ------------------------------------------------------------------------------------------------ past runs
def _run_folder(root, name, lines, config=None, ckpt=False, output=None):
    folder = root / name
    folder.mkdir(parents=True)
    if config is not None:
        (folder / "config.json").write_text(json.dumps(config))
    if lines is not None:
        (folder / "log.jsonl").write_text("".join(lines))
    if ckpt:
        (folder / "last.ckpt").write_bytes(b"x")
    if output is not None:
        (folder / tr.OUTPUT_NAME).write_text(output)
    return folder


def test_scan_runs_reports_status_config_and_resumability(tmp_path):
    cfg = {"epochs": 4, "batch_size": 8, "supervision": "none", "model": {"backbone": "smallcnn", "n_views": 3,
                                                                           "image_size": 32}}
    start = _line("start", config=cfg)
    _run_folder(tmp_path, "20240101-000001", [start, _line("step", epoch=0, step=1, loss=3.0),
                                              _line("epoch_end", epoch=0, step=1), _line("done", message="ok")],
                cfg, ckpt=True)
    _run_folder(tmp_path, "20240101-000002", [start, _line("step", epoch=0, step=2, loss=2.5),
                                              _line("stopped", message="by SIGTERM")], cfg, ckpt=True)
    _run_folder(tmp_path, "20240101-000003", [start, _line("error", message="out of memory")], cfg)
    _run_folder(tmp_path, "20240101-000004", [start, _line("step", epoch=0, step=1, loss=1.0)], cfg, ckpt=True)
    _run_folder(tmp_path, "20240101-000005", None, output="usage: smile-vlm pretrain: unrecognized arguments")
    _run_folder(tmp_path, "20240101-000006", None)
    (tmp_path / "20240101-000007").mkdir()
    (tmp_path / "20240101-000007" / "config.json").write_text("{broken")
    records = {r.name: r for r in tr.scan_runs(tmp_path)}
    assert [r.name for r in tr.scan_runs(tmp_path)][0] == "20240101-000007"  # newest first
    done = records["20240101-000001"]
    assert (done.status, done.epoch, done.step, done.loss, done.epochs) == ("done", 1, 1, 3.0, 4)
    assert not done.resumable and done.checkpoint is not None
    assert "smallcnn" in done.summary() and "supervision none" in done.summary()
    assert records["20240101-000002"].status == "stopped" and records["20240101-000002"].resumable
    err = records["20240101-000003"]
    assert err.status == "error" and err.message == "out of memory" and not err.resumable
    assert records["20240101-000004"].status == "unfinished" and records["20240101-000004"].resumable
    assert records["20240101-000005"].status == "failed"
    assert "unrecognized" in tr.read_output_tail(tmp_path / "20240101-000005")
    assert records["20240101-000006"].status == "empty"
    assert "unreadable" in records["20240101-000007"].message
    assert tr.scan_runs(tmp_path / "nothing") == []


# ------------------------------------------------------------------------------------------------ processes
FAKE_TRAINER = textwrap.dedent(
    """
    import json, signal, sys, time
    run, mode = sys.argv[1], sys.argv[2]
    log = open(run + "/log.jsonl", "a")
    def write(event, **f):
        log.write(json.dumps({"event": event, "time": time.time(), **f}) + "\\n"); log.flush()
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    write("start", config={"epochs": 1}, steps_per_epoch=3)
    line = json.dumps({"event": "step", "time": time.time(), "step": 1, "epoch": 0, "loss": 1.5})
    log.write(line[:12]); log.flush(); time.sleep(0.3)   # a partial line for a while
    log.write(line[12:] + "\\n"); log.flush()
    print("training output line", flush=True)
    if mode == "error":
        write("error", message="the loss is not finite")
        print("smile-vlm pretrain: error: the loss is not finite", file=sys.stderr)
        sys.exit(1)
    if mode == "wait":
        while not stop:
            time.sleep(0.02)
        write("checkpoint", path=run + "/last.ckpt", epoch=0, step=1)
        write("stopped", message="stopped by SIGTERM at epoch 0, step 1")
        sys.exit(0)
    if mode == "stubborn":
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(60)
    write("step", step=2, epoch=0, loss=1.0)
    write("done", message="trained 1 epochs")
    """
)


@pytest.fixture
def fake_trainer(tmp_path):
    path = tmp_path / "fake_trainer.py"
    path.write_text(FAKE_TRAINER)
    return path


def _job(qtbot, fake_trainer, run, mode, **kw):
    run.mkdir(exist_ok=True)
    job = TrainingJob([sys.executable, str(fake_trainer), str(run), mode], run, poll_ms=20, **kw)
    updates = []
    job.updated.connect(lambda: updates.append(job.state.points()))
    return job, updates


def test_training_job_follows_the_log_to_done(qtbot, tmp_path, fake_trainer):
    job, updates = _job(qtbot, fake_trainer, tmp_path / "run", "done")
    with qtbot.waitSignal(job.finished, timeout=20_000) as blocker:
        job.start()
    assert blocker.args == ["done"] and job.status == "done" and job.report == "trained 1 epochs"
    assert job.state.series["loss"] == ([1, 2], [1.5, 1.0])
    assert updates and updates[-1] == 2
    assert "training output line" in (tmp_path / "run" / tr.OUTPUT_NAME).read_text()
    job.deleteLater()


def test_training_job_error_is_reported_with_log_and_output_tails(qtbot, tmp_path, fake_trainer):
    job, _ = _job(qtbot, fake_trainer, tmp_path / "run", "error")
    with qtbot.waitSignal(job.finished, timeout=20_000) as blocker:
        job.start()
    assert blocker.args == ["error"]
    assert job.report.startswith("Training failed: the loss is not finite")
    assert '"event": "error"' in job.report and "smile-vlm pretrain: error" in job.report
    assert tr.read_run(tmp_path / "run").status == "error"
    job.deleteLater()


def test_training_job_crash_before_any_log(qtbot, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    code = "import sys; print('smile-vlm pretrain: error: unrecognized arguments: --bogus', file=sys.stderr); sys.exit(2)"
    job = TrainingJob([sys.executable, "-c", code], run, poll_ms=20)
    with qtbot.waitSignal(job.finished, timeout=20_000) as blocker:
        job.start()
    assert blocker.args == ["error"]
    assert job.report.startswith("Training failed: unrecognized arguments: --bogus (exit status 2)")  # the CLI's words
    assert "--- end of the process output ---" in job.report
    assert tr.read_run(run).status == "failed"  # no log, the saved output tells why
    job.deleteLater()


def test_training_job_cancel_stops_cleanly_or_is_killed(qtbot, tmp_path, fake_trainer):
    job, _ = _job(qtbot, fake_trainer, tmp_path / "a", "wait")
    job.start()
    qtbot.waitUntil(lambda: job.state.points() >= 1, timeout=20_000)
    with qtbot.waitSignal(job.finished, timeout=20_000) as blocker:
        job.cancel()
    assert blocker.args == ["stopped"] and job.state.checkpoint.endswith("last.ckpt")
    assert "stopped by SIGTERM" in job.report

    job2, _ = _job(qtbot, fake_trainer, tmp_path / "b", "stubborn", kill_after_ms=300)
    job2.start()
    qtbot.waitUntil(lambda: job2.state.points() >= 1, timeout=20_000)
    qtbot.wait(100)  # let it install its SIGTERM-ignoring handler
    with qtbot.waitSignal(job2.finished, timeout=20_000) as blocker:
        job2.cancel()
    assert blocker.args == ["stopped"] and job2.process.killed  # killed after the timeout
    assert job2.report == "killed: it did not stop within 0.3 s of the stop request; it wrote no checkpoint"
    job.deleteLater()
    job2.deleteLater()


def test_process_job_chain_failure_and_missing_program(qtbot, tmp_path):
    marker = tmp_path / "second.txt"
    ok = ProcessJob([[sys.executable, "-c", "print('first')"],
                     [sys.executable, "-c", f"open({str(marker)!r}, 'w').write('x'); print('second')"]])
    with qtbot.waitSignal(ok.finished, timeout=20_000) as blocker:
        ok.start()
    assert blocker.args == [True, ""] and marker.exists() and list(ok.output_lines) == ["first", "second"]

    bad = ProcessJob([[sys.executable, "-c", "import sys; print('oops', file=sys.stderr); sys.exit(3)"],
                      [sys.executable, "-c", "print('never')"]])
    with qtbot.waitSignal(bad.finished, timeout=20_000) as blocker:
        bad.start()
    assert blocker.args[0] is False and "exited with status 3" in blocker.args[1]
    assert bad.output_text() == "oops"

    missing = ProcessJob([[str(tmp_path / "no-such-program")]])
    with qtbot.waitSignal(missing.finished, timeout=20_000) as blocker:
        missing.start()
    assert blocker.args[0] is False and "could not start" in blocker.args[1]
    with pytest.raises(ValueError):
        ProcessJob([])
    for job in (ok, bad, missing):
        job.deleteLater()


def test_process_env_is_unbuffered(qtbot):
    job = ProcessJob([[sys.executable, "-c", "import os; print(os.environ.get('PYTHONUNBUFFERED'))"]])
    with qtbot.waitSignal(job.finished, timeout=20_000):
        job.start()
    assert job.output_text() == "1"
    job.deleteLater()
