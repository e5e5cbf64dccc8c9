"""The training panel's form: the training data (a manifest, or a synthetic preset to generate) and the pretraining
options, read and written as a :class:`app.controllers.training.TrainingOptions`.

Laid out to fit a side panel: the short options are label/field cells in as many columns as the width allows
(:class:`app.widgets.column_flow.ColumnFlowLayout`: three in the default window, two or one when narrower), the
long ones (backbone, text encoder, supervision, prompt set) a row each; every field keeps its tooltip (the labels
are short: "α BT" is the weight α of the multi-view Barlow Twins loss). Generating a preset is the panel's job:
it connects ``generate_button``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QElidingLabel, QFlowLayout

from app.controllers.training import SUPERVISION_LABELS, SYNTH_KINDS, TrainingOptions
from app.widgets.column_flow import ColumnFlowLayout

BACKBONES = ("smallcnn", "resnet18", "resnet50", "clip:ViT-B-32:openai")
TEXT_ENCODERS = ("minilm", "clip:ViT-B-32:openai")
DEVICES = ("auto", "cpu", "cuda")
#: A short option's field may shrink to this width (two columns of cells then fit the Training dock of a 1024 px
#: wide window).
FIELD_MIN_WIDTH = 64
#: The margins inside the two group boxes.
BOX_MARGINS = (6, 6, 6, 6)
#: A long option's (or a combo's) contents may shrink to this many characters.
COMBO_MIN_CHARS = 8


def _spin(low: int, high: int, tip: str, suffix: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setToolTip(tip)
    box.setSuffix(suffix)
    box.setMinimumWidth(FIELD_MIN_WIDTH)
    return box


class _Decimal(QDoubleSpinBox):
    """A double spin box that shows 0.0001, not 0.0001000 (a narrow field still shows the whole value)."""

    def textFromValue(self, value: float) -> str:  # noqa: N802 (Qt API)
        text = super().textFromValue(value)
        point = self.locale().decimalPoint()
        return text.rstrip("0").rstrip(point) if point in text else text


def _double(low: float, high: float, decimals: int, step: float, tip: str) -> QDoubleSpinBox:
    box = _Decimal()
    box.setRange(low, high)
    box.setDecimals(decimals)
    box.setSingleStep(step)
    box.setToolTip(tip)
    box.setMinimumWidth(FIELD_MIN_WIDTH)
    return box


def _combo(items, editable: bool, tip: str) -> QComboBox:
    box = QComboBox()
    box.addItems(list(items))
    box.setEditable(editable)
    box.setToolTip(tip)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(COMBO_MIN_CHARS)
    return box


def _cell(label: QLabel, field: QWidget, note: QLabel | None = None) -> QWidget:
    """A label and its field side by side (the label carries the field's tooltip); ``note`` under the field."""
    label.setBuddy(field)
    label.setToolTip(field.toolTip())
    cell = QWidget()
    grid = QGridLayout(cell)
    grid.setContentsMargins(0, 0, 0, 0)
    grid.setVerticalSpacing(2)
    grid.addWidget(label, 0, 0)
    grid.addWidget(field, 0, 1)
    if note is not None:
        grid.addWidget(note, 1, 1)
    grid.setColumnStretch(1, 1)
    return cell


def _align(labels: list[QLabel]) -> None:
    """One width for ``labels`` (so the fields after them line up)."""
    width = max(label.sizeHint().width() for label in labels)
    for label in labels:
        label.setFixedWidth(width)


class TrainingForm(QWidget):
    """See the module docstring."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._default_data = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._build_data())
        layout.addWidget(self._build_options())
        self.set_options(TrainingOptions.defaults())

    # ---------------------------------------------------------------- UI
    def _build_data(self) -> QGroupBox:
        self.data_edit = QLineEdit()
        self.data_edit.setPlaceholderText("manifest CSV (smile-vlm index)")
        self.data_edit.setToolTip("The training data: a manifest CSV written by smile-vlm index")
        self.browse_button = QPushButton("Browse…")
        self.browse_button.setToolTip("Choose a manifest CSV")
        self.browse_button.clicked.connect(self._browse_manifest)
        self.preset_combo = _combo(SYNTH_KINDS, False, "synthetic dataset generator (smile-vlm synth)")
        self.preset_combo.setMinimumContentsLength(6)
        self.preset_combo.setCurrentText("bu3dfe")
        self.subjects_spin = _spin(1, 500, "number of synthetic subjects", " subjects")
        self.subjects_spin.setValue(2)
        self.preset_combo.currentTextChanged.connect(self._preset_kind_changed)
        self.generate_button = QPushButton("Generate")
        self.generate_button.setToolTip("Generate the synthetic preset in the background and use its manifest")
        self.preset_label = QElidingLabel("")  # wrapped, its last line elided: a long path never widens the panel
        self.preset_label.setWordWrap(True)
        self.preset_label.setElideMode(Qt.TextElideMode.ElideMiddle)
        self.preset_label.hide()  # shown with a text (set_preset_text)

        synthetic = QWidget()  # kind, size and Generate: one row, wrapped in a narrow panel
        flow = QFlowLayout(synthetic)
        flow.setContentsMargins(0, 0, 0, 0)
        flow.setHorizontalSpacing(4)  # explicit: the style's may be -1 (widgets would overlap by a pixel)
        flow.setVerticalSpacing(4)
        for widget in (self.preset_combo, self.subjects_spin, self.generate_button):
            flow.addWidget(widget)
        box = QGroupBox("Data")
        grid = QGridLayout(box)
        grid.setContentsMargins(*BOX_MARGINS)
        grid.addWidget(QLabel("Manifest"), 0, 0)
        grid.addWidget(self.data_edit, 0, 1)
        grid.addWidget(self.browse_button, 0, 2)
        grid.addWidget(QLabel("Synthetic"), 1, 0)
        grid.addWidget(synthetic, 1, 1, 1, 2)
        grid.addWidget(self.preset_label, 2, 0, 1, 3)
        grid.setColumnStretch(1, 1)
        return box

    def _build_options(self) -> QGroupBox:
        self.epochs_spin = _spin(1, 100_000, "epochs")
        self.batch_spin = _spin(2, 65_536, "batch size per process")
        self.lr_spin = _double(1e-7, 1.0, 7, 1e-5, "Adam learning rate")
        self.alpha_spin = _double(0.0, 1000.0, 3, 0.1, "α: weight of the multi-view Barlow Twins loss")
        self.beta_spin = _double(0.0, 1000.0, 3, 0.1, "β: weight of the vision-language alignment loss")
        self.gamma_spin = _double(0.0, 1000.0, 3, 0.1, "γ: weight of the redundancy minimisation loss")
        self.lambd_bt_spin = _double(0.0, 10.0, 5, 0.001, "λ of the Barlow Twins loss (off-diagonal weight)")
        self.lambd_rm_spin = _double(0.0, 10.0, 5, 0.001, "λ of the redundancy loss (off-diagonal weight)")
        self.tau_spin = _double(0.001, 10.0, 4, 0.01, "τ: temperature of the alignment loss")
        self.views_spin = _spin(1, 64, "rendered views per sample")
        self.size_spin = _spin(16, 1024, "view size in pixels", " px")
        self.dim_spin = _spin(1, 8192, "embedding dimension D")
        self.device_combo = _combo(DEVICES, False, "training device")
        self.device_combo.setMinimumWidth(FIELD_MIN_WIDTH)
        self.workers_spin = _spin(0, 64, "data-loading worker processes")
        self.seed_spin = _spin(0, 2**31 - 1, "random seed")
        self.backbone_combo = _combo(BACKBONES, True, "visual backbone spec (e.g. resnet18:<weights.pth>)")
        self.text_combo = _combo(TEXT_ENCODERS, True, "frozen text encoder spec")
        self.supervision_combo = QComboBox()
        for mode, text in SUPERVISION_LABELS.items():
            self.supervision_combo.addItem(text, mode)
        self.supervision_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.supervision_combo.setMinimumContentsLength(COMBO_MIN_CHARS)
        self.supervision_combo.setToolTip(
            "metadata: each step draws a prompt of the sample's category, so training uses the manifest's "
            "category labels.\nnone: fully label-free training (multi-view Barlow Twins only; β and γ are 0)."
        )
        self.supervision_combo.currentIndexChanged.connect(self._supervision_changed)
        self.supervision_note = QLabel()
        self.supervision_note.setWordWrap(True)
        self.supervision_note.setStyleSheet("color:gray")
        from core.prompts import default_prompt_sets

        self.prompt_set_combo = _combo([""] + default_prompt_sets(), True,
                                       "prompt set: a shipped set's name or a prompt file; empty = the set being "
                                       "edited in the Prompts panel (saved into the run folder as prompts.json)")
        self.prompt_set_combo.lineEdit().setPlaceholderText("the set being edited (Prompts panel)")

        short = (("Epochs", self.epochs_spin), ("Batch", self.batch_spin), ("LR", self.lr_spin),
                 ("α BT", self.alpha_spin), ("β VL", self.beta_spin), ("γ RM", self.gamma_spin),
                 ("λ BT", self.lambd_bt_spin), ("λ RM", self.lambd_rm_spin), ("τ", self.tau_spin),
                 ("Views", self.views_spin), ("Size", self.size_spin), ("Dim", self.dim_spin),
                 ("Device", self.device_combo), ("Workers", self.workers_spin), ("Seed", self.seed_spin))
        long = (("Backbone", self.backbone_combo), ("Text encoder", self.text_combo),
                ("Supervision", self.supervision_combo), ("Prompt set", self.prompt_set_combo))
        short_labels = [QLabel(text) for text, _ in short]
        long_labels = [QLabel(text) for text, _ in long]
        _align(short_labels)
        _align(long_labels)
        box = QGroupBox("Pretraining")
        self.options_layout = ColumnFlowLayout(box, max_columns=3, preferred_columns=2)
        self.options_layout.setContentsMargins(*BOX_MARGINS)
        for label, (_, field) in zip(short_labels, short):
            self.options_layout.addWidget(_cell(label, field))
        for label, (text, field) in zip(long_labels, long):
            note = self.supervision_note if text == "Supervision" else None
            self.options_layout.addWidget(_cell(label, field, note), span=0)
        return box

    # ---------------------------------------------------------------- options
    def options(self) -> TrainingOptions:
        """The options as set in the form."""
        return TrainingOptions(
            data=self.data_edit.text().strip(),
            epochs=self.epochs_spin.value(),
            batch_size=self.batch_spin.value(),
            lr=self.lr_spin.value(),
            alpha=self.alpha_spin.value(),
            beta=self.beta_spin.value(),
            gamma=self.gamma_spin.value(),
            lambd_bt=self.lambd_bt_spin.value(),
            lambd_rm=self.lambd_rm_spin.value(),
            tau=self.tau_spin.value(),
            embed_dim=self.dim_spin.value(),
            backbone=self.backbone_combo.currentText().strip(),
            text_encoder=self.text_combo.currentText().strip(),
            n_views=self.views_spin.value(),
            image_size=self.size_spin.value(),
            prompts=str(self.supervision_combo.currentData()),
            prompt_set=self.prompt_set_combo.currentText().strip(),
            device=self.device_combo.currentText(),
            num_workers=self.workers_spin.value(),
            seed=self.seed_spin.value(),
        )

    def set_options(self, options: TrainingOptions) -> None:
        """Fill the form from ``options``."""
        self.data_edit.setText(options.data)
        self.epochs_spin.setValue(options.epochs)
        self.batch_spin.setValue(options.batch_size)
        self.lr_spin.setValue(options.lr)
        self.alpha_spin.setValue(options.alpha)
        self.beta_spin.setValue(options.beta)
        self.gamma_spin.setValue(options.gamma)
        self.lambd_bt_spin.setValue(options.lambd_bt)
        self.lambd_rm_spin.setValue(options.lambd_rm)
        self.tau_spin.setValue(options.tau)
        self.dim_spin.setValue(options.embed_dim)
        self.backbone_combo.setCurrentText(options.backbone)
        self.text_combo.setCurrentText(options.text_encoder)
        self.views_spin.setValue(options.n_views)
        self.size_spin.setValue(options.image_size)
        at = self.supervision_combo.findData(options.prompts)
        self.supervision_combo.setCurrentIndex(max(0, at))
        self.prompt_set_combo.setCurrentText(options.prompt_set)
        self.device_combo.setCurrentText(options.device)
        self.workers_spin.setValue(options.num_workers)
        self.seed_spin.setValue(options.seed)
        self._supervision_changed()

    def set_default_data(self, manifest_path: str) -> None:
        """Offer ``manifest_path`` as the training data (kept when the user has already chosen another)."""
        current = self.data_edit.text().strip()
        if not current or current == self._default_data:
            self.data_edit.setText(str(manifest_path))
        self._default_data = str(manifest_path)

    def set_preset_text(self, text: str) -> None:
        """The line under the synthetic preset row (hidden when empty)."""
        self.preset_label.setText(text)
        self.preset_label.setToolTip(text)
        self.preset_label.setVisible(bool(text))

    def _supervision_changed(self, *_args) -> None:
        metadata = self.supervision_combo.currentData() == "metadata"
        self.beta_spin.setEnabled(metadata)
        self.gamma_spin.setEnabled(metadata)
        self.prompt_set_combo.setEnabled(metadata)
        self.supervision_note.setText(
            "Uses the manifest's category labels (a prompt of each sample's class per step)."
            if metadata
            else "Label-free: no labels and no language are used (β and γ are set to 0)."
        )

    def _preset_kind_changed(self, kind: str) -> None:
        self.subjects_spin.setEnabled(kind != "demo")  # the demo set's size is fixed by resources/synth.json

    def _browse_manifest(self) -> None:
        start = self.data_edit.text().strip() or str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Choose a manifest", start, "Manifests (*.csv);;All files (*)")
        if path:
            self.data_edit.setText(path)
