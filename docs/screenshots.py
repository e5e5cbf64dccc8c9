"""Screenshots of the app's main states on the first-run demo, for the README.

    python docs/screenshots.py [--data-dir DIR] [--out docs] [--only scan,sequence,prompts,training]

Without a display it re-runs itself under ``xvfb-run``. When the demo is not built yet, ``python -m core.firstrun``
builds it first (a few minutes, once). Each scene puts the window in a state and saves ``<out>/app_<scene>.png``:

  scan       a BU-3DFE-layout demo scan with its views, weights and zero-shot probabilities
  sequence   a BU-4DFE-layout demo sequence: dynamic images, results, the timeline half-way
  prompts    the prompt editor tab beside the results
  training   the training panel on the demo's training run
  evidence   a demo scan with View > Show evidence on: the predicted class's map on the mesh, its colour bar
  curves     a demo sequence with its per-frame curves under the timeline, the cursor at the top class's apex

Other scenes: add a function ``scene(window) -> None`` to :data:`SCENES`; :func:`switch_panel` brings a panel
(browser, prompts, training, results, views) to the front, :func:`analyse_row` analyses a browser row and waits.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WINDOW_SIZE = (1280, 860)


def _wait(predicate: Callable[[], bool], timeout: float = 120.0) -> None:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    end = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > end:
            raise TimeoutError("the window did not reach the expected state in time")
        app.processEvents()
        time.sleep(0.005)


def settle(seconds: float = 0.4) -> None:
    """Let pending repaints (the 3D view included) happen."""
    end = time.perf_counter() + seconds
    _wait(lambda: time.perf_counter() > end)


def switch_panel(window, name: str) -> None:
    """Bring panel ``name`` to the front (browser, prompts, training, results, views)."""
    window.show_panel(name)
    settle(0.2)


def analyse_row(window, kind: str) -> None:
    """Select the first browser row of ``kind`` ("3d" / "4d") and wait for its result."""
    rows = window.browser.visible_rows()
    index = next((i for i, r in enumerate(rows) if r.kind == kind), None)
    if index is None:
        raise RuntimeError(f"the demo manifest has no {kind} row")
    target = str(rows[index].path)
    switch_panel(window, "browser")
    window.browser.select_row(index)
    _wait(lambda: window.controller.current is not None and window.controller.current.result.source == target
          and not window.controller.busy())
    settle()


def scene_scan(window) -> None:
    analyse_row(window, "3d")


def scene_sequence(window) -> None:
    analyse_row(window, "4d")
    viewer = window.viewer
    viewer.set_frame(viewer.n_frames // 2)
    settle()


def scene_prompts(window) -> None:
    from app.widgets.prompt_editor import prepare_screenshot

    if window.controller.current is None:
        analyse_row(window, "3d")
    switch_panel(window, "prompts")
    prepare_screenshot(window.prompt_editor, window.prompt_editor.prompt_set)
    settle()


def scene_training(window) -> None:
    from app.widgets.training_panel import prepare_screenshot

    from PySide6.QtCore import Qt

    switch_panel(window, "training")
    window.resizeDocks([window.docks["training"]], [700], Qt.Horizontal)  # the panel's form needs the room
    prepare_screenshot(window.training, window.demo.run_dir if window.demo.run_dir.is_dir() else None)
    settle(0.8)


def scene_evidence(window) -> None:
    analyse_row(window, "3d")
    switch_panel(window, "results")
    top = window.controller.current.result.top
    window.evidence.show_class(top)
    _wait(lambda: window.viewer.evidence.class_name == top and window.viewer.evidence.shown)
    settle(0.8)


def scene_curves(window) -> None:
    if window.viewer.evidence.action.isChecked():  # the curves alone, the scan in its own colours
        window.viewer.evidence.action.setChecked(False)
    analyse_row(window, "4d")
    switch_panel(window, "results")
    _wait(lambda: window.frame_curves.curves is not None)
    curves = window.frame_curves.curves
    events = curves.events
    frame = events.apex if events is not None and events.apex is not None else window.viewer.n_frames // 2
    window.viewer.set_frame(int(frame))
    settle(0.8)


SCENES: dict[str, Callable] = {
    "scan": scene_scan,
    "sequence": scene_sequence,
    "prompts": scene_prompts,
    "training": scene_training,
    "evidence": scene_evidence,
    "curves": scene_curves,
}


def save(window, path: Path) -> Path:
    """The whole window (the 3D view included) as a PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path)):
        raise OSError(f"{path}: could not write the screenshot")
    return path


def build_demo_if_missing(data_dir: str) -> None:
    from core.firstrun import DemoPaths, data_dir as resolve

    if DemoPaths(resolve(data_dir or None)).is_ready():
        return
    print("the demo is not built yet: running python -m core.firstrun (a few minutes, once)", flush=True)
    cmd = [sys.executable, "-m", "core.firstrun"] + (["--data-dir", data_dir] if data_dir else [])
    if subprocess.call(cmd, cwd=ROOT) != 0:
        raise SystemExit("the first run failed; see its messages above")


def run(data_dir: str, out: Path, only: list[str]) -> list[Path]:
    from app.main import configure_torch

    configure_torch()
    from PySide6.QtWidgets import QApplication

    from app.main_window import AppOptions, MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(AppOptions(data_dir=data_dir, first_run=False))
    window.resize(*WINDOW_SIZE)
    window.show()
    window.start()
    _wait(lambda: window.controller.analyzer is not None and bool(window.browser.rows()))
    saved = []
    try:
        for name in only:
            SCENES[name](window)
            window.banner.clear()
            settle(0.2)
            saved.append(save(window, out / f"app_{name}.png"))
            print(f"saved {saved[-1]}", flush=True)
    finally:
        window.close()
        app.processEvents()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description="Screenshots of the app on the demo.")
    parser.add_argument("--data-dir", default="", help="data folder with the first-run demo (default: usual)")
    parser.add_argument("--out", default=str(ROOT / "docs"), help="output folder (default: docs/)")
    parser.add_argument("--only", default=",".join(SCENES), help=f"scenes, comma-separated ({', '.join(SCENES)})")
    args = parser.parse_args()
    only = [s for s in args.only.split(",") if s]
    unknown = [s for s in only if s not in SCENES]
    if unknown:
        parser.error(f"unknown scene(s) {', '.join(unknown)}; known: {', '.join(SCENES)}")
    if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            parser.error("no display and no xvfb-run")
        return subprocess.call([xvfb, "-a", "-s", "-screen 0 1280x1024x24", sys.executable, __file__, *sys.argv[1:]])
    build_demo_if_missing(args.data_dir)
    run(args.data_dir, Path(args.out), only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
