import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.widgets.batch_results import BatchResultsPanel
from core.datasets import ManifestRow
from core.inference import AnalysisResult
from core.inference.batch_summary import summarize
from core.inference.predict import PredictionRecord

LABELS = ("happiness", "sadness")


def record(path, top, p):
    probs = {top: p, next(label for label in LABELS if label != top): 1 - p}
    return PredictionRecord(path, result=AnalysisResult(path, probs, top, [0.5, 0.5], np.zeros((2, 4, 4, 3), np.uint8),
                                                        np.zeros(4, np.float32)))


@pytest.fixture
def panel(qtbot):
    p = BatchResultsPanel()
    qtbot.addWidget(p)
    p.show()
    yield p
    p.close()


def summary():
    records = [record("/d/F001/Happy", "happiness", 0.8), record("/d/F001/Sad", "happiness", 0.55),
               PredictionRecord("/d/F002/Sad", error="/d/F002/Sad: truncated")]
    rows = {r.path: ManifestRow(r.path, r.path.split("/")[2], label, None, "4d", 5, "bu4dfe", label)
            for r, label in zip(records, ("happiness", "sadness", "sadness"))}
    return summarize(records, rows, LABELS)


def test_the_table_shows_the_summary_as_computed(panel):
    table = summary()
    panel.set_summary(table, "3 input(s) analysed, 1 failed")
    model = panel.proxy
    assert [model.headerData(c, Qt.Horizontal) for c in range(7)] == [
        "Input", "Subject", "True label", "Predicted", "Confidence", "Right", "Note"]
    cells = [[model.index(r, c).data() for c in range(7)] for r in range(3)]
    assert cells == [["Happy", "F001", "happiness", "happiness", "80.0 %", "\u2713", ""],
                     ["Sad", "F001", "sadness", "happiness", "55.0 %", "\u2717", ""],
                     ["Sad", "F002", "sadness", "", "", "", "failed"]]
    assert model.index(2, 6).data(Qt.ToolTipRole) == "/d/F002/Sad: truncated"
    assert panel.summary.text() == table.line() and panel.summary.text().startswith("Accuracy 50.0 % (1 of 2")
    assert panel.title.text() == "3 input(s) analysed, 1 failed"
    panel.table.sortByColumn(4, Qt.DescendingOrder)  # confidence sorts by number, failed inputs last
    assert [r.confidence for r in panel.rows_shown()] == [0.8, 0.55, None]
    panel.clear()
    assert panel.rows_shown() == [] and panel.summary.text() == ""


def test_activating_a_row_asks_to_open_that_input(panel, qtbot):
    panel.set_summary(summary())
    index = panel.proxy.index(1, 0)
    panel.table.setCurrentIndex(index)
    with qtbot.waitSignal(panel.inputActivated, timeout=2000) as sig:
        panel.table.activated.emit(index)
    assert sig.args == ["/d/F001/Sad"]
    panel.table.setFocus()
    with qtbot.waitSignal(panel.inputActivated, timeout=2000) as sig:
        qtbot.keyClick(panel.table, Qt.Key_Return)
    assert sig.args == ["/d/F001/Sad"]
