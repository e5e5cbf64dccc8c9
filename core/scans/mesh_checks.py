"""Checks of OFF, ASCII PLY and OBJ text against what the file declares, before trimesh reads it.

trimesh reads leniently: an OFF or ASCII PLY with fewer elements than its header declares is read anyway (an OFF face
line taken for a vertex, a truncated PLY taken for a point cloud), an OFF face ``-3 0 1 2`` silently turns the mesh
into a point cloud, and an OBJ index 0 (OBJ counts from 1) is read as the first vertex. These checks refuse such files
with a :class:`ScanError` naming the file and the line:

* OFF: the header (``OFF`` or a variant such as ``COFF``/``NOFF``, counts on the same line or the next) declares
  V vertices and F faces; the file must have at least V + F data lines after it (``#`` comments and blank lines
  skipped), each vertex line at least 3 numbers, each face line a corner count n >= 1 followed by n vertex indices
  in [0, V). Binary OFF is left to trimesh.
* ASCII PLY: each element's declared count of lines must be there; a line of an element with scalar properties only
  has one value per property; a ``vertex_indices``/``vertex_index`` list has a count >= 0 followed by that many
  indices in [0, V). Binary PLY is left to trimesh (it refuses short data itself).
* OBJ: every ``f`` (and ``l``) vertex reference is a non-zero integer, at most the number of ``v`` lines of the file
  (negative references count back from the last vertex defined before the line).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from core.scans.types import ScanError

_INT = re.compile(rb"[-+]?\d+\Z")


def check_mesh_text(path: Path, file_type: str) -> None:
    """Raise ScanError when an OFF, ASCII PLY or OBJ file disagrees with its own declarations (see the module)."""
    checkers = {"off": (_fast_off, _check_off), "ply": (_fast_ply, _check_ply), "obj": (_fast_obj, _check_obj)}
    if file_type not in checkers:
        return
    data = path.read_bytes()
    if file_type == "ply" and not data.startswith(b"ply"):
        return  # trimesh says what it is not
    fast, exact = checkers[file_type]
    if not fast(data):  # numpy over the whole file; when it finds anything odd, the line-by-line check names it
        exact(path, data)


def _data_lines(data: bytes, start_line: int = 0):
    """(line number, tokens) of the non-blank lines from line index ``start_line`` on, ``#`` comments removed."""
    for number, line in enumerate(data.split(b"\n")[start_line:], start=start_line + 1):
        if b"#" in line:
            line = line[: line.index(b"#")]
        tokens = line.split()
        if tokens:
            yield number, tokens


def _count(path: Path, token: bytes, what: str, line: int) -> int:
    if not _INT.match(token):
        raise ScanError(path, f"{what} {token.decode('latin-1')!r} at line {line} is not an integer")
    return int(token)


# --------------------------------------------------------------------------------------------------- fast paths
# Each returns True when the file is certainly consistent (the common case, checked with numpy in well under a
# second for a million-vertex mesh), False when it cannot tell; then the exact line-by-line check runs.


def token_counts(lines: list[bytes]) -> np.ndarray:
    """(N,) the number of whitespace-separated tokens on each line."""
    return np.fromiter((len(line.split()) for line in lines), dtype=np.int64, count=len(lines))


def _polygons_ok(lines: list[bytes], n_vertices: int, minimum: int) -> bool:
    """Lines ``n i1 .. in`` with one n for all, nothing after the indices, indices in [0, n_vertices)."""
    if not lines:
        return True
    counts = token_counts(lines)
    if counts.min() != counts.max():
        return False
    try:
        values = np.array(b" ".join(lines).split(), dtype=np.int64).reshape(len(lines), int(counts[0]))
    except (ValueError, OverflowError):
        return False
    n = values[:, 0]
    if n.min() != n.max() or n[0] < minimum or values.shape[1] != 1 + n[0]:
        return False
    indices = values[:, 1:]
    return indices.size == 0 or (indices.min() >= 0 and indices.max() < n_vertices)


