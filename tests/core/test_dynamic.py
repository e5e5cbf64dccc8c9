from __future__ import annotations

import numpy as np
import pytest

from core.dynamic import dynamic_views, dynamic_views_with_face, rank_pool, rank_pool_weights, sample_indices
from core.render import frame_scans, render_views
from core.scans import Normalization, normalization
from core.scans.canonical import CanonicalSettings
from core.scans.types import Scan

#: Bounding-box framing (no face search): the height fields below are not faces.
BBOX = CanonicalSettings.default().replace(orientation="none")


def _face(smile: float = 0.0, n: int = 25) -> Scan:
    """A face-like height field; ``smile`` raises a bump at x = +0.5 (keeps the bbox)."""
    x, y = np.meshgrid(np.linspace(-1, 1, n), np.linspace(-1.2, 1.2, n + 6))
    z = 0.6 * np.exp(-(x**2) / 0.8 - y**2 / 1.5) + 0.3 * np.exp(-(x**2 + (y - 0.1) ** 2) / 0.02)
    z += smile * np.exp(-((x - 0.5) ** 2 + (y + 0.5) ** 2) / 0.03)
    ny, nx = x.shape
    tri = []
    for j in range(ny - 1):
        for i in range(nx - 1):
            k = j * nx + i
            tri += [[k, k + 1, k + nx + 1], [k, k + nx + 1, k + nx]]
    return Scan(np.stack([x, y, z], -1).reshape(-1, 3) * 80.0, np.array(tri), f"smile {smile}")


def _naive_rank_pool(frames: np.ndarray) -> np.ndarray:
    t_count = len(frames)
    harmonic = lambda t: sum(1.0 / i for i in range(1, t + 1))  # noqa: E731
    out = np.zeros(frames.shape[1:], dtype=np.float64)
    for t in range(1, t_count + 1):
        alpha = 2.0 * (t_count - t + 1) - (t_count + 1) * (harmonic(t_count) - harmonic(t - 1))
        out += alpha * frames[t - 1].astype(np.float64)
    return out


@pytest.mark.parametrize("t_count", [2, 3, 7, 16])
def test_rank_pool_matches_the_formula(t_count):
    rng = np.random.default_rng(t_count)
    frames = rng.integers(0, 256, size=(t_count, 5, 6, 3)).astype(np.uint8)
    d = rank_pool(frames, rescale=False)
    assert d.dtype == np.float64 and d.shape == (5, 6, 3)
    assert np.allclose(d, _naive_rank_pool(frames), rtol=1e-12, atol=1e-9)
    floats = rng.normal(size=(t_count, 4)).astype(np.float32)
    assert np.allclose(rank_pool(floats, rescale=False), _naive_rank_pool(floats), atol=1e-9)


def test_weights_sum_to_zero_and_favour_late_frames():
    for t_count in (2, 5, 100):
        alpha = rank_pool_weights(t_count)
        assert alpha.shape == (t_count,)
        assert abs(alpha.sum()) < 1e-9 * np.abs(alpha).sum()
        assert alpha[0] < 0 < alpha[-1]
        assert alpha[t_count // 2 :].sum() > 0 > alpha[: t_count // 2].sum()
    assert np.allclose(rank_pool_weights(5), [-3.7, 0.3, 1.3, 1.3, 0.8], atol=1e-12)
    assert np.array_equal(rank_pool_weights(1), [0.0])
    with pytest.raises(ValueError):
        rank_pool_weights(0)


def test_rescale_spans_the_uint8_range():
    rng = np.random.default_rng(0)
    frames = rng.normal(size=(6, 8, 8, 3))
    img = rank_pool(frames)
    assert img.dtype == np.uint8 and img.shape == (8, 8, 3)
    assert img.min() == 0 and img.max() == 255
    raw = rank_pool(frames, rescale=False)
    expected = np.rint((raw - raw.min()) / (raw.max() - raw.min()) * 255)
    assert np.abs(img.astype(int) - expected).max() == 0


def test_constant_results_give_zero_images_without_dividing_by_zero():
    static = np.repeat(np.random.default_rng(1).integers(0, 256, (1, 6, 6, 3)), 9, axis=0).astype(np.uint8)
    with np.errstate(all="raise"):
        assert np.all(rank_pool(static) == 0)
        assert np.abs(rank_pool(static, rescale=False)).max() < 1e-9
        single = rank_pool(static[:1])
    assert np.all(single == 0) and single.shape == (6, 6, 3)


@pytest.mark.parametrize(
    "frames",
    [np.zeros(5), np.zeros((0, 4, 4)), np.array([[1.0, np.nan]]), np.array([["a", "b"]]),
     np.zeros((2, 3), dtype=bool), [np.zeros((2, 2)), np.zeros((3, 3))]],
)
def test_bad_frames_raise_value_error(frames):
    with pytest.raises(ValueError):
        rank_pool(frames)


def test_sample_indices():
    assert list(sample_indices(5, 16)) == [0, 1, 2, 3, 4]
    idx = sample_indices(100, 16)
    assert len(idx) == 16 and idx[0] == 0 and idx[-1] == 99 and np.all(np.diff(idx) > 0)
    assert list(sample_indices(10, 1)) == [0]
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError):
            sample_indices(10, bad)
    with pytest.raises(ValueError):
        sample_indices(0, 4)


