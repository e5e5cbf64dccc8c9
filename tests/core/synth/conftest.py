"""Shared fixtures of the synthetic-data tests: the Surrey Face Model from ../shared/sfm (skip when absent)
and small generated sets, made once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.synth.model import SFM_FILES, repo_root

SHARED_SFM = repo_root().parent / "shared" / "sfm"


def have_sfm() -> bool:
    return all((SHARED_SFM / name).is_file() for name in SFM_FILES)


@pytest.fixture(scope="session")
def sfm_dir() -> Path:
    if not have_sfm():
        pytest.skip(f"Surrey Face Model files not in {SHARED_SFM}")
    return SHARED_SFM


@pytest.fixture(scope="session")
def sfm_model(sfm_dir):
    from core.synth.model import load_model

    return load_model(sfm_dir)


@pytest.fixture()
def sfm_copy(sfm_dir, tmp_path) -> Path:
    """A private copy of the two model files (tests may corrupt it)."""
    folder = tmp_path / "sfm_copy"
    folder.mkdir()
    for name in SFM_FILES:
        shutil.copyfile(sfm_dir / name, folder / name)
    return folder


#: Small settings shared by the generator tests: few frames keep 4D sets fast.
SMALL = {"bu4dfe": {"frames": 5}, "bp4d": {"frames": 3},
         "4dme": {"frames": 7, "clips_per_subject": 5, "duration_frames": [3, 5]}}


def small_config(generator: str, **more):
    from core.synth.config import load_config

    overrides = dict(SMALL.get(generator, {}))
    overrides.update(more)
    return load_config(generator, None, overrides or None)


@pytest.fixture(scope="session")
def generated(sfm_model, tmp_path_factory):
    """generator -> (output folder, SynthResult) of a 1-subject set, seed 3, made once per session."""
    from core.synth.runner import RunConfig, generate

    cache: dict[str, tuple[Path, object]] = {}

    def make(generator: str):
        if generator not in cache:
            out = tmp_path_factory.mktemp(f"gen_{generator}") / generator
            subjects = 1
            result = generate(RunConfig(generator, subjects, out, seed=3), small_config(generator), sfm_model)
            cache[generator] = (out, result)
        return cache[generator]

    return make


# ------------------------------------------------------------------------------------------ ICT Face Model

SHARED_ICT = repo_root().parent / "shared" / "ict"


def have_ict() -> bool:
    from core.synth.ict_model import NPZ_FILE

    return (SHARED_ICT / NPZ_FILE).is_file() or (SHARED_ICT / "FaceXModel").is_dir()


@pytest.fixture(scope="session")
def ict_dir() -> Path:
    if not have_ict():
        pytest.skip(f"ICT face model files not in {SHARED_ICT}")
    return SHARED_ICT


@pytest.fixture(scope="session")
def ict_model(ict_dir):
    """The raw IctModel (skin surface, no caps)."""
    from core.synth.ict_model import load_ict

    return load_ict(ict_dir)


@pytest.fixture(scope="session")
def ict_face(ict_dir):
    """The generator-ready IctFace (caps, AU units) with the shipped AU table, loaded once per session."""
    from core.synth.face_models import load_face_model

    return load_face_model("ict", ict_dir)
