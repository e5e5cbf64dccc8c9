"""App-side speed of the per-frame curves of a 4D sequence (issue 15, item 2), in the main window.

    xvfb-run -a -s "-screen 0 1280x1024x24" python benchmarks/bench_app_frames.py [--frames 100] [--runs 3]

(without a display the script re-runs itself under xvfb-run.) The model: a randomly initialised checkpoint of
resources/model.json (3 views of 112 px, canonical faces; speed does not depend on the weights). The sequence: a
BU-4DFE-like ICT sequence of ``--frames`` frames (one expression), or without the ICT files ``--frames`` deformed
hemispheres of 3.5k vertices, written to a temporary folder and opened in the window.

Prints, over ``--runs`` openings of the sequence (the window, its viewer and results panel as a user has them):
the time from the sequence's one-shot result to its curves drawn (app.window_frames: prepare in a worker, render
on the GUI thread in steps, pool and score in a worker), split as the controller measured it; the longest event-loop
gap meanwhile (a 10 ms QTimer: goal <= 100 ms) and the longest render step; then a window-setting change (scoring
only, the rendered frames kept); a repaint of the curves (the lines of every class, the cursor, the markers); and
2 s of playback at 25 fps with the cursor and the results panel following, and without curves (frames shown,
longest gap).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from app_harness import needs_display, rerun_under_xvfb, wait_for  # noqa: E402




def make_sequence(folder: Path, n_frames: int) -> tuple[str, str]:
    """(path, description) of an ICT sequence of ``n_frames`` frames, or of hemispheres without the ICT files."""
    try:
        from core.synth.config import load_config
        from core.synth.face_models import load_face_model
        from core.synth.runner import RunConfig, generate

        model = load_face_model("ict")
        config = load_config("bu4dfe", None, {"frames": n_frames, "expressions": ["happiness"]}, face_model="ict")
        result = generate(RunConfig("bu4dfe", 1, folder, 0, 1, False, True), config, model)
        return str(folder / result.items[0].path), f"ICT BU-4DFE-like sequence, {n_frames} frames"
    except (ValueError, OSError) as exc:
        print(f"ICT face model not available ({exc}); using hemispheres")
    import numpy as np
    import trimesh

    from core.scans.standin import stand_in_face

    seq = folder / "seq"
    seq.mkdir(parents=True)
    for i, b in enumerate(np.linspace(0.0, 0.2, n_frames)):
        s = stand_in_face(float(b), 42, radius_mm=80.0)
        trimesh.Trimesh(s.vertices, s.faces, process=False).export(seq / f"{i:03d}.obj")
    return str(seq), f"{n_frames} hemispheres of {s.n_vertices} vertices"


class StallMeter:
    """A 10 ms QTimer; records the largest gap between two ticks while running, overall and by what ``stage()``
    (called at each tick) says ran during the gap (the stage when it started)."""

    def __init__(self, stage=lambda: ""):
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._tick)
        self.stage = stage
        self.max_gap, self.ticks, self._last, self.by_stage = 0.0, 0, None, {}
        self.gaps, self._t0 = [], time.perf_counter()

    def _tick(self):
        now = time.perf_counter()
        if self._last is not None:
            gap = now - self._last
            self.max_gap = max(self.max_gap, gap)
            self.by_stage[self._stage] = max(self.by_stage.get(self._stage, 0.0), gap)
            self.gaps.append((gap, self._last - self._t0, self._stage))
        self._last, self._stage = now, self.stage()
        self.ticks += 1

    def start(self):
        self.max_gap, self.ticks, self._last, self.by_stage = 0.0, 0, None, {}
        self.gaps, self._t0 = [], time.perf_counter()
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.max_gap



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if needs_display():
        return rerun_under_xvfb(__file__)
    from app.main import configure_torch

    configure_torch()
    import torch
    from PySide6.QtWidgets import QApplication

    from app.main_window import AppOptions, MainWindow
    from core.model import ModelConfig, SmileVLM, save_checkpoint

    tmp = Path(tempfile.mkdtemp(prefix="bench_app_frames_"))
    torch.manual_seed(0)
    cfg = ModelConfig.default()
    ckpt = save_checkpoint(tmp / "random.ckpt", model=SmileVLM(cfg, text_dim=384, load_weights=False),
                           model_config=cfg, epoch=0, step=0,
                           config={"loss": {"tau": 0.07}, "render": {"canonical": {}}})
    sequence, what = make_sequence(tmp / "data", args.frames)
    print(f"{what}; torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPU(s), "
          f"load average {os.getloadavg()[0]:.1f}")

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(AppOptions(checkpoint=str(ckpt), first_run=False, data_dir=str(tmp / "userdata")))
    window.resize(1280, 900)
    window.show()
    window.start()
    wait_for(app, lambda: window.controller.analyzer is not None)
    r = window.controller.analyzer.render_config
    print(f"model: {r.n_views} views of {r.size} px, {r.n_frames} frames per dynamic image, orientation "
          f"{r.canonical.orientation}")
    wf = window.frame_curves
    meter = StallMeter(lambda: wf.controller.stage)
    marks: dict[str, float] = {}
    ready: list = []

    def on_result(scored):
        if scored.result.source == sequence:
            marks["result"] = time.perf_counter()
            meter.start()

    def on_ready(curves):
        marks["ready"] = time.perf_counter()
        meter.stop()
        ready.append(curves)

    window.controller.resultReady.connect(on_result)
    wf.controller.ready.connect(on_ready)
    rows = []
    for run in range(args.runs):
        ready.clear()
        window.open_path(sequence)  # read again: new frames, so everything is prepared and rendered again
        wait_for(app, lambda: bool(ready))
        total, timings = marks["ready"] - marks["result"], wf.controller.timings
        rows.append((total, meter.max_gap, wf.controller.max_step_s))
        by_stage = ", ".join(f"{stage} {1000 * gap:.0f}" for stage, gap in meter.by_stage.items())
        worst = ", ".join(f"{1000 * g:.0f} ms at {t:.2f} s ({stage})" for g, t, stage in sorted(meter.gaps)[::-1][:3])
        print(f"run {run + 1}: result -> curves {total:5.2f} s (prepare {timings['prepare_s']:.2f} s in a worker, "
              f"render {timings['render_s']:.2f} s on the GUI thread in steps, score {timings['score_s']:.2f} s in "
              f"a worker); longest event-loop gap {1000 * meter.max_gap:.0f} ms ({meter.ticks} ticks; by stage: "
              f"{by_stage} ms; worst: {worst}); longest render step {1000 * wf.controller.max_step_s:.0f} ms")
    totals = [row[0] for row in rows]
    print(f"\nper-frame curves of {args.frames} frames, app side (result -> curves drawn): median "
          f"{statistics.median(totals):.2f} s (runs {min(totals):.2f}-{max(totals):.2f} s); longest event-loop gap "
          f"{1000 * max(row[1] for row in rows):.0f} ms (goal <= 100 ms); longest render step "
          f"{1000 * max(row[2] for row in rows):.0f} ms")

    ready.clear()
    meter.start()
    t0 = time.perf_counter()
    wf.set_window("cumulative")
    wait_for(app, lambda: bool(ready))
    print(f"window setting changed -> curves: {time.perf_counter() - t0:.2f} s (scoring only), longest gap "
          f"{1000 * meter.stop():.0f} ms")

    plot = wf.panel.plot
    t0 = time.perf_counter()
    for i in range(100):
        plot.set_cursor(i % args.frames)
        plot.repaint()
    print(f"curves repaint ({args.frames} frames x {len(ready[-1].frames.labels)} classes, "
          f"{plot.width()}x{plot.height()} px): {1000 * (time.perf_counter() - t0) / 100:.2f} ms")

    shown = []
    window.viewer.frameChanged.connect(shown.append)
    window.viewer.set_fps(25)

    def playback(label: str) -> None:
        shown.clear()
        window.viewer.set_frame(0)
        meter.start()
        window.viewer.play()
        t0 = time.perf_counter()
        wait_for(app, lambda: time.perf_counter() - t0 > 2.0)
        window.viewer.pause()
        print(f"playback 2 s at 25 fps, {label}: {len(shown)} frames shown, longest gap {1000 * meter.stop():.0f} ms")

    playback("the cursor and the results panel following")
    assert wf.shown_frame is not None
    wf.controller.clear()  # no curves: the viewer alone (the cursor still moves)
    playback("without curves (the viewer alone)")
    window.close()
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
