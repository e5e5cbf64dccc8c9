"""`smile-vlm index`: index a dataset into a manifest CSV and print a summary."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.cli.writable import check_writable_file
from core.datasets import FORMATS, PROTOCOLS, IndexConfig, build_manifest, format_summary
from core.datasets.detect import AUTO, detect_layout
from core.errors import printable


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "index",
        help="index a dataset into a manifest CSV",
        description=(
            "Index the official layout of a dataset (or a user CSV with path, subject, label columns) "
            "into a manifest CSV. Paths in the manifest are relative to its folder when under it. --format auto "
            "detects the layout (BU-3DFE, BU-4DFE, Bosphorus, BP4D) from the file and folder names and says in "
            "one sentence why when it cannot."
        ),
    )
    p.add_argument("root", metavar="DIR", help="dataset root folder (for --format csv: the CSV file)")
    p.add_argument("--format", dest="fmt", required=True, choices=[AUTO, *FORMATS],
                   help="dataset layout, or auto to detect it")
    p.add_argument(
        "--protocol",
        choices=list(PROTOCOLS),
        default=None,
        help="subset1/subset2 (BU-3DFE) or six-expressions (Bosphorus); default: everything",
    )
    p.add_argument("--out", required=True, metavar="MANIFEST", help="manifest CSV to write")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    fmt = args.fmt
    check_writable_file(Path(args.out), "manifest")
    if fmt == AUTO:
        detection = detect_layout(args.root)
        if detection.fmt is None:
            raise ValueError(detection.message)
        print(printable(detection.message))
        fmt = detection.fmt
    config = IndexConfig(root=Path(args.root), fmt=fmt, out=Path(args.out), protocol=args.protocol)
    result = build_manifest(config)
    protocol = f", protocol {config.protocol}" if config.protocol else ""
    # names that are not valid UTF-8 (a skipped folder's) are printed with \xNN escapes
    print(printable(f"{FORMATS[config.fmt]} at {config.root}{protocol}"))
    print(printable(format_summary(result)))
    print(printable(f"wrote {config.out}"))
    return 0
