"""app.main.configure_torch: after it, a VTK/OpenGL context may come before torch._dynamo (which the model-loading
worker imports later). Without triton loaded first, that order segfaults with Mesa (exit -11)."""

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import sys
    from app.main import configure_torch
    configure_torch()
    import numpy as np
    from core.render.backend import thread_renderer
    from core.scans.standin import stand_in_face
    face = stand_in_face(0.1, 12)
    r = thread_renderer()
    r.set_geometry(face.vertices, face.faces)
    r.set_colours()
    r.render(np.eye(3), 32, 1.0)  # an OpenGL context now exists
    import torch._dynamo  # noqa: F401
    print("ok", "triton" in sys.modules and sys.modules["triton"] is not None)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Mesa/LLVM clash is a Linux matter")
def test_opengl_context_before_torch_dynamo_is_safe_after_configure_torch():
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, f"exit {out.returncode}\n{out.stdout}\n{out.stderr[-2000:]}"
    assert out.stdout.strip().startswith("ok")



QUIT_SCRIPT = textwrap.dedent("""
    import sys, tempfile, time
    from app.main import configure_torch, quit_when_last_window_closes
    configure_torch()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from app.main_window import AppOptions, MainWindow, delayed_start
    app = QApplication(sys.argv[:1])
    quit_when_last_window_closes(app)
    window = MainWindow(AppOptions(checkpoint="", first_run=True, data_dir=tempfile.mkdtemp()))
    closed = []

    def close():  # the window closes as soon as the shipped model is ready, while the first run is starting
        closed.append(time.perf_counter())
        window.close()

    window.modelReady.connect(lambda: QTimer.singleShot(0, close))
    window.show()
    delayed_start(window)
    QTimer.singleShot(90_000, lambda: app.exit(3))
    rc = app.exec()
    print("exit", rc, "after close", round(time.perf_counter() - closed[0], 2) if closed else None, flush=True)
""")


def test_closing_the_window_during_the_first_run_ends_the_process():
    """The first-start hang of bench_app: the window closed right after the shipped model was ready, while the first
    run was starting; the process kept running without a window (Qt's automatic quit is a posted event that a widget
    shown in between cancels: here the first run's progress dialog). app.main quits on lastWindowClosed."""
    out = subprocess.run([sys.executable, "-c", QUIT_SCRIPT], capture_output=True, text=True, timeout=150)
    assert out.returncode == 0, f"exit {out.returncode}\n{out.stdout}\n{out.stderr[-2000:]}"
    line = [x for x in out.stdout.splitlines() if x.startswith("exit ")][-1]
    assert float(line.split()[-1]) < 15.0, line
