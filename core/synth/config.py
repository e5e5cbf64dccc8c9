"""Generator settings: frozen dataclasses filled from ``resources/synth.json``.

The JSON file has a ``common`` section (identity, style, artefacts, motion: core.synth.common_config) that
every dataset section (``bu3dfe``, ``bu4dfe``, ``bp4d``, ``4dme``, ``bosphorus``, ``heads``) inherits and may
override key by key, an ``ict`` section with the same structure (``ict.common``, ``ict.bu3dfe``, ...) laid on top
when the ICT face model is used (its action-unit style and field of view: core.synth.ict_config), plus a
``demo`` section. Units: millimetres, degrees; intensities are blendshape weights (1.0 = the full SFM
blendshape) or, for ICT, multipliers of the AU intensities of resources/action_units.json; ranges are
``[low, high]`` and sampled uniformly; fractions are of the sequence length.
Every value is validated when the dataclass is built: a bad value raises ValueError naming the field
(and, when loading JSON, the file).
"""

from __future__ import annotations

import dataclasses
import os
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config_io import read_json_object
from core.synth.checks import Range, Weights, _check, _finite, _nonneg, _range, _weights
from core.synth.common_config import RACE_CODES, ArtefactConfig, IdentityConfig, MotionConfig, StyleConfig
from core.synth.dataclass_json import _build, config_from_dict, config_to_dict  # noqa: F401  (part of this API)
from core.synth.ict_config import AuStyleConfig, FieldOfViewConfig
from core.synth.model import EXPRESSIONS

IntRange = tuple[int, int]
__all__ = ["RACE_CODES", "ArtefactConfig", "IdentityConfig", "MotionConfig", "StyleConfig", "config_from_dict",
           "config_to_dict"]

#: Generator names, in CLI order.
GENERATORS: tuple[str, ...] = ("bu3dfe", "bu4dfe", "bp4d", "4dme", "bosphorus", "heads")
#: Face models a generator can build subjects from (core.synth.face_models).
FACE_MODELS: tuple[str, ...] = ("ict", "sfm")
#: Settings only the SFM generators read (the ICT ones take these from resources/action_units.json).
SFM_ONLY: tuple[str, ...] = ("style", "blends", "negative_expressions", "others_expressions", "others_regions")
#: Generators that need a whole-head model (the SFM is a face mask).
HEAD_ONLY: tuple[str, ...] = ("heads",)
FRAME_FORMATS: tuple[str, ...] = ("obj", "wrl")
MICRO_CLASSES: tuple[str, ...] = ("positive", "negative", "surprise", "repression", "others")
#: Face regions an *others* micro-movement may be restricted to (core.synth.face.FaceRegions).
OTHERS_REGIONS: tuple[str, ...] = ("brows", "mouth")


def _check_frames(frames: int, name: str, minimum: int = 3) -> None:
    _check(isinstance(frames, int) and not isinstance(frames, bool) and minimum <= frames <= 10000, name,
           f"must be an integer in {minimum}..10000, got {frames!r}")


def _check_format(fmt: str, name: str) -> None:
    _check(fmt in FRAME_FORMATS, name, f"must be one of {', '.join(FRAME_FORMATS)}, got {fmt!r}")


def _check_expressions(values: tuple[str, ...], name: str) -> None:
    _check(len(values) > 0, name, "must not be empty")
    for v in values:
        _check(v in EXPRESSIONS, name, f"unknown expression {v!r} (expected one of {', '.join(EXPRESSIONS)})")
    _check(len(set(values)) == len(values), name, "expressions must not repeat")


def _check_phases(cfg: Any, prefix: str) -> None:
    for name in ("lead_in", "onset", "apex", "offset"):
        _range(getattr(cfg, name), f"{prefix}.{name}", high=1.0)
    _check(cfg.onset[0] > 0 and cfg.offset[0] > 0, prefix, "onset and offset must be > 0")
    total = cfg.lead_in[0] + cfg.onset[0] + cfg.apex[0] + cfg.offset[0]
    _check(total <= 1.0, prefix, f"the shortest lead-in + onset + apex + offset exceed the sequence ({total:.2f} > 1)")


