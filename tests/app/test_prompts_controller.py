"""app.controllers.prompts: pure edit functions (validation) and the undoable PromptSetController."""

import json

import pytest

from app.controllers import prompts as ctl
from app.controllers.prompts import PromptEditError, PromptSetController
from core.prompts import PromptSet, default_prompt_set, load_prompt_set

BASE = PromptSet("mine", {"joy": ["a joyful face", "a smile"], "calm": ["a calm face"]})


# ------------------------------------------------------------------------------------------------ pure functions
def test_edit_prompt_replaces_one_prompt_and_strips():
    out = ctl.edit_prompt(BASE, "joy", 1, "  a big grin ")
    assert out.classes["joy"] == ("a joyful face", "a big grin")
    assert out.classes["calm"] == BASE.classes["calm"] and BASE.classes["joy"][1] == "a smile"


@pytest.mark.parametrize(
    "call, needle",
    [
        (lambda: ctl.edit_prompt(BASE, "joy", 0, "   "), "cannot be empty"),
        (lambda: ctl.edit_prompt(BASE, "joy", 0, "a smile"), "already has the prompt"),
        (lambda: ctl.edit_prompt(BASE, "joy", 5, "x"), "no prompt number 5"),
        (lambda: ctl.edit_prompt(BASE, "anger", 0, "x"), "no class 'anger'"),
        (lambda: ctl.add_prompt(BASE, "joy", ""), "cannot be empty"),
        (lambda: ctl.add_prompt(BASE, "calm", "a calm face"), "already has the prompt"),
        (lambda: ctl.remove_prompt(BASE, "calm", 0), "at least one prompt"),
        (lambda: ctl.add_class(BASE, "joy", "another"), "already has a class 'joy'"),
        (lambda: ctl.add_class(BASE, "  ", "a face"), "class label cannot be empty"),
        (lambda: ctl.add_class(BASE, "anger", ""), "cannot be empty"),
        (lambda: ctl.add_class(BASE, "anger", []), "at least one prompt"),
        (lambda: ctl.add_class(BASE, "anger", ["a", "a"]), "given twice"),
        (lambda: ctl.rename_class(BASE, "joy", "calm"), "already has a class 'calm'"),
        (lambda: ctl.rename_class(BASE, "joy", ""), "cannot be empty"),
        (lambda: ctl.remove_class(PromptSet("one", {"a": ["x"]}), "a"), "at least one class"),
        (lambda: ctl.rename_set(BASE, " "), "name cannot be empty"),
    ],
)
def test_invalid_edits_are_refused_with_a_message(call, needle):
    with pytest.raises(PromptEditError, match=needle):
        call()


def test_add_remove_rename_keep_order():
    out = ctl.add_class(BASE, " anger ", ["a frown", "an angry face "])
    assert out.labels == ("joy", "calm", "anger") and out.classes["anger"] == ("a frown", "an angry face")
    out = ctl.rename_class(out, "joy", "happiness")
    assert out.labels == ("happiness", "calm", "anger")
    out = ctl.add_prompt(out, "calm", "a relaxed face")
    assert out.classes["calm"] == ("a calm face", "a relaxed face")
    out = ctl.remove_prompt(out, "happiness", 0)
    assert out.classes["happiness"] == ("a smile",)
    out = ctl.remove_class(out, "calm")
    assert out.labels == ("happiness", "anger")
    assert ctl.rename_set(out, "other").name == "other"
    assert ctl.shipped_sets() and "expressions" in ctl.shipped_sets()


# ------------------------------------------------------------------------------------------------ controller
@pytest.fixture
def controller(qtbot):
    c = PromptSetController(BASE)
    yield c
    c.deleteLater()


def test_edit_undo_redo_and_modified_flag(controller, qtbot):
    changes, modified = [], []
    controller.setChanged.connect(changes.append)
    controller.modifiedChanged.connect(modified.append)
    assert not controller.is_modified
    assert controller.edit_prompt("joy", 0, "a beaming face")
    assert controller.prompt_set.classes["joy"][0] == "a beaming face" and controller.is_modified
    controller.undo_stack.undo()
    assert controller.prompt_set == BASE and not controller.is_modified
    controller.undo_stack.redo()
    assert controller.prompt_set.classes["joy"][0] == "a beaming face"
    assert [c.classes["joy"][0] for c in changes] == ["a beaming face", "a joyful face", "a beaming face"]
    assert modified == [True, False, True]


