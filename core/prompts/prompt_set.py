"""PromptSet: named classes, each with the natural-language prompts that describe it (zero-shot class text).

Invariants (ValueError otherwise): a non-empty name; at least one class, at most MAX_CLASSES; every label a
non-empty string, unique; every class at least one prompt, at most MAX_PROMPTS_PER_CLASS; every prompt a non-empty
string; labels and prompts at most MAX_TEXT_CHARS characters; ``source`` a string. Class order is kept (it is the
output order). ``source`` is optional provenance ("Table I of the paper, verbatim"): it is written to and read from
the JSON file, but it is not part of a set's identity (equality and hash compare name and classes), and editing the
classes (with_class, without_class) drops it, since the edited set is no longer what the source describes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any


#: Size caps of a prompt set (ValueError beyond them): classes, prompts per class, characters per prompt or label.
#: The text encoders embed every prompt, so a set far beyond these would take minutes to encode and gigabytes.
MAX_CLASSES = 1000
MAX_PROMPTS_PER_CLASS = 1000
MAX_TEXT_CHARS = 1000


def _clean_classes(classes: Any) -> dict[str, tuple[str, ...]]:
    pairs: Iterable[tuple[Any, Any]]
    if isinstance(classes, Mapping):
        pairs = classes.items()
    elif isinstance(classes, (list, tuple)) and all(isinstance(p, (list, tuple)) and len(p) == 2 for p in classes):
        pairs = classes
    else:
        raise ValueError(f"classes must map each label to its prompts, got {type(classes).__name__}")
    if len(classes) > MAX_CLASSES:
        raise ValueError(f"{len(classes)} classes, more than the {MAX_CLASSES} a prompt set may have")
    out: dict[str, tuple[str, ...]] = {}
    for label, prompts in pairs:
        if not isinstance(label, str) or not label.strip():
            raise ValueError(f"class labels must be non-empty strings, got {label!r}")
        if len(label) > MAX_TEXT_CHARS:
            raise ValueError(f"a class label of {len(label)} characters (at most {MAX_TEXT_CHARS})")
        if label in out:
            raise ValueError(f"duplicate class label {label!r}")
        if isinstance(prompts, str) or not isinstance(prompts, (list, tuple)):
            raise ValueError(f"class {label!r}: prompts must be a list of strings, got {type(prompts).__name__}")
        if not prompts:
            raise ValueError(f"class {label!r} has no prompts")
        if len(prompts) > MAX_PROMPTS_PER_CLASS:
            raise ValueError(f"class {label!r} has {len(prompts)} prompts, more than {MAX_PROMPTS_PER_CLASS}")
        for prompt in prompts:
            if not isinstance(prompt, str) or not prompt.strip():
                raise ValueError(f"class {label!r}: every prompt must be a non-empty string, got {prompt!r}")
            if len(prompt) > MAX_TEXT_CHARS:
                raise ValueError(f"class {label!r}: a prompt of {len(prompt)} characters (at most {MAX_TEXT_CHARS})")
        out[label] = tuple(prompts)
    if not out:
        raise ValueError("a prompt set needs at least one class")
    return out


@dataclass(frozen=True, eq=False)
class PromptSet:
    """name: the set's name; classes: read-only mapping label -> tuple of prompts (insertion-ordered); source: where
    the prompts come from ('' = not stated)."""

    name: str
    classes: Mapping[str, tuple[str, ...]]
    source: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"a prompt set needs a non-empty name, got {self.name!r}")
        if not isinstance(self.source, str):
            raise ValueError(f"a prompt set's source must be a string, got {type(self.source).__name__}")
        object.__setattr__(self, "classes", MappingProxyType(_clean_classes(self.classes)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PromptSet):
            return NotImplemented
        return self.name == other.name and list(self.classes.items()) == list(other.classes.items())

    def __hash__(self) -> int:
        return hash((self.name, tuple(self.classes.items())))

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self.classes)

    @property
    def n_prompts(self) -> int:
        return sum(len(p) for p in self.classes.values())

    def all_prompts(self) -> list[str]:
        """Every distinct prompt, in class then prompt order."""
        return list(dict.fromkeys(p for prompts in self.classes.values() for p in prompts))

    def with_class(self, label: str, prompts: Iterable[str]) -> PromptSet:
        """A copy with ``label``'s prompts replaced (or the class appended when new)."""
        classes = dict(self.classes)
        classes[label] = tuple(prompts)
        return PromptSet(self.name, classes)

    def without_class(self, label: str) -> PromptSet:
        if label not in self.classes:
            raise ValueError(f"prompt set {self.name!r} has no class {label!r}")
        return PromptSet(self.name, {k: v for k, v in self.classes.items() if k != label})

    def renamed(self, name: str) -> PromptSet:
        return PromptSet(name, self.classes, self.source)

    def to_dict(self) -> dict[str, Any]:
        """{"name": ..., ["source": ...,] "classes": {label: [prompt, ...]}} (the JSON layout; "source" only when
        stated)."""
        out: dict[str, Any] = {"name": self.name}
        if self.source:
            out["source"] = self.source
        out["classes"] = {k: list(v) for k, v in self.classes.items()}
        return out

    @classmethod
    def from_dict(cls, data: Any) -> PromptSet:
        if not isinstance(data, Mapping):
            raise ValueError(f'expected an object {{"name": ..., "classes": {{...}}}}, got {type(data).__name__}')
        missing = [k for k in ("name", "classes") if k not in data]
        if missing:
            raise ValueError(f"missing key(s) {missing}")
        unknown = sorted(set(data) - {"name", "classes", "source"})
        if unknown:
            raise ValueError(f"unknown key(s) {unknown}")
        return cls(data["name"], data["classes"], data.get("source", ""))