def test_dynamic_views_of_static_and_moving_sequences():
    static = [_face()] * 5
    still = dynamic_views(static, n_frames=5, yaws=(-30, 0, 30), size=32)
    assert still.shape == (3, 32, 32, 3) and still.dtype == np.uint8
    assert np.all(still == 0)
    moving = [_face(smile=s) for s in np.linspace(0.0, 0.3, 5)]
    dyn = dynamic_views(moving, n_frames=5, yaws=(-30, 0, 30), size=32)
    assert dyn.shape == (3, 32, 32, 3)
    for v in range(3):
        assert dyn[v].max() == 255 and dyn[v].min() == 0


def test_dynamic_views_equals_rank_pooling_the_per_frame_renders():
    frames = [_face(smile=s) for s in (0.0, 0.05, 0.1, 0.2, 0.25, 0.3, 0.32)]
    got = dynamic_views(frames, n_frames=4, yaws=(0, 30), size=24, canonical=BBOX)
    chosen = [frames[i] for i in sample_indices(len(frames), 4)]
    ref_norm = normalization(chosen[0])
    renders = np.stack([render_views(f, yaws=(0, 30), size=24, normalization=ref_norm) for f in chosen])
    for v in range(2):
        expected = rank_pool(renders[:, v])
        assert np.abs(got[v].astype(int) - expected.astype(int)).max() <= 1


def test_canonical_dynamic_views_use_the_first_sampled_frame_framing():
    """The default framing: every sampled frame under the first one's canonical transform and crop (here on a
    height field, which is no face: the flag says so and the frames are rendered from the best fit all the same)."""
    frames = [_face(smile=s) for s in (0.0, 0.1, 0.2, 0.3, 0.32)]
    got, flag = dynamic_views_with_face(frames, n_frames=3, yaws=(0, 30), size=24)
    assert flag is not None and not flag.ok and flag.reason.startswith("no face found")
    assert np.array_equal(got, dynamic_views(frames, n_frames=3, yaws=(0, 30), size=24))
    chosen = [frames[i] for i in sample_indices(len(frames), 3)]
    framed = frame_scans(chosen)
    identity = Normalization(centre=np.zeros(3), scale=1.0, rotation=np.eye(3))  # the frames are framed already
    renders = np.stack([render_views(f, yaws=(0, 30), size=24, normalization=identity) for f in framed.frames])
    for v in range(2):
        assert np.abs(got[v].astype(int) - rank_pool(renders[:, v]).astype(int)).max() <= 1
    none, none_flag = dynamic_views_with_face(frames, n_frames=3, yaws=(0, 30), size=24, canonical=BBOX)
    assert none_flag is None and not np.array_equal(none, got)


def test_dynamic_views_validates_input():
    with pytest.raises(ValueError):
        dynamic_views([])
    with pytest.raises(ValueError):
        dynamic_views([np.zeros((4, 3))])
    with pytest.raises(ValueError):
        dynamic_views([_face()], n_frames=0)
    with pytest.raises(ValueError):
        dynamic_views([_face()], size=2)
