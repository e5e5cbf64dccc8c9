"""PromptEditorPanel: editing through the tree's model, debounced promptSetChanged, undo/redo (actions and keys),
add/remove, refused edits, files, shipped defaults."""

import json
import time

import pytest
from PySide6.QtCore import Qt

from app.widgets.prompt_editor import DEBOUNCE_MS, PromptEditorPanel, prepare_screenshot
from core.prompts import PromptSet, default_prompt_set, load_prompt_set, save_prompt_set

BASE = PromptSet("mine", {"joy": ["a joyful face", "a smile"], "calm": ["a calm face"]})


@pytest.fixture
def panel(qtbot):
    p = PromptEditorPanel(BASE)
    qtbot.addWidget(p)
    p.resize(700, 500)
    p.show()
    qtbot.waitExposed(p)
    return p


def _index(panel, label, prompt=None):
    model = panel.model
    for row in range(model.rowCount()):
        parent = model.index(row, 0)
        if parent.data() == label:
            return parent if prompt is None else model.index(prompt, 0, parent)
    raise AssertionError(f"no class {label!r} in the tree")


def _tree_texts(panel):
    model = panel.model
    out = {}
    for row in range(model.rowCount()):
        parent = model.index(row, 0)
        out[parent.data()] = [model.index(i, 0, parent).data() for i in range(model.rowCount(parent))]
    return out


def test_edit_emits_new_set_then_undo_restores(panel, qtbot):
    t0 = time.perf_counter()
    with qtbot.waitSignal(panel.promptSetChanged, timeout=2000) as blocker:
        assert panel.model.setData(_index(panel, "joy", 1), "a wide grin", Qt.ItemDataRole.EditRole)
    latency_ms = (time.perf_counter() - t0) * 1000
    assert blocker.args[0].classes["joy"] == ("a joyful face", "a wide grin")
    assert latency_ms >= DEBOUNCE_MS * 0.9  # debounced, not immediate
    qtbot.waitUntil(lambda: _tree_texts(panel)["joy"] == ["a joyful face", "a wide grin"], timeout=1000)
    assert panel.is_modified and "unsaved" in panel.modified_label.text()

    with qtbot.waitSignal(panel.promptSetChanged, timeout=2000) as blocker:
        panel.undo_action.trigger()
    assert blocker.args[0] == BASE and panel.prompt_set == BASE
    qtbot.waitUntil(lambda: _tree_texts(panel)["joy"] == ["a joyful face", "a smile"], timeout=1000)
    assert not panel.is_modified

    with qtbot.waitSignal(panel.promptSetChanged, timeout=2000) as blocker:
        panel.redo_action.trigger()
    assert blocker.args[0].classes["joy"][1] == "a wide grin"


