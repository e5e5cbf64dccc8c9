import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from app.controllers.frames import FrameCurves
from app.widgets.class_colours import class_colours
from app.widgets.frame_curves import CURSOR_COLOUR, WINDOW_CHOICES, FrameCurvesPanel, window_text
from app.widgets.probability_chart import ProbabilityChart
from core.inference.frame_events import FrameEvents, class_events
from core.inference.frames import FrameProbabilities, FrameWindow

LABELS = ("happiness", "sadness", "surprise")


def make_curves(n: int = 30, events: bool = True) -> FrameCurves:
    """A happiness curve rising to an apex at frame 15 and falling back, the two others sharing the rest."""
    t = np.arange(n)
    happy = 0.1 + 0.8 * np.exp(-((t - 15) / 4.0) ** 2)
    probs = np.stack([happy, 0.6 * (1 - happy), 0.4 * (1 - happy)], axis=1)
    window = FrameWindow(8)
    frames = FrameProbabilities("data/seq", LABELS, probs, np.full((n, 3), 1 / 3), window.starts(n),
                                np.minimum(t + 1, 8), window, 8, probs[n // 2], np.full(3, 1 / 3))
    return FrameCurves(frames, class_events(frames) if events else None, "data/seq", "m.ckpt", "emotions")


@pytest.fixture
def panel(qtbot):
    p = FrameCurvesPanel()
    qtbot.addWidget(p)
    p.resize(600, 170)
    p.show()
    qtbot.waitExposed(p)
    return p


def drawn_colour(image, x: int, y: int, colours: dict) -> str:
    """The class whose colour is nearest to a pixel around (x, y) (lines are anti-aliased: blended at the edges)."""
    best = (1e9, "")
    for dx in range(-2, 3):
        for dy in range(-2, 3):
            c = image.pixelColor(x + dx, y + dy)
            for label, colour in colours.items():
                d = abs(c.red() - colour.red()) + abs(c.green() - colour.green()) + abs(c.blue() - colour.blue())
                best = min(best, (d, label))
    assert best[0] < 90, best
    return best[1]


def column_colours(image, x: int, top: int, bottom: int) -> list:
    return [image.pixelColor(x, y).name() for y in range(top, bottom)]


def test_one_line_per_class_in_the_results_panels_colours(panel, qtbot):
    curves = make_curves()
    panel.set_curves(curves)
    chart = ProbabilityChart()
    qtbot.addWidget(chart)
    chart.set_probabilities(dict(zip(LABELS, curves.frames.sequence)))
    expected = class_colours(LABELS)
    for label in LABELS:
        assert panel.plot.colour(label) == chart.colour(label) == expected[label]
    image = panel.plot.grab().toImage()
    r = panel.plot.plot_rect()
    for c, label in enumerate(LABELS):  # the line passes through its value at a frame away from the markers
        t = 2
        x, y = round(panel.plot.frame_x(t)), round(panel.plot.value_y(curves.frames.probabilities[t, c]))
        assert drawn_colour(image, x, y, expected) == label
    assert r.height() > 50
    assert "happiness: onset" in panel.title.text() and "apex 16" in panel.title.text()


def test_markers_are_drawn_at_the_events_frames(panel, qtbot):
    curves = make_curves()
    events = curves.events
    assert events.label == "happiness" and events.apex == 15 and events.onset is not None
    panel.set_curves(curves)
    marked = panel.plot.markers()
    assert marked == {name: getattr(events, name) for name in ("onset", "apex", "offset")}
    with_markers = panel.plot.grab().toImage()
    panel.set_curves(make_curves(events=False))
    assert panel.plot.markers() == {}
    without = panel.plot.grab().toImage()
    r = panel.plot.plot_rect()
    rows = (int(r.top()) + 2, int(r.bottom()) - 2)
    for name, frame in marked.items():
        x = round(panel.plot.frame_x(frame))
        columns = [column_colours(img, xx, *rows) for img in (with_markers, without) for xx in (x - 1, x, x + 1)]
        assert columns[:3] != columns[3:], name  # a line where the event is
    far = round(panel.plot.frame_x(3))  # a frame far from every marker: nothing drawn there
    assert column_colours(with_markers, far, *rows) == column_colours(without, far, *rows)


def test_cursor_and_click_or_drag_to_seek(panel, qtbot):
    panel.set_curves(make_curves())
    panel.set_cursor(20)
    assert panel.plot.cursor_frame() == 20
    image = panel.plot.grab().toImage()
    r = panel.plot.plot_rect()
    x = round(panel.plot.frame_x(20))
    cursor = {image.pixelColor(xx, y).name() for xx in (x - 1, x, x + 1) for y in range(int(r.top()), int(r.bottom()))}
    assert CURSOR_COLOUR.name() in cursor
    y = int(r.center().y())
    with qtbot.waitSignal(panel.seekRequested) as sig:
        qtbot.mouseClick(panel.plot, Qt.LeftButton, pos=QPoint(round(panel.plot.frame_x(7)), y))
    assert sig.args == [7]
    seen = []
    panel.seekRequested.connect(seen.append)
    qtbot.mousePress(panel.plot, Qt.LeftButton, pos=QPoint(round(panel.plot.frame_x(1)), y))
    for frame in (2, 3, 3, 5):
        qtbot.mouseMove(panel.plot, QPoint(round(panel.plot.frame_x(frame)), y))
    qtbot.mouseRelease(panel.plot, Qt.LeftButton, pos=QPoint(round(panel.plot.frame_x(5)), y))
    assert seen == [1, 2, 3, 5]  # each frame once
    assert panel.plot.frame_at(-100) == 0 and panel.plot.frame_at(10_000) == 29


def test_hover_text_gives_the_frames_window_and_probabilities(panel):
    curves = make_curves()
    panel.set_curves(curves)
    text = panel.plot.frame_tooltip(15)
    assert "frame 16 of 30" in text and "apex of happiness" in text and "frames 9\u201316" in text
    for label, p in zip(LABELS, curves.frames.probabilities[15]):
        assert label in text and f"{100 * p:.1f} %" in text
    assert text.index("happiness") < text.index("sadness")  # most probable first


def test_progress_while_computing_and_the_window_setting(panel, qtbot):
    panel.set_sequence(100, "per-frame curves: waiting")
    assert panel.plot.message() == "per-frame curves: waiting" and panel.plot.markers() == {}
    panel.set_progress(40, 100, "per-frame curves: rendering 40/100 frames")
    assert panel.plot.message() == "per-frame curves: rendering 40/100 frames"
    panel.plot.grab()  # paints the progress state
    panel.set_curves(make_curves())
    assert panel.plot.message() == ""

    assert [panel.window_box.itemText(i) for i in range(panel.window_box.count())] == [
        "last 8 frames", "last 4 frames", "last 12 frames", "last 16 frames", "cumulative from the first frame"]
    assert panel.window() == WINDOW_CHOICES[0] == FrameWindow(8) and "48" in panel.window_box.toolTip()
    with qtbot.waitSignal(panel.windowChanged) as sig:
        panel.window_box.setCurrentIndex(4)
    assert sig.args == [FrameWindow()]
    seen = []
    panel.windowChanged.connect(seen.append)
    panel.set_window(FrameWindow(6))  # not one of the choices: added; no signal
    assert panel.window() == FrameWindow(6) and panel.window_box.currentText() == "last 6 frames" and seen == []
    panel.set_window(FrameWindow(12))  # equal to a choice (another object): that choice
    assert panel.window_box.currentIndex() == 2 and panel.window_box.count() == 6
    assert window_text(FrameWindow()) == "cumulative from the first frame"

    assert not panel.whole_button.isEnabled()
    panel.set_showing_frame(True)
    with qtbot.waitSignal(panel.wholeSequenceRequested):
        panel.whole_button.click()


def test_no_events_and_a_legend_that_does_not_fit(qtbot):
    p = FrameCurvesPanel()
    qtbot.addWidget(p)
    p.resize(140, 150)
    p.show()
    qtbot.waitExposed(p)
    curves = make_curves(events=False)
    p.set_curves(curves)
    p.plot.grab()
    assert p.plot.markers() == {} and "the sequence's top class" in p.title.text()
    events = FrameEvents("sadness", None, 4, None, 0.1, 0.5, 0.3)
    p.set_curves(FrameCurves(curves.frames, events, "s"))
    assert p.plot.markers() == {"apex": 4} and "sadness: apex 5" in p.title.text()
