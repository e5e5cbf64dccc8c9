import pytest

from core.model.specs import Spec, parse_backbone_spec, parse_text_spec


def test_backbone_specs():
    assert parse_backbone_spec("smallcnn") == Spec("smallcnn")
    assert parse_backbone_spec("ResNet50") == Spec("resnet50")
    assert parse_backbone_spec("resnet18:/w/r18.pth") == Spec("resnet18", "", "/w/r18.pth")
    assert parse_backbone_spec("resnet18:C:\\w\\r18.pth") == Spec("resnet18", "", "C:\\w\\r18.pth")
    assert parse_backbone_spec("clip:ViT-B-32:openai") == Spec("clip", "ViT-B-32", "openai")
    assert parse_backbone_spec("clip:ViT-B-32:C:/w/b32.bin") == Spec("clip", "ViT-B-32", "C:/w/b32.bin")


@pytest.mark.parametrize("spec", ["", "vgg", "smallcnn:/w.pth", "resnet18:", "clip", "clip:ViT-B-32", "clip::x", 3])
def test_bad_backbone_specs(spec):
    with pytest.raises(ValueError):
        parse_backbone_spec(spec)


def test_text_specs():
    assert parse_text_spec("minilm") == Spec("minilm")
    assert parse_text_spec("clip:ViT-B-16:/m/w.bin") == Spec("clip", "ViT-B-16", "/m/w.bin")
    for bad in ("", "bert", "clip:ViT-B-16", "minilm:x"):
        with pytest.raises(ValueError):
            parse_text_spec(bad)
