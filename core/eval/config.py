"""Benchmark configuration as data: methods, experiments, training settings and presets.

Everything comes from resources/benchmark/presets.json (or a user file of the same shape, ``--config``):
    "methods":     method id -> MethodSpec fields (what is trained and how it is evaluated)
    "experiments": experiment id -> ExperimentSpec fields (which data set, protocol, prompt set, report table)
    "presets":     preset name -> Preset fields (synthetic data sizes, render and model settings, training
                   settings, and per experiment the number of folds and the methods to run)
This module holds the settings as data; core.eval.presets reads the file (load_preset, preset_names and
read_presets_file are importable from here too). Errors name the file and the offending entry.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from core.losses import LossWeights
from core.model.config import ModelConfig
from core.train.augment import AugmentConfig

KINDS = ("smile", "ce", "pca_lr")
#: Kinds scored by a classifier of their own (evaluation mode "classifier"), trained on the labels.
CLASSIFIER_KINDS = ("ce", "pca_lr")
PROMPT_MODES = ("metadata", "shuffled", "none")
#: What each prompt mode puts into training, in the report's words.
SUPERVISION = {
    "metadata": "category prompts",
    "shuffled": "shuffled prompts (no category information)",
    "none": "none",
}
VIEW_MODES = ("all", "frontal")
FUSIONS = ("attention", "uniform")
EVALS = ("zero_shot", "linear_probe", "knn", "classifier")
EVAL_TITLES = {"zero_shot": "zero-shot", "linear_probe": "linear probe", "knn": "kNN", "classifier": "classifier"}
DATASETS = ("bu3dfe", "bu4dfe", "bosphorus", "bp4d", "4dme")
#: Data set id -> (synth generator, index format or None for a manifest CSV written by the generator).
DATASET_FORMATS = {"bu3dfe": "bu3dfe", "bu4dfe": "bu4dfe", "bosphorus": "bosphorus", "bp4d": "bp4d", "4dme": None}
TABLES = ("II", "III", "V")


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: expected a JSON object, got {type(value).__name__}")
    return {k: v for k, v in value.items() if not str(k).startswith("_")}


def _unknown(data: Mapping[str, Any], known: set[str], where: str) -> None:
    extra = sorted(set(data) - known)
    if extra:
        raise ValueError(f"{where}: unknown setting(s) {', '.join(extra)} (known: {', '.join(sorted(known))})")


def _int(value: Any, where: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{where} must be an integer >= {low}, got {value!r}")
    return value


def _number(value: Any, where: str, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{where} must be a finite number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(f"{where} must be {'> 0' if positive else '>= 0'}, got {value!r}")
    return float(value)


def _loss(base: LossWeights, data: Any, where: str) -> LossWeights:
    data = _obj(data, where)
    _unknown(data, {f.name for f in fields(LossWeights)}, where)
    try:
        return replace(base, **data)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class MethodSpec:
    """One trained configuration.

    kind: "smile" (SMILE-VLM objective, Eq. 10), "ce" (supervised cross-entropy on the same visual path) or "pca_lr"
    (the synthetic sets' fixed difficulty-calibration baseline, core.synth.baseline: each scan registered to the
    face model's mean face, PCA + logistic regression on the registered vertices; no views, no training settings;
    core.eval.pca_lr).
    prompts: "metadata" (category prompts), "shuffled" (the control: each sample's prompts come from the class of
    another sample, a fixed random permutation of the training labels, so the language carries no category
    information) or "none" (language-free: mv-BT only). loss: the loss weights
    (alpha/beta/gamma 0 for the ablations). views: "all" or "frontal" (the single view nearest yaw 0, for training
    and testing). fusion: "attention" (Eq. 5, 7) or "uniform" (the fusion's scorer zeroed and frozen: equal
    weights). evals: how its embeddings are scored: zero_shot (needs prompts), linear_probe, knn, classifier (ce, pca_lr;
    pca_lr has no other).
    """

    name: str
    title: str
    kind: str = "smile"
    prompts: str = "metadata"
    loss: LossWeights = field(default_factory=LossWeights)
    views: str = "all"
    fusion: str = "attention"
    evals: tuple[str, ...] = ("zero_shot", "linear_probe")

    def __post_init__(self) -> None:
        where = f"method {self.name!r}"
        for name, value, allowed in (
            ("kind", self.kind, KINDS),
            ("prompts", self.prompts, PROMPT_MODES),
            ("views", self.views, VIEW_MODES),
            ("fusion", self.fusion, FUSIONS),
        ):
            if value not in allowed:
                raise ValueError(f"{where}: {name} must be one of {', '.join(allowed)}, got {value!r}")
        evals = tuple(self.evals)
        if not evals or any(e not in EVALS for e in evals) or len(set(evals)) != len(evals):
            raise ValueError(f"{where}: evals must be distinct values of {', '.join(EVALS)}, got {list(evals)}")
        object.__setattr__(self, "evals", evals)
        if "zero_shot" in evals and (self.kind != "smile" or self.prompts == "none"):
            raise ValueError(f"{where}: zero_shot needs a SMILE-VLM model trained with prompts (kind smile, "
                             "prompts metadata or shuffled)")
        if "classifier" in evals and self.kind not in CLASSIFIER_KINDS:
            raise ValueError(f"{where}: the classifier evaluation needs kind {' or '.join(CLASSIFIER_KINDS)}")
        if self.kind == "pca_lr" and evals != ("classifier",):
            raise ValueError(f"{where}: kind pca_lr is scored by its own logistic regression: evals must be "
                             f"[\"classifier\"], got {list(evals)}")
        if self.kind == "smile" and self.prompts == "none" and (self.loss.beta or self.loss.gamma):
            object.__setattr__(self, "loss", replace(self.loss, beta=0.0, gamma=0.0))
        if self.kind == "smile" and not (self.loss.alpha or self.loss.beta or self.loss.gamma):
            raise ValueError(f"{where}: alpha, beta and gamma are all 0; nothing would be trained")

    @property
    def supervision(self) -> str:
        """What supervised the training: 'labels', 'category prompts' (the labels choose the prompts), 'shuffled
        prompts (no category information)' or 'none'."""
        if self.kind in CLASSIFIER_KINDS:
            return "labels"
        return SUPERVISION[self.prompts]

    def eval_supervision(self, mode: str) -> str:
        """The supervision behind one row of results (training plus, for probes, the probe's labels)."""
        if mode in ("zero_shot", "classifier"):
            return self.supervision
        if self.supervision == "labels":
            return "labels"
        return f"{self.supervision} + labels ({EVAL_TITLES[mode]})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "kind": self.kind,
            "prompts": self.prompts,
            "loss": {f.name: getattr(self.loss, f.name) for f in fields(LossWeights)},
            "views": self.views,
            "fusion": self.fusion,
            "evals": list(self.evals),
        }

    @classmethod
    def from_dict(cls, name: str, data: Any, base_loss: LossWeights, where: str) -> MethodSpec:
        data = _obj(data, where)
        _unknown(data, {"title", "kind", "prompts", "loss", "views", "fusion", "evals"}, where)
        kwargs = dict(data)
        kwargs["loss"] = _loss(base_loss, data.get("loss", {}), f"{where}.loss")
        if "evals" in kwargs:
            if not isinstance(kwargs["evals"], list):
                raise ValueError(f"{where}.evals must be a list")
            kwargs["evals"] = tuple(kwargs["evals"])
        kwargs.setdefault("title", name)
        if kwargs.get("kind") == "pca_lr":
            kwargs.setdefault("evals", ("classifier",))
        try:
            return cls(name=name, **kwargs)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class CrossSpec:
    """A cross-data-set test: the experiment's fold models are also scored on ``dataset``'s rows whose code is in
    ``codes`` (e.g. BP4D tasks T1, T8), each code reported as its own column."""

    dataset: str
    codes: tuple[str, ...]
    title: str

    def to_dict(self) -> dict[str, Any]:
        return {"dataset": self.dataset, "codes": list(self.codes), "title": self.title}


