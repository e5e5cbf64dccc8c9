"""One entry point over every indexer, protocols, and the index -> manifest job."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from core.datasets import bosphorus, bp4d, bu3dfe, bu4dfe, user_csv
from core.datasets.manifest import IndexResult, absolute, write_manifest

#: Format name -> human-readable dataset name.
FORMATS: Mapping[str, str] = MappingProxyType(
    {
        "bu3dfe": "BU-3DFE",
        "bu4dfe": "BU-4DFE",
        "bosphorus": "Bosphorus",
        "bp4d": "BP4D-Spontaneous",
        "csv": "user CSV",
    }
)

#: Protocol name -> the format it applies to.
PROTOCOLS: Mapping[str, str] = MappingProxyType(
    {"subset1": "bu3dfe", "subset2": "bu3dfe", "six-expressions": "bosphorus"}
)

_INDEXERS: Mapping[str, Callable[[str | os.PathLike[str]], IndexResult]] = MappingProxyType(
    {
        "bu3dfe": bu3dfe.index,
        "bu4dfe": bu4dfe.index,
        "bosphorus": bosphorus.index,
        "bp4d": bp4d.index,
        "csv": user_csv.index,
    }
)
_PROTOCOL_FILTERS = MappingProxyType({"bu3dfe": bu3dfe.apply_protocol, "bosphorus": bosphorus.apply_protocol})


def check_format(fmt: str, protocol: str | None = None) -> tuple[str, str | None]:
    """Normalised (format, protocol); ValueError for an unknown format or a protocol that does not apply."""
    name = str(fmt).strip().lower()
    if name not in FORMATS:
        raise ValueError(f"unknown dataset format {fmt!r} (expected one of {', '.join(FORMATS)})")
    if protocol is None or str(protocol).strip() == "":
        return name, None
    proto = str(protocol).strip().lower()
    if proto not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r} (expected one of {', '.join(PROTOCOLS)})")
    if PROTOCOLS[proto] != name:
        own = [p for p, f in PROTOCOLS.items() if f == name]
        hint = f"{FORMATS[name]} protocols: {', '.join(own)}" if own else f"{FORMATS[name]} has no protocols"
        raise ValueError(f"protocol {proto!r} applies to {FORMATS[PROTOCOLS[proto]]} only ({hint})")
    return name, proto


def _first_reasons(skipped: tuple[tuple[Path, str], ...], n: int = 3) -> str:
    return "; ".join(f"{path}: {reason}" for path, reason in skipped[:n])


def index_dataset(root: str | os.PathLike[str], fmt: str, protocol: str | None = None) -> IndexResult:
    """Index the dataset at ``root`` in layout ``fmt`` (for ``csv``, ``root`` is the CSV file).

    Applies ``protocol`` when given. Raises FileNotFoundError when ``root`` does not exist, ValueError when
    the format or protocol is unknown or does not fit, or when nothing indexable is found.
    """
    name, proto = check_format(fmt, protocol)
    found = _INDEXERS[name](root)
    where = absolute(root)
    if not found.rows:
        detail = f"; {len(found.skipped)} skipped, e.g. {_first_reasons(found.skipped)}" if found.skipped else ""
        raise ValueError(f"{where}: nothing indexable as {FORMATS[name]}{detail}")
    if proto is None:
        return found
    kept = tuple(_PROTOCOL_FILTERS[name](found.rows, proto))
    if not kept:
        raise ValueError(f"{where}: none of the {len(found.rows)} indexed scans belongs to protocol {proto!r}")
    return IndexResult(
        rows=kept, skipped=found.skipped, ignored=found.ignored, excluded=len(found.rows) - len(kept)
    )


@dataclass(frozen=True)
class IndexConfig:
    """An index job: index ``root`` (a folder, or the CSV file for ``csv``) as ``fmt`` into manifest ``out``."""

    root: Path
    fmt: str
    out: Path
    protocol: str | None = None

    def __post_init__(self) -> None:
        fmt, protocol = check_format(self.fmt, self.protocol)
        object.__setattr__(self, "fmt", fmt)
        object.__setattr__(self, "protocol", protocol)
        object.__setattr__(self, "root", absolute(self.root))
        object.__setattr__(self, "out", absolute(self.out))


def build_manifest(config: IndexConfig) -> IndexResult:
    """Run ``config``: index, then write the manifest atomically. Refuses to overwrite the input CSV."""
    if config.fmt == "csv" and config.out.exists() and config.root.exists() and config.out.samefile(config.root):
        raise ValueError(f"{config.out}: the manifest would overwrite the input CSV; choose another --out")
    result = index_dataset(config.root, config.fmt, config.protocol)
    write_manifest(result.rows, config.out)
    return result


def format_summary(result: IndexResult, max_reasons: int = 5) -> str:
    """A few lines for people: rows, subjects, rows per label, skipped/ignored/excluded counts, first reasons."""
    lines = [f"{len(result.rows)} rows, {len(result.subjects)} subjects"]
    width = max((len(label) for label in result.label_counts), default=0)
    lines += [f"  {label:<{width}}  {count}" for label, count in result.label_counts.items()]
    if result.excluded:
        lines.append(f"{result.excluded} rows left out by the protocol")
    if result.ignored:
        lines.append(f"{result.ignored} files ignored (known non-scan files of the layout)")
    lines.append(f"{len(result.skipped)} skipped")
    lines += [f"  {path}: {reason}" for path, reason in result.skipped[:max_reasons]]
    if len(result.skipped) > max_reasons:
        lines.append(f"  ... and {len(result.skipped) - max_reasons} more")
    return "\n".join(lines)
