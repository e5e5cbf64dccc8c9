"""Fixtures of the app tests: a tiny random checkpoint (no training), small scans in every format, an isolated data
folder per test, and the main window. Run headless under Xvfb:
``xvfb-run -a -s "-screen 0 1280x1024x24" python -m pytest tests/app -q``.

torch._dynamo is imported here, before any test can create a VTK/OpenGL context (see app/main.py for why).
"""

from __future__ import annotations

import os

if not os.environ.get("DISPLAY") and not os.environ.get("QT_QPA_PLATFORM"):
    os.environ["QT_QPA_PLATFORM"] = "offscreen"

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch._dynamo  # noqa: E402,F401  (before any VTK/OpenGL context)

from core.model import ModelConfig, SmileVLM, save_checkpoint  # noqa: E402
from core.scans import Scan  # noqa: E402
from core.scans.standin import stand_in_face  # noqa: E402

torch.set_num_threads(1)

TINY = ModelConfig(embed_dim=16, proj_hidden=32, fusion_hidden=8, image_size=32)


def face(bump: float = 0.0, n: int = 12, source: str = "face") -> Scan:
    """A hemisphere of radius 50 mm facing +z (a stand-in face) with a smile-like bump of relative height ``bump``."""
    return stand_in_face(bump, n, source=source)


def write_scan(path, scan: Scan | None = None) -> str:
    """Write ``scan`` (default: :func:`face`) in the format of ``path``'s extension; returns the path."""
    import trimesh

    from core.scans import save_bnt, save_wrl

    scan = scan or face(0.1)
    path = str(path)
    ext = os.path.splitext(path)[1].lower()
    v, f = scan.vertices, scan.faces
    if ext == ".wrl":
        save_wrl(path, v, f)
    elif ext in (".obj", ".ply", ".stl", ".off"):
        trimesh.Trimesh(v, f, process=False).export(path)
    elif ext == ".xyz":
        np.savetxt(path, v, fmt="%.6f")
    elif ext == ".npy":
        np.save(path, v)
    elif ext == ".bnt":
        rows, cols, zmin = 16, 14, -1.0e9
        yy, xx = np.meshgrid(np.linspace(-40, 40, rows), np.linspace(-35, 35, cols), indexing="ij")
        zz = 30.0 * np.exp(-(xx**2 + yy**2) / 900.0)
        data = np.zeros((rows * cols, 5))
        data[:, 0], data[:, 1], data[:, 2] = xx.ravel(), yy.ravel(), zz.ravel()
        save_bnt(path, data, rows, cols, zmin)
    else:
        raise ValueError(f"no writer for {ext}")
    return path


def write_sequence(folder, n_frames: int = 5) -> str:
    """A 4D sequence folder of .obj frames 000.obj.. with a growing bump; returns the folder."""
    os.makedirs(folder, exist_ok=True)
    for i, bump in enumerate(np.linspace(0.0, 0.25, n_frames)):
        write_scan(os.path.join(folder, f"{i:03d}.obj"), face(float(bump)))
    return str(folder)


def make_checkpoint(path, config: dict | None = None) -> str:
    torch.manual_seed(0)
    model = SmileVLM(TINY, text_dim=384)
    cfg = {"loss": {"tau": 0.07}, "render": {"n_frames": 4}} if config is None else config
    return str(save_checkpoint(path, model=model, model_config=TINY, epoch=1, step=1, config=cfg))


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> str:
    return make_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.ckpt")


@pytest.fixture(scope="session")
def analyzer(tiny_checkpoint):
    """One Analyzer on the tiny checkpoint for the tests that need no window (do not change its prompts)."""
    from core.inference import Analyzer

    return Analyzer(tiny_checkpoint, device="cpu")


@pytest.fixture
def viewer(qtbot):
    """A shown 3D viewer, 500 x 450; its VTK window must be released when it closes."""
    from app.widgets.viewer import ViewerWidget

    v = ViewerWidget()
    qtbot.addWidget(v)
    v.resize(500, 450)
    v.show()
    qtbot.waitExposed(v)
    yield v
    v.close()
    assert v._closed  # the VTK window is released with the widget


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    """Every test gets its own user data folder (settings, recent files, manifests, first run)."""
    folder = tmp_path / "userdata"
    monkeypatch.setenv("SMILE_VLM_DATA_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def no_leaks(request):
    """After each test: no window left open, no VTK plotter left unclosed, no worker left running."""
    yield
    if "qtbot" not in request.fixturenames:
        return
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication
    from pyvista.plotting.plotter import _ALL_PLOTTERS
    from superqt.utils import WorkerBase

    app = QApplication.instance()
    WorkerBase.await_workers(30000)
    app.processEvents()
    # Delete what this test scheduled for deletion now (the window included), not inside a later test's event loop.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    visible = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    assert not visible, f"windows left open: {visible}"
    open_plotters = [p for p in _ALL_PLOTTERS.values() if not getattr(p, "_closed", True)]
    assert not open_plotters, f"VTK plotters left open: {open_plotters}"


def open_window(qtbot, checkpoint: str, data_dir):
    """A shown main window on ``checkpoint`` (no first run), its model loaded."""
    from app.main_window import AppOptions, MainWindow

    w = MainWindow(AppOptions(checkpoint=checkpoint, first_run=False, data_dir=str(data_dir)))
    qtbot.addWidget(w)
    w.show()
    with qtbot.waitSignal(w.modelReady, timeout=120_000):
        w.start()
    return w


@pytest.fixture
def window(qtbot, tiny_checkpoint, data_dir):
    """The main window with the tiny checkpoint loaded (no first run), closed (and its plotter released) after."""
    w = open_window(qtbot, tiny_checkpoint, data_dir)
    yield w
    w.close()
    assert w.viewer._closed