@dataclass(frozen=True)
class Bu3dfeConfig:
    """BU-3DFE-like static scans: neutral + six expressions x four intensity levels per subject.

    intensity_levels: blendshape weight range of levels 1-4. neutral_residual: s.d. of the small
    expression residue of neutral scans.
    """

    identity: IdentityConfig = field(default_factory=IdentityConfig)
    style: StyleConfig = field(default_factory=StyleConfig)
    artefacts: ArtefactConfig = field(default_factory=ArtefactConfig)
    intensity_levels: tuple[Range, ...] = ((0.15, 0.35), (0.35, 0.6), (0.6, 0.85), (0.85, 1.1))
    neutral_residual: float = 0.05
    au_style: AuStyleConfig = field(default_factory=AuStyleConfig)
    field_of_view: FieldOfViewConfig = field(default_factory=FieldOfViewConfig)

    def __post_init__(self) -> None:
        name = "heads" if isinstance(self, HeadsConfig) else "bu3dfe"
        _check(len(self.intensity_levels) == 4, f"{name}.intensity_levels", "must hold four [low, high] ranges")
        for i, r in enumerate(self.intensity_levels):
            _range(r, f"{name}.intensity_levels[{i}]", high=3.0)
        _nonneg(self.neutral_residual, f"{name}.neutral_residual")


@dataclass(frozen=True)
class Bu4dfeConfig:
    """BU-4DFE-like posed sequences neutral -> apex -> neutral, one per expression.

    frames: frames per sequence. lead_in / onset / apex / offset: phase lengths as fractions of the
    sequence (the remainder is neutral lead-out); ramps are raised-cosine. apex_intensity: weight at the
    apex; apex_tremor: relative s.d. of slow fluctuation of the weight. neutral_residual: s.d. of a
    constant small residue of the other expressions.
    """

    identity: IdentityConfig = field(default_factory=IdentityConfig)
    style: StyleConfig = field(default_factory=StyleConfig)
    artefacts: ArtefactConfig = field(default_factory=ArtefactConfig)
    motion: MotionConfig = field(default_factory=MotionConfig)
    frames: int = 60
    frame_format: str = "obj"
    expressions: tuple[str, ...] = EXPRESSIONS
    apex_intensity: Range = (0.6, 1.05)
    lead_in: Range = (0.05, 0.15)
    onset: Range = (0.15, 0.3)
    apex: Range = (0.15, 0.3)
    offset: Range = (0.15, 0.3)
    apex_tremor: float = 0.03
    neutral_residual: float = 0.03
    au_style: AuStyleConfig = field(default_factory=AuStyleConfig)
    field_of_view: FieldOfViewConfig = field(default_factory=FieldOfViewConfig)

    def __post_init__(self) -> None:
        _nonneg(self.neutral_residual, "bu4dfe.neutral_residual")
        _check_frames(self.frames, "bu4dfe.frames")
        _check_format(self.frame_format, "bu4dfe.frame_format")
        _check_expressions(self.expressions, "bu4dfe.expressions")
        _range(self.apex_intensity, "bu4dfe.apex_intensity", high=3.0)
        _check_phases(self, "bu4dfe")
        _nonneg(self.apex_tremor, "bu4dfe.apex_tremor")


