"""Manifest rows, index results, and the manifest CSV format.

A manifest is a UTF-8 CSV whose first columns are, in this order::

    path, subject, label, intensity, kind, n_frames, dataset, code

then the optional column ``orientation``, then optional extra columns (``sex``, ``race``, ...). ``path`` is
relative to the manifest's folder when the scan lies under it, else absolute (forward slashes in relative paths).
``intensity`` is empty when the dataset has none. ``kind`` is ``3d`` (one scan, n_frames = 1) or ``4d`` (a
sequence). ``orientation`` is how the row's scan is turned into a canonical face when rendered: empty (the run's
setting, resources/canonical.json or ``--orientation``), ``auto``, a preset (``y-up``, ``y-up-back``, ``y-down``,
``z-up``, ``z-up-back``: the scan's known pose) or ``none`` (no face search: bounding-box framing); see
:class:`core.scans.canonical.CanonicalSettings`. It is written only when some row has one. An empty extra value
means "absent".
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core.config_io import give_default_mode
from core.errors import printable

#: The fixed manifest columns, in file order.
COLUMNS: tuple[str, ...] = ("path", "subject", "label", "intensity", "kind", "n_frames", "dataset", "code")

#: Allowed values of the ``kind`` column.
KINDS: tuple[str, ...] = ("3d", "4d")

#: The optional column naming a row's canonical-face orientation (empty: the run's setting).
ORIENTATION = "orientation"


def absolute(path: str | os.PathLike[str]) -> Path:
    """``path`` made absolute against the current folder, ``~`` expanded, symlinks kept as they are."""
    return Path(os.path.abspath(os.path.expanduser(os.fspath(path))))


def _normalize_extra(extra: object) -> tuple[tuple[str, str], ...]:
    items = extra.items() if isinstance(extra, Mapping) else extra
    out: dict[str, str] = {}
    for item in items:  # type: ignore[union-attr]
        try:
            key, value = item
        except (TypeError, ValueError):
            raise ValueError(f"extra must be a mapping or (name, value) pairs, got {item!r}") from None
        key = str(key).strip()
        if not key:
            raise ValueError("extra column names must not be empty")
        if key in COLUMNS or key == ORIENTATION:
            raise ValueError(f"extra column {key!r} clashes with a manifest column")
        if key in out:
            raise ValueError(f"extra column {key!r} given twice")
        value = "" if value is None else str(value)
        if value != "":
            out[key] = value
    return tuple(sorted(out.items()))


@dataclass(frozen=True)
class ManifestRow:
    """One indexed scan (3d) or sequence (4d).

    path: absolute file (3d) or sequence folder / sequence file (4d); a relative path is taken against
    the current folder. intensity: the dataset's intensity level (BU-3DFE 1-4, 0 for neutral) or None.
    extra: extra columns as (name, value) pairs, sorted by name; a mapping is accepted and converted,
    empty values are dropped. orientation: the canonical-face orientation of this row's scan (see the module
    docstring; "" = the run's setting), lower-cased and checked against
    :func:`core.scans.canonical.orientation_choices`.
    """

    path: Path
    subject: str
    label: str
    intensity: int | None
    kind: str
    n_frames: int
    dataset: str
    code: str
    extra: tuple[tuple[str, str], ...] = field(default=())
    orientation: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", absolute(self.path))
        for name in ("subject", "label", "dataset", "code"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise ValueError(f"{name} must be a string, got {value!r}")
            object.__setattr__(self, name, value.strip())
        for name in ("subject", "label", "dataset"):
            if not getattr(self, name):
                raise ValueError(f"{name} must not be empty")
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if isinstance(self.n_frames, bool) or not isinstance(self.n_frames, int) or self.n_frames < 1:
            raise ValueError(f"n_frames must be an integer >= 1, got {self.n_frames!r}")
        if self.kind == "3d" and self.n_frames != 1:
            raise ValueError(f"a 3d scan has exactly 1 frame, got n_frames={self.n_frames}")
        if self.intensity is not None and (
            isinstance(self.intensity, bool) or not isinstance(self.intensity, int) or self.intensity < 0
        ):
            raise ValueError(f"intensity must be empty or an integer >= 0, got {self.intensity!r}")
        object.__setattr__(self, "extra", _normalize_extra(self.extra))
        if not isinstance(self.orientation, str):
            raise ValueError(f"orientation must be a string, got {self.orientation!r}")
        orientation = self.orientation.strip()
        if orientation:
            from core.scans.canonical.settings import check_orientation  # only when used (it imports scipy)

            orientation = check_orientation(orientation)
        object.__setattr__(self, "orientation", orientation)

    @property
    def extras(self) -> dict[str, str]:
        """The extra columns as a dict."""
        return dict(self.extra)


@dataclass(frozen=True)
class IndexResult:
    """What an indexer found.

    rows: the manifest rows, sorted by path. skipped: (path, reason) for every file, folder or CSV line
    that looked like data but could not be indexed. ignored: files that are a known part of the layout but
    not indexed (BU-3DFE _RAW models, texture images, Bosphorus landmark files, hidden files).
    excluded: rows left out by the protocol.
    """

    rows: tuple[ManifestRow, ...]
    skipped: tuple[tuple[Path, str], ...] = ()
    ignored: int = 0
    excluded: int = 0

    @property
    def subjects(self) -> tuple[str, ...]:
        """The distinct subjects, sorted."""
        return tuple(sorted({row.subject for row in self.rows}))

    @property
    def label_counts(self) -> dict[str, int]:
        """Rows per label, most frequent first (ties by label)."""
        counts = Counter(row.label for row in self.rows)
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _path_text(path: Path, folder: Path) -> str:
    if path.is_relative_to(folder):
        return path.relative_to(folder).as_posix()
    return str(path)


def write_manifest(rows: Iterable[ManifestRow], path: str | os.PathLike[str]) -> Path:
    """Write ``rows`` to the manifest CSV ``path`` atomically (temporary file, then rename).

    The ``orientation`` column follows the fixed ones when some row has an orientation, then the extra columns in
    order of first appearance. Creates the parent folder.
    Returns the absolute manifest path.
    """
    out = absolute(path)
    if out.is_dir():
        raise ValueError(f"{out}: is a folder; give a manifest file name")
    rows = list(rows)
    for row in rows:  # a UTF-8 CSV cannot hold a name that is not UTF-8: say which one, before writing anything
        try:
            str(row.path).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"{printable(row.path)}: the file or folder name is not valid UTF-8, which a manifest "
                             f"cannot hold; rename it") from None
    extra_columns: dict[str, None] = {}
    for row in rows:
        for key, _ in row.extra:
            extra_columns.setdefault(key, None)
    oriented = any(row.orientation for row in rows)
    header = list(COLUMNS) + ([ORIENTATION] if oriented else []) + list(extra_columns)
    folder = out.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            give_default_mode(handle.fileno())  # mkstemp's files are private (0o600); a manifest is not
            writer = csv.writer(handle)
            writer.writerow(header)
            for row in rows:
                extras = row.extras
                writer.writerow(
                    [
                        _path_text(row.path, folder),
                        row.subject,
                        row.label,
                        "" if row.intensity is None else str(row.intensity),
                        row.kind,
                        str(row.n_frames),
                        row.dataset,
                        row.code,
                    ]
                    + ([row.orientation] if oriented else [])
                    + [extras.get(key, "") for key in extra_columns]
                )
        os.replace(tmp_name, out)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except OSError:
            pass
        raise
    return out


def _parse_int(text: str, name: str, *, optional: bool) -> int | None:
    text = text.strip()
    if text == "":
        if optional:
            return None
        raise ValueError(f"{name} is empty")
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"{name} is not an integer: {text!r}") from None


def read_manifest(path: str | os.PathLike[str]) -> list[ManifestRow]:
    """Read a manifest CSV written by :func:`write_manifest` (or by hand in the same format).

    Relative paths are resolved against the manifest's folder; the scans need not exist. Columns with an
    empty name are ignored. Raises FileNotFoundError for a missing file and ValueError naming the file and
    line for anything malformed (missing columns, bad kind, non-integer n_frames or intensity, unknown
    orientation, ...).
    """
    src = absolute(path)
    if not src.is_file():
        if src.exists():
            raise ValueError(f"{src}: not a file")
        raise FileNotFoundError(f"{src}: manifest does not exist")
    folder = src.parent
    rows: list[ManifestRow] = []
    line = 1
    try:
        with open(src, encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise ValueError(f"{src}: empty file, expected a header line with columns {', '.join(COLUMNS)}")
            names = [h.strip() for h in header]
            named = [n for n in names if n]
            dupes = sorted({n for n in named if named.count(n) > 1})
            if dupes:
                raise ValueError(f"{src}: line 1: duplicate columns: {', '.join(dupes)}")
            missing = [c for c in COLUMNS if c not in names]
            if missing:
                raise ValueError(f"{src}: line 1: missing columns: {', '.join(missing)}")
            extra_names = [n for n in named if n not in COLUMNS and n != ORIENTATION]
            for record in reader:
                line = reader.line_num
                if not any(cell.strip() for cell in record):
                    continue
                if len(record) != len(names):
                    raise ValueError(f"{src}: line {line}: {len(record)} fields, the header has {len(names)}")
                values = {n: v for n, v in zip(names, record) if n}
                try:
                    if not values["path"].strip():
                        raise ValueError("path is empty")
                    p = Path(os.path.expanduser(values["path"].strip()))
                    rows.append(
                        ManifestRow(
                            path=p if p.is_absolute() else folder / p,
                            subject=values["subject"],
                            label=values["label"],
                            intensity=_parse_int(values["intensity"], "intensity", optional=True),
                            kind=values["kind"].strip(),
                            n_frames=_parse_int(values["n_frames"], "n_frames", optional=False),  # type: ignore[arg-type]
                            dataset=values["dataset"],
                            code=values["code"],
                            extra=tuple((n, values[n]) for n in extra_names),
                            orientation=values.get(ORIENTATION, ""),
                        )
                    )
                except ValueError as exc:
                    raise ValueError(f"{src}: line {line}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{src}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise ValueError(f"{src}: line {line}: malformed CSV: {exc}") from None
    return rows
