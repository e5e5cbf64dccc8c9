import numpy as np
import pytest

from core.inference.frame_events import FrameEvents, class_events, curve_events, peak_frame, smooth_curve
from core.inference.frames import FrameProbabilities, FrameWindow


def test_smoothing_is_a_centred_moving_average_shortened_at_the_ends():
    x = np.array([0.0, 3.0, 0.0, 3.0, 6.0])
    assert np.allclose(smooth_curve(x, 3), [1.5, 1.0, 2.0, 3.0, 4.5])
    assert np.allclose(smooth_curve(x, 1), x)
    assert np.allclose(smooth_curve(x, 2), [0.0, 1.5, 1.5, 1.5, 4.5])  # one frame back, none ahead


def test_onset_apex_offset_of_a_bump_by_the_half_way_rule():
    curve = np.array([0.1, 0.1, 0.1, 0.2, 0.5, 0.9, 1.0, 0.8, 0.4, 0.2, 0.1, 0.1])
    events = curve_events(curve, "happiness", smooth=1)
    assert events == FrameEvents("happiness", onset=5, apex=6, offset=7, baseline=0.1, peak=1.0,
                                 threshold=pytest.approx(0.55), smooth=1, fraction=0.5)
    low = curve_events(curve, smooth=1, fraction=0.2)  # threshold 0.28: one frame wider on each side
    assert (low.onset, low.apex, low.offset) == (4, 6, 8)
    smoothed = curve_events(curve, smooth=3)
    assert smoothed.apex == 6 and smoothed.peak == pytest.approx(0.9)
    assert events.to_dict()["threshold"] == 0.55 and events.to_dict()["onset"] == 5


def test_no_onset_or_offset_when_the_curve_is_high_at_an_end():
    rising = np.linspace(0.0, 1.0, 8)
    events = curve_events(rising, smooth=1)
    assert events.apex == 7 and events.offset is None and events.onset == 4
    falling = rising[::-1]
    events = curve_events(falling, smooth=1)
    assert events.apex == 0 and events.onset is None and events.offset == 3
    assert events.baseline == 0.0  # the apex is the first frame: the lowest level of the whole curve


def test_only_counted_frames_take_part():
    curve = np.array([0.95, 0.1, 0.2, 0.6, 0.3, 0.1])
    events = curve_events(curve, counted=np.array([False, True, True, True, True, True]), smooth=1)
    assert events.apex == 3 and events.onset == 3 and events.offset == 3 and events.baseline == pytest.approx(0.1)
    assert curve_events(curve, counted=np.array([True, False, False, False, False, False])) is None


def test_bad_rules_and_curves():
    for kwargs in ({"smooth": 0}, {"smooth": 1.5}, {"fraction": 0.0}, {"fraction": 1.0}, {"fraction": True}):
        with pytest.raises(ValueError, match="smooth|fraction"):
            curve_events(np.ones(4), **kwargs)
    with pytest.raises(ValueError, match="NaN"):
        curve_events(np.array([0.1, np.nan, 0.2]))
    with pytest.raises(ValueError, match="one value per frame"):
        curve_events(np.ones((2, 2)))


def _result(curves: dict[str, list[float]], sequence: dict[str, float]) -> FrameProbabilities:
    labels = tuple(curves)
    p = np.array([curves[k] for k in labels]).T
    n = p.shape[0]
    return FrameProbabilities("s", labels, p, np.full((n, 3), 1 / 3), np.zeros(n, np.int64),
                              np.minimum(np.arange(1, n + 1), 4), FrameWindow(), 4,
                              np.array([sequence[k] for k in labels]), np.full(3, 1 / 3))


def test_events_of_the_sequence_top_class_by_default():
    result = _result({"happiness": [0.9, 0.2, 0.4, 0.8, 0.7, 0.3], "sadness": [0.1, 0.8, 0.6, 0.2, 0.3, 0.7]},
                     {"happiness": 0.7, "sadness": 0.3})
    events = class_events(result, smooth=1)
    assert events.label == "happiness" and events.apex == 3 and events.onset == 3 and events.offset == 4
    assert class_events(result, "sadness", smooth=1).apex == 1  # frame 0 (a static scan) does not count
    assert peak_frame(result, "happiness", smooth=1) == 3
    single = _result({"happiness": [0.5], "sadness": [0.5]}, {"happiness": 0.5, "sadness": 0.5})
    assert class_events(single) is None and peak_frame(single, "happiness") is None
