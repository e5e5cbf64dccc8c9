from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.synth.ict_model import (
    ENV_VAR,
    ICT_COMMIT,
    INDICES_JSON,
    N_FACE,
    N_NARROW,
    N_SKIN,
    NEUTRAL_OBJ,
    NPZ_FILE,
    NPZ_SHA256,
    OBJ_FOLDER,
    default_cache_dir,
    default_shared_dirs,
    find_and_load_ict,
    load_ict,
    locate_ict,
)
from core.synth.model import ModelFileError, repo_root

SHARED_ICT = repo_root().parent / "shared" / "ict"


@pytest.fixture(scope="module")
def ict_dir() -> Path:
    if not (SHARED_ICT / NPZ_FILE).is_file():
        pytest.skip(f"ICT face model {NPZ_FILE} not in {SHARED_ICT}")
    return SHARED_ICT


@pytest.fixture(scope="module")
def ict_raw(ict_dir) -> dict[str, np.ndarray]:
    """The npz's arrays as stored (centimetres, float16 modes)."""
    with np.load(ict_dir / NPZ_FILE) as data:
        return {k: data[k] for k in data.files}


def _fake_npz(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / NPZ_FILE, x=np.zeros(1))
    return folder


def _fake_obj_folder(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / NEUTRAL_OBJ).write_text("v 0 0 0\n")
    (folder / INDICES_JSON).write_text("{}")
    return folder


def _write_obj(path: Path, verts: np.ndarray, face_lines: list[str] = ()) -> None:
    """``repr`` of a float64 round-trips exactly, so the reader gets back the very same values."""
    rows = "\n".join("v %r %r %r" % tuple(v) for v in np.asarray(verts, dtype=np.float64).tolist())
    path.write_text("# test mesh\nmtllib x.mtl\n" + rows + "\nvt 0.5 0.25\nvn 0 0 1\n" + "".join(face_lines))


def test_search_order_given_env_shared_cache(tmp_path):
    given, env_dir, shared, cache = (_fake_npz(tmp_path / n) for n in ("given", "env", "shared", "cache"))
    kw = dict(env={ENV_VAR: str(env_dir)}, shared_dirs=[tmp_path / "nothing", shared], cache_dir=cache)
    assert locate_ict(given, **kw) == given
    assert locate_ict(None, **kw) == env_dir
    assert locate_ict("", **kw) == env_dir
    kw["env"] = {}
    assert locate_ict(None, **kw) == shared
    assert locate_ict(None, env={}, shared_dirs=[tmp_path / "nothing"], cache_dir=cache) == cache


def test_obj_folders_are_found_and_the_npz_comes_first(tmp_path):
    direct = _fake_obj_folder(tmp_path / "direct")
    parent = tmp_path / "parent"
    sub = _fake_obj_folder(parent / OBJ_FOLDER)
    kw = dict(env={}, shared_dirs=[], cache_dir=tmp_path / "cache")
    assert locate_ict(direct, **kw) == direct
    assert locate_ict(parent, **kw) == sub
    assert locate_ict(None, env={ENV_VAR: str(parent)}, shared_dirs=[], cache_dir=tmp_path / "c") == sub
    assert locate_ict(None, env={}, shared_dirs=[tmp_path / "empty", parent], cache_dir=tmp_path / "c") == sub
    assert locate_ict(None, env={}, shared_dirs=[], cache_dir=parent) == sub
    _fake_npz(parent)
    assert locate_ict(parent, **kw) == parent
    half = tmp_path / "half"  # an OBJ folder needs both the neutral mesh and vertex_indices.json
    half.mkdir()
    (half / NEUTRAL_OBJ).write_text("v 0 0 0\n")
    with pytest.raises(ModelFileError):
        locate_ict(half, **kw)