def test_refused_edit_leaves_set_and_history_alone(controller, qtbot):
    with qtbot.waitSignal(controller.refused) as blocker:
        assert not controller.add_class("joy", "again")
    assert "already has a class" in blocker.args[0]
    assert controller.prompt_set == BASE and controller.undo_stack.count() == 0
    assert controller.edit_prompt("joy", 0, "a joyful face")  # no change: accepted, nothing pushed
    assert controller.undo_stack.count() == 0


def test_load_invalid_files_refused_and_set_unchanged(controller, qtbot, tmp_path):
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"name": "x", "classes": {"a": [}')
    empty_class = tmp_path / "empty.json"
    empty_class.write_text(json.dumps({"name": "x", "classes": {"a": []}}))
    clip = tmp_path / "clip.json"
    clip.write_text(json.dumps({"a": ["an a face"]}))
    for path, needle in [(bad_json, "not valid JSON"), (empty_class, "has no prompts"), (clip, "import it instead"),
                         (tmp_path / "missing.json", "not found")]:
        with qtbot.waitSignal(controller.refused) as blocker:
            assert not controller.load(path)
        assert str(path) in blocker.args[0] and needle in blocker.args[0]
        assert "current set is unchanged" in blocker.args[0]
        assert controller.prompt_set == BASE and controller.path is None
    assert controller.undo_stack.count() == 0


def test_save_load_round_trip_and_undo_of_load(controller, tmp_path):
    assert not controller.save()  # no file yet
    controller.add_prompt("calm", "a serene face")
    path = tmp_path / "sets" / "mine.json"
    assert controller.save(path)
    assert controller.path == path.absolute() and not controller.is_modified
    assert load_prompt_set(path) == controller.prompt_set

    other = PromptSet("other", {"x": ["an x face"]})
    from core.prompts import save_prompt_set

    save_prompt_set(other, tmp_path / "other.json")
    assert controller.load(tmp_path / "other.json")
    assert controller.prompt_set == other and controller.path == (tmp_path / "other.json").absolute()
    assert not controller.is_modified
    controller.undo_stack.undo()  # back to the saved set and its file
    assert controller.prompt_set.classes["calm"] == ("a calm face", "a serene face")
    assert controller.path == path.absolute()
    controller.edit_prompt("calm", 1, "a tranquil face")
    assert controller.save()  # to its own file
    assert load_prompt_set(path).classes["calm"][1] == "a tranquil face"


def test_import_export_clip_benchmark(controller, tmp_path):
    out = tmp_path / "bench.json"
    assert controller.export_clip(out)
    assert json.loads(out.read_text()) == {"joy": ["a joyful face", "a smile"], "calm": ["a calm face"]}
    out.write_text(json.dumps({"happy": ["a happy face"], "sad": ["a sad face", "a crying face"]}))
    assert controller.import_clip(out)
    assert controller.prompt_set == PromptSet("bench", {"happy": ["a happy face"], "sad": ["a sad face",
                                                                                          "a crying face"]})
    assert controller.is_modified and controller.path is None  # imported, not saved in our format
    bad = tmp_path / "bad_bench.json"
    bad.write_text(json.dumps({"happy": "a happy face"}))
    assert not controller.import_clip(bad)
    assert controller.prompt_set.name == "bench"


def test_reset_to_default_and_set_prompt_set(controller):
    assert controller.reset_to_default("micro_expressions")
    assert controller.prompt_set == default_prompt_set("micro_expressions") and not controller.is_modified
    assert not controller.reset_to_default("no_such_set")
    controller.set_prompt_set(BASE)
    assert controller.prompt_set == BASE and not controller.is_modified
    controller.undo_stack.undo()
    assert controller.prompt_set == default_prompt_set("micro_expressions")
    with pytest.raises(TypeError):
        controller.set_prompt_set({"name": "x"})
