"""Help ▸ About this model…: the model card dialog (a known card's name and figures; the unknown card's text), and the
menu action of the main window (disabled until a model is loaded)."""

from PySide6.QtWidgets import QDialogButtonBox

from app.main_window import AppOptions, MainWindow
from app.widgets.model_card_dialog import ModelCardDialog
from core.model.card import ModelCard

CARD = ModelCard(
    name="SMILE-VLM default (synthetic ICT+SFM, 2026-12-02)",
    created="2026-12-02",
    checkpoint="model.ckpt",
    training={"data": "synthetic faces only", "subjects": 60, "epochs": 30},
    supervision="category prompts (the expression labels choose each sample's prompt)",
    evaluation={"held-out SFM": {"accuracy": 81.25, "macro_f1": 79.5, "n_samples": 240, "n_subjects": 10,
                                 "mode": "zero-shot, fused views"}},
    calibration={"temperature": 1.734, "ece_before": 12.5, "ece_after": 3.25},
    limits=["Trained on synthetic faces only."],
)


def test_dialog_shows_the_card_name_and_figures(qtbot):
    dialog = ModelCardDialog(CARD, "/models/default/model.ckpt", temperature=1.734)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.windowTitle() == f"About this model \u2014 {CARD.name}"
    text = dialog.text()
    assert CARD.name in text
    for figure in ("81.25", "79.5", "240", "zero-shot, fused views", "1.734", "12.5 before, 3.25 after",
                   "Trained on synthetic faces only.", "category prompts"):
        assert figure in text, figure
    assert "/models/default/model.ckpt" in dialog.info_label.text()
    assert "calibrated temperature T = 1.73" in dialog.info_label.text()
    with qtbot.waitSignal(dialog.rejected, timeout=1000):
        dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.Close).click()
    assert not dialog.isVisible()


def test_dialog_for_a_checkpoint_without_a_card(qtbot):
    card = ModelCard.unknown("/runs/x/last.ckpt", "/runs/x/last.card.json: not valid JSON (line 1: Expecting value)")
    dialog = ModelCardDialog(card, "/runs/x/last.ckpt")
    qtbot.addWidget(dialog)
    dialog.show()
    text = dialog.text()
    assert "last.ckpt (no model card)" in text and "No model card" in text
    assert "Nothing is known about how this model was trained" in text
    assert "not valid JSON" in text  # why the card beside it could not be used
    assert "not recalibrated (T = 1)" in dialog.info_label.text()
    dialog.close()


def test_help_menu_opens_the_loaded_models_card(qtbot, tiny_checkpoint, data_dir):
    w = MainWindow(AppOptions(checkpoint=tiny_checkpoint, first_run=False, data_dir=str(data_dir)))
    qtbot.addWidget(w)
    w.show()
    assert not w.about_model_action.isEnabled() and w.show_model_card() is None  # no model yet
    with qtbot.waitSignal(w.modelReady, timeout=120_000):
        w.start()
    assert w.about_model_action.isEnabled()
    w.about_model_action.trigger()
    dialog = w.model_card_dialog
    assert dialog is not None and dialog.isVisible()
    assert "tiny.ckpt (no model card)" in dialog.text() and tiny_checkpoint in dialog.info_label.text()
    w.close()
    assert not dialog.isVisible()
