from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QTabBar

from app.dock_tabs import StrayTabBarSweeper, hide_stray_tab_bars, stray_tab_bars


def settle(qtbot) -> None:
    for _ in range(5):
        QApplication.processEvents()
    qtbot.wait(20)


def visible_bars(window) -> list[tuple[str, ...]]:
    return sorted(tuple(b.tabText(i) for i in range(b.count())) for b in window.findChildren(QTabBar)
                  if b.parentWidget() is window and b.isVisible())


def test_a_bar_attached_to_no_dock_is_hidden_and_the_real_one_kept(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QLabel("centre"))
    a, b = QDockWidget("A"), QDockWidget("B")
    for d in (a, b):
        d.setWidget(QLabel(d.windowTitle()))
        window.addDockWidget(Qt.RightDockWidgetArea, d)
    window.tabifyDockWidget(a, b)
    window.resize(600, 400)
    window.show()
    qtbot.waitExposed(window)
    settle(qtbot)
    assert visible_bars(window) == [("A", "B")] and stray_tab_bars(window) == []
    ghost = QTabBar(window)  # what Qt leaves behind: a bar of the same tabs at a stale place
    ghost.addTab("A")
    ghost.addTab("B")
    ghost.setGeometry(5, 5, 100, 26)
    ghost.show()
    assert stray_tab_bars(window) == [ghost]
    assert hide_stray_tab_bars(window) == 1
    assert not ghost.isVisible() and visible_bars(window) == [("A", "B")]


def test_the_sweeper_hides_strays_after_a_layout_change(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    window.setCentralWidget(QLabel("centre"))
    StrayTabBarSweeper(window)
    window.show()
    qtbot.waitExposed(window)
    ghost = QTabBar(window)
    ghost.addTab("A")
    ghost.setGeometry(5, 5, 100, 26)
    ghost.show()
    window.resize(window.width() + 40, window.height())
    qtbot.waitUntil(lambda: not ghost.isVisible(), timeout=2000)


CHILD = """
import sys, time
from PySide6.QtWidgets import QApplication, QTabBar
from app.dock_tabs import stray_tab_bars
from app.main_window import AppOptions, MainWindow

app = QApplication(sys.argv[:1])


def settle(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.005)


for round in range(2):  # the second window restores the layout the first one saved
    w = MainWindow(AppOptions(first_run=False, data_dir=sys.argv[1]))
    w.resize(1280, 860)
    w.show()
    w.restore_layout()
    settle(0.6)
    bars = sorted(tuple(b.tabText(i) for i in range(b.count())) for b in w.findChildren(QTabBar)
                  if b.parentWidget() is w and b.isVisible())
    print(len(stray_tab_bars(w)), sorted(set(bars)), flush=True)
    w.save_layout()
    w.close()
    settle(0.1)
"""


def test_the_main_window_shows_one_bar_per_tab_group_fresh_and_restored(tmp_path):
    """Qt 6.11 left a second 'Results | Batch results' bar drawn over the model views (seen in the README's
    screenshots). It shows in a plain process, not under pytest-qt's application, so the window runs in a child.
    (On a small virtual screen a stale bar may also lie exactly over the real one: not detected, not visible.)"""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path / "data")], cwd=root, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    expected = "0 [('Browser', 'Prompts', 'Training'), ('Results', 'Batch results')]"
    assert out.stdout.splitlines() == [expected, expected], out.stdout
