"""Model cards: what a checkpoint is, how it was trained, how well it did and where it must not be trusted, as data.

A card is a small JSON file beside its checkpoint, with a Markdown rendering of it beside that:
    MODEL.ckpt  ->  MODEL.card.json  (+ MODEL.card.md)   the checkpoint's own card (preferred)
                    card.json        (+ card.md)         a card for the folder's checkpoint, used when the first is
                                                         absent and its "checkpoint" field is empty or MODEL.ckpt
A checkpoint without a card still loads: :func:`load_card` then returns the *unknown* card (name "MODEL.ckpt (no model
card)", limits saying nothing is known about its training). A card that cannot be read, or whose sha256 is not the
checkpoint's (it describes other weights), gives the unknown card too, with the reason in ``extra["card_error"]``.

Figures: evaluation accuracy / macro_f1 and calibration ece_before / ece_after are percentages (0-100), as
core.release writes them; calibration "temperature" is the T of softmax(logits / T) (core.inference.calibration).

``smile-vlm pretrain`` writes RUN_DIR/last.card.json at the end of every run (done or stopped) with
:func:`write_run_card` (a card built by :func:`card_from_run` from the run's config, log and last.ckpt: not evaluated,
not calibrated); the default model's card is written by core.release.
"""

from __future__ import annotations

import hashlib
import math
import os
import warnings
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from core.config_io import read_json_object, write_json_atomic, write_text_atomic

CARD_FORMAT = "smile-vlm-model-card"
CARD_VERSION = 1
#: A checkpoint's own card: ``<checkpoint stem>`` + CARD_SUFFIX beside it.
CARD_SUFFIX = ".card.json"
#: A card for the checkpoint in its folder.
FOLDER_CARD = "card.json"
#: extra key of the unknown card (True) and of the reason a card file could not be used.
UNKNOWN_KEY = "no_card"
ERROR_KEY = "card_error"

SUPERVISION_WORDS = {
    "category-prompts": "category prompts (the expression labels choose each sample's prompt)",
    "none": "none: no labels and no language (multi-view Barlow Twins between views only)",
}
_DICT_FIELDS = ("training", "preprocessing", "evaluation", "calibration", "extra")
_STR_FIELDS = ("name", "created", "checkpoint", "sha256", "supervision", "prompt_set")


