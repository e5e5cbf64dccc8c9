import json

import pytest

from core.prompts import (
    PromptSet,
    default_prompt_set,
    default_prompt_sets,
    export_clip_benchmark,
    import_clip_benchmark,
    load_prompt_set,
    read_prompt_file,
    resolve_prompts,
    save_prompt_set,
)

SIX = ("happiness", "sadness", "surprise", "anger", "disgust", "fear")


def test_save_load_round_trip(tmp_path):
    ps = PromptSet("mine", {"joy": ["a joyful face", "ünïcode smile"], "calm": ["a calm face"]})
    path = save_prompt_set(ps, tmp_path / "sub" / "mine.json")
    assert load_prompt_set(path) == ps
    assert json.loads(path.read_text(encoding="utf-8")) == ps.to_dict()
    assert [p.name for p in path.parent.iterdir()] == ["mine.json"]


def test_clip_benchmark_export_import(tmp_path):
    ps = PromptSet("emo", {"happy": ["a happy face", "a smile"], "sad": ["a sad face"]})
    path = export_clip_benchmark(ps, tmp_path / "cupl.json")
    assert json.loads(path.read_text()) == {"happy": ["a happy face", "a smile"], "sad": ["a sad face"]}
    assert import_clip_benchmark(path) == ps.renamed("cupl")
    assert import_clip_benchmark(path, name="emo") == ps
    assert read_prompt_file(path) == ps.renamed("cupl")
    save_prompt_set(ps, tmp_path / "ours.json")
    assert read_prompt_file(tmp_path / "ours.json") == ps


@pytest.mark.parametrize(
    "text, needle",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected an object"),
        ('{"name": "s", "classes": {"a": ["x"], "a": ["y"]}}', "duplicate key"),
        ('{"name": "s", "classes": {"a": []}}', "has no prompts"),
        ('{"name": "s", "classes": {"a": [""]}}', "non-empty string"),
        ('{"name": "", "classes": {"a": ["x"]}}', "non-empty name"),
        ('{"classes": {"a": ["x"]}}', "missing"),
        ('{"name": "s", "classes": {}}', "at least one class"),
        ('{"a": ["x"], "b": ["y"]}', "plain class -> prompts file"),
    ],
)
def test_invalid_files_are_refused_naming_the_file(tmp_path, text, needle):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=needle) as info:
        load_prompt_set(path)
    assert str(path) in str(info.value)


def test_invalid_plain_files_are_refused(tmp_path):
    for text, needle in [('{"a": "x"}', "list of strings"), ('{"a": ["x"], "a": ["y"]}', "duplicate key"),
                         ("[]", "expected an object")]:
        path = tmp_path / "plain.json"
        path.write_text(text)
        with pytest.raises(ValueError, match=needle):
            import_clip_benchmark(path)
    with pytest.raises(FileNotFoundError, match="gone.json"):
        load_prompt_set(tmp_path / "gone.json")
    (tmp_path / "latin.json").write_bytes(b'{"name": "\xff"}')
    with pytest.raises(ValueError, match="latin.json"):
        load_prompt_set(tmp_path / "latin.json")


#: The paper's Table I, as printed (Happy, Sad, Surprise, Angry, Disgust, Fear), three templates per emotion.
TABLE_I = {
    "happiness": ("a person smiling happily", "a joyful facial expression", "an expression of delight"),
    "sadness": ("a person looking down sadly", "a face showing sorrow", "a sad expression"),
    "surprise": ("a surprised facial expression", "a face with surprise expression", "a face reacting with amazement"),
    "anger": ("a person frowning angrily", "an expression of frustration", "a face showing intense anger"),
    "disgust": ("a person showing disgust", "a face with disgust expression", "a disgusted facial reaction"),
    "fear": ("a fearful facial expression", "a person appearing afraid", "a face with fear expression"),
}


def test_default_expression_set_is_table_one_verbatim():
    ps = default_prompt_set()
    assert ps.name == "expressions" and ps.labels == SIX
    assert dict(ps.classes) == TABLE_I and ps.n_prompts == 18
    assert "Table I" in ps.source and "verbatim" in ps.source
    neutral = default_prompt_set("expressions_neutral")
    assert neutral.labels == SIX + ("neutral",)
    assert {k: v for k, v in neutral.classes.items() if k != "neutral"} == TABLE_I
    assert len(neutral.classes["neutral"]) >= 3 and "neutral class is ours" in neutral.source


