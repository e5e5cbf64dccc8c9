"""The benchmark's checks before any training (phase 2 of core.eval.benchmark): an experiment's rows against its
folds, classes and prompt set, the cross-data-set labels against the trained classes, and an --init checkpoint against
the preset's model. Each failure is a ValueError naming the experiment or file, raised before anything is trained.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from core.eval.config import ExperimentRun, Preset
from core.eval.data import DataSource, source_rows


def _prompt_classes(run: ExperimentRun) -> dict[str, tuple[str, ...]]:
    from core.prompts import resolve_prompts

    prompt_set = resolve_prompts(run.spec.prompt_set)
    classes = {k: tuple(v) for k, v in prompt_set.classes.items()}
    for label, prompts in run.spec.extra_prompts:
        classes[label] = tuple(prompts)
    return classes


def _uses_prompts(preset: Preset, run: ExperimentRun) -> bool:
    return any(preset.methods[m].kind == "smile" and preset.methods[m].prompts != "none" for m in run.methods)


def check_init(path: Path, model_config, text_dim: int) -> tuple[dict, object]:
    """(state_dict, recorded training subjects or None) of an --init checkpoint; ValueError naming the file when its
    architecture or embedding size does not match the preset's model."""
    from core.model.checkpoint import load_checkpoint

    ckpt = load_checkpoint(path)
    theirs = ckpt.model_config
    if theirs.embed_dim != model_config.embed_dim:
        raise ValueError(
            f"{path}: its embeddings are {theirs.embed_dim}-d but the preset's model uses {model_config.embed_dim}-d "
            "(model.embed_dim); choose a matching checkpoint or preset"
        )
    for name in ("backbone", "proj_hidden", "fusion_hidden"):
        if getattr(theirs, name) != getattr(model_config, name):
            raise ValueError(f"{path}: its model.{name} is {getattr(theirs, name)!r}, the preset's "
                             f"{getattr(model_config, name)!r}")
    if ckpt.text_dim != text_dim:
        raise ValueError(f"{path}: its text projection takes {ckpt.text_dim}-d text features but the text encoder "
                         f"{model_config.text_encoder!r} gives {text_dim}-d")
    return dict(ckpt.model_state), ckpt.extra.get("subjects")


@dataclass
class PreparedExperiment:
    """An experiment's checked rows: classes in prompt-set order, their prompts, the cross-data-set rows."""

    rows: list
    classes: tuple[str, ...]
    prompts: dict[str, tuple[str, ...]]
    cross_rows: list | None


def prepare_experiment(preset: Preset, run: ExperimentRun,
                       sources: Mapping[str, DataSource]) -> PreparedExperiment:
    """Rows of an experiment, checked before any training: enough subjects for the folds, at least two classes,
    every class in the prompt set (when a method uses prompts), the cross-data-set labels among the classes."""
    spec = run.spec
    rows = source_rows(sources[spec.dataset], spec.protocol)
    where = f"{spec.title} ({sources[spec.dataset].describe()})"
    subjects = sorted({r.subject for r in rows})
    if len(subjects) < run.folds:
        raise ValueError(
            f"{where}: {len(subjects)} subject(s), too few for {run.folds} subject-independent folds; use fewer "
            "folds or more subjects"
        )
    present = sorted({r.label for r in rows})
    if len(present) < 2:
        raise ValueError(f"{where}: only one class ({present[0]}); recognition needs at least two")
    prompts: dict[str, tuple[str, ...]] = {}
    if _uses_prompts(preset, run):
        classes = _prompt_classes(run)
        missing = [c for c in present if not classes.get(c)]
        if missing:
            raise ValueError(
                f"{where}: class(es) {', '.join(missing)} missing from the prompt set {spec.prompt_set!r} "
                f"(it has {', '.join(classes)}); add them with extra_prompts in the presets file"
            )
        ordered = tuple(c for c in classes if c in present)
        prompts = {c: classes[c] for c in ordered}
    else:
        ordered = tuple(present)
    target = None
    if spec.cross is not None:
        target = [r for r in source_rows(sources[spec.cross.dataset]) if r.code in spec.cross.codes]
        if not target:
            raise ValueError(f"{sources[spec.cross.dataset].path}: no rows with code(s) "
                             f"{', '.join(spec.cross.codes)} for the cross-data-set test of {spec.title}")
        foreign = sorted({r.label for r in target} - set(ordered))
        if foreign:
            raise ValueError(f"{spec.cross.title}: target label(s) {', '.join(foreign)} are not among the classes "
                             f"trained on {spec.title} ({', '.join(ordered)})")
    return PreparedExperiment(rows, ordered, prompts, target)