def test_keyboard_undo_redo(panel, qtbot):
    panel.activateWindow()
    qtbot.waitActive(panel)
    panel.tree.setFocus()
    panel.controller.edit_prompt("calm", 0, "a serene face")
    qtbot.waitUntil(panel.tree.hasFocus, timeout=1000)
    qtbot.keyClick(panel.tree, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert panel.prompt_set == BASE
    qtbot.keyClick(panel.tree, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert panel.prompt_set.classes["calm"] == ("a serene face",)


def test_burst_of_edits_emits_once_with_the_final_set(panel, qtbot):
    emitted = []
    panel.promptSetChanged.connect(emitted.append)
    panel.controller.edit_prompt("joy", 0, "one")
    panel.controller.edit_prompt("joy", 0, "two")
    panel.controller.edit_prompt("joy", 0, "three")
    qtbot.waitUntil(lambda: len(emitted) == 1, timeout=2000)
    qtbot.wait(3 * DEBOUNCE_MS)
    assert len(emitted) == 1 and emitted[0].classes["joy"][0] == "three"


def test_add_and_remove_class_and_prompt(panel, qtbot):
    panel.class_edit.setText("anger")
    panel.prompt_edit.setText("a frowning face")
    with qtbot.waitSignal(panel.promptSetChanged, timeout=2000) as blocker:
        qtbot.mouseClick(panel.add_class_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].labels == ("joy", "calm", "anger")
    assert panel.selected_class() == "anger" and panel.class_edit.text() == ""

    panel.prompt_edit.setText("an angry glare")
    with qtbot.waitSignal(panel.promptSetChanged, timeout=2000) as blocker:
        qtbot.keyClick(panel.prompt_edit, Qt.Key.Key_Return)  # adds to the selected class
    assert blocker.args[0].classes["anger"] == ("a frowning face", "an angry glare")
    qtbot.waitUntil(lambda: _tree_texts(panel).get("anger") == ["a frowning face", "an angry glare"], timeout=1000)

    panel.select("anger", 0)
    with qtbot.waitSignal(panel.promptSetChanged, timeout=2000) as blocker:
        assert panel.remove_selected()
    assert blocker.args[0].classes["anger"] == ("an angry glare",)

    qtbot.waitUntil(lambda: _tree_texts(panel).get("anger") == ["an angry glare"], timeout=1000)
    panel.select("calm")
    with qtbot.waitSignal(panel.promptSetChanged, timeout=2000) as blocker:
        assert panel.remove_selected()
    assert blocker.args[0].labels == ("joy", "anger")
    qtbot.waitUntil(lambda: list(_tree_texts(panel)) == ["joy", "anger"], timeout=1000)


def test_rename_class_and_set_through_the_ui(panel, qtbot):
    with qtbot.waitSignal(panel.promptSetChanged, timeout=2000) as blocker:
        assert panel.model.setData(_index(panel, "joy"), "happiness", Qt.ItemDataRole.EditRole)
    assert blocker.args[0].labels == ("happiness", "calm")
    panel.name_edit.setText("renamed")
    with qtbot.waitSignal(panel.promptSetChanged, timeout=2000) as blocker:
        panel.name_edit.editingFinished.emit()
    assert blocker.args[0].name == "renamed"


@pytest.mark.parametrize(
    "action, needle",
    [
        (lambda p: p.model.setData(_index(p, "joy", 0), "  ", Qt.ItemDataRole.EditRole), "cannot be empty"),
        (lambda p: p.model.setData(_index(p, "joy", 0), "a smile", Qt.ItemDataRole.EditRole), "already has"),
        (lambda p: p.model.setData(_index(p, "joy"), "calm", Qt.ItemDataRole.EditRole), "already has a class"),
        (lambda p: p.model.setData(_index(p, "joy"), "", Qt.ItemDataRole.EditRole), "cannot be empty"),
        (lambda p: (p.select("calm", 0), p.remove_button.click()), "at least one prompt"),
        (lambda p: (p.class_edit.setText("joy"), p.prompt_edit.setText("x"), p.add_class_button.click()),
         "already has a class"),
        (lambda p: (p.class_edit.setText(" "), p.prompt_edit.setText(""), p.add_class_button.click()),
         "cannot be empty"),
        (lambda p: (p.select("joy", 0), p.prompt_edit.setText("a smile"), p.add_prompt_button.click()),
         "already has the prompt"),
    ],
)
def test_invalid_edits_are_refused_with_a_message(panel, qtbot, action, needle):
    with qtbot.assertNotEmitted(panel.promptSetChanged, wait=3 * DEBOUNCE_MS):
        action(panel)
    assert needle in panel.message.text() and panel.message.level() == "error" and panel.message.isVisible()
    assert panel.prompt_set == BASE and _tree_texts(panel) == {k: list(v) for k, v in BASE.classes.items()}
    assert not panel.is_modified


def test_removing_the_last_class_is_refused(qtbot):
    p = PromptEditorPanel(PromptSet("one", {"a": ["an a face"]}))
    qtbot.addWidget(p)
    p.select("a")
    assert not p.remove_selected()
    assert "at least one class" in p.message.text()
    p.tree.setCurrentIndex(p.model.index(-1, 0))
    assert not p.remove_selected() and "Select" in p.message.text()


def test_invalid_file_is_refused_and_set_stays(panel, qtbot, tmp_path):
    panel.controller.edit_prompt("joy", 0, "unsaved edit")
    qtbot.wait(2 * DEBOUNCE_MS)
    bad = tmp_path / "broken.json"
    bad.write_text("{ not json")
    with qtbot.assertNotEmitted(panel.promptSetChanged, wait=3 * DEBOUNCE_MS):
        assert not panel.load_file(bad)
    assert "broken.json" in panel.message.text() and "not valid JSON" in panel.message.text()
    assert panel.prompt_set.classes["joy"][0] == "unsaved edit" and panel.is_modified


def test_save_load_round_trip(panel, qtbot, tmp_path):
    panel.controller.add_prompt("calm", "a peaceful face")
    path = tmp_path / "mine.json"
    assert panel.save_file(path)
    assert not panel.is_modified and panel.modified_label.text() == "saved"
    assert str(path) in panel.file_label.text()
    assert load_prompt_set(path) == panel.prompt_set

    other = PromptSet("other", {"x": ["an x face"], "y": ["a y face"]})
    save_prompt_set(other, tmp_path / "other.json")
    with qtbot.waitSignal(panel.promptSetChanged, timeout=2000) as blocker:
        assert panel.load_file(tmp_path / "other.json")
    assert blocker.args[0] == other
    qtbot.waitUntil(lambda: list(_tree_texts(panel)) == ["x", "y"], timeout=1000)
    assert panel.name_edit.text() == "other"
    with qtbot.waitSignal(panel.promptSetChanged, timeout=2000) as blocker:
        assert panel.load_file(path)
    assert blocker.args[0].classes["calm"] == ("a calm face", "a peaceful face")


def test_import_export_clip_format(panel, qtbot, tmp_path):
    out = tmp_path / "exported.json"
    assert panel.export_file(out)
    assert json.loads(out.read_text()) == {k: list(v) for k, v in BASE.classes.items()}
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps({"happy": ["a happy face"], "sad": ["a sad face"]}))
    with qtbot.waitSignal(panel.promptSetChanged, timeout=2000) as blocker:
        assert panel.import_file(bench)
    assert blocker.args[0] == PromptSet("bench", {"happy": ["a happy face"], "sad": ["a sad face"]})
    assert panel.is_modified  # imported sets are not saved yet
    bench.write_text(json.dumps(["not", "a", "mapping"]))
    assert not panel.import_file(bench)
    assert "expected an object" in panel.message.text() and panel.prompt_set.name == "bench"


def test_reset_to_shipped_set_and_set_prompt_set(panel, qtbot):
    panel.defaults_combo.setCurrentText("expressions_neutral")
    with qtbot.waitSignal(panel.promptSetChanged, timeout=2000) as blocker:
        qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0] == default_prompt_set("expressions_neutral")
    assert not panel.is_modified

    with qtbot.assertNotEmitted(panel.promptSetChanged, wait=3 * DEBOUNCE_MS):
        panel.set_prompt_set(BASE)
    assert panel.prompt_set == BASE
    qtbot.waitUntil(lambda: list(_tree_texts(panel)) == ["joy", "calm"], timeout=1000)