@dataclass(frozen=True)
class Bp4dConfig:
    """BP4D-Spontaneous-like task sequences: several blended, asymmetric, overlapping, weaker events.

    blends: emotion -> blendshape weights (the task's emotion comes from core.datasets.BP4D_TASK_EMOTION).
    events: [min, max] events per sequence; each picks a blendshape of the task's blend (probability
    proportional to its weight) with amplitude event_amplitude x weight, lasting event_duration (fraction
    of the sequence) with onset/offset ramps, and its own left/right asymmetry (s.d. asymmetry_sigma).
    background_amplitude: s.d. of slow, task-unrelated activity of every blendshape.
    """

    identity: IdentityConfig = field(
        default_factory=lambda: IdentityConfig(sigma=1.2, shift=0.8, population_seed=7, female_fraction=0.56)
    )
    style: StyleConfig = field(default_factory=StyleConfig)
    artefacts: ArtefactConfig = field(default_factory=ArtefactConfig)
    motion: MotionConfig = field(default_factory=lambda: MotionConfig(drift_deg=2.0, drift_mm=2.0))
    frames: int = 60
    frame_format: str = "obj"
    tasks: tuple[str, ...] = ("T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8")
    blends: tuple[tuple[str, Weights], ...] = (
        ("happiness", (("happiness", 1.0), ("surprise", 0.15))),
        ("sadness", (("sadness", 1.0), ("fear", 0.2))),
        ("surprise", (("surprise", 1.0), ("fear", 0.25))),
        ("embarrassment", (("happiness", 0.5), ("sadness", 0.35), ("disgust", 0.15))),
        ("fear", (("fear", 1.0), ("surprise", 0.3))),
        ("pain", (("anger", 0.6), ("disgust", 0.6), ("happiness", 0.2))),
        ("anger", (("anger", 1.0), ("disgust", 0.2))),
        ("disgust", (("disgust", 1.0), ("anger", 0.25))),
    )
    events: IntRange = (2, 4)
    event_amplitude: Range = (0.25, 0.65)
    event_duration: Range = (0.2, 0.6)
    asymmetry_sigma: float = 0.3
    background_amplitude: float = 0.05

    def blend(self, emotion: str) -> Weights:
        """The blendshape weights of ``emotion``."""
        for name, weights in self.blends:
            if name == emotion:
                return weights
        raise ValueError(f"bp4d.blends: no blend for emotion {emotion!r}")
    au_style: AuStyleConfig = field(default_factory=AuStyleConfig)
    field_of_view: FieldOfViewConfig = field(default_factory=FieldOfViewConfig)

    def __post_init__(self) -> None:
        from core.datasets import BP4D_TASK_EMOTION

        _check_frames(self.frames, "bp4d.frames")
        _check_format(self.frame_format, "bp4d.frame_format")
        _check(len(self.tasks) > 0, "bp4d.tasks", "must not be empty")
        names = {n for n, _ in self.blends}
        for task in self.tasks:
            _check(task in BP4D_TASK_EMOTION, "bp4d.tasks",
                   f"unknown task {task!r} (expected one of {', '.join(BP4D_TASK_EMOTION)})")
            _check(BP4D_TASK_EMOTION[task] in names, "bp4d.blends",
                   f"no blend for {BP4D_TASK_EMOTION[task]!r} (task {task})")
        _check(len(set(self.tasks)) == len(self.tasks), "bp4d.tasks", "tasks must not repeat")
        for name, weights in self.blends:
            _weights(weights, f"bp4d.blends.{name}", EXPRESSIONS)
        _check(len(self.events) == 2 and 1 <= self.events[0] <= self.events[1] <= 20, "bp4d.events",
               f"must be [min, max] with 1 <= min <= max <= 20, got {list(self.events)!r}")
        _range(self.event_amplitude, "bp4d.event_amplitude", high=3.0)
        _range(self.event_duration, "bp4d.event_duration", high=1.0)
        _check(self.event_duration[0] > 0, "bp4d.event_duration", "must be > 0")
        _nonneg(self.asymmetry_sigma, "bp4d.asymmetry_sigma")
        _nonneg(self.background_amplitude, "bp4d.background_amplitude")


