"""Prompt-set files.

Our format:            {"name": "expressions", "source": "...", "classes": {"happiness": ["a person smiling happily",
                       ...], ...}}   ("source", optional: where the prompts come from)
CLIP-benchmark format: {"happiness": ["a person smiling happily", ...], ...}   (plain class -> prompts, as used by
                       CLIP_benchmark-style zero-shot tools; the set's name is taken from the file name on import).
Every reader raises ValueError naming the file and what is wrong (bad JSON, duplicate labels, empty prompts, ...).
Writers are atomic (temp file + os.replace). Default sets live in resources/prompts/<name>.json.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from core.config_io import write_json_atomic
from core.prompts.prompt_set import PromptSet

DEFAULT_SET = "expressions"


def prompts_dir() -> Path:
    """resources/prompts/ (located by core.resources)."""
    from core.resources import resources_dir

    return resources_dir() / "prompts"


#: The largest prompt file read (a prompt set at the caps below is well under it).
MAX_FILE_BYTES = 16 << 20


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's pairs as a dict; ValueError on a repeated key (linear: a 16k-class file took 7 s when
    this counted each key in the whole list)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        counts = Counter(k for k, _ in pairs)
        dupes = sorted(k for k, n in counts.items() if n > 1)
        shown = ", ".join(repr(k) for k in dupes[:5]) + (f" and {len(dupes) - 5} more" if len(dupes) > 5 else "")
        raise ValueError(f"duplicate key(s) {shown}")
    return out


def _read_json(path: Path) -> Any:
    if not path.exists():
        raise FileNotFoundError(f"{path}: prompt file not found")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(f"{path}: prompt file of {size / 2**20:.1f} MiB, more than the "
                             f"{MAX_FILE_BYTES >> 20} MiB a prompt set may take")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read prompt file ({exc})") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from None
    except RecursionError:
        raise ValueError(f"{path}: JSON nested too deeply to be a prompt set") from None
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _is_ours(data: Any) -> bool:
    return isinstance(data, dict) and "classes" in data and isinstance(data["classes"], dict) and "name" in data


def load_prompt_set(path: str | os.PathLike[str]) -> PromptSet:
    """Read a prompt set in our format; ValueError naming the file and the problem."""
    path = Path(path)
    data = _read_json(path)
    if isinstance(data, dict) and not _is_ours(data) and data and all(isinstance(v, list) for v in data.values()):
        raise ValueError(f"{path}: a plain class -> prompts file (CLIP-benchmark format); import it instead")
    try:
        return PromptSet.from_dict(data)
    except ValueError as exc:
        raise ValueError(f"{path}: invalid prompt set: {exc}") from None


def save_prompt_set(prompt_set: PromptSet, path: str | os.PathLike[str]) -> Path:
    """Write ``prompt_set`` in our format (atomic)."""
    return write_json_atomic(Path(path), prompt_set.to_dict())


def import_clip_benchmark(path: str | os.PathLike[str], name: str | None = None) -> PromptSet:
    """Read a plain {label: [prompts]} file as a PromptSet named ``name`` (default: the file's stem)."""
    path = Path(path)
    data = _read_json(path)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected an object mapping each class to a list of prompts")
    try:
        return PromptSet(name or path.stem, data)
    except ValueError as exc:
        raise ValueError(f"{path}: invalid class -> prompts file: {exc}") from None


def export_clip_benchmark(prompt_set: PromptSet, path: str | os.PathLike[str]) -> Path:
    """Write the plain {label: [prompts]} form of ``prompt_set`` (atomic)."""
    return write_json_atomic(Path(path), {k: list(v) for k, v in prompt_set.classes.items()})


def read_prompt_file(path: str | os.PathLike[str]) -> PromptSet:
    """Either format, detected from its content (our layout has top-level "name" and "classes" objects)."""
    path = Path(path)
    data = _read_json(path)
    if _is_ours(data):
        return load_prompt_set(path)
    return import_clip_benchmark(path)


def default_prompt_sets() -> list[str]:
    """Names of the sets shipped in resources/prompts/."""
    try:
        return sorted(p.stem for p in prompts_dir().glob("*.json"))
    except FileNotFoundError:
        return []


def default_prompt_set(name: str = DEFAULT_SET) -> PromptSet:
    """A shipped set by name: 'expressions' (the default: the paper's Table I, 3 prompts per class, verbatim),
    'expressions_neutral' (the same plus a neutral class), 'expressions_paraphrases' (7 prompts per class in Table
    I's style, not from the paper), 'micro_expressions'."""
    try:
        path = prompts_dir() / f"{name}.json"
    except FileNotFoundError as exc:
        raise ValueError(f"no default prompt set {name!r}: {exc}") from None
    if not path.is_file():
        raise ValueError(f"no default prompt set {name!r} (available: {', '.join(default_prompt_sets()) or 'none'})")
    return load_prompt_set(path)


def resolve_prompts(spec: PromptSet | str | os.PathLike[str] | dict | None) -> PromptSet:
    """A PromptSet from a PromptSet, a {"name", "classes"} dict, a shipped set's name, a file path, or None (the
    default expression set)."""
    if spec is None:
        return default_prompt_set()
    if isinstance(spec, PromptSet):
        return spec
    if isinstance(spec, dict):
        return PromptSet.from_dict(spec)
    text = os.fspath(spec)
    if isinstance(spec, str) and text in default_prompt_sets() and not Path(text).exists():
        return default_prompt_set(text)
    return read_prompt_file(text)
