"""Dataset indexers: official layouts (BU-3DFE, BU-4DFE, Bosphorus, BP4D-Spontaneous) and user CSVs
(4DME, anything else) into one manifest CSV. Indexers read file and folder names only, never contents
(except the array header of a user's .npz sequence when its frame count is not given).
"""

from core.datasets.index import (
    FORMATS,
    PROTOCOLS,
    IndexConfig,
    build_manifest,
    format_summary,
    index_dataset,
)
from core.datasets.labels import (
    BASIC_EMOTIONS,
    BP4D_TASK_EMOTION,
    LABELS,
    MICRO_EXPRESSION_LABELS,
    NEUTRAL,
    normalize_label,
)
from core.datasets.manifest import COLUMNS, KINDS, IndexResult, ManifestRow, read_manifest, write_manifest

__all__ = [
    "BASIC_EMOTIONS",
    "BP4D_TASK_EMOTION",
    "COLUMNS",
    "FORMATS",
    "IndexConfig",
    "IndexResult",
    "KINDS",
    "LABELS",
    "MICRO_EXPRESSION_LABELS",
    "ManifestRow",
    "NEUTRAL",
    "PROTOCOLS",
    "build_manifest",
    "format_summary",
    "index_dataset",
    "normalize_label",
    "read_manifest",
    "write_manifest",
]