@dataclass(frozen=True)
class Me4dConfig:
    """4DME-like micro-expression clips: one brief, weak activation inside a longer neutral sequence.

    Classes (written definitions, also in the README):
      positive   - a brief smile (happiness blendshape);
      negative   - a brief anger, disgust, fear or sadness activation (one of negative_expressions);
      surprise   - a brief surprise activation (brow raise, jaw drop);
      repression - a brief negative activation masked by a smile: the smile starts 0-2 frames later and
                   outlasts it, at mask_ratio x the negative's amplitude;
      others     - a brief movement that is no emotion prototype: one of others_expressions restricted to
                   one of others_regions ("brows": brows and eyes, "mouth": the lower face) on one side.
                   Default: a one-sided brow raise (surprise) or frown (anger) -- a unilateral brow flash,
                   the commonest non-emotional movement in micro-expression sets.
    clips_per_subject: clips per subject, classes drawn with class_weights. duration_frames: total
    length of the activation (onset + offset) in frames. intensity: peak blendshape weight.
    neutral_residual: s.d. of a constant small expression residue of the whole clip.
    """

    identity: IdentityConfig = field(default_factory=lambda: IdentityConfig(population_seed=3,
                                                                            groups=(("AE", 0.8), ("WH", 0.2))))
    style: StyleConfig = field(default_factory=StyleConfig)
    artefacts: ArtefactConfig = field(default_factory=ArtefactConfig)
    motion: MotionConfig = field(default_factory=lambda: MotionConfig(drift_deg=0.5, drift_mm=0.5))
    frames: int = 30
    frame_format: str = "obj"
    clips_per_subject: int = 5
    class_weights: Weights = (("positive", 0.2), ("negative", 0.3), ("surprise", 0.15), ("repression", 0.1),
                              ("others", 0.25))
    duration_frames: IntRange = (3, 8)
    intensity: Range = (0.15, 0.35)
    mask_ratio: Range = (0.8, 1.3)
    negative_expressions: tuple[str, ...] = ("anger", "disgust", "fear", "sadness")
    others_expressions: tuple[str, ...] = ("surprise", "anger")
    others_regions: tuple[str, ...] = ("brows",)
    neutral_residual: float = 0.03
    au_style: AuStyleConfig = field(default_factory=AuStyleConfig)
    field_of_view: FieldOfViewConfig = field(default_factory=FieldOfViewConfig)

    def __post_init__(self) -> None:
        _nonneg(self.neutral_residual, "4dme.neutral_residual")
        _check_frames(self.frames, "4dme.frames")
        _check_format(self.frame_format, "4dme.frame_format")
        _check(isinstance(self.clips_per_subject, int) and 1 <= self.clips_per_subject <= 1000,
               "4dme.clips_per_subject", f"must be an integer in 1..1000, got {self.clips_per_subject!r}")
        _weights(self.class_weights, "4dme.class_weights", MICRO_CLASSES)
        lo, hi = self.duration_frames if len(self.duration_frames) == 2 else (0, 0)
        _check(len(self.duration_frames) == 2 and 2 <= lo <= hi <= self.frames - 1, "4dme.duration_frames",
               f"must be [min, max] with 2 <= min <= max <= frames - 1 = {self.frames - 1}, "
               f"got {list(self.duration_frames)!r}")
        _range(self.intensity, "4dme.intensity", high=3.0)
        _range(self.mask_ratio, "4dme.mask_ratio", high=5.0)
        _check_expressions(self.negative_expressions, "4dme.negative_expressions")
        _check_expressions(self.others_expressions, "4dme.others_expressions")
        _check(len(self.others_regions) > 0 and len(set(self.others_regions)) == len(self.others_regions)
               and all(r in OTHERS_REGIONS for r in self.others_regions), "4dme.others_regions",
               f"must be distinct values among {', '.join(OTHERS_REGIONS)}, got {list(self.others_regions)!r}")


@dataclass(frozen=True)
class BosphorusConfig:
    """Bosphorus-like range grids (.bnt): neutral + the six expressions per subject.

    intensity: expression weight range. grid_spacing_mm: x-y cell size of the orthographic range grid.
    neutral_residual: as in BU-3DFE.
    """

    identity: IdentityConfig = field(default_factory=lambda: IdentityConfig(population_seed=5,
                                                                            groups=(("WH", 0.6), ("AM", 0.4))))
    style: StyleConfig = field(default_factory=StyleConfig)
    artefacts: ArtefactConfig = field(default_factory=ArtefactConfig)
    intensity: Range = (0.6, 1.05)
    grid_spacing_mm: float = 1.0
    neutral_residual: float = 0.05
    au_style: AuStyleConfig = field(default_factory=AuStyleConfig)
    field_of_view: FieldOfViewConfig = field(default_factory=FieldOfViewConfig)

    def __post_init__(self) -> None:
        _range(self.intensity, "bosphorus.intensity", high=3.0)
        _finite(self.grid_spacing_mm, "bosphorus.grid_spacing_mm")
        _check(0.25 <= self.grid_spacing_mm <= 10, "bosphorus.grid_spacing_mm",
               f"must be in [0.25, 10] mm, got {self.grid_spacing_mm!r}")
        _nonneg(self.neutral_residual, "bosphorus.neutral_residual")


@dataclass(frozen=True)
class HeadsConfig(Bu3dfeConfig):
    """Whole-head captures (head and neck, as whole-head scanners and model fits give them; ICT only): per
    subject a neutral scan and the six expressions at four intensity levels, as BU-3DFE, written as
    ``S001/S001_happiness_3.<file_format>`` with the manifest ``heads.csv`` (index it with --format csv).
    """

    field_of_view: FieldOfViewConfig = field(default_factory=lambda: FieldOfViewConfig(whole_head=True))
    file_format: str = "obj"

    def __post_init__(self) -> None:
        super().__post_init__()
        _check(self.file_format in ("obj", "ply"), "heads.file_format",
               f"must be obj or ply, got {self.file_format!r}")


