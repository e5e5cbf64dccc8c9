"""`smile-vlm index`: index a dataset into a manifest CSV and print a summary."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.datasets import FORMATS, PROTOCOLS, IndexConfig, build_manifest, format_summary


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "index",
        help="index a dataset into a manifest CSV",
        description=(
            "Index the official layout of a dataset (or a user CSV with path, subject, label columns) "
            "into a manifest CSV. Paths in the manifest are relative to its folder when under it."
        ),
    )
    p.add_argument("root", metavar="DIR", help="dataset root folder (for --format csv: the CSV file)")
    p.add_argument("--format", dest="fmt", required=True, choices=list(FORMATS), help="dataset layout")
    p.add_argument(
        "--protocol",
        choices=list(PROTOCOLS),
        default=None,
        help="subset1/subset2 (BU-3DFE) or six-expressions (Bosphorus); default: everything",
    )
    p.add_argument("--out", required=True, metavar="MANIFEST", help="manifest CSV to write")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    config = IndexConfig(root=Path(args.root), fmt=args.fmt, out=Path(args.out), protocol=args.protocol)
    result = build_manifest(config)
    protocol = f", protocol {config.protocol}" if config.protocol else ""
    print(f"{FORMATS[config.fmt]} at {config.root}{protocol}")
    print(format_summary(result))
    print(f"wrote {config.out}")
    return 0