def test_named_folder_never_falls_back(tmp_path):
    shared = _fake_npz(tmp_path / "shared")
    empty = tmp_path / "empty"
    empty.mkdir()
    kw = dict(shared_dirs=[shared], cache_dir=_fake_npz(tmp_path / "cache"))
    with pytest.raises(ModelFileError) as err:
        locate_ict(empty, env={}, **kw)
    assert err.value.path == str(empty) and "--face-model-dir" in str(err.value)
    with pytest.raises(ModelFileError) as err:
        locate_ict(None, env={ENV_VAR: str(empty)}, **kw)
    assert err.value.path == str(empty) and ENV_VAR in err.value.reason
    with pytest.raises(ModelFileError) as err:
        locate_ict(tmp_path / "missing", env={}, **kw)
    assert "missing" in str(err.value) and "does not exist" in str(err.value)


def test_nothing_anywhere_says_where_to_put_the_model(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(ModelFileError) as err:
        find_and_load_ict(None, env={}, shared_dirs=[tmp_path / "a"], cache_dir=cache)
    message = str(err.value)
    for text in (str(cache), NPZ_FILE, NPZ_SHA256, "--face-model-dir", "SMILE_ICT_DIR", "FaceXModel", ICT_COMMIT,
                 "MIT"):
        assert text in message


def test_default_places(tmp_path):
    dirs = default_shared_dirs(tmp_path / "work")
    assert dirs == [(repo_root().parent / "shared" / "ict").resolve(), (tmp_path / "shared" / "ict").resolve()]
    assert default_shared_dirs(repo_root()) == dirs[:1]
    assert default_cache_dir().name == "ict" and "smile-vlm" in str(default_cache_dir())


def test_truncated_npz_names_the_file(ict_dir, tmp_path):
    path = tmp_path / NPZ_FILE
    path.write_bytes((ict_dir / NPZ_FILE).read_bytes()[:1000])
    for call in (lambda: load_ict(tmp_path), lambda: find_and_load_ict(tmp_path, env={}, shared_dirs=[])):
        with pytest.raises(ModelFileError) as err:
            call()
        assert err.value.path == str(path)
        message = str(err.value)
        assert "sha256" in message and "truncated or corrupt" in message and "1000 bytes" in message
    with pytest.raises(ModelFileError) as err:  # unchecked, the broken zip still gives a clear error
        load_ict(tmp_path, verify=False)
    assert err.value.path == str(path) and "npz" in err.value.reason


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04broken"])
def test_unreadable_npz_without_verify(tmp_path, content):
    (tmp_path / NPZ_FILE).write_bytes(content)
    with pytest.raises(ModelFileError) as err:
        load_ict(tmp_path, verify=False)
    assert err.value.path == str(tmp_path / NPZ_FILE)


def _small_npz(**changes) -> dict[str, np.ndarray]:
    arrays = dict(neutral=np.zeros((70, 3), np.float32), faces=np.array([[0, 1, 2]], np.int32),
                  identity_modes=np.zeros((2, 70, 3), np.float16), expression_modes=np.zeros((3, 70, 3), np.float16),
                  expression_names=np.array(["a", "b", "c"]), landmarks68=np.arange(68, dtype=np.int32),
                  n_face=np.int32(60), n_narrow_face=np.int32(50), units=np.array("cm"))
    arrays.update(changes)
    return {k: v for k, v in arrays.items() if v is not None}


@pytest.mark.parametrize("changes, words", [
    (dict(faces=np.array([[0, 1, 70]])), "faces"),
    (dict(identity_modes=np.zeros((2, 69, 3), np.float16)), "identity_modes"),
    (dict(expression_modes=np.zeros((3, 70, 2), np.float16)), "expression_modes"),
    (dict(expression_names=np.array(["a", "b"])), "expression_names"),
    (dict(landmarks68=np.arange(3, 71)), "landmarks68"),
    (dict(n_face=np.int32(71)), "n_face"),
    (dict(units=np.array("mm")), "units"),
    (dict(n_narrow_face=np.array("x")), "n_narrow_face"),
    (dict(neutral=None), "neutral"),
    (dict(expression_names=np.array([1, 2, 3])), "expression_names"),
])
def test_inconsistent_npz_says_what_is_wrong(tmp_path, changes, words):
    np.savez(tmp_path / NPZ_FILE, **_small_npz(**changes))
    with pytest.raises(ModelFileError) as err:
        load_ict(tmp_path, verify=False)
    assert err.value.path == str(tmp_path / NPZ_FILE) and words in err.value.reason


def test_small_valid_npz_loads_in_millimetres(tmp_path):
    np.savez(tmp_path / NPZ_FILE, **_small_npz(neutral=np.full((70, 3), 1.5, np.float32),
                                               expression_modes=np.full((3, 70, 3), 0.25, np.float16)))
    model = load_ict(tmp_path, verify=False)
    assert model.neutral.dtype == np.float64 and np.all(model.neutral == 15.0)
    assert model.expression("b").dtype == np.float32 and np.all(model.expression("b") == 2.5)
    assert (model.n_vertices, model.n_components, model.n_face, model.n_narrow_face) == (70, 2, 60, 50)


def test_real_npz(ict_dir):
    model = load_ict(ict_dir)
    assert model.source == "npz" and model.checksums == {NPZ_FILE: NPZ_SHA256}
    assert model.neutral.shape == (N_SKIN, 3) and model.neutral.dtype == np.float64
    assert model.faces.shape == (22288, 3) and model.faces.dtype == np.int64
    assert model.identity_modes.shape == (100, N_SKIN, 3) and model.identity_modes.dtype == np.float32
    assert model.expression_modes.shape == (55, N_SKIN, 3) and model.expression_modes.dtype == np.float32
    counts = (model.n_vertices, model.n_components, model.n_face, model.n_narrow_face)
    assert counts == (N_SKIN, 100, N_FACE, N_NARROW)
    assert len(model.expression_names) == 55 and model.expression_names[-2:] == ("cheekRaiser_L", "cheekRaiser_R")
    assert model.landmarks68.shape == (68,) and model.landmarks68.dtype == np.int64
    np.testing.assert_allclose(model.neutral[model.nose_tip], [0.0, 4.06, 130.69], atol=0.01)  # mm, not cm
    for arr in (model.neutral, model.faces, model.identity_modes, model.expression_modes, model.landmarks68):
        assert not arr.flags.writeable
    assert model.expression("jawOpen") is not None and np.abs(model.expression("jawOpen")).max() > 10
    with pytest.raises(ValueError, match="jawOpen"):
        model.expression("smile")
    assert load_ict(ict_dir) is model and find_and_load_ict(ict_dir) is model


@pytest.fixture(scope="module")
def facex_dir(ict_raw, tmp_path_factory) -> tuple[Path, np.ndarray]:
    """A FaceXModel folder made from the npz: 2 identity modes, all 55 expressions, a few extra vertices
    (which must be dropped) and polygons written as triangles, quads, pentagons and with v/vt/vn tokens.
    Returns the folder and the triangles the conversion must give."""
    folder = tmp_path_factory.mktemp("ict") / OBJ_FOLDER
    folder.mkdir()
    neutral = ict_raw["neutral"].astype(np.float64)  # exact float32 values, written exactly
    extra = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    tris = ict_raw["faces"].astype(np.int64)
    lines = [f"f {a + 1} {b + 1} {c + 1}\n" for a, b, c in tris[:100]]
    lines += ["f 11/1/1 12/2/2 13/3/3 14/4/4\n", "f 21//1 22//1 23//1 24//1 25//1\n",  # a quad, a pentagon
              f"f 1 2 {N_SKIN + 1}\n", f"f {N_SKIN + 2} {N_SKIN + 3} 6 7\n"]  # use extra vertices: dropped
    lines += [f"f {a + 1}/{a + 1} {b + 1}/{b + 1} {c + 1}/{c + 1}\n" for a, b, c in tris[100:]]
    expected = np.concatenate([tris[:100], [[10, 11, 12], [10, 12, 13], [20, 21, 22], [20, 22, 23], [20, 23, 24]],
                               tris[100:]])
    _write_obj(folder / NEUTRAL_OBJ, np.vstack([neutral, extra]), lines)
    names = [str(n) for n in ict_raw["expression_names"]]
    meta = {"expressions": names[:53], "idx_to_landmark_verts": ict_raw["landmarks68"].tolist(), "other": [1]}
    (folder / INDICES_JSON).write_text(json.dumps(meta))
    # neutral (float32) + mode (float16) is exact in float64, so the converter's float64 difference gives back
    # the stored float16 offsets bit for bit (no text rounding: repr round-trips float64).
    shapes = {f"identity{k:03d}": ict_raw["identity_modes"][k] for k in range(2)}
    shapes.update({name: ict_raw["expression_modes"][k] for k, name in enumerate(names)})
    for name, mode in shapes.items():
        _write_obj(folder / f"{name}.obj", np.vstack([neutral + mode.astype(np.float64), extra * 100]))
    return folder, expected


def test_facexmodel_conversion_gives_the_npz_arrays(ict_dir, facex_dir):
    folder, expected_faces = facex_dir
    npz = load_ict(ict_dir)
    model = find_and_load_ict(folder.parent, env={}, shared_dirs=[])
    assert model.source == "FaceXModel" and set(model.checksums) == {NEUTRAL_OBJ, INDICES_JSON}
    np.testing.assert_array_equal(model.neutral, npz.neutral)
    np.testing.assert_array_equal(model.faces, expected_faces)
    assert model.faces.dtype == np.int64 and model.faces.max() < N_SKIN
    np.testing.assert_array_equal(model.expression_modes, npz.expression_modes)
    np.testing.assert_array_equal(model.identity_modes, npz.identity_modes[:2])
    assert model.expression_names == npz.expression_names
    np.testing.assert_array_equal(model.landmarks68, npz.landmarks68)
    assert (model.n_face, model.n_narrow_face, model.nose_tip) == (N_FACE, N_NARROW, npz.nose_tip)
    assert not model.identity_modes.flags.writeable and not model.neutral.flags.writeable
    assert load_ict(folder) is model


def _tiny_facex(folder: Path, expressions=("jawOpen", "mouthClose")) -> Path:
    """A FaceXModel folder of random shapes (no npz needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    neutral = rng.normal(size=(N_SKIN + 2, 3))
    _write_obj(folder / NEUTRAL_OBJ, neutral, ["f 1 2 3 4\n", f"f 1 2 {N_SKIN + 1}\n"])
    (folder / INDICES_JSON).write_text(json.dumps({"expressions": list(expressions),
                                                   "idx_to_landmark_verts": list(range(68))}))
    for name in ("identity000", "cheekRaiser_R", *expressions):
        _write_obj(folder / f"{name}.obj", neutral + 0.5)
    return folder


def test_tiny_facexmodel_folder(tmp_path):
    model = load_ict(_tiny_facex(tmp_path / "f"))
    assert model.expression_names == ("jawOpen", "mouthClose", "cheekRaiser_R")
    assert model.faces.tolist() == [[0, 1, 2], [0, 2, 3]]
    assert model.identity_modes.shape == (1, N_SKIN, 3) and np.all(model.expression_modes == np.float32(5.0))


def test_missing_expression_obj_names_the_file(tmp_path):
    folder = _tiny_facex(tmp_path / "f")
    (folder / "mouthClose.obj").unlink()
    with pytest.raises(ModelFileError) as err:
        load_ict(folder)
    assert err.value.path == str(folder / "mouthClose.obj")


@pytest.mark.parametrize("damage, culprit", [
    (lambda f: (f / INDICES_JSON).write_text("{not json"), INDICES_JSON),
    (lambda f: (f / INDICES_JSON).write_text('{"expressions": []}'), INDICES_JSON),
    (lambda f: (f / "jawOpen.obj").write_text("v 1 2 x\n"), "jawOpen.obj"),
    (lambda f: (f / "jawOpen.obj").write_text("v 1 2 3\n"), "jawOpen.obj"),
    (lambda f: (f / NEUTRAL_OBJ).write_text((f / NEUTRAL_OBJ).read_text() + "f 1 a 3\n"), NEUTRAL_OBJ),
    (lambda f: (f / "identity000.obj").unlink(), "identity000.obj"),
])
def test_malformed_facexmodel_names_the_file(tmp_path, damage, culprit):
    folder = _tiny_facex(tmp_path / "f")
    damage(folder)
    with pytest.raises(ModelFileError) as err:
        load_ict(folder)
    assert err.value.path == str(folder / culprit)
