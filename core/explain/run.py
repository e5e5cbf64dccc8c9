"""The engine of `smile-vlm explain`: one scan or sequence, one class, one output file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.explain.output import OUTPUT_SUFFIXES, write_result
from core.explain.saliency import VertexSaliency, saliency
from core.scans.canonical import check_orientation


@dataclass(frozen=True)
class ExplainConfig:
    """path: a scan file or a 4D sequence (folder of frames or .npz); out: the .ply or .png to write;
    class_name: the class to explain (None: the predicted one); checkpoint: the model (None: the shipped default
    model, resources/models/default/model.ckpt); prompts: a prompt file or shipped set's name (None: the
    checkpoint's); device: 'cpu' / 'cuda' / None (auto); orientation, crop: changes to the checkpoint's canonical
    settings (None: the checkpoint's)."""

    path: str
    out: str
    class_name: str | None = None
    checkpoint: str | None = None
    prompts: str | None = None
    device: str | None = None
    orientation: str | None = None
    crop: bool | None = None

    def __post_init__(self) -> None:
        for name in ("path", "out", "checkpoint", "prompts"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, os.fspath(value))
        if Path(self.out).suffix.lower() not in OUTPUT_SUFFIXES:
            raise ValueError(f"{self.out}: the output must be a .ply or a .png file")
        if self.orientation is not None:
            object.__setattr__(self, "orientation", check_orientation(self.orientation, "explain orientation"))
        if self.crop is not None and not isinstance(self.crop, bool):
            raise ValueError(f"crop must be true, false or None, got {self.crop!r}")

    @property
    def canonical(self) -> dict[str, Any]:
        return {k: v for k, v in (("orientation", self.orientation), ("crop", self.crop)) if v is not None}


def default_checkpoint() -> Path:
    """The shipped default model's checkpoint; FileNotFoundError when this installation has none."""
    from core.release.install import shipped_model_dir

    folder = shipped_model_dir()
    if folder is None:
        raise FileNotFoundError("no --checkpoint given and no shipped default model "
                                "(resources/models/default/model.ckpt); build one with `smile-vlm build-model`")
    return folder / "model.ckpt"


def explain(config: ExplainConfig) -> tuple[VertexSaliency, Path]:
    """Load the model, explain ``config.path`` and write ``config.out``: (the result, the file written)."""
    from core.inference.analyzer import Analyzer

    if not Path(config.path).exists():
        raise FileNotFoundError(f"{config.path}: no such file or folder")
    if not Path(config.out).resolve().parent.is_dir():  # said before the model loads, not after the work
        raise FileNotFoundError(f"{config.out}: its folder does not exist")
    checkpoint = config.checkpoint if config.checkpoint is not None else default_checkpoint()
    analyzer = Analyzer(checkpoint, prompts=config.prompts, device=config.device, canonical=config.canonical or None)
    result = saliency(analyzer, config.path, config.class_name)
    return result, write_result(result, config.out)


def summary_line(result: VertexSaliency, written: Path) -> str:
    """One line: the input, the class, its score and probability, what was explained, the vertices seen, the file."""
    s = result.summary()
    kind = f"4D sequence of {result.input.n_frames} frames, first frame's mesh" if result.input.is_sequence else "scan"
    return (f"{s['source']} ({kind}): {s['class']} (cos {result.score:.3f}, P {result.probability:.2f}); "
            f"{s['method']} on {s['layer']} ({s['grid'][0]}x{s['grid'][1]}); view weights "
            f"{' '.join(f'{w:.2f}' for w in result.view_weights)}; {s['vertices_seen']:,} of {s['vertices']:,} "
            f"vertices seen -> {written}")


__all__ = ["ExplainConfig", "default_checkpoint", "explain", "summary_line"]
