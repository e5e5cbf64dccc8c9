"""Zero-shot results: class probabilities as a sorted bar chart, the top class with its uncertainty (normalised
entropy, top-1 - top-2 margin, computed by core.inference.uncertainty), the checkpoint and prompt set used, and the
export / batch controls (with progress and cancel). The panel only shows state; the window does the work.

When the canonical-face search found no face in the input (its FaceFlag is not ok), a warning above the result says
so (core.inference.uncertainty.face_caution_text: "The face could not be found reliably in this scan (no face found:
residual 14.0 mm (limit 3)); the probabilities below are unreliable and may be meaningless."), so a non-face never
gets a silent confident answer. When the result itself is unsure (core.inference.uncertainty.LOW_CONFIDENCE: top
probability below 0.5 or normalised entropy above 0.8) a second line says so in plain words (low_confidence_text).
Both show together when both apply; both are hidden for a sure result on a face and while a new result is pending.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.widgets.probability_chart import ProbabilityChart
from core.inference.uncertainty import Uncertainty, face_caution_text, low_confidence_text
from core.scans.canonical import FaceFlag

DASH = "\u2014"
WARNING_STYLE = ("background:#ffb000; color:#1e1e1e; border:1px solid #b37b00; border-radius:4px; padding:6px; "
                 "font-weight:bold")
CAUTION_STYLE = "background:#fff3cd; color:#1e1e1e; border:1px solid #d4a72c; border-radius:4px; padding:6px"


def short_name(path: str) -> str:
    """'folder/name' of a path: a sequence folder's own name (e.g. 'Happy') says little without its parent."""
    p = Path(path)
    return f"{p.parent.name}/{p.name}" if p.parent.name else p.name


