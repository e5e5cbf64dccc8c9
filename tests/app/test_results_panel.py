import pytest

from app.widgets.results_panel import ResultsPanel
from core.inference.uncertainty import uncertainty


@pytest.fixture
def panel(qtbot):
    p = ResultsPanel()
    qtbot.addWidget(p)
    p.show()
    yield p
    p.close()


def test_sorted_bars_top_class_and_uncertainty(panel):
    probs = {"anger": 0.1, "happiness": 0.6, "surprise": 0.3}
    panel.set_result(probs, "happiness", uncertainty(probs), "/data/F0001_HA04.wrl", "/runs/demo/last.ckpt",
                     "expressions")
    assert panel.chart.items() == [("happiness", 0.6), ("surprise", 0.3), ("anger", 0.1)]
    assert panel.top_label.text() == "happiness  60.0 %"
    text = panel.uncertainty_label.text()
    assert "entropy 0.82" in text and "margin 0.30 over surprise" in text
    assert "last.ckpt" in panel.model_label.text() and "expressions" in panel.model_label.text()
    assert "F0001_HA04.wrl" in panel.source_label.text()
    assert panel.export_button.isEnabled()
    assert panel.probabilities() == probs
    panel.set_pending("analysing\u2026")
    assert panel.chart._stale and panel.uncertainty_label.text() == "analysing\u2026"
    panel.chart.grab()  # paints without error
    panel.clear()
    assert panel.chart.items() == [] and not panel.export_button.isEnabled()


def test_batch_progress_and_cancel(panel, qtbot):
    panel.batch_started(4)
    assert panel.progress.isVisibleTo(panel) and panel.cancel_button.isEnabled()
    assert not panel.folder_button.isEnabled()
    panel.batch_progress(2, 4, "/x/b.obj")
    assert panel.progress.value() == 2 and "b.obj" in panel.batch_label.text()
    with qtbot.waitSignal(panel.cancelRequested, timeout=1000):
        panel.cancel_button.click()
    panel.batch_finished("cancelled after 2 of 4")
    assert not panel.progress.isVisibleTo(panel) and panel.folder_button.isEnabled()
    assert panel.batch_label.text() == "cancelled after 2 of 4"
    with qtbot.waitSignal(panel.batchFolderRequested, timeout=1000):
        panel.folder_button.click()
