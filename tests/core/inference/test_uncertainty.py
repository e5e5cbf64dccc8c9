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


def test_low_confidence_rule_and_text():
    from core.inference.uncertainty import (
        LOW_CONFIDENCE,
        ConfidenceThresholds,
        is_low_confidence,
        low_confidence_text,
    )

    assert LOW_CONFIDENCE == ConfidenceThresholds(0.5, 0.8)
    unsure = {"anger": 0.26, "happiness": 0.41, "surprise": 0.33}
    assert is_low_confidence(unsure)  # top probability below 0.5
    assert low_confidence_text(unsure) == (
        "Low confidence: the model is unsure between happiness (41 %) and surprise (33 %); "
        "treat this result with caution.")
    sure = {"anger": 0.05, "happiness": 0.9, "surprise": 0.05}
    assert not is_low_confidence(sure) and low_confidence_text(sure) == ""
    # a top class above 0.5, but nearly a coin toss: the entropy rule
    close = {"a": 0.55, "b": 0.45}
    assert normalized_entropy(close) > 0.8 and is_low_confidence(close)
    assert "between a (55 %) and b (45 %)" in low_confidence_text(close)
    assert not is_low_confidence(close, ConfidenceThresholds(0.5, 0.999))
    assert not is_low_confidence({"only": 1.0})
    with pytest.raises(ValueError, match="max_entropy must be a number in"):
        ConfidenceThresholds(max_entropy=1.5)


def test_face_caution_text():
    from core.inference.uncertainty import face_caution_text
    from core.scans.canonical import FaceFlag

    assert face_caution_text(None) == "" and face_caution_text(FaceFlag(True, 0.4)) == ""
    text = face_caution_text(FaceFlag(False, 14.0, "no face found: residual 14.0 mm (limit 3)"))
    assert text == ("The face could not be found reliably in this scan (no face found: residual 14.0 mm (limit 3)); "
                    "the probabilities below are unreliable and may be meaningless.")