@dataclass(frozen=True)
class ModelCard:
    """A model card (see the module docstring). All fields are plain JSON values.

    name: the name the app shows; created: ISO date; checkpoint: the checkpoint's file name; sha256: its SHA-256 hex
    digest ('' unknown); training: how the training data was made and the recipe (sets, subjects, samples, face
    models, command, seed, epochs, loss settings, ...); supervision: what supervised it, in plain words;
    preprocessing: canonical faces, views, image size, frames; evaluation: held-out set name -> {accuracy, macro_f1,
    n_samples, n_subjects, mode}; calibration: {temperature, ece_before, ece_after, n_samples, split}; limits: where
    it must not be trusted, in plain words; prompt_set: the prompt set it was trained and scored with; extra: more.
    """

    name: str
    created: str = ""
    checkpoint: str = ""
    sha256: str = ""
    training: dict = field(default_factory=dict)
    supervision: str = ""
    preprocessing: dict = field(default_factory=dict)
    evaluation: dict = field(default_factory=dict)
    calibration: dict = field(default_factory=dict)
    limits: list = field(default_factory=list)
    prompt_set: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in _STR_FIELDS:
            if not isinstance(getattr(self, name), str):
                raise ValueError(f"{name} must be a string, got {type(getattr(self, name)).__name__}")
        if not self.name.strip():
            raise ValueError("name must not be empty")
        for name in _DICT_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
                raise ValueError(f"{name} must be an object with string keys, got {type(value).__name__}")
        if isinstance(self.limits, tuple):
            object.__setattr__(self, "limits", list(self.limits))
        if not isinstance(self.limits, list) or not all(isinstance(s, str) for s in self.limits):
            raise ValueError("limits must be a list of strings")
        for set_name, figures in self.evaluation.items():
            if not isinstance(figures, dict):
                raise ValueError(f"evaluation[{set_name!r}] must be an object, got {type(figures).__name__}")
        t = self.calibration.get("temperature")
        if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t)
                              or t <= 0):
            raise ValueError(f"calibration temperature must be a number > 0, got {t!r}")

    # ------------------------------------------------------------------------------------------------ what it knows
    @property
    def known(self) -> bool:
        """False for the unknown card of a checkpoint without a (usable) card."""
        return not self.extra.get(UNKNOWN_KEY, False)

    @property
    def temperature(self) -> float | None:
        """The calibrated temperature T, or None when the model was not calibrated."""
        t = self.calibration.get("temperature")
        return None if t is None else float(t)

    @classmethod
    def unknown(cls, checkpoint_path: str | os.PathLike[str], reason: str = "") -> "ModelCard":
        """The card of a checkpoint nobody described: its file name + " (no model card)"; ``reason``: why a card
        file beside it could not be used (kept in extra["card_error"])."""
        file_name = Path(checkpoint_path).name
        extra: dict[str, Any] = {UNKNOWN_KEY: True}
        if reason:
            extra[ERROR_KEY] = reason
        return cls(
            name=f"{file_name} (no model card)",
            checkpoint=file_name,
            limits=[
                "Nothing is known about how this model was trained: its data, supervision and settings were not "
                "recorded in a model card.",
                "It was not evaluated on held-out subjects as far as this program knows: its accuracy is unknown.",
                "Its probabilities are not calibrated as far as this program knows.",
            ],
            extra=extra,
        )

    # ------------------------------------------------------------------------------------------------ JSON
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"format": CARD_FORMAT, "version": CARD_VERSION}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, list) else value
        return out

    @classmethod
    def from_dict(cls, data: Any, source: str = "model card") -> "ModelCard":
        """Inverse of :meth:`to_dict`; ValueError starting with ``source`` (the file) for anything malformed."""
        if not isinstance(data, dict):
            raise ValueError(f"{source}: expected a JSON object, got {type(data).__name__}")
        data = dict(data)
        fmt = data.pop("format", CARD_FORMAT)
        version = data.pop("version", CARD_VERSION)
        if fmt != CARD_FORMAT:
            raise ValueError(f"{source}: not a SMILE-VLM model card (format {fmt!r}, expected {CARD_FORMAT!r})")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise ValueError(f"{source}: bad model card version {version!r}")
        if version > CARD_VERSION:
            raise ValueError(f"{source}: model card version {version} is newer than this program's ({CARD_VERSION})")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{source}: unknown model card key(s) {unknown} (known: {sorted(known)})")
        if "name" not in data:
            raise ValueError(f"{source}: the model card has no name")
        try:
            return cls(**data)
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None

    # ------------------------------------------------------------------------------------------------ Markdown
    def to_markdown(self) -> str:
        """Every section in plain words; the evaluation as a table."""
        lines = [f"# {self.name}", ""]
        if not self.known:
            lines += ["**No model card:** nothing is known about how this model was trained or how well it does.", ""]
            if self.extra.get(ERROR_KEY):
                lines += [f"A card file was found but could not be used: {self.extra[ERROR_KEY]}", ""]
        facts = [("Checkpoint", f"`{self.checkpoint}`" if self.checkpoint else ""), ("Created", self.created),
                 ("SHA-256", f"`{self.sha256}`" if self.sha256 else ""), ("Prompt set", self.prompt_set)]
        lines += [f"- **{k}:** {v}" for k, v in facts if v]
        if self.supervision:
            lines += ["", "## Supervision", "", self.supervision]
        if self.training:
            lines += ["", "## Training", ""] + _mapping_lines(self.training)
        if self.preprocessing:
            lines += ["", "## Preprocessing", ""] + _mapping_lines(self.preprocessing)
        lines += ["", "## Evaluation on held-out subjects", ""]
        lines += (_evaluation_table(self.evaluation) if self.evaluation
                  else ["Not evaluated on held-out subjects." if self.known else "Unknown."])
        lines += ["", "## Calibration", ""]
        lines += (_calibration_lines(self.calibration) if self.calibration
                  else ["Not calibrated: the probabilities have the sharpness of the training temperature."
                        if self.known else "Unknown."])
        if self.limits:
            lines += ["", "## Limits", ""] + [f"- {text}" for text in self.limits]
        rest = {k: v for k, v in self.extra.items() if k not in (UNKNOWN_KEY, ERROR_KEY)}
        if rest:
            lines += ["", "## Other", ""] + _mapping_lines(rest)
        return "\n".join(lines).rstrip() + "\n"


