"""Zero-shot expression analysis of a 3D scan or a 4D sequence with a trained SMILE-VLM checkpoint.

For views x (V, S, S, 3) uint8 rendered with the checkpoint's render settings:
    z^mv, w = fuse(g_v(f_v(x_i)))                         (D,), (V,)      the model's fused embedding and view weights
    e_p     = W_t f_t(p) / ||W_t f_t(p)||                  (D,)            each prompt p, projected and normalised
    m_c     = mean_{p in class c} e_p                      (D,)            class embedding (mean of unit vectors)
    s_c     = cos(z^mv, m_c)                                               zero-shot similarity
    P(c)    = softmax_c(s_c / tau)                                         tau: the checkpoint's loss temperature
tau is read from the checkpoint's config["loss"]["tau"] (the temperature of Eq. 6 the model was trained with;
config["tau"] or the LossWeights default 0.07 when absent), so the probabilities have the training-time sharpness.
A calibrated checkpoint (core.release) also holds extra["calibration"]["temperature"] = T, fitted on held-out
subjects (core.inference.calibration); then P(c) = softmax_c(s_c / tau / T) (T = 1 when absent; argmax unchanged).
The checkpoint's model card (core.model.card.load_card; the unknown card when it has none) is ``Analyzer.card``.
Render settings: checkpoint extra["render"] (a full RenderConfig dict) when present, else resources/render.json
updated by config["render"] (the run's overrides), with size = model.image_size and model.n_views yaws
(evenly spread over the default yaw range when the run did not list its yaws).
Canonical faces (RenderConfig.canonical): the stored render dict's "canonical" object, laid over
resources/canonical.json. A checkpoint whose stored render dict has no "canonical" key (extra["render"] when
present, else config["render"]) predates canonical faces: its model was trained on bounding-box framed views, so it
is rendered with orientation "none" (no face search) unless the caller overrides the orientation.
A 4D sequence (folder of frames, .npz, list of Scans) becomes dynamic images (core.dynamic.dynamic_views); a
sequence of a single frame is analysed as a 3D scan (its dynamic image would be blank).
Every result carries the face flag of the framing (ok, residual_mm, reason; None with orientation "none").
"""

from __future__ import annotations

import math
import os
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.eval.zero_shot import prompt_class_embeddings, zero_shot_probabilities, zero_shot_similarities
from core.losses import LossWeights
from core.model.card import load_card
from core.model.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from core.model.preprocess import views_to_tensor
from core.prompts import PromptSet, default_prompt_set, default_prompt_sets, read_prompt_file, resolve_prompts
from core.scans.canonical import NONE, CanonicalSettings, FaceFlag
from core.scans.types import Scan
from core.text import CachedTextEncoder, build_text_encoder