@dataclass(frozen=True)
class DemoConfig:
    """The first-run demo set: a small BU-3DFE-layout folder and a few short BU-4DFE-layout sequences."""

    bu3dfe_subjects: int = 3
    bu4dfe_subjects: int = 2
    bu4dfe_frames: int = 20
    bu4dfe_expressions: tuple[str, ...] = ("happiness", "surprise", "sadness")
    face_model: str = "ict"

    def __post_init__(self) -> None:
        for name in ("bu3dfe_subjects", "bu4dfe_subjects"):
            v = getattr(self, name)
            _check(isinstance(v, int) and 1 <= v <= 100, f"demo.{name}", f"must be an integer in 1..100, got {v!r}")
        _check_frames(self.bu4dfe_frames, "demo.bu4dfe_frames")
        _check_expressions(self.bu4dfe_expressions, "demo.bu4dfe_expressions")
        _check(self.face_model in FACE_MODELS, "demo.face_model",
               f"must be one of {', '.join(FACE_MODELS)}, got {self.face_model!r}")


CONFIG_TYPES: Mapping[str, type] = types.MappingProxyType(
    {"bu3dfe": Bu3dfeConfig, "bu4dfe": Bu4dfeConfig, "bp4d": Bp4dConfig, "4dme": Me4dConfig,
     "bosphorus": BosphorusConfig, "heads": HeadsConfig}
)
_COMMON_KEYS = ("identity", "style", "artefacts", "motion", "au_style", "field_of_view")


def default_config_path() -> Path:
    """``resources/synth.json`` in the checkout."""
    return Path(__file__).resolve().parent.parent.parent / "resources" / "synth.json"


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping) and k in _COMMON_KEYS:
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def read_settings(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The raw JSON settings of ``path`` (default resources/synth.json). ValueError naming the file."""
    src = default_config_path() if path is None else Path(path)
    data = read_json_object(src, "synthetic-data settings")
    known = {"common", "demo", "_doc", "ict", *GENERATORS}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{src}: unknown section(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return data


def _section(data: Mapping[str, Any], key: str, src: object) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ValueError(f"{src}: section {key!r} must be a JSON object")
    return {k: v for k, v in value.items() if not k.startswith("_")}


def _strip_docs(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _strip_docs(v) for k, v in value.items() if not str(k).startswith("_")}
    return value


def load_config(generator: str, path: str | os.PathLike[str] | None = None,
                overrides: Mapping[str, Any] | None = None, face_model: str = "sfm") -> Any:
    """Settings of ``generator`` for ``face_model`` from the JSON file, then ``overrides`` (a mapping of the
    same shape, e.g. ``{"frames": 20}``) on top.

    Layers, each overriding the one before key by key: ``common``, the generator's section, and for
    face_model "ict" the file's ``ict.common`` and ``ict.<generator>`` (the ICT settings: action-unit style,
    field of view, intensities on the ICT shapes). Keys starting with ``_`` are comments. Raises ValueError
    naming the file and the bad setting.
    """
    if generator not in CONFIG_TYPES:
        raise ValueError(f"unknown generator {generator!r} (expected one of {', '.join(GENERATORS)})")
    if face_model not in FACE_MODELS:
        raise ValueError(f"unknown face model {face_model!r} (expected one of {', '.join(FACE_MODELS)})")
    src = default_config_path() if path is None else Path(path)
    data = read_settings(src)
    cls = CONFIG_TYPES[generator]
    own = {f.name for f in dataclasses.fields(cls)}
    layers = [_section(data, "common", src), _section(data, generator, src)]
    if face_model == "ict":
        ict = _section(data, "ict", src)
        for key in ("common", generator):
            part = ict.get(key, {})
            if not isinstance(part, Mapping):
                raise ValueError(f"{src}: section ict.{key} must be a JSON object")
            layers.append(part)
    merged: dict[str, Any] = {}
    for k, layer in enumerate(layers):
        layer = _strip_docs(layer)
        if k in (0, 2):  # common sections hold settings some generators do not have
            layer = {key: v for key, v in layer.items() if key in own}
        merged = _merge(merged, layer)
    if overrides:
        merged = _merge(merged, overrides)
    try:
        return _build(cls, merged, generator)
    except ValueError as exc:
        raise ValueError(f"{src}: {exc}") from None


def load_demo_config(path: str | os.PathLike[str] | None = None) -> DemoConfig:
    """The ``demo`` section of the settings file."""
    src = default_config_path() if path is None else Path(path)
    data = read_settings(src)
    try:
        return _build(DemoConfig, _strip_docs(_section(data, "demo", src)), "demo")
    except ValueError as exc:
        raise ValueError(f"{src}: {exc}") from None
