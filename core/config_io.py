"""Reading config data: JSON files into plain objects, plain objects into frozen dataclasses.

Every config class (ModelConfig, RenderConfig, AugmentConfig, LossWeights, PretrainConfig, ...) goes through these two
functions, so they all refuse bad input the same way: a ValueError (FileNotFoundError for a missing file) whose
message names the file or section and the reason.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: The mode open() gives a new file (0o666 less the umask, read once at import); tempfile.mkstemp's files are
#: private (0o600), which would make every atomically written manifest, config or checkpoint unreadable to the
#: user's group and to other accounts (a shared data set or render cache).
FILE_MODE = 0o666 & ~_current_umask()


def give_default_mode(fd: int) -> None:
    """Give a file just made by tempfile.mkstemp the mode of a file made by open() (see FILE_MODE)."""
    if hasattr(os, "fchmod"):  # not on Windows before Python 3.13, where mkstemp's mode means nothing anyway
        os.fchmod(fd, FILE_MODE)


def read_json_object(path: str | os.PathLike[str], what: str = "config") -> dict[str, Any]:
    """The JSON object in ``path``; FileNotFoundError / ValueError naming the file and the reason."""
    src = Path(path)
    try:
        text = src.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(f"{src}: {what} file not found") from None
    except IsADirectoryError:
        raise ValueError(f"{src}: is a folder, expected a JSON {what} file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{src}: cannot read the {what} file ({exc})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{src}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise ValueError(f"{src}: JSON nested too deeply to be a {what} file") from None
    if not isinstance(data, dict):
        raise ValueError(f"{src}: expected a JSON object at the top level, got {type(data).__name__}")
    return data


def json_safe(value: Any) -> Any:
    """``value`` with every non-finite float (NaN, ±inf) replaced by None, recursively through dicts, lists and
    tuples, so that ``json.dumps(..., allow_nan=False)`` writes strict JSON (Python writes NaN, which JSON lacks)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def strict_json(value: Any, **kwargs: Any) -> str:
    """json.dumps of :func:`json_safe` (value) with allow_nan=False: always valid JSON."""
    return json.dumps(json_safe(value), allow_nan=False, **kwargs)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) through a temporary file in the same folder and os.replace, so a reader never sees a
    half-written file; the folder is created. Returns the path."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` like :func:`write_text_atomic`: a temporary file in the same folder, then os.replace; on any
    failure (a full disk) the temporary is removed and nothing half-written takes the name. Returns the path."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:  # a read-only folder: name the file we meant to write, not the temporary's name
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            give_default_mode(handle.fileno())
            handle.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OSError(exc.errno, exc.strerror, str(path)) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path: str | os.PathLike[str], data: Any, indent: int = 2) -> Path:
    """Write ``data`` as JSON (UTF-8, no NaN; refused before any file is touched) with :func:`write_text_atomic`."""
    return write_text_atomic(path, json.dumps(data, indent=indent, ensure_ascii=False, allow_nan=False) + "\n")


def dataclass_from_dict(cls: type[T], data: Any, source: str, what: str) -> T:
    """``cls(**data)``; missing keys take the defaults, unknown keys and invalid values are a ValueError
    starting with ``source`` (a file name or a section such as "loss")."""
    if not isinstance(data, dict):
        raise ValueError(f"{source}: expected a JSON object, got {type(data).__name__}")
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{source}: unknown {what} key(s) {unknown} (known: {sorted(known)})")
    try:
        return cls(**data)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{source}: {exc}") from None
