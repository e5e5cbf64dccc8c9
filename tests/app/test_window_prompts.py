"""The prompt set across actions and sessions (app.window_prompts and the window's status bar / exports): issue 14,
item 14 — the status bar and exports carry the current set's name, the last prompt set is reopened at start."""

import json

from app.window_prompts import LAST_SET_KEY
from core.inference.export import read_json
from core.prompts import PromptSet, default_prompt_set, save_prompt_set

from .conftest import open_window, write_scan


def _apply(window, qtbot, action):
    with qtbot.waitSignal(window.controller.promptsApplied, timeout=30_000) as sig:
        action()
    return sig.args[0]


def test_status_bar_and_exports_follow_the_prompt_set(window, qtbot, tmp_path):
    clip = tmp_path / "lab_prompts.json"
    clip.write_text(json.dumps({"joy": ["a person smiling happily"], "calm": ["a calm neutral face"]}),
                    encoding="utf-8")
    applied = _apply(window, qtbot, lambda: window.prompt_editor.import_file(clip))  # no scan open: nothing scored
    assert applied.labels == ("joy", "calm")
    name = applied.name
    assert window.model_label.text().endswith(f"prompts: {name} (unsaved edits)")
    assert "joy, calm" in window.model_label.toolTip()

    assert window.prompt_editor.save_file(tmp_path / "saved.json")
    qtbot.waitUntil(lambda: window.model_label.text().endswith(f"prompts: {name}"), timeout=5000)

    _apply(window, qtbot, lambda: window.prompt_editor.controller.add_class("surprise", "a surprised face"))
    assert window.model_label.text().endswith(f"prompts: {name} (unsaved edits)")
    assert "joy, calm, surprise" in window.model_label.toolTip()

    scan = write_scan(tmp_path / "a.obj")
    with qtbot.waitSignal(window.controller.resultReady, timeout=60_000):
        window.open_path(scan)
    assert window.results.model_label.text().endswith(f"prompt set: {name} (unsaved edits)")
    out = tmp_path / "one.json"
    with qtbot.waitSignal(window.banner.messageShown, timeout=30_000):
        window.export_result(str(out))
    doc = read_json(out)
    assert doc["prompt_set"] == f"{name} (unsaved edits)" and doc["labels"] == ["joy", "calm", "surprise"]


def test_the_last_prompt_set_is_reopened_at_start(qtbot, tiny_checkpoint, data_dir, tmp_path):
    mine = PromptSet("mine", {"joy": ["a joyful face"], "calm": ["a calm face"]})
    path = tmp_path / "mine.json"
    save_prompt_set(mine, path)

    w = open_window(qtbot, tiny_checkpoint, data_dir)
    model_set = w.controller.analyzer.prompt_set
    assert w.prompt_editor.load_file(path)
    qtbot.waitUntil(lambda: w.controller.analyzer.prompt_set == mine, timeout=30_000)
    w.close()
    assert w.settings.value(LAST_SET_KEY) == f"file:{path}"

    w = open_window(qtbot, tiny_checkpoint, data_dir)  # the file comes back, saved, and the model scores with it
    assert w.prompt_editor.controller.path == path and not w.prompt_editor.is_modified
    assert w.prompt_editor.prompt_set == mine and w.controller.analyzer.prompt_set == mine
    assert w.model_label.text().endswith("prompts: mine")
    other = next(n for n in ("expressions_neutral", "micro_expressions") if default_prompt_set(n) != model_set)
    assert w.prompt_editor.reset_to_default(other)
    w.close()
    assert w.settings.value(LAST_SET_KEY) == f"shipped:{other}"

    w = open_window(qtbot, tiny_checkpoint, data_dir)
    assert w.prompt_editor.prompt_set == default_prompt_set(other) == w.controller.analyzer.prompt_set
    assert w.prompt_editor.load_file(path)
    w.close()

    path.unlink()  # the file has gone: a warning naming it, the model's own set
    w = open_window(qtbot, tiny_checkpoint, data_dir)
    assert any(level == "warning" and str(path) in text and "gone" in text for level, text in w.banner.history)
    assert w.controller.analyzer.prompt_set == model_set
    w.close()
    assert w.settings.value(LAST_SET_KEY) == ""  # the model's own set comes with the model