class ResultsPanel(QWidget):
    """set_result(...) / set_pending(...) / clear(); batch_started / batch_progress / batch_finished.

    Signals: exportRequested (the current result), batchFolderRequested, batchManifestRequested, cancelRequested,
    classClicked(str) (a class's bar was clicked).
    """

    exportRequested = Signal()
    batchFolderRequested = Signal()
    batchManifestRequested = Signal()
    cancelRequested = Signal()
    classClicked = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.face_warning = QLabel()
        self.face_warning.setWordWrap(True)
        self.face_warning.setStyleSheet(WARNING_STYLE)
        self.face_warning.setTextFormat(Qt.PlainText)
        self.face_warning.hide()
        layout.addWidget(self.face_warning)
        self.confidence_warning = QLabel()
        self.confidence_warning.setWordWrap(True)
        self.confidence_warning.setStyleSheet(CAUTION_STYLE)
        self.confidence_warning.setTextFormat(Qt.PlainText)
        self.confidence_warning.setToolTip(
            "Shown when the most probable class has less than 50 % or the probabilities are spread almost evenly "
            "(normalised entropy above 0.8).")
        self.confidence_warning.hide()
        layout.addWidget(self.confidence_warning)
        self.top_label = QLabel("No result yet")
        self.top_label.setWordWrap(True)
        self.top_label.setStyleSheet("font-size:16pt; font-weight:bold")
        self.uncertainty_label = QLabel()
        self.uncertainty_label.setWordWrap(True)
        self.uncertainty_label.setToolTip(
            "How sure the model is, in two numbers.\n"
            "Entropy (normalised): 0 means all the probability is on one expression; 1 means it is spread evenly "
            "over all of them (the model cannot tell).\n"
            "Margin: how far the top expression is ahead of the second (0.05 = nearly a tie, 0.8 = clear).\n"
            "Both come from the probabilities above; they say how decided the model is, not whether it is right."
        )
        self.chart = ProbabilityChart()
        self.source_label = QLabel()
        self.source_label.setWordWrap(True)
        self.model_label = QLabel()
        self.model_label.setWordWrap(True)
        self.model_label.setStyleSheet("color:gray")
        for w in (self.top_label, self.uncertainty_label, self.chart, self.source_label, self.model_label):
            layout.addWidget(w)

        buttons = QHBoxLayout()
        self.export_button = QPushButton("Export result\u2026")
        self.export_button.setToolTip("Save this result as CSV or JSON")
        self.export_button.setEnabled(False)
        self.folder_button = QPushButton("Analyse folder\u2026")
        self.folder_button.setToolTip("Analyse every scan in a folder and save the results as CSV or JSON")
        self.manifest_button = QPushButton("Analyse list\u2026")
        self.manifest_button.setToolTip("Analyse the scans listed in the browser (or a manifest) and save the results")
        for b in (self.export_button, self.folder_button, self.manifest_button):
            buttons.addWidget(b)
        layout.addLayout(buttons)
        batch = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m")
        self.cancel_button = QPushButton("Cancel")
        batch.addWidget(self.progress, 1)
        batch.addWidget(self.cancel_button)
        self.batch_label = QLabel()
        self.batch_label.setWordWrap(True)
        layout.addLayout(batch)
        layout.addWidget(self.batch_label)
        layout.addStretch(1)
        self._batch_widgets = (self.progress, self.cancel_button)
        for w in self._batch_widgets:
            w.hide()
        self.batch_label.hide()

        self.export_button.clicked.connect(self.exportRequested)
        self.folder_button.clicked.connect(self.batchFolderRequested)
        self.manifest_button.clicked.connect(self.batchManifestRequested)
        self.cancel_button.clicked.connect(self.cancelRequested)
        self.chart.classClicked.connect(self.classClicked)
        self._probabilities: dict[str, float] = {}

    # ------------------------------------------------------------------------------------------------ result
    def set_result(self, probabilities: Mapping[str, float], top: str, uncertainty: Uncertainty, source: str,
                   checkpoint: str, prompt_set: str, face: FaceFlag | None = None) -> None:
        """Show a result; face: its input's face flag (a warning when no face was found; None: none looked for)."""
        self.set_face(face)
        self._probabilities = {str(k): float(v) for k, v in probabilities.items()}
        self._set_confidence(low_confidence_text(self._probabilities) if self._probabilities else "")
        self.top_label.setText(f"{top}  {100 * self._probabilities.get(top, 0.0):.1f} %")
        self.uncertainty_label.setText(
            f"uncertainty: entropy {uncertainty.entropy:.2f} (normalised) \u00b7 "
            f"margin {uncertainty.margin:.2f} over {uncertainty.second or DASH}"
        )
        self.chart.set_probabilities(self._probabilities)
        self.source_label.setText(f"<b>Input:</b> {short_name(source)}" if source else "")
        self.source_label.setToolTip(source)
        self.set_model(checkpoint, prompt_set)
        self.export_button.setEnabled(True)

    def set_model(self, checkpoint: str, prompt_set: str) -> None:
        self.model_label.setText(f"checkpoint: {Path(checkpoint).name if checkpoint else DASH} \u00b7 "
                                 f"prompt set: {prompt_set or DASH}")
        self.model_label.setToolTip(checkpoint)

    def set_face(self, face: FaceFlag | None) -> None:
        """Show the warning of a face flag that is not ok; hide it otherwise."""
        text = face_caution_text(face)
        self.face_warning.setText(f"\u26a0 {text}" if text else "")
        self.face_warning.setToolTip(
            "The scan was matched against a template face to find the nose tip, orient, scale and crop it for the "
            "model; the match failed, so the model's views may not show a face." if text else "")
        self.face_warning.setVisible(bool(text))

    def _set_confidence(self, text: str) -> None:
        self.confidence_warning.setText(text)
        self.confidence_warning.setVisible(bool(text))

    def warning_text(self) -> str:
        """The face warning shown ('' when none)."""
        return self.face_warning.text() if not self.face_warning.isHidden() else ""

    def confidence_text(self) -> str:
        """The low-confidence line shown ('' when none)."""
        return self.confidence_warning.text() if not self.confidence_warning.isHidden() else ""

    def set_pending(self, text: str) -> None:
        """A new result is being computed: say so and grey the old bars."""
        self.set_face(None)
        self._set_confidence("")
        self.chart.set_stale(True)
        self.uncertainty_label.setText(text)

    def clear(self) -> None:
        self.set_face(None)
        self._set_confidence("")
        self._probabilities = {}
        self.top_label.setText("No result yet")
        self.uncertainty_label.clear()
        self.source_label.clear()
        self.chart.set_probabilities({})
        self.export_button.setEnabled(False)

    def probabilities(self) -> dict[str, float]:
        return dict(self._probabilities)

    # ------------------------------------------------------------------------------------------------ batch
    def batch_started(self, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(0)
        for w in self._batch_widgets:
            w.show()
        self.cancel_button.setEnabled(True)
        self.batch_label.setText(f"analysing {total} input(s)\u2026")
        self.batch_label.show()
        self.folder_button.setEnabled(False)
        self.manifest_button.setEnabled(False)

    def batch_progress(self, done: int, total: int, path: str) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        self.batch_label.setText(f"{done} / {total}: {Path(path).name}")

    def batch_finished(self, text: str) -> None:
        for w in self._batch_widgets:
            w.hide()
        self.batch_label.setText(text)
        self.folder_button.setEnabled(True)
        self.manifest_button.setEnabled(True)
