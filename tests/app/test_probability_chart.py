import pytest
from PySide6.QtCore import QPoint, Qt

from app.widgets.class_colours import PALETTE, class_colour, class_colours
from app.widgets.probability_chart import ROW_HEIGHT, ProbabilityChart
from app.widgets.results_panel import ResultsPanel
from core.inference.uncertainty import uncertainty


@pytest.fixture
def chart(qtbot):
    c = ProbabilityChart()
    qtbot.addWidget(c)
    c.resize(300, 120)
    c.show()
    return c


def test_class_colours_follow_prompt_order_and_repeat():
    colours = class_colours(["anger", "happiness"])
    assert colours["anger"].name() == PALETTE[0] and colours["happiness"].name() == PALETTE[1]
    assert class_colour(len(PALETTE)).name() == PALETTE[0]
    assert len({c.lower() for c in PALETTE}) == len(PALETTE)
    with pytest.raises(ValueError):
        class_colour(-1)


def test_colours_stay_with_the_class_when_the_bars_resort(chart):
    chart.set_probabilities({"anger": 0.1, "happiness": 0.6, "surprise": 0.3})
    first = {label: chart.colour(label).name() for label, _ in chart.items()}
    chart.set_probabilities({"anger": 0.7, "happiness": 0.2, "surprise": 0.1})
    assert [label for label, _ in chart.items()] == ["anger", "happiness", "surprise"]
    assert {label: chart.colour(label).name() for label, _ in chart.items()} == first
    assert first == {"anger": PALETTE[0], "happiness": PALETTE[1], "surprise": PALETTE[2]}


def test_the_bar_colour_is_painted(chart):
    chart.set_probabilities({"anger": 0.9, "happiness": 0.1})
    image = chart.grab().toImage()
    y = int(chart.row_rect("anger").center().y())
    xs = range(chart.width() // 2, chart.width() - 70)
    assert any(image.pixelColor(x, y).name() == PALETTE[0] for x in xs)


def test_clicking_a_row_emits_its_class_and_selection_is_drawn(chart, qtbot):
    chart.set_probabilities({"anger": 0.1, "happiness": 0.6, "surprise": 0.3})
    row = chart.row_rect("surprise")
    with qtbot.waitSignal(chart.classClicked, timeout=1000) as blocker:
        qtbot.mouseClick(chart, Qt.LeftButton, pos=QPoint(int(row.center().x()), int(row.center().y())))
    assert blocker.args == ["surprise"]
    assert chart.label_at(2 + 3 * ROW_HEIGHT + 1) == "" and chart.label_at(0) == ""
    plain = chart.grab().toImage()
    chart.set_selected("surprise")
    assert chart.selected() == "surprise"
    assert chart.grab().toImage() != plain


def test_results_panel_forwards_clicks(qtbot):
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.show()
    probs = {"anger": 0.2, "happiness": 0.8}
    panel.set_result(probs, "happiness", uncertainty(probs), "a.wrl", "", "expressions")
    row = panel.chart.row_rect("anger")
    with qtbot.waitSignal(panel.classClicked, timeout=1000) as blocker:
        qtbot.mouseClick(panel.chart, Qt.LeftButton, pos=QPoint(int(row.center().x()), int(row.center().y())))
    assert blocker.args == ["anger"]
