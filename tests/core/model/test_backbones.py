import pytest
import torch

from core.model import backbones
from core.model.backbones import SmallCNN, build_backbone
from core.model.clip_weights import ClipWeightsError
from core.model.preprocess import IMAGENET_MEAN


def test_smallcnn_shapes_and_size():
    net, dim = build_backbone("smallcnn")
    assert isinstance(net, SmallCNN) and dim == 256
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 256)
    assert net(torch.randn(2, 3, 112, 112)).shape == (2, 256)
    n_params = sum(p.numel() for p in net.parameters())
    assert 0.55e6 < n_params < 0.62e6  # the size documented in the module docstring
    assert net.mean == IMAGENET_MEAN


def test_resnet18_random_init_and_weights_file(tmp_path):
    import torchvision

    reference = torchvision.models.resnet18(weights=None)
    torch.save(reference.state_dict(), tmp_path / "r18.pth")
    loaded, dim = build_backbone(f"resnet18:{tmp_path / 'r18.pth'}")
    assert torch.equal(loaded.net.conv1.weight, reference.conv1.weight)
    assert torch.equal(loaded.net.layer4[1].bn2.running_var, reference.layer4[1].bn2.running_var)
    assert dim == 512 and loaded(torch.randn(2, 3, 32, 32)).shape == (2, 512)


def test_resnet_bad_weights_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="gone.pth"):
        build_backbone(f"resnet18:{tmp_path / 'gone.pth'}")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"\x00garbage" * 50)
    with pytest.raises(ValueError, match="junk.pth"):
        build_backbone(f"resnet18:{junk}")
    torch.save({"conv1.weight": torch.zeros(3)}, tmp_path / "other.pth")
    with pytest.raises(ValueError, match="other.pth.*not weights of this ResNet"):
        build_backbone(f"resnet18:{tmp_path / 'other.pth'}")


def test_resnet50_feature_dim():
    net, dim = build_backbone("resnet50")
    assert dim == 2048


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    """No CLIP weights anywhere: empty HF cache and home, and open_clip must never be asked to build a model."""
    import open_clip

    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def forbidden(*args, **kwargs):
        raise AssertionError("open_clip.create_model was called for unavailable weights")

    monkeypatch.setattr(open_clip, "create_model", forbidden)


@pytest.mark.parametrize("tag", ["openai", "laion2b_s34b_b79k"])
def test_clip_tag_without_local_weights_is_refused_before_loading(empty_caches, tag):
    with pytest.raises(ClipWeightsError, match=f"ViT-B-32:{tag} weights are not on this machine.*random weights"):
        build_backbone(f"clip:ViT-B-32:{tag}")


def test_clip_unknown_tag_file_or_arch_is_refused(empty_caches, tmp_path):
    with pytest.raises(ClipWeightsError, match="weights file not found"):
        build_backbone(f"clip:ViT-B-32:{tmp_path / 'gone.bin'}")
    with pytest.raises(ClipWeightsError, match="neither a weights file nor a known pretrained tag"):
        build_backbone("clip:ViT-B-32:banana")
    with pytest.raises(ClipWeightsError, match="unknown CLIP architecture"):
        build_backbone("clip:ViT-Q-99:openai")


def test_clip_damaged_weights_file_is_refused_naming_it(tmp_path):
    junk = tmp_path / "weights.bin"
    junk.write_bytes(b"not a checkpoint" * 64)
    with pytest.raises(ClipWeightsError, match="weights.bin: could not load CLIP ViT-S-32 weights"):
        build_backbone(f"clip:ViT-S-32:{junk}")


def test_clip_architecture_only_for_checkpoint_loading(tmp_path):
    net, dim = build_backbone(f"clip:ViT-S-32:{tmp_path / 'moved.bin'}", load_weights=False)
    assert dim == 384
    assert net(torch.randn(1, 3, 32, 32)).shape == (1, 384)  # resized to the tower's 224 px inside


def test_build_backbone_rejects_unknown_spec():
    with pytest.raises(ValueError, match="unknown backbone"):
        backbones.build_backbone("vgg16")