def _fast_off(data: bytes) -> bool:
    if b"#" in data:
        return False
    lines = [line for line in data.split(b"\n") if line.strip()]
    if not lines or not lines[0].split()[0].endswith(b"OFF") or b"BINARY" in lines[0]:
        return False
    counts, body = (lines[0].split()[1:], lines[1:]) if len(lines[0].split()) > 1 else (
        lines[1].split() if len(lines) > 1 else [], lines[2:])
    if len(counts) < 2 or not (_INT.match(counts[0]) and _INT.match(counts[1])):
        return False
    n_vertices, n_faces = int(counts[0]), int(counts[1])
    if n_vertices < 0 or n_faces < 0 or len(body) < n_vertices + n_faces:
        return False
    if n_vertices and token_counts(body[:n_vertices]).min() < 3:
        return False
    return _polygons_ok(body[n_vertices : n_vertices + n_faces], n_vertices, 1)


def _ascii_ply_header(data: bytes) -> tuple[int, list[tuple[str, str, list[list[str]]]]] | None:
    """(offset of ``end_header``, [(element name, declared count as written, its properties' words)]) of an ASCII
    PLY; None when the header has no end or the format is binary (left to trimesh)."""
    end = data.find(b"end_header")
    if end < 0:
        return None
    header = data[:end].decode("latin-1").splitlines()
    if not any(line.split()[:2] == ["format", "ascii"] for line in header if line.strip()):
        return None
    elements: list[tuple[str, str, list[list[str]]]] = []
    for line in header:
        words = line.split()
        if words[:1] == ["element"] and len(words) == 3:
            elements.append((words[1], words[2], []))
        elif words[:1] == ["property"] and elements:
            elements[-1][2].append(words[1:])
    return end, elements


def _fast_ply(data: bytes) -> bool:
    header = _ascii_ply_header(data)
    if header is None:
        return True  # no header end (trimesh refuses it) or binary (trimesh's own checks)
    end, declared = header
    if "#" in data[end:].decode("latin-1") or not all(_INT.match(count.encode()) for _, count, _ in declared):
        return False
    elements = [(name, int(count), properties) for name, count, properties in declared]
    lines = [line for line in data[end:].split(b"\n")[1:] if line.strip()]
    n_vertices = next((count for name, count, _ in elements if name == "vertex"), 0)
    pos = 0
    for _name, count, properties in elements:
        block = lines[pos : pos + count]
        if len(block) < count:
            return False
        lists = [p for p in properties if p[:1] == ["list"]]
        if not lists:
            if count and not np.all(token_counts(block) == len(properties)):
                return False
        elif len(properties) == 1 and len(lists[0]) >= 4 and lists[0][3] in ("vertex_indices", "vertex_index"):
            if not _polygons_ok(block, n_vertices, 0):
                return False
        else:
            return False
        pos += count
    return True


def _fast_obj(data: bytes) -> bool:
    total = len(re.findall(rb"(?m)^[ \t]*v[ \t]", data))
    refs = re.findall(rb"(?m)^[ \t]*[fl][ \t]+([^\n#]*)", data)
    if not refs:
        return True
    try:
        values = np.array(re.sub(rb"/\S*", b"", b" ".join(refs)).split(), dtype=np.int64)
    except (ValueError, OverflowError):
        return False
    return values.size == 0 or (values.min() > 0 and values.max() <= total)  # negatives: the exact check


# --------------------------------------------------------------------------------------------------------- OFF
def _check_off(path: Path, data: bytes) -> None:
    lines = _data_lines(data)
    first = next(lines, None)
    if first is None:
        raise ScanError(path, "no OFF header")
    number, tokens = first
    keyword = tokens[0]
    if not keyword.endswith(b"OFF"):
        raise ScanError(path, f"not an OFF file (the first word is {keyword.decode('latin-1')!r}, not 'OFF')")
    if b"BINARY" in tokens[1:]:
        return
    counts = tokens[1:]
    if not counts:
        nxt = next(lines, None)
        if nxt is None:
            raise ScanError(path, "the OFF header has no vertex and face counts (truncated?)")
        number, counts = nxt
    if len(counts) < 2:
        raise ScanError(path, f"the OFF counts at line {number} need the number of vertices and of faces")
    n_vertices = _count(path, counts[0], "the vertex count", number)
    n_faces = _count(path, counts[1], "the face count", number)
    if n_vertices < 0 or n_faces < 0:
        raise ScanError(path, f"negative vertex or face count at line {number}")
    seen = 0
    for number, tokens in lines:
        if seen < n_vertices:
            if len(tokens) < 3:
                raise ScanError(path, f"vertex line {number} has {len(tokens)} values, not 3 (a face line where "
                                      f"the header declares {n_vertices} vertices?)")
        elif seen < n_vertices + n_faces:
            _check_polygon(path, tokens, number, n_vertices, "OFF face")
        else:
            break
        seen += 1
    if seen < n_vertices + n_faces:
        raise ScanError(path, f"the header declares {n_vertices} vertices and {n_faces} faces but the file holds "
                              f"{seen} data lines (truncated?)")