@dataclass(frozen=True)
class ExperimentSpec:
    """One recognition experiment (a column of a report table).

    dataset: one of DATASETS; protocol: the index protocol (subset1, subset2, six-expressions) or ""; prompt_set:
    a shipped set's name or a prompt file; extra_prompts: label -> prompts added to it (classes it lacks);
    table: "II" (3D), "III" (4D) or "V" (micro-expressions, per-view); per_view: also score each single view;
    cross: the cross-data-set test, or None. init_from: another experiment of the preset whose whole data set
    (every subject) pretrains each method once; every fold model of this experiment then starts from that model
    and is fine-tuned (the paper's IV-E: 4DME fine-tunes the BU-4DFE-pretrained model with the micro-expression
    prompts); "" trains from scratch.
    """

    name: str
    title: str
    dataset: str
    protocol: str = ""
    prompt_set: str = "expressions"
    extra_prompts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    table: str = "II"
    per_view: bool = False
    cross: CrossSpec | None = None
    init_from: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "dataset": self.dataset,
            "protocol": self.protocol,
            "prompt_set": self.prompt_set,
            "extra_prompts": {k: list(v) for k, v in self.extra_prompts},
            "table": self.table,
            "per_view": self.per_view,
            "cross": None if self.cross is None else self.cross.to_dict(),
            **({"init_from": self.init_from} if self.init_from else {}),
        }

    @classmethod
    def from_dict(cls, name: str, data: Any, where: str) -> ExperimentSpec:
        data = _obj(data, where)
        _unknown(data, {"title", "dataset", "protocol", "prompt_set", "extra_prompts", "table", "per_view", "cross",
                        "init_from"}, where)
        dataset = data.get("dataset")
        if dataset not in DATASETS:
            raise ValueError(f"{where}.dataset must be one of {', '.join(DATASETS)}, got {dataset!r}")
        table = data.get("table", "II")
        if table not in TABLES:
            raise ValueError(f"{where}.table must be one of {', '.join(TABLES)}, got {table!r}")
        extra = _obj(data.get("extra_prompts", {}), f"{where}.extra_prompts")
        for label, prompts in extra.items():
            good = isinstance(prompts, list) and prompts and all(isinstance(p, str) and p.strip() for p in prompts)
            if not good:
                raise ValueError(f"{where}.extra_prompts.{label}: expected a non-empty list of prompt strings")
        cross = None
        if data.get("cross") is not None:
            c = _obj(data["cross"], f"{where}.cross")
            _unknown(c, {"dataset", "codes", "title"}, f"{where}.cross")
            if c.get("dataset") not in DATASETS:
                raise ValueError(
                    f"{where}.cross.dataset must be one of {', '.join(DATASETS)}, got {c.get('dataset')!r}"
                )
            codes = c.get("codes")
            if not isinstance(codes, list) or not codes or not all(isinstance(x, str) and x for x in codes):
                raise ValueError(f"{where}.cross.codes must be a non-empty list of codes (e.g. [\"T1\", \"T8\"])")
            cross = CrossSpec(c["dataset"], tuple(codes), str(c.get("title", f"{name} -> {c['dataset']}")))
        per_view = data.get("per_view", False)
        if not isinstance(per_view, bool):
            raise ValueError(f"{where}.per_view must be true or false")
        for key in ("title", "protocol", "prompt_set", "init_from"):
            if key in data and not isinstance(data[key], str):
                raise ValueError(f"{where}.{key} must be a string")
        return cls(
            name=name,
            title=str(data.get("title", name)),
            dataset=dataset,
            protocol=str(data.get("protocol", "")),
            prompt_set=str(data.get("prompt_set", "expressions")),
            extra_prompts=tuple((str(k), tuple(v)) for k, v in extra.items()),
            table=table,
            per_view=per_view,
            cross=cross,
            init_from=str(data.get("init_from", "")),
        )


