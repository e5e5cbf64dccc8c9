"""The action-unit table (resources/action_units.json): it loads, every AU maps onto ICT shapes, units are
named per side, bad tables are refused with the file and the entry named, and apply_au's sides."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from core.synth.action_units import (
    MICRO_KINDS,
    AuTable,
    default_table_path,
    load_table,
    unit_shape_matrix,
)
from core.synth.au_style import apply_au
from core.synth.model import EXPRESSIONS


@pytest.fixture(scope="module")
def table() -> AuTable:
    return load_table()


@pytest.fixture(scope="module")
def raw() -> dict:
    return json.loads(default_table_path().read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: dict, name: str = "aus.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------------------ the shipped table


def test_shipped_table_loads(table, raw):
    assert Path(table.source) == default_table_path()
    assert [a.code for a in table.action_units] == list(raw["action_units"])
    assert set(table.expressions) == set(EXPRESSIONS)
    assert list(table.bp4d_tasks) == [f"T{k}" for k in range(1, 9)]
    assert set(table.micro) == set(MICRO_KINDS)
    known = {a.code for a in table.action_units}
    for proto in [*table.expressions.values(), *table.bp4d_tasks.values()]:
        assert proto.aus() <= known
        assert proto.required or proto.alternatives
        for _, intensity in proto.required:
            assert 0.0 < intensity <= 2.0
        for _, intensity, p in proto.optional:
            assert 0.0 < intensity <= 2.0 and 0.0 < p <= 1.0
    # the two micro classes built from expressions name expressions of the file; others are outside them
    for name in ("negative", "repression"):
        assert set(table.micro[name].from_expressions) <= set(table.expressions)
    assert dict(table.micro["repression"].mask) == {"AU12": 0.8}
    emotional = set().union(*(p.aus() for p in table.expressions.values()))
    assert table.micro["others"].one_of and not set(table.micro["others"].one_of) & emotional


def test_bp4d_tasks_cover_the_dataset_tasks(table):
    from core.datasets import BP4D_TASK_EMOTION

    assert set(table.bp4d_tasks) == set(BP4D_TASK_EMOTION)


def test_unit_names_per_side(table):
    names = table.unit_names
    assert len(names) == len(table.units) == len(set(names))
    for unit in ("AU12L", "AU12R", "AU4L", "AU4R", "AU26", "AU10", "AU17", "AU25L", "AU25R", "AU25"):
        assert unit in names, unit
    assert "AU26L" not in names and "AU26R" not in names and "AU12" not in names
    # AU order of the file, then L, R, C within an AU
    assert names.index("AU12L") + 1 == names.index("AU12R")
    assert names.index("AU25L") + 1 == names.index("AU25R") and names.index("AU25R") + 1 == names.index("AU25")
    assert table.au("AU12").lateral and not table.au("AU26").lateral and table.au("AU25").lateral
    assert table.unit_indices("AU12") == [names.index("AU12L"), names.index("AU12R")]
    assert table.unit_indices("AU12", "L") == [names.index("AU12L")]
    assert table.unit_indices("AU25", "R") == [names.index("AU25R"), names.index("AU25")]
    assert table.unit_indices("AU26", "L") == [names.index("AU26")]
    with pytest.raises(ValueError, match="AU99"):
        table.unit_indices("AU99")
    with pytest.raises(ValueError, match="AU99"):
        table.au("AU99")


def test_every_au_shape_exists_in_the_ict_model(table, ict_model):
    names = ict_model.expression_names
    matrix = unit_shape_matrix(table, names)
    assert matrix.shape == (len(table.units), len(names))
    assert np.all(np.abs(matrix).sum(axis=1) > 0)  # every unit moves some shape
    u = table.unit_names.index("AU12L")
    assert matrix[u, names.index("mouthSmile_L")] == 1.0 and np.count_nonzero(matrix[u]) == 1
    u = table.unit_names.index("AU26")
    assert matrix[u, names.index("jawOpen")] == 1.0
    # AU23 and AU24 both use mouthPress on each side; the matrix keeps their weights apart per unit
    assert matrix[table.unit_names.index("AU23L"), names.index("mouthPress_L")] == 0.5
    assert matrix[table.unit_names.index("AU24R"), names.index("mouthPress_R")] == 1.0
    # left units only use _L shapes and right units only _R shapes
    for (code, side), row in zip(table.units, matrix):
        used = [names[i] for i in np.flatnonzero(row)]
        if side == "L":
            assert all(n.endswith("_L") for n in used), (code, used)
        elif side == "R":
            assert all(n.endswith("_R") for n in used), (code, used)
        else:
            assert not any(n.endswith(("_L", "_R")) for n in used), (code, used)


# ------------------------------------------------------------------------------------------ refused tables


def _assert_refused(tmp_path: Path, data: dict, *fragments: str) -> str:
    path = _write(tmp_path, data)
    with pytest.raises(ValueError) as exc:
        load_table(path)
    message = str(exc.value)
    assert str(path) in message, message
    for fragment in fragments:
        assert fragment in message, message
    return message


def test_a_copy_of_the_shipped_table_loads(tmp_path, raw):
    table = load_table(_write(tmp_path, raw))
    assert table.unit_names == load_table().unit_names


def test_unknown_au_in_a_prototype(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["expressions"]["happiness"]["required"]["AU99"] = 0.5
    _assert_refused(tmp_path, data, "expressions.happiness.required", "AU99")
    data = copy.deepcopy(raw)
    data["bp4d_tasks"]["T3"]["optional"]["AU77"] = [0.3, 0.5]
    _assert_refused(tmp_path, data, "bp4d_tasks.T3.optional", "AU77")
    data = copy.deepcopy(raw)
    data["expressions"]["anger"]["alternatives"][1] = {"AU88": 0.7}
    _assert_refused(tmp_path, data, "expressions.anger.alternatives[1]", "AU88")


@pytest.mark.parametrize("value", [2.5, -0.1, "high", True])
def test_intensity_outside_0_2(tmp_path, raw, value):
    data = copy.deepcopy(raw)
    data["expressions"]["surprise"]["required"]["AU26"] = value
    _assert_refused(tmp_path, data, "expressions.surprise.required.AU26", "[0, 2]")


def test_intensity_of_an_action_unit_shape_and_of_an_optional(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["action_units"]["AU12"]["L"]["mouthSmile_L"] = 3.0
    _assert_refused(tmp_path, data, "action_units.AU12.L.mouthSmile_L", "[0, 2]")
    data = copy.deepcopy(raw)
    data["expressions"]["happiness"]["optional"]["AU25"] = [2.2, 0.5]
    _assert_refused(tmp_path, data, "expressions.happiness.optional.AU25", "[0, 2]")


@pytest.mark.parametrize("value", [[0.5], 0.5, [0.5, 0.3, 0.1]])
def test_optional_without_probability(tmp_path, raw, value):
    data = copy.deepcopy(raw)
    data["expressions"]["happiness"]["optional"]["AU25"] = value
    _assert_refused(tmp_path, data, "expressions.happiness.optional.AU25", "[intensity, probability]")


def test_optional_probability_outside_0_1(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["expressions"]["sadness"]["optional"]["AU17"] = [0.5, 1.5]
    _assert_refused(tmp_path, data, "expressions.sadness.optional.AU17", "probability")


@pytest.mark.parametrize("keep", ["L", "R"])
def test_lateral_au_with_one_side_only(tmp_path, raw, keep):
    data = copy.deepcopy(raw)
    del data["action_units"]["AU12"]["R" if keep == "L" else "L"]
    _assert_refused(tmp_path, data, "action_units.AU12", "both L and R")


def test_au_without_shapes(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["action_units"]["AU26"] = {"name": "jaw drop"}
    _assert_refused(tmp_path, data, "action_units.AU26", "no ICT shape")
    data = copy.deepcopy(raw)
    data["action_units"]["AU26"]["C"] = {}
    _assert_refused(tmp_path, data, "action_units.AU26.C", "non-empty")


def test_others_listing_an_emotion_au(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["micro_expressions"]["others"]["one_of"] = ["AU14", "AU12"]  # AU12 is in happiness
    message = _assert_refused(tmp_path, data, "micro_expressions.others.one_of", "AU12", "emotion prototype")
    assert "AU14" not in message.split("one_of:")[1].split("belong")[0]
    data = copy.deepcopy(raw)
    data["micro_expressions"]["others"]["one_of"] = ["AU99"]
    _assert_refused(tmp_path, data, "micro_expressions.others.one_of", "AU99")


def test_micro_class_missing_or_naming_an_unknown_expression(tmp_path, raw):
    data = copy.deepcopy(raw)
    del data["micro_expressions"]["repression"]
    _assert_refused(tmp_path, data, "micro_expressions", "repression")
    data = copy.deepcopy(raw)
    data["micro_expressions"]["negative"]["from_expressions"] = ["anger", "contempt"]
    _assert_refused(tmp_path, data, "micro_expressions.negative.from_expressions", "contempt")


def test_unknown_prototype_key(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["expressions"]["fear"]["requried"] = {"AU1": 0.5}
    _assert_refused(tmp_path, data, "expressions.fear", "requried")


def test_missing_file_names_it(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises((ValueError, FileNotFoundError)) as exc:
        load_table(missing)
    assert str(missing) in str(exc.value)


def test_shape_the_model_lacks(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["action_units"]["AU9"]["L"] = {"noseWrinkle_L": 1.0}
    table = load_table(_write(tmp_path, data))  # the table alone cannot know the model's shapes
    shapes = ["noseSneer_L", "noseSneer_R"] + sorted({s for a in table.action_units for _, sh in a.sides
                                                     for s, _ in sh} - {"noseWrinkle_L"})
    with pytest.raises(ValueError) as exc:
        unit_shape_matrix(table, shapes)
    message = str(exc.value)
    assert str(tmp_path / "aus.json") in message
    assert "action_units.AU9.L" in message and "noseWrinkle_L" in message


def test_shape_the_ict_model_lacks(tmp_path, raw, ict_model):
    names = [n for n in ict_model.expression_names if n != "jawOpen"]
    with pytest.raises(ValueError) as exc:
        unit_shape_matrix(load_table(), names)
    message = str(exc.value)
    assert str(default_table_path()) in message and "jawOpen" in message
    assert "action_units.AU25.C" in message  # the first AU (in file order) that uses jawOpen


# ------------------------------------------------------------------------------------------ apply_au


def test_apply_au_symmetric_asymmetric_and_one_side(table):
    names = table.unit_names
    n = len(names)
    l12, r12 = names.index("AU12L"), names.index("AU12R")

    w = np.zeros(n)
    apply_au(w, table, "AU12", 0.8)
    assert w[l12] == pytest.approx(0.8) and w[r12] == pytest.approx(0.8)
    assert np.count_nonzero(w) == 2

    w = np.zeros(n)
    apply_au(w, table, "AU12", 0.5, asymmetry=0.2)
    assert w[l12] == pytest.approx(0.6) and w[r12] == pytest.approx(0.4)
    assert w[l12] + w[r12] == pytest.approx(1.0)  # asymmetry moves weight across, it does not add any

    w = np.zeros(n)
    apply_au(w, table, "AU12", 0.7, side="L")
    assert w[l12] == pytest.approx(0.7) and w[r12] == 0 and np.count_nonzero(w) == 1
    w = np.zeros(n)
    apply_au(w, table, "AU12", 0.7, side="R")
    assert w[r12] == pytest.approx(0.7) and w[l12] == 0 and np.count_nonzero(w) == 1

    # central units: never scaled by the asymmetry, always part of a side
    w = np.zeros(n)
    apply_au(w, table, "AU26", 0.4, asymmetry=0.5)
    assert w[names.index("AU26")] == pytest.approx(0.4) and np.count_nonzero(w) == 1
    w = np.zeros(n)
    apply_au(w, table, "AU25", 1.0, asymmetry=-0.3, side=None)
    assert w[names.index("AU25L")] == pytest.approx(0.7) and w[names.index("AU25R")] == pytest.approx(1.3)
    assert w[names.index("AU25")] == pytest.approx(1.0)
    w = np.zeros(n)
    apply_au(w, table, "AU25", 1.0, side="R")
    assert w[names.index("AU25L")] == 0 and w[names.index("AU25R")] == 1.0 and w[names.index("AU25")] == 1.0

    # in place and additive
    w = np.zeros(n)
    apply_au(w, table, "AU12", 0.3)
    apply_au(w, table, "AU12", 0.2, side="L")
    assert w[l12] == pytest.approx(0.5) and w[r12] == pytest.approx(0.3)
    with pytest.raises(ValueError, match="AU99"):
        apply_au(np.zeros(n), table, "AU99", 1.0)