def _check_polygon(path: Path, tokens: list[bytes], line: int, n_vertices: int, what: str, minimum: int = 1) -> int:
    """A polygon ``n i1 .. in``: n >= minimum, n integers in [0, n_vertices) after it; returns how many tokens."""
    n = _count(path, tokens[0], f"the corner count of the {what}", line)
    if n < minimum:
        raise ScanError(path, f"{what} at line {line} has corner count {n}")
    if len(tokens) < 1 + n:
        raise ScanError(path, f"{what} at line {line} declares {n} corners but has {len(tokens) - 1} indices")
    for token in tokens[1 : 1 + n]:
        index = _count(path, token, f"the index in the {what}", line)
        if not 0 <= index < n_vertices:
            raise ScanError(path, f"{what} at line {line} has index {index}, outside [0, {n_vertices})")
    return 1 + n


# ----------------------------------------------------------------------------------------------------- ASCII PLY
def _check_ply(path: Path, data: bytes) -> None:
    header = _ascii_ply_header(data)
    if header is None:
        return
    end, declared = header
    elements = [(name, _count(path, count.encode(), f"the {name} count", 0), properties)
                for name, count, properties in declared]
    n_vertices = next((count for name, count, _ in elements if name == "vertex"), 0)
    header_lines = data[: end].count(b"\n") + 1
    lines = _data_lines(data, header_lines)
    for name, count, properties in elements:
        for k in range(count):
            item = next(lines, None)
            if item is None:
                raise ScanError(path, f"the header declares {count} {name} elements but the file ends after {k} "
                                      f"(truncated?)")
            number, tokens = item
            _check_ply_line(path, tokens, number, name, properties, n_vertices)


def _check_ply_line(path: Path, tokens: list[bytes], line: int, name: str, properties: list[list[str]],
                    n_vertices: int) -> None:
    pos = 0
    for prop in properties:
        if pos >= len(tokens):
            raise ScanError(path, f"{name} line {line} has {len(tokens)} values, fewer than its properties")
        if prop[:1] == ["list"] and len(prop) >= 4:
            if prop[3] in ("vertex_indices", "vertex_index"):
                pos += _check_polygon(path, tokens[pos:], line, n_vertices, f"{name} list", minimum=0)
            else:
                pos += 1 + _count(path, tokens[pos], f"the {prop[3]} list length", line)
        else:
            pos += 1
    if pos != len(tokens) and all(p[:1] != ["list"] for p in properties):
        raise ScanError(path, f"{name} line {line} has {len(tokens)} values for {len(properties)} properties")


# ----------------------------------------------------------------------------------------------------------- OBJ
def _check_obj(path: Path, data: bytes) -> None:
    total = len(re.findall(rb"(?m)^[ \t]*v[ \t]", data))
    defined = 0  # vertices defined before the current line (what a negative reference counts back from)
    for number, line in enumerate(data.split(b"\n"), start=1):
        words = line.split(b"#", 1)[0].split()
        if not words:
            continue
        if words[0] == b"v":
            defined += 1
        elif words[0] in (b"f", b"l"):
            for ref in words[1:]:
                index = _count(path, ref.split(b"/", 1)[0], "the vertex reference", number)
                if index == 0 or index > total or index < -defined:
                    raise ScanError(path, f"vertex reference {index} at line {number} is outside the {total} "
                                          f"vertices (OBJ counts from 1; negative counts back from the last vertex)")
