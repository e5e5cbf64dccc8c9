"""The label vocabulary shared by every dataset, and the BP4D task table.

Labels are lower-case English words. The seven basic labels (six emotions plus neutral) are what the
posed datasets (BU-3DFE, BU-4DFE, Bosphorus) map to; 4DME micro-expressions use their own five classes;
BP4D-Spontaneous tasks map to the emotion each task was designed to elicit.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: The six basic emotions, in the order used everywhere (confusion matrices, prompts).
BASIC_EMOTIONS: tuple[str, ...] = ("anger", "disgust", "fear", "happiness", "sadness", "surprise")

NEUTRAL = "neutral"

#: 4DME micro-expression classes.
MICRO_EXPRESSION_LABELS: tuple[str, ...] = ("positive", "negative", "surprise", "repression", "others")

#: BP4D-Spontaneous task code -> the emotion the task was designed to elicit (the published task design):
#: T1 talk/joke, T2 sad film clip, T3 sudden burst of sound, T4 improvised song (embarrassment),
#: T5 threat of a dart, T6 cold pressor (pain), T7 insult, T8 smelly odour.
#: This table is the only place the mapping is written down.
BP4D_TASK_EMOTION: Mapping[str, str] = MappingProxyType(
    {
        "T1": "happiness",
        "T2": "sadness",
        "T3": "surprise",
        "T4": "embarrassment",
        "T5": "fear",
        "T6": "pain",
        "T7": "anger",
        "T8": "disgust",
    }
)


def _unique(*groups: tuple[str, ...]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for group in groups:
        for label in group:
            seen.setdefault(label, None)
    return tuple(seen)


#: The one vocabulary: basic emotions, neutral, micro-expression classes, then BP4D-only task labels.
LABELS: tuple[str, ...] = _unique(
    BASIC_EMOTIONS, (NEUTRAL,), MICRO_EXPRESSION_LABELS, tuple(BP4D_TASK_EMOTION.values())
)

# Common spellings found in user CSVs, mapped onto the vocabulary.
_ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "angry": "anger",
        "disgusted": "disgust",
        "afraid": "fear",
        "fearful": "fear",
        "scared": "fear",
        "happy": "happiness",
        "joy": "happiness",
        "sad": "sadness",
        "surprised": "surprise",
        "surprises": "surprise",
        "neu": "neutral",
        "other": "others",
    }
)


def normalize_label(text: str) -> str:
    """Lower-case and strip ``text``, and map common synonyms ("Happy", "angry", "other") onto LABELS.

    A label outside the vocabulary is returned lower-cased but otherwise unchanged.
    """
    label = " ".join(str(text).split()).lower()
    return _ALIASES.get(label, label)