@dataclass(frozen=True)
class TrainSettings:
    """Training of every fold model: epochs, batch size, Adam lr and L2 weight decay, base seed, the model
    architecture (n_views and image_size follow the render settings), the base loss weights, the augmentations,
    and the probes' settings (logistic-regression C, kNN k); eval_batch: samples per embedding pass."""

    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-5
    seed: int = 0
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossWeights = field(default_factory=LossWeights)
    augment: AugmentConfig = field(default_factory=AugmentConfig)
    probe_c: float = 1.0
    knn_k: int = 5
    eval_batch: int = 256

    def __post_init__(self) -> None:
        _int(self.epochs, "train.epochs", 1)
        _int(self.batch_size, "train.batch_size", 2)
        _number(self.lr, "train.lr")
        _number(self.weight_decay, "train.weight_decay", positive=False)
        _int(self.seed, "train.seed", 0)
        _number(self.probe_c, "train.probe_c")
        _int(self.knn_k, "train.knn_k", 1)
        _int(self.eval_batch, "train.eval_batch", 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "lr": self.lr,
            "weight_decay": self.weight_decay,
            "seed": self.seed,
            "model": self.model.to_dict(),
            "loss": {f.name: getattr(self.loss, f.name) for f in fields(LossWeights)},
            "augment": self.augment.to_dict(),
            "probe_c": self.probe_c,
            "knn_k": self.knn_k,
            "eval_batch": self.eval_batch,
        }

    def updated(self, data: Any, where: str) -> TrainSettings:
        """A copy with the settings of ``data`` (same keys as to_dict; model/loss/augment merge key by key)."""
        data = _obj(data, where)
        _unknown(data, {f.name for f in fields(TrainSettings)}, where)
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            if key == "model":
                kwargs[key] = ModelConfig.from_dict({**self.model.to_dict(), **_obj(value, f"{where}.model")},
                                                    source=f"{where}.model")
            elif key == "loss":
                kwargs[key] = _loss(self.loss, value, f"{where}.loss")
            elif key == "augment":
                try:
                    kwargs[key] = AugmentConfig.from_dict({**self.augment.to_dict(), **_obj(value, f"{where}.augment")})
                except (TypeError, ValueError) as exc:
                    raise ValueError(f"{where}.augment: {exc}") from None
            else:
                kwargs[key] = value
        try:
            return replace(self, **kwargs)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class ExperimentRun:
    """An experiment as a preset runs it: its spec, folds, methods (ids, in report order) and training."""

    spec: ExperimentSpec
    folds: int
    methods: tuple[str, ...]
    train: TrainSettings