@dataclass(frozen=True)
class AnalysisResult:
    """Result of one analysis.

    source: the input's path or the scan's source. probabilities: label -> P(label), summing to 1, in the prompt
    set's class order. top: the most probable label. view_weights: the fusion weight of each view (sum 1).
    views: the rendered (V, S, S, 3) uint8 views. embedding: z^mv, the fused (D,) float32 embedding (not normalised).
    similarities: label -> cosine similarity s_c before the temperature and softmax.
    face: the face flag of the framing (ok, residual_mm, reason; ok False: no face found, the probabilities are
    unreliable); None when no face was looked for (orientation "none") or only views were given.
    """

    source: str
    probabilities: dict[str, float]
    top: str
    view_weights: list[float]
    views: np.ndarray = field(repr=False)
    embedding: np.ndarray = field(repr=False)
    similarities: dict[str, float] = field(default_factory=dict)
    face: FaceFlag | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (no images): source, probabilities, view_weights, top, face ({"ok", "residual_mm",
        "reason"}, or None when no face was looked for)."""
        return {
            "source": self.source,
            "probabilities": dict(self.probabilities),
            "view_weights": list(self.view_weights),
            "top": self.top,
            "face": None if self.face is None else self.face.to_dict(),
        }


def default_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def checkpoint_tau(checkpoint: Checkpoint) -> float:
    """The InfoNCE temperature the checkpoint was trained with (see the module docstring)."""
    config = checkpoint.config
    loss = config.get("loss")
    tau = loss.get("tau") if isinstance(loss, dict) and "tau" in loss else config.get("tau", LossWeights().tau)
    if isinstance(tau, bool) or not isinstance(tau, (int, float)) or not math.isfinite(tau) or tau <= 0:
        raise CheckpointError(checkpoint.path, f"bad temperature tau {tau!r} in its config")
    return float(tau)


def checkpoint_temperature(checkpoint: Checkpoint) -> float:
    """The calibrated temperature T in extra["calibration"]["temperature"], 1.0 when the checkpoint has none."""
    calibration = checkpoint.extra.get("calibration")
    if calibration is None or (isinstance(calibration, dict) and calibration.get("temperature") is None):
        return 1.0
    t = calibration.get("temperature") if isinstance(calibration, dict) else calibration
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t <= 0:
        raise CheckpointError(checkpoint.path, f"bad calibration temperature {t!r} in its extra['calibration']")
    return float(t)


def spread_yaws(base: Sequence[float], n_views: int) -> tuple[float, ...]:
    """n_views yaws evenly spread over [min(base), max(base)] ([-30, 30] when base has fewer than two yaws); one view
    looks from the middle of that range. The same rule as the pretraining's render settings."""
    lo, hi = (float(min(base)), float(max(base))) if len(base) > 1 else (-30.0, 30.0)
    if n_views == 1:
        return (0.5 * (lo + hi),)
    return tuple(lo + (hi - lo) * i / (n_views - 1) for i in range(n_views))


def checkpoint_render_config(checkpoint: Checkpoint):
    """The RenderConfig the checkpoint's model was trained with (see the module docstring: a checkpoint without
    canonical settings gets orientation "none", the bounding-box framing it was trained on)."""
    from core.render import RenderConfig

    mc = checkpoint.model_config
    try:
        full = checkpoint.extra.get("render")
        if isinstance(full, dict):
            stored, source = dict(full), "extra.render"
            values = stored
        else:
            stored, source = checkpoint.config.get("render") or {}, "config.render"
            if not isinstance(stored, dict):
                raise ValueError(f"config.render must be an object, got {type(stored).__name__}")
            values = {**RenderConfig.default().to_dict(), **stored, "size": mc.image_size}
            if "yaws" not in stored and len(values["yaws"]) != mc.n_views:
                values["yaws"] = list(spread_yaws(values["yaws"], mc.n_views))
        if "canonical" not in stored:  # trained before canonical faces: bounding-box framing
            values = {**values, "canonical": {"orientation": NONE}}
        render = RenderConfig.from_dict(values, source=source)
    except ValueError as exc:
        raise CheckpointError(checkpoint.path, f"bad render settings: {exc}") from None
    if render.n_views != mc.n_views or render.size != mc.image_size:
        raise CheckpointError(
            checkpoint.path,
            f"render settings ({render.n_views} views of {render.size} px) contradict the model config "
            f"({mc.n_views} views of {mc.image_size} px)",
        )
    return render


def checkpoint_prompts(checkpoint: Checkpoint) -> PromptSet:
    """The prompt set named by the checkpoint's config["prompt_set"] (a shipped set's name, a file path, or an
    embedded {"name", "classes"} object); the default expression set when unnamed or no longer on disk."""
    spec = checkpoint.config.get("prompt_set")
    if isinstance(spec, dict):
        try:
            return PromptSet.from_dict(spec)
        except ValueError as exc:
            raise CheckpointError(checkpoint.path, f"bad embedded prompt set: {exc}") from None
    if not spec or not isinstance(spec, str):
        return default_prompt_set()
    if spec in default_prompt_sets() and not Path(spec).exists():
        return default_prompt_set(spec)
    if not Path(spec).is_file():
        warnings.warn(
            f"{checkpoint.path}: its prompt set {spec} is not on this machine; using the default expression set",
            stacklevel=3,
        )
        return default_prompt_set()
    return read_prompt_file(spec)