def test_prepare_screenshot_shows_a_shipped_set(panel, qtbot):
    prepare_screenshot(panel, "expressions")
    assert panel.prompt_set == default_prompt_set("expressions")
    assert list(_tree_texts(panel)) == list(default_prompt_set("expressions").labels)
    assert panel.selected_class() == "happiness"


def test_a_class_added_by_its_name_alone_gets_a_template_prompt(panel, qtbot):
    """Issue 14, item 14: "Add class" with an empty prompt field used to be refused."""
    panel.class_edit.setText("pain")
    panel.prompt_edit.setText("")
    with qtbot.waitSignal(panel.promptSetChanged, timeout=2000) as blocker:
        panel.add_class_button.click()
    assert blocker.args[0].classes["pain"] == ("a face showing pain",)
    assert "edit it" in panel.message.text() and panel.selected_class() == "pain"


def test_save_as_and_export_add_the_json_suffix(panel, tmp_path):
    assert panel.save_file(tmp_path / "my prompts")
    assert (tmp_path / "my prompts.json").is_file() and not (tmp_path / "my prompts").exists()
    assert panel.export_file(tmp_path / "clip")
    assert (tmp_path / "clip.json").is_file()
    assert panel.save_file(tmp_path / "kept.JSON") and (tmp_path / "kept.JSON").is_file()


