import numpy as np
import pytest
import torch

from core.model import ModelConfig, SmileVLM, save_checkpoint
from core.scans import Scan
from core.scans.standin import stand_in_face

TINY = ModelConfig(embed_dim=16, proj_hidden=32, fusion_hidden=8, image_size=32)


def face(bump: float = 0.0, n: int = 12) -> Scan:
    """A hemisphere of radius 50 mm (a stand-in face) with a smile-like bump of relative height ``bump``."""
    return stand_in_face(bump, n, source=f"face(bump={bump})")


def sequence(n_frames: int = 4) -> list[Scan]:
    return [face(bump) for bump in np.linspace(0.0, 0.2, n_frames)]


def make_checkpoint(path, config: dict | None = None, text_dim: int = 384, model_config: ModelConfig = TINY):
    torch.manual_seed(0)
    model = SmileVLM(model_config, text_dim=text_dim)
    cfg = {"loss": {"tau": 0.07}, "render": {"n_frames": 4}} if config is None else config
    return save_checkpoint(path, model=model, model_config=model_config, epoch=1, step=1, config=cfg)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    return make_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.ckpt")
