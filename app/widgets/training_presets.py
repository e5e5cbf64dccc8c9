"""Generating a synthetic preset for the training panel (a mixin of app.widgets.training_panel.TrainingPanel):
`smile-vlm synth` then `smile-vlm index` in a background process; the manifest becomes the training data when done,
an existing preset of the same kind and size is reused, and a failure is reported in the banner and the Output tab.
"""

from __future__ import annotations

from app.controllers.training import ProcessJob, synth_plan


class PresetGeneration:
    """Mixed into TrainingPanel (a QWidget with ``form`` and its widgets as attributes, ``preset_job``,
    ``_preset_manifest``, ``message``, ``output_view``, ``tabs`` and show_page)."""

    def _generate_clicked(self) -> None:
        if self.preset_job is not None and self.preset_job.is_running():
            self.preset_job.cancel()
            return
        self.generate_preset(self.preset_combo.currentText(), self.subjects_spin.value())

    def generate_preset(self, kind: str, subjects: int) -> bool:
        """Make the synthetic preset (`smile-vlm synth`, then `smile-vlm index`) in the background; its manifest
        becomes the training data when done. An existing preset of the same kind and size is reused."""
        if self.preset_job is not None and self.preset_job.is_running():
            self.message.show_message("A synthetic preset is being generated already", "warning")
            return False
        try:
            plan = synth_plan(kind, subjects)
        except ValueError as exc:
            self.message.show_message(str(exc), "error")
            return False
        if plan.manifest.is_file():
            self.data_edit.setText(str(plan.manifest))
            self.form.set_preset_text(f"Using the existing preset {plan.out}")
            return True
        plan.out.parent.mkdir(parents=True, exist_ok=True)
        job = ProcessJob([list(c) for c in plan.commands], kill_after_ms=10_000, parent=self)
        job.output.connect(self._preset_output)
        job.finished.connect(self._preset_finished)
        self.preset_job = job
        self._preset_manifest = plan.manifest
        self.form.set_preset_text(f"Generating {kind} ({subjects} subjects) in {plan.out}…")
        self.generate_button.setText("Stop")
        job.start()
        return True

    def _preset_output(self, _text: str) -> None:
        if self.preset_job is not None:
            last = self.preset_job.output_text(1).strip()
            if last:
                self.form.set_preset_text(last[-200:])

    def _preset_finished(self, ok: bool, message: str) -> None:
        job, manifest = self.preset_job, self._preset_manifest
        self.generate_button.setText("Generate")
        if ok and manifest is not None and manifest.is_file():
            self.data_edit.setText(str(manifest))
            self.form.set_preset_text(f"Synthetic preset ready: {manifest}")
            self.message.show_message(f"Synthetic preset ready: {manifest}", "info")
            return
        reason = "cancelled" if job is not None and job.cancelled else (message or f"{manifest} was not written")
        tail = job.output_text(20) if job is not None else ""
        self.form.set_preset_text(f"Generating the preset failed: {reason}")
        self.message.show_message(f"Generating the synthetic preset failed: {reason}", "error")
        self.output_view.setPlainText(f"Synthetic preset failed: {reason}\n\n--- end of the output ---\n{tail}")
        self.tabs.setCurrentWidget(self.output_view)
        self.show_page("run")
