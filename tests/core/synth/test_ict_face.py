"""The ICT face as the generators use it (core.synth.ict_face): eye and mouth caps, where each action unit
moves the face, and the field-of-view crops."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from core.synth.ict_config import FieldOfViewConfig
from core.synth.ict_face import EYE_OFFSET_MM, MOUTH_OFFSET_MM, boundary_loops, crop, crop_mask


def _skin_faces(face) -> np.ndarray:
    return face.faces[(face.faces < face.n_skin).all(axis=1)]


def _cap_loops(face) -> dict[int, np.ndarray]:
    """cap vertex -> the (sorted) vertices of the loop its fan closes."""
    caps = face.faces[(face.faces >= face.n_skin).any(axis=1)]
    assert np.all(caps[:, 2] >= face.n_skin) and np.all(caps[:, :2] < face.n_skin)  # fans: (b, a, centre)
    return {int(c): np.unique(caps[caps[:, 2] == c][:, :2]) for c in np.unique(caps[:, 2])}


def _rel(face) -> np.ndarray:
    return face.mean - face.mean[face.tip]


# ------------------------------------------------------------------------------------------ caps


def test_three_cap_vertices(face_and_model):
    face, model = face_and_model
    assert face.n_skin == model.n_vertices
    assert face.n_vertices == model.n_vertices + 3
    assert face.units.shape == (len(face.unit_names), face.n_vertices, 3)
    assert face.basis.shape == (face.n_vertices * 3, model.n_components)
    np.testing.assert_array_equal(face.mean[: face.n_skin], model.neutral)
    np.testing.assert_array_equal(_skin_faces(face), model.faces)
    assert sorted(_cap_loops(face)) == [face.n_skin, face.n_skin + 1, face.n_skin + 2]


def test_only_the_neck_cut_stays_open(face_and_model):
    face, model = face_and_model
    before = boundary_loops(model.faces)
    assert len(before) == 4  # two eyes, the mouth, the neck
    after = boundary_loops(face.faces)
    assert len(after) == 1
    neck = _rel(face)[after[0]]
    assert neck[:, 1].max() < -100  # far below the nose tip
    # the loops the caps closed are exactly the other three
    closed = sorted(tuple(np.sort(loop)) for loop in before if not np.array_equal(np.sort(loop), np.sort(after[0])))
    assert closed == sorted(tuple(loop) for loop in _cap_loops(face).values())


def test_cap_vertex_is_the_mean_of_its_loop_plus_offset(ict_face):
    face = ict_face
    rel = _rel(face)
    kinds = []
    for c, loop in _cap_loops(face).items():
        offset = face.mean[c] - face.mean[loop].mean(axis=0)
        centre = rel[loop].mean(axis=0)
        if centre[1] > 0:  # eyes, above the nose tip, one on each side
            kinds.append("eye+" if centre[0] > 0 else "eye-")
            np.testing.assert_allclose(offset, [0.0, 0.0, EYE_OFFSET_MM], atol=1e-9)
        else:
            kinds.append("mouth")
            assert abs(centre[0]) < 5 and -60 < centre[1] < -20
            np.testing.assert_allclose(offset, [0.0, 0.0, MOUTH_OFFSET_MM], atol=1e-9)
    assert sorted(kinds) == ["eye+", "eye-", "mouth"]
    assert EYE_OFFSET_MM > 0 > MOUTH_OFFSET_MM  # eyes forward, the mouth inward


def test_caps_move_with_every_unit_and_identity_mode(ict_face):
    face = ict_face
    basis = face.basis.reshape(face.n_vertices, 3, face.n_components)
    for c, loop in _cap_loops(face).items():
        np.testing.assert_allclose(face.units[:, c], face.units[:, loop].mean(axis=1), atol=1e-9)
        np.testing.assert_allclose(basis[c], basis[loop].mean(axis=0), atol=1e-9)
    # and they do move: the mouth cap follows the jaw, the eye caps follow the blink
    mouth = max(_cap_loops(face), key=lambda c: -face.mean[c, 1])
    assert face.units[face.unit_names.index("AU26"), mouth, 1] < -5.0
    eye_l = max((c for c in _cap_loops(face) if _rel(face)[c, 1] > 0), key=lambda c: face.mean[c, 0])
    assert np.linalg.norm(face.units[face.unit_names.index("AU43L"), eye_l]) > 0.1
    assert np.linalg.norm(face.units[face.unit_names.index("AU43R"), eye_l]) < 1e-3


def test_cap_faces_are_oriented_like_the_skin(ict_face):
    f = ict_face.faces
    directed = np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]).tolist()
    count = Counter(map(tuple, directed))
    assert max(count.values()) == 1  # no edge is walked twice in the same direction
    undirected = Counter(tuple(sorted(e)) for e in directed)
    interior = [e for e, n in undirected.items() if n == 2]
    assert all(n <= 2 for n in undirected.values())
    assert all(count[e] == 1 and count[(e[1], e[0])] == 1 for e in interior)
    # only the neck's loop is boundary
    assert sum(1 for n in undirected.values() if n == 1) == len(boundary_loops(f)[0])
    # cap normals agree with the skin: the eye caps face forward (+z), the mouth cap too (it is seen
    # through the open lips)
    v = ict_face.mean
    caps = f[(f >= ict_face.n_skin).any(axis=1)]
    normals = np.cross(v[caps[:, 1]] - v[caps[:, 0]], v[caps[:, 2]] - v[caps[:, 0]])
    for c in np.unique(caps[:, 2]):
        assert normals[caps[:, 2] == c].sum(axis=0)[2] > 0, c


# ------------------------------------------------------------------------------------------ where AUs act


def _top(face, *units: str, fraction: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """(positions relative to the nose tip, displacements) of the ``fraction`` most-displaced vertices of
    the units together."""
    field = sum(face.units[face.unit_names.index(u)] for u in units)
    size = np.linalg.norm(field, axis=1)
    k = int(round(fraction * len(size)))
    idx = np.argsort(size)[-k:]
    return _rel(face)[idx], size[idx]


def _weighted_centre(pos: np.ndarray, size: np.ndarray) -> np.ndarray:
    return (pos * size[:, None]).sum(axis=0) / size.sum()


def test_nose_tip_is_the_front_of_the_face(ict_face):
    rel = _rel(ict_face)
    assert rel[:, 2].max() < 2.0  # nothing more than 2 mm ahead of the tip
    assert abs(rel[ict_face.tip, 0]) < 1e-6 and abs(ict_face.mean[ict_face.tip, 0]) < 1.0  # on the midline


def test_au12_moves_the_mouth_corners(ict_face):
    pos, size = _top(ict_face, "AU12L", "AU12R")
    x, y = np.abs(pos[:, 0]), pos[:, 1]
    inside = (x >= 15) & (x <= 45) & (y >= -50) & (y <= -15)
    assert inside.mean() > 0.95, inside.mean()
    # both corners, not one
    assert (pos[:, 0] > 0).mean() == pytest.approx(0.5, abs=0.1)


def test_au4_moves_the_brows(ict_face):
    pos, size = _top(ict_face, "AU4L", "AU4R")
    y = pos[:, 1]
    assert ((y >= 30) & (y <= 75)).mean() > 0.95
    assert (pos[:, 2] > -90).all()  # on the front of the head


def test_au9_moves_the_nose(ict_face):
    """noseSneer in the ICT model also lifts the upper lip beside the nose (the nasolabial area), so only
    the displacement-weighted centre and the strongest vertices are on the nose itself."""
    pos, size = _top(ict_face, "AU9L", "AU9R")
    centre = _weighted_centre(pos, size)
    assert abs(centre[0]) < 30 and -25 <= centre[1] <= 25, centre
    strongest, _ = _top(ict_face, "AU9L", "AU9R", fraction=0.005)
    assert (np.abs(strongest[:, 0]) < 35).all() and (np.abs(strongest[:, 1]) <= 25).all()
    # nose-and-upper-lip box: nearly all of the top 5 %
    assert ((np.abs(pos[:, 0]) < 50) & (pos[:, 1] >= -45) & (pos[:, 1] <= 25)).mean() > 0.95
    # AU9 acts higher on the face than AU12 and AU26
    assert centre[1] > _weighted_centre(*_top(ict_face, "AU12L", "AU12R"))[1] + 10
    assert centre[1] > _weighted_centre(*_top(ict_face, "AU26"))[1] + 20


def test_au26_moves_the_jaw(ict_face):
    pos, size = _top(ict_face, "AU26")
    assert (pos[:, 1] < -35).all()
    assert (pos[:, 1] < -40).mean() > 0.75
    assert _weighted_centre(pos, size)[1] < -45
    # the jaw opens downwards by centimetres at weight 1, most on the midline below the mouth
    field = ict_face.units[ict_face.unit_names.index("AU26")]
    lowest = int(np.argmin(field[:, 1]))
    assert field[lowest, 1] < -30
    assert abs(_rel(ict_face)[lowest, 0]) < 15 and _rel(ict_face)[lowest, 1] < -35


@pytest.mark.parametrize("au", ["AU12", "AU4", "AU9", "AU2", "AU15", "AU20"])
def test_left_units_move_plus_x_and_right_units_minus_x(ict_face, au):
    """The subject's left is +x (the face looks along +z with y up)."""
    rel = _rel(ict_face)
    for side, sign in (("L", 1.0), ("R", -1.0)):
        size = np.linalg.norm(ict_face.units[ict_face.unit_names.index(au + side)], axis=1)
        own = size[sign * rel[:, 0] > 0].sum()
        other = size[sign * rel[:, 0] < 0].sum()
        assert own > 0.85 * (own + other), (au + side, own, other)


