"""Help ▸ About this model…: the loaded model's card (core.model.card.ModelCard), rendered from its Markdown.

The dialog only shows state: the card (name, training data, supervision, preprocessing, held-out figures, calibration,
limits), the checkpoint file and the temperature the probabilities are divided by. A checkpoint without a usable card
shows the unknown card: "no model card", and why a card file beside it could not be used.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QTextBrowser, QVBoxLayout

from core.model.card import ModelCard

DASH = "\u2014"


class ModelCardDialog(QDialog):
    """ModelCardDialog(card, checkpoint='', temperature=1.0): the card as rich text (``browser``), the checkpoint's
    path and the calibrated temperature in use (``info_label``)."""

    def __init__(self, card: ModelCard, checkpoint: str = "", temperature: float = 1.0, parent=None):
        super().__init__(parent)
        self.card = card
        self.setWindowTitle(f"About this model \u2014 {card.name}")
        self.resize(720, 640)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setMarkdown(card.to_markdown())
        layout.addWidget(self.browser, 1)
        calibrated = (f"probabilities divided by the calibrated temperature T = {temperature:.3g}"
                      if temperature != 1.0 else "probabilities not recalibrated (T = 1)")
        self.info_label = QLabel(f"Checkpoint: {checkpoint or DASH}\n{calibrated}")
        self.info_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.info_label.setWordWrap(True)
        self.info_label.setStyleSheet("color:gray")
        layout.addWidget(self.info_label)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def text(self) -> str:
        """The card as the dialog shows it (plain text)."""
        return self.browser.toPlainText()