@dataclass(frozen=True)
class SynthSettings:
    """Synthetic data of one data set: subjects, overrides of its resources/synth.json section, and the face model
    its subjects are built from ("sfm", the presets' original sets, or "ict": a preset's synth.face_model)."""

    subjects: int
    settings: dict = field(default_factory=dict)
    face_model: str = "sfm"


@dataclass(frozen=True)
class Preset:
    """A named benchmark protocol (see resources/benchmark/presets.json).

    synth: data set -> SynthSettings; synth_seed: generator seed; render: RenderConfig overrides (size, yaws,
    n_frames, pitch, canonical: a partial CanonicalSettings object over resources/canonical.json); methods: the
    method catalogue; experiments: the experiments to run, in report order; ablation: the experiments whose methods
    give the ablation figure, the gain heatmap, the training curves and the findings, each one a setting (plus one
    per cross-data-set test of an experiment that has one); () for none. In the presets file an experiment id or a
    list of them ("" or [] for none; absent: the first experiment). workers: training processes ("auto" or an
    integer).
    """

    name: str
    description: str
    synth: dict[str, SynthSettings]
    synth_seed: int
    render: dict
    methods: dict[str, MethodSpec]
    experiments: tuple[ExperimentRun, ...]
    ablation: tuple[str, ...]
    workers: str | int = "auto"

    def experiment(self, name: str) -> ExperimentRun:
        for run in self.experiments:
            if run.spec.name == name:
                return run
        raise KeyError(name)

    def datasets(self) -> list[str]:
        """Data sets the experiments need (cross-data-set test sets included), in first-use order."""
        out: dict[str, None] = {}
        for run in self.experiments:
            out.setdefault(run.spec.dataset, None)
            if run.spec.cross is not None:
                out.setdefault(run.spec.cross.dataset, None)
        return list(out)

    def only(self, names: list[str]) -> Preset:
        """This preset restricted to the experiments ``names`` (ValueError for an unknown name); an experiment that
        is fine-tuned from another (init_from) brings that one along."""
        known = [run.spec.name for run in self.experiments]
        bad = [n for n in names if n not in known]
        if bad:
            raise ValueError(f"preset {self.name!r} has no experiment {bad[0]!r} (it has: {', '.join(known)})")
        names = list(names) + [run.spec.init_from for run in self.experiments
                               if run.spec.name in names and run.spec.init_from]
        runs = tuple(run for run in self.experiments if run.spec.name in names)
        return replace(self, experiments=runs, ablation=tuple(a for a in self.ablation if a in names))


#: Names of core.eval.presets importable from here (the file's reader lives there).
_PRESETS_NAMES = ("PRESETS_FILE", "load_preset", "preset_names", "read_presets_file")


def __getattr__(name: str) -> Any:
    if name in _PRESETS_NAMES:
        from core.eval import presets

        return getattr(presets, name)
    raise AttributeError(f"module 'core.eval.config' has no attribute {name!r}")
