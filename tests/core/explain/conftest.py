"""Fixtures of the evidence-map tests: a tiny random checkpoint (trained before canonical faces, so scans are framed
by their bounding box: fast), the shipped default model and synthetic ICT faces with one action unit (skipped when
absent)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from core.model import ModelConfig, SmileVLM, save_checkpoint
from core.scans import Scan
from core.scans.standin import stand_in_face

TINY = ModelConfig(embed_dim=16, proj_hidden=32, fusion_hidden=8, image_size=32)
DEFAULT_CKPT = Path(__file__).resolve().parents[3] / "resources" / "models" / "default" / "model.ckpt"


def face(bump: float = 0.1, n: int = 16) -> Scan:
    return stand_in_face(bump, n, source=f"face(bump={bump})")


def sequence(n_frames: int = 4) -> list[Scan]:
    return [face(b) for b in np.linspace(0.0, 0.2, n_frames)]


def make_checkpoint(path: Path) -> Path:
    torch.manual_seed(0)
    return save_checkpoint(path, model=SmileVLM(TINY, 384), model_config=TINY, epoch=1, step=1,
                           config={"loss": {"tau": 0.07}, "render": {"n_frames": 4}})


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    return make_checkpoint(tmp_path_factory.mktemp("explain_ckpt") / "tiny.ckpt")


@pytest.fixture(scope="session")
def tiny_analyzer(tiny_checkpoint):
    from core.inference.analyzer import Analyzer

    return Analyzer(tiny_checkpoint, device="cpu")


@pytest.fixture(scope="session")
def default_analyzer():
    from core.inference.analyzer import Analyzer

    if not DEFAULT_CKPT.is_file():
        pytest.skip(f"no shipped default model at {DEFAULT_CKPT}")
    return Analyzer(DEFAULT_CKPT, device="cpu")


@pytest.fixture(scope="session")
def au12_faces():
    """AU12 alone on two BU-3DFE-like ICT subjects of seed 301 (the seed the method was chosen on)."""
    from core.explain.sanity import au_faces
    from core.synth.model import ModelFileError

    try:
        return au_faces(["AU12"], 2, seed=301)
    except ModelFileError as exc:
        pytest.skip(f"ICT face model not available: {exc}")