def _open_editor(panel, qtbot, index):
    from PySide6.QtWidgets import QLineEdit

    panel.tree.setCurrentIndex(index)
    panel.tree.edit(index)
    qtbot.waitUntil(lambda: any(e.isVisible() for e in panel.tree.findChildren(QLineEdit)), timeout=2000)
    editors = [e for e in panel.tree.findChildren(QLineEdit) if e.isVisible()]
    assert len(editors) == 1
    return editors[0]


def test_typing_a_prompt_refreshes_on_every_keystroke_and_escape_reverts(panel, qtbot):
    """Issue 14 item 14: the set follows the typing (preview, not on the undo stack); Escape goes back; Enter
    commits one undo step."""
    seen = []
    panel.promptSetChanged.connect(seen.append)
    editor = _open_editor(panel, qtbot, _index(panel, "joy", 1))
    editor.selectAll()
    qtbot.keyClicks(editor, "a grin")
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].classes["joy"][1] == "a grin", timeout=2000)
    assert panel.prompt_set == BASE and not panel.is_modified  # nothing committed yet
    assert not panel.controller.undo_stack.canUndo()
    assert panel.live_prompt_set.classes["joy"] == ("a joyful face", "a grin")
    qtbot.keyClicks(editor, "ning face")
    qtbot.waitUntil(lambda: seen[-1].classes["joy"][1] == "a grinning face", timeout=2000)
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: seen[-1] == BASE, timeout=2000)  # reverted: the committed set is emitted again
    assert panel.prompt_set == BASE and panel.live_prompt_set == BASE

    seen.clear()
    editor = _open_editor(panel, qtbot, _index(panel, "calm", 0))
    editor.selectAll()
    qtbot.keyClicks(editor, "a serene face")
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].classes["calm"] == ("a serene face",), timeout=2000)
    n = len(seen)
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.prompt_set.classes["calm"] == ("a serene face",), timeout=2000)
    qtbot.wait(3 * DEBOUNCE_MS)
    assert len(seen) == n  # the commit equals the last preview: not emitted twice
    assert panel.is_modified and panel.controller.undo_stack.count() == 1


def test_typing_a_text_the_set_cannot_take_keeps_the_last_preview(panel, qtbot):
    seen = []
    panel.promptSetChanged.connect(seen.append)
    editor = _open_editor(panel, qtbot, _index(panel, "joy", 0))
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Delete)  # empty: not a valid prompt, nothing previewed
    qtbot.wait(3 * DEBOUNCE_MS)
    assert seen == []
    qtbot.keyClicks(editor, "a smile")  # ends as the class's other prompt: a duplicate, not previewed
    qtbot.wait(3 * DEBOUNCE_MS)
    assert seen and seen[-1].classes["joy"] == ("a smil", "a smile")  # the last valid text typed stands
    qtbot.keyClicks(editor, "y face")
    qtbot.waitUntil(lambda: bool(seen) and seen[-1].classes["joy"][0] == "a smiley face", timeout=2000)
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: seen[-1] == BASE, timeout=2000)
    class_editor = _open_editor(panel, qtbot, _index(panel, "calm"))
    class_editor.selectAll()
    qtbot.keyClicks(class_editor, "serene")
    qtbot.waitUntil(lambda: "serene" in seen[-1].classes and "calm" not in seen[-1].classes, timeout=2000)
    qtbot.keyClick(class_editor, Qt.Key.Key_Escape)
