"""Parsing of the backbone and text-encoder spec strings (syntax only: no file is opened, nothing is loaded).

Backbones:      'smallcnn' | 'resnet18' | 'resnet50' | 'resnet18:/path/weights.pth' | 'resnet50:/path/weights.pth'
                | 'clip:<arch>:<pretrained tag or weights file>'        e.g. 'clip:ViT-B-32:openai'
Text encoders:  'minilm' | 'clip:<arch>:<pretrained tag or weights file>'
A weights path may itself contain ':' (a Windows drive letter): everything after the first (resnet) or second
(clip) colon is the source.
"""

from __future__ import annotations

from dataclasses import dataclass

BACKBONES = ("smallcnn", "resnet18", "resnet50", "clip")
TEXT_ENCODERS = ("minilm", "clip")


@dataclass(frozen=True)
class Spec:
    """A parsed spec: kind ('smallcnn', 'resnet18', 'resnet50', 'clip', 'minilm'), arch (CLIP model name or ''),
    source (weights file / pretrained tag, or '' for none)."""

    kind: str
    arch: str = ""
    source: str = ""


def _parse_clip(spec: str, what: str) -> Spec:
    parts = spec.split(":", 2)
    if len(parts) != 3 or not parts[1].strip() or not parts[2].strip():
        raise ValueError(
            f"{what} spec {spec!r}: CLIP needs 'clip:<arch>:<pretrained tag or weights file>', "
            "e.g. 'clip:ViT-B-32:openai'"
        )
    return Spec("clip", parts[1].strip(), parts[2].strip())


def parse_backbone_spec(spec: str) -> Spec:
    """Spec of a visual backbone; ValueError naming the accepted forms when malformed."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"backbone spec must be a non-empty string, got {spec!r}")
    spec = spec.strip()
    head, sep, rest = spec.partition(":")
    kind = head.strip().lower()
    if kind == "clip":
        return _parse_clip(spec, "backbone")
    if kind == "smallcnn":
        if rest:
            raise ValueError(f"backbone spec {spec!r}: 'smallcnn' takes no weights (it is always trained from scratch)")
        return Spec("smallcnn")
    if kind in ("resnet18", "resnet50"):
        if sep and not rest.strip():
            raise ValueError(f"backbone spec {spec!r}: empty weights path after ':'")
        return Spec(kind, "", rest.strip())
    raise ValueError(
        f"unknown backbone {spec!r} (expected 'smallcnn', 'resnet18', 'resnet50', 'resnet18:<weights.pth>', "
        "'resnet50:<weights.pth>' or 'clip:<arch>:<pretrained tag or weights file>')"
    )


def parse_text_spec(spec: str) -> Spec:
    """Spec of a text encoder; ValueError naming the accepted forms when malformed."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"text encoder spec must be a non-empty string, got {spec!r}")
    spec = spec.strip()
    kind = spec.partition(":")[0].strip().lower()
    if kind == "clip":
        return _parse_clip(spec, "text encoder")
    if spec.lower() == "minilm":
        return Spec("minilm")
    raise ValueError(
        f"unknown text encoder {spec!r} (expected 'minilm' or 'clip:<arch>:<pretrained tag or weights file>')"
    )
