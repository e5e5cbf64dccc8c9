"""ElidedLabel: a long text is elided to the label's width (never widening the window nor drawn over a neighbour)."""

from PySide6.QtWidgets import QHBoxLayout, QWidget

from app.widgets.elided_label import MIN_TEXT_WIDTH, ElidedLabel

LONG = "model: 20261202-101500: pretrained here, 1 epoch (ICT synthetic, 32 px) \u00b7 prompts: expressions (unsaved edits)"


def test_a_long_text_is_elided_to_the_width_and_kept_whole(qtbot):
    host = QWidget()
    qtbot.addWidget(host)
    row = QHBoxLayout(host)
    label, right = ElidedLabel(LONG), ElidedLabel("device: CPU")
    row.addWidget(label, 1)
    row.addWidget(right)
    host.resize(300, 30)
    host.show()
    qtbot.waitExposed(host)
    assert label.text() == LONG  # the whole text
    shown = label.shown_text()
    assert shown != LONG and shown.endswith("\u2026") and LONG.startswith(shown[:-1])
    assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
    assert label.toolTip() == LONG  # elided: the tooltip tells the rest
    assert label.geometry().right() < right.geometry().left()  # no overlap
    assert right.shown_text() == "device: CPU" and right.toolTip() == ""
    assert label.minimumSizeHint().width() <= MIN_TEXT_WIDTH + 10 < label.sizeHint().width()

    host.resize(1400, 30)
    qtbot.waitUntil(lambda: label.shown_text() == LONG, timeout=2000)
    assert label.toolTip() == ""
    label.setToolTip("/runs/x/last.ckpt")  # a tooltip of its own is kept, elided or not
    host.resize(300, 30)
    qtbot.waitUntil(lambda: label.shown_text() != LONG, timeout=2000)
    assert label.toolTip() == "/runs/x/last.ckpt"
    label.setText("short")
    assert label.shown_text() == "short" and label.text() == "short"
