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


def test_low_confidence_line_and_face_warning_together(panel):
    from core.scans.canonical import FaceFlag

    unsure = {"anger": 0.26, "happiness": 0.41, "surprise": 0.33}
    panel.set_result(unsure, "happiness", uncertainty(unsure), "/data/a.obj", "last.ckpt", "expressions")
    assert panel.confidence_warning.isVisible() and not panel.face_warning.isVisible()
    assert panel.confidence_text() == ("Low confidence: the model is unsure between happiness (41 %) and "
                                       "surprise (33 %); treat this result with caution.")
    no_face = FaceFlag(False, 14.0, "no face found: residual 14.0 mm (limit 3)")
    panel.set_result(unsure, "happiness", uncertainty(unsure), "/data/ball.ply", "last.ckpt", "expressions", no_face)
    assert panel.confidence_warning.isVisible() and panel.face_warning.isVisible()  # both at once
    assert "The face could not be found reliably in this scan (no face found: residual 14.0 mm (limit 3)); " \
           "the probabilities below are unreliable and may be meaningless." in panel.warning_text()
    assert "happiness (41 %)" in panel.confidence_text()
    panel.set_pending("analysing\u2026")
    assert panel.confidence_text() == "" and panel.warning_text() == ""
    sure = {"anger": 0.05, "happiness": 0.9, "surprise": 0.05}
    panel.set_result(sure, "happiness", uncertainty(sure), "/data/a.obj", "last.ckpt", "expressions", no_face)
    assert not panel.confidence_warning.isVisible() and panel.face_warning.isVisible()
    panel.set_result(unsure, "happiness", uncertainty(unsure), "/data/a.obj", "last.ckpt", "expressions")
    panel.clear()
    assert not panel.confidence_warning.isVisible() and panel.confidence_text() == ""