def with_canonical(render, canonical: CanonicalSettings | dict[str, Any] | None):
    """``render`` (a RenderConfig) with its canonical settings replaced (a CanonicalSettings) or changed (a dict of
    CanonicalSettings fields, e.g. {"orientation": "y-up", "crop": False}; None values leave a field as it is)."""
    if canonical is None:
        return render
    if isinstance(canonical, CanonicalSettings):
        return render.replace(canonical=canonical)
    if not isinstance(canonical, dict):
        raise ValueError(f"canonical must be CanonicalSettings or a dict of changes, got {type(canonical).__name__}")
    return render.replace(canonical=render.canonical.replace(**canonical))


class Analyzer:
    """Analyzer(checkpoint, prompts=None, device=None, canonical=None).

    checkpoint: a checkpoint path (or a loaded Checkpoint). prompts: a PromptSet, a prompt file path, a shipped set's
    name, or None (the set named in the checkpoint's config, else resources/prompts/expressions.json).
    device: None picks CUDA when present, else CPU. canonical: how scans become canonical faces, overriding the
    checkpoint's render settings: a CanonicalSettings (used as it is) or a dict of changes to the checkpoint's
    (e.g. {"orientation": "y-up"} or {"crop": False}; None values ignored); None keeps the checkpoint's (orientation
    "none" for checkpoints trained before canonical faces). Bad checkpoints raise CheckpointError.
    tau: the training temperature; temperature: the calibrated T (1.0 when not calibrated); card: the checkpoint's
    ModelCard (the unknown card when it has none, or when its card file cannot be used).
    """

    def __init__(
        self,
        checkpoint: str | os.PathLike[str] | Checkpoint,
        prompts: PromptSet | str | os.PathLike[str] | None = None,
        device: str | torch.device | None = None,
        canonical: CanonicalSettings | dict[str, Any] | None = None,
    ):
        self.device = torch.device(device) if device is not None else default_device()
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("device 'cuda' was asked for but no CUDA GPU is available (use 'cpu')")
        self.checkpoint = checkpoint if isinstance(checkpoint, Checkpoint) else load_checkpoint(checkpoint)
        self.model_config = self.checkpoint.model_config
        self.tau = checkpoint_tau(self.checkpoint)
        self.temperature = checkpoint_temperature(self.checkpoint)
        self.card = load_card(self.checkpoint.path)
        self.render_config = with_canonical(checkpoint_render_config(self.checkpoint), canonical)
        encoder = build_text_encoder(self.model_config.text_encoder, device=self.device)
        if encoder.dim != self.checkpoint.text_dim:
            raise CheckpointError(
                self.checkpoint.path,
                f"its text projection takes {self.checkpoint.text_dim}-d features but text encoder "
                f"{encoder.name!r} gives {encoder.dim}-d",
            )
        self.text = CachedTextEncoder(encoder)
        self.model = self.checkpoint.build_model(self.device)
        self._lock = threading.Lock()
        self._classes: tuple[PromptSet, torch.Tensor] | None = None
        self.set_prompts(checkpoint_prompts(self.checkpoint) if prompts is None else prompts)

    @property
    def prompt_set(self) -> PromptSet:
        return self._classes[0]

    @property
    def labels(self) -> tuple[str, ...]:
        return self._classes[0].labels

    def set_prompts(self, prompts: PromptSet | str | os.PathLike[str]) -> int:
        """Switch to another prompt set; only prompts never seen before are encoded. Returns how many were."""
        prompt_set = resolve_prompts(prompts)
        texts = prompt_set.all_prompts()
        features = self.text.encode(texts)  # (P, text_dim), cached per string
        encoded = len(self.text.last_encoded)
        class_emb = prompt_class_embeddings(self.model, features, texts, prompt_set.classes)  # (C, D)
        with self._lock:
            self._classes = (prompt_set, class_emb)
        return encoded

    def analyze_views(self, views: np.ndarray, source: str = "", face: FaceFlag | None = None) -> AnalysisResult:
        """Zero-shot analysis of rendered views (V, S, S, 3) uint8; ``face``: the face flag of their framing,
        passed through to the result."""
        views = np.asarray(views)
        if views.dtype != np.uint8 or views.ndim != 4 or views.shape[-1] != 3 or views.shape[0] < 1:
            raise ValueError(f"views must be uint8 (V, S, S, 3), got {views.dtype} {views.shape}")
        with self._lock:
            prompt_set, class_emb = self._classes
        x = views_to_tensor(views).unsqueeze(0)  # (1, V, 3, S, S)
        with torch.inference_mode():
            z_views = self.model.encode_views(x.to(self.device))
            z_fused, weights = self.model.fuse(z_views)
            sims = zero_shot_similarities(z_fused, class_emb)  # (1, C)
            probs = zero_shot_probabilities(sims, self.tau * self.temperature)
        labels = prompt_set.labels
        p = probs[0].double().cpu().tolist()
        return AnalysisResult(
            source=str(source),
            probabilities=dict(zip(labels, p)),
            top=labels[int(np.argmax(p))],
            view_weights=weights[0].double().cpu().tolist(),
            views=views,
            embedding=z_fused[0].float().cpu().numpy(),
            similarities=dict(zip(labels, sims[0].double().cpu().tolist())),
            face=face,
        )

    def score_views(self, views: np.ndarray) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
        """Score N sets of views at once: views (N, V, S, S, 3) uint8 -> (labels, probabilities (N, C) float64,
        view weights (N, V) float64), each row as :meth:`analyze_views` would give it (one prompt set for all)."""
        views = np.asarray(views)
        if views.dtype != np.uint8 or views.ndim != 5 or views.shape[-1] != 3 or min(views.shape[:2]) < 1:
            raise ValueError(f"views must be uint8 (N, V, S, S, 3), got {views.dtype} {views.shape}")
        with self._lock:
            prompt_set, class_emb = self._classes
        x = views_to_tensor(views)  # (N, V, 3, S, S)
        with torch.inference_mode():
            z_fused, weights = self.model.fuse(self.model.encode_views(x.to(self.device)))
            probs = zero_shot_probabilities(zero_shot_similarities(z_fused, class_emb), self.tau * self.temperature)
        return prompt_set.labels, probs.double().cpu().numpy(), weights.double().cpu().numpy()

    def render(self, x: str | os.PathLike[str] | Scan | Sequence[Scan]) -> tuple[np.ndarray, str]:
        """(views (V, S, S, 3) uint8, source) of a scan/sequence path, a Scan or a list of Scans."""
        views, source, _ = self.render_with_face(x)
        return views, source

    def render_with_face(
        self, x: str | os.PathLike[str] | Scan | Sequence[Scan]
    ) -> tuple[np.ndarray, str, FaceFlag | None]:
        """(views, source, face flag) of a scan/sequence path, a Scan or a list of Scans, rendered with
        ``render_config`` (3D scan: core.render.render_scan; 4D sequence: core.render.render_sequence, a single
        frame rendered as a scan)."""
        from core import scans
        from core.render import render_scan, render_sequence

        r = self.render_config
        if isinstance(x, Scan):
            views, face = render_scan(x, r)
            return views, x.source, face
        if isinstance(x, (list, tuple)):
            views, face = render_sequence(list(x), r)
            return views, (x[0].source if x and isinstance(x[0], Scan) else "sequence"), face
        if isinstance(x, (str, os.PathLike)):
            path = Path(x)
            if path.is_dir() or path.suffix.lower() == ".npz":
                views, face = render_sequence(scans.load_sequence(path), r)
            else:
                views, face = render_scan(scans.load(path), r)
            return views, str(path), face
        raise ValueError(f"cannot analyse a {type(x).__name__}: expected a path, a Scan or a list of Scans")

    def analyze(self, x: str | os.PathLike[str] | Scan | Sequence[Scan]) -> AnalysisResult:
        """Render (3D scan: render_views; 4D sequence: dynamic_views; both framed with the canonical settings of
        ``render_config``) and analyse; the result carries the face flag."""
        views, source, face = self.render_with_face(x)
        return self.analyze_views(views, source=source, face=face)
