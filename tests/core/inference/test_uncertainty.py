import math

import pytest

from core.inference.uncertainty import margin, normalized_entropy, uncertainty


def test_uniform_is_maximally_uncertain():
    p = {c: 0.25 for c in "abcd"}
    assert normalized_entropy(p) == pytest.approx(1.0)
    assert margin(p) == pytest.approx(0.0)


def test_one_hot_is_certain():
    p = {"a": 0.0, "b": 1.0, "c": 0.0}
    u = uncertainty(p)
    assert u.entropy == pytest.approx(0.0)
    assert u.margin == pytest.approx(1.0)
    assert (u.top, u.second) == ("b", "a")  # ties keep the class order


def test_values_match_the_definitions():
    p = {"happy": 0.6, "sad": 0.3, "angry": 0.1}
    h = -(0.6 * math.log(0.6) + 0.3 * math.log(0.3) + 0.1 * math.log(0.1)) / math.log(3)
    u = uncertainty(p)
    assert u.entropy == pytest.approx(h)
    assert u.margin == pytest.approx(0.3)
    assert (u.top, u.second) == ("happy", "sad")
    assert u.to_dict() == {"entropy": u.entropy, "margin": u.margin, "top": "happy", "second": "sad"}


def test_single_class():
    u = uncertainty({"only": 1.0})
    assert (u.entropy, u.margin, u.top, u.second) == (0.0, 1.0, "only", None)


@pytest.mark.parametrize("bad", [{}, {"a": -0.1, "b": 1.1}, {"a": float("nan"), "b": 1.0}, {"a": 0.2, "b": 0.2},
                                 {"a": True}, [0.5, 0.5]])
def test_bad_probabilities_are_refused(bad):
    with pytest.raises(ValueError):
        uncertainty(bad)
