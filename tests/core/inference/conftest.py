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


def ict_scan() -> Scan:
    """The ICT Face Model's neutral head in millimetres (a real face); the test is skipped without the model."""
    from core.synth.ict_model import find_and_load_ict

    try:
        ict = find_and_load_ict()
    except (ValueError, OSError) as exc:
        pytest.skip(f"ICT face model not available: {exc}")
    return Scan(np.asarray(ict.neutral, np.float32), np.asarray(ict.faces, np.int64), "ict neutral")


def sphere_scan() -> Scan:
    """A sphere of radius 80 mm: no face in it."""
    import trimesh

    mesh = trimesh.creation.icosphere(subdivisions=3, radius=80.0)
    return Scan(np.asarray(mesh.vertices, np.float32), np.asarray(mesh.faces, np.int64), "sphere")


def _export(scan: Scan, path):
    import trimesh

    trimesh.Trimesh(scan.vertices, scan.faces, process=False).export(path)
    return path


@pytest.fixture(scope="session")
def ict_file(tmp_path_factory):
    return _export(ict_scan(), tmp_path_factory.mktemp("faces") / "ict.obj")


@pytest.fixture(scope="session")
def sphere_file(tmp_path_factory):
    return _export(sphere_scan(), tmp_path_factory.mktemp("faces") / "sphere.obj")


@pytest.fixture(scope="session")
def canonical_checkpoint(tmp_path_factory):
    """A checkpoint trained (as it were) with canonical faces: its render settings hold a canonical object."""
    return make_checkpoint(tmp_path_factory.mktemp("ckpt") / "canonical.ckpt",
                           config={"loss": {"tau": 0.07}, "render": {"n_frames": 4, "canonical": {}}})