def test_paraphrase_set_keeps_the_earlier_default():
    ps = default_prompt_set("expressions_paraphrases")
    assert ps.name == "expressions_paraphrases" and ps.labels == SIX
    assert all(len(p) == 7 for p in ps.classes.values())
    assert ps.classes["happiness"][:2] == ("a person smiling happily", "a photo of a happy face")
    assert "not from the paper" in ps.source


def test_source_round_trips_through_the_file(tmp_path):
    ps = PromptSet("mine", {"a": ["x"]}, source="my notes")
    path = save_prompt_set(ps, tmp_path / "mine.json")
    assert json.loads(path.read_text())["source"] == "my notes"
    assert load_prompt_set(path).source == "my notes"
    plain = save_prompt_set(PromptSet("bare", {"a": ["x"]}), tmp_path / "bare.json")
    assert "source" not in json.loads(plain.read_text()) and load_prompt_set(plain).source == ""
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "s", "source": 3, "classes": {"a": ["x"]}}')
    with pytest.raises(ValueError, match="source must be a string"):
        load_prompt_set(bad)


def test_default_micro_expression_set():
    ps = default_prompt_set("micro_expressions")
    assert ps.labels == ("positive", "negative", "surprise", "repression", "others")
    for label, prompts in ps.classes.items():
        assert f"a face with {label} micro expression" in prompts
    assert set(default_prompt_sets()) >= {"expressions", "expressions_neutral", "expressions_paraphrases",
                                          "micro_expressions"}
    with pytest.raises(ValueError, match="no default prompt set"):
        default_prompt_set("nope")


def test_resolve_prompts(tmp_path):
    assert resolve_prompts(None) == default_prompt_set()
    assert resolve_prompts("micro_expressions").name == "micro_expressions"
    ps = PromptSet("x", {"a": ["y"]})
    assert resolve_prompts(ps) is ps
    assert resolve_prompts(ps.to_dict()) == ps
    save_prompt_set(ps, tmp_path / "x.json")
    assert resolve_prompts(tmp_path / "x.json") == ps
    assert resolve_prompts(str(tmp_path / "x.json")) == ps


def test_duplicate_keys_among_thousands_are_named(tmp_path):
    classes = {f"c{i}": [f"prompt {i}"] for i in range(900)}
    text = json.dumps({"name": "big", "classes": classes})
    text = text.replace('"c899": ["prompt 899"]', '"c899": ["prompt 899"], "c7": ["again"], "c8": ["again"]')
    path = tmp_path / "dupes.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=r"dupes.json: duplicate key\(s\) 'c7', 'c8'"):
        load_prompt_set(path)


@pytest.mark.parametrize(
    "classes, reason",
    [
        ({f"c{i}": ["p"] for i in range(1001)}, "1001 classes, more than the 1000"),
        ({"a": ["p"] * 1001}, "1001 prompts, more than 1000"),
        ({"a": ["x" * 1001]}, "a prompt of 1001 characters"),
        ({"y" * 1001: ["p"]}, "a class label of 1001 characters"),
    ],
    ids=["classes", "prompts", "prompt-length", "label-length"],
)
def test_prompt_sets_beyond_the_caps_are_refused_with_a_clear_message(tmp_path, classes, reason):
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({"name": "huge", "classes": classes}))
    with pytest.raises(ValueError, match=reason) as err:
        load_prompt_set(path)
    assert "huge.json" in str(err.value)


def test_deeply_nested_json_is_a_clear_error(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(ValueError, match="deep.json: JSON nested too deeply"):
        load_prompt_set(path)


def test_an_oversized_prompt_file_is_refused_before_reading(tmp_path, monkeypatch):
    from core.prompts import io

    monkeypatch.setattr(io, "MAX_FILE_BYTES", 100)
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"name": "x", "classes": {"a": ["p" * 200]}}))
    with pytest.raises(ValueError, match="big.json: prompt file of"):
        load_prompt_set(path)
