"""Evidence on the mesh: which vertices of a scan make the model see a class.

``saliency(analyzer, x, class_name) -> VertexSaliency`` for a scan or a 4D sequence ``x`` (a path, a Scan, a list of
Scans, or an :class:`ExplainInput` made once by :func:`prepare` and reused for every class):

1. the views are rendered exactly as the Analyzer renders them (its render settings, canonical face and all);
2. a gradient-based map of the class's zero-shot score s_c = cos(z^mv, m_c) is computed over every view in one
   forward and one backward pass (:mod:`core.explain.gradcam`: Grad-CAM on the deepest feature map of at least
   4 x 4 cells by default);
3. each view's map is carried to the vertices of the scan *as stored* (file coordinates, file vertex order) through
   the renderer's own camera, only to the vertices the view sees (depth test against the view's depth image,
   :mod:`core.explain.vertex_map`), and the views are combined with the fusion weights w_i: at each vertex
   sum_i w_i m_i / sum_i w_i over the views that see it;
4. values are scaled to [0, 1] by their maximum (0 where no view sees the vertex, and everywhere when the score has
   no positive evidence at all: ``peak`` 0).

4D sequences: the model sees one dynamic image per view, a rank-pooled combination of the sampled frames' renders,
all drawn through the same cameras under the first frame's framing (core.dynamic). The map is computed on the
dynamic image, which shares those cameras' pixel grid, and is carried to the *first frame's* mesh with the first
frame's depth images: a region that moves later in the sequence is shown where it lies in the first frame.

Threading: nothing here touches Qt, and nothing is registered on the model, so an app may call :func:`saliency`
from a worker thread while the same Analyzer analyses in another (rendering uses the calling thread's own offscreen
renderer).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Union

import numpy as np
import torch

from core.eval.zero_shot import prompt_class_embeddings
from core.explain.gradcam import view_maps
from core.explain.settings import ExplainSettings
from core.explain.staged import ExplainInput, depth_images, finish, frame_input, render_views
from core.explain.vertex_map import combine, sample_maps, unit_scale
from core.scans.types import Scan

if TYPE_CHECKING:
    from core.inference.analyzer import Analyzer

Explainable = Union[str, os.PathLike, Scan, Sequence[Scan], "ExplainInput"]


@dataclass(frozen=True, eq=False)
class VertexSaliency:
    """The evidence for one class on the scan as stored.

    values: (V,) float32 in [0, 1], one per vertex of ``scan`` (a sequence's first frame), 0 where no view sees it.
    per_view: (N, V) float32 in [0, 1], each view's map at the vertices it sees (0 elsewhere), one scale for all
    views. view_weights: (N,) float64 the fusion weights w_i. image_maps: (N, S, S) float32 in [0, 1], each view's map
    over its image (one scale). class_name, score (the cosine s_c), probability (P(class) as the Analyzer gives it).
    method / layer / grid: what was explained (core.explain.gradcam). peak: the largest combined value before
    scaling (0: no positive evidence anywhere). input: the :class:`ExplainInput` (scan, views, cameras, seen).
    """

    values: np.ndarray
    per_view: np.ndarray
    view_weights: np.ndarray
    image_maps: np.ndarray
    class_name: str
    score: float
    probability: float
    method: str
    layer: str
    grid: tuple[int, int]
    peak: float
    input: ExplainInput

    @property
    def scan(self) -> Scan:
        return self.input.scan

    @property
    def seen(self) -> np.ndarray:
        """(V,) bool: vertices at least one view sees (the others have value 0 by construction)."""
        return self.input.seen.any(axis=0)

    def summary(self) -> dict:
        """JSON-ready: source, class, score, probability, view weights, method, layer, grid, vertices seen."""
        return {"source": self.input.source, "class": self.class_name, "score": round(self.score, 6),
                "probability": round(self.probability, 6), "view_weights": [round(float(w), 6) for w in
                                                                             self.view_weights],
                "method": self.method, "layer": self.layer, "grid": list(self.grid),
                "vertices": int(len(self.values)), "vertices_seen": int(self.seen.sum())}


def _read(x: str | os.PathLike | Scan | Sequence[Scan]) -> tuple[list[Scan], str]:
    from core import scans

    if isinstance(x, Scan):
        return [x], x.source
    if isinstance(x, (list, tuple)):
        frames = list(x)
        if not frames or not all(isinstance(f, Scan) for f in frames):
            raise ValueError("a sequence to explain must be a non-empty list of Scans")
        return frames, frames[0].source or "sequence"
    if isinstance(x, (str, os.PathLike)):
        path = Path(x)
        if path.is_dir() or path.suffix.lower() == ".npz":
            return list(scans.load_sequence(path)), str(path)
        return [scans.load(path)], str(path)
    raise ValueError(f"cannot explain a {type(x).__name__}: expected a path, a Scan or a list of Scans")


def prepare(analyzer: Analyzer, x: str | os.PathLike | Scan | Sequence[Scan],
            settings: ExplainSettings | None = None) -> ExplainInput:
    """Read (paths), frame and render ``x`` with the Analyzer's render settings, and find which vertices each view
    sees (the stages of :mod:`core.explain.staged` in a row, on the calling thread). ScanError / ValueError naming
    the file for unreadable inputs."""
    settings = settings or ExplainSettings.default()
    frames, source = _read(x)
    framed = frame_input(frames, source, analyzer.render_config, settings)
    if len(frames) > 1:
        views, _, face = analyzer.render_with_face(frames)  # the dynamic images, exactly as analysed
    else:
        views, face = render_views(framed), framed.flag  # = core.render.render_scan
    display, nearness = depth_images(framed)
    return finish(framed, views, display, nearness, settings, face)


def class_embeddings(analyzer: Analyzer) -> tuple[tuple[str, ...], torch.Tensor]:
    """(labels, (C, D) unit class embeddings) of the Analyzer's current prompt set (text features are cached)."""
    prompt_set = analyzer.prompt_set
    texts = prompt_set.all_prompts()
    emb = prompt_class_embeddings(analyzer.model, analyzer.text.encode(texts), texts, prompt_set.classes)
    return prompt_set.labels, emb


def saliency(analyzer: Analyzer, x: Explainable, class_name: str | None = None,
             settings: ExplainSettings | None = None, model: torch.nn.Module | None = None) -> VertexSaliency:
    """The evidence for ``class_name`` (None: the class the Analyzer predicts) on ``x`` (see the module docstring).

    settings: None for resources/explain.json. model: another SmileVLM of the same architecture to explain instead of
    the Analyzer's (the sanity check's randomised copy); the class embeddings stay the Analyzer's.
    ValueError for a class outside the prompt set (naming the classes), ScanError for unreadable inputs.
    """
    settings = settings or ExplainSettings.default()
    inp = x if isinstance(x, ExplainInput) else prepare(analyzer, x, settings)
    labels, emb = class_embeddings(analyzer)
    if class_name is None:
        class_name = analyzer.analyze_views(inp.views).top
    if class_name not in labels:
        raise ValueError(f"{inp.source}: unknown class {class_name!r}; the prompt set has {', '.join(labels)}")
    k = labels.index(class_name)
    maps = view_maps(model if model is not None else analyzer.model, inp.views, emb, k, settings)
    raw = sample_maps(maps.maps, inp.points, inp.cameras, inp.seen)
    combined = combine(raw, inp.seen, maps.weights)
    logits = torch.as_tensor(maps.similarities) / (analyzer.tau * analyzer.temperature)
    probability = float(torch.softmax(logits, dim=0)[k])
    return VertexSaliency(
        values=unit_scale(combined), per_view=unit_scale(raw), view_weights=maps.weights,
        image_maps=unit_scale(maps.maps), class_name=class_name, score=maps.score, probability=probability,
        method=maps.method, layer=maps.layer, grid=maps.grid, peak=float(combined.max(initial=0.0)), input=inp,
    )


__all__ = ["ExplainInput", "VertexSaliency", "class_embeddings", "prepare", "saliency"]
