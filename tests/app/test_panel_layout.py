"""Issue 14, item 12: the Training, Prompts and Browser panels fit the window. At 1280 x 800 every named control of both panels
is on screen in full once its page is chosen (clipped by no ancestor, behind no scroll bar, its text not cut, over no
other control); at 1024 x 768 the window still fits (its minimum width is at most 1024) and every control is reached
with at most one scroll area, which never scrolls sideways.

The training panel in a side dock shows its form and its run view as two pages ("Setup", "Run"): a tab is chosen
here as a user would, by making the page that holds the control current."""

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QLabel,
    QScrollArea,
    QStackedWidget,
)

from app.main_window import AppOptions, MainWindow
from app.widgets.training_panel import TrainingPanel

TRAINING = ("data_edit", "browse_button", "preset_combo", "subjects_spin", "generate_button", "epochs_spin",
            "batch_spin", "lr_spin", "alpha_spin", "beta_spin", "gamma_spin", "lambd_bt_spin", "lambd_rm_spin",
            "tau_spin", "views_spin", "size_spin", "dim_spin", "device_combo", "workers_spin", "seed_spin",
            "backbone_combo", "text_combo", "supervision_combo", "supervision_note", "prompt_set_combo",
            "start_button", "cancel_button", "resume_button", "use_button", "status_label", "progress", "curves",
            "runs_table", "refresh_button", "output_view", "config_view")
PROMPTS = ("name_edit", "tree", "prompt_edit", "add_prompt_button", "class_edit", "add_class_button", "remove_button",
           "defaults_combo", "reset_button", "file_label")
BROWSER = ("format_box", "dataset_button", "manifest_button", "filter_edit", "table", "status")


def controls(window: MainWindow, panel: str) -> dict:
    if panel == "training":
        return {name: getattr(window.training, name) for name in TRAINING}
    if panel == "browser":
        return {name: getattr(window.browser, name) for name in BROWSER}
    editor = window.prompt_editor
    found = {name: getattr(editor, name) for name in PROMPTS}
    found.update({f"action {text}": button for text, button in editor.action_buttons.items()})
    return found


@pytest.fixture
def window(qtbot, data_dir):
    """The main window, no model loaded (the layout does not depend on one)."""
    w = MainWindow(AppOptions(first_run=False, data_dir=str(data_dir)))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


def settle() -> None:
    for _ in range(5):
        QApplication.processEvents()


def reveal(control) -> None:
    """Make every page that holds ``control`` the current one (what clicking its tabs does)."""
    child, parent = control, control.parentWidget()
    while parent is not None:
        if isinstance(parent, QStackedWidget):
            parent.setCurrentWidget(child)
        child, parent = parent, parent.parentWidget()
    settle()


def in_window(widget, window) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def shown_part(control, window) -> QRect:
    """The part of ``control`` that is on screen: its rectangle clipped by every ancestor (a scroll area's
    viewport, not the area itself) and by the window."""
    rect = in_window(control, window)
    parent = control.parentWidget()
    while parent is not None and parent is not window:
        clip = parent.viewport() if isinstance(parent, QAbstractScrollArea) else parent
        rect = rect.intersected(in_window(clip, window))
        parent = parent.parentWidget()
    return rect.intersected(window.rect())


def scroll_areas(control) -> list[QScrollArea]:
    found, parent = [], control.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            found.append(parent)
        parent = parent.parentWidget()
    return found


def related(a, b) -> bool:
    return a.isAncestorOf(b) or b.isAncestorOf(a)


@pytest.mark.parametrize("panel", ["training", "prompts", "browser"])
def test_every_control_is_in_full_view_at_1280x800(window, panel):
    window.resize(1280, 800)
    window.show_panel(panel)
    settle()
    assert (window.width(), window.height()) == (1280, 800)
    named = controls(window, panel)
    for name, control in named.items():
        reveal(control)
        assert control.isVisible(), name
        rect = in_window(control, window)
        assert shown_part(control, window) == rect, f"{name} is clipped: {shown_part(control, window)} of {rect}"
        for area in scroll_areas(control):
            bars = (area.horizontalScrollBar(), area.verticalScrollBar())
            assert all(bar.maximum() == 0 for bar in bars), f"{name} lies in a scroll area that scrolls"
        if isinstance(control, QAbstractButton | QLabel) and not (isinstance(control, QLabel) and control.wordWrap()):
            assert control.width() >= control.minimumSizeHint().width(), f"{name}'s text is cut"
        for other_name, other in named.items():
            if other is not control and other.isVisible() and not related(control, other):
                assert not rect.intersects(in_window(other, window)), f"{name} overlaps {other_name}"


@pytest.mark.parametrize("panel", ["training", "prompts", "browser"])
def test_the_window_fits_1024x768_and_every_control_is_reachable(window, panel):
    assert window.minimumSizeHint().width() <= 1024
    window.resize(1024, 768)
    window.show_panel(panel)
    settle()
    assert (window.width(), window.height()) == (1024, 768)
    for name, control in controls(window, panel).items():
        reveal(control)
        areas = scroll_areas(control)
        assert len(areas) <= 1, f"{name} is inside {len(areas)} nested scroll areas"
        for area in areas:
            assert area.horizontalScrollBar().maximum() == 0, f"{name}: the panel scrolls sideways"
            area.ensureWidgetVisible(control, 0, 0)
            settle()
        assert control.isVisible(), name
        assert shown_part(control, window) == in_window(control, window), f"{name} cannot be scrolled to"


def test_training_panel_pages_when_narrow_and_side_by_side_when_wide(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.resize(380, 700)
    panel.show()
    settle()
    assert not panel.is_side_by_side()
    panel.show_page("run")
    assert panel.pages.currentWidget() is panel.view and not panel.form.isVisible() and panel.curves.isVisible()
    panel.show_page("setup")
    assert panel.form.isVisible() and not panel.curves.isVisible()
    with pytest.raises(ValueError, match="unknown training page"):
        panel.show_page("options")

    panel.resize(900, 700)
    settle()
    assert panel.is_side_by_side() and not panel.pages.isVisible()
    assert panel.form.isVisible() and panel.curves.isVisible() and panel.runs_table.isVisible()
    form, view = in_window(panel.form, panel), in_window(panel.view, panel)
    assert form.right() < view.left()  # beside it, not over it
    assert len(panel.form.options_layout.rows(panel.form.options_layout.geometry().width())[0]) >= 2  # two columns

    panel.resize(380, 700)  # and back: the page last chosen comes forward again
    settle()
    assert not panel.is_side_by_side() and panel.pages.currentWidget() is panel.setup
    panel.shutdown()
