import math

import numpy as np
import pytest
import torch

from core.inference.calibration import (
    T_MAX,
    T_MIN,
    apply_temperature,
    expected_calibration_error,
    fit_temperature,
    temperature_nll,
)


def naive_softmax(z):
    out = []
    for row in z:
        m = max(row)
        e = [math.exp(v - m) for v in row]
        out.append([v / sum(e) for v in e])
    return np.array(out)


def naive_nll(z, y, t):
    return -sum(math.log(naive_softmax([np.asarray(row) / t])[0][k]) for row, k in zip(z, y)) / len(y)


def naive_ece(probs, labels, n_bins):
    """Loop over the bins (lo, hi]; the first bin also takes a confidence of exactly 0."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    total = 0.0
    for b in range(n_bins):
        members = [i for i, row in enumerate(probs)
                   if (edges[b] < max(row) <= edges[b + 1]) or (b == 0 and max(row) == 0.0)]
        if not members:
            continue
        acc = sum(int(np.argmax(probs[i]) == labels[i]) for i in members) / len(members)
        conf = sum(max(probs[i]) for i in members) / len(members)
        total += len(members) / len(labels) * abs(acc - conf)
    return total


def calibrated_sample(n=20000, c=5, seed=0):
    """Logits whose softmax is the true label distribution (so T = 1 is the calibrated temperature)."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 2.0, (n, c))
    p = naive_softmax(logits)
    labels = np.array([rng.choice(c, p=row) for row in p])
    return logits, labels


def test_fit_recovers_a_known_temperature():
    logits, labels = calibrated_sample()
    assert fit_temperature(logits, labels) == pytest.approx(1.0, abs=0.06)
    assert fit_temperature(logits * 3.0, labels) == pytest.approx(3.0, rel=0.05)
    assert fit_temperature(torch.tensor(logits / 2.0, dtype=torch.float32), torch.tensor(labels)) == pytest.approx(
        0.5, rel=0.05)


def test_fit_minimises_the_naive_nll():
    rng = np.random.default_rng(3)
    logits = rng.normal(0, 1.5, (60, 4))
    labels = rng.integers(0, 4, 60)
    t = fit_temperature(logits, labels)
    grid = np.exp(np.linspace(math.log(T_MIN), math.log(T_MAX), 400))
    best = min(grid, key=lambda g: naive_nll(logits, labels, g))
    assert naive_nll(logits, labels, t) <= naive_nll(logits, labels, best) + 1e-9
    assert temperature_nll(logits, labels, t) == pytest.approx(naive_nll(logits, labels, t), rel=1e-9)


def test_fit_stays_within_bounds():
    logits = np.array([[5.0, 0.0], [0.0, 5.0], [5.0, 0.0]])
    right = fit_temperature(logits, [0, 1, 0])  # always right: the NLL falls towards 0 as T -> 0 (flat near 0)
    assert T_MIN <= right < 0.2 and naive_nll(logits, [0, 1, 0], right) < 1e-9
    assert fit_temperature(logits, [1, 0, 1]) == pytest.approx(T_MAX, rel=1e-3)  # always wrong: flatten fully


def test_apply_temperature_keeps_type_and_argmax():
    z = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, 1.0]])
    out = apply_temperature(z, 2.0)
    assert np.allclose(out, z / 2.0) and (out.argmax(1) == z.argmax(1)).all()
    zt = torch.tensor(z, dtype=torch.float32)
    outt = apply_temperature(zt, 4)
    assert isinstance(outt, torch.Tensor) and outt.dtype == torch.float32 and torch.allclose(outt, zt / 4)
    assert np.allclose(apply_temperature([[1.0, 2.0]], 0.5), [[2.0, 4.0]])


@pytest.mark.parametrize("n_bins", [1, 5, 15])
def test_ece_matches_the_naive_loop(n_bins):
    logits, labels = calibrated_sample(n=500, c=4, seed=1)
    for scale in (0.3, 1.0, 3.0):
        probs = naive_softmax(logits * scale)
        assert expected_calibration_error(probs, labels, n_bins) == pytest.approx(
            naive_ece(probs, labels, n_bins), abs=1e-12)


def test_ece_edge_cases():
    # confidences exactly on bin edges go to the lower bin, as in the naive loop
    probs = np.array([[0.6, 0.4], [0.8, 0.2], [0.5, 0.5], [1.0, 0.0], [0.2, 0.8]])
    labels = np.array([0, 1, 0, 0, 1])
    assert expected_calibration_error(probs, labels, 5) == pytest.approx(naive_ece(probs, labels, 5), abs=1e-12)
    perfect = np.eye(3)
    assert expected_calibration_error(perfect, [0, 1, 2]) == 0.0
    assert expected_calibration_error(perfect, [1, 2, 0]) == pytest.approx(1.0)


def test_temperature_scaling_lowers_the_ece_of_overconfident_scores():
    logits, labels = calibrated_sample(n=4000, c=5, seed=2)
    over = logits * 3.0
    t = fit_temperature(over, labels)
    before = expected_calibration_error(naive_softmax(over), labels)
    after = expected_calibration_error(naive_softmax(apply_temperature(over, t)), labels)
    assert after < before / 3


@pytest.mark.parametrize(
    "logits, labels, needle",
    [
        (np.zeros(4), [0, 1, 0, 1], r"shape \(n, C\)"),
        (np.zeros((1, 3)), [0], "at least 2 sample"),
        (np.zeros((3, 1)), [0, 0, 0], "at least 2 classes"),
        (np.array([[0.0, np.nan], [1.0, 0.0]]), [0, 1], "finite"),
        (np.array([[0.0, np.inf], [1.0, 0.0]]), [0, 1], "finite"),
        (np.zeros((3, 2)), [0, 1], r"shape \(3,\)"),
        (np.zeros((2, 2)), [0, 2], r"lie in \[0, 2\)"),
        (np.zeros((2, 2)), [-1, 0], r"lie in \[0, 2\)"),
        (np.zeros((2, 2)), [0.5, 1.0], "integer class indices"),
        ([["a", "b"], ["c", "d"]], [0, 1], "numeric"),
    ],
)
def test_fit_refuses_bad_input(logits, labels, needle):
    with pytest.raises(ValueError, match=needle):
        fit_temperature(logits, labels)


def test_other_bad_input():
    for bad_t in (0, -1.0, float("nan"), float("inf"), "2", True):
        with pytest.raises(ValueError, match="temperature"):
            apply_temperature(np.zeros((2, 2)), bad_t)
    with pytest.raises(ValueError, match=r"shape \(n, C\)"):
        apply_temperature(torch.zeros(3), 1.0)
    with pytest.raises(ValueError, match="sum to 1"):
        expected_calibration_error(np.full((2, 3), 0.5), [0, 1])
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        expected_calibration_error(np.array([[1.5, -0.5]]), [0])
    for bad_bins in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="n_bins"):
            expected_calibration_error(np.eye(2), [0, 1], bad_bins)
    with pytest.raises(ValueError, match="at least 1 sample"):
        expected_calibration_error(np.zeros((0, 2)), [])
