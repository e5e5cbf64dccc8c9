"""Fixtures of the canonical-face tests: the face models, the test-case generator (face_cases.py) and the SFM frame."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from core.scans.canonical import CanonicalSettings, canonicalize, load_template
from core.scans.types import Scan


def _load_cases_module():
    path = Path(__file__).with_name("face_cases.py")
    spec = importlib.util.spec_from_file_location("canonical_face_cases", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def cases():
    return _load_cases_module()


@pytest.fixture(scope="session")
def template():
    try:
        return load_template()
    except ValueError as exc:  # ModelFileError: the ICT files are not on this machine
        pytest.skip(f"ICT face model not available: {exc}")


@pytest.fixture(scope="session")
def ict(template):
    from core.synth.ict_model import find_and_load_ict

    return find_and_load_ict()


@pytest.fixture(scope="session")
def sfm():
    from core.synth.model import find_and_load

    try:
        return find_and_load()
    except ValueError as exc:
        pytest.skip(f"Surrey Face Model not available: {exc}")


@pytest.fixture(scope="session")
def sfm_frame(cases, sfm, template):
    settings = CanonicalSettings()
    return cases.sfm_frame(sfm, lambda mean: canonicalize(Scan(mean.astype(np.float32), sfm.faces), settings, template))