def test_left_and_right_units_mirror(ict_face):
    pos_l, size_l = _top(ict_face, "AU12L")
    pos_r, size_r = _top(ict_face, "AU12R")
    cl, cr = _weighted_centre(pos_l, size_l), _weighted_centre(pos_r, size_r)
    assert cl[0] > 15 and cr[0] < -15
    np.testing.assert_allclose([cl[0], cl[1]], [-cr[0], cr[1]], atol=3.0)


# ------------------------------------------------------------------------------------------ crops


def test_whole_head_keeps_everything(ict_face):
    rng = np.random.default_rng(0)
    mask = crop_mask(ict_face.mean, ict_face.tip, FieldOfViewConfig(whole_head=True, jitter_mm=5.0), rng)
    assert mask.dtype == bool and mask.all() and mask.shape == (ict_face.n_vertices,)
    kept, faces = crop(ict_face.faces, mask)
    np.testing.assert_array_equal(kept, np.arange(ict_face.n_vertices))
    np.testing.assert_array_equal(faces, ict_face.faces)


def test_crop_mask_draws_the_same_rng_values_whatever_whole_head(ict_face):
    a, b = np.random.default_rng(3), np.random.default_rng(3)
    crop_mask(ict_face.mean, ict_face.tip, FieldOfViewConfig(whole_head=True), a)
    crop_mask(ict_face.mean, ict_face.tip, FieldOfViewConfig(), b)
    assert a.random() == b.random()


