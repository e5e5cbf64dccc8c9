"""Desktop app speed figures (prints them; no pass/fail exit status).

    xvfb-run -a -s "-screen 0 1280x1024x24" python benchmarks/bench_app.py [--data-dir DIR] [--repeats N]

(without a display the script re-runs itself under xvfb-run.) Goals from the issue:
  * open a 3D scan -> probabilities shown               <= 1 s    (model already loaded)
  * prompt edit -> refreshed probabilities               <= 150 ms (an edit in the prompt editor, its 50 ms debounce
                                                                    included, to the results panel updated)
  * Qt event loop never stalls > 100 ms while analysis runs (a 10 ms QTimer records the largest gap between ticks
    while scans, a 4D sequence and a batch are analysed)
  * start-up to a usable window                          <= 5 s    after the first run (a fresh process: window shown
                                                                    and responsive; the model loads in the background,
                                                                    its ready time is printed too)
  * first start (empty data folder) to a usable window
    with a model                                         <= 15 s   (the shipped default model; resources/models/default)
Inputs: the first-run demo (its checkpoint, BU-3DFE-layout scans and a BU-4DFE-layout sequence) when it is built in
the data folder, else stand-ins: a random-initialised checkpoint of the default architecture (resources/model.json)
and synthetic hemisphere meshes of the SFM's size (3.4 k vertices). Timings on a shared or loaded machine are higher.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

T_PROCESS = time.perf_counter()
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)




# ------------------------------------------------------------------------------------------------ inputs
def stand_in_inputs(folder: str):
    """A default-architecture random checkpoint, 3D scans and a 20-frame sequence (hemispheres, ~3.4 k vertices)."""
    import numpy as np
    import torch
    import trimesh

    from core.model import ModelConfig, SmileVLM, save_checkpoint
    from core.scans import Scan
    from core.scans.standin import stand_in_face

    def hemisphere(bump: float, n: int = 42) -> Scan:
        return stand_in_face(bump, n, radius_mm=80.0, source="stand-in")

    torch.manual_seed(0)
    cfg = ModelConfig.default()
    ckpt = save_checkpoint(os.path.join(folder, "random.ckpt"), model=SmileVLM(cfg, text_dim=384, load_weights=False),
                           model_config=cfg, epoch=0, step=0, config={"loss": {"tau": 0.07}})
    scans = []
    for i in range(6):
        s = hemisphere(0.05 * i)
        path = os.path.join(folder, f"scan{i}.obj")
        trimesh.Trimesh(s.vertices, s.faces, process=False).export(path)
        scans.append(path)
    seq = os.path.join(folder, "seq")
    os.makedirs(seq)
    for i, b in enumerate(np.linspace(0, 0.3, 20)):
        s = hemisphere(float(b))
        trimesh.Trimesh(s.vertices, s.faces, process=False).export(os.path.join(seq, f"{i:03d}.obj"))
    return str(ckpt), scans, seq, "stand-ins (random-initialised default model, synthetic meshes)"


def demo_inputs(paths):
    from core.datasets import read_manifest

    rows = read_manifest(paths.manifest)
    scans = [str(r.path) for r in rows if r.kind == "3d"][:6]
    seqs = [str(r.path) for r in rows if r.kind == "4d"]
    if not scans or not seqs:
        return None
    return str(paths.checkpoint), scans, seqs[0], f"the first-run demo in {paths.root}"


# ------------------------------------------------------------------------------------------------ start-up child
def startup_child(checkpoint: str, data_dir: str) -> int:
    """Start the app as `python -m app` does, print when the window is usable and when the model is ready.
    Without a checkpoint it is a first start: an empty data folder, the first run on, the shipped default model."""
    from app.main import configure_torch, quit_when_last_window_closes

    configure_torch()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.main_window import AppOptions, MainWindow, delayed_start

    app = QApplication(sys.argv[:1])
    quit_when_last_window_closes(app)  # as app.main does
    window = MainWindow(AppOptions(checkpoint=checkpoint, first_run=not checkpoint, data_dir=data_dir))
    marks: dict[str, float] = {}

    def usable():  # the first event-loop turn after show(): painted and taking input
        marks["usable_s"] = time.perf_counter() - T_PROCESS
        marks["usable_cpu_s"] = time.process_time()  # CPU time so far: about the wall time on an idle machine

    def ready():
        marks["model_ready_s"] = time.perf_counter() - T_PROCESS
        QTimer.singleShot(0, window.close)

    window.modelReady.connect(ready)
    window.show()
    QTimer.singleShot(0, usable)
    delayed_start(window)
    QTimer.singleShot(120_000, window.close)
    app.exec()
    print("STARTUP " + json.dumps(marks), flush=True)
    return 0


def measure_startup(checkpoint: str, data_dir: str) -> dict:
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--startup-child", "--checkpoint", checkpoint,
                          "--data-dir", data_dir], capture_output=True, text=True, timeout=300)
    spawn = time.perf_counter() - t0
    for line in out.stdout.splitlines():
        if line.startswith("STARTUP "):
            marks = json.loads(line[len("STARTUP "):])
            marks["process_s"] = spawn
            return marks
    raise RuntimeError(f"start-up child failed:\n{out.stdout}\n{out.stderr}")


# ------------------------------------------------------------------------------------------------ in-process figures
class StallMeter:
    """A 10 ms QTimer; records the largest gap between two ticks while running."""

    def __init__(self):
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.max_gap = 0.0
        self._last = None

    def _tick(self):
        now = time.perf_counter()
        if self._last is not None:
            self.max_gap = max(self.max_gap, now - self._last)
        self._last = now

    def start(self):
        self.max_gap, self._last = 0.0, None
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.max_gap



def run_benchmark(args) -> None:
    from app.main import configure_torch

    configure_torch()
    import torch
    from PySide6.QtWidgets import QApplication

    from app.main_window import AppOptions, MainWindow
    from core.firstrun import DemoPaths, data_dir

    tmp = tempfile.mkdtemp(prefix="bench_app_")
    paths = DemoPaths(data_dir(args.data_dir or None))
    inputs = demo_inputs(paths) if paths.is_ready() else None
    if inputs is None:
        inputs = stand_in_inputs(tmp)
    checkpoint, scans, sequence, what = inputs
    bench_data = os.path.join(tmp, "userdata")
    print(f"inputs: {what}")
    print(f"device: {'CUDA ' + torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'CPU'}, "
          f"torch threads {torch.get_num_threads()}, {os.cpu_count()} CPU(s)")

    startup = measure_startup(checkpoint, bench_data)
    from core.release.install import shipped_model_dir

    first = None
    if shipped_model_dir() is not None:
        try:
            first = measure_startup("", os.path.join(tmp, "fresh"))
        except (subprocess.TimeoutExpired, RuntimeError) as exc:  # known issue: see the README's Performance notes
            print(f"first start: the child process did not finish ({type(exc).__name__})")

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(AppOptions(checkpoint=checkpoint, first_run=False, data_dir=bench_data))
    window.show()
    results = []
    window.controller.resultReady.connect(results.append)
    t = time.perf_counter()
    window.start()
    wait_for(app, lambda: window.controller.analyzer is not None)
    load_model_s = time.perf_counter() - t
    meter = StallMeter()

    def open_and_time(path) -> float:
        n = len(results)
        t0 = time.perf_counter()
        window.open_path(path)
        wait_for(app, lambda: len(results) > n and results[-1].result.source == path)
        return time.perf_counter() - t0

    open_and_time(scans[0])  # warm-up (first inference allocates)
    meter.start()
    open_times = [open_and_time(scans[i % len(scans)]) for i in range(args.repeats)]
    stall_3d = meter.stop()
    meter.start()
    seq_time = open_and_time(sequence)
    stall_4d = meter.stop()

    # prompt edits through the editor (debounce included), each with a prompt never encoded before
    open_and_time(scans[0])
    editor = window.prompt_editor
    label = editor.prompt_set.labels[0]
    prompt_times = []
    meter.start()
    for i in range(args.repeats):
        n = len(results)
        t0 = time.perf_counter()
        editor.controller.edit_prompt(label, 0, f"a photo of a face showing {label}, take {i}")
        wait_for(app, lambda: len(results) > n)
        prompt_times.append(time.perf_counter() - t0)
    stall_prompts = meter.stop()

    batch_dir = os.path.join(tmp, "batch")
    os.makedirs(batch_dir)
    for i, s in enumerate(scans):
        shutil.copy(s, os.path.join(batch_dir, f"{i:02d}_{os.path.basename(s)}"))
    done = []
    window.batch.finished.connect(done.append)
    meter.start()
    t0 = time.perf_counter()
    window.start_batch_folder(batch_dir, os.path.join(tmp, "batch.csv"))
    wait_for(app, lambda: bool(done))
    batch_s = time.perf_counter() - t0
    stall_batch = meter.stop()
    window.close()

    def ms(x):
        return f"{1000 * x:7.1f} ms"

    print()
    print(f"model load (checkpoint + text encoder, in a worker): {load_model_s:.2f} s")
    print(f"start-up to usable window:      {startup.get('usable_s', float('nan')):6.2f} s   (goal <= 5 s; "
          f"{startup.get('usable_cpu_s', float('nan')):.2f} s of CPU time; model ready at "
          f"{startup.get('model_ready_s', float('nan')):.2f} s; whole child process {startup['process_s']:.2f} s)")
    if first is not None:
        print(f"first start, shipped model:     {first.get('model_ready_s', float('nan')):6.2f} s   to a usable window "
              f"with a model (goal <= 15 s; window usable at {first.get('usable_s', float('nan')):.2f} s; empty "
              "data folder, the demo set is built behind it)")
    print(f"open 3D scan -> probabilities:  median {ms(statistics.median(open_times))}, max {ms(max(open_times))}"
          f"   (goal <= 1000 ms; {args.repeats} scans)")
    print(f"open 4D sequence -> probabilities: {ms(seq_time)}")
    print(f"prompt edit -> probabilities:   median {ms(statistics.median(prompt_times))}, max {ms(max(prompt_times))}"
          f"   (goal <= 150 ms; includes the editor's 50 ms debounce)")
    print(f"batch of {len(scans)} scans:             {batch_s:.2f} s")
    print(f"largest event-loop gap:         3D {ms(stall_3d)}, 4D {ms(stall_4d)}, prompts {ms(stall_prompts)}, "
          f"batch {ms(stall_batch)}   (goal <= 100 ms)")
    shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", default="", help="data folder holding the first-run demo (default: usual)")
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--startup-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--checkpoint", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if needs_display():
        return rerun_under_xvfb(__file__)
    if args.startup_child:
        return startup_child(args.checkpoint, args.data_dir)
    run_benchmark(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
