"""One colour per class, the same wherever a class is drawn (the results panel's bars, the per-frame curves).

A class's colour follows its position in the prompt set (the order of the probabilities the engine returns), so
it stays the same while the bars re-sort by probability and from one scan to the next. The palette is Okabe & Ito's
eight colours (distinguishable with the common colour-vision deficiencies) followed by Tableau's ten; past 18 classes
the colours repeat.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QColor

PALETTE = (
    "#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000",
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)


def class_colour(index: int) -> QColor:
    """The colour of the class at ``index`` in its prompt set (ValueError for a negative index)."""
    if index < 0:
        raise ValueError(f"class index must be >= 0, got {index}")
    return QColor(PALETTE[index % len(PALETTE)])


def class_colours(labels: Iterable[str]) -> dict[str, QColor]:
    """{label: colour} for labels in prompt-set order."""
    return {str(label): class_colour(i) for i, label in enumerate(labels)}


__all__ = ["PALETTE", "class_colour", "class_colours"]
