"""Start-up of the desktop app: ``python -m app [PATH] [--checkpoint C] [--prompts P] [--device D] [--data-dir D]``.

Order matters: triton (its LLVM) is imported before anything can create a VTK/OpenGL context. With Mesa (llvmpipe)
loaded first, the first import of torch._dynamo, which loads triton, crashes the process; with triton loaded first
torch._dynamo may come later (it does, in the model-loading worker) -- importing triton costs ~0.1 s at start-up
where importing torch._dynamo itself cost ~1.1 s. The bundle leaves triton out, and then nothing loads it. The
intra-op thread count is set to half the CPU cores (at least 1): one scan at a time is scored, and the GUI, the
renderer and background training need the rest (oversubscribed OpenMP threads made a 20 ms analysis take 0.6 s on a
busy 2-core machine).

Before the window: a display must exist and OpenGL must be usable (app.gl_check: clear message, software-rendering
restart); ``--check-gl`` only reports that. The status bar then says which device analyses (CUDA GPU, or the CPU and
why) and which OpenGL draws.
"""

from __future__ import annotations

import argparse
import os
import sys


def parse_args(argv: list[str] | None = None):
    from app.main_window import AppOptions  # light: Qt widgets only, no VTK context yet

    parser = argparse.ArgumentParser(prog="smile-vlm app", description="SMILE-VLM Analyzer desktop application.")
    parser.add_argument("path", nargs="?", default="", help="scan file, 4D sequence folder / .npz, or manifest CSV")
    parser.add_argument("--checkpoint", default="", help="model checkpoint (default: last used, else the demo's)")
    parser.add_argument("--prompts", default="", help="prompt-set JSON or a shipped set's name")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="", help="default: CUDA when present")
    parser.add_argument("--data-dir", default="", help="user data folder (default: $SMILE_VLM_DATA_DIR or the "
                                                        "platform's user data dir)")
    parser.add_argument("--no-first-run", action="store_true", help="do not build the demo when there is no model")
    parser.add_argument("--check-gl", action="store_true", help="report whether OpenGL can draw the 3D view, exit")
    parser.add_argument("--firstrun-config", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    return AppOptions(path=args.path, checkpoint=args.checkpoint, prompts=args.prompts, device=args.device,
                      data_dir=args.data_dir, first_run=not args.no_first_run, firstrun_config=args.firstrun_config)


def configure_torch() -> None:
    """Load triton before any OpenGL context (see the module docstring) and size the CPU thread pool."""
    import importlib

    import torch

    try:
        importlib.import_module("triton")  # must precede any VTK/OpenGL context
    except Exception:  # absent (the bundle) or unusable: then torch._dynamo will not load it later either
        pass

    torch.set_num_threads(max(1, (os.cpu_count() or 2) // 2))


def show_start_notice(window, device: str, verdict) -> None:
    """The analysis device (and why the CPU) and the OpenGL found: status bar, device tooltip and stderr."""
    import torch

    from core.selftest import cuda_status, describe_device

    name = "cuda" if device != "cpu" and cuda_status()[0] else "cpu"
    text = f"Analysis on {describe_device(torch.device(name))}"
    if verdict is not None:
        text += f" \u00b7 {verdict.message}"
    window.device_label.setToolTip(text)
    window.statusBar().showMessage(text, 20000)
    print(f"SMILE-VLM Analyzer: {text}", file=sys.stderr, flush=True)


def quit_when_last_window_closes(app) -> None:
    """Quit the event loop as soon as the last window closes.

    Qt's own automatic quit on the last window closing is a *posted* event that Qt drops whenever a widget is shown
    before it is delivered (QWidget::show removes posted Quit events, so that showing a new window cancels the quit).
    A worker or child process finishing just after the window closed (the first run being stopped, a model load or an
    analysis returning) shows a banner or status text, and the process then kept running with no window at all.
    Connecting lastWindowClosed to quit() makes the quit unconditional.
    """
    app.lastWindowClosed.connect(app.quit)


def main(argv: list[str] | None = None) -> int:
    from app import gl_check

    argv = sys.argv[1:] if argv is None else list(argv)
    if "--check-gl" in argv:
        return gl_check.report()
    options = parse_args(argv)  # imports Qt and VTK modules, but creates no OpenGL context
    problem = gl_check.display_problem()
    if problem:
        print(f"SMILE-VLM Analyzer: {problem}", file=sys.stderr)
        return 2
    configure_torch()
    if options.data_dir:
        os.environ["SMILE_VLM_DATA_DIR"] = os.path.abspath(os.path.expanduser(options.data_dir))
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow, delayed_start

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("SMILE-VLM Analyzer")
    app.setOrganizationName("smile-vlm")
    quit_when_last_window_closes(app)
    verdict = gl_check.check_opengl(app.platformName())
    if verdict is not None and not verdict.ok:
        if verdict.retry_software:
            print(f"SMILE-VLM Analyzer: {verdict.message}", file=sys.stderr, flush=True)
            return gl_check.restart_with_software_rendering()
        gl_check.show_failure(verdict.message)
        return 2
    window = MainWindow(options)
    show_start_notice(window, options.device, verdict)
    window.show()
    delayed_start(window)
    return app.exec()
