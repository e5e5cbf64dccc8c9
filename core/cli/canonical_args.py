"""The canonical-face flags shared by render, pretrain, predict and benchmark: --orientation and --no-crop.

They change the canonical settings (core.scans.canonical.CanonicalSettings) the command would otherwise use; the
handlers turn them into plain values (:func:`canonical_changes`) for the command's config dataclass.
"""

from __future__ import annotations

import argparse
from typing import Any

from core.scans.canonical.settings import orientation_choices


def add_canonical_args(parser: argparse.ArgumentParser, default_from: str = "resources/canonical.json",
                       manifest: bool = True) -> None:
    """Add --orientation and --no-crop; ``default_from`` says in the help where the settings come from otherwise;
    ``manifest``: the command reads manifests, whose rows may name their own orientation."""
    rows = "; a manifest row's orientation column overrides it for that row" if manifest else ""
    parser.add_argument(
        "--orientation",
        choices=list(orientation_choices()),
        default=None,
        help="how scans become canonical faces: auto (search every rotation), a preset (the scans' known pose: "
        "y-up, y-up-back, y-down, z-up, z-up-back) or none (no face search: bounding-box framing as before "
        f"canonical faces); default: {default_from}{rows}",
    )
    parser.add_argument(
        "--no-crop",
        dest="crop",
        action="store_const",
        const=False,
        default=None,
        help=f"keep the whole scan instead of the sphere around the nose tip (default: {default_from})",
    )


def canonical_changes(args: argparse.Namespace) -> dict[str, Any]:
    """{"orientation": str | None, "crop": False | None} from the parsed flags (None: not given)."""
    return {"orientation": getattr(args, "orientation", None), "crop": getattr(args, "crop", None)}