def test_face_field_of_view_keeps_the_face_and_drops_back_and_neck(ict_face):
    rel = _rel(ict_face)
    fov = FieldOfViewConfig(back_mm=125.0, top_mm=115.0, bottom_mm=130.0, jitter_mm=0.0)
    mask = crop_mask(ict_face.mean, ict_face.tip, fov, np.random.default_rng(0))
    assert mask[ict_face.tip]
    assert not mask[np.argmin(rel[:, 2])]  # the back of the head
    assert not mask[np.argmin(rel[:, 1])]  # the bottom of the neck
    assert not mask[np.argmax(rel[:, 1])]  # the top of the head
    kept = rel[mask]
    assert kept[:, 2].min() >= -125 and kept[:, 1].max() <= 115 and kept[:, 1].min() >= -130
    assert 0.3 < mask.mean() < 0.95
    # eyes, mouth corners and the cap centres are all in
    for c in range(ict_face.n_skin, ict_face.n_vertices):
        assert mask[c]
    # with jitter the bounds move by a few millimetres only
    jittered = crop_mask(ict_face.mean, ict_face.tip, FieldOfViewConfig(jitter_mm=5.0), np.random.default_rng(1))
    assert abs(int(jittered.sum()) - int(crop_mask(ict_face.mean, ict_face.tip, FieldOfViewConfig(jitter_mm=0.0),
                                                   np.random.default_rng(1)).sum())) < 0.2 * mask.sum()


def test_crop_reindexes_faces(ict_face):
    fov = FieldOfViewConfig(back_mm=90.0, top_mm=100.0, bottom_mm=115.0, jitter_mm=0.0)
    mask = crop_mask(ict_face.mean, ict_face.tip, fov, np.random.default_rng(0))
    kept, faces = crop(ict_face.faces, mask)
    assert kept.dtype.kind == "i" and np.all(np.diff(kept) > 0)
    assert mask[kept].all()
    assert faces.min() >= 0 and faces.max() < len(kept)
    # every kept face is an original face whose three vertices were all in the mask, and all such faces are kept
    original = ict_face.faces[mask[ict_face.faces].all(axis=1)]
    np.testing.assert_array_equal(kept[faces], original)
    # every kept vertex is used by some kept face
    assert len(np.unique(faces)) == len(kept)
    # geometry is unchanged by the re-indexing
    np.testing.assert_array_equal(ict_face.mean[kept][faces], ict_face.mean[original])


def test_crop_of_a_small_mesh():
    faces = np.array([[0, 1, 2], [1, 3, 2], [2, 3, 4], [4, 5, 6]])
    mask = np.array([True, True, True, True, False, True, True])
    kept, out = crop(faces, mask)
    np.testing.assert_array_equal(kept, [0, 1, 2, 3])
    np.testing.assert_array_equal(out, [[0, 1, 2], [1, 3, 2]])
    kept, out = crop(faces, np.zeros(7, dtype=bool))
    assert kept.size == 0 and out.shape == (0, 3)


# ------------------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def face_and_model(ict_face, ict_model):
    return ict_face, ict_model
