import pytest

from core.prompts import PromptSet


def test_valid_set_keeps_order_and_is_read_only():
    ps = PromptSet("emo", {"happy": ["a happy face", "a smiling person"], "sad": ("a sad face",)})
    assert ps.labels == ("happy", "sad") and ps.n_prompts == 3
    assert ps.classes["happy"] == ("a happy face", "a smiling person")
    with pytest.raises(TypeError):
        ps.classes["new"] = ("x",)
    with pytest.raises(AttributeError):
        ps.name = "other"


def test_all_prompts_are_distinct_and_ordered():
    ps = PromptSet("s", {"a": ["x", "y"], "b": ["y", "z"]})
    assert ps.all_prompts() == ["x", "y", "z"]


def test_editing_returns_new_sets():
    ps = PromptSet("s", {"a": ["x"], "b": ["y"]})
    edited = ps.with_class("a", ["x2"])
    assert ps.classes["a"] == ("x",) and edited.classes["a"] == ("x2",) and edited.labels == ("a", "b")
    assert ps.with_class("c", ["w"]).labels == ("a", "b", "c")
    assert ps.without_class("a").labels == ("b",)
    assert ps.renamed("t").name == "t"
    assert PromptSet("s", {"a": ["x"], "b": ["y"]}) == ps and hash(PromptSet("s", {"a": ["x"], "b": ["y"]})) == hash(ps)


@pytest.mark.parametrize(
    "name, classes, needle",
    [
        ("", {"a": ["x"]}, "non-empty name"),
        ("s", {}, "at least one class"),
        ("s", {"": ["x"]}, "labels must be non-empty"),
        ("s", {"a": []}, "has no prompts"),
        ("s", {"a": ["x", "  "]}, "non-empty string"),
        ("s", {"a": "x"}, "list of strings"),
        ("s", {"a": [3]}, "non-empty string"),
        ("s", [("a", ["x"]), ("a", ["y"])], "duplicate class label"),
        ("s", "a", "map each label"),
    ],
)
def test_invalid_sets_are_refused(name, classes, needle):
    with pytest.raises(ValueError, match=needle):
        PromptSet(name, classes)


def test_dict_round_trip_and_errors():
    ps = PromptSet("s", {"a": ["x"], "b": ["y", "z"]})
    assert PromptSet.from_dict(ps.to_dict()) == ps
    with pytest.raises(ValueError, match="missing"):
        PromptSet.from_dict({"classes": {"a": ["x"]}})
    with pytest.raises(ValueError, match="unknown key"):
        PromptSet.from_dict({"name": "s", "classes": {"a": ["x"]}, "extra": 1})
    without = ps.without_class("a")
    with pytest.raises(ValueError, match="no class"):
        without.without_class("a")


def test_source_is_provenance_not_identity():
    ps = PromptSet("s", {"a": ["x"], "b": ["y"]}, source="Table I")
    assert ps.source == "Table I" and PromptSet("s", {"a": ["x"], "b": ["y"]}).source == ""
    assert ps == PromptSet("s", {"a": ["x"], "b": ["y"]}) and hash(ps) == hash(PromptSet("s", ps.classes))
    assert ps.renamed("t").source == "Table I"
    assert ps.with_class("a", ["z"]).source == "" and ps.without_class("b").source == ""  # edited: no longer it
    assert ps.to_dict() == {"name": "s", "source": "Table I", "classes": {"a": ["x"], "b": ["y"]}}
    assert PromptSet.from_dict(ps.to_dict()).source == "Table I"
    assert "source" not in PromptSet("s", {"a": ["x"]}).to_dict()
    with pytest.raises(ValueError, match="source must be a string"):
        PromptSet("s", {"a": ["x"]}, source=None)