# ------------------------------------------------------------------------------------------------ rendering helpers
def _words(key: str) -> str:
    return str(key).replace("_", " ")


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_value(x) for x in v) if v else "none"
    if v is None or v == "":
        return "\u2014"
    return str(v).replace("|", "\\|").replace("\n", " ")


def _table(rows: list[dict]) -> list[str]:
    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    lines = ["| " + " | ".join(_words(k) for k in keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(_value(row.get(k)) for k in keys) + " |" for row in rows]
    return lines


def _mapping_lines(mapping: dict, indent: str = "") -> list[str]:
    lines = []
    for key, v in mapping.items():
        if isinstance(v, dict) and v:
            lines.append(f"{indent}- **{_words(key)}:**")
            lines += _mapping_lines(v, indent + "  ")
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            lines += [f"{indent}- **{_words(key)}:**", ""] + _table(v) + [""]
        else:
            lines.append(f"{indent}- **{_words(key)}:** {_value(v)}")
    return lines


_EVAL_COLUMNS = (("accuracy", "accuracy (%)"), ("macro_f1", "macro F1 (%)"), ("n_samples", "samples"),
                 ("n_subjects", "subjects"), ("mode", "mode"))


def _evaluation_table(evaluation: dict) -> list[str]:
    extra_keys: list[str] = []
    for figures in evaluation.values():
        extra_keys += [k for k in figures if k not in dict(_EVAL_COLUMNS) and k not in extra_keys]
    heads = ["held-out set"] + [title for _, title in _EVAL_COLUMNS] + [_words(k) for k in extra_keys]
    keys = [k for k, _ in _EVAL_COLUMNS] + extra_keys
    lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for set_name, figures in evaluation.items():
        lines.append("| " + " | ".join([_value(set_name)] + [_value(figures.get(k)) for k in keys]) + " |")
    return lines


def _calibration_lines(cal: dict) -> list[str]:
    lines = []
    if "temperature" in cal:
        lines.append(f"- **temperature T:** {_value(cal['temperature'])} (probabilities = softmax(scores / T))")
    if "ece_before" in cal or "ece_after" in cal:
        lines.append(f"- **expected calibration error (%):** {_value(cal.get('ece_before'))} before, "
                     f"{_value(cal.get('ece_after'))} after")
    rest = {k: v for k, v in cal.items() if k not in ("temperature", "ece_before", "ece_after")}
    return lines + _mapping_lines(rest)


# ------------------------------------------------------------------------------------------------ files
def card_paths(checkpoint_path: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Where a checkpoint's card may be, in order: ``<stem>.card.json`` beside it, then ``card.json`` in its folder."""
    path = Path(checkpoint_path)
    return path.with_name(path.stem + CARD_SUFFIX), path.with_name(FOLDER_CARD)


def markdown_path(json_path: str | os.PathLike[str]) -> Path:
    """The Markdown file beside a card's JSON: model.card.json -> model.card.md, card.json -> card.md."""
    path = Path(json_path)
    return path.with_suffix(".md")


def write_card(card: ModelCard, json_path: str | os.PathLike[str]) -> Path:
    """Write ``card`` as JSON to ``json_path`` and as Markdown beside it (each atomically); returns the JSON path.
    ValueError naming the file when the card holds values JSON cannot store."""
    if not isinstance(card, ModelCard):
        raise ValueError(f"write_card needs a ModelCard, got {type(card).__name__}")
    json_path = Path(json_path)
    try:
        write_json_atomic(json_path, card.to_dict())
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{json_path}: cannot write the model card ({exc})") from None
    write_text_atomic(markdown_path(json_path), card.to_markdown())
    return json_path


def read_card(json_path: str | os.PathLike[str]) -> ModelCard:
    """The card in a JSON file; FileNotFoundError / ValueError naming the file and the reason."""
    return ModelCard.from_dict(read_json_object(json_path, what="model card"), source=str(json_path))


def file_sha256(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_card(checkpoint_path: str | os.PathLike[str], check_sha256: bool = True) -> ModelCard:
    """The card of a checkpoint (see :func:`card_paths`); the unknown card when it has none. Never raises for a bad
    card: a card file that cannot be read, or whose sha256 is not the checkpoint's (with ``check_sha256``), gives the
    unknown card with the reason in extra["card_error"], so the checkpoint itself still loads."""
    checkpoint_path = Path(checkpoint_path)
    own, folder = card_paths(checkpoint_path)
    for candidate in (own, folder):
        if not candidate.exists():
            continue
        try:
            card = read_card(candidate)
        except (ValueError, OSError) as exc:
            return ModelCard.unknown(checkpoint_path, str(exc))
        if candidate == folder and card.checkpoint and card.checkpoint != checkpoint_path.name:
            continue  # the folder's card describes another checkpoint
        if check_sha256 and card.sha256 and checkpoint_path.is_file():
            try:
                actual = file_sha256(checkpoint_path)
            except OSError as exc:
                return ModelCard.unknown(checkpoint_path, f"{checkpoint_path}: cannot read it to check the card "
                                                          f"({exc})")
            if actual.lower() != card.sha256.lower():
                return ModelCard.unknown(
                    checkpoint_path,
                    f"{candidate}: describes other weights (sha256 {card.sha256[:12]}\u2026, this checkpoint has "
                    f"{actual[:12]}\u2026)",
                )
        return card
    return ModelCard.unknown(checkpoint_path)


# ------------------------------------------------------------------------------------------------ pretraining runs
def _last(events: list[dict], kind: str) -> dict | None:
    return next((e for e in reversed(events) if e.get("event") == kind), None)


def _manifest_counts(manifest: str) -> dict[str, int]:
    """{"samples", "subjects"} of the manifest when it is still readable ({} otherwise)."""
    if not manifest or not Path(manifest).is_file():
        return {}
    try:
        from core.datasets import read_manifest

        rows = read_manifest(manifest)
    except (ValueError, OSError):
        return {}
    return {"samples": len(rows), "subjects": len({r.subject for r in rows})}


def card_from_run(run_dir: str | os.PathLike[str], checkpoint: str = "last.ckpt") -> ModelCard:
    """A card for a model trained by ``smile-vlm pretrain`` in ``run_dir``, from what the run recorded: config.json,
    log.jsonl and the checkpoint (default last.ckpt). Not evaluated, not calibrated (evaluation and calibration
    empty, and limits that say so). ValueError / FileNotFoundError naming the file when the run has no checkpoint."""
    from core.model.checkpoint import load_checkpoint

    run_dir = Path(run_dir)
    ckpt_path = run_dir / checkpoint
    ckpt = load_checkpoint(ckpt_path)
    config_path = run_dir / "config.json"
    config = read_json_object(config_path) if config_path.is_file() else dict(ckpt.config)
    events: list[dict] = []
    log_path = run_dir / "log.jsonl"
    if log_path.is_file():
        from core.train.run_log import read_log

        try:
            events = read_log(log_path)
        except (ValueError, OSError):
            events = []
    extra = ckpt.extra
    supervision = str(extra.get("supervision") or config.get("supervision") or "")
    epochs_planned = config.get("epochs")
    start = _last(events, "start") or {}
    end = _last(events, "epoch_end") or {}
    final = next((e for e in reversed(events) if e.get("event") in ("done", "stopped", "error")), None)
    status = final.get("event") if final else "unknown"
    n_samples = extra.get("n_samples", start.get("n_samples"))
    losses = {k: round(float(end[k]), 4) for k in ("loss", "mv_bt", "vl_align", "red_min")
              if isinstance(end.get(k), (int, float))}
    manifest = str(config.get("data", ""))
    counts = _manifest_counts(manifest)
    model = config.get("model") if isinstance(config.get("model"), dict) else ckpt.model_config.to_dict()
    training: dict[str, Any] = {
        "data": f"the manifest {manifest}" if manifest else "not recorded",
        "samples": n_samples,
        "subjects": counts.get("subjects", "not recorded"),
        "classes": list(extra.get("classes", start.get("classes", []))),
        "command": (f"smile-vlm pretrain --config {config_path} --out NEW_RUN_DIR" if config_path.is_file()
                    else f"smile-vlm pretrain --data {manifest} --out NEW_RUN_DIR"),
        "seed": config.get("seed"),
        "epochs": ckpt.epoch,
        "epochs_planned": epochs_planned,
        "steps": ckpt.step,
        "status": status,
        "batch_size": config.get("batch_size"),
        "lr": config.get("lr"),
        "recipe": config.get("loss", {}),
        "backbone": model.get("backbone"),
        "text_encoder": model.get("text_encoder"),
        "final_losses": losses,
    }
    render = extra.get("render") if isinstance(extra.get("render"), dict) else config.get("render")
    render = render if isinstance(render, dict) else {}
    canonical = render.get("canonical")
    yaws = render.get("yaws") if isinstance(render.get("yaws"), list) else []
    preprocessing = {
        "canonical_faces": ("registered to the template face and cropped around the nose tip "
                            f"({_value(canonical.get('orientation', 'default'))} orientation)"
                            if isinstance(canonical, dict) and canonical.get("orientation") != "none"
                            else "bounding-box framing (no face search)"),
        "views": f"{ckpt.model_config.n_views} views"
                 + (f" at yaw {', '.join(_value(float(y)) for y in yaws)} degrees" if yaws else ""),
        "image_size": ckpt.model_config.image_size,
        "frames_per_sequence": render.get("n_frames", "default"),
    }
    limits = ["Not evaluated on held-out subjects: its accuracy is unknown.",
              "Not calibrated: its probabilities have the sharpness of the training temperature, not a measured one."]
    if status != "done" or (isinstance(epochs_planned, int) and ckpt.epoch < epochs_planned):
        limits.append(f"Training did not finish: {ckpt.epoch} of {epochs_planned} epochs were trained "
                      f"(status {status}).")
    if supervision == "none":
        limits.append("Trained without language: its text projection and view fusion were never trained, so its "
                      "zero-shot probabilities are close to meaningless.")
    created = date.today().isoformat()
    return ModelCard(
        name=f"{run_dir.name}: pretrained here, {ckpt.epoch} epoch{'s' if ckpt.epoch != 1 else ''} ({created})",
        created=created,
        checkpoint=ckpt_path.name,
        sha256=file_sha256(ckpt_path),
        training=training,
        supervision=SUPERVISION_WORDS.get(supervision, supervision or "not recorded"),
        preprocessing=preprocessing,
        limits=limits,
        prompt_set=str(extra.get("prompt_set") or config.get("prompt_set") or "expressions (default)"),
        extra={"run_dir": str(run_dir), "written": datetime.now().isoformat(timespec="seconds")},
    )


def write_run_card(run_dir: str | os.PathLike[str], checkpoint: str = "last.ckpt") -> Path | None:
    """Write the card of a pretraining run's checkpoint (RUN_DIR/last.card.json + .md); returns its path, or None
    with a warning when it cannot be made (a card never fails the run)."""
    try:
        card = card_from_run(run_dir, checkpoint)
        return write_card(card, card_paths(Path(run_dir) / checkpoint)[0])
    except (ValueError, OSError) as exc:
        warnings.warn(f"{run_dir}: no model card written ({exc})", stacklevel=2)
        return None
