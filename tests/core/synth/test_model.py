from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from core.synth.model import (
    BLENDSHAPE_FILE,
    ENV_VAR,
    EXPRESSIONS,
    N_VERTICES,
    SFM_FILES,
    SHAPE_FILE,
    ModelFileError,
    download_url,
    find_and_load,
    load_model,
    locate_model,
)


def _copy(src: Path, dst: Path) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for name in SFM_FILES:
        shutil.copyfile(src / name, dst / name)
    return dst


def _no_fetch(url: str, timeout: float) -> bytes:
    raise AssertionError(f"unexpected download of {url}")


def test_explicit_folder_wins_over_env_shared_and_cache(sfm_dir, tmp_path):
    explicit = _copy(sfm_dir, tmp_path / "explicit")
    env_dir = _copy(sfm_dir, tmp_path / "env")
    shared = _copy(sfm_dir, tmp_path / "shared")
    cache = _copy(sfm_dir, tmp_path / "cache")
    kw = dict(env={ENV_VAR: str(env_dir)}, shared_dirs=[shared], cache_dir=cache, fetch=_no_fetch)
    assert locate_model(explicit, **kw) == explicit
    assert locate_model(None, **kw) == env_dir
    kw["env"] = {}
    assert locate_model(None, **kw) == shared
    assert locate_model(None, env={}, shared_dirs=[tmp_path / "nothing", cache], cache_dir=tmp_path / "c2",
                        fetch=_no_fetch) == cache
    assert locate_model(None, env={}, shared_dirs=[], cache_dir=cache, fetch=_no_fetch) == cache


def test_named_folder_never_falls_back(sfm_dir, tmp_path):
    shared = _copy(sfm_dir, tmp_path / "shared")
    with pytest.raises(ModelFileError) as err:
        locate_model(tmp_path / "missing", env={}, shared_dirs=[shared], cache_dir=tmp_path / "cache", fetch=_no_fetch)
    assert "missing" in str(err.value) and "--sfm" in str(err.value)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelFileError) as err:
        locate_model(None, env={ENV_VAR: str(empty)}, shared_dirs=[shared], cache_dir=tmp_path / "cache",
                     fetch=_no_fetch)
    assert SHAPE_FILE in str(err.value) and "missing" in str(err.value)


@pytest.mark.parametrize("damage", ["truncate", "flip"])
@pytest.mark.parametrize("name", [SHAPE_FILE, BLENDSHAPE_FILE])
def test_corrupt_or_truncated_file_names_the_file(sfm_copy, tmp_path, damage, name):
    path = sfm_copy / name
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    for call in (lambda: locate_model(sfm_copy, env={}, shared_dirs=[], cache_dir=tmp_path / "c", fetch=_no_fetch),
                 lambda: load_model(sfm_copy),
                 lambda: locate_model(None, env={}, shared_dirs=[sfm_copy], cache_dir=tmp_path / "c",
                                      fetch=_no_fetch)):
        with pytest.raises(ModelFileError) as err:
            call()
        assert err.value.path == str(path)
        assert name in str(err.value) and "sha256" in str(err.value)


def test_download_into_cache_with_good_bytes(sfm_dir, tmp_path):
    cache = tmp_path / "cache"
    fetched = []

    def fetch(url: str, timeout: float) -> bytes:
        fetched.append(url)
        return (sfm_dir / url.rsplit("/", 1)[1]).read_bytes()

    folder = locate_model(None, env={}, shared_dirs=[tmp_path / "none"], cache_dir=cache, fetch=fetch)
    assert folder == cache
    assert sorted(fetched) == sorted(download_url(n) for n in SFM_FILES)
    for name in SFM_FILES:
        assert (cache / name).read_bytes() == (sfm_dir / name).read_bytes()
    assert not list(cache.glob("*.part"))
    # second time: the verified cache is used, nothing is downloaded
    assert locate_model(None, env={}, shared_dirs=[], cache_dir=cache, fetch=_no_fetch) == cache


def test_corrupt_cache_file_is_downloaded_again(sfm_dir, tmp_path):
    cache = _copy(sfm_dir, tmp_path / "cache")
    (cache / SHAPE_FILE).write_bytes(b"junk")
    got = []

    def fetch(url: str, timeout: float) -> bytes:
        got.append(url)
        return (sfm_dir / url.rsplit("/", 1)[1]).read_bytes()

    assert locate_model(None, env={}, shared_dirs=[], cache_dir=cache, fetch=fetch) == cache
    assert got == [download_url(SHAPE_FILE)]
    assert (cache / SHAPE_FILE).read_bytes() == (sfm_dir / SHAPE_FILE).read_bytes()


def test_download_with_bad_bytes_is_a_checksum_error_and_writes_nothing(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(ModelFileError) as err:
        locate_model(None, env={}, shared_dirs=[], cache_dir=cache, fetch=lambda url, timeout: b"not the model")
    msg = str(err.value)
    assert "sha256 does not match" in msg and (SHAPE_FILE in msg or BLENDSHAPE_FILE in msg)
    assert not cache.exists() or not any(cache.iterdir())


def test_offline_says_where_to_put_the_files(tmp_path):
    cache = tmp_path / "cache"

    def offline(url: str, timeout: float) -> bytes:
        raise OSError("network is unreachable")

    with pytest.raises(ModelFileError) as err:
        locate_model(None, env={}, shared_dirs=[], cache_dir=cache, fetch=offline)
    msg = str(err.value)
    assert "download" in msg and "network is unreachable" in msg
    assert str(cache) in msg and "--sfm" in msg and ENV_VAR in msg
    assert download_url(SHAPE_FILE) in msg and download_url(BLENDSHAPE_FILE) in msg
    with pytest.raises(ModelFileError) as err:
        locate_model(None, env={}, shared_dirs=[], cache_dir=cache, download=False)
    assert str(cache) in str(err.value)


def test_loaded_model_has_the_documented_shapes(sfm_dir):
    model = find_and_load(sfm_dir)
    assert model.mean.shape == (N_VERTICES, 3) and model.n_vertices == N_VERTICES
    assert model.basis.shape[0] == N_VERTICES * 3 and model.n_components == 63
    assert model.faces.shape[1] == 3 and model.faces.max() < N_VERTICES
    assert model.expressions.shape == (len(EXPRESSIONS), N_VERTICES, 3)
    assert np.abs(model.expression("surprise")).max() > 1.0  # millimetres, not a unit-less basis
    assert model.checksums == dict(SFM_FILES)
    assert load_model(sfm_dir) is model  # cached
    with pytest.raises(ValueError):
        model.mean[0, 0] = 1.0
